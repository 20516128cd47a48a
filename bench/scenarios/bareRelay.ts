/**
 * The stack's own price of a relayed message, to tell it from the herd's in the relay's figures
 * (relay.ts): four bare libp2p nodes (bare-gossip-node.ts: a member's transports, gossipsub with
 * its defaults, none of the herd's code) in a star whose centre relays one publisher's messages
 * to two subscribers, as Bona relays Clark's to Bailey and Campbell. Each step publishes at the
 * message rate Bona saw in a step of the herd's relay scenario, messages of the size Bona's were
 * (its records per message, of about RELAY_LINE_BYTES each), after `steadySeconds` at the first
 * step (as for the herd's relay: V8 optimizes a relay's path only after a while). The centre's
 * CPU beyond its idle CPU just before, per message its subscribers got.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BareCommand, BareReport } from '../bare-gossip-node.js';
import type { RelayStep } from './relay.js';
import { cpuSeconds } from '../lib/proc.js';
import { sleep } from '../lib/util.js';

/** One step: messages per second, and bytes per message. */
export interface BareRelayLoad {
  readonly rate: number;
  readonly bytes: number;
}

export interface BareRelayStep extends BareRelayLoad {
  /** Messages one subscriber received in the step (all of them, unless the stack fell behind). */
  readonly messages: number;
  readonly published: number;
  readonly microsPerMessage: number;
  readonly relayCores: number;
}

export interface BareRelayOptions {
  readonly steps: readonly BareRelayLoad[];
  readonly seconds: number;
  readonly steadySeconds: number;
}

/** The relay scenario's AT lines (`AT Clark +0.000123456 bench-relay-5000-12345 ...`) and their newline. */
export const RELAY_LINE_BYTES = 88;
const IDLE_MS = 2_000;
/** A hang guard: the mesh forms within a few heartbeats (1 s each). */
const MESH_TIMEOUT_MS = 30_000;
const NODE_SCRIPT = fileURLToPath(new URL('../bare-gossip-node.js', import.meta.url));

/** The bare steps that match the herd relay's: Bona's message rate, and its messages' size. */
export function loadsLike(relaySteps: readonly RelayStep[]): BareRelayLoad[] {
  return relaySteps.map((s) => ({
    rate: Math.max(1, s.messages) / s.seconds,
    bytes: Math.round((Math.max(1, s.records) / Math.max(1, s.messages)) * RELAY_LINE_BYTES),
  }));
}

/**
 * What a relay step cost beyond the bare relay's matching step, per message and per record: the
 * herd's own work, less the stack's work it skips (below zero when messages carry few records).
 */
export function beyondBare(relay: RelayStep, bare: BareRelayStep): { perMessage: number; perRecord: number } {
  const perMessage = relay.microsPerMessage - bare.microsPerMessage;
  return { perMessage, perRecord: perMessage / (relay.records / Math.max(1, relay.messages)) };
}

class BareNode {
  private readonly child: ChildProcess;
  private readonly waiting: Array<{ event: BareReport['event']; resolve: (r: BareReport) => void }> = [];

  constructor() {
    this.child = fork(NODE_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (report: BareReport) => {
      const i = this.waiting.findIndex((w) => w.event === report.event);
      if (i >= 0) this.waiting.splice(i, 1)[0]!.resolve(report);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(command: BareCommand): void {
    this.child.send(command);
  }

  /** The next report of this kind, after sending `command` if given. */
  next<E extends BareReport['event']>(event: E, command?: BareCommand): Promise<Extract<BareReport, { event: E }>> {
    const reply = new Promise<BareReport>((resolve) => this.waiting.push({ event, resolve }));
    if (command) this.send(command);
    return reply as Promise<Extract<BareReport, { event: E }>>;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

export async function bareRelayCost(options: BareRelayOptions, onStep: (text: string) => void): Promise<BareRelayStep[]> {
  const relay = new BareNode();
  const publisher = new BareNode();
  const subscriber = new BareNode();
  const nodes = [relay, publisher, subscriber, new BareNode()];
  try {
    const addresses = await Promise.all(nodes.map((n) => n.next('listening').then((r) => r.address)));
    relay.send({ cmd: 'dial', addresses: addresses.slice(1) });
    // gossipsub grafts its mesh at a heartbeat: wait until every link carries the topic.
    const meshes = () => Promise.all(nodes.map((n) => n.next('state', { cmd: 'state' }).then((s) => s.meshPeers)));
    const deadline = performance.now() + MESH_TIMEOUT_MS;
    for (let m = await meshes(); m[0]! < 3 || m.slice(1).some((peers) => peers < 1); m = await meshes()) {
      if (performance.now() > deadline) throw new Error(`bare relay: no whole mesh after ${MESH_TIMEOUT_MS} ms (mesh peers ${m.join(', ')})`);
      await sleep(100);
    }
    const publish = ({ rate, bytes }: BareRelayLoad, seconds: number) =>
      publisher.next('published', { cmd: 'publish', rate, count: Math.max(1, Math.round(rate * seconds)), bytes });
    const received = () => subscriber.next('state', { cmd: 'state' }).then((s) => s.received);

    const [first] = options.steps;
    if (first === undefined) return [];
    onStep(`bare relay: ${options.steadySeconds} s at the first step first`);
    await publish(first, options.steadySeconds);
    const steps: BareRelayStep[] = [];
    for (const load of options.steps) {
      onStep(`bare relay at ${load.rate.toFixed(1)} messages/s of ${load.bytes} bytes`);
      const idleFrom = cpuSeconds(relay.pid);
      await sleep(IDLE_MS);
      const idleCores = (cpuSeconds(relay.pid) - idleFrom) / (IDLE_MS / 1000);
      const before = await received();
      const cpuFrom = cpuSeconds(relay.pid);
      const from = performance.now();
      const { count } = await publish(load, options.seconds);
      // Until the subscriber's count stops moving: what the stack did not carry by then, it lost.
      let messages = (await received()) - before;
      for (let last = -1; messages !== last && messages < count;) {
        last = messages;
        await sleep(200);
        messages = (await received()) - before;
      }
      const wallSeconds = (performance.now() - from) / 1000;
      const relayCores = (cpuSeconds(relay.pid) - cpuFrom) / wallSeconds;
      const busySeconds = Math.max(0, (relayCores - idleCores) * wallSeconds);
      steps.push({ ...load, messages, published: count, microsPerMessage: (busySeconds / Math.max(1, messages)) * 1e6, relayCores });
    }
    return steps;
  } finally {
    for (const node of nodes) node.stop();
  }
}

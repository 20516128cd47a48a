/**
 * One bare libp2p node for the bench's stack reference (scenarios/bareRelay.ts): the transports
 * a member uses (TCP, noise, yamux, identify) and gossipsub with its own defaults, none of the
 * herd's code. Run as a child process; the parent drives it over IPC (`BareCommand`).
 */
import '../src/net/p2p/shim.js';
import { gossipsub, type GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';

export type BareCommand =
  | { readonly cmd: 'dial'; readonly addresses: readonly string[] }
  | { readonly cmd: 'state' }
  /** Publishes `count` messages of `bytes` bytes at `rate` per second, then answers `published`. */
  | { readonly cmd: 'publish'; readonly rate: number; readonly count: number; readonly bytes: number };

export type BareReport =
  | { readonly event: 'listening'; readonly address: string }
  | { readonly event: 'state'; readonly meshPeers: number; readonly received: number }
  | { readonly event: 'published'; readonly count: number };

const TOPIC = 'bare/1';

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify(), pubsub: gossipsub() },
});
const pubsub = node.services.pubsub as GossipSub;
let received = 0;
pubsub.subscribe(TOPIC);
pubsub.addEventListener('message', () => received++);

const report = (r: BareReport): void => void process.send!(r);

process.on('message', (command: BareCommand) => {
  switch (command.cmd) {
    case 'dial':
      for (const address of command.addresses) void node.dial(multiaddr(address));
      return;
    case 'state':
      return report({ event: 'state', meshPeers: pubsub.getMeshPeers(TOPIC).length, received });
    case 'publish':
      return void publish(command.rate, command.count, command.bytes).then((count) => report({ event: 'published', count }));
  }
});
process.on('disconnect', () => process.exit(0));
report({ event: 'listening', address: node.getMultiaddrs()[0]!.toString() });

/** Open loop: message i leaves at i / rate s, each a new payload (a line of an AT record's size). */
async function publish(rate: number, count: number, bytes: number): Promise<number> {
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const payload = Buffer.alloc(bytes, 0x20);
      payload.write(`AT bare ${sent}`);
      pubsub.publish(TOPIC, payload).catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return sent;
}

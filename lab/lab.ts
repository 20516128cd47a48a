/**
 * A herd on separate network stacks: the lab's controller. It builds the network (see
 * network.ts), writes the herd file, starts members, the gateway and relays inside their
 * namespaces, and keeps a state file so later commands (and `down` after a crash) find them.
 * The controller stays in the root namespace and reaches the lab only through the gateway's
 * Unix socket.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initHerd } from '../src/config/initHerd.js';
import type { MemberStatus } from '../src/net/status.js';
import { buildNetwork, cut, destroyNamespaces, heal, insertRelayPath, limitRate, listNamespaces, sh, unlimit } from './network.js';
import {
  ADMIN_PORT,
  CLIENT_PORT,
  makePlan,
  memberNames,
  newRunId,
  P2P_PORT,
  ringWithChords,
  runIdOfNamespace,
  type LabPlan,
  type Link,
  type MemberPlan,
} from './plan.js';
import type { LinkShape } from './relayProcess.js';

export const HERD_BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const RELAY_BIN = fileURLToPath(new URL('./relayProcess.js', import.meta.url));
const GATEWAY_BIN = fileURLToPath(new URL('./gatewayProcess.js', import.meta.url));

/** Where runs keep their herd file, keys, logs and state: `<LAB_ROOT>/<run id>/`. */
export const LAB_ROOT = join(tmpdir(), 'herd-lab');

export interface LabState {
  readonly plan: LabPlan;
  readonly dir: string;
  /** A process whose death makes the run stale (a test); null for a run made by `lab up`. */
  readonly owner: number | null;
  readonly memberArgs: readonly string[];
  /** Links with a relay, as `relayKey` gives them. */
  relays: string[];
}

export interface UpOptions {
  /** Members m1..mN on a ring with chords, unless `names`/`links` say otherwise. */
  readonly size?: number;
  readonly names?: readonly string[];
  readonly links?: readonly Link[];
  /** Put a relay (0 ms) on every link from the start, so delays change without a reconnect. */
  readonly relays?: boolean;
  /** Extra `herd start` options for every member. */
  readonly memberArgs?: readonly string[];
  readonly owner?: number | null;
  /** How long `up` waits for every member to be ready. */
  readonly readyTimeoutMs?: number;
}

/** USER_HZ: Linux reports process CPU times in these. */
const CLOCK_TICKS_PER_SECOND = 100;

export const relayKey = (a: string, b: string): string => [a, b].sort().join('~');

export class Lab {
  private constructor(readonly state: LabState) {}

  get plan(): LabPlan {
    return this.state.plan;
  }
  get herdFile(): string {
    return join(this.state.dir, 'herd.json');
  }
  get names(): string[] {
    return this.plan.members.map((m) => m.name);
  }

  /** Builds a run, starts its herd and waits until every member has all its links up. */
  static async up(options: UpOptions = {}): Promise<Lab> {
    const names = options.names ?? memberNames(options.size ?? 3);
    const links = options.links ?? ringWithChords(names);
    const runId = newRunId();
    const plan = makePlan(runId, names, links);
    const dir = join(LAB_ROOT, runId);
    mkdirSync(dir, { recursive: true });
    const lab = new Lab({
      plan,
      dir,
      owner: options.owner === undefined ? process.pid : options.owner,
      memberArgs: options.memberArgs ?? [],
      relays: [],
    });
    lab.save();
    try {
      await lab.writeHerdFile();
      await buildNetwork(plan);
      await lab.startHelper(plan.clientNs, GATEWAY_BIN, [lab.gatewayPath], 'gateway');
      if (options.relays) for (const [a, b] of links) await lab.addRelay(a, b);
      await lab.start(...names);
      await lab.waitReady(names, options.readyTimeoutMs ?? 60_000 + 3_000 * names.length);
      return lab;
    } catch (err) {
      await lab.down();
      throw err;
    }
  }

  /** The runs with a state file under LAB_ROOT. */
  static runIds(): string[] {
    return existsSync(LAB_ROOT) ? readdirSync(LAB_ROOT).filter((id) => existsSync(join(LAB_ROOT, id, 'state.json'))) : [];
  }

  /** The run `runId`, or the only run there is. */
  static load(runId?: string): Lab {
    const ids = runId ? [runId] : Lab.runIds();
    if (ids.length !== 1)
      throw new Error(ids.length === 0 ? 'no lab run (start one with `lab up`)' : `several lab runs (${ids.join(', ')}): pass --run ID`);
    const file = join(LAB_ROOT, ids[0]!, 'state.json');
    if (!existsSync(file)) throw new Error(`no lab run ${ids[0]} (${file} missing)`);
    return new Lab(JSON.parse(readFileSync(file, 'utf8')) as LabState);
  }

  /**
   * Removes what earlier runs left: with `all`, every lab namespace; otherwise only runs
   * whose owner process is gone (a test that crashed). Returns the run IDs removed.
   */
  static async cleanUp(all: boolean): Promise<string[]> {
    const byRun = new Map<string, string[]>();
    for (const ns of await listNamespaces()) {
      const id = runIdOfNamespace(ns);
      if (id) byRun.set(id, [...(byRun.get(id) ?? []), ns]);
    }
    for (const id of existsSync(LAB_ROOT) ? readdirSync(LAB_ROOT) : []) if (!byRun.has(id)) byRun.set(id, []);
    const removed: string[] = [];
    for (const [id, namespaces] of byRun) {
      if (!all && !isStale(id)) continue;
      await destroyNamespaces(namespaces);
      rmSync(join(LAB_ROOT, id), { recursive: true, force: true });
      removed.push(id);
    }
    return removed;
  }

  member(name: string): MemberPlan {
    const m = this.plan.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member "${name}" in lab run ${this.plan.runId} (members: ${this.names.join(', ')})`);
    return m;
  }

  /** Starts members inside their namespaces, detached: they outlive a `lab up` command. */
  async start(...names: string[]): Promise<void> {
    for (const name of names) {
      const m = this.member(name);
      const out = openSync(join(this.state.dir, `${name}.out`), 'a');
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          m.ns,
          process.execPath,
          HERD_BIN,
          'start',
          name,
          '--config',
          this.herdFile,
          '--log-dir',
          this.state.dir,
          '--console-level',
          'warn',
          ...this.state.memberArgs,
        ],
        { detached: true, stdio: ['ignore', out, out] },
      );
      child.unref();
      closeSync(out);
    }
  }

  /** kill -9 every process of the member's namespace; resolves once they are gone. */
  async kill(name: string): Promise<void> {
    const pids = await this.pidsIn(this.member(name).ns);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    while ((await this.pidsIn(this.member(name).ns)).length > 0) await sleep(20);
  }

  /** Waits until each member answers /status with every link up. */
  async waitReady(names: readonly string[] = this.names, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
      for (;;) {
        const status = await this.status(name).catch(() => null);
        if (status && status.neighbours.every((n) => n.connected)) break;
        if (Date.now() > deadline)
          throw new Error(`${name} not ready within ${timeoutMs} ms: ${status ? 'links down' : 'no /status'}\n${this.outputOf(name)}`);
        await sleep(100);
      }
    }
  }

  /** Every member answers, every link is up at both ends, every store digest is the same. */
  async converged(): Promise<boolean> {
    const statuses = await Promise.all(this.names.map((n) => this.status(n))).catch(() => null);
    return !!statuses && statuses.every((s) => s.neighbours.every((n) => n.connected)) && new Set(statuses.map((s) => s.store.digest)).size === 1;
  }

  /** User plus system CPU seconds used so far by the processes of `name`'s namespace. */
  async cpuSeconds(name: string): Promise<number> {
    let ticks = 0;
    for (const pid of await this.pidsIn(this.member(name).ns)) {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    }
    return ticks / CLOCK_TICKS_PER_SECOND;
  }

  outputOf(name: string): string {
    const file = join(this.state.dir, `${name}.out`);
    return existsSync(file) ? readFileSync(file, 'utf8').slice(-4000) : '';
  }

  status(name: string): Promise<MemberStatus> {
    return this.adminGet(name, '/status').then((body) => JSON.parse(body) as MemberStatus);
  }

  metrics(name: string): Promise<string> {
    return this.adminGet(name, '/metrics');
  }

  /** A TCP connection from the client namespace to `name`'s client port. */
  openClient(name: string): Promise<Socket> {
    return this.openThroughGateway(this.member(name).address, CLIENT_PORT);
  }

  /** Runs `herd ARGS --config <herd file>` in the client namespace (`mesh`, `send`, `client`). */
  herd(args: readonly string[], stdio: 'pipe' | 'inherit' = 'pipe'): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.plan.clientNs, process.execPath, HERD_BIN, ...args, '--config', this.herdFile], {
        stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString();
      });
      child.stderr?.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  async cut(name: string): Promise<void> {
    await cut(this.plan, this.member(name));
  }

  async heal(name: string): Promise<void> {
    await heal(this.plan, this.member(name));
  }

  /** Limits the link a-b to `rate` each way (tc syntax: `1mbit`). */
  async slow(a: string, b: string, rate: string): Promise<void> {
    this.linkOf(a, b);
    await limitRate(this.member(a), this.member(b), rate, this.state.relays.includes(relayKey(a, b)));
  }

  /** Removes the rate limits of the links of `names`. */
  async unslow(...names: string[]): Promise<void> {
    for (const name of names) await unlimit(this.member(name));
  }

  /** Sets the relay's delay and loss on a-b, adding the relay first if the link has none. */
  async shape(a: string, b: string, shape: LinkShape): Promise<void> {
    this.linkOf(a, b);
    if (!this.state.relays.includes(relayKey(a, b))) await this.addRelay(a, b);
    const file = this.relayControlPath;
    const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, LinkShape>) : {};
    all[relayKey(a, b)] = shape;
    writeFileSync(`${file}.tmp`, JSON.stringify(all));
    // A rename, so a relay never reads half a file.
    renameSync(`${file}.tmp`, file);
  }

  /** Stops every process and removes every namespace and file of this run. */
  async down(): Promise<void> {
    const namespaces = (await listNamespaces()).filter((ns) => runIdOfNamespace(ns) === this.plan.runId);
    await destroyNamespaces(namespaces);
    rmSync(this.state.dir, { recursive: true, force: true });
  }

  private get gatewayPath(): string {
    return join(this.state.dir, 'gateway.sock');
  }
  private get relayControlPath(): string {
    return join(this.state.dir, 'relays.json');
  }

  private save(): void {
    writeFileSync(join(this.state.dir, 'state.json'), JSON.stringify(this.state, null, 2));
  }

  private linkOf(a: string, b: string): Link {
    const link = this.plan.links.find(([x, y]) => (x === a && y === b) || (x === b && y === a));
    if (!link) throw new Error(`no link ${a}-${b} in lab run ${this.plan.runId}`);
    return link;
  }

  private async writeHerdFile(): Promise<void> {
    await initHerd({ dir: this.state.dir, names: this.names, links: this.plan.links, host: '127.0.0.1', basePort: CLIENT_PORT, force: true });
    const json = JSON.parse(readFileSync(this.herdFile, 'utf8')) as { members: Array<Record<string, unknown>> };
    for (const [i, m] of json.members.entries()) {
      const address = this.plan.members[i]!.address;
      Object.assign(m, { host: address, adminHost: address, clientPort: CLIENT_PORT, p2pPort: P2P_PORT, adminPort: ADMIN_PORT });
    }
    writeFileSync(this.herdFile, `${JSON.stringify(json, null, 2)}\n`);
  }

  private async addRelay(a: string, b: string): Promise<void> {
    const [ma, mb] = [this.member(a), this.member(b)];
    const ns = await insertRelayPath(this.plan, ma, mb);
    if (!existsSync(this.relayControlPath)) writeFileSync(this.relayControlPath, '{}');
    await this.startHelper(ns, RELAY_BIN, [this.relayControlPath, relayKey(a, b), ma.address, mb.address, String(P2P_PORT)], 'relay');
    this.state.relays.push(relayKey(a, b));
    this.save();
  }

  /** Starts a helper process inside `ns`, detached, and waits for its "<what> ready" line. */
  private startHelper(ns: string, script: string, args: string[], what: string): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, ...args], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (!out.includes(`${what} ready`)) return;
        child.stdout.destroy();
        child.unref();
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`${what} in ${ns} exited (${code}) before it was ready`)));
    });
  }

  private openThroughGateway(host: string, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.gatewayPath, () => {
        socket.off('error', reject);
        socket.write(`${host} ${port}\n`);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  /** HTTP/1.0 GET through the gateway: the whole body once the member closes. */
  private async adminGet(name: string, path: string, timeoutMs = 5_000): Promise<string> {
    const socket = await this.openThroughGateway(this.member(name).address, ADMIN_PORT);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => socket.destroy(new Error(`${name} ${path}: no answer within ${timeoutMs} ms`)), timeoutMs);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('close', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString();
        const split = text.indexOf('\r\n\r\n');
        if (!text.startsWith('HTTP/1.1 200') && !text.startsWith('HTTP/1.0 200'))
          reject(new Error(`${name} ${path}: ${text.split('\r\n')[0] || 'connection closed'}`));
        else resolve(text.slice(split + 4));
      });
      socket.write(`GET ${path} HTTP/1.0\r\nHost: ${name}\r\n\r\n`);
    });
  }

  private async pidsIn(ns: string): Promise<number[]> {
    return (await sh('ip', 'netns', 'pids', ns).catch(() => '')).split('\n').filter(Boolean).map(Number);
  }
}

function isStale(runId: string): boolean {
  const file = join(LAB_ROOT, runId, 'state.json');
  if (!existsSync(file)) return true;
  const { owner } = JSON.parse(readFileSync(file, 'utf8')) as LabState;
  if (owner === null) return false;
  try {
    process.kill(owner, 0);
    return false;
  } catch {
    return true;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

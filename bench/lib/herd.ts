/**
 * The benchmark's own herd: fresh keys in a temp dir and free ports on 127.0.0.1 (testkit's makeHerd),
 * one `herd start NAME` process per member, exactly as an operator (or the tests) run them.
 * Separate processes matter: in one process the members would share a core and a heap, and
 * CPU time and peak RSS per member could not be read from /proc.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { findMember, type HerdConfig } from '../../src/config/herdFile.js';
import { makeHerd, type TestHerd } from '../../testkit/herd.js';
import { spawnMember } from '../../testkit/processes.js';
import type { MemberStatus, MemoryStatus } from '../../src/net/status.js';
import { fetchStatus } from '../../src/net/statusClient.js';
import { cpuSeconds } from './proc.js';

/** The demo herd of peers/herd.json. */
export { DEMO_NAMES as NAMES, DEMO_LINKS as LINKS, type DemoName as Name } from '../../testkit/demoHerd.js';
import { DEMO_LINKS as LINKS, DEMO_NAMES as NAMES, type DemoName as Name } from '../../testkit/demoHerd.js';

/**
 * Every temp dir a BenchHerd made and has not removed: removed on exit, whatever way the bench
 * ends (error, Ctrl-C). Its member processes are killed then by spawnMember's own exit hook.
 */
const liveDirs = new Set<string>();
process.on('exit', () => {
  liveDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

export interface StartOptions {
  /** The log file level: `warn` to measure the server, `info` to measure it logging every line. */
  readonly logLevel: 'warn' | 'info';
  /** The members to run (default: all five); links between them are kept. */
  readonly names?: readonly Name[];
  /** node options before the script, e.g. `--expose-gc` or `--cpu-prof`: for every member, or by member. */
  readonly nodeArgs?: readonly string[] | ((name: Name) => readonly string[]);
  /** More `herd start` options for every member, e.g. `--data-dir DIR`. */
  readonly memberArgs?: readonly string[];
  /** Extra environment for every member (e.g. a Google stand-in's URL). */
  readonly env?: Readonly<Record<string, string>>;
  readonly readyTimeoutMs?: number;
}

export class BenchHerd {
  private readonly children = new Map<Name, ChildProcess>();
  private readonly output = new Map<Name, string>();

  readonly dir: string;
  readonly herd: HerdConfig;

  private constructor(
    private readonly files: TestHerd,
    readonly names: readonly Name[],
    private readonly options: StartOptions,
  ) {
    this.dir = files.dir;
    this.herd = files.herd;
  }

  /** Writes keys and a herd file, starts the members, waits until every link carries gossip. */
  static async start(options: StartOptions): Promise<BenchHerd> {
    const herd = await BenchHerd.create(options);
    try {
      herd.launch();
      await herd.waitReady(options.readyTimeoutMs ?? 120_000); // a hang guard: a busy shared machine can take a minute
    } catch (err) {
      await herd.stop();
      throw err;
    }
    return herd;
  }

  /** Writes keys and a herd file on free ports; starts nothing. */
  static async create(options: StartOptions): Promise<BenchHerd> {
    const names = options.names ?? NAMES;
    const links = LINKS.filter(([a, b]) => names.includes(a) && names.includes(b));
    const files = await makeHerd(names, links, 'herd-bench-');
    liveDirs.add(files.dir);
    return new BenchHerd(files, names, options);
  }

  /** Spawns every member process, waiting for nothing. */
  launch(): void {
    for (const name of this.names) this.spawn(name);
  }

  /** Whether the member's /readyz answers 200 (places loaded, links tried); false while it cannot answer. */
  async ready(name: Name): Promise<boolean> {
    const { adminPort } = findMember(this.herd, name);
    try {
      const { statusCode, body } = await request(`http://127.0.0.1:${adminPort}/readyz`, { signal: AbortSignal.timeout(5_000) });
      await body.dump();
      return statusCode === 200;
    } catch {
      return false;
    }
  }

  clientPort(name: Name): number {
    return findMember(this.herd, name).clientPort;
  }

  pid(name: Name): number {
    const pid = this.children.get(name)?.pid;
    if (pid === undefined) throw new Error(`${name} is not running`);
    return pid;
  }

  status(name: Name): Promise<MemberStatus> {
    return fetchStatus(findMember(this.herd, name), 10_000);
  }

  statuses(): Promise<MemberStatus[]> {
    return Promise.all(this.names.map((n) => this.status(n)));
  }

  /** Heap and RSS right after a full collection (the members run with `--expose-gc`). */
  async collectGarbage(name: Name): Promise<MemoryStatus> {
    const { adminPort } = findMember(this.herd, name);
    const { statusCode, body } = await request(`http://127.0.0.1:${adminPort}/gc`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
    if (statusCode !== 200) throw new Error(`${name} POST /gc: HTTP ${statusCode} (started without --expose-gc?)`);
    return (await body.json()) as MemoryStatus;
  }

  /** Kills one member (SIGKILL) and waits for it to be gone. */
  async kill(name: Name): Promise<void> {
    const child = this.children.get(name);
    if (child) await killed(child, 'SIGKILL');
    this.children.delete(name);
  }

  /** Starts a member again (after `kill`); resolves once it runs, not once it is linked. */
  restart(name: Name): void {
    this.spawn(name);
  }

  /** The member's Prometheus text from /metrics. */
  async metrics(name: Name): Promise<string> {
    const { adminPort } = findMember(this.herd, name);
    const { statusCode, body } = await request(`http://127.0.0.1:${adminPort}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (statusCode !== 200) throw new Error(`${name} /metrics: HTTP ${statusCode}`);
    return body.text();
  }

  /** CPU seconds used so far by each member process. */
  cpu(): Record<Name, number> {
    return Object.fromEntries(this.names.map((n) => [n, cpuSeconds(this.pid(n))])) as Record<Name, number>;
  }

  /** Bytes in the members' log files (what logging wrote so far, up to its async buffer). */
  logBytes(): number {
    // Log files are NAME.N.log (rotated by size); the bench's stay far below the cap.
    const logs = readdirSync(this.dir).filter((f) => this.names.some((n) => new RegExp(`^${n}\\.\\d+\\.log$`).test(f)));
    return logs.reduce((sum, f) => sum + statSync(join(this.dir, f)).size, 0);
  }

  /**
   * Polls until every member holds `clients` records (when given) and all five digests agree,
   * or `timeoutMs` passes. Resolves with the ms it took, or null on timeout.
   */
  async converged(options: { clients?: number; timeoutMs: number; pollMs?: number }): Promise<number | null> {
    const started = performance.now();
    for (let polls = 0; polls < 100_000; polls++) {
      try {
        const all = await this.statuses();
        const digests = new Set(all.map((s) => s.store.digest));
        const full = options.clients === undefined || all.every((s) => s.store.clients >= options.clients!);
        if (digests.size === 1 && full) return performance.now() - started;
      } catch {
        // a member slow to answer /status under load: ask again
      }
      if (performance.now() - started > options.timeoutMs) return null;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 20));
    }
    return null;
  }

  /**
   * SIGKILL for every member (nothing to flush that we measure), or SIGTERM when `graceful`
   * (a `--cpu-prof` profile is written on a clean exit); removes the temp dir unless `keepDir`.
   */
  async stop(keepDir = false, graceful = false): Promise<void> {
    await Promise.all([...this.children.values()].map((child) => killed(child, graceful ? 'SIGTERM' : 'SIGKILL')));
    this.children.clear();
    liveDirs.delete(this.dir); // removed now, or kept on purpose for a look at the logs
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  outputOf(name: Name): string {
    return this.output.get(name) ?? '';
  }

  private spawn(name: Name): void {
    const { nodeArgs } = this.options;
    const env = { ...process.env };
    delete env.GOOGLE_PLACES_API_KEY; // offline places unless asked: no network, no quota, repeatable
    delete env.HERD_PLACES_URL;
    Object.assign(env, this.options.env);
    const child = spawnMember(this.files, name, {
      args: ['--log-level', this.options.logLevel, '--console-format', 'json', ...(this.options.memberArgs ?? [])],
      nodeArgs: typeof nodeArgs === 'function' ? nodeArgs(name) : nodeArgs,
      env,
    });
    this.children.set(name, child);
    // Keep only the tail: under a flood a member may warn a lot, and we only show it on failure.
    const keep = (chunk: Buffer) => this.output.set(name, (this.outputOf(name) + chunk.toString()).slice(-8_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** Every link connected and every neighbour subscribed to the topic, at every member. */
  async waitReady(timeoutMs: number, pollMs = 100): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const [name, child] of this.children) {
        if (child.exitCode !== null) throw new Error(`${name} exited during start:\n${this.outputOf(name)}`);
      }
      const all = await this.statuses().catch(() => undefined);
      if (all?.every((s) => s.neighbours.every((n) => n.connected) && s.gossip.subscribers.length === s.neighbours.length)) return;
      if (performance.now() > deadline) {
        const missing =
          all
            ?.map(
              (s) =>
                `${s.name}: links down ${
                  s.neighbours
                    .filter((n) => !n.connected)
                    .map((n) => n.name)
                    .join(',') || '-'
                }, ` + `${s.gossip.subscribers.length}/${s.neighbours.length} subscribed`,
            )
            .join('; ') ?? 'no status';
        throw new Error(`herd not ready within ${timeoutMs} ms (${missing})`);
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** Sends `signal` and waits for the exit; a SIGTERM not obeyed within 15 s becomes a SIGKILL. */
function killed(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

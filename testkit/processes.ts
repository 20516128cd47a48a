/** Members as real processes, started the way `herd start NAME` starts them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findMember } from '../src/config/herdFile.js';
import type { MemberStatus } from '../src/net/status.js';
import { fetchStatus } from '../src/net/statusClient.js';
import { eventually, GiveUp } from './eventually.js';
import type { TestHerd } from './herd.js';

export const HERD_BIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface SpawnOptions {
  /** `herd start` options after the common ones (`--log-level info`, `--data-dir D`, ...). */
  readonly args?: readonly string[];
  /** node options before the script, e.g. `--expose-gc` or `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** The whole environment of the process (default: this one's). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `herd start NAME` for one member of a herd, as an operator runs it: logs in the herd's folder,
 * warnings and worse on the console; stdout and stderr are piped.
 */
export function spawnMember(herd: Pick<TestHerd, 'dir' | 'file'>, name: string, options: SpawnOptions = {}): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      HERD_BIN,
      'start',
      name,
      '--config',
      herd.file,
      '--log-dir',
      herd.dir,
      '--console-level',
      'warn',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env },
  );
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  return child;
}

/**
 * Members still running when this process exits (a test failed before stopping them, and the
 * runner's --test-force-exit ended the file): killed, so that they neither keep the ports that
 * this process claimed nor take CPU from the tests after it.
 */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export class MemberProcesses {
  private readonly running = new Map<string, ChildProcess>();
  private readonly output = new Map<string, string[]>();

  constructor(
    private readonly herd: TestHerd,
    private readonly extraArgs: string[] = [],
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  /** Starts members and waits until each is ready (`/readyz`: places loaded, links tried). */
  async start(...names: string[]): Promise<void> {
    for (const name of names) this.launch(name);
    await Promise.all(names.map((name) => this.waitReady(name)));
  }

  /** Starts a member without waiting for anything. */
  launch(name: string): void {
    const child = spawnMember(this.herd, name, { args: this.extraArgs, env: { ...process.env, ...this.env } });
    const lines: string[] = [];
    this.output.set(name, lines);
    child.stdout!.on('data', (c: Buffer) => lines.push(c.toString()));
    child.stderr!.on('data', (c: Buffer) => lines.push(c.toString()));
    this.running.set(name, child);
  }

  /** kill -9: no chance to say goodbye. */
  async kill(...names: string[]): Promise<void> {
    await Promise.all(names.map((name) => this.signal(name, 'SIGKILL')));
  }

  /** Resolves with the exit code after a signal. */
  async signal(name: string, signal: NodeJS.Signals): Promise<number | null> {
    const child = this.running.get(name);
    if (!child) return null;
    this.running.delete(name);
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  }

  /** The member's process ID, for signals that do not end it (SIGSTOP, SIGCONT). */
  pid(name: string): number {
    return this.running.get(name)!.pid!;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.signal(name, 'SIGKILL')));
  }

  status(name: string): Promise<MemberStatus> {
    return fetchStatus(findMember(this.herd.herd, name), 2_000);
  }

  /** Waits until each named member sees every one of its links up. */
  async waitUntilLinked(...names: string[]): Promise<void> {
    await eventually(async () => (await Promise.all(names.map((n) => this.status(n)))).every((s) => s.neighbours.every((l) => l.connected)));
  }

  /** `/readyz`'s answer: its HTTP status and its text. */
  async readiness(name: string): Promise<{ status: number; text: string }> {
    const member = findMember(this.herd.herd, name);
    const { statusCode, body } = await request(`http://${member.adminHost}:${member.adminPort}/readyz`, { signal: AbortSignal.timeout(2_000) });
    return { status: statusCode, text: await body.text() };
  }

  /** Peak resident memory of a running member, in bytes (Linux /proc). */
  peakRss(name: string): number {
    const pid = this.running.get(name)?.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
  }

  outputOf(name: string): string {
    return (this.output.get(name) ?? []).join('');
  }

  private async waitReady(name: string): Promise<void> {
    await eventually(async () => {
      const child = this.running.get(name);
      if (!child || child.exitCode !== null) throw new GiveUp(`${name} exited during start:\n${this.outputOf(name)}`);
      return (await this.readiness(name)).status === 200;
    }, 60_000);
  }
}

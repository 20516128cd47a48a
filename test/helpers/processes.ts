/** Members as real processes, started the way `herd start NAME` starts them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fetchStatus } from '../../src/cli/mesh.js';
import { findMember } from '../../src/config/herdFile.js';
import type { MemberStatus } from '../../src/net/admin.js';
import type { TestHerd } from './herd.js';

export const HERD_BIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export class MemberProcesses {
  private readonly running = new Map<string, ChildProcess>();
  private readonly output = new Map<string, string[]>();

  constructor(private readonly herd: TestHerd, private readonly extraArgs: string[] = [], private readonly env: NodeJS.ProcessEnv = {}) {}

  /** Starts members and waits until each answers on its admin endpoint. */
  async start(...names: string[]): Promise<void> {
    for (const name of names) {
      const child = spawn(process.execPath, [HERD_BIN, 'start', name, '--config', this.herd.file, '--log-dir', this.herd.dir,
        '--console-level', 'warn', ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
      const lines: string[] = [];
      this.output.set(name, lines);
      child.stdout!.on('data', (c: Buffer) => lines.push(c.toString()));
      child.stderr!.on('data', (c: Buffer) => lines.push(c.toString()));
      this.running.set(name, child);
    }
    await Promise.all(names.map((name) => this.waitReady(name)));
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

  /** Peak resident memory of a running member, in bytes (Linux /proc). */
  peakRss(name: string): number {
    const pid = this.running.get(name)?.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
  }

  outputOf(name: string): string {
    return (this.output.get(name) ?? []).join('');
  }

  private async waitReady(name: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = this.running.get(name);
      if (!child || child.exitCode !== null) throw new Error(`${name} exited during start:\n${this.outputOf(name)}`);
      try {
        await this.status(name);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${name} not ready within ${timeoutMs} ms:\n${this.outputOf(name)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

/** Polls `check` until it returns true or the time is up; returns whether it succeeded. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet: a member may be restarting
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

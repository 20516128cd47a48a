/** Running the built `herd` binary as a user does, and reading what it printed. */
import { spawn, type ChildProcess } from 'node:child_process';
import { HERD_BIN } from './processes.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A hang guard, not a measurement: the command is killed and the test fails past it. */
  readonly hangGuardMs?: number;
}

/** Runs `herd ...args` to its end. */
export function herd(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnHerd(args, options);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (c: Buffer) => stdout.push(c));
  child.stderr!.on('data', (c: Buffer) => stderr.push(c));
  const guardMs = options.hangGuardMs ?? 180_000;
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`herd ${args.join(' ')}: still running after ${guardMs} ms`));
    }, guardMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout: Buffer.concat(stdout).toString('latin1'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}

/** Starts `herd ...args` and leaves it running (stdout and stderr piped). */
export function spawnHerd(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [HERD_BIN, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
}

/** The JSON lines among a member's console output (pino with `--console-format json`). */
export function jsonLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

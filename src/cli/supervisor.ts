/**
 * `herd start --config FILE` without a name: every member of the file in its own child
 * process, output prefixed with the member's name, signals forwarded, done when all stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { HerdConfig } from '../config/herdFile.js';

export interface SuperviseOptions {
  readonly herd: HerdConfig;
  /** The `herd` entry script to run for each member. */
  readonly entry: string;
  /** Options passed on to every member (`--log-dir`, limits, ...). */
  readonly memberArgs: readonly string[];
  readonly out?: NodeJS.WritableStream;
}

/** Resolves with 0 when every member exited cleanly, else 1. */
export function superviseHerd(options: SuperviseOptions): Promise<number> {
  const out = options.out ?? process.stdout;
  const width = Math.max(...options.herd.members.map((m) => m.name.length));
  const children = options.herd.members.map((m) => {
    const child = spawn(process.execPath, [options.entry, 'start', m.name, '--config', options.herd.file, ...options.memberArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `${m.name.padEnd(width)} | `;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => out.write(`${prefix}${line}\n`));
    }
    return { name: m.name, child };
  });
  const forward = (signal: NodeJS.Signals) => children.forEach(({ child }) => child.kill(signal));
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return Promise.all(children.map(({ name, child }) => exitOf(name, child, out))).then((codes) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    return codes.every((c) => c === 0) ? 0 : 1;
  });
}

function exitOf(name: string, child: ChildProcess, out: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      out.write(`${name} exited ${signal ? `on ${signal}` : `with code ${code}`}\n`);
      resolve(code ?? 1);
    });
  });
}

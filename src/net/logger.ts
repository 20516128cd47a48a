/**
 * A member's logger: JSON lines into `<logDir>/<name>.log`, and a copy on the terminal
 * (pretty when stdout is a TTY, JSON lines otherwise, for the supervisor to prefix).
 * Nothing here ever writes to a client socket.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Level, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import type { ConsoleFormat } from './logLevels.js';

export interface MemberLoggerOptions {
  readonly name: string;
  readonly logDir: string;
  readonly level: Level;
  readonly consoleLevel: Level | 'silent';
  /** `auto`: pretty on a TTY, JSON lines otherwise. */
  readonly consoleFormat?: ConsoleFormat;
}

export { CONSOLE_FORMATS, LOG_LEVELS, type ConsoleFormat } from './logLevels.js';

export interface MemberLogger {
  readonly log: Pino;
  /** The last warning or error logged, for `herd mesh` ("12:03:04 link down"), or null. */
  lastProblem(): string | null;
  /** Writes out what is buffered; call before exit. */
  flush(): void;
}


export function createMemberLogger(options: MemberLoggerOptions): MemberLogger {
  mkdirSync(options.logDir, { recursive: true });
  // Synchronous writes of 4 KiB batches: memory stays bounded however fast clients talk (an
  // asynchronous destination buffered hundreds of MiB under a flood), and a slow disk slows
  // the member, which then reads its clients more slowly. A lone line waits at most a second.
  const file = pino.destination({
    dest: join(options.logDir, `${options.name}.log`), sync: true, minLength: 4096, periodicFlush: 1_000,
  });
  const streams: pino.StreamEntry[] = [{ level: options.level, stream: file }];
  if (options.consoleLevel !== 'silent') {
    const format = options.consoleFormat ?? 'auto';
    const isPretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY);
    // Synchronous for the same reason: process.stdout buffers without bound behind a slow pipe.
    const consoleStream = isPretty ? pretty({ colorize: process.stdout.isTTY === true, sync: true, singleLine: true, ignore: 'pid,hostname,member' }) : pino.destination({ dest: 1, sync: true });
    streams.push({ level: options.consoleLevel, stream: consoleStream });
  }
  const lowest = [options.level, options.consoleLevel].filter((l): l is Level => l !== 'silent')
    .sort((a, b) => pino.levels.values[a]! - pino.levels.values[b]!)[0]!;
  let lastProblem: string | null = null;
  const log = pino({
    level: lowest,
    base: { member: options.name },
    hooks: {
      logMethod(args, method, level) {
        if (level >= pino.levels.values.warn!) {
          const msg = args.find((a): a is string => typeof a === 'string') ?? '';
          lastProblem = `${new Date().toISOString().slice(11, 19)} ${msg}`;
        }
        method.apply(this, args);
      },
    },
  }, pino.multistream(streams));
  return { log, lastProblem: () => lastProblem, flush: () => file.flushSync() };
}

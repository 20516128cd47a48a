/**
 * A member's logger: JSON lines into `<logDir>/<name>.<N>.log`, written by a thread of its own
 * (logWriter.ts) and rotated by size (pino-roll: the highest N is the current file; the oldest
 * beyond the kept count are removed), and a copy on the terminal (pretty when stdout is a TTY,
 * JSON lines otherwise, for the supervisor to prefix). Nothing here ever writes to a client
 * socket.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Level, type Logger as Pino } from 'pino';
import { loggedCommands, silentCommands, type CommandLogOf } from './commandLog.js';
import type { ConsoleFormat } from './logLevels.js';
import { LogWriter } from './logWriter.js';

export interface MemberLoggerOptions {
  readonly name: string;
  readonly logDir: string;
  readonly level: Level;
  readonly consoleLevel: Level | 'silent';
  /** `auto`: pretty on a TTY, JSON lines otherwise. */
  readonly consoleFormat?: ConsoleFormat;
  /** A log file is rotated once it holds this many bytes. */
  readonly maxFileBytes?: number;
  /** Rotated files kept besides the current one; older ones are removed. */
  readonly keptFiles?: number;
}

/** One write(2) per 32 KiB of log lines: at 4 KiB the writes were 3-4 % of a busy member's time. */
const LOG_BATCH_BYTES = 32 * 1024;

export const LOG_FILE_DEFAULTS = {
  /** At the default level a busy member logs ~250 bytes per client line. */
  maxFileBytes: 16 * 1024 * 1024,
  keptFiles: 4,
} as const;

export { CONSOLE_FORMATS, LOG_LEVELS, type ConsoleFormat } from './logLevels.js';

export interface MemberLogger {
  readonly log: Pino;
  /** Resolves once the log file is open; rejects, naming it, when it cannot be. */
  readonly ready: Promise<void>;
  /** The last warning or error logged, for `herd mesh` ("12:03:04 link down"), or null. */
  lastProblem(): string | null;
  /** Writes out what is buffered; call before exit. */
  flush(): void;
  /** Writes out what is buffered and stops the log file's thread; later lines go to the console only. */
  close(): void;
  /**
   * How client connections log their commands, as children of `log.child(bindings)`: as raw
   * fields to the log thread when only the file takes info lines (logWriter.ts), through pino
   * when the console takes them too.
   */
  commandLog(bindings: Readonly<Record<string, string | number>>): CommandLogOf;
}

export async function createMemberLogger(options: MemberLoggerOptions): Promise<MemberLogger> {
  mkdirSync(options.logDir, { recursive: true });
  // Written by a thread of its own in batches of 32 KiB (logWriter.ts): memory stays bounded
  // however fast clients talk, and a slow disk still slows the member. pino-roll counts the
  // bytes of each write and reopens the next file past the cap.
  const file = new LogWriter({
    roll: {
      file: join(options.logDir, options.name),
      extension: '.log',
      size: `${options.maxFileBytes ?? LOG_FILE_DEFAULTS.maxFileBytes}b`,
      // Files left by earlier runs count too, so the total stays bounded across restarts. In
      // this mode pino-roll 4.0.0 counts the current file as well.
      limit: { count: (options.keptFiles ?? LOG_FILE_DEFAULTS.keptFiles) + 1, removeOtherLogFiles: true },
    },
    // A small file cap (tests) gets batches of its own size, so that files still rotate.
    batchBytes: Math.min(LOG_BATCH_BYTES, options.maxFileBytes ?? LOG_FILE_DEFAULTS.maxFileBytes),
  });
  const streams: pino.StreamEntry[] = [{ level: options.level, stream: file }];
  if (options.consoleLevel !== 'silent') {
    const format = options.consoleFormat ?? 'auto';
    const isPretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY);
    // Synchronous for the same reason: process.stdout buffers without bound behind a slow pipe.
    // pino-pretty is loaded only when used: a member under the supervisor (or a service
    // manager) writes JSON lines, and loading it costs every start about 65 ms of CPU.
    const consoleStream = isPretty
      ? (await import('pino-pretty')).default({
          colorize: process.stdout.isTTY === true,
          sync: true,
          singleLine: true,
          ignore: 'pid,hostname,member',
        })
      : pino.destination({ dest: 1, sync: true });
    streams.push({ level: options.consoleLevel, stream: consoleStream });
  }
  const lowest = [options.level, options.consoleLevel]
    .filter((l): l is Level => l !== 'silent')
    .sort((a, b) => pino.levels.values[a]! - pino.levels.values[b]!)[0]!;
  let lastProblem: string | null = null;
  const log = pino(
    {
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
    },
    pino.multistream(streams),
  );
  const flush = (): void => file.flush();
  const takesInfo = (level: Level | 'silent') => level !== 'silent' && pino.levels.values[level]! <= pino.levels.values.info!;
  const commandLog = (bindings: Readonly<Record<string, string | number>>): CommandLogOf => {
    if (takesInfo(options.consoleLevel)) return loggedCommands(log.child(bindings));
    return takesInfo(options.level) ? file.commands({ member: options.name, ...bindings }) : silentCommands;
  };
  return { log, ready: file.ready, lastProblem: () => lastProblem, flush, close: () => file.close(), commandLog };
}

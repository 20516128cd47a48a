/**
 * The two lines a member logs at info for every client command: `input` (the line as received)
 * and `reply` (the first line of the answer). They are most of what a busy member logs, two
 * per IAMAT, and issue 12 asks logging at info to cost at most 10 % against warn. Through pino
 * (an object and a JSON serialization per line) they took 2.4 µs per IAMAT, written here 1.5
 * (micro, the member's own logger and log file).
 *
 * So when they go to the log file alone (the default: file at info, console at warn), they are
 * written straight into the file's line batch, byte for byte as pino writes them: the same
 * keys in the same order, strings escaped as JSON, the time in epoch ms (test/command-log
 * checks this against pino itself). Every other line, and these when the console wants them
 * too, go through pino.
 */
import type { Logger } from '../core/ports.js';
import type { LineSink } from './lineBatch.js';

/** What one client connection logs per command. */
export interface CommandLog {
  input(line: string): void;
  /** The reply as sent; only its first line is logged, with its size. */
  reply(reply: Buffer): void;
}

/** The command log of connection number `conn`. */
export type CommandLogOf = (conn: number) => CommandLog;

/** Through pino (or any Logger): a child per connection carries its number. */
export function loggedCommands(log: Logger): CommandLogOf {
  return (conn) => {
    const connLog = log.child ? log.child({ conn }) : log;
    return {
      input: (line) => connLog.info({ line }, 'input'),
      reply: (reply) => connLog.info({ reply: firstLine(reply), bytes: reply.length }, 'reply'),
    };
  };
}

/**
 * Straight into `sink`, as pino writes a child logger's info lines. `bindings` are all the
 * logger's bindings in order (its base first: `{ member }`, then each child's), as pino
 * serializes them once per logger; `conn` follows them, as in a child of that logger.
 */
export function directCommands(sink: LineSink, bindings: Readonly<Record<string, string | number>>): CommandLogOf {
  const bound = Object.entries(bindings)
    .map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join('');
  return (conn) => {
    const head = `${bound},"conn":${conn}`;
    return {
      input: (line) => sink.write(`{"level":30,"time":${Date.now()}${head},"line":${JSON.stringify(line)},"msg":"input"}\n`),
      reply: (reply) =>
        sink.write(`{"level":30,"time":${Date.now()}${head},"reply":${JSON.stringify(firstLine(reply))},"bytes":${reply.length},"msg":"reply"}\n`),
    };
  };
}

/** Logs nothing: info is off everywhere, so not even the reply's first line is cut. */
export const silentCommands: CommandLogOf = () => ({ input: () => {}, reply: () => {} });

/** A reply's first line, without its newline (replies are latin1 text). */
function firstLine(reply: Buffer): string {
  const newline = reply.indexOf(0x0a);
  return reply.toString('latin1', 0, newline === -1 ? reply.length : newline);
}

/**
 * The two lines a member logs at info for every client command: `input` (the line as received)
 * and `reply` (the first line of the answer). They are most of what a busy member logs, two
 * per IAMAT. When they go to the log file alone (the default: file at info, console at warn),
 * the log writer takes their raw fields and formats them on its own thread (logWriter.ts);
 * when the console wants them too, they go through pino like every other line.
 */
import type { Logger } from '../core/ports.js';

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

/** Logs nothing: info is off everywhere, so not even the reply's first line is cut. */
export const silentCommands: CommandLogOf = () => ({ input: () => {}, reply: () => {} });

/** A reply's first line, without its newline (replies are latin1 text). */
function firstLine(reply: Buffer): string {
  const newline = reply.indexOf(0x0a);
  return reply.toString('latin1', 0, newline === -1 ? reply.length : newline);
}

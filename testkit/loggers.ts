/**
 * Loggers for code under test: one that drops everything, one that keeps every entry. Neither has
 * `child`: the code then logs to the logger it was given, so a test sees its components' entries too.
 */
import type { Logger } from '../src/core/ports.js';

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg?: string;
}

/** A logger that appends each entry to `entries` (a new array unless given). */
export function capturingLog(entries: LogEntry[] = []): Logger & { readonly entries: LogEntry[] } {
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

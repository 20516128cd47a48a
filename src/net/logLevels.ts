/**
 * The names the logger's options take, apart from the logger itself: the CLI checks its
 * options against them without loading pino.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

export const CONSOLE_FORMATS = ['auto', 'pretty', 'json'] as const;
export type ConsoleFormat = (typeof CONSOLE_FORMATS)[number];

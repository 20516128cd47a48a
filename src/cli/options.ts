/** Option parsers for commander: each rejects a bad value with a one-line message naming it. */
import { InvalidArgumentError } from 'commander';
import { parsePositiveInteger } from '../config/settings.js';
import { parseCidr } from '../net/p2p/addresses.js';

export function positiveInteger(value: string): number {
  const n = parsePositiveInteger(value);
  if (n === undefined) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function portNumber(value: string): number {
  const port = positiveInteger(value);
  if (port > 65535) throw new InvalidArgumentError(`expected a port 1-65535, got "${value}"`);
  return port;
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(', ')}, got "${value}"`);
    }
    return value as T;
  };
}

/**
 * The client line cap. Other members accept records up to 64 KiB of client id, so a larger cap
 * would let one member store records that the rest of the herd rejects.
 */
export function lineCap(value: string): number {
  const bytes = positiveInteger(value);
  if (bytes < 64 || bytes > 65536) throw new InvalidArgumentError(`expected 64-65536 bytes, got "${value}"`);
  return bytes;
}

/** Comma-separated CIDRs or addresses (`--p2p-allow-from`). */
export function cidrList(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new InvalidArgumentError(`expected CIDRs or addresses, comma-separated, got "${value}"`);
  for (const entry of entries) {
    try {
      parseCidr(entry);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  }
  return entries;
}

/** A share of a member's time, above 0 and at most 1 (`--pacing-target-load`), in decimal digits. */
export function loadShare(value: string): number {
  const share = /^(?:\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!(share > 0 && share <= 1)) throw new InvalidArgumentError(`expected a share above 0 and at most 1, got "${value}"`);
  return share;
}

/** A log file size cap: at least 4 KiB, so that a file holds more than a line or two. */
export function logSize(value: string): number {
  const bytes = positiveInteger(value);
  if (bytes < 4096) throw new InvalidArgumentError(`expected at least 4096 bytes, got "${value}"`);
  return bytes;
}

/**
 * Exact POSIX-time arithmetic. Client times are compared and subtracted as integer
 * nanoseconds (bigint) so that `1621464827.959498503` never loses its last digits to a
 * binary float.
 */
import { isDigit, latin1Bytes } from './latin1.js';

export const NANOS_PER_SECOND = 1_000_000_000n;

// `SECONDS[.FRACTION]`: up to 9 fraction digits is nanosecond precision, as the protocol
// allows. Leading zeros are read by value; the seconds must be below 10^18 (year ~3e10): a
// member's time minus such a time fits the 19 digits every member accepts in an AT line's
// difference field.
export const MAX_TIME_SECONDS_DIGITS = 18;
const MAX_FRACTION_DIGITS = 9;

/** Parses `SECONDS[.FRACTION]` into nanoseconds, or returns undefined when it is not one. */
export function parsePosixTime(text: string): bigint | undefined {
  if (!isPosixTime(text)) return undefined;
  const dot = dotOrEnd(text);
  const fraction = BigInt(text.slice(dot + 1).padEnd(MAX_FRACTION_DIGITS, '0'));
  return BigInt(text.slice(0, dot)) * NANOS_PER_SECOND + fraction;
}

/**
 * Whether `text` is a time parsePosixTime accepts, without building its bigint: a member checks
 * the time of every record, and only compares it (compareTimeTexts) afterwards.
 */
export function isPosixTime(text: string): boolean {
  const bytes = latin1Bytes(text);
  return bytes !== undefined && isPosixTimeBytes(bytes, 0, text.length);
}

/** isPosixTime of the latin1 text `bytes[start, end)`. */
export function isPosixTimeBytes(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && bytes[i] === ZERO) i++;
  const significant = i;
  while (i < end && isDigit(bytes[i]!)) i++;
  if (i === start || i - significant > MAX_TIME_SECONDS_DIGITS) return false;
  if (i === end) return true;
  if (bytes[i] !== DOT) return false;
  const fraction = ++i;
  while (i < end && isDigit(bytes[i]!)) i++;
  return i === end && i > fraction && i - fraction <= MAX_FRACTION_DIGITS;
}

/**
 * Orders two POSIX time texts (as parsePosixTime accepts) by the instants they name: negative,
 * zero or positive, exactly as comparing their nanoseconds would, but without building bigints,
 * so the store can compare against the time text inside a stored AT line on every offer.
 */
export function compareTimeTexts(a: string, b: string): number {
  // Times are digits and a dot, so their latin1 bytes are their characters.
  if (timePair.length < a.length + b.length) timePair = Buffer.allocUnsafeSlow(a.length + b.length);
  timePair.write(a, 0, 'latin1');
  timePair.write(b, a.length, 'latin1');
  return compareTimeBytes(timePair, 0, a.length, timePair, a.length, a.length + b.length);
}

/** Where compareTimeTexts puts its two times side by side; grown for longer ones. */
let timePair = Buffer.allocUnsafeSlow(64);

/**
 * compareTimeTexts of two times given as latin1 bytes, `a[aStart, aEnd)` and `b[bStart, bEnd)`:
 * the store compares a gossip record's time with the time inside a stored line, both bytes.
 */
export function compareTimeBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): number {
  const aDot = byteDotOrEnd(a, aStart, aEnd);
  const bDot = byteDotOrEnd(b, bStart, bEnd);
  // Whole seconds: without leading zeros, more digits is larger; equal lengths compare digitwise.
  let i = aStart;
  let j = bStart;
  while (i < aDot && a[i] === ZERO) i++;
  while (j < bDot && b[j] === ZERO) j++;
  if (aDot - i !== bDot - j) return aDot - i - (bDot - j);
  for (; i < aDot; i++, j++) {
    if (a[i] !== b[j]) return a[i]! - b[j]!;
  }
  // Fractions digit by digit, a missing digit counting as 0.
  for (i = aDot + 1, j = bDot + 1; i < aEnd || j < bEnd; i++, j++) {
    const d = (i < aEnd ? a[i]! : ZERO) - (j < bEnd ? b[j]! : ZERO);
    if (d !== 0) return d;
  }
  return 0;
}

function byteDotOrEnd(bytes: Uint8Array, start: number, end: number): number {
  let at = start;
  while (at < end && bytes[at] !== DOT) at++;
  return at;
}

const ZERO = 0x30;
const DOT = 0x2e;

function dotOrEnd(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? text.length : dot;
}

/** Formats a nanosecond difference as an explicit sign and exactly 9 decimals: `+0.263873386`. */
export function formatSignedSeconds(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '+';
  const magnitude = nanos < 0n ? -nanos : nanos;
  const whole = magnitude / NANOS_PER_SECOND;
  const fraction = (magnitude % NANOS_PER_SECOND).toString().padStart(9, '0');
  return `${sign}${whole}.${fraction}`;
}

const SIGNED_SECONDS = /^([+-])(\d{1,19})\.(\d{9})$/;

/** The inverse of formatSignedSeconds: `+0.263873386` into nanoseconds. */
export function parseSignedSeconds(text: string): bigint | undefined {
  const match = SIGNED_SECONDS.exec(text);
  if (!match) return undefined;
  const magnitude = BigInt(match[2]!) * NANOS_PER_SECOND + BigInt(match[3]!);
  return match[1] === '-' ? -magnitude : magnitude;
}

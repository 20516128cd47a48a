/**
 * Exact POSIX-time arithmetic. Client times are compared and subtracted as integer
 * nanoseconds (bigint) so that `1621464827.959498503` never loses its last digits to a
 * binary float.
 */

export const NANOS_PER_SECOND = 1_000_000_000n;

// Up to 9 fraction digits is nanosecond precision, as the protocol allows. Leading zeros are
// read by value; the seconds must be below 10^18 (year ~3e10): a member's time minus such a
// time fits the 19 digits every member accepts in an AT line's difference field.
const POSIX_TIME = /^(\d+)(?:\.(\d{1,9}))?$/;
export const MAX_TIME_SECONDS_DIGITS = 18;

/** Parses `SECONDS[.FRACTION]` into nanoseconds, or returns undefined when it is not one. */
export function parsePosixTime(text: string): bigint | undefined {
  const match = POSIX_TIME.exec(text);
  if (!match || !wholeSecondsFit(text)) return undefined;
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return BigInt(match[1]!) * NANOS_PER_SECOND + fraction;
}

/**
 * Whether `text` is a time parsePosixTime accepts, without building its bigint: a member checks
 * the time of every record a peer sends, and only compares it (compareTimeTexts) afterwards.
 */
export function isPosixTime(text: string): boolean {
  return POSIX_TIME.test(text) && wholeSecondsFit(text);
}

/**
 * The whole seconds, leading zeros aside, have at most MAX_TIME_SECONDS_DIGITS digits (for a
 * text that matches POSIX_TIME: parseAtLine checks its shape in the line's one pattern).
 */
export function wholeSecondsFit(text: string): boolean {
  const dot = dotOrEnd(text);
  return dot - leadingZeros(text, dot) <= MAX_TIME_SECONDS_DIGITS;
}

/**
 * Orders two POSIX time texts (as parsePosixTime accepts) by the instants they name: negative,
 * zero or positive, exactly as comparing their nanoseconds would, but without building bigints,
 * so the store can compare against the time text inside a stored AT line on every offer.
 */
export function compareTimeTexts(a: string, b: string): number {
  const aDot = dotOrEnd(a);
  const bDot = dotOrEnd(b);
  // Whole seconds: without leading zeros, more digits is larger; equal lengths compare digitwise.
  let i = leadingZeros(a, aDot);
  let j = leadingZeros(b, bDot);
  if (aDot - i !== bDot - j) return aDot - i - (bDot - j);
  for (; i < aDot; i++, j++) {
    if (a.charCodeAt(i) !== b.charCodeAt(j)) return a.charCodeAt(i) - b.charCodeAt(j);
  }
  // Fractions digit by digit, a missing digit counting as 0.
  for (i = aDot + 1, j = bDot + 1; i < a.length || j < b.length; i++, j++) {
    const d = (i < a.length ? a.charCodeAt(i) : ZERO) - (j < b.length ? b.charCodeAt(j) : ZERO);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * compareTimeTexts(a, b) where b is given as its latin1 bytes, `bytes[start, end)`: the store
 * compares a record's time against the time inside a stored line without making it a string.
 */
export function compareTimeTextToBytes(a: string, bytes: Uint8Array, start: number, end: number): number {
  const aDot = dotOrEnd(a);
  let bDot = start;
  while (bDot < end && bytes[bDot] !== DOT) bDot++;
  let i = leadingZeros(a, aDot);
  let j = start;
  while (j < bDot && bytes[j] === ZERO) j++;
  if (aDot - i !== bDot - j) return aDot - i - (bDot - j);
  for (; i < aDot; i++, j++) {
    if (a.charCodeAt(i) !== bytes[j]) return a.charCodeAt(i) - bytes[j]!;
  }
  for (i = aDot + 1, j = bDot + 1; i < a.length || j < end; i++, j++) {
    const d = (i < a.length ? a.charCodeAt(i) : ZERO) - (j < end ? bytes[j]! : ZERO);
    if (d !== 0) return d;
  }
  return 0;
}

const ZERO = 0x30;
const DOT = 0x2e;

function dotOrEnd(text: string): number {
  const dot = text.indexOf('.');
  return dot === -1 ? text.length : dot;
}

function leadingZeros(text: string, end: number): number {
  let i = 0;
  while (i < end && text.charCodeAt(i) === ZERO) i++;
  return i;
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

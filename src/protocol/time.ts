/**
 * Exact POSIX-time arithmetic. Client times are compared and subtracted as integer
 * nanoseconds (bigint) so that `1621464827.959498503` never loses its last digits to a
 * binary float.
 */

export const NANOS_PER_SECOND = 1_000_000_000n;

// Up to 18 integer digits (year ~3e10) keeps hostile lines from building huge bigints;
// up to 9 fraction digits is nanosecond precision, as the protocol allows.
const POSIX_TIME = /^(\d{1,18})(?:\.(\d{1,9}))?$/;

/** Parses `SECONDS[.FRACTION]` into nanoseconds, or returns undefined when it is not one. */
export function parsePosixTime(text: string): bigint | undefined {
  const match = POSIX_TIME.exec(text);
  if (!match) return undefined;
  const seconds = BigInt(match[1]!);
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return seconds * NANOS_PER_SECOND + fraction;
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

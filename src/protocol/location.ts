/** ISO 6709 decimal-degree locations as the protocol writes them: `+34.068930-118.445127`. */
import { compareWithInteger, parseDecimal, toNumber, type Decimal } from './decimal.js';
import { isDigit, latin1Bytes } from './latin1.js';

export interface Coordinates {
  readonly lat: number;
  readonly lng: number;
}

// Each part has a mandatory sign and an optional fraction. Digits are not counted: leading
// zeros and long fractions are read by value (the line cap bounds them, and the regex and the
// comparisons are linear).
const ISO_6709 = /^([+-])(\d+(?:\.\d+)?)([+-])(\d+(?:\.\d+)?)$/;

/** Parses a location, checking the ranges exactly (so `+90.000000000000000001` is out). */
export function parseLocation(text: string): Coordinates | undefined {
  const match = ISO_6709.exec(text);
  if (!match) return undefined;
  const lat = parseDecimal(match[2]!)!;
  const lng = parseDecimal(match[4]!)!;
  if (compareWithInteger(lat, 90) > 0 || compareWithInteger(lng, 180) > 0) return undefined;
  return { lat: signed(match[1]!, lat), lng: signed(match[3]!, lng) };
}

/**
 * Whether `text` is a location parseLocation accepts, without building its numbers: a member
 * checks the location of every record, and never reads it as numbers.
 */
export function isLocation(text: string): boolean {
  const bytes = latin1Bytes(text);
  return bytes !== undefined && isLocationBytes(bytes, 0, text.length);
}

/** isLocation of the latin1 text `bytes[start, end)`: a gossip record's, checked where it arrived. */
export function isLocationBytes(bytes: Uint8Array, start: number, end: number): boolean {
  const longitudeAt = degreesEnd(bytes, start, end, 90);
  return longitudeAt !== -1 && degreesEnd(bytes, longitudeAt, end, 180) === end;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;

/** Where the part `[+-]DIGITS[.DIGITS]` starting at `from` ends, or -1 if it is not one or its value is above `limit`. */
function degreesEnd(bytes: Uint8Array, from: number, end: number, limit: number): number {
  const sign = bytes[from];
  if (from >= end || (sign !== PLUS && sign !== MINUS)) return -1;
  let i = from + 1;
  let whole = 0;
  for (; i < end && isDigit(bytes[i]!); i++) whole = Math.min(whole * 10 + bytes[i]! - ZERO, limit + 1);
  if (i === from + 1) return -1;
  let fractionIsZero = true;
  if (i < end && bytes[i] === DOT) {
    const fractionStart = ++i;
    for (; i < end && isDigit(bytes[i]!); i++) fractionIsZero &&= bytes[i] === ZERO;
    if (i === fractionStart) return -1;
  }
  return whole < limit || (whole === limit && fractionIsZero) ? i : -1;
}

function signed(sign: string, degrees: Decimal): number {
  const magnitude = toNumber(degrees);
  // `-0` would print as 0 in JSON anyway; keep it a plain zero.
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

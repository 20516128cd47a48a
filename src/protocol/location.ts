/** ISO 6709 decimal-degree locations as the protocol writes them: `+34.068930-118.445127`. */
import { compareWithInteger, parseDecimal, toNumber, type Decimal } from './decimal.js';

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

function signed(sign: string, degrees: Decimal): number {
  const magnitude = toNumber(degrees);
  // `-0` would print as 0 in JSON anyway; keep it a plain zero.
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

/** ISO 6709 decimal-degree locations as the protocol writes them: `+34.068930-118.445127`. */

export interface Coordinates {
  readonly lat: number;
  readonly lng: number;
}

// Each part has a mandatory sign and an optional fraction; digit counts are capped so a
// hostile line cannot make us parse a thousand-digit number.
const ISO_6709 = /^([+-])(\d{1,3})(?:\.(\d{1,20}))?([+-])(\d{1,3})(?:\.(\d{1,20}))?$/;

/** Parses a location, checking the ranges exactly (so `+90.000000000000000001` is out). */
export function parseLocation(text: string): Coordinates | undefined {
  const match = ISO_6709.exec(text);
  if (!match) return undefined;
  const [, latSign, latInt, latFrac = '', lngSign, lngInt, lngFrac = ''] = match;
  if (!withinDegrees(latInt!, latFrac, 90) || !withinDegrees(lngInt!, lngFrac, 180)) return undefined;
  return {
    lat: signed(latSign!, latInt!, latFrac),
    lng: signed(lngSign!, lngInt!, lngFrac),
  };
}

function withinDegrees(whole: string, fraction: string, limit: number): boolean {
  const degrees = Number(whole);
  if (degrees !== limit) return degrees < limit;
  return /^0*$/.test(fraction);
}

function signed(sign: string, whole: string, fraction: string): number {
  const magnitude = Number(fraction ? `${whole}.${fraction}` : whole);
  // `-0` would print as 0 in JSON anyway; keep it a plain zero.
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

/**
 * Parsing of client command lines. Lines are `latin1` strings so that every byte a client
 * sent maps to one character and back: ids are copied verbatim, whatever their encoding.
 */
import { compareWithInteger, isZero, parseDecimal, parseDigits, toNumber } from './decimal.js';
import { isLocation } from './location.js';
import { parsePosixTime } from './time.js';

export interface IamatCommand {
  readonly kind: 'IAMAT';
  readonly client: string;
  /** Checked, and kept as text: the AT line repeats it, and no member reads it as numbers. */
  readonly location: string;
  readonly timeText: string;
  readonly timeNanos: bigint;
}

export interface WhatsatCommand {
  readonly kind: 'WHATSAT';
  readonly client: string;
  readonly radiusKm: number;
  readonly bound: number;
}

/** Anything that is not a valid command; answered with `? ` and the line as received. */
export interface InvalidCommand {
  readonly kind: 'INVALID';
  readonly line: string;
}

/** A line of only white space: ignored, never answered. */
export interface BlankLine {
  readonly kind: 'BLANK';
}

export type Command = IamatCommand | WhatsatCommand | InvalidCommand | BlankLine;

export const MAX_RADIUS_KM = 50;
export const MAX_BOUND = 20;

// The protocol's white space is exactly these six ASCII characters; `\s` would also
// accept Unicode spaces, which are valid inside a client id.
const WHITE_SPACE = /[ \t\r\n\f\v]+/;
const EDGE_WHITE_SPACE = /^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g;

export function parseCommand(line: string): Command {
  const trimmed = line.replace(EDGE_WHITE_SPACE, '');
  if (trimmed === '') return { kind: 'BLANK' };
  const fields = trimmed.split(WHITE_SPACE);
  const command =
    fields.length !== 4
      ? undefined
      : fields[0] === 'IAMAT'
        ? parseIamat(fields[1]!, fields[2]!, fields[3]!)
        : fields[0] === 'WHATSAT'
          ? parseWhatsat(fields[1]!, fields[2]!, fields[3]!)
          : undefined;
  return command ?? { kind: 'INVALID', line };
}

function parseIamat(client: string, location: string, timeText: string): IamatCommand | undefined {
  const timeNanos = parsePosixTime(timeText);
  if (!isLocation(location) || timeNanos === undefined) return undefined;
  return { kind: 'IAMAT', client, location, timeText, timeNanos };
}

/** Radius and bound are taken by value: `050`, `50.000000`, `0.0000000000001`, `00020`. */
function parseWhatsat(client: string, radiusText: string, boundText: string): WhatsatCommand | undefined {
  const radius = parseDecimal(radiusText);
  const bound = parseDigits(boundText);
  if (!radius || isZero(radius) || compareWithInteger(radius, MAX_RADIUS_KM) > 0) return undefined;
  if (bound === undefined || bound === '' || bound.length > 2 || Number(bound) > MAX_BOUND) return undefined;
  // A radius too small for a double (0.000...0001 with hundreds of zeros) asks for the smallest.
  return { kind: 'WHATSAT', client, radiusKm: toNumber(radius) || Number.MIN_VALUE, bound: Number(bound) };
}

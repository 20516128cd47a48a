/**
 * Location records and their wire codec between members.
 *
 * A record is exactly what an AT line says, so the codec is the AT line itself: a batch is
 * AT lines separated by newlines, in `latin1` so every byte survives the trip. Client ids
 * never contain white space, so the encoding is unambiguous and needs no escaping.
 */
import { parseLocation } from './location.js';
import { formatAtLine, type AtFields } from './reply.js';
import { parsePosixTime } from './time.js';

export interface LocationRecord extends AtFields {
  /** The client's time as integer nanoseconds, for exact comparison. */
  readonly timeNanos: bigint;
  /** The AT line as the receiving member first produced it. */
  readonly atLine: string;
}

/** Room for a client id as long as the default line cap plus the member's own fields. */
export const MAX_RECORD_LINE_BYTES = 64 * 1024 + 256;

const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DIFFERENCE = /^[+-]\d{1,19}\.\d{9}$/;
const NON_WHITE_SPACE = /^[^ \t\r\n\f\v]+$/;

export function makeRecord(at: AtFields & { readonly timeNanos: bigint }): LocationRecord {
  return { ...at, atLine: formatAtLine(at) };
}

/** Parses one AT line into a record, or undefined if any field is malformed. */
export function parseAtLine(line: string): LocationRecord | undefined {
  if (line.length > MAX_RECORD_LINE_BYTES) return undefined;
  const fields = line.split(' ');
  if (fields.length !== 6 || fields[0] !== 'AT') return undefined;
  const [, member, difference, client, location, timeText] = fields as [string, string, string, string, string, string];
  if (!MEMBER_NAME.test(member) || !DIFFERENCE.test(difference) || !NON_WHITE_SPACE.test(client)) return undefined;
  if (!parseLocation(location)) return undefined;
  const timeNanos = parsePosixTime(timeText);
  if (timeNanos === undefined) return undefined;
  return { member, difference, client, location, timeText, timeNanos, atLine: line };
}

/**
 * The record a stored AT line stands for. Unchecked: the line must be one that makeRecord or
 * parseAtLine produced, so its six fields are there and its time parses.
 */
export function recordOf(atLine: string): LocationRecord {
  const [, member, difference, client, location, timeText] = atLine.split(' ') as [string, string, string, string, string, string];
  return { member, difference, client, location, timeText, timeNanos: parsePosixTime(timeText)!, atLine };
}

/**
 * A copy of a latin1 string (all wire text is latin1) in memory of its own. A substring V8
 * hands out (split, slice) may be a view that keeps its whole parent alive: a gossip batch, a
 * record log, a socket line; and a string built by concatenation (formatAtLine) is a tree of
 * its parts. The store holds its strings for as long as a client lives, so it holds copies.
 * Writing through one scratch buffer was the cheapest true copy measured (~150-300 ns for an
 * AT line; see bench/store-memory.ts).
 */
export function detached(text: string): string {
  const bytes = text.length <= scratch.length ? scratch : Buffer.allocUnsafe(text.length);
  const length = bytes.write(text, 0, 'latin1');
  return bytes.toString('latin1', 0, length);
}

const scratch = Buffer.allocUnsafe(MAX_RECORD_LINE_BYTES);

export function encodeRecords(records: readonly LocationRecord[]): Uint8Array {
  return encodeLines(records.map((r) => r.atLine));
}

/** A batch of AT lines as bytes: the lines joined by newlines, in latin1. */
export function encodeLines(atLines: readonly string[]): Uint8Array {
  return Buffer.from(atLines.join('\n'), 'latin1');
}

/** The AT lines of a batch, unparsed (the inverse of `encodeLines`). */
export function batchLines(bytes: Uint8Array): string[] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1').split('\n');
}

/** Decodes a batch; a single malformed record makes the whole batch invalid. */
export function decodeRecords(bytes: Uint8Array): LocationRecord[] | undefined {
  if (bytes.length === 0) return undefined;
  const records: LocationRecord[] = [];
  for (const line of batchLines(bytes)) {
    const record = parseAtLine(line);
    if (!record) return undefined;
    records.push(record);
  }
  return records;
}

/** The bytes a record takes in a batch, for size caps. */
export function encodedSize(record: LocationRecord): number {
  return record.atLine.length + 1;
}

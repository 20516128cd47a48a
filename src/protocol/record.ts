/**
 * Location records and their wire codec between members.
 *
 * A record is exactly what an AT line says, so the codec is the AT line itself: a batch is
 * AT lines separated by newlines, in `latin1` so every byte survives the trip. Client ids
 * never contain white space, so the encoding is unambiguous and needs no escaping.
 */
import { parseLocation } from './location.js';
import { formatAtLine, type AtFields } from './reply.js';
import { isPosixTime } from './time.js';

/** Times compare as texts (compareTimeTexts): a peer's record is never turned into a bigint. */
export interface LocationRecord extends AtFields {
  /** The AT line as the receiving member first produced it. */
  readonly atLine: string;
}

/** Room for a client id as long as the default line cap plus the member's own fields. */
export const MAX_RECORD_LINE_BYTES = 64 * 1024 + 256;

const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DIFFERENCE = /^[+-]\d{1,19}\.\d{9}$/;
const NON_WHITE_SPACE = /^[^ \t\r\n\f\v]+$/;

export function makeRecord(at: AtFields): LocationRecord {
  const { member, difference, client, location, timeText } = at;
  return { member, difference, client, location, timeText, atLine: formatAtLine(at) };
}

/** Parses one AT line into a record, or undefined if any field is malformed. */
export function parseAtLine(line: string): LocationRecord | undefined {
  if (line.length > MAX_RECORD_LINE_BYTES) return undefined;
  const fields = splitAtLine(line);
  if (!fields) return undefined;
  const [, member, difference, client, location, timeText] = fields;
  if (!MEMBER_NAME.test(member) || !DIFFERENCE.test(difference) || !NON_WHITE_SPACE.test(client)) return undefined;
  if (!parseLocation(location)) return undefined;
  if (!isPosixTime(timeText)) return undefined;
  return { member, difference, client, location, timeText, atLine: line };
}

/**
 * The record a stored AT line stands for. Unchecked: the line must be one that makeRecord or
 * parseAtLine produced, so its six fields are there and its time parses.
 */
export function recordOf(atLine: string): LocationRecord {
  const [, member, difference, client, location, timeText] = splitAtLine(atLine)!;
  return { member, difference, client, location, timeText, atLine };
}

type AtLineParts = readonly [at: 'AT', member: string, difference: string, client: string, location: string, timeText: string];

/** `AT` and the five fields, cut at single spaces; undefined if the line is not that shape. */
function splitAtLine(line: string): AtLineParts | undefined {
  const parts = line.split(' ');
  return parts.length === 6 && parts[0] === 'AT' ? (parts as unknown as AtLineParts) : undefined;
}

/**
 * An AT line's client (its fourth field, `AT member difference client ...`), if it has one.
 * Found without splitting the line: the store asks this of every line a peer offers.
 */
export function atLineClient(atLine: string): string | undefined {
  let space = -1;
  for (let field = 0; field < 3; field++) {
    space = atLine.indexOf(' ', space + 1);
    if (space === -1) return undefined;
  }
  const end = atLine.indexOf(' ', space + 1);
  return end === -1 ? undefined : atLine.slice(space + 1, end);
}

/** An AT line's last field is the client's time. */
export function atLineTimeText(atLine: string): string {
  return atLine.slice(atLine.lastIndexOf(' ') + 1);
}

/**
 * When the origin member got an AT line's record, in POSIX seconds: the client's time (the
 * last field) plus the difference it saw (the third). A binary float, within a microsecond:
 * plenty for delays and settle times.
 */
export function receivedSeconds(atLine: string): number {
  const second = atLine.indexOf(' ', atLine.indexOf(' ') + 1);
  return Number(atLineTimeText(atLine)) + Number(atLine.slice(second + 1, atLine.indexOf(' ', second + 1)));
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

/**
 * Location records and their wire codec between members.
 *
 * A record is exactly what an AT line says, so the codec is the AT line itself: a batch is
 * AT lines separated by newlines, in `latin1` so every byte survives the trip. Client ids
 * never contain white space, so the encoding is unambiguous and needs no escaping.
 */
import { isLocation } from './location.js';
import { formatAtLine, type AtFields } from './reply.js';
import { wholeSecondsFit } from './time.js';

/** Times compare as texts (compareTimeTexts): a peer's record is never turned into a bigint. */
export interface LocationRecord extends AtFields {
  /** The AT line as the receiving member first produced it. */
  readonly atLine: string;
}

/** Room for a client id as long as the default line cap plus the member's own fields. */
export const MAX_RECORD_LINE_BYTES = 64 * 1024 + 256;

/**
 * An AT line's shape, each field checked but the location's and the time's ranges: the member
 * name, a difference with exactly 9 decimals, a client id without white space, a location
 * without spaces (isLocation reads it), and a time as time.ts's POSIX_TIME. One pattern for
 * the line costs a member a quarter less per record than one per field (every record a peer
 * sends is parsed).
 */
const AT_LINE = /^AT [A-Za-z0-9][A-Za-z0-9_.-]{0,63} [+-]\d{1,19}\.\d{9} [^ \t\r\n\f\v]+ [^ ]+ \d+(?:\.\d{1,9})?$/;

export function makeRecord(at: AtFields): LocationRecord {
  const { member, difference, client, location, timeText } = at;
  return { member, difference, client, location, timeText, atLine: formatAtLine(at) };
}

/**
 * Parses one AT line into a record, or undefined if any field is malformed. Every record a
 * peer sends comes through here, so the fields are checked in place: no numbers are built.
 */
export function parseAtLine(line: string): LocationRecord | undefined {
  if (line.length > MAX_RECORD_LINE_BYTES || !AT_LINE.test(line)) return undefined;
  const r = cutAtLine(line)!;
  return isLocation(r.location) && wholeSecondsFit(r.timeText) ? r : undefined;
}

/**
 * The record a stored AT line stands for. Unchecked: the line must be one that makeRecord or
 * parseAtLine produced, so its six fields are there and its time parses.
 */
export function recordOf(atLine: string): LocationRecord {
  return cutAtLine(atLine)!;
}

/**
 * `AT` and the five fields, cut at single spaces, unchecked; undefined if the line is not that
 * shape. The spaces are found with indexOf: a split array per record was garbage to collect.
 */
function cutAtLine(atLine: string): LocationRecord | undefined {
  if (!atLine.startsWith('AT ')) return undefined;
  const s2 = atLine.indexOf(' ', 3);
  const s3 = s2 === -1 ? -1 : atLine.indexOf(' ', s2 + 1);
  const s4 = s3 === -1 ? -1 : atLine.indexOf(' ', s3 + 1);
  const s5 = s4 === -1 ? -1 : atLine.indexOf(' ', s4 + 1);
  if (s5 === -1 || atLine.indexOf(' ', s5 + 1) !== -1) return undefined;
  return {
    member: atLine.slice(3, s2),
    difference: atLine.slice(s2 + 1, s3),
    client: atLine.slice(s3 + 1, s4),
    location: atLine.slice(s4 + 1, s5),
    timeText: atLine.slice(s5 + 1),
    atLine,
  };
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

export function encodeRecords(records: readonly LocationRecord[]): Uint8Array {
  return encodeLines(records.map((r) => r.atLine));
}

/** A batch of AT lines as bytes: the lines joined by newlines, in latin1. */
export function encodeLines(atLines: readonly string[]): Uint8Array {
  return Buffer.from(atLines.join('\n'), 'latin1');
}

/**
 * The AT lines of a batch, unparsed (the inverse of `encodeLines`). The lines are views of the
 * batch's text: the store copies the bytes of what it keeps, so nothing holds a batch for long.
 */
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

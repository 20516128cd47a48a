/**
 * Location records and their wire codec between members.
 *
 * A record is exactly what an AT line says, so the codec is the AT line itself: a batch is
 * AT lines separated by newlines, in `latin1` so every byte survives the trip. Client ids
 * never contain white space, so the encoding is unambiguous and needs no escaping.
 */
import { isAtLine, MAX_RECORD_LINE_BYTES } from './atLine.js';
import { latin1Bytes } from './latin1.js';
import { formatAtLine, type AtFields } from './reply.js';

/** Times compare as texts (compareTimeTexts): a peer's record is never turned into a bigint. */
export interface LocationRecord extends AtFields {
  /** The AT line as the receiving member first produced it. */
  readonly atLine: string;
}

export { MAX_RECORD_LINE_BYTES } from './atLine.js';

export function makeRecord(at: AtFields): LocationRecord {
  const { member, difference, client, location, timeText } = at;
  return { member, difference, client, location, timeText, atLine: formatAtLine(at) };
}

/** Parses one AT line into a record, or undefined if any field is malformed (see isAtLine). */
export function parseAtLine(line: string): LocationRecord | undefined {
  if (line.length > MAX_RECORD_LINE_BYTES) return undefined;
  const bytes = latin1Bytes(line);
  return bytes !== undefined && isAtLine(bytes, 0, line.length) ? cutAtLine(line) : undefined;
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

/** The AT line of a batch that starts at `start` (the first line by default). */
export function batchLine(bytes: Uint8Array, start = 0): string {
  const newline = bytes.indexOf(0x0a, start);
  const end = newline === -1 ? bytes.byteLength : newline;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
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

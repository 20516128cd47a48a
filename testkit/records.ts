/** Location records for tests and the bench, built as a member would store them. */
import { makeRecord, parseAtLine, type LocationRecord } from '../src/protocol/record.js';
import { parsePosixTime } from '../src/protocol/time.js';

export interface RecordFields {
  readonly member?: string;
  readonly difference?: string;
  readonly location?: string;
}

/**
 * The record of `client` at `time` (POSIX seconds, as a client writes them); unless `fields` say
 * otherwise, Clark stored it at Westwood's coordinates. Built with makeRecord rather than parsed:
 * the bench makes records in its timed loops.
 */
export function atRecord(client: string, time = '1621464827.5', fields: RecordFields = {}): LocationRecord {
  if (parsePosixTime(time) === undefined) throw new RangeError(`atRecord: "${time}" is not a POSIX time`);
  return makeRecord({
    member: fields.member ?? 'Clark',
    difference: fields.difference ?? '+0.100000000',
    client,
    location: fields.location ?? '+34.068930-118.445127',
    timeText: time,
  });
}

/** A literal AT line as its record; a malformed line throws, so a typo in a test fails loudly. */
export function recordFromLine(line: string): LocationRecord {
  const record = parseAtLine(line);
  if (!record) throw new RangeError(`recordFromLine: not an AT line: ${line}`);
  return record;
}

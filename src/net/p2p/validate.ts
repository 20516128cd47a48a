/**
 * What a member does with a gossip message's payload, given who signed it: the whole batch is
 * checked first (one bad record rejects it), then each record is offered to the store once;
 * the store's own newer-than check is the only one. Each record is read once: the grammar
 * check notes where its fields are, and the offer starts from there. All of it on the
 * message's bytes: a record becomes no string or object, and the store copies the lines it
 * keeps. The topic validator (receive.ts) is a thin shell around `storeBatch`.
 */
import { atLineMemberIs, isAtLine, type AtLineFields } from '../../protocol/atLine.js';
import { batchLine, parseAtLine } from '../../protocol/record.js';
import type { LocationStore } from '../../core/store.js';
import type { SignatureCounts } from './ed25519Verify.js';

export type Verdict =
  /** Some records were newer than the store and are now stored: forward the message. */
  | { readonly kind: 'accept'; readonly records: number; readonly stored: number }
  /** Nothing new (stale or already known): drop without forwarding, no penalty. */
  | { readonly kind: 'ignore'; readonly records: number }
  /** Malformed or not from a herd member speaking for itself: drop and penalise; nothing stored. */
  | { readonly kind: 'reject'; readonly reason: string };

const NEWLINE = 0x0a;

/**
 * `signer` is the herd member name of the message's signing peer, undefined when the signer
 * is not in the herd (or the message is unsigned). `data` is a batch of AT lines (record.ts's
 * codec). A member may only gossip records it received itself, so every record must name the
 * signer as its origin. The store's order between two records of one client is total, so a
 * batch carrying a client twice leaves the same record stored whatever the order.
 */
export function storeBatch(signer: string | undefined, data: Uint8Array, store: Pick<LocationStore, 'offerLine'>): Verdict {
  if (signer === undefined) return { kind: 'reject', reason: 'signer is not a herd member' };
  if (data.length === 0) return { kind: 'reject', reason: 'undecodable payload' };
  let records = 0;
  let otherOrigin = -1;
  for (let start = 0; start <= data.length; records++) {
    const newline = data.indexOf(NEWLINE, start);
    const end = newline === -1 ? data.length : newline;
    if (!isAtLine(data, start, end, fields)) return { kind: 'reject', reason: 'undecodable payload' };
    if (otherOrigin === -1 && !atLineMemberIs(data, start, signer)) otherOrigin = start;
    keepFields(records, end);
    start = end + 1;
  }
  if (otherOrigin !== -1) {
    const { client, member } = parseAtLine(batchLine(data, otherOrigin))!;
    return { kind: 'reject', reason: `record of ${client} claims origin ${member}, signed by ${signer}` };
  }
  let stored = 0;
  for (let record = 0, start = 0; record < records; record++) {
    const end = readFields(record);
    if (store.offerLine(data, start, end, fields)) stored++;
    start = end + 1;
  }
  return stored === 0 ? { kind: 'ignore', records } : { kind: 'accept', records, stored };
}

/**
 * What isAtLine found in each line of the batch being checked (its end, client id and time),
 * kept for the offers: every record is read once. Reused from batch to batch.
 */
const fields: AtLineFields = { clientStart: 0, clientEnd: 0, timeStart: 0 };
const FIELDS_PER_LINE = 4;
let batchFields = new Int32Array(FIELDS_PER_LINE * 256);

function keepFields(line: number, end: number): void {
  const at = FIELDS_PER_LINE * line;
  if (at === batchFields.length) {
    const more = new Int32Array(2 * batchFields.length);
    more.set(batchFields);
    batchFields = more;
  }
  batchFields[at] = end;
  batchFields[at + 1] = fields.clientStart;
  batchFields[at + 2] = fields.clientEnd;
  batchFields[at + 3] = fields.timeStart;
}

/** Puts a kept line's fields back into `fields`; returns the line's end. */
function readFields(line: number): number {
  const at = FIELDS_PER_LINE * line;
  fields.clientStart = batchFields[at + 1]!;
  fields.clientEnd = batchFields[at + 2]!;
  fields.timeStart = batchFields[at + 3]!;
  return batchFields[at]!;
}

/** What the validator has seen; names match the member's metrics snapshot. */
export interface GossipCounters extends SignatureCounts {
  gossipMessagesPublished: number;
  gossipRecordsPublished: number;
  gossipPublishFailures: number;
  gossipMessagesAccepted: number;
  gossipMessagesIgnored: number;
  gossipMessagesRejected: number;
  gossipRecordsAccepted: number;
  gossipRecordsIgnored: number;
}

export function newGossipCounters(): GossipCounters {
  return {
    gossipMessagesPublished: 0,
    gossipRecordsPublished: 0,
    gossipPublishFailures: 0,
    gossipMessagesAccepted: 0,
    gossipMessagesIgnored: 0,
    gossipMessagesRejected: 0,
    gossipRecordsAccepted: 0,
    gossipRecordsIgnored: 0,
    gossipSignaturesVerified: 0,
    gossipSignaturesTrusted: 0,
  };
}

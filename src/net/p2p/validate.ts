/**
 * What a member does with a gossip message's payload, given who signed it: the whole batch is
 * checked first (one bad record rejects it), then each record is offered to the store once;
 * the store's own newer-than check is the only one. The topic validator (receive.ts) is a thin
 * shell around `storeBatch`.
 */
import { decodeRecords, type LocationRecord } from '../../protocol/record.js';
import type { LocationStore } from '../../core/store.js';
import type { SignatureCounts } from './ed25519Verify.js';

export type Verdict =
  /** Some records were newer than the store and are now stored: forward the message. */
  | { readonly kind: 'accept'; readonly records: number; readonly stored: LocationRecord[] }
  /** Nothing new (stale or already known): drop without forwarding, no penalty. */
  | { readonly kind: 'ignore'; readonly records: number }
  /** Malformed or not from a herd member speaking for itself: drop and penalise; nothing stored. */
  | { readonly kind: 'reject'; readonly reason: string };

/**
 * `signer` is the herd member name of the message's signing peer, undefined when the signer
 * is not in the herd (or the message is unsigned). A member may only gossip records it
 * received itself, so every record must name the signer as its origin. The store's order
 * between two records of one client is total, so a batch carrying a client twice leaves the
 * same record stored whatever the order.
 */
export function storeBatch(signer: string | undefined, data: Uint8Array, store: Pick<LocationStore, 'offer'>): Verdict {
  if (signer === undefined) return { kind: 'reject', reason: 'signer is not a herd member' };
  const records = decodeRecords(data);
  if (!records) return { kind: 'reject', reason: 'undecodable payload' };
  for (const r of records) {
    if (r.member !== signer) return { kind: 'reject', reason: `record of ${r.client} claims origin ${r.member}, signed by ${signer}` };
  }
  const stored = records.filter((r) => store.offer(r));
  return stored.length === 0 ? { kind: 'ignore', records: records.length } : { kind: 'accept', records: records.length, stored };
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

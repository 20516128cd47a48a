/**
 * What a member does with a gossip message, as a pure function of who signed it, its bytes
 * and the store: the topic validator is a thin shell around `classifyMessage`.
 */
import { decodeRecords, type LocationRecord } from '../../protocol/record.js';
import { supersedes, type LocationStore } from '../../core/store.js';

export type Verdict =
  /** Some records are newer than the store: store them and forward the message. */
  | { readonly kind: 'accept'; readonly records: readonly LocationRecord[]; readonly fresh: readonly LocationRecord[] }
  /** Nothing new (stale or already known): drop without forwarding, no penalty. */
  | { readonly kind: 'ignore'; readonly records: readonly LocationRecord[] }
  /** Malformed or not from a herd member speaking for itself: drop and penalise. */
  | { readonly kind: 'reject'; readonly reason: string };

/**
 * `signer` is the herd member name of the message's signing peer, undefined when the signer
 * is not in the herd (or the message is unsigned). A member may only gossip records it
 * received itself, so every record must name the signer as its origin.
 */
export function classifyMessage(signer: string | undefined, data: Uint8Array, store: Pick<LocationStore, 'isNewer'>): Verdict {
  if (signer === undefined) return { kind: 'reject', reason: 'signer is not a herd member' };
  const records = decodeRecords(data);
  if (!records) return { kind: 'reject', reason: 'undecodable payload' };
  const impostor = records.find((r) => r.member !== signer);
  if (impostor) return { kind: 'reject', reason: `record of ${impostor.client} claims origin ${impostor.member}, signed by ${signer}` };
  const fresh = newestPerClient(records).filter((r) => store.isNewer(r));
  return fresh.length === 0 ? { kind: 'ignore', records } : { kind: 'accept', records, fresh };
}

/**
 * A batch may carry one client twice; `isNewer` against the store alone would call both
 * fresh. Keeping the batch's own winner per client first makes the count of stored records
 * exact and the offers order-independent.
 */
function newestPerClient(records: readonly LocationRecord[]): LocationRecord[] {
  const byClient = new Map<string, LocationRecord>();
  for (const r of records) {
    const seen = byClient.get(r.client);
    if (!seen || supersedes(r, seen)) byClient.set(r.client, r);
  }
  return byClient.size === records.length ? [...records] : [...byClient.values()];
}

/** What the validator has seen; names match the member's metrics snapshot. */
export interface GossipCounters {
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
    gossipMessagesPublished: 0, gossipRecordsPublished: 0, gossipPublishFailures: 0,
    gossipMessagesAccepted: 0, gossipMessagesIgnored: 0, gossipMessagesRejected: 0,
    gossipRecordsAccepted: 0, gossipRecordsIgnored: 0,
  };
}

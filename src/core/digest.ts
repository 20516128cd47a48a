/**
 * A digest of a location store for anti-entropy: clients fall into buckets by a hash of the
 * client id, and each bucket carries the XOR of a 64-bit hash of each of its records' AT line.
 * XOR makes a bucket's hash independent of the order records arrived in, and a store holds one
 * record per client, so no two equal hashes cancel. Two members whose bucket hashes match hold
 * the same records there (up to a 2^-64 accident); only differing buckets need their records
 * sent.
 *
 * Pure: 64-bit FNV-1a computed in four 16-bit limbs, so no BigInt and no node:crypto.
 */
import type { BucketHashes } from '../protocol/sync-codec.js';
import { receivedSeconds } from '../protocol/record.js';
import type { LineBytes, LocationStore } from './store.js';

export type Digest = BucketHashes;

/** The bucket count a store digest keeps up to date (8 KiB digests; see SYNC_DEFAULTS). */
export const DIGEST_BUCKETS = 1024;

/** 64-bit FNV-1a of `bytes[start, end)`, as two 32-bit halves. */
export function fnv1a64(bytes: Uint8Array, start = 0, end = bytes.length): { hi: number; lo: number } {
  // Offset basis 0xcbf29ce484222325 in 16-bit limbs, lowest first.
  let h0 = 0x2325,
    h1 = 0x8422,
    h2 = 0x9ce4,
    h3 = 0xcbf2;
  for (let i = start; i < end; i++) {
    h0 ^= bytes[i]!;
    // Multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, carrying between limbs.
    const t0 = h0 * 0x1b3;
    let t1 = h1 * 0x1b3;
    let t2 = h2 * 0x1b3 + (h0 << 8);
    const t3 = h3 * 0x1b3 + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
    h2 = t2 & 0xffff;
  }
  return { hi: ((h3 << 16) | h2) >>> 0, lo: ((h1 << 16) | h0) >>> 0 };
}

/** A mask with 1 for each bucket whose hashes differ; the digests must have equal bucket counts. */
export function differingBuckets(ours: Digest, theirs: Digest): Uint8Array {
  if (ours.bucketCount !== theirs.bucketCount) {
    throw new RangeError(`bucket counts differ: ${ours.bucketCount} and ${theirs.bucketCount}`);
  }
  const mask = new Uint8Array(ours.bucketCount);
  for (let i = 0; i < ours.bucketCount; i++) {
    const differ = ours.hashes[2 * i] !== theirs.hashes[2 * i] || ours.hashes[2 * i + 1] !== theirs.hashes[2 * i + 1];
    mask[i] = differ ? 1 : 0;
  }
  return mask;
}

export function countMarked(mask: Uint8Array): number {
  let n = 0;
  for (const bit of mask) n += bit;
  return n;
}

/**
 * The digest of one store, kept up to date as records are stored: each stored line's hash is
 * XORed into its client's bucket, and the line it replaced XORed out again (rehashing an AT
 * line costs less than remembering a hash per client would in memory). A digest with the kept
 * bucket count is then a copy; any other count takes a pass over the store.
 */
export class StoreDigest {
  /** [hi, lo] of each bucket. */
  private readonly hashes: Uint32Array;

  constructor(
    private readonly store: LocationStore,
    readonly bucketCount = DIGEST_BUCKETS,
  ) {
    this.hashes = summarizeStore(store, bucketCount).hashes;
    store.onStored((hash, stored, replaced) => {
      const at = 2 * (hash % bucketCount);
      toggle(this.hashes, at, stored);
      if (replaced !== undefined) toggle(this.hashes, at, replaced);
    });
  }

  summarize(bucketCount: number = this.bucketCount): Digest {
    if (bucketCount === this.bucketCount) return { bucketCount, hashes: this.hashes.slice() };
    return summarizeStore(this.store, bucketCount);
  }

  /**
   * A snapshot of the records in the marked buckets, as the AT lines they travel as (safe
   * against later store changes; no record objects, as a round may send the whole store).
   * Records that reached their origin after `settledBefore` (POSIX seconds) are left out.
   */
  select(differing: Uint8Array, settledBefore = Number.POSITIVE_INFINITY): string[] {
    const chosen: string[] = [];
    this.store.forEachLine((hash, { bytes, start, end }) => {
      if (differing[hash % differing.length] !== 1) return;
      const atLine = bytes.toString('latin1', start, end);
      if (settledBefore === Number.POSITIVE_INFINITY || receivedSeconds(atLine) <= settledBefore) chosen.push(atLine);
    });
    return chosen;
  }

  /**
   * The whole store's digest: the XOR of every record's 64-bit hash, i.e. of all buckets.
   * Equal digests mean equal stores (up to a 2^-64 accident); `herd mesh` compares them.
   */
  toString(): string {
    let hi = 0;
    let lo = 0;
    for (let i = 0; i < this.hashes.length; i += 2) {
      hi ^= this.hashes[i]!;
      lo ^= this.hashes[i + 1]!;
    }
    return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
  }
}

/** Bucket hashes of a whole store, computed in one pass. */
function summarizeStore(store: LocationStore, bucketCount: number): Digest {
  const hashes = new Uint32Array(2 * bucketCount);
  store.forEachLine((clientHash, line) => toggle(hashes, 2 * (clientHash % bucketCount), line));
  return { bucketCount, hashes };
}

/** XORs a line's hash into the bucket whose [hi, lo] start at `at`. */
function toggle(hashes: Uint32Array, at: number, { bytes, start, end }: LineBytes): void {
  const { hi, lo } = fnv1a64(bytes, start, end);
  hashes[at] = hashes[at]! ^ hi;
  hashes[at + 1] = hashes[at + 1]! ^ lo;
}

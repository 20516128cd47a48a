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
import type { LocationRecord } from '../protocol/record.js';
import type { BucketHashes } from '../protocol/sync-codec.js';

export type Digest = BucketHashes;

/** What the digest needs of a record, computed once per record object. */
export interface RecordHash {
  /** 32-bit hash of the client id; the bucket is this modulo the bucket count. */
  readonly client: number;
  readonly hi: number;
  readonly lo: number;
}

/** 64-bit FNV-1a of the string's code units (latin1 strings: its bytes), as two 32-bit halves. */
export function fnv1a64(text: string): { hi: number; lo: number } {
  // Offset basis 0xcbf29ce484222325 in 16-bit limbs, lowest first.
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
  for (let i = 0; i < text.length; i++) {
    h0 ^= text.charCodeAt(i);
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

/** 32-bit FNV-1a with a murmur3 finaliser, so that similar client ids spread over buckets. */
export function clientHash(client: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) {
    h ^= client.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hashRecord(record: LocationRecord): RecordHash {
  const { hi, lo } = fnv1a64(record.atLine);
  return { client: clientHash(record.client), hi, lo };
}

/**
 * Computes digests on demand, remembering each record's hashes by object identity. Records are
 * immutable and a replaced record is a new object, so the memo is never stale, and entries go
 * with the records the store drops. This keeps the store itself untouched.
 */
export class DigestIndex {
  private readonly memo = new WeakMap<LocationRecord, RecordHash>();

  hashOf(record: LocationRecord): RecordHash {
    let hash = this.memo.get(record);
    if (hash === undefined) {
      hash = hashRecord(record);
      this.memo.set(record, hash);
    }
    return hash;
  }

  bucketOf(record: LocationRecord, bucketCount: number): number {
    return this.hashOf(record).client % bucketCount;
  }

  summarize(records: Iterable<LocationRecord>, bucketCount: number): Digest {
    const hashes = new Uint32Array(2 * bucketCount);
    for (const record of records) {
      const { client, hi, lo } = this.hashOf(record);
      const at = 2 * (client % bucketCount);
      hashes[at] = hashes[at]! ^ hi;
      hashes[at + 1] = hashes[at + 1]! ^ lo;
    }
    return { bucketCount, hashes };
  }

  /** A snapshot of the records in the marked buckets (safe against later store changes). */
  select(records: Iterable<LocationRecord>, differing: Uint8Array): LocationRecord[] {
    const chosen: LocationRecord[] = [];
    for (const record of records) {
      if (differing[this.bucketOf(record, differing.length)] === 1) chosen.push(record);
    }
    return chosen;
  }
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
 * A digest of a whole store, kept up to date as records are stored: the XOR of every record's
 * 64-bit hash. Equal digests mean equal stores (up to a 2^-64 accident); `herd mesh` compares
 * them across members.
 */
export class StoreDigest {
  private hi = 0;
  private lo = 0;

  constructor(private readonly index: DigestIndex = new DigestIndex()) {}

  /** Folds a newly stored record in, and the record it replaced out. */
  update(record: LocationRecord, replaced: LocationRecord | undefined): void {
    for (const r of replaced ? [record, replaced] : [record]) {
      const { hi, lo } = this.index.hashOf(r);
      this.hi = (this.hi ^ hi) >>> 0;
      this.lo = (this.lo ^ lo) >>> 0;
    }
  }

  toString(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

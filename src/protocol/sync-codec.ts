/**
 * Frames of the member-to-member catch-up protocol (`/herd/sync/2.0.0`).
 *
 * Each frame travels length-prefixed (unsigned varint) and starts with a one-byte type:
 *
 *   DIGEST  0x01 | bucketCount u32 BE | bucketCount x (hi u32 BE, lo u32 BE) [| settleMs u32 BE]
 *   RECORDS 0x02 | AT lines joined by "\n", latin1 (the gossip record codec, strict)
 *   END     0x03 | count u32 BE   (records the sender put in its RECORDS frames)
 *
 * A digest round: the opener sends DIGEST, the other side answers DIGEST with the same bucket
 * count, then both sides send RECORDS for every bucket whose hashes differ, then END. The
 * opener's `settleMs` (absent: 0) leaves out, on both sides, the records that reached their
 * origin member less than that long ago: gossip is still carrying them. A push round: the
 * opener sends RECORDS and END, the other side stores them and answers END(0). The count in
 * END lets the receiver tell a complete exchange from a truncated one.
 *
 * Pure: no node modules, no libp2p; the byte layout alone.
 */
import { batchLines, encodeLines, parseAtLine, type LocationRecord } from './record.js';

export const FRAME_DIGEST = 0x01;
export const FRAME_RECORDS = 0x02;
export const FRAME_END = 0x03;

/** A digest frame must fit the smallest sane frame cap; 65536 buckets is 512 KiB. */
export const MAX_BUCKETS = 65_536;

/** Per-bucket order-independent hashes: `hashes[2*i]` is bucket i's high half, `[2*i+1]` its low. */
export interface BucketHashes {
  readonly bucketCount: number;
  readonly hashes: Uint32Array;
}

export type SyncFrame =
  | { readonly type: 'digest'; readonly digest: BucketHashes; readonly settleMs: number }
  /** `known`: lines skipped because the receiver already holds exactly them (see `decodeFrame`). */
  | { readonly type: 'records'; readonly records: LocationRecord[]; readonly known: number }
  | { readonly type: 'end'; readonly count: number };

/** What is wrong with the bytes: a malformed frame, or one over the cap. */
export type SyncFrameErrorCode = 'ERR_SYNC_BAD_FRAME' | 'ERR_SYNC_FRAME_TOO_LARGE';

/** A wire-format failure, with a stable code. The round's own failures are the sync service's. */
export class SyncFrameError extends Error {
  override readonly name = 'SyncFrameError';
  constructor(
    readonly code: SyncFrameErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const badFrame = (why: string): SyncFrameError => new SyncFrameError('ERR_SYNC_BAD_FRAME', `bad sync frame: ${why}`);

export function encodeDigestFrame(digest: BucketHashes, settleMs = 0): Uint8Array {
  const { bucketCount, hashes } = digest;
  if (!validBucketCount(bucketCount) || hashes.length !== 2 * bucketCount) {
    throw new RangeError(`digest must have 1..${MAX_BUCKETS} buckets and two words per bucket`);
  }
  if (!Number.isInteger(settleMs) || settleMs < 0 || settleMs > 0xffffffff) throw new RangeError(`settleMs ${settleMs} is not a u32`);
  const hashBytes = 5 + 8 * bucketCount;
  const bytes = new Uint8Array(hashBytes + (settleMs > 0 ? 4 : 0));
  const view = new DataView(bytes.buffer);
  bytes[0] = FRAME_DIGEST;
  view.setUint32(1, bucketCount);
  for (let i = 0; i < hashes.length; i++) view.setUint32(5 + 4 * i, hashes[i]!);
  if (settleMs > 0) view.setUint32(hashBytes, settleMs);
  return bytes;
}

/** Records as their AT lines, which must already fit one frame (see `chunkRecords`). */
export function encodeRecordsFrame(atLines: readonly string[]): Uint8Array {
  if (atLines.length === 0) throw new RangeError('a records frame carries at least one record');
  const body = encodeLines(atLines);
  const bytes = new Uint8Array(1 + body.length);
  bytes[0] = FRAME_RECORDS;
  bytes.set(body, 1);
  return bytes;
}

export function encodeEndFrame(count: number): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = FRAME_END;
  new DataView(bytes.buffer).setUint32(1, count);
  return bytes;
}

/**
 * Decodes one frame; throws `SyncFrameError` ERR_SYNC_BAD_FRAME on anything malformed. A record
 * line for which `isKnown` says true is counted, not parsed: a restarted member hears its
 * whole store from each neighbour at once, and checking a line against the stored one costs a
 * tenth of parsing it (a line equal to a stored one was valid when it was stored).
 */
export function decodeFrame(bytes: Uint8Array, isKnown: (atLine: string) => boolean = () => false): SyncFrame {
  if (bytes.length === 0) throw badFrame('empty');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (bytes[0]) {
    case FRAME_DIGEST: {
      const digest = decodeDigest(bytes, view);
      const hashBytes = 5 + 8 * digest.bucketCount;
      return { type: 'digest', digest, settleMs: bytes.length > hashBytes ? view.getUint32(hashBytes) : 0 };
    }
    case FRAME_RECORDS: {
      // As strict as the gossip codec: one malformed line rejects the whole frame.
      if (bytes.length === 1) throw badFrame('a records frame without records');
      const records: LocationRecord[] = [];
      let known = 0;
      for (const line of batchLines(bytes.subarray(1))) {
        if (isKnown(line)) {
          known++;
          continue;
        }
        const record = parseAtLine(line);
        if (!record) throw badFrame('a record does not parse');
        records.push(record);
      }
      return { type: 'records', records, known };
    }
    case FRAME_END:
      if (bytes.length !== 5) throw badFrame(`end frame of ${bytes.length} bytes`);
      return { type: 'end', count: view.getUint32(1) };
    default:
      throw badFrame(`unknown type ${bytes[0]}`);
  }
}

function decodeDigest(bytes: Uint8Array, view: DataView): BucketHashes {
  if (bytes.length < 5) throw badFrame('digest header cut short');
  const bucketCount = view.getUint32(1);
  if (!validBucketCount(bucketCount)) throw badFrame(`bucket count ${bucketCount}`);
  const hashBytes = 5 + 8 * bucketCount;
  if (bytes.length !== hashBytes && bytes.length !== hashBytes + 4) throw badFrame(`digest of ${bytes.length} bytes for ${bucketCount} buckets`);
  const hashes = new Uint32Array(2 * bucketCount);
  for (let i = 0; i < hashes.length; i++) hashes[i] = view.getUint32(5 + 4 * i);
  return { bucketCount, hashes };
}

export function validBucketCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_BUCKETS;
}

/**
 * Splits records (AT lines) into batches whose RECORDS frame (type byte + lines + separators)
 * stays within `maxFrameBytes`. Lazy, so a large outgoing set is never encoded all at once.
 */
export function* chunkRecords(atLines: Iterable<string>, maxFrameBytes: number): Generator<string[]> {
  let batch: string[] = [];
  let size = 0; // 1 type byte + sum(line) + (n - 1) separators === sum(line + 1)
  for (const atLine of atLines) {
    const cost = atLine.length + 1;
    if (cost > maxFrameBytes) {
      throw new SyncFrameError('ERR_SYNC_FRAME_TOO_LARGE', `record of ${cost} bytes exceeds the ${maxFrameBytes}-byte frame cap`);
    }
    if (size + cost > maxFrameBytes) {
      yield batch;
      batch = [];
      size = 0;
    }
    batch.push(atLine);
    size += cost;
  }
  if (batch.length > 0) yield batch;
}

/** What `it-length-prefixed-stream` hands a length decoder (a `Uint8ArrayList`). */
export interface ByteList {
  readonly byteLength: number;
  get(index: number): number;
}

/** Bytes of the unsigned varint for `n`. */
export function varintLength(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}

/**
 * Decodes a frame's varint length prefix, refusing it as soon as it cannot be within the
 * cap. Why not the stock decoder: it throws RangeError both for "need more bytes" and for
 * "longer than 8 bytes", and the stream reader retries on RangeError, so a peer sending
 * 0xff forever would be read one byte at a time until the round times out. Here an
 * incomplete prefix throws RangeError (read one more byte) only while it could still fit.
 */
export function decodeFrameLength(prefix: ByteList, maxFrameBytes: number): number {
  const maxPrefixBytes = varintLength(maxFrameBytes);
  let value = 0;
  for (let i = 0; i < prefix.byteLength; i++) {
    const byte = prefix.get(i);
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (value > maxFrameBytes || i + 1 > maxPrefixBytes) break;
    if (byte < 0x80) return value;
  }
  if (value > maxFrameBytes || prefix.byteLength >= maxPrefixBytes) {
    throw new SyncFrameError('ERR_SYNC_FRAME_TOO_LARGE', `frame longer than the ${maxFrameBytes}-byte cap`);
  }
  throw new RangeError('varint incomplete');
}

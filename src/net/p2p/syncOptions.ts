/** The sync service's tuning: what a caller may set, its defaults, and their checks. */
import { DIGEST_BUCKETS } from '../../core/digest.js';
import { MAX_RECORD_LINE_BYTES } from '../../protocol/record.js';
import { validBucketCount } from '../../protocol/sync-codec.js';

/** Defaults of `SyncInit`, each with the reason for its value. */
export const SYNC_DEFAULTS = {
  /** A repair for anything gossip dropped; a round between equal stores is ~16 KiB. */
  intervalMs: 30_000,
  /** Whole round, dial included: a stalled peer must not hold a round open; 50k records take < 1 s on loopback. */
  timeoutMs: 10_000,
  /** Bounds what one read may buffer; far above the largest record line (64 KiB + 256). */
  maxFrameBytes: 1024 * 1024,
  /** 8 KiB digests; at 100k clients ~100 records per bucket, so one stray record costs ~8 KiB. */
  bucketCount: DIGEST_BUCKETS,
  /** Coalesces a burst of learning (many frames, several rounds) into one push per neighbour. */
  learnDebounceMs: 100,
  /**
   * Periodic rounds leave out records that reached their origin less than this long ago:
   * gossip is still carrying them. Under load, records in flight touch every bucket, and a
   * round without a settle time sent the whole store (5x the gossip traffic at 20,000/s).
   */
  settleMs: 10_000,
  /**
   * While gossip flows, records in flight make digests differ in most buckets, and a round
   * sends every settled record of those buckets: the whole store. So periodic rounds wait for
   * a quiet spell (no gossip for `settleMs`), but a busy member still repairs this often.
   */
  repairMaxDelayMs: 300_000,
  /** Learned records beyond this go on by a digest round, which sends only what a neighbour lacks. */
  pushMaxRecords: 10_000,
  /** A neighbour runs one digest round and one push with us at a time; 4 lets new ones open while the last close. */
  maxInboundStreams: 4,
  /**
   * When a link comes up, the end that does not dial it waits this long for the dialling end's
   * round to reach it, and opens its own after that one (see `SyncService.catchUp`).
   */
  linkUpWaitMs: 2_000,
} as const;

/** Tuning; what is left out comes from SYNC_DEFAULTS. */
export interface SyncInit {
  readonly intervalMs?: number;
  readonly timeoutMs?: number;
  readonly maxFrameBytes?: number;
  readonly bucketCount?: number;
  readonly learnDebounceMs?: number;
  readonly settleMs?: number;
  readonly pushMaxRecords?: number;
  readonly repairMaxDelayMs?: number;
  readonly maxInboundStreams?: number;
  readonly linkUpWaitMs?: number;
}

/** The tuning with defaults filled in, each value checked (the bad option named). */
export function syncTuning(init: SyncInit): Required<SyncInit> {
  const t = {
    intervalMs: positiveInteger('intervalMs', init.intervalMs ?? SYNC_DEFAULTS.intervalMs),
    timeoutMs: positiveInteger('timeoutMs', init.timeoutMs ?? SYNC_DEFAULTS.timeoutMs),
    maxFrameBytes: positiveInteger('maxFrameBytes', init.maxFrameBytes ?? SYNC_DEFAULTS.maxFrameBytes),
    bucketCount: positiveInteger('bucketCount', init.bucketCount ?? SYNC_DEFAULTS.bucketCount),
    learnDebounceMs: nonNegativeInteger('learnDebounceMs', init.learnDebounceMs ?? SYNC_DEFAULTS.learnDebounceMs),
    settleMs: nonNegativeInteger('settleMs', init.settleMs ?? SYNC_DEFAULTS.settleMs),
    pushMaxRecords: positiveInteger('pushMaxRecords', init.pushMaxRecords ?? SYNC_DEFAULTS.pushMaxRecords),
    repairMaxDelayMs: nonNegativeInteger('repairMaxDelayMs', init.repairMaxDelayMs ?? SYNC_DEFAULTS.repairMaxDelayMs),
    maxInboundStreams: positiveInteger('maxInboundStreams', init.maxInboundStreams ?? SYNC_DEFAULTS.maxInboundStreams),
    linkUpWaitMs: nonNegativeInteger('linkUpWaitMs', init.linkUpWaitMs ?? SYNC_DEFAULTS.linkUpWaitMs),
  };
  if (t.settleMs > 0xffffffff) throw new RangeError(`settleMs must fit 32 bits, got ${t.settleMs}`);
  // Any valid record must fit one frame, and so must our own digest.
  if (t.maxFrameBytes < MAX_RECORD_LINE_BYTES + 1) {
    throw new RangeError(`maxFrameBytes must be at least ${MAX_RECORD_LINE_BYTES + 1}, got ${t.maxFrameBytes}`);
  }
  if (!validBucketCount(t.bucketCount) || 5 + 8 * t.bucketCount > t.maxFrameBytes) {
    throw new RangeError(`bucketCount ${t.bucketCount} does not fit a frame of ${t.maxFrameBytes} bytes`);
  }
  return t;
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${option} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${option} must be a non-negative integer, got ${value}`);
  return value;
}

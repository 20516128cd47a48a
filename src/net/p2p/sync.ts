/**
 * Catch-up (anti-entropy) between linked members over the libp2p stream protocol
 * `/herd/sync/1.0.0`: after a link comes up, periodically, and whenever a round taught us
 * something (records are gossiped only by their origin member, so a member that was cut off
 * can only learn them through sync, and must pass them on the same way).
 *
 * One round, over one stream opened by either side (frames in ../../protocol/sync-codec.ts):
 *   opener -> DIGEST(n buckets)      other -> DIGEST(n buckets)
 *   both, concurrently: RECORDS of every bucket whose hashes differ ... END(count)
 * Each side keeps the newer record per client via `store.offer`, so both end with the same
 * records. Equal stores cost one round trip of two small digests.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingStreamData, Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, type LengthPrefixedStream } from 'it-length-prefixed-stream';
import { DIGEST_BUCKETS, StoreDigest, differingBuckets, type Digest } from '../../core/digest.js';
import type { Logger } from '../../core/ports.js';
import type { LocationStore } from '../../core/store.js';
import { MAX_RECORD_LINE_BYTES, type LocationRecord } from '../../protocol/record.js';
import {
  SyncError,
  chunkRecords,
  decodeFrame,
  decodeFrameLength,
  encodeDigestFrame,
  encodeEndFrame,
  encodeRecordsFrame,
  validBucketCount,
  type SyncFrame,
} from '../../protocol/sync-codec.js';

export { SyncError, type SyncErrorCode } from '../../protocol/sync-codec.js';

export const SYNC_PROTOCOL = '/herd/sync/1.0.0';

/** Defaults, each with the reason for its value. */
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
  /** A neighbour runs one round with us at a time; 2 lets a new round open while the last one closes. */
  maxInboundStreams: 2,
} as const;

/** The part of libp2p this service uses (a full `Libp2p` fits). */
export type SyncLibp2p = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>;

export interface SyncInit {
  libp2p: SyncLibp2p;
  store: LocationStore;
  log: Logger;
  /** The member name of a linked neighbour's peer ID, or undefined for anyone else. */
  nameOf(peerId: string): string | undefined;
  /** Peer ID strings of the linked neighbours currently connected. */
  neighbours(): string[];
  intervalMs?: number;
  timeoutMs?: number;
  maxFrameBytes?: number;
  bucketCount?: number;
  learnDebounceMs?: number;
  onRecordsLearned?(records: LocationRecord[], fromName: string): void;
  /** The store's digest, kept up to date as records are stored; by default one of our own. */
  digest?: StoreDigest;
  /** Called with the duration of every completed round, either side (for metrics). */
  onRoundDone?(seconds: number): void;
}

export interface SyncResult {
  /** Records this side sent in the round. */
  readonly sent: number;
  /** Valid records this side received in the round (new or not). */
  readonly received: number;
}

export interface SyncCounters {
  /** Rounds completed, in either direction. */
  rounds: number;
  recordsReceived: number;
  recordsSent: number;
  failures: number;
  /** Received records that were newer than the stored ones. */
  recordsLearned: number;
  /** RECORDS frames sent, and their bytes (without length prefixes). */
  framesSent: number;
  bytesSent: number;
}

type Role = 'opener' | 'answerer';
type Frames = LengthPrefixedStream<Stream>;

interface RoundContext {
  readonly peerId: string;
  readonly name: string;
  readonly signal: AbortSignal;
  received: number;
  sent: number;
}

/** An outbound round with one peer and at most one queued behind it. */
interface PeerSlot {
  readonly running: Promise<SyncResult>;
  queued?: Promise<SyncResult>;
}

const ignore = (): void => {};

export class SyncService {
  readonly counters: SyncCounters = {
    rounds: 0, recordsReceived: 0, recordsSent: 0, failures: 0, recordsLearned: 0, framesSent: 0, bytesSent: 0,
  };

  private readonly libp2p: SyncLibp2p;
  private readonly store: LocationStore;
  private readonly log: Logger;
  private readonly nameOf: (peerId: string) => string | undefined;
  private readonly neighbours: () => string[];
  private readonly onRecordsLearned?: (records: LocationRecord[], fromName: string) => void;
  private readonly onRoundDone?: (seconds: number) => void;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly bucketCount: number;
  private readonly learnDebounceMs: number;
  private readonly digest: StoreDigest;

  private stopController?: AbortController;
  private interval?: NodeJS.Timeout;
  private pushTimer?: NodeJS.Timeout;
  private learnedFrom = new Set<string>();
  private readonly slots = new Map<string, PeerSlot>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(init: SyncInit) {
    this.libp2p = init.libp2p;
    this.store = init.store;
    this.log = init.log.child?.({ component: 'sync' }) ?? init.log;
    this.nameOf = init.nameOf;
    this.neighbours = init.neighbours;
    this.onRecordsLearned = init.onRecordsLearned;
    this.onRoundDone = init.onRoundDone;
    this.intervalMs = positiveInteger('intervalMs', init.intervalMs ?? SYNC_DEFAULTS.intervalMs);
    this.timeoutMs = positiveInteger('timeoutMs', init.timeoutMs ?? SYNC_DEFAULTS.timeoutMs);
    this.maxFrameBytes = positiveInteger('maxFrameBytes', init.maxFrameBytes ?? SYNC_DEFAULTS.maxFrameBytes);
    this.bucketCount = positiveInteger('bucketCount', init.bucketCount ?? SYNC_DEFAULTS.bucketCount);
    this.learnDebounceMs = nonNegativeInteger('learnDebounceMs', init.learnDebounceMs ?? SYNC_DEFAULTS.learnDebounceMs);
    // Any valid record must fit one frame, and so must our own digest.
    if (this.maxFrameBytes < MAX_RECORD_LINE_BYTES + 1) {
      throw new RangeError(`maxFrameBytes must be at least ${MAX_RECORD_LINE_BYTES + 1}, got ${this.maxFrameBytes}`);
    }
    if (!validBucketCount(this.bucketCount) || 5 + 8 * this.bucketCount > this.maxFrameBytes) {
      throw new RangeError(`bucketCount ${this.bucketCount} does not fit a frame of ${this.maxFrameBytes} bytes`);
    }
    this.digest = init.digest ?? new StoreDigest(init.store, this.bucketCount);
  }

  async start(): Promise<void> {
    if (this.stopController) return;
    this.stopController = new AbortController();
    setMaxListeners(Infinity, this.stopController.signal); // one listener per round in flight
    await this.libp2p.handle(SYNC_PROTOCOL, (data) => this.handleInbound(data), {
      maxInboundStreams: SYNC_DEFAULTS.maxInboundStreams,
    });
    this.interval = setInterval(() => this.syncAll(this.neighbours()), this.intervalMs);
    this.interval.unref(); // a repair timer must not keep the process alive
  }

  async stop(): Promise<void> {
    const controller = this.stopController;
    if (!controller) return;
    this.stopController = undefined;
    clearInterval(this.interval);
    clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    this.learnedFrom.clear();
    controller.abort(new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'));
    await this.libp2p.unhandle(SYNC_PROTOCOL).catch(ignore); // libp2p may already be stopping
    await Promise.allSettled([...this.inflight]);
  }

  /**
   * One round with `peerId`. While a round with it runs, callers share a single queued round
   * that starts when it ends: the running round's digest may predate what the caller knows.
   */
  syncWith(peerId: string): Promise<SyncResult> {
    if (!this.stopController) return Promise.reject(new SyncError('ERR_SYNC_STOPPED', 'sync service is not running'));
    const slot = this.slots.get(peerId);
    if (!slot) return this.begin(peerId);
    slot.queued ??= slot.running.then(ignore, ignore).then(() => this.begin(peerId));
    return slot.queued;
  }

  private begin(peerId: string): Promise<SyncResult> {
    const running = this.track(this.outboundRound(peerId));
    const slot: PeerSlot = { running };
    this.slots.set(peerId, slot);
    // Leave the slot in place if a round is queued: it replaces the slot when it begins.
    void running.then(ignore, ignore).then(() => {
      if (this.slots.get(peerId) === slot && slot.queued === undefined) this.slots.delete(peerId);
    });
    return running;
  }

  /** Background rounds: failures are already counted and logged. */
  private syncAll(peerIds: Iterable<string>): void {
    for (const peerId of peerIds) this.syncWith(peerId).catch(ignore);
  }

  private async outboundRound(peerId: string): Promise<SyncResult> {
    if (!this.stopController) throw new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'); // a round queued before stop()
    const name = this.nameOf(peerId);
    if (name === undefined) {
      this.counters.failures++;
      const err = new SyncError('ERR_SYNC_NOT_NEIGHBOUR', `${peerId} is not a linked neighbour`);
      this.log.warn({ peer: peerId, err }, 'sync refused: not a linked neighbour');
      throw err;
    }
    const { signal, done } = this.roundSignal();
    try {
      const stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), SYNC_PROTOCOL, { signal });
      return await this.exchange(stream, 'opener', { peerId, name, signal, received: 0, sent: 0 });
    } catch (cause) {
      throw this.failed(cause, signal, peerId, name);
    } finally {
      done();
    }
  }

  /** The trust rule: only linked neighbours may sync, whatever the gater let through. */
  private handleInbound({ stream, connection }: IncomingStreamData): void {
    const peerId = connection.remotePeer.toString();
    const name = this.nameOf(peerId);
    if (name === undefined || !this.stopController) {
      const err = name === undefined
        ? new SyncError('ERR_SYNC_NOT_NEIGHBOUR', `sync from ${peerId} refused: not a linked neighbour`)
        : new SyncError('ERR_SYNC_STOPPED', `sync from ${peerId} refused: service stopped`);
      this.log.warn({ peer: peerId, err }, 'sync stream refused');
      stream.abort(err); // a reset: the other side gets nothing of ours
      return;
    }
    // Concurrency per peer is bounded by maxInboundStreams; the opener coalesces its own rounds.
    void this.track(this.serveRound(stream, peerId, name)).catch(ignore);
  }

  private async serveRound(stream: Stream, peerId: string, name: string): Promise<SyncResult> {
    const { signal, done } = this.roundSignal();
    try {
      return await this.exchange(stream, 'answerer', { peerId, name, signal, received: 0, sent: 0 });
    } catch (cause) {
      throw this.failed(cause, signal, peerId, name);
    } finally {
      done();
    }
  }

  /** The round itself, the same for both sides but for who speaks first. */
  private async exchange(stream: Stream, role: Role, round: RoundContext): Promise<SyncResult> {
    const startedAt = performance.now();
    const abort = (): void => stream.abort(toError(round.signal.reason));
    round.signal.addEventListener('abort', abort, { once: true });
    try {
      const frames: Frames = lpStream(stream, {
        maxDataLength: this.maxFrameBytes,
        lengthDecoder: (prefix) => decodeFrameLength(prefix, this.maxFrameBytes),
      });
      const differing = await this.swapDigests(frames, role, round.signal);
      // Snapshot now: records received during the round must not be echoed back.
      const outgoing = this.digest.select(differing);
      await this.swapRecords(frames, role, outgoing, round);
      await stream.close({ signal: round.signal });
      this.counters.rounds++;
      this.onRoundDone?.((performance.now() - startedAt) / 1000);
      return { sent: round.sent, received: round.received };
    } catch (err) {
      stream.abort(toError(err));
      throw err;
    } finally {
      round.signal.removeEventListener('abort', abort);
    }
  }

  /** The opener picks the bucket count; the answerer digests with the same count. */
  private async swapDigests(frames: Frames, role: Role, signal: AbortSignal): Promise<Uint8Array> {
    if (role === 'opener') {
      const ours = this.digest.summarize(this.bucketCount);
      await frames.write(encodeDigestFrame(ours), { signal });
      const theirs = await this.readDigest(frames, signal);
      if (theirs.bucketCount !== ours.bucketCount) {
        throw new SyncError('ERR_SYNC_PROTOCOL', `answered with ${theirs.bucketCount} buckets, asked ${ours.bucketCount}`);
      }
      return differingBuckets(ours, theirs);
    }
    const theirs = await this.readDigest(frames, signal);
    const ours = this.digest.summarize(theirs.bucketCount);
    await frames.write(encodeDigestFrame(ours), { signal });
    return differingBuckets(ours, theirs);
  }

  /**
   * Sends and receives at once (each side may hold more than the muxer's window, so sending
   * all before reading could deadlock). The answerer sends END only after storing everything
   * the opener sent, so the opener's round, and `syncWith`, ends when both stores converged.
   */
  private async swapRecords(frames: Frames, role: Role, outgoing: string[], round: RoundContext): Promise<void> {
    const send = this.sendRecords(frames, outgoing, round);
    const receive = this.receiveRecords(frames, round);
    if (role === 'opener') {
      await Promise.all([send.then(() => this.sendEnd(frames, round)), receive]);
    } else {
      await Promise.all([send, receive]);
      await this.sendEnd(frames, round);
    }
  }

  private async readDigest(frames: Frames, signal: AbortSignal): Promise<Digest> {
    const frame = await readFrame(frames, signal);
    if (frame.type !== 'digest') throw new SyncError('ERR_SYNC_PROTOCOL', `expected a digest, got ${frame.type}`);
    return frame.digest;
  }

  private async sendRecords(frames: Frames, outgoing: string[], round: RoundContext): Promise<void> {
    for (const batch of chunkRecords(outgoing, this.maxFrameBytes)) {
      const bytes = encodeRecordsFrame(batch);
      await frames.write(bytes, { signal: round.signal });
      round.sent += batch.length;
      this.counters.recordsSent += batch.length;
      this.counters.framesSent++;
      this.counters.bytesSent += bytes.length;
    }
  }

  private async sendEnd(frames: Frames, round: RoundContext): Promise<void> {
    await frames.write(encodeEndFrame(round.sent), { signal: round.signal });
  }

  /** Stores each valid frame as it arrives, so a later bad frame loses only itself. */
  private async receiveRecords(frames: Frames, round: RoundContext): Promise<void> {
    for (;;) {
      const frame = await readFrame(frames, round.signal, (line) => this.store.holds(line));
      if (frame.type === 'digest') throw new SyncError('ERR_SYNC_PROTOCOL', 'a second digest');
      if (frame.type === 'end') {
        if (frame.count !== round.received) {
          throw new SyncError('ERR_SYNC_PROTOCOL', `end says ${frame.count} records, received ${round.received}`);
        }
        return;
      }
      round.received += frame.records.length + frame.known;
      this.counters.recordsReceived += frame.records.length + frame.known;
      this.accept(frame.records, round);
    }
  }

  private accept(records: LocationRecord[], round: RoundContext): void {
    const learned = records.filter((record) => this.store.offer(record));
    if (learned.length === 0) return;
    this.counters.recordsLearned += learned.length;
    this.noteLearned(round.peerId);
    try {
      this.onRecordsLearned?.(learned, round.name);
    } catch (err) {
      this.log.error({ peer: round.name, err }, 'onRecordsLearned threw');
    }
  }

  /** Learned records go on to the other neighbours soon, not at the next periodic round. */
  private noteLearned(fromPeerId: string): void {
    this.learnedFrom.add(fromPeerId);
    if (this.pushTimer || !this.stopController) return;
    this.pushTimer = setTimeout(() => this.pushLearned(), this.learnDebounceMs);
    this.pushTimer.unref();
  }

  private pushLearned(): void {
    const sources = this.learnedFrom;
    this.learnedFrom = new Set();
    this.pushTimer = undefined;
    // With one source it already has everything we learned; with several, each lacks the others'.
    const skip = sources.size === 1 ? sources : new Set<string>();
    this.syncAll(this.neighbours().filter((peerId) => !skip.has(peerId)));
  }

  /** A signal that fires at the round's deadline or when the service stops. */
  private roundSignal(): { signal: AbortSignal; done: () => void } {
    const stop = this.stopController?.signal ?? AbortSignal.abort(new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'));
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(new SyncError('ERR_SYNC_TIMEOUT', `sync round exceeded ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    timer.unref(); // the round's sockets keep the process alive while it matters
    const signal = AbortSignal.any([stop, deadline.signal]);
    setMaxListeners(Infinity, signal); // libp2p's dial and each pending read/write listen on it
    return { signal, done: () => clearTimeout(timer) };
  }

  /** Counts and logs a failed round; returns the error for the caller. */
  private failed(cause: unknown, signal: AbortSignal, peerId: string, name: string): SyncError {
    const err = classify(cause, signal);
    if (err.code === 'ERR_SYNC_STOPPED') return err; // our own shutdown, not the peer's fault
    this.counters.failures++;
    this.log.warn({ peer: name, peerId, err }, 'sync round failed');
    return err;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.then(ignore, ignore).finally(() => this.inflight.delete(work));
    return work;
  }
}

async function readFrame(frames: Frames, signal: AbortSignal, isKnown?: (atLine: string) => boolean): Promise<SyncFrame> {
  const bytes = await frames.read({ signal });
  return decodeFrame(bytes.subarray(), isKnown);
}

/** The reason a round ended, as a SyncError: the deadline or stop wins over what it caused. */
function classify(cause: unknown, signal: AbortSignal): SyncError {
  if (signal.aborted && signal.reason instanceof SyncError) return signal.reason;
  if (cause instanceof SyncError) return cause;
  const name = cause instanceof Error ? cause.name : '';
  if (name === 'InvalidDataLengthError' || name === 'InvalidDataLengthLengthError') {
    return new SyncError('ERR_SYNC_FRAME_TOO_LARGE', 'frame over the cap', { cause });
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new SyncError('ERR_SYNC_STREAM', `sync stream failed: ${message}`, { cause });
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${option} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${option} must be a non-negative integer, got ${value}`);
  return value;
}

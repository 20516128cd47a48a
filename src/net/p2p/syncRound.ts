/**
 * One catch-up round with one peer, over one stream opened by either side (frames in
 * ../../protocol/sync-codec.ts). A digest round:
 *   opener -> DIGEST(n buckets, settle time)      other -> DIGEST(n buckets)
 *   both, concurrently: RECORDS of every bucket whose hashes differ ... END(count)
 * Each side keeps the newer record per client via `store.offer`, so both end with the same
 * records, but for those younger than the settle time, which gossip is still carrying. Equal
 * stores cost one round trip of two small digests. A member catching up after its start may
 * answer with the opener's own digest, and open a round of its own later (catchUpGate.ts).
 * A push round:
 *   opener -> RECORDS ... END(count)      other -> END(0) once they are stored
 * When, with whom and which kind of round runs is the sync service's business (sync.ts).
 */
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from 'it-length-prefixed-stream';
import { differingBuckets, type StoreDigest } from '../../core/digest.js';
import type { LocationStore } from '../../core/store.js';
import type { LocationRecord } from '../../protocol/record.js';
import {
  chunkRecords,
  decodeFrame,
  decodeFrameLength,
  encodeDigestFrame,
  encodeEndFrame,
  encodeRecordsFrame,
  type SyncFrame,
} from '../../protocol/sync-codec.js';
import type { CatchUpGate } from './catchUpGate.js';
import { SyncError } from './syncError.js';

export type Role = 'opener' | 'answerer';

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

/** The other side of a round. */
export interface RoundPeer {
  readonly peerId: string;
  readonly name: string;
}

export interface RoundProtocolInit {
  readonly store: LocationStore;
  readonly digest: StoreDigest;
  readonly maxFrameBytes: number;
  /** The bucket count an opener asks for. */
  readonly bucketCount: number;
  readonly counters: SyncCounters;
  /** Records a round stored because they were newer than ours, and the peer they came from. */
  readonly onLearned: (records: LocationRecord[], peer: RoundPeer) => void;
  /** Whether a peer's digest round is answered now or postponed (catchUpGate.ts; sync.ts takes our rounds' turns). */
  readonly gate?: CatchUpGate;
  /** A peer's digest round was answered as equal (the gate was taken): open one with it later. */
  readonly onPostponed?: (peer: RoundPeer) => void;
}

type Frames = LengthPrefixedStream<Stream>;

interface RoundContext extends RoundPeer {
  readonly signal: AbortSignal;
  received: number;
  sent: number;
}

/**
 * What an opener asks of a round: a digest round that leaves out records younger than
 * `settleMs` (0: none), or a push of these AT lines (records it learned, passed on).
 */
export type RoundRequest = { readonly settleMs: number } | { readonly push: readonly string[] };

export class RoundProtocol {
  constructor(private readonly init: RoundProtocolInit) {}

  /** The round itself: the opener says which kind; the answerer learns it from the first frame. */
  async exchange(stream: Stream, role: Role, peer: RoundPeer, signal: AbortSignal, request: RoundRequest = { settleMs: 0 }): Promise<SyncResult> {
    const round: RoundContext = { peerId: peer.peerId, name: peer.name, signal, received: 0, sent: 0 };
    const abort = (): void => stream.abort(toError(signal.reason));
    signal.addEventListener('abort', abort, { once: true });
    try {
      const { maxFrameBytes } = this.init;
      const frames: Frames = lpStream(stream, {
        maxDataLength: maxFrameBytes,
        lengthDecoder: (prefix) => decodeFrameLength(prefix, maxFrameBytes),
      });
      if (role === 'answerer') await this.answer(frames, round);
      else if ('push' in request) await this.push(frames, request.push, round);
      else await this.openDigestRound(frames, request.settleMs, round);
      await stream.close({ signal });
      return { sent: round.sent, received: round.received };
    } catch (err) {
      stream.abort(toError(err));
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** The opener picks the bucket count and the settle time; the answerer digests with the same count. */
  private async openDigestRound(frames: Frames, settleMs: number, round: RoundContext): Promise<void> {
    const ours = this.init.digest.summarize(this.init.bucketCount);
    await frames.write(encodeDigestFrame(ours, settleMs), { signal: round.signal });
    const theirs = await readFrame(frames, round.signal);
    if (theirs.type !== 'digest') throw new SyncError('ERR_SYNC_PROTOCOL', `expected a digest, got ${theirs.type}`);
    if (theirs.digest.bucketCount !== ours.bucketCount) {
      throw new SyncError('ERR_SYNC_PROTOCOL', `answered with ${theirs.digest.bucketCount} buckets, asked ${ours.bucketCount}`);
    }
    await this.swapRecords(frames, 'opener', this.outgoing(differingBuckets(ours, theirs.digest), settleMs), round);
  }

  private async answer(frames: Frames, round: RoundContext): Promise<void> {
    const first = await this.nextFrame(frames, round);
    if (first.type === 'digest') {
      const turn = this.init.gate ? this.init.gate.answererTurn() : { end: () => {} };
      if (turn === null) {
        // Their own digest back: equal stores, nothing crosses; our own round follows.
        await frames.write(encodeDigestFrame(first.digest), { signal: round.signal });
        await this.swapRecords(frames, 'answerer', [], round);
        this.init.onPostponed?.(round);
        return;
      }
      let completed = false;
      try {
        const ours = this.init.digest.summarize(first.digest.bucketCount);
        await frames.write(encodeDigestFrame(ours), { signal: round.signal });
        await this.swapRecords(frames, 'answerer', this.outgoing(differingBuckets(ours, first.digest), first.settleMs), round);
        completed = true;
      } finally {
        turn.end(completed);
      }
      return;
    }
    // A push: the opener's records; END(0) once they are stored, so its push ends then.
    await this.receiveRecords(frames, round, first);
    await sendEnd(frames, round);
  }

  /** Records learned elsewhere, passed on as they are: each member learns a record once, so pushes die out. */
  private async push(frames: Frames, atLines: readonly string[], round: RoundContext): Promise<void> {
    await this.sendRecords(frames, atLines, round);
    await sendEnd(frames, round);
    await this.receiveRecords(frames, round);
  }

  /** Snapshot now: records received during the round must not be echoed back. */
  private outgoing(differing: Uint8Array, settleMs: number): string[] {
    return this.init.digest.select(differing, settleMs > 0 ? (Date.now() - settleMs) / 1000 : undefined);
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
      await Promise.all([send.then(() => sendEnd(frames, round)), receive]);
    } else {
      await Promise.all([send, receive]);
      await sendEnd(frames, round);
    }
  }

  private async sendRecords(frames: Frames, outgoing: readonly string[], round: RoundContext): Promise<void> {
    const { counters } = this.init;
    for (const batch of chunkRecords(outgoing, this.init.maxFrameBytes)) {
      const bytes = encodeRecordsFrame(batch);
      await frames.write(bytes, { signal: round.signal });
      round.sent += batch.length;
      counters.recordsSent += batch.length;
      counters.framesSent++;
      counters.bytesSent += bytes.length;
    }
  }

  /** Stores each valid frame as it arrives, so a later bad frame loses only itself; returns at END. */
  private async receiveRecords(frames: Frames, round: RoundContext, first?: SyncFrame): Promise<void> {
    const { counters } = this.init;
    for (let frame = first ?? (await this.nextFrame(frames, round)); ; frame = await this.nextFrame(frames, round)) {
      if (frame.type === 'digest') throw new SyncError('ERR_SYNC_PROTOCOL', 'a second digest');
      if (frame.type === 'end') {
        if (frame.count !== round.received) {
          throw new SyncError('ERR_SYNC_PROTOCOL', `end says ${frame.count} records, received ${round.received}`);
        }
        return;
      }
      round.received += frame.records.length + frame.known;
      counters.recordsReceived += frame.records.length + frame.known;
      this.accept(frame.records, round);
    }
  }

  /** The next frame; record lines the store already holds are counted, not parsed. */
  private nextFrame(frames: Frames, round: RoundContext): Promise<SyncFrame> {
    return readFrame(frames, round.signal, (line) => this.init.store.holds(line));
  }

  private accept(records: LocationRecord[], round: RoundContext): void {
    const learned = records.filter((record) => this.init.store.offer(record));
    if (learned.length === 0) return;
    this.init.counters.recordsLearned += learned.length;
    this.init.onLearned(learned, round);
  }
}

async function sendEnd(frames: Frames, round: RoundContext): Promise<void> {
  await frames.write(encodeEndFrame(round.sent), { signal: round.signal });
}

async function readFrame(frames: Frames, signal: AbortSignal, isKnown?: (atLine: string) => boolean): Promise<SyncFrame> {
  const bytes = await frames.read({ signal });
  return decodeFrame(bytes.subarray(), isKnown);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

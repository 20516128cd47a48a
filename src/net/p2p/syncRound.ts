/**
 * One catch-up round with one peer, over one stream opened by either side (frames in
 * ../../protocol/sync-codec.ts):
 *   opener -> DIGEST(n buckets)      other -> DIGEST(n buckets)
 *   both, concurrently: RECORDS of every bucket whose hashes differ ... END(count)
 * Each side keeps the newer record per client via `store.offer`, so both end with the same
 * records. Equal stores cost one round trip of two small digests. When and with whom rounds
 * run is the sync service's business (sync.ts).
 */
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from 'it-length-prefixed-stream';
import { differingBuckets, type Digest, type StoreDigest } from '../../core/digest.js';
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
}

type Frames = LengthPrefixedStream<Stream>;

interface RoundContext extends RoundPeer {
  readonly signal: AbortSignal;
  received: number;
  sent: number;
}

export class RoundProtocol {
  constructor(private readonly init: RoundProtocolInit) {}

  /** The round itself, the same for both sides but for who speaks first. */
  async exchange(stream: Stream, role: Role, peer: RoundPeer, signal: AbortSignal): Promise<SyncResult> {
    const round: RoundContext = { peerId: peer.peerId, name: peer.name, signal, received: 0, sent: 0 };
    const abort = (): void => stream.abort(toError(signal.reason));
    signal.addEventListener('abort', abort, { once: true });
    try {
      const { maxFrameBytes } = this.init;
      const frames: Frames = lpStream(stream, {
        maxDataLength: maxFrameBytes,
        lengthDecoder: (prefix) => decodeFrameLength(prefix, maxFrameBytes),
      });
      const differing = await this.swapDigests(frames, role, signal);
      // Snapshot now: records received during the round must not be echoed back.
      const outgoing = this.init.digest.select(differing);
      await this.swapRecords(frames, role, outgoing, round);
      await stream.close({ signal });
      return { sent: round.sent, received: round.received };
    } catch (err) {
      stream.abort(toError(err));
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** The opener picks the bucket count; the answerer digests with the same count. */
  private async swapDigests(frames: Frames, role: Role, signal: AbortSignal): Promise<Uint8Array> {
    const { digest } = this.init;
    if (role === 'opener') {
      const ours = digest.summarize(this.init.bucketCount);
      await frames.write(encodeDigestFrame(ours), { signal });
      const theirs = await readDigest(frames, signal);
      if (theirs.bucketCount !== ours.bucketCount) {
        throw new SyncError('ERR_SYNC_PROTOCOL', `answered with ${theirs.bucketCount} buckets, asked ${ours.bucketCount}`);
      }
      return differingBuckets(ours, theirs);
    }
    const theirs = await readDigest(frames, signal);
    const ours = digest.summarize(theirs.bucketCount);
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
      await Promise.all([send.then(() => sendEnd(frames, round)), receive]);
    } else {
      await Promise.all([send, receive]);
      await sendEnd(frames, round);
    }
  }

  private async sendRecords(frames: Frames, outgoing: string[], round: RoundContext): Promise<void> {
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

  /** Stores each valid frame as it arrives, so a later bad frame loses only itself. */
  private async receiveRecords(frames: Frames, round: RoundContext): Promise<void> {
    const { store, counters } = this.init;
    for (;;) {
      const frame = await readFrame(frames, round.signal, (line) => store.holds(line));
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

async function readDigest(frames: Frames, signal: AbortSignal): Promise<Digest> {
  const frame = await readFrame(frames, signal);
  if (frame.type !== 'digest') throw new SyncError('ERR_SYNC_PROTOCOL', `expected a digest, got ${frame.type}`);
  return frame.digest;
}

async function readFrame(frames: Frames, signal: AbortSignal, isKnown?: (atLine: string) => boolean): Promise<SyncFrame> {
  const bytes = await frames.read({ signal });
  return decodeFrame(bytes.subarray(), isKnown);
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Back-pressure. Nothing in libp2p pushes back on a publisher: gossipsub queues outbound
 * RPCs without bound (or throws them away past `maxOutboundBufferSize`), the yamux window
 * grows to 16 MiB, and the muxer queues frames for the socket without bound. So the member
 * measures its own outbound backlog and reports congestion above a high-water mark, until the
 * backlog falls below a low-water mark.
 */
import type { Connection } from '@libp2p/interface';
import { CONGESTION_HIGH_BYTES, CONGESTION_LOW_BYTES, CONGESTION_POLL_MS } from './constants.js';

/** Anything with a byte-counting queue, as `it-pushable` is. */
interface Queue {
  readonly readableLength?: number;
}

/**
 * Bytes queued in gossipsub's outbound streams, not yet taken by yamux. `pushable` is private
 * in gossipsub 14 (stream.js, OutboundStream); read defensively so a change reads as zero.
 */
export function gossipQueueBytes(streams: Iterable<unknown>): number {
  let total = 0;
  for (const stream of streams) total += lengthOf((stream as { pushable?: Queue }).pushable);
  return total;
}

/**
 * Bytes yamux has framed but the socket (through noise) has not taken: the muxer's `source`
 * pushable. `muxer` is not part of libp2p's public Connection interface; read defensively.
 */
export function socketQueueBytes(connections: Iterable<Connection>): number {
  let total = 0;
  for (const conn of connections) total += lengthOf((conn as unknown as { muxer?: { source?: Queue } }).muxer?.source);
  return total;
}

function lengthOf(queue: Queue | undefined): number {
  const n = queue?.readableLength;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

export interface CongestionInit {
  /** The backlog now, in bytes. */
  readonly measure: () => number;
  readonly onChange: (congested: boolean, backlogBytes: number) => void;
  readonly highBytes?: number;
  readonly lowBytes?: number;
  readonly pollMs?: number;
}

/** High/low water marks over a measured backlog; polls only while congested. */
export class CongestionGauge {
  private state = false;
  private poll: NodeJS.Timeout | undefined;
  private readonly high: number;
  private readonly low: number;

  constructor(private readonly init: CongestionInit) {
    this.high = init.highBytes ?? CONGESTION_HIGH_BYTES;
    this.low = init.lowBytes ?? CONGESTION_LOW_BYTES;
    if (!(this.low < this.high)) throw new RangeError(`congestion: lowBytes (${this.low}) must be below highBytes (${this.high})`);
  }

  get congested(): boolean {
    return this.state;
  }

  /** Re-measures; call whenever the backlog may have grown (after queuing a message). */
  check(): void {
    const bytes = this.init.measure();
    if (!this.state && bytes >= this.high) this.set(true, bytes);
    else if (this.state && bytes <= this.low) this.set(false, bytes);
  }

  stop(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }

  private set(congested: boolean, bytes: number): void {
    this.state = congested;
    if (congested) {
      // Nothing signals that sockets drained, so look again shortly until they have.
      this.poll = setInterval(() => this.check(), this.init.pollMs ?? CONGESTION_POLL_MS);
    } else {
      this.stop();
    }
    this.init.onChange(congested, bytes);
  }
}

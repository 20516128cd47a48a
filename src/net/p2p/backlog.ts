/**
 * Back-pressure. Nothing in libp2p pushes back on a publisher: gossipsub queues outbound
 * RPCs without bound (or throws them away past `maxOutboundBufferSize`), the yamux window
 * grows to 16 MiB, and the muxer queues frames for the socket without bound. So the member
 * measures its own outbound backlog and reports congestion above a high-water mark, until the
 * backlog falls below a low-water mark.
 */
import type { Connection } from '@libp2p/interface';

export const CONGESTION_DEFAULTS = {
  /**
   * Outbound backlog (outbox + messages being signed + gossipsub queues + bytes waiting for
   * the sockets) above which the member reports congestion, so the client adapter stops
   * reading. A few MiB keep a fast link busy while bounding memory and added latency.
   */
  highBytes: 8 * 1024 * 1024,
  /** Backlog below which congestion ends; the gap avoids flapping around one threshold. */
  lowBytes: 2 * 1024 * 1024,
  /** How often the backlog is re-measured while congested, to report the drain promptly. */
  pollMs: 10,
} as const;

/** Where the outbound backlog sits, in bytes. */
export interface Backlog {
  readonly outbox: number;
  readonly signing: number;
  readonly gossipQueues: number;
  readonly muxerQueues: number;
  readonly total: number;
}

/** The backlog from its parts: what the publisher holds, gossipsub's queues, the muxers' queues. */
export function backlogOf(
  publisher: { readonly outboxBytes: number; readonly signingBytes: number },
  gossipStreams: Iterable<unknown>,
  connections: Iterable<Connection>,
): Backlog {
  const outbox = publisher.outboxBytes;
  const signing = publisher.signingBytes;
  const gossipQueues = gossipQueueBytes(gossipStreams);
  const muxerQueues = socketQueueBytes(connections);
  return { outbox, signing, gossipQueues, muxerQueues, total: outbox + signing + gossipQueues + muxerQueues };
}

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
    this.high = init.highBytes ?? CONGESTION_DEFAULTS.highBytes;
    this.low = init.lowBytes ?? CONGESTION_DEFAULTS.lowBytes;
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
      this.poll = setInterval(() => this.check(), this.init.pollMs ?? CONGESTION_DEFAULTS.pollMs);
    } else {
      this.stop();
    }
    this.init.onChange(congested, bytes);
  }
}

/**
 * Coalesces records into as few gossip messages as the size caps allow. A record that finds a
 * quiet outbox leaves at the end of its turn (no added latency); under a steady stream,
 * flushes are spaced (see `spacingMs`), so many records share one signature and one trip
 * through every member's gossip stack.
 */
import { encodedSize, type LocationRecord } from '../../protocol/record.js';
import { supersedes } from '../../core/store.js';

export const OUTBOX_DEFAULTS = {
  /**
   * Records per gossip message. One signature and one validation then cover many records under
   * load, while one message still validates in well under gossipsub's 100 ms validator budget.
   */
  maxRecords: 1000,
  /**
   * Bytes per gossip message. Far below the 4 MiB length-prefix limit of the gossipsub stream
   * decoder, and small enough that a message does not hold a yamux stream for long.
   */
  maxBytes: 256 * 1024,
} as const;

export interface OutboxInit {
  /** Called with each batch, in order; must not throw. */
  readonly send: (batch: LocationRecord[]) => void;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  /** Runs `fn` after the current turn; `setImmediate` unless a test says otherwise. */
  readonly defer?: (fn: () => void) => void;
  /**
   * Least time between two flushes, ms, asked when a record finds the outbox empty (default
   * 0). A record arriving sooner after a flush waits for the rest of that spacing, so a steady
   * stream goes out as one message per spacing instead of one per turn; a record arriving
   * later (a quiet member) is flushed at the end of its turn, with no added delay.
   */
  readonly spacingMs?: () => number;
  /** Clock for the spacing, in ms; performance.now unless a test says otherwise. */
  readonly now?: () => number;
}

export class Outbox {
  /** Latest record per client: a client reporting twice in one turn is sent once. */
  private pending = new Map<string, LocationRecord>();
  private pendingBytes = 0;
  private scheduled = false;
  private stopped = false;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly defer: (fn: () => void) => void;
  private readonly spacingMs: () => number;
  private readonly now: () => number;
  private lastFlush = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly init: OutboxInit) {
    this.maxRecords = positive('maxRecords', init.maxRecords ?? OUTBOX_DEFAULTS.maxRecords);
    this.maxBytes = positive('maxBytes', init.maxBytes ?? OUTBOX_DEFAULTS.maxBytes);
    this.defer = init.defer ?? ((fn) => setImmediate(fn));
    this.spacingMs = init.spacingMs ?? (() => 0);
    this.now = init.now ?? (() => performance.now());
  }

  push(record: LocationRecord): void {
    if (this.stopped) return;
    const queued = this.pending.get(record.client);
    if (queued && !supersedes(record, queued)) return;
    this.pendingBytes += encodedSize(record) - (queued ? encodedSize(queued) : 0);
    this.pending.set(record.client, record);
    if (!this.scheduled) {
      this.scheduled = true;
      const wait = this.lastFlush + this.spacingMs() - this.now();
      if (wait > 0) this.timer = setTimeout(() => this.flush(), wait);
      else this.defer(() => this.flush());
    }
  }

  /** Records waiting for the end of the turn. */
  get size(): number {
    return this.pending.size;
  }

  /** Their encoded size, for the congestion measure. */
  get bytes(): number {
    return this.pendingBytes;
  }

  flush(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.pending.size === 0) return; // an early flush (shutdown) came first
    this.lastFlush = this.now();
    const records = [...this.pending.values()];
    this.pending = new Map();
    this.pendingBytes = 0;
    for (const batch of this.split(records)) this.init.send(batch);
  }

  /** Drops what is pending: the node is going down and the store is in memory anyway. */
  stop(): number {
    this.stopped = true;
    clearTimeout(this.timer);
    const dropped = this.pending.size;
    this.pending = new Map();
    this.pendingBytes = 0;
    return dropped;
  }

  private *split(records: LocationRecord[]): Generator<LocationRecord[]> {
    let batch: LocationRecord[] = [];
    let bytes = 0;
    for (const record of records) {
      const size = encodedSize(record);
      if (batch.length > 0 && (batch.length >= this.maxRecords || bytes + size > this.maxBytes)) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(record);
      bytes += size;
    }
    if (batch.length > 0) yield batch;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`outbox ${name}: must be a positive integer (got ${value})`);
  return value;
}

/**
 * How far apart this member spaces its gossip messages, from how busy it is. A message costs
 * every member about the same CPU whatever it carries, so a fixed spacing either wastes the
 * herd's CPU at light load (a message per record) or adds latency for nothing. Instead the
 * member watches its own event-loop utilisation (the share of time its one thread is busy,
 * with every member's messages, its clients and its syncs) and steers it towards a target:
 * busier than the target, the spacing grows and more records share a message; less busy, it
 * shrinks towards none (a record leaves at the end of its turn). Each member steers alone;
 * the busy ones are those that handle the most messages, so the herd's message rate follows.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export const PACING_DEFAULTS = {
  /**
   * Share of its event loop a member lets gossip pacing aim for. A message costs every member
   * about 1-3 ms of CPU whatever it carries, so the spacing decides the herd's CPU at light
   * load: flushing every turn, 200 updates/s at one member kept all five near a core each.
   * Lower means bigger batches and more latency; higher, the reverse. Measured with the bench's
   * relay scenario (0.2 twice, 0.1 and 0.05 once or twice) and its propagation scenario (once
   * each): the five members' cores at 200 and 1,000 updates/s at Clark were 0.70-0.90 and
   * 0.59-0.61 at 0.2, 0.39 and 0.37 at 0.1, 0.32-0.34 and 0.35-0.40 at 0.05; the two-hop p50
   * at 1,000/s 31, 74 and 73 ms, the p99 96-100 ms at all three. CPU that follows the load
   * ranks above the median delay (issue 12). `herd start --pacing-target-load` sets it: at 0.5,
   * 1,000/s cost the five members 1.5 cores against 0.3-0.4, for a two-hop p50 of 3-4 ms
   * against 50-55 (BENCHMARKS.md, section 2).
   */
  targetLoad: 0.1,
  /**
   * Longest spacing between two messages of one member: the latency pacing may add at most.
   * At 20,000-30,000 updates/s herd-wide (members saturated) 30, 50 and 100 ms gave 91/83,
   * 87/63 and 76/65 µs of member CPU per update and p99 delays 249/785, 241/488 and
   * 250/1,523 ms (bench sustained scenario, one run each on an otherwise idle machine).
   */
  maxMs: 50,
  /** How often pacing looks at the event loop's utilisation (at most; only while publishing). */
  sampleMs: 50,
} as const;

export interface PacingInit {
  /** Target share of the event loop busy, 0-1. */
  readonly targetLoad?: number;
  readonly maxMs?: number;
  /** Least time between two looks at the utilisation, ms. */
  readonly sampleMs?: number;
  /** Share of the event loop busy since the last call (the first call: since the start). */
  readonly load?: () => number;
  /** ms; performance.now unless a test says otherwise. */
  readonly now?: () => number;
}

export class PublishPacing {
  private spacing = 0;
  private lastSample: number;
  private readonly targetLoad: number;
  private readonly maxMs: number;
  private readonly sampleMs: number;
  private readonly load: () => number;
  private readonly now: () => number;

  constructor(init: PacingInit = {}) {
    this.targetLoad = init.targetLoad ?? PACING_DEFAULTS.targetLoad;
    this.maxMs = init.maxMs ?? PACING_DEFAULTS.maxMs;
    this.sampleMs = init.sampleMs ?? PACING_DEFAULTS.sampleMs;
    this.load = init.load ?? eventLoopLoad();
    this.now = init.now ?? (() => performance.now());
    this.lastSample = this.now();
  }

  /** The spacing for this member's next message, ms. */
  spacingMs(): number {
    const now = this.now();
    if (now - this.lastSample >= this.sampleMs) {
      this.lastSample = now;
      this.steer(this.load());
    }
    return this.spacing;
  }

  /**
   * When messages dominate, the load goes as 1 / spacing, so spacing x load / target would hit
   * the target in one step; the square root halves each step's error instead, which keeps the
   * loop calm on a machine whose load jumps. At least 1 ms is scaled, so 0 can grow.
   */
  private steer(load: number): void {
    const next = Math.max(this.spacing, 1) * Math.sqrt(Math.max(load, 0) / this.targetLoad);
    this.spacing = next < 0.5 ? 0 : Math.min(this.maxMs, next);
  }
}

/** The event loop's utilisation since the previous call. */
function eventLoopLoad(): () => number {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, previous);
    previous = now;
    return delta.utilization;
  };
}

import type { Clock } from '../core/ports.js';

const REANCHOR_NANOS = 1_000_000_000n;

/**
 * Wall-clock time with nanosecond resolution. Date.now() has only milliseconds, so the wall
 * clock is read at an anchor and advanced by the monotonic timer; the anchor is renewed every
 * second so that NTP adjustments of a long-running member are followed.
 */
export function systemClock(): Clock {
  let wallAnchor = 0n;
  let monotonicAnchor = -REANCHOR_NANOS;
  return {
    nowNanos() {
      const monotonic = process.hrtime.bigint();
      if (monotonic - monotonicAnchor >= REANCHOR_NANOS) {
        wallAnchor = BigInt(Date.now()) * 1_000_000n;
        monotonicAnchor = monotonic;
      }
      return wallAnchor + (monotonic - monotonicAnchor);
    },
  };
}

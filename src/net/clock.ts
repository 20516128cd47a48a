import type { Clock } from '../core/ports.js';

const REANCHOR_NANOS = 1_000_000_000n;
/** How far the wall clock may move from our reading (an NTP step) before we follow it. */
const STEP_NANOS = 2_000_000n;

/**
 * Wall-clock time with nanosecond resolution. Date.now() has only milliseconds, so the wall
 * clock is read at an anchor and advanced by the monotonic timer. The anchor is taken from
 * performance.timeOrigin (microseconds): anchored on Date.now() instead, each process (and
 * each re-anchoring) was off by a random 0-1 ms, which is the size of the propagation delays
 * measured between members. Every second the reading is checked against Date.now(), and an
 * NTP step of more than a few ms is followed.
 */
export function systemClock(): Clock {
  const preciseWall = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1_000n;
  let wallAnchor = preciseWall();
  let monotonicAnchor = process.hrtime.bigint();
  return {
    nowNanos() {
      const monotonic = process.hrtime.bigint();
      const now = wallAnchor + (monotonic - monotonicAnchor);
      if (monotonic - monotonicAnchor >= REANCHOR_NANOS) {
        // Date.now() floors to the ms: ours should lie in [wall, wall + 1 ms).
        const wall = BigInt(Date.now()) * 1_000_000n;
        const off = now - wall;
        if (off < -STEP_NANOS || off > STEP_NANOS + 1_000_000n) {
          wallAnchor = wall;
          monotonicAnchor = monotonic;
          return wall;
        }
        wallAnchor = now;
        monotonicAnchor = monotonic;
      }
      return now;
    },
  };
}

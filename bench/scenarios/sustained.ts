/**
 * Figure 3: sustained IAMAT throughput. Several connections per member keep a fixed window of
 * IAMATs outstanding for a fixed time; every IAMAT is a new client, so a member's store size
 * is exactly the number of updates that reached it. After the last reply the herd gets up to
 * `catchUpTimeoutMs` to hold every acknowledged update at all five members (store sizes and
 * digests equal).
 */
import type { BenchHerd, Name } from '../lib/herd.js';
import { addResults, windowed, type LoadResult } from '../lib/load.js';
import { costBetween, snapshot, statusesPatiently, storeSize, type Cost } from './cost.js';

export interface SustainedOptions {
  readonly members: readonly Name[];
  readonly connectionsPerMember: number;
  readonly window: number;
  readonly seconds: number;
  readonly catchUpTimeoutMs?: number;
  /** Client id prefix; distinct per phase so no update is stale. */
  readonly tag: string;
}

export interface SustainedResult {
  readonly options: Omit<SustainedOptions, 'tag'>;
  readonly load: Omit<LoadResult, 'lastAckAt'>;
  /** Acknowledged IAMATs per second, first send to last reply. */
  readonly ackedPerSecond: number;
  /** Share of acknowledged updates every member held at the moment of the last reply. */
  readonly everywhereAtLastAck: number;
  /** From the last reply until all five members held every update, ms (null: not within the limit). */
  readonly catchUpMs: number | null;
  /** Acknowledged updates / (first send until all five held them), per second. */
  readonly everywherePerSecond: number | null;
  readonly recordsPerGossipMessage: number;
  /** All five members' CPU time per acknowledged update, µs (first send until caught up and logs written). */
  readonly memberCpuMicrosPerUpdate: number;
  /** Log file bytes written per update (0 at level warn). */
  readonly logBytesPerUpdate: number;
  /** How long after catching up the log files still grew, ms (about 600 when nothing was pending). */
  readonly logFlushMs: number;
  /** First send until all five held every update (cores used: over this window). */
  readonly cost: Cost;
}

export async function sustained(herd: BenchHerd, options: SustainedOptions): Promise<SustainedResult> {
  const before = await snapshot(herd);
  const base = storeSize(before);
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const runs: Array<Promise<LoadResult>> = [];
  for (const member of options.members) {
    for (let c = 0; c < options.connectionsPerMember; c++) {
      runs.push(windowed({ port: herd.clientPort(member), prefix: `${options.tag}-${member}-${c}`, window: options.window, until }));
    }
  }
  const load = addResults(await Promise.all(runs));
  const atAck = await statusesPatiently(herd);
  const lastAck = load.lastAckAt;
  const waitFrom = performance.now();
  const caughtUp = await herd.converged({ clients: base + load.acked, timeoutMs: options.catchUpTimeoutMs ?? 30_000 });
  const after = await snapshot(herd);
  const cost = costBetween(before, after);
  // Logging's bill can arrive late (see logsSettled): CPU and bytes per update include it.
  const logFlushMs = await herd.logsSettled();
  const flushed = costBetween(before, await snapshot(herd));
  // From the last reply (not from when we started asking) to the poll that saw all five equal.
  const catchUpMs = caughtUp === null ? null : waitFrom + caughtUp - lastAck;
  const ackSeconds = (lastAck - started) / 1000;
  const delivered = Math.min(...atAck.map((s) => s.store.clients - base));
  const { lastAckAt: _lastAckAt, ...counts } = load;
  return {
    options: { members: options.members, connectionsPerMember: options.connectionsPerMember, window: options.window, seconds: options.seconds },
    load: counts,
    ackedPerSecond: load.acked / ackSeconds,
    everywhereAtLastAck: load.acked ? delivered / load.acked : 0,
    catchUpMs,
    everywherePerSecond: catchUpMs === null ? null : load.acked / (ackSeconds + catchUpMs / 1000),
    recordsPerGossipMessage: cost.gossipRecordsPublished / Math.max(1, cost.gossipMessagesPublished),
    memberCpuMicrosPerUpdate: (flushed.memberCpuSeconds / Math.max(1, load.acked)) * 1e6,
    logBytesPerUpdate: flushed.logBytes / Math.max(1, load.acked),
    logFlushMs,
    cost,
  };
}

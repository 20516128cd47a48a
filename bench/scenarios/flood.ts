/**
 * Figure 4: a flood well above the sustained rate. Many connections write IAMATs with no
 * window for a few seconds, then cut their connections. A member that pushes back stops
 * reading (its congestion signal, or simply a busy event loop): the bytes wait in the kernel
 * (rx_queue, sampled here) and its RSS stays flat. One that did not would queue in its heap.
 * The client ids come from a bounded pool per connection, so stores hardly grow and RSS
 * shows queues rather than data. Afterwards all five digests must agree: each acknowledged
 * update was in its origin's store when answered (or superseded there by a later one of
 * the same client), so equal digests mean it reached every member.
 */
import { NAMES, type BenchHerd, type Name } from '../lib/herd.js';
import { addResults, blast, type LoadResult } from '../lib/load.js';
import { socketQueues } from '../lib/proc.js';
import { costBetween, snapshot, type Cost } from './cost.js';

export interface FloodOptions {
  readonly members: readonly Name[];
  readonly connections: number;
  readonly seconds: number;
  /** Client ids per connection. */
  readonly pool: number;
  readonly catchUpTimeoutMs: number;
  readonly tag: string;
}

export interface FloodResult {
  readonly options: Omit<FloodOptions, 'tag'>;
  /** sent - acked were cut off unanswered (in kernel buffers or a member's read buffer). */
  readonly load: Omit<LoadResult, 'lastAckAt'>;
  readonly ackedPerSecond: number;
  /** Share of connection time the blasters spent stalled in write(). */
  readonly stalledShare: number;
  /** Peak bytes the members left unread in their client sockets' kernel receive queues. */
  readonly peakUnreadMiB: number;
  /** Peak bytes backed up behind that in the blasters' kernel send queues. */
  readonly peakUnsentMiB: number;
  /** All five digests agreed within the limit, and no reply was a `?`. */
  readonly allArrived: boolean;
  /** From the cut until all five digests agreed, ms (null: not within the limit). */
  readonly catchUpMs: number | null;
  readonly rssBeforeMiB: Record<Name, number>;
  /** VmHWM over the flood and the catch-up (whole life of the process if the reset failed). */
  readonly peakRssMiB: Record<Name, number>;
  readonly peakResetWorked: boolean;
  readonly cost: Cost;
}

export async function flood(herd: BenchHerd, options: FloodOptions): Promise<FloodResult> {
  const peakResetWorked = herd.resetPeaks();
  const memoryBefore = herd.memory();
  const before = await snapshot(herd);
  const ports = new Set(options.members.map((m) => herd.clientPort(m)));
  let peakUnread = 0;
  let peakUnsent = 0;
  const sampler = setInterval(() => {
    const q = socketQueues(ports);
    peakUnread = Math.max(peakUnread, q.unreadByMembers);
    peakUnsent = Math.max(peakUnsent, q.unsentByClients);
  }, 100);
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const runs: Array<Promise<LoadResult>> = [];
  for (let c = 0; c < options.connections; c++) {
    const member = options.members[c % options.members.length]!;
    runs.push(blast({ port: herd.clientPort(member), prefix: `${options.tag}-${member}-${c}`, until, pool: options.pool }));
  }
  let load: LoadResult;
  try {
    load = addResults(await Promise.all(runs));
  } finally {
    clearInterval(sampler);
  }
  const waitFrom = performance.now();
  const caughtUp = await herd.converged({ timeoutMs: options.catchUpTimeoutMs });
  const after = await snapshot(herd);
  const memoryAfter = herd.memory();
  const { lastAckAt: _lastAckAt, ...counts } = load;
  const byMember = (f: (n: Name) => number) => Object.fromEntries(NAMES.map((n) => [n, f(n)])) as Record<Name, number>;
  return {
    options: { members: options.members, connections: options.connections, seconds: options.seconds, pool: options.pool, catchUpTimeoutMs: options.catchUpTimeoutMs },
    load: counts,
    ackedPerSecond: load.acked / options.seconds,
    stalledShare: Math.min(1, load.stalledMs / (options.connections * options.seconds * 1000)),
    peakUnreadMiB: peakUnread / 2 ** 20,
    peakUnsentMiB: peakUnsent / 2 ** 20,
    allArrived: caughtUp !== null && load.bad === 0,
    catchUpMs: caughtUp === null ? null : waitFrom + caughtUp - until,
    rssBeforeMiB: byMember((n) => memoryBefore[n].rssMiB),
    peakRssMiB: byMember((n) => memoryAfter[n].peakMiB),
    peakResetWorked,
    cost: costBetween(before, after),
  };
}

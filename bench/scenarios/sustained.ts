/**
 * Figure 3: the herd-wide sustained rate. IAMATs of fresh clients spread evenly over all five
 * members at rising rates (open loop, 1 ms clock); a rate counts as sustained when, 2 s after
 * the load stops, every member holds every acknowledged record (store sizes and digests
 * agree) and the p99 propagation delay over all members stays under 250 ms. The members' CPU
 * per update shows where the cost goes as the gossip batches grow.
 */
import { delaysBetween, mergeBuckets, scrapeDelays, summarizeDelays, type DelaySummary } from '../lib/delays.js';
import type { BenchHerd } from '../lib/herd.js';
import { paced, type LoadResult } from '../lib/load.js';
import { costBetween, snapshot, storeSize, type Cost } from './cost.js';
import { CONVERGE_WITHIN_MS, P99_LIMIT_MS } from './propagation.js';

export interface SustainedStep {
  readonly rate: number;
  readonly seconds: number;
  readonly load: LoadResult;
  readonly converged: boolean;
  readonly delays: DelaySummary;
  readonly cost: Cost;
  /** The five members' CPU per acknowledged update, µs. */
  readonly memberCpuMicrosPerUpdate: number;
  readonly recordsPerGossipMessage: number;
  readonly sustained: boolean;
}

export interface SustainedResult {
  readonly steps: SustainedStep[];
  readonly highest: SustainedStep | null;
}

export async function sustained(
  herd: BenchHerd,
  rates: readonly number[],
  seconds: number,
  onStep: (text: string) => void,
): Promise<SustainedResult> {
  const steps: SustainedStep[] = [];
  for (const rate of rates) {
    onStep(`herd-wide ${rate}/s`);
    const step = await sustainedStep(herd, rate, seconds);
    steps.push(step);
    if (!step.sustained) break;
  }
  return { steps, highest: steps.filter((s) => s.sustained).at(-1) ?? null };
}

export async function sustainedStep(herd: BenchHerd, rate: number, seconds: number, tag = 'sus'): Promise<SustainedStep> {
  const start = await snapshot(herd);
  const before = await scrapeDelays(herd);
  const ports = herd.names.map((n) => herd.clientPort(n));
  const load = await paced({ ports, prefix: `bench-${tag}-${rate}`, rate, seconds });
  const converged = (await herd.converged({ clients: storeSize(start) + load.acked, timeoutMs: CONVERGE_WITHIN_MS })) !== null;
  const end = await snapshot(herd);
  const delays = summarizeDelays(mergeBuckets([...delaysBetween(before, await scrapeDelays(herd)).values()]));
  const cost = costBetween(start, end);
  return {
    rate,
    seconds,
    load,
    converged,
    delays,
    cost,
    memberCpuMicrosPerUpdate: (cost.memberCpuSeconds / Math.max(1, load.acked)) * 1e6,
    recordsPerGossipMessage: cost.gossipRecordsPublished / Math.max(1, cost.gossipMessagesPublished),
    sustained: converged && load.bad === 0 && load.acked === load.sent && delays.p99 < P99_LIMIT_MS,
  };
}

/**
 * Figure 2: propagation from an edge member. IAMATs of fresh clients are sent to Clark at a
 * steady rate (open loop: sent on a 1 ms clock whether or not replies are back); each other
 * member's own histogram gives the delay from Clark receiving the IAMAT to that member
 * storing it, grouped by hop count. First at a fixed rate (1,000/s), then at rising rates
 * until one is not sustained: not every member holds every acknowledged record 2 s after the
 * load stops, or the p99 to the farthest members is 250 ms or more (a rate reached by
 * queueing is not sustained).
 */
import { delaysBetween, hopsFrom, mergeBuckets, scrapeDelays, summarizeDelays, type DelaySummary } from '../lib/delays.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import type { Buckets } from '../lib/stats.js';
import { paced, type LoadResult } from '../lib/load.js';
import { sleep } from '../lib/util.js';
import { costBetween, snapshot, storeSize } from './cost.js';

export interface RateResult {
  readonly rate: number;
  readonly seconds: number;
  readonly load: LoadResult;
  /** Every member held every acknowledged record within 2 s of the load's end. */
  readonly converged: boolean;
  readonly byMember: Record<string, DelaySummary & { readonly hops: number }>;
  /** All members at each hop count, merged. */
  readonly byHops: Record<string, DelaySummary>;
  /** Converged and p99 at the farthest hop under the limit. */
  readonly sustained: boolean;
  /** The five members' cores while the load ran (1.0 is one core busy). */
  readonly membersCores: number;
}

/** What one gossip message costs when messages go out one at a time (50/s from the origin). */
export interface LoneMessageCost {
  readonly messages: number;
  /** The five members' CPU per message, µs, over their CPU when idle just before. */
  readonly herdMicrosPerMessage: number;
  /** Bona's alone: a relay with no clients. */
  readonly relayMicrosPerMessage: number;
}

export interface PropagationResult {
  readonly origin: Name;
  readonly lone: LoneMessageCost;
  readonly fixed: RateResult;
  readonly steps: RateResult[];
  /** The highest rate sustained (null: not even the first step). */
  readonly highest: RateResult | null;
  /** The fixed rate again on a herd whose members pace for latency (`--pacing-target-load`), if run. */
  readonly latencyFirst?: { readonly targetLoad: number; readonly step: RateResult };
}

/**
 * `--pacing-target-load` for the latency-first run: members send a message per record or
 * nearly until gossip keeps them half busy.
 */
export const LATENCY_FIRST_LOAD = 0.5;

export const P99_LIMIT_MS = 250;
export const CONVERGE_WITHIN_MS = 2_000;

export interface PropagationOptions {
  readonly fixedRate: number;
  readonly fixedSeconds: number;
  readonly rates: readonly number[];
  readonly stepSeconds: number;
}

export async function propagation(herd: BenchHerd, options: PropagationOptions, onStep: (text: string) => void): Promise<PropagationResult> {
  const origin: Name = 'Clark';
  onStep('one message at a time');
  const lone = await loneMessageCost(herd, origin, options.fixedSeconds);
  onStep(`propagation at ${options.fixedRate}/s`);
  const fixed = await atRate(herd, origin, options.fixedRate, options.fixedSeconds);
  const steps: RateResult[] = [];
  for (const rate of options.rates) {
    onStep(`propagation at ${rate}/s`);
    const step = await atRate(herd, origin, rate, options.stepSeconds);
    steps.push(step);
    if (!step.sustained) break;
  }
  return { origin, lone, fixed, steps, highest: steps.filter((s) => s.sustained).at(-1) ?? null };
}

/** One step: `rate` IAMATs/s at `origin` for `seconds` (two connections, so no single socket is the limit). */
export async function atRate(herd: BenchHerd, origin: Name, rate: number, seconds: number): Promise<RateResult> {
  const baseline = storeSize(await snapshot(herd));
  const before = await scrapeDelays(herd);
  const start = await snapshot(herd);
  const load = await paced({ ports: [herd.clientPort(origin)], connectionsPerPort: 2, prefix: `bench-prop-${rate}`, rate, seconds });
  const { membersCores } = costBetween(start, await snapshot(herd));
  const converged = (await herd.converged({ clients: baseline + load.acked, timeoutMs: CONVERGE_WITHIN_MS })) !== null;
  const delays = delaysBetween(before, await scrapeDelays(herd));
  const hops = hopsFrom(origin, herd.names);
  const byMember: RateResult['byMember'] = {};
  const grouped = new Map<number, Buckets[]>();
  for (const [name, buckets] of delays) {
    const h = hops.get(name)!;
    if (h === 0) continue; // the origin stores its own records at once
    byMember[name] = { hops: h, ...summarizeDelays(buckets) };
    grouped.set(h, [...(grouped.get(h) ?? []), buckets]);
  }
  const byHops = Object.fromEntries([...grouped].sort((a, b) => a[0] - b[0]).map(([h, all]) => [String(h), summarizeDelays(mergeBuckets(all))]));
  const farthest = byHops[String(Math.max(...grouped.keys()))]!;
  return { rate, seconds, load, converged, byMember, byHops, sustained: converged && load.bad === 0 && farthest.p99 < P99_LIMIT_MS, membersCores };
}

/**
 * `rate` at Clark for twice `seconds` (so that the members' code is as warm as the default
 * herd's is by its fixed step), then a step of `seconds`: for a herd started otherwise.
 */
export async function warmThenAtRate(herd: BenchHerd, rate: number, seconds: number): Promise<RateResult> {
  await paced({ ports: [herd.clientPort('Clark')], prefix: 'bench-prop-warm', rate, seconds: 2 * seconds });
  return atRate(herd, 'Clark', rate, seconds);
}

async function loneMessageCost(herd: BenchHerd, origin: Name, seconds: number): Promise<LoneMessageCost> {
  const idleStart = await snapshot(herd);
  await sleep(seconds * 1000);
  const idle = costBetween(idleStart, await snapshot(herd));
  const start = await snapshot(herd);
  await paced({ ports: [herd.clientPort(origin)], prefix: 'bench-lone', rate: 50, seconds });
  await herd.converged({ timeoutMs: CONVERGE_WITHIN_MS });
  const cost = costBetween(start, await snapshot(herd));
  const messages = cost.gossipMessagesPublished;
  const busy = (cores: number, idleCores: number) => (((cores - idleCores) * cost.wallSeconds) / messages) * 1e6;
  return {
    messages,
    herdMicrosPerMessage: busy(cost.membersCores, idle.membersCores),
    relayMicrosPerMessage: busy(cost.coresByMember.Bona, idle.coresByMember.Bona),
  };
}

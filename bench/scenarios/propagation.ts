/**
 * Figure 2: how long an update takes from Clark to Bailey, which are not neighbours (two hops:
 * Clark-Bona-Bailey, or three the other way round). Two views, because neither is perfect:
 *
 *  - observed: the bench sends the IAMAT at Clark and, at the same time, asks Bailey
 *    `WHATSAT id 1 1` over and over on one connection until the answer is an AT line. Measured
 *    from the IAMAT's send to that answer, so it includes Clark's handling and one WHATSAT
 *    round trip of slack (the poll). The polling costs Bailey and the bench CPU, on 2 cores.
 *  - histogram: the same kind of IAMATs, no polling; Bailey's own `herd_propagation_delay_seconds`
 *    (Clark's receive time, from the AT line, to Bailey storing the record; one host, one
 *    clock) over just these samples. Undisturbed, but only as fine as its bucket edges
 *    (1, 2.5, 5, 10 ms ...): quantiles are interpolated within a bucket.
 */
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd } from '../lib/herd.js';
import { bucketDelta, histogramQuantile, summarize, type Buckets, type Summary } from '../lib/stats.js';
import { sleep } from '../lib/util.js';

export interface PropagationResult {
  readonly from: 'Clark';
  readonly to: 'Bailey';
  /** Polled from outside, ms. */
  readonly observed: Summary & { readonly lost: number; readonly meanPolls: number };
  /** From Bailey's histogram, ms (bucket-interpolated). */
  readonly histogram: { readonly n: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly bucketsLeSeconds: Array<[string, number]> };
}

const METRIC = 'herd_propagation_delay_seconds_bucket';

/** The propagation histogram's cumulative buckets from Prometheus text. */
export function parseBuckets(text: string): Buckets {
  const buckets: Array<[number, number]> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(METRIC)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le !== undefined) buckets.push([le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), value]);
  }
  return buckets.sort((a, b) => a[0] - b[0]);
}

export async function propagation(herd: BenchHerd, samples: number, gapMs = 5, perSampleMs = 2_000): Promise<PropagationResult> {
  const clark = await LineClient.open(herd.clientPort('Clark'));
  const bailey = await LineClient.open(herd.clientPort('Bailey'));
  try {
    const observed = await polled(clark, bailey, samples, gapMs, perSampleMs);
    const histogram = await unpolled(herd, clark, samples, gapMs);
    return { from: 'Clark', to: 'Bailey', observed, histogram };
  } finally {
    clark.close();
    bailey.close();
  }
}

async function polled(clark: LineClient, bailey: LineClient, samples: number, gapMs: number, perSampleMs: number) {
  const times: number[] = [];
  let lost = 0;
  let polls = 0;
  for (let i = 0; i < samples; i++) {
    const client = `bench-prop-${i}.example.org`;
    const t0 = performance.now();
    const ack = clark.request(iamat(client));
    let seen = false;
    // Bounded by count and time; a sample that never shows up is counted as lost.
    for (let p = 0; p < 20_000 && performance.now() - t0 < perSampleMs; p++) {
      polls++;
      const reply = await bailey.request(`WHATSAT ${client} 1 1`, 'whatsat');
      if (reply.startsWith('AT ')) {
        times.push(performance.now() - t0);
        seen = true;
        break;
      }
    }
    if (!seen) lost++;
    await ack;
    await sleep(gapMs); // let queues empty: we measure one update, not a burst
  }
  return { ...summarize(times), lost, meanPolls: polls / samples };
}

async function unpolled(herd: BenchHerd, clark: LineClient, samples: number, gapMs: number) {
  const before = parseBuckets(await herd.metrics('Bailey'));
  for (let i = 0; i < samples; i++) {
    await clark.request(iamat(`bench-hist-${i}.example.org`));
    await sleep(gapMs);
  }
  await herd.converged({ timeoutMs: 10_000 });
  const delta = bucketDelta(parseBuckets(await herd.metrics('Bailey')), before);
  const ms = (q: number) => histogramQuantile(delta, q) * 1000;
  return { n: delta.at(-1)?.[1] ?? 0, p50: ms(0.5), p90: ms(0.9), p99: ms(0.99), bucketsLeSeconds: delta.map(([le, n]): [string, number] => [Number.isFinite(le) ? String(le) : '+Inf', n]) };
}

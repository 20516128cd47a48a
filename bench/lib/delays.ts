/**
 * Propagation delays as the members record them: `herd_propagation_delay_seconds`, from the
 * origin member receiving an IAMAT (its receive time travels in the AT line) to this member
 * storing the record. All members share this machine's clock, so no clock skew enters.
 * A phase's delays are the difference of two scrapes of the histogram.
 */
import type { BenchHerd, Name } from './herd.js';
import { LINKS } from './herd.js';
import { bucketDelta, histogramQuantile, type Buckets } from './stats.js';

const METRIC = 'herd_propagation_delay_seconds_bucket';

/** The histogram's cumulative buckets from Prometheus text. */
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

export interface DelaySummary {
  readonly n: number;
  /** ms, interpolated inside the bucket that holds the rank (as Prometheus does). */
  readonly p50: number;
  readonly p99: number;
  /** ms: the upper edge of the highest bucket with a sample (the histogram keeps no exact max). */
  readonly maxAtMost: number;
}

export function summarizeDelays(buckets: Buckets): DelaySummary {
  const n = buckets.at(-1)?.[1] ?? 0;
  let maxAtMost = Number.NaN;
  for (let i = buckets.length - 1; i >= 0; i--) {
    const inBucket = buckets[i]![1] - (buckets[i - 1]?.[1] ?? 0);
    if (inBucket > 0) {
      maxAtMost = buckets[i]![0] * 1000;
      break;
    }
  }
  return { n, p50: histogramQuantile(buckets, 0.5) * 1000, p99: histogramQuantile(buckets, 0.99) * 1000, maxAtMost };
}

/** Bucket-wise sum of histograms with the same edges. */
export function mergeBuckets(all: readonly Buckets[]): Buckets {
  return all[0]!.map(([le], i) => [le, all.reduce((sum, b) => sum + b[i]![1], 0)] as const);
}

/** Scrapes every member's histogram now. */
export async function scrapeDelays(herd: BenchHerd): Promise<Map<Name, Buckets>> {
  const all = await Promise.all(herd.names.map(async (n) => [n, parseBuckets(await herd.metrics(n))] as const));
  return new Map(all);
}

/** Each member's delays between two scrapes. */
export function delaysBetween(before: Map<Name, Buckets>, after: Map<Name, Buckets>): Map<Name, Buckets> {
  return new Map([...after].map(([name, buckets]) => [name, bucketDelta(buckets, before.get(name)!)]));
}

/** Hops from `origin` to every member over the herd's links (breadth first). */
export function hopsFrom(origin: Name, names: readonly Name[]): Map<Name, number> {
  const hops = new Map<Name, number>([[origin, 0]]);
  for (let frontier = [origin]; frontier.length > 0;) {
    const next: Name[] = [];
    for (const at of frontier) {
      for (const [a, b] of LINKS) {
        const other = a === at ? b : b === at ? a : undefined;
        if (other && names.includes(other) && !hops.has(other)) {
          hops.set(other, hops.get(at)! + 1);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  return hops;
}

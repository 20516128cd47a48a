/** Small statistics helpers for the benchmark: percentiles of samples and of histograms. */

export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of an ascending array (no interpolation: every value was observed). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Cumulative Prometheus buckets: upper bound (Infinity for +Inf) and count at or below it. */
export type Buckets = ReadonlyArray<readonly [number, number]>;

/**
 * The quantile of a Prometheus histogram the way `histogram_quantile` computes it: linear
 * interpolation inside the bucket that holds the rank. Only as precise as the bucket edges.
 */
export function histogramQuantile(buckets: Buckets, q: number): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return lowerBound; // in +Inf: the last finite edge is all we know
      const inBucket = count - lowerCount;
      return inBucket === 0 ? bound : lowerBound + (bound - lowerBound) * ((rank - lowerCount) / inBucket);
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}

/** Bucket-wise difference after - before (same edges), for the samples of one phase. */
export function bucketDelta(after: Buckets, before: Buckets): Array<[number, number]> {
  return after.map(([bound, count], i) => [bound, count - (before[i]?.[1] ?? 0)]);
}

export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

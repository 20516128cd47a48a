/**
 * How much loading the offline places (src/places/offline.ts) costs the main thread.
 *
 * Each run is a fresh process (the data set is shared per process, so a second load in the
 * same process would measure nothing). In it: the event loop is watched with
 * monitorEventLoopDelay (1 ms resolution) and with a 1 ms setInterval whose largest gap is
 * the longest stall, from just before `new OfflinePlaces()` until `ready`; then queries are
 * timed (the first one, then, after a warm-up, many near Westwood and at random points).
 *
 *   npx tsc -p . && node dist/bench/offline-load.js [--runs 7] [--queries 2000]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { NearbyQuery } from '../src/core/ports.js';
import { silentLog } from '../testkit/loggers.js';
import { OfflinePlaces } from '../src/places/offline.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    queries: { type: 'string', default: '2000' },
    child: { type: 'boolean', default: false },
  },
});

interface RunResult {
  constructMs: number;
  readyMs: number;
  /** Longest gap between two ticks of a 1 ms interval, less the 1 ms. */
  maxGapMs: number;
  /** monitorEventLoopDelay's max and p99, in ms. */
  eldMaxMs: number;
  eldP99Ms: number;
  firstQueryMs: number;
  /** Mean of the later queries (after 1,000 warm-up queries), in µs. */
  westwoodQueryUs: number;
  randomQueryUs: number;
  rssMb: number;
}

const WESTWOOD: NearbyQuery = { lat: 34.06893, lng: -118.445127, radiusMetres: 10_000, limit: 20 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function child(queries: number): Promise<RunResult> {
  await sleep(100); // let start-up settle before watching
  const eld = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last - 1);
    last = now;
  }, 1);
  eld.enable();
  await sleep(20);

  const started = performance.now();
  const places = new OfflinePlaces({ log: silentLog });
  const constructMs = performance.now() - started;
  await places.ready;
  const readyMs = performance.now() - started;
  await sleep(20); // a stall at the very end shows as the next tick's gap
  eld.disable();
  clearInterval(ticker);
  if (!places.loaded) throw new Error('offline places did not load');
  await sleep(300); // queries on a quiet machine: the worker, if any, has exited by now

  let t = performance.now();
  const first = await places.nearby(WESTWOOD);
  const firstQueryMs = performance.now() - t;
  if (first.status !== 'OK') throw new Error(`first query: ${String(first.status)}`);

  for (let i = 0; i < 1000; i++) await places.nearby(WESTWOOD); // warm up the JIT
  t = performance.now();
  for (let i = 0; i < queries; i++) await places.nearby(WESTWOOD);
  const westwoodQueryUs = ((performance.now() - t) * 1000) / queries;

  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const points = Array.from({ length: queries }, (): NearbyQuery => ({
    lat: random() * 140 - 70,
    lng: random() * 360 - 180,
    radiusMetres: 50_000,
    limit: 20,
  }));
  t = performance.now();
  for (const point of points) await places.nearby(point);
  const randomQueryUs = ((performance.now() - t) * 1000) / queries;

  return {
    constructMs,
    readyMs,
    maxGapMs,
    eldMaxMs: eld.max / 1e6,
    eldP99Ms: eld.percentile(99) / 1e6,
    firstQueryMs,
    westwoodQueryUs,
    randomQueryUs,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
}

function runChild(queries: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--queries', String(queries)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`child exited with ${code}`));
      else resolve(JSON.parse(out) as RunResult);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

if (args.child) {
  const result = await child(Number(args.queries));
  process.stdout.write(JSON.stringify(result));
} else {
  const runs = Number(args.runs);
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runChild(Number(args.queries)));
  const rows: [string, keyof RunResult, number][] = [
    ['constructor (ms)', 'constructMs', 2],
    ['until ready (ms)', 'readyMs', 0],
    ['longest stall, 1 ms interval gap (ms)', 'maxGapMs', 1],
    ['longest stall, monitorEventLoopDelay max (ms)', 'eldMaxMs', 1],
    ['event loop delay p99 (ms)', 'eldP99Ms', 1],
    ['first query (ms)', 'firstQueryMs', 2],
    ['query near Westwood, 10 km, mean (µs)', 'westwoodQueryUs', 1],
    ['query at random points, 50 km, mean (µs)', 'randomQueryUs', 1],
    ['RSS after the queries (MiB)', 'rssMb', 0],
  ];
  console.log(`offline places load, ${runs} fresh processes, node ${process.version}`);
  for (const [label, key, digits] of rows) {
    const xs = results.map((r) => r[key]);
    console.log(
      `${label.padEnd(48)} median ${median(xs).toFixed(digits).padStart(8)}   min ${Math.min(...xs)
        .toFixed(digits)
        .padStart(8)}   max ${Math.max(...xs)
        .toFixed(digits)
        .padStart(8)}`,
    );
  }
}

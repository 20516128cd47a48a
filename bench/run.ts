/**
 * `npm run bench`: the herd benchmark. Starts its own five-member demo herd (separate
 * processes, fresh keys, free ports on 127.0.0.1, offline places) and measures, in one run so
 * that ratios hold on a noisy shared machine:
 *   1. IAMAT latency, 2. propagation Clark -> Bailey, 5. WHATSAT latency,
 *   3. sustained IAMAT throughput, 4. a flood (push back, peak RSS, catch-up)
 * with members logging at `warn`; then, on a fresh herd logging every line at `info`,
 * 1 and 3 again, for the cost of logging. Prints a table; writes bench/results/latest.json.
 *
 *   npx tsc -p . && node dist/bench/run.js [--seconds 10] [--flood-seconds 5] [--no-info] ...
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchHerd, type Name } from './lib/herd.js';
import { infoOverWarn, renderTable, type BenchResults, type LevelResults } from './lib/report.js';
import { progress } from './lib/util.js';
import { idleCores } from './scenarios/cost.js';
import { flood } from './scenarios/flood.js';
import { iamatLatency } from './scenarios/latency.js';
import { propagation } from './scenarios/propagation.js';
import { sustained } from './scenarios/sustained.js';
import { warmUp } from './scenarios/warmup.js';
import { whatsatLatency } from './scenarios/whatsat.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' }, // figure 1 and 5 sample counts
    samples: { type: 'string', default: '200' }, // figure 2, each of its two views
    seconds: { type: 'string', default: '10' }, // figure 3 duration
    connections: { type: 'string', default: '4' }, // figure 3, per loaded member
    window: { type: 'string', default: '100' }, // figure 3, outstanding IAMATs per connection
    'flood-connections': { type: 'string', default: '32' },
    'flood-seconds': { type: 'string', default: '5' },
    'flood-pool': { type: 'string', default: '1000' }, // client ids per flood connection
    'no-info': { type: 'boolean', default: false }, // skip the run at log level info
    out: { type: 'string' }, // default: bench/results/latest.json in the project
  },
});
const num = (key: keyof typeof args): number => {
  const n = Number(args[key]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key}: a positive number, please (got ${args[key]})`);
  return n;
};

/** Figure 1 again with a pause after each reply: the latency of a quiet herd. */
const PACED_REQUESTS = 500;
const PACED_GAP_MS = 5;

/** The loaded members: four of the five, so Bona (the Clark-Bailey relay) only relays. */
const LOADED: Name[] = ['Clark', 'Bailey', 'Campbell', 'Jaquez'];

// Ctrl-C or a kill: exit through 'exit', whose handler (lib/herd.ts) kills every member.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

/** Starts a herd, runs `body` on it, and always stops it (the temp dir stays on failure). */
async function withHerd<T>(logLevel: 'warn' | 'info', body: (herd: BenchHerd) => Promise<T>): Promise<T> {
  progress(`starting five members, log level ${logLevel}`);
  const herd = await BenchHerd.start({ logLevel });
  let ok = false;
  try {
    await warmUp(herd);
    const result = await body(herd);
    ok = true;
    return result;
  } finally {
    if (!ok) progress(`failed; member logs kept in ${herd.dir}`);
    await herd.stop(!ok);
  }
}

async function measureWarn(): Promise<LevelResults> {
  return withHerd('warn', async (herd) => {
    progress('idle herd, 2 s');
    const idle = await idleCores(herd, 2);
    progress('1. IAMAT latency');
    const iamat = await iamatLatency(herd, 'Clark', num('requests'));
    const paced = await iamatLatency(herd, 'Clark', Math.min(num('requests'), PACED_REQUESTS), PACED_GAP_MS);
    progress('2. propagation Clark -> Bailey');
    const prop = await propagation(herd, num('samples'));
    progress('5. WHATSAT latency');
    const whatsat = await whatsatLatency(herd, 'Clark', Math.min(num('requests'), 1000));
    progress(`3. sustained IAMAT throughput, ${num('seconds')} s`);
    const sus = await sustained(herd, { members: LOADED, connectionsPerMember: num('connections'), window: num('window'), seconds: num('seconds'), tag: 'bench-sus-warn' });
    progress(`4. flood, ${num('flood-connections')} connections, ${num('flood-seconds')} s`);
    const fl = await flood(herd, { members: LOADED, connections: num('flood-connections'), seconds: num('flood-seconds'), pool: num('flood-pool'), catchUpTimeoutMs: 30_000, tag: 'bench-flood' });
    return { logLevel: 'warn', idleCores: idle, iamatLatency: iamat, iamatLatencyPaced: paced, propagation: prop, whatsat, sustained: sus, flood: fl };
  });
}

async function measureInfo(): Promise<LevelResults> {
  return withHerd('info', async (herd) => {
    progress('1. IAMAT latency (info)');
    const iamat = await iamatLatency(herd, 'Clark', num('requests'));
    const paced = await iamatLatency(herd, 'Clark', Math.min(num('requests'), PACED_REQUESTS), PACED_GAP_MS);
    progress(`3. sustained IAMAT throughput (info), ${num('seconds')} s`);
    const sus = await sustained(herd, { members: LOADED, connectionsPerMember: num('connections'), window: num('window'), seconds: num('seconds'), tag: 'bench-sus-info' });
    return { logLevel: 'info', iamatLatency: iamat, iamatLatencyPaced: paced, sustained: sus };
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAvgBefore = loadavg();
  const warn = await measureWarn();
  const info = args['no-info'] ? undefined : await measureInfo();
  const results: BenchResults = {
    date: new Date().toISOString(),
    command: ['node', relative(process.cwd(), process.argv[1] ?? ''), ...process.argv.slice(2)].join(' '),
    machine: { cpus: cpus().length, model: cpus()[0]?.model.trim() ?? '?', node: process.version, kernel: release(), loadAvgBefore, loadAvgAfter: loadavg() },
    durationSeconds: (performance.now() - started) / 1000,
    warn,
    info,
    infoOverWarn: info ? infoOverWarn(warn, info) : undefined,
  };
  process.stdout.write(renderTable(results));
  // Relative to where the bench was started; by default in the project, wherever that is.
  const out = args.out ? resolve(args.out) : fileURLToPath(new URL('../../bench/results/latest.json', import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`wrote ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/**
 * `npm run bench`: the herd benchmark. Each scenario starts its own herd (member processes,
 * fresh keys, free ports on 127.0.0.1) and measures, in one run so that ratios hold on a
 * noisy shared machine:
 *   1. client throughput on one member against a bare echo server, 2. propagation from an
 *   edge member, 3. the herd-wide sustained rate (also with --data-dir, and a CPU profile),
 *   4. WHATSAT latency, 5. memory per client and gossip buffers under a burst, 6. catch-up
 *   after a restart, 7. start-up: process start to ready, one member and the five-member herd.
 * Prints a markdown report on stdout; a full run also writes it to BENCHMARKS.md.
 *
 *   npm run bench -- [--quick] [--json FILE] [--markdown FILE] [--only throughput,catchup]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchHerd, type StartOptions } from './lib/herd.js';
import { LAB_BEGIN } from './lib/labSection.js';
import { Progress } from './lib/progress.js';
import { renderMarkdown, type BenchResults } from './lib/report.js';
import { burst } from './scenarios/burst.js';
import { catchUp } from './scenarios/catchup.js';
import { durable } from './scenarios/durable.js';
import { startup } from './scenarios/startup.js';
import { memoryPerClient } from './scenarios/memory.js';
import { profile } from './scenarios/profile.js';
import { LATENCY_FIRST_LOAD, propagation, warmThenAtRate } from './scenarios/propagation.js';
import { closedLoopRatio } from './scenarios/ratio.js';
import { bareRelayCost, loadsLike } from './scenarios/bareRelay.js';
import { relayCost } from './scenarios/relay.js';
import { sustained } from './scenarios/sustained.js';
import { throughput } from './scenarios/throughput.js';
import { warmUp } from './scenarios/warmup.js';
import { whatsat } from './scenarios/whatsat.js';

const SCENARIOS = [
  'throughput',
  'ratio',
  'propagation',
  'relay',
  'sustained',
  'durable',
  'profile',
  'whatsat',
  'memory',
  'burst',
  'catchup',
  'startup',
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Sizes of a full run, and of `--quick` (a smoke run: under a minute, figures not comparable). */
const SIZES = {
  full: {
    clients: 50,
    throughputSeconds: 5,
    ratioSeconds: 5,
    loggingRounds: 5,
    fixedRate: 1000,
    fixedSeconds: 5,
    edgeRates: [2000, 5000, 10_000, 20_000, 30_000, 40_000],
    edgeSeconds: 3,
    relayRates: [200, 1000, 5000],
    relaySeconds: 5,
    relaySteadySeconds: 45,
    herdRates: [20_000, 30_000, 40_000],
    herdSeconds: 30,
    profileRate: 20_000,
    profileSeconds: 4,
    whatsatRequests: 1000,
    memorySizes: [100_000, 1_000_000],
    memorySettleMs: 6_000,
    burst: 100_000,
    catchUp: 100_000,
    warmUpSeconds: 1.5,
    startupRuns: 3,
  },
  quick: {
    clients: 50,
    throughputSeconds: 0.5,
    ratioSeconds: 0.5,
    loggingRounds: 1,
    fixedRate: 1000,
    fixedSeconds: 0.5,
    edgeRates: [2000],
    edgeSeconds: 0.5,
    relayRates: [200],
    relaySeconds: 0.5,
    relaySteadySeconds: 0.5,
    herdRates: [2000],
    herdSeconds: 0.5,
    profileRate: 2000,
    profileSeconds: 0.5,
    whatsatRequests: 50,
    memorySizes: [1000, 5000],
    memorySettleMs: 0,
    burst: 2000,
    catchUp: 2000,
    warmUpSeconds: 0.3,
    startupRuns: 1,
  },
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      markdown: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim()) ?? [...SCENARIOS];
  for (const name of only) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario "${name}" (one of ${SCENARIOS.join(', ')})`);
  }
  // A full run of every scenario is what BENCHMARKS.md shows; anything less goes there only on request.
  const full = !values.quick && only.length === SCENARIOS.length;
  const markdown = values.markdown ?? (full ? fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url)) : undefined);
  return { quick: values.quick, json: values.json, markdown, only: new Set(only as Scenario[]) };
}

// Ctrl-C or a kill: exit through 'exit', whose handler (lib/herd.ts) kills every member.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

async function main(): Promise<void> {
  const options = parseOptions();
  const size = options.quick ? SIZES.quick : SIZES.full;
  const progress = new Progress(options.only.size);
  const started = performance.now();
  const loadAvgBefore = loadavg();

  /**
   * Starts a herd, warms it up, runs `body`, and always stops it (its temp dir stays on failure).
   * Members log at info, the default, unless `start` says otherwise. `--quick` shares one herd
   * among the scenarios that take the default one: a smoke run checks that each scenario runs,
   * and herd starts were most of its time. A full run starts each herd afresh, so that no
   * figure measures what an earlier scenario left behind.
   */
  let shared: BenchHerd | undefined;
  const withHerd = async <T>(start: Partial<StartOptions> & { warm?: boolean }, body: (herd: BenchHerd) => Promise<T>): Promise<T> => {
    const share = options.quick && isDefaultStart(start);
    const reuse = share && shared !== undefined;
    if (!reuse) progress.step(`starting ${start.names?.length ?? 5} member(s)`);
    const herd = reuse ? shared! : await BenchHerd.start({ logLevel: 'info', ...start });
    if (share) shared = herd;
    let ok = false;
    try {
      if (!reuse && start.warm !== false) await warmUp(herd, size.warmUpSeconds);
      const result = await body(herd);
      ok = true;
      return result;
    } finally {
      if (!ok) progress.log(`failed; member logs kept in ${herd.dir}`);
      if (!share || !ok) await herd.stop(!ok);
    }
  };
  const run = async <T>(scenario: Scenario, body: () => Promise<T>): Promise<T | undefined> => {
    if (!options.only.has(scenario)) return undefined;
    progress.step(scenario);
    const result = await body();
    progress.done();
    return result;
  };
  const onStep = (text: string) => progress.step(text);
  const relaySize = { seconds: size.relaySeconds, warmUpSeconds: size.warmUpSeconds, steadySeconds: size.relaySteadySeconds };

  const results: BenchResults = {
    date: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    quick: options.quick,
    machine: {
      model: cpus()[0]?.model.trim() ?? '?',
      cores: cpus().length,
      node: process.version,
      kernel: release(),
      loadAvgBefore,
      loadAvgAfter: [],
    },
    durationSeconds: 0,
    throughput: await run('throughput', () => withHerd({}, (herd) => throughput(herd, 'Clark', size.clients, size.throughputSeconds))),
    ratio: await run('ratio', () => closedLoopRatio(size.clients, size.ratioSeconds, size.loggingRounds, withHerd)),
    propagation: await run('propagation', async () => {
      const result = await withHerd({}, (herd) =>
        propagation(
          herd,
          {
            fixedRate: size.fixedRate,
            fixedSeconds: size.fixedSeconds,
            rates: size.edgeRates,
            stepSeconds: size.edgeSeconds,
          },
          onStep,
        ),
      );
      const targetLoad = LATENCY_FIRST_LOAD;
      const step = await withHerd({ memberArgs: ['--pacing-target-load', String(targetLoad)] }, (herd) => {
        onStep(`propagation at ${size.fixedRate}/s, --pacing-target-load ${targetLoad}`);
        return warmThenAtRate(herd, size.fixedRate, size.fixedSeconds);
      });
      return { ...result, latencyFirst: { targetLoad, step } };
    }),
    relay: await run('relay', async () => {
      const cpu = await relayCost({ ...relaySize, rates: size.relayRates, profile: options.quick }, onStep);
      // --quick: the profiled run stands for both (its CPU figures include the profiler's).
      const profiled = options.quick ? cpu : await relayCost({ ...relaySize, rates: size.relayRates.slice(0, 1), profile: true }, onStep);
      const bare = await bareRelayCost({ steps: loadsLike(cpu), seconds: relaySize.seconds, steadySeconds: relaySize.steadySeconds }, onStep);
      return { steadySeconds: relaySize.steadySeconds, cpu, profiled, bare };
    }),
    sustained: await run('sustained', () => withHerd({}, (herd) => sustained(herd, size.herdRates, size.herdSeconds, onStep))),
    durable: await run('durable', () => durable(size.herdRates[0]!, size.herdSeconds, withHerd)),
    profile: await run('profile', () => profile(size.profileRate, size.profileSeconds, size.warmUpSeconds)),
    whatsat: await run('whatsat', () => whatsat(size.whatsatRequests, (env, body) => withHerd({ env }, body))),
    // At warn: logging a line per IAMAT would fill the disk at 1M clients and is not what this measures.
    memory: await run('memory', () =>
      withHerd({ names: ['Clark'], nodeArgs: ['--expose-gc'], warm: false, logLevel: 'warn' }, (herd) =>
        memoryPerClient(herd, size.memorySizes, size.memorySettleMs, onStep),
      ),
    ),
    burst: await run('burst', () => withHerd({}, (herd) => burst(herd, size.burst))),
    catchUp: await run('catchup', () => withHerd({}, (herd) => catchUp(herd, size.catchUp))),
    startup: await run('startup', () => startup(size.startupRuns, onStep)),
  };
  await shared?.stop();
  progress.stop();

  const final: BenchResults = {
    ...results,
    durationSeconds: (performance.now() - started) / 1000,
    machine: { ...results.machine, loadAvgAfter: loadavg() },
  };
  const markdown = renderMarkdown(final);
  process.stdout.write(markdown);
  if (options.markdown) {
    writeFileSync(resolve(options.markdown), withLabSection(markdown, resolve(options.markdown)));
    progress.log(`wrote ${options.markdown}`);
  }
  if (options.json) {
    writeFileSync(resolve(options.json), `${JSON.stringify(final, null, 2)}\n`);
    progress.log(`wrote ${options.json}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

/** Whether `start` asks for the default herd: five members at info, no extra options, warmed up. */
function isDefaultStart(start: Partial<StartOptions> & { warm?: boolean }): boolean {
  const { logLevel = 'info', names, nodeArgs, memberArgs, env, readyTimeoutMs, warm = true } = start;
  return logLevel === 'info' && warm && [names, nodeArgs, memberArgs, env, readyTimeoutMs].every((option) => option === undefined);
}

/** The network lab's sections (from LAB_BEGIN to the end; root only) are kept when the rest is rewritten. */
function withLabSection(markdown: string, file: string): string {
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const at = old.indexOf(LAB_BEGIN);
  return at < 0 ? markdown : `${markdown.trimEnd()}\n\n${old.slice(at).trimEnd()}\n`;
}

/**
 * Herds of 5, 10 and 20 members as real processes, each in its own network namespace (the
 * network lab; root only), on a ring with chords. For each size: start-to-ready, propagation
 * p50/p99 to the farthest members at 1,000 updates/s from m1, CPU per member per update, and
 * memory per member. Writes its section of BENCHMARKS.md (between the `lab-scale` markers).
 *
 *   npm run build && node dist/bench/lab-scale.js [--sizes 5,10,20] [--seconds 10] [--rate 1000] [--no-write]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Lab, sleep } from '../lab/lab.js';
import { labUnavailable } from '../lab/network.js';
import { diameter, hopsFrom } from '../lab/plan.js';
import { Reporters } from '../testkit/labClients.js';
import { LAB_BEGIN as BEGIN, LAB_END as END } from './lib/labSection.js';
import { mergeBuckets, parseBuckets, summarizeDelays, type DelaySummary } from './lib/delays.js';
import { bucketDelta, type Buckets } from './lib/stats.js';

interface SizeResult {
  readonly size: number;
  readonly links: number;
  readonly diameter: number;
  readonly readyMs: number;
  readonly farthest: DelaySummary & { readonly hops: number };
  readonly acked: number;
  readonly cpuMicrosPerMemberPerUpdate: number;
  readonly cpuMicrosMaxMember: number;
  /** Idle CPU included. */
  readonly grossCpuMicrosPerMemberPerUpdate: number;
  /** Cores the members used together during the load and its convergence. */
  readonly membersCores: number;
  readonly idleCoresPerMember: number;
  readonly rssMiB: { readonly idle: number; readonly loaded: number };
  readonly converged: boolean;
}

const SETTLE_MS = 10_000;
const IDLE_WINDOW_MS = 10_000;

async function cpuSeconds(lab: Lab): Promise<Map<string, number>> {
  return new Map(await Promise.all(lab.names.map(async (n) => [n, await lab.cpuSeconds(n)] as const)));
}

async function delays(lab: Lab): Promise<Map<string, Buckets>> {
  return new Map(await Promise.all(lab.names.map(async (n) => [n, parseBuckets(await lab.metrics(n))] as const)));
}

async function converged(lab: Lab, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await lab.converged()) return true;
    await sleep(200);
  }
  return false;
}

async function measure(size: number, rate: number, seconds: number): Promise<SizeResult> {
  const started = performance.now();
  const lab = await Lab.up({ size, readyTimeoutMs: 300_000 });
  try {
    const readyMs = performance.now() - started;
    // Members keep working for a while after their links are up (first sync rounds, JIT).
    await sleep(SETTLE_MS);
    const idleCpu0 = await cpuSeconds(lab);
    await sleep(IDLE_WINDOW_MS);
    const idleCpu1 = await cpuSeconds(lab);
    const idleCores = lab.names.map((n) => (idleCpu1.get(n)! - idleCpu0.get(n)!) / (IDLE_WINDOW_MS / 1000));
    const rssIdle = await Promise.all(lab.names.map(async (n) => (await lab.status(n)).memory.rssBytes));
    const before = await delays(lab);
    const cpu0 = await cpuSeconds(lab);
    const t0 = performance.now();
    const reporters = new Reporters();
    await reporters.start(lab, 'm1', { rate, clients: rate * seconds, prefix: `scale${size}-` });
    await sleep(seconds * 1000);
    await reporters.stop();
    const ok = await converged(lab, 30_000);
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = await cpuSeconds(lab);
    const rssLoaded = await Promise.all(lab.names.map(async (n) => (await lab.status(n)).memory.rssBytes));
    const after = await delays(lab);
    const hops = hopsFrom('m1', lab.names, lab.plan.links);
    const far = Math.max(...hops.values());
    const farNames = lab.names.filter((n) => hops.get(n) === far);
    const farthest = { hops: far, ...summarizeDelays(mergeBuckets(farNames.map((n) => bucketDelta(after.get(n)!, before.get(n)!)))) };
    const gross = lab.names.map((n) => cpu1.get(n)! - cpu0.get(n)!);
    const perMember = gross.map((s, i) => (Math.max(0, s - idleCores[i]! * wall) / reporters.acked) * 1e6);
    const mib = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length / 2 ** 20;
    return {
      size,
      links: lab.plan.links.length,
      diameter: diameter(lab.names, lab.plan.links),
      readyMs,
      farthest,
      acked: reporters.acked,
      cpuMicrosPerMemberPerUpdate: perMember.reduce((a, b) => a + b, 0) / size,
      cpuMicrosMaxMember: Math.max(...perMember),
      grossCpuMicrosPerMemberPerUpdate: (gross.reduce((a, b) => a + b, 0) / size / reporters.acked) * 1e6,
      membersCores: gross.reduce((a, b) => a + b, 0) / wall,
      idleCoresPerMember: idleCores.reduce((a, b) => a + b, 0) / size,
      rssMiB: { idle: mib(rssIdle), loaded: mib(rssLoaded) },
      converged: ok,
    };
  } finally {
    await lab.down();
  }
}

function render(results: readonly SizeResult[], rate: number, seconds: number, load: string): string {
  const f = (n: number, d = 1) => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const rows = results.map(
    (r) =>
      `| ${r.size} | ${r.links} | ${r.diameter} | ${f(r.readyMs / 1000)} | ${r.farthest.hops} | ${f(r.farthest.p50, 2)} | ${f(r.farthest.p99, 2)} | ${f(r.grossCpuMicrosPerMemberPerUpdate, 0)} | ${f(r.cpuMicrosPerMemberPerUpdate, 0)} (max ${f(r.cpuMicrosMaxMember, 0)}) | ${f(r.membersCores, 2)} | ${f(r.idleCoresPerMember, 3)} | ${f(r.rssMiB.idle, 0)} / ${f(r.rssMiB.loaded, 0)} | ${r.converged ? 'yes' : 'no'} |`,
  );
  return [
    BEGIN,
    '## 7. Herds of 5, 10 and 20 in network namespaces',
    '',
    `Produced by \`node dist/bench/lab-scale.js\` on ${new Date().toISOString().slice(0, 10)} (root; ${cpus().length} cores shared with other agents' work; load average ${load}).`,
    'Every member is its own process in its own network namespace with its own address, joined by a bridge (the network lab, `npm run lab`); ring with chords (each member linked to the next and to one a fixed step further, the step giving the smallest diameter).',
    `Load: ${f(rate, 0)} updates/s of fresh clients at m1 for ${seconds} s. Propagation: from m1 receiving the IAMAT to the farthest members storing it. CPU: each member's process CPU during the load and its convergence per acknowledged update, all of it, then less the CPU it used idling (10 s, measured 10 s after ready). Memory: RSS per member, idle after start / after the load.`,
    '',
    '| members | links | diameter | start to ready s | farthest hops | p50 ms | p99 ms | CPU µs per member per update, all | less idle (busiest) | cores used by all members | idle cores per member | RSS MiB idle / loaded | converged |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `The machine has ${cpus().length} cores and other agents' work ran beside the herd (see the load average), so the members got less. Once "cores used by all members" nears what is left, the herd is CPU-bound: each update then costs every member some CPU (gossip in, validation, forwarding) and the delays measure queueing for the CPU, not the network; "CPU per member per update" shrinks with the herd only because the same cores are shared by more members. Memory per member is the Node.js/libp2p base plus the store and does not grow with the herd; start to ready grows with the number of members starting at once on the same cores.`,
    END,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '5,10,20' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '1000' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const unavailable = await labUnavailable();
  if (unavailable) {
    process.stdout.write(`skipped: ${unavailable}\n`);
    return;
  }
  await Lab.cleanUp(false);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const results: SizeResult[] = [];
  for (const size of values.sizes.split(',').map(Number)) {
    process.stderr.write(`herd of ${size}...\n`);
    const r = await measure(size, rate, seconds);
    process.stderr.write(`${JSON.stringify(r)}\n`);
    results.push(r);
  }
  const section = render(
    results,
    rate,
    seconds,
    `${loadBefore} before, ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} after`,
  );
  process.stdout.write(`${section}\n`);
  if (values['no-write']) return;
  const file = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(BEGIN);
  // In place, so what follows the section (the lab scenarios, written by hand) stays after it.
  writeFileSync(file, at < 0 ? `${text.trimEnd()}\n\n${section}\n` : `${text.slice(0, at)}${section}${text.slice(text.indexOf(END) + END.length)}`);
}

await main();

/**
 * Propagation under a steady update rate: IAMATs sent at Clark, evenly paced (a 1 ms timer
 * sends what is due, round-robin over a few kept connections, pipelined: replies are counted,
 * never waited for), then each member's `herd_propagation_delay_seconds` delta gives p50/p99
 * per member, and /proc gives the herd's CPU per update.
 *
 *   node dist/bench/rate-probe.js [--rate 1000] [--seconds 10] [--conns 2] [--warmup 2]
 *        [--single 0] [--profile DIR] [--json]
 *
 * `--single N` adds a phase of N single updates 20 ms apart (herd idle CPU subtracted), for
 * the cost of a lone message: no coalescing, no queueing.
 *
 * Caveat: on a shared machine the delays mostly measure how long the members wait for a
 * core; compare variants run back to back (ABAB), and prefer the CPU figures.
 * `--profile DIR` runs the members with --cpu-prof (profiles written on a graceful stop) and
 * prints each one's self-time breakdown (bench/lib/profile.ts).
 */
import { connect, type Socket } from 'node:net';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { iamat } from './lib/client.js';
import { BenchHerd, NAMES, type Name } from './lib/herd.js';
import { CATEGORIES, combineBreakdowns, formatBreakdown, summarizeProfile, type ProfileBreakdown } from './lib/profile.js';
import { bucketDelta, histogramQuantile, round, type Buckets } from './lib/stats.js';
import { parseBuckets } from './scenarios/propagation.js';

/** Hops from Clark in the demo topology. */
const HOPS: Record<Name, number> = { Clark: 0, Jaquez: 1, Bona: 1, Campbell: 2, Bailey: 2 };

export interface MemberDelay {
  readonly hops: number;
  readonly n: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

export interface RateResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly replies: number;
  /** Achieved send rate, per second. */
  readonly sentPerSecond: number;
  /** ms from the end of sending until every member held every record. */
  readonly convergedMs: number | null;
  readonly delays: Partial<Record<Name, MemberDelay>>;
  /** Herd CPU ms per update while sending (and until converged), summed over the members. */
  readonly cpuMsPerUpdate: number;
  readonly cpuMsPerUpdateByMember: Record<Name, number>;
  /** Cores used by the herd while sending. */
  readonly herdCores: number;
  readonly gossipMessagesPublished: number;
}

async function histograms(herd: BenchHerd): Promise<Record<Name, Buckets>> {
  const all = await Promise.all(NAMES.map(async (n) => [n, parseBuckets(await herd.metrics(n))] as const));
  return Object.fromEntries(all) as Record<Name, Buckets>;
}

function cpuDelta(after: Record<Name, number>, before: Record<Name, number>): Record<Name, number> {
  return Object.fromEntries(NAMES.map((n) => [n, after[n] - before[n]])) as Record<Name, number>;
}

class Pipe {
  replies = 0;
  private tail = '';
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      const all = this.tail + text;
      const last = all.lastIndexOf('\n');
      if (last === -1) { this.tail = all; return; }
      for (let i = all.indexOf('\n'); i !== -1 && i <= last; i = all.indexOf('\n', i + 1)) this.replies++;
      this.tail = all.slice(last + 1);
    });
  }

  static open(port: number): Promise<Pipe> {
    return new Promise((res, rej) => {
      const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => { s.off('error', rej); res(new Pipe(s)); });
      s.once('error', rej);
    });
  }
}

let clientSeq = 0;

/** Sends `rate` IAMATs per second at Clark for `seconds`, evenly paced. */
async function paced(pipes: Pipe[], rate: number, seconds: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let sent = 0;
  let next = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      while (sent < due) {
        pipes[next]!.socket.write(`${iamat(`rp-${clientSeq++}.example.org`)}\n`, 'latin1');
        next = (next + 1) % pipes.length;
        sent++;
      }
      if (sent >= total) { clearInterval(timer); done(); }
    };
    const timer = setInterval(tick, 1);
    tick();
  });
  return sent;
}

async function waitReplies(pipes: Pipe[], expected: number, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const count = () => pipes.reduce((s, p) => s + p.replies, 0);
  while (count() < expected && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return count();
}

async function storeSizes(herd: BenchHerd): Promise<number> {
  return (await herd.statuses()).reduce((min, s) => Math.min(min, s.store.clients), Number.POSITIVE_INFINITY);
}

/** One measured phase at `rate` for `seconds`. */
export async function ratePhase(herd: BenchHerd, pipes: Pipe[], rate: number, seconds: number): Promise<RateResult> {
  const clientsBefore = await storeSizes(herd);
  const pubBefore = (await herd.status('Clark')).counters?.gossipMessagesPublished ?? Number.NaN;
  const hBefore = await histograms(herd);
  const repliesBefore = pipes.reduce((s, p) => s + p.replies, 0);
  const cpuBefore = herd.cpu();
  const t0 = performance.now();
  const sent = await paced(pipes, rate, seconds);
  const sendMs = performance.now() - t0;
  const cpuSending = cpuDelta(herd.cpu(), cpuBefore);
  const replies = (await waitReplies(pipes, repliesBefore + sent)) - repliesBefore;
  const t1 = performance.now();
  const converged = await herd.converged({ clients: clientsBefore + sent, timeoutMs: 60_000, pollMs: 50 });
  const convergedMs = converged === null ? null : performance.now() - t1;
  const cpu = cpuDelta(herd.cpu(), cpuBefore);
  const hAfter = await histograms(herd);
  const pubAfter = (await herd.status('Clark')).counters?.gossipMessagesPublished ?? Number.NaN;
  const delays: Partial<Record<Name, MemberDelay>> = {};
  for (const n of NAMES) {
    if (n === 'Clark') continue;
    const d = bucketDelta(hAfter[n], hBefore[n]);
    const ms = (q: number) => round(histogramQuantile(d, q) * 1000, 3);
    delays[n] = { hops: HOPS[n], n: d.at(-1)?.[1] ?? 0, p50Ms: ms(0.5), p90Ms: ms(0.9), p99Ms: ms(0.99) };
  }
  const total = NAMES.reduce((s, n) => s + cpu[n], 0);
  const sendingTotal = NAMES.reduce((s, n) => s + cpuSending[n], 0);
  return {
    rate, seconds, sent, replies,
    sentPerSecond: round(sent / (sendMs / 1000), 1),
    convergedMs: convergedMs === null ? null : round(convergedMs, 0),
    delays,
    cpuMsPerUpdate: round((total * 1000) / sent, 3),
    cpuMsPerUpdateByMember: Object.fromEntries(NAMES.map((n) => [n, round((cpu[n] * 1000) / sent, 3)])) as Record<Name, number>,
    herdCores: round(sendingTotal / (sendMs / 1000), 2),
    gossipMessagesPublished: pubAfter - pubBefore,
  };
}

/**
 * `count` single updates `gapMs` apart (no polling: the gap lets each one finish), minus the
 * herd's idle CPU over as long: the cost of a lone message, no coalescing, no queueing.
 */
export async function singlePhase(herd: BenchHerd, pipe: Pipe, count: number, gapMs = 20) {
  const idleBefore = herd.cpu();
  await new Promise((r) => setTimeout(r, count * gapMs));
  const idle = NAMES.reduce((s, n) => s + herd.cpu()[n] - idleBefore[n], 0);
  const clients = (await storeSizes(herd)) + count;
  const hBefore = await histograms(herd);
  const cpuBefore = herd.cpu();
  for (let i = 0; i < count; i++) {
    pipe.socket.write(`${iamat(`rp-${clientSeq++}.example.org`)}\n`, 'latin1');
    await new Promise((r) => setTimeout(r, gapMs));
  }
  const cpu = cpuDelta(herd.cpu(), cpuBefore);
  await herd.converged({ clients, timeoutMs: 10_000, pollMs: 50 });
  const hAfter = await histograms(herd);
  const delays: Partial<Record<Name, MemberDelay>> = {};
  for (const n of NAMES) {
    if (n === 'Clark') continue;
    const d = bucketDelta(hAfter[n], hBefore[n]);
    const ms = (q: number) => round(histogramQuantile(d, q) * 1000, 3);
    delays[n] = { hops: HOPS[n], n: d.at(-1)?.[1] ?? 0, p50Ms: ms(0.5), p90Ms: ms(0.9), p99Ms: ms(0.99) };
  }
  const total = NAMES.reduce((s, n) => s + cpu[n], 0);
  return { count, cpuMsPerUpdate: round(((total - idle) * 1000) / count, 3), idleCpuMs: round(idle * 1000, 0), delays };
}

function printRate(r: RateResult): void {
  console.log(`rate ${r.rate}/s for ${r.seconds} s: sent ${r.sent} (${r.sentPerSecond}/s), replies ${r.replies}, Clark published ${r.gossipMessagesPublished} messages (${round(r.sent / r.gossipMessagesPublished, 2)} records/msg), converged ${r.convergedMs} ms after`);
  console.log(`  herd CPU ${r.cpuMsPerUpdate} ms/update (${NAMES.map((n) => `${n} ${r.cpuMsPerUpdateByMember[n]}`).join(', ')}), ${r.herdCores} cores while sending`);
  for (const [n, d] of Object.entries(r.delays)) console.log(`  ${n.padEnd(8)} hops ${d.hops}  n ${d.n}  p50 ${d.p50Ms} ms  p90 ${d.p90Ms} ms  p99 ${d.p99Ms} ms`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      conns: { type: 'string', default: '2' },
      warmup: { type: 'string', default: '2' },
      single: { type: 'string', default: '0' },
      profile: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const profileDir = values.profile ? resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=200'] : [];
  const herd = await BenchHerd.start({ logLevel: 'warn', nodeArgs });
  const out: Record<string, unknown> = {};
  try {
    const pipes = await Promise.all(Array.from({ length: Number(values.conns) }, () => Pipe.open(herd.clientPort('Clark'))));
    if (Number(values.warmup) > 0) await ratePhase(herd, pipes, rate, Number(values.warmup));
    if (Number(values.single) > 0) {
      const s = await singlePhase(herd, pipes[0]!, Number(values.single));
      out.single = s;
      if (!values.json) {
        console.log(`single updates x${s.count}: herd CPU ${s.cpuMsPerUpdate} ms/update (idle CPU ${s.idleCpuMs} ms subtracted)`);
        for (const [n, d] of Object.entries(s.delays)) console.log(`  ${n.padEnd(8)} hops ${d.hops}  n ${d.n}  p50 ${d.p50Ms} ms  p99 ${d.p99Ms} ms`);
      }
    }
    const r = await ratePhase(herd, pipes, rate, seconds);
    out.rate = r;
    if (!values.json) printRate(r);
    pipes.forEach((p) => p.socket.destroy());
  } finally {
    await herd.stop(false, profileDir !== undefined);
  }
  if (profileDir) {
    const files = readdirSync(profileDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).sort(); // main threads only
    const profiles: Record<string, ProfileBreakdown> = {};
    for (const f of files) {
      const s = summarizeProfile(join(profileDir, f));
      profiles[f] = s;
      if (!values.json) console.log(`${f}:\n${formatBreakdown(s)}`);
    }
    const c = combineBreakdowns(Object.values(profiles));
    if (!values.json) console.log(`all members: busy ${c.busyMs} ms: ${CATEGORIES.filter((k) => c.busyPercent[k] > 0).map((k) => `${k} ${c.busyPercent[k]}%`).join(', ')}`);
    out.profiles = profiles;
    out.profileAll = c;
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

/**
 * The line A-B-C with each member in its own worker thread (own event loop):
 * latency of one record A->C, burst throughput A->C, and a stalled middle member (B blocks
 * its event loop) to show A's congestion signal bounding the backlog.
 * Run: npx tsc -p . && node dist/bench/p2p-workers.js [--records 20000] [--samples 300]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { makeHerd } from '../testkit/herd.js';
import type { Command } from './p2p-worker.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '300' },
    stall: { type: 'string', default: '200000' },
  },
});

type Event = { event: string; t: number; client?: string; [k: string]: unknown };

class Member {
  readonly worker: Worker;
  private readonly waiters: Array<{ match: (e: Event) => boolean; resolve: (e: Event) => void }> = [];
  constructor(
    file: string,
    readonly name: string,
  ) {
    this.worker = new Worker(new URL('./p2p-worker.js', import.meta.url), { workerData: { file, name } });
    this.worker.on('message', (e: Event) => {
      const i = this.waiters.findIndex((w) => w.match(e));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
    });
    this.worker.on('error', (err) => {
      console.error(name, err);
      process.exit(1);
    });
  }
  send(c: Command): void {
    this.worker.postMessage(c);
  }
  next(match: (e: Event) => boolean): Promise<Event> {
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const fmt = (n: number) => n.toFixed(2);
const kib = (n: number) => (n / 1024).toFixed(0);

async function latency(a: Member, c: Member, samples: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const client = `lat-${i}-${Math.random()}`;
    const sent = a.next((e) => e.event === 'published' && e.client === client);
    const got = c.next((e) => e.event === 'stored' && e.client === client);
    a.send({ cmd: 'publish', client });
    times.push((await got).t - (await sent).t);
  }
  times.sort((x, y) => x - y);
  console.log(
    `latency A->C (workers), ${samples} sequential one-record messages: p50 ${fmt(pct(times, 0.5))} ms, p90 ${fmt(pct(times, 0.9))} ms, p99 ${fmt(pct(times, 0.99))} ms, max ${fmt(times.at(-1)!)} ms`,
  );
}

async function burst(a: Member, c: Member, count: number, perTurn: number, label: string, during?: () => void): Promise<void> {
  c.send({ cmd: 'expect', count });
  const all = c.next((e) => e.event === 'all');
  const done = a.next((e) => e.event === 'burst');
  const before = acceptedSoFar;
  a.send({ cmd: 'burst', count, perTurn, respectCongestion: true });
  during?.();
  const [end, stats] = [await all, await done];
  const ms = end.t - stats.t;
  acceptedSoFar = end.messages as number;
  const messages = acceptedSoFar - before;
  console.log(
    `${label}: ${count} records A->C in ${fmt(ms)} ms = ${Math.round(count / (ms / 1000))} records/s; ${fmt(count / messages)} records/message at C; ` +
      `A max backlog ${kib(stats.maxBacklog as number)} KiB (${Object.entries(stats.peak as Record<string, number>)
        .filter(([k]) => k !== 'total')
        .map(([k, v]) => `${k} ${kib(v)}`)
        .join(', ')}), ` +
      `A congested for ${fmt(stats.congestedMs as number)} ms`,
  );
}

/** Messages C had accepted at the end of the last burst (latency samples included). */
let acceptedSoFar = 0;

async function main(): Promise<void> {
  const t = await makeHerd(
    ['A', 'B', 'C'],
    [
      ['A', 'B'],
      ['B', 'C'],
    ],
  );
  const [a, b, c] = ['A', 'B', 'C'].map((n) => new Member(t.file, n)) as [Member, Member, Member];
  await Promise.all([a, b, c].map((m) => m.next((e) => e.event === 'ready')));
  await latency(a, c, 20);
  await latency(a, c, Number(args.samples));
  acceptedSoFar = 20 + Number(args.samples);
  for (const [perTurn, label] of [
    [0, 'burst, all in one turn'],
    [500, 'burst, 500 per turn'],
    [100, 'burst, 100 per turn'],
  ] as const) {
    await burst(a, c, Number(args.records), perTurn, label);
  }
  await burst(a, c, Number(args.stall), 500, `B stalled 3 s during a ${args.stall}-record burst`, () =>
    setTimeout(() => b.send({ cmd: 'block', ms: 3000 }), 20),
  );
  await Promise.all(
    [a, b, c].map(async (m) => {
      m.send({ cmd: 'stop' });
      await m.next((e) => e.event === 'stopped');
      await m.worker.terminate();
    }),
  );
}

await main();

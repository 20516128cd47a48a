/**
 * Measures the libp2p side on 127.0.0.1 with a line of three members A-B-C in this process:
 *  - latency: one record per message, A to C (through B), sequentially;
 *  - throughput: a burst of records published at A, counted as they are stored at C;
 *  - first message right after start, with and without neighbours as gossipsub direct peers.
 * Run: npx tsc -p . && node dist/bench/p2p-throughput.js [--records 20000] [--samples 300]
 */
import '../src/net/p2p/shim.js';
import { parseArgs } from 'node:util';
import { findMember, type HerdConfig } from '../src/config/herdFile.js';
import { herdTopology } from '../src/config/herdTopology.js';
import { silentLog } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { atLineClient, batchLines, type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { readKeyFile } from '../src/net/p2p/keys.js';
import { startHerdNode, type HerdNode, type HerdNodeTuning } from '../src/net/p2p/node.js';
import { makeHerd } from '../testkit/herd.js';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '300' },
    starts: { type: 'string', default: '5' },
    'per-turn': { type: 'string', default: '0' },
  },
});

interface Member {
  node: HerdNode;
  store: LocationStore;
}

let seq = 0;
function record(member: string): LocationRecord {
  const n = ++seq;
  return atRecord(`bench-client-${n}.example.org`, `1700000000.${String(n).padStart(9, '0')}`, { member, difference: '+0.000123456' });
}

async function startLine(herd: HerdConfig, tuning?: HerdNodeTuning): Promise<Record<string, Member>> {
  const members: Record<string, Member> = {};
  await Promise.all(
    ['A', 'B', 'C'].map(async (name) => {
      const self = findMember(herd, name);
      const store = new LocationStore();
      members[name] = {
        store,
        node: await startHerdNode({ topology: herdTopology(herd, name), privateKey: readKeyFile(self.keyPath), store, log: silentLog, tuning }),
      };
    }),
  );
  return members;
}

async function stopAll(members: Record<string, Member>): Promise<void> {
  await Promise.all(Object.values(members).map((m) => m.node.stop()));
}

/**
 * Not testkit's `eventually`: the time until `cond` holds is the figure here, so this polls on
 * every event-loop turn (setImmediate) rather than sleeping a timer's interval between checks.
 */
function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => (cond() ? resolve() : Date.now() - start > timeoutMs ? reject(new Error('timeout')) : setImmediate(tick));
    tick();
  });
}

/** Resolves when `client` is stored at `m`, with the ms since `start`. */
function arrival(m: Member, client: string, start: bigint): Promise<number> {
  return new Promise((resolve) => {
    const off = m.node.onMessageStored(({ data }) => {
      if (batchLines(data).some((line) => atLineClient(line) === client)) {
        off();
        resolve(Number(process.hrtime.bigint() - start) / 1e6);
      }
    });
  });
}

function publishAt(m: Member, r: LocationRecord): void {
  m.store.offer(r);
  m.node.publish(r);
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const fmt = (n: number) => n.toFixed(2);

async function ready(m: Record<string, Member>, herd: HerdConfig): Promise<void> {
  const sub = (a: string, b: string) => m[a]!.node.gossipView().subscribers.includes(findMember(herd, b).peerId);
  await waitFor(() => sub('A', 'B') && sub('B', 'C') && sub('B', 'A') && sub('C', 'B'));
}

async function latency(m: Record<string, Member>, samples: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const r = record('A');
    const start = process.hrtime.bigint();
    const at = arrival(m.C!, r.client, start);
    publishAt(m.A!, r);
    times.push(await at);
  }
  times.sort((a, b) => a - b);
  console.log(
    `latency A->C, one record per message, ${samples} sequential samples: p50 ${fmt(pct(times, 0.5))} ms, p90 ${fmt(pct(times, 0.9))} ms, p99 ${fmt(pct(times, 0.99))} ms, max ${fmt(times.at(-1)!)} ms`,
  );
}

async function throughput(m: Record<string, Member>, count: number, perTurn: number): Promise<void> {
  const before = { ...m.C!.node.counters };
  const aBefore = { ...m.A!.node.counters };
  const records = Array.from({ length: count }, () => record('A'));
  let maxBacklog = 0;
  let congestedEvents = 0;
  const offC = m.A!.node.on('congested', () => congestedEvents++);
  const sampler = setInterval(() => {
    maxBacklog = Math.max(maxBacklog, m.A!.node.backlogBytes(), m.B!.node.backlogBytes());
  }, 2);
  const start = process.hrtime.bigint();
  const done = waitFor(() => m.C!.node.counters.gossipRecordsAccepted - before.gossipRecordsAccepted >= count, 120_000);
  if (perTurn <= 0) {
    for (const r of records) publishAt(m.A!, r);
  } else {
    for (let i = 0; i < count; i += perTurn) {
      for (const r of records.slice(i, i + perTurn)) publishAt(m.A!, r);
      await new Promise((r) => setImmediate(r));
    }
  }
  await done;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  clearInterval(sampler);
  offC.off('congested', () => {});
  const messages = m.C!.node.counters.gossipMessagesAccepted - before.gossipMessagesAccepted;
  const published = m.A!.node.counters.gossipMessagesPublished - aBefore.gossipMessagesPublished;
  console.log(
    `burst of ${count} records at A (${perTurn > 0 ? `${perTurn} per turn` : 'all in one turn'}): all at C in ${fmt(ms)} ms = ${Math.round(count / (ms / 1000))} records/s; ` +
      `${published} messages published, ${messages} accepted at C = ${fmt(count / messages)} records/message; max backlog seen ${(maxBacklog / 1024).toFixed(0)} KiB; congested events at A: ${congestedEvents}`,
  );
}

/** Starts a fresh line and publishes at A as soon as A has a link: time until stored at C. */
async function firstMessage(label: string, tuning: HerdNodeTuning, runs: number): Promise<void> {
  const results: string[] = [];
  for (let i = 0; i < runs; i++) {
    const t = await makeHerd(
      ['A', 'B', 'C'],
      [
        ['A', 'B'],
        ['B', 'C'],
      ],
    );
    const start = process.hrtime.bigint();
    const m = await startLine(t.herd, tuning);
    const started = Number(process.hrtime.bigint() - start) / 1e6;
    // Without direct peers B forwards only to its mesh, which the heartbeat builds: when is it whole?
    let mesh = Number.NaN;
    const meshWatch = setInterval(() => {
      if (m.B!.node.gossipView().mesh.length === 2) {
        mesh = Number(process.hrtime.bigint() - start) / 1e6;
        clearInterval(meshWatch);
      }
    }, 1);
    // As soon as A's gossipsub knows B subscribes, publish: a message before that goes nowhere.
    await waitFor(() => m.A!.node.gossipView().subscribers.length > 0 && m.B!.node.gossipView().subscribers.length > 1);
    const up = Number(process.hrtime.bigint() - start) / 1e6;
    const r = record('A');
    const t0 = process.hrtime.bigint();
    const at = Promise.race([arrival(m.C!, r.client, t0), new Promise<number>((res) => setTimeout(() => res(Number.POSITIVE_INFINITY), 3_000))]);
    publishAt(m.A!, r);
    const ms = await at;
    results.push(Number.isFinite(ms) ? fmt(ms) : 'lost');
    if (tuning.directPeers === false) await waitFor(() => !Number.isNaN(mesh), 10_000).catch(() => {});
    clearInterval(meshWatch);
    if (i === 0) {
      console.log(
        `  [${label}] nodes started in ${fmt(started)} ms; subscriptions known after ${fmt(up)} ms` +
          (tuning.directPeers === false ? `; B's mesh complete after ${fmt(mesh)} ms` : ''),
      );
    }
    await stopAll(m);
  }
  console.log(`first message A->C right after start, ${label}: ${results.join(', ')} ms`);
}

async function main(): Promise<void> {
  const t = await makeHerd(
    ['A', 'B', 'C'],
    [
      ['A', 'B'],
      ['B', 'C'],
    ],
  );
  const m = await startLine(t.herd);
  await ready(m, t.herd);
  await latency(m, 20); // warm-up
  await latency(m, Number(args.samples));
  await throughput(m, Number(args.records), Number(args['per-turn']));
  await throughput(m, Number(args.records), 100);
  await stopAll(m);
  const runs = Number(args.starts);
  await firstMessage('directPeers, heartbeat 1000 ms', {}, runs);
  await firstMessage('no directPeers, heartbeat 1000 ms', { directPeers: false }, runs);
  await firstMessage('no directPeers, heartbeat 200 ms', { directPeers: false, heartbeatIntervalMs: 200 }, runs);
  await firstMessage('directPeers, heartbeat 200 ms', { heartbeatIntervalMs: 200 }, runs);
}

await main();

/**
 * Heap and time a member's location store costs per client: the store with the digest wiring
 * runMember gives it, filled with N distinct clients. Half the records arrive as a gossip batch
 * decodes them (380 AT lines in one latin1 string), half as the member makes them from an
 * IAMAT line read off a socket, so substrings of batches and command lines are in play.
 * Run: npx tsc -p . && node --expose-gc dist/bench/store-memory.js --clients 1000000
 */
import { parseArgs } from 'node:util';
import { StoreDigest } from '../src/core/digest.js';
import { LocationStore } from '../src/core/store.js';
import { parseCommand } from '../src/protocol/command.js';
import { decodeRecords, makeRecord, type LocationRecord } from '../src/protocol/record.js';
import { formatSignedSeconds } from '../src/protocol/time.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000000' },
    /** Clients updated again after the fill, to time replacing offers. */
    updates: { type: 'string', default: '200000' },
  },
});
const clients = Number(args.clients);
const updates = Math.min(Number(args.updates), clients);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const BATCH = 380;
const CHUNK = 10 * BATCH;
const MEMBER = 'Clark';
const NOW = 1_790_000_000_123_580_245n;

const clientId = (i: number): string => `bench-ld-${i % 8}-${i}`;
const timeText = (i: number, round: number): string => `${1_790_000_000 + round}.${String(i % 1e9).padStart(9, '0')}`;
const atLine = (i: number, round: number): string =>
  `AT ${MEMBER} +0.${String(123456 + (i % 1000)).padStart(9, '0')} ${clientId(i)} +34.068930-118.445127 ${timeText(i, round)}`;

/** Records of clients [from, to) as gossip delivers them: decoded from 380-line batches. */
function fromGossip(from: number, to: number, round: number): LocationRecord[] {
  const records: LocationRecord[] = [];
  for (let start = from; start < to; start += BATCH) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(start + BATCH, to); i++) lines.push(atLine(i, round));
    records.push(...decodeRecords(Buffer.from(lines.join('\n'), 'latin1'))!);
  }
  return records;
}

/** Records of clients [from, to) as the member makes them from IAMAT lines (as Member.iamat does). */
function fromClients(from: number, to: number, round: number): LocationRecord[] {
  const records: LocationRecord[] = [];
  for (let i = from; i < to; i++) {
    const line = Buffer.from(`IAMAT ${clientId(i)} +34.068930-118.445127 ${timeText(i, round)}`, 'latin1').toString('latin1');
    const command = parseCommand(line);
    if (command.kind !== 'IAMAT') throw new Error(`bad command ${line}`);
    const { client, location, timeNanos } = command;
    records.push(makeRecord({ member: MEMBER, difference: formatSignedSeconds(NOW - timeNanos), client, location, timeText: command.timeText }));
  }
  return records;
}

/** The store as runMember wires it. */
function wire(): { store: LocationStore; summarize(): void; digest(): string } {
  const store = new LocationStore();
  const digest = new StoreDigest(store);
  return { store, summarize: () => digest.summarize(1024), digest: () => digest.toString() };
}

/**
 * Offers clients [0, n) in chunks, half from gossip and half from clients; returns ns per offer,
 * by the clock and by process CPU time (steadier on a busy machine; includes GC threads).
 */
function fill(store: LocationStore, n: number, round: number): { wall: number; cpu: number } {
  let nanos = 0n;
  let cpuMicros = 0;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(from + CHUNK, n);
    const records = (from / CHUNK) % 2 === 0 ? fromGossip(from, to, round) : fromClients(from, to, round);
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (const r of records) if (!store.offer(r)) throw new Error(`not stored: ${r.atLine}`);
    const { user, system } = process.cpuUsage(cpu);
    nanos += process.hrtime.bigint() - start;
    cpuMicros += user + system;
  }
  return { wall: Math.round(Number(nanos) / n), cpu: Math.round((cpuMicros * 1000) / n) };
}

const perClient = (bytes: number): number => Math.round(bytes / clients);
/** `heap`: the JS heap and array buffers together (the store keeps its lines in buffers). */
function usage(): { heap: number; rss: number } {
  gc!();
  gc!();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heap: heapUsed + arrayBuffers, rss };
}

const before = usage();
const herd = wire();
const insert = fill(herd.store, clients, 0);
const filled = usage();
let start = performance.now();
herd.summarize();
const summarizeMs = performance.now() - start;
const summarized = usage();
const replace = fill(herd.store, updates, 1);
const replaced = usage();
start = performance.now();
herd.summarize();
const summarizeAfterMs = performance.now() - start;

console.log(
  JSON.stringify({
    node: process.version,
    clients: herd.store.size,
    heapPerClient: perClient(filled.heap - before.heap),
    rssPerClient: perClient(filled.rss - before.rss),
    heapPerClientAfterSummarize: perClient(summarized.heap - before.heap),
    heapPerClientAfterUpdates: perClient(replaced.heap - before.heap),
    insertNsPerOffer: insert.wall,
    insertCpuNsPerOffer: insert.cpu,
    replaceNsPerOffer: replace.wall,
    replaceCpuNsPerOffer: replace.cpu,
    updates,
    summarizeMs: Math.round(summarizeMs),
    summarizeAfterUpdatesMs: Math.round(summarizeAfterMs),
    digest: herd.digest(),
  }),
);

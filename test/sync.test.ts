/** Catch-up between real libp2p nodes on 127.0.0.1 (tcp + noise + yamux), each with its own store. */
import '../src/net/p2p/shim.js'; // before libp2p loads: Node 20 lacks Promise.withResolvers
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { LocationStore } from '../src/core/store.js';
import { capturingLog, type LogEntry } from '../testkit/loggers.js';
import { atRecord } from '../testkit/records.js';
import type { SyncInit, SyncService as SyncServiceType } from '../src/net/p2p/sync.js';
import { eventually } from '../testkit/eventually.js';
import { dialsTo } from '../src/net/p2p/links.js';

const { createLibp2p } = await import('libp2p');
const { tcp } = await import('@libp2p/tcp');
const { noise } = await import('@chainsafe/libp2p-noise');
const { yamux } = await import('@chainsafe/libp2p-yamux');
const { SyncService } = await import('../src/net/p2p/sync.js');

interface Member {
  name: string;
  id: string;
  node: Libp2p;
  store: LocationStore;
  sync: SyncServiceType;
  logs: LogEntry[];
  names: Map<string, string>;
  learned: Array<{ count: number; from: string }>;
}

const everyone: Member[] = [];
after(async () => {
  for (const m of everyone) {
    await m.sync.stop();
    await m.node.stop();
  }
});

async function member(name: string, options: SyncInit = {}): Promise<Member> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });
  const store = new LocationStore();
  const logs: LogEntry[] = [];
  const names = new Map<string, string>();
  const learned: Member['learned'] = [];
  const connected = (): string[] => node.getConnections().map((c) => c.remotePeer.toString());
  const sync = new SyncService(
    {
      libp2p: node,
      store,
      log: capturingLog(logs),
      neighbours: {
        nameOf: (peerId) => names.get(peerId),
        connected: () => [...new Set(connected())].filter((p) => names.has(p)),
        dials: (peerId) => dialsTo(node.peerId.toString(), peerId),
      },
    },
    {
      intervalMs: 3_600_000, // tests drive rounds themselves unless they say otherwise
      ...options,
    },
  );
  sync.onRecordsLearned((records, from) => learned.push({ count: records.length, from }));
  await sync.start();
  const m = { name, id: node.peerId.toString(), node, store, sync, logs, names, learned };
  everyone.push(m);
  return m;
}

async function link(a: Member, b: Member): Promise<void> {
  a.names.set(b.id, b.name);
  b.names.set(a.id, a.name);
  await a.node.dial(b.node.getMultiaddrs()[0]!);
  // The dialer's dial resolves before the listener has registered the connection.
  await eventually(() => b.node.getConnections(a.node.peerId).length > 0);
}

const fill = (store: LocationStore, prefix: string, n: number, time = '1621464827.5'): void => {
  for (let i = 0; i < n; i++) store.offer(atRecord(`${prefix}-${i}`, time));
};

const lines = (store: LocationStore): string[] => [...store.lines()].sort();

test('(a) disjoint stores converge to the union', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  fill(a.store, 'a', 300);
  fill(b.store, 'b', 200);
  await link(a, b);
  const result = await a.sync.syncWith(b.id);
  assert.deepEqual(result, { sent: 300, received: 200 });
  assert.equal(a.store.size, 500);
  assert.deepEqual(lines(a.store), lines(b.store));
  await eventually(() => b.sync.counters.rounds === 1);
  assert.deepEqual(
    b.learned.reduce((n, l) => n + l.count, 0),
    300,
  );
  assert.ok(b.learned.every((l) => l.from === 'Alpha'));
});

test('(b) conflicting records converge on the newer one, ties on the larger AT line', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  a.store.offer(atRecord('kiwi', '100.5'));
  b.store.offer(atRecord('kiwi', '100.500000001', { member: 'Bona' }));
  a.store.offer(atRecord('apple', '200', { location: '+1+1' }));
  b.store.offer(atRecord('apple', '199.999999999', { member: 'Bona', location: '+2+2' }));
  const tieA = atRecord('pear', '300', { member: 'Alpha' });
  const tieZ = atRecord('pear', '300', { member: 'Zulu' });
  a.store.offer(tieZ);
  b.store.offer(tieA);
  await link(a, b);
  await b.sync.syncWith(a.id);
  assert.deepEqual(lines(a.store), lines(b.store));
  assert.equal(a.store.get('kiwi')!.timeText, '100.500000001');
  assert.equal(b.store.get('apple')!.timeText, '200');
  // Equal client times: the larger AT line wins ("AT Zulu" > "AT Alpha"), whichever each end held.
  assert.equal(a.store.get('pear')!.atLine, 'AT Zulu +0.100000000 pear +34.068930-118.445127 300');
  assert.equal(b.store.get('pear')!.atLine, 'AT Zulu +0.100000000 pear +34.068930-118.445127 300');
});

test('(c) equal stores exchange digests only', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  fill(a.store, 'same', 5000);
  fill(b.store, 'same', 5000);
  await link(a, b);
  const result = await a.sync.syncWith(b.id);
  assert.deepEqual(result, { sent: 0, received: 0 });
  await eventually(() => b.sync.counters.rounds === 1);
  for (const m of [a, b]) {
    assert.equal(m.sync.counters.recordsSent, 0);
    assert.equal(m.sync.counters.recordsReceived, 0);
    assert.equal(m.sync.counters.framesSent, 0);
    assert.equal(m.sync.counters.failures, 0);
  }
});

test('(d) 50k records arrive whole, in frames under the cap', async (t) => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  fill(a.store, 'client.cs.ucla.edu', 50_000);
  b.store.offer(atRecord('only-b', '1'));
  await link(a, b);
  const start = performance.now();
  const result = await b.sync.syncWith(a.id);
  const ms = performance.now() - start;
  assert.deepEqual(result, { sent: 1, received: 50_000 });
  assert.equal(b.store.size, 50_001);
  assert.deepEqual(lines(a.store), lines(b.store));
  const { framesSent, bytesSent } = a.sync.counters;
  // The receiver refuses any frame over its 1 MiB cap, so arriving whole proves the bound;
  // the frame count shows the records were split rather than sent in one piece.
  assert.ok(framesSent >= Math.ceil(bytesSent / (1024 * 1024)) && framesSent > 1, `${framesSent} frames, ${bytesSent} bytes`);
  t.diagnostic(`50k records: ${ms.toFixed(0)} ms, ${framesSent} frames, ${(bytesSent / 1e6).toFixed(2)} MB`);
  assert.ok(ms < 10_000, `took ${ms} ms`);
  const again = await b.sync.syncWith(a.id);
  assert.deepEqual(again, { sent: 0, received: 0 });
});

test('(g) records learned by sync are pushed on to the other neighbours at once, and only they', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  const c = await member('Charlie');
  await link(b, c); // B and C link first, both empty: their link-up round carries nothing
  await b.sync.syncWith(c.id);
  c.store.offer(atRecord('only-at-c')); // a digest round would bring it to B; a push does not
  fill(a.store, 'from-a', 100);
  await link(a, b);
  await b.sync.syncWith(a.id); // B learns A's records; nobody asks C
  await eventually(() => c.store.size === 101);
  assert.deepEqual(
    lines(c.store).filter((l) => !l.includes('only-at-c')),
    lines(a.store),
  );
  assert.ok(c.learned.every((l) => l.from === 'Bravo'));
  assert.equal(b.store.get('only-at-c'), undefined);
});

test('a periodic round leaves out records younger than the settle time; a catch-up round sends them', async () => {
  const a = await member('Alpha', { intervalMs: 150, settleMs: 600_000 });
  const b = await member('Bravo');
  a.store.offer(atRecord('settled', '1621464827.5'));
  a.store.offer(atRecord('in-flight', (Date.now() / 1000).toFixed(3)));
  await link(a, b);
  // One periodic round carries every settled record it will ever carry, in one exchange.
  await eventually(() => b.store.get('settled') !== undefined && a.sync.counters.rounds >= 1);
  assert.equal(b.store.get('in-flight'), undefined);
  assert.deepEqual(await a.sync.syncWith(b.id), { sent: 1, received: 0 });
  assert.deepEqual(lines(b.store), lines(a.store));
});

test('three members linked in a triangle converge, conflicts included', async () => {
  const members = [await member('Alpha'), await member('Bravo'), await member('Charlie')];
  members.forEach((m, i) => {
    fill(m.store, m.name, 200);
    m.store.offer(atRecord('shared', `1000.${i}`, { member: m.name }));
  });
  const [a, b, c] = members as [Member, Member, Member];
  await link(a, b);
  await link(b, c);
  await link(c, a);
  await Promise.all([a.sync.syncWith(b.id), b.sync.syncWith(c.id), c.sync.syncWith(a.id)]);
  await eventually(() => members.every((m) => m.store.size === 601));
  await eventually(() => members.every((m) => m.store.get('shared')!.member === 'Charlie'));
  assert.deepEqual(lines(a.store), lines(b.store));
  assert.deepEqual(lines(b.store), lines(c.store));
});

test('a link coming up: the dialling end opens its round, the other end follows when it ends; each record crosses once', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  fill(a.store, 'a', 3000);
  fill(b.store, 'b', 2000);
  await link(a, b);
  const [fromA, fromB] = await Promise.all([a.sync.catchUp(b.id), b.sync.catchUp(a.id)]);
  const [first, second] = dialsTo(a.id, b.id) ? [fromA, fromB] : [fromB, fromA];
  assert.equal(first!.sent + first!.received, 5000);
  assert.deepEqual(second, { sent: 0, received: 0 });
  await eventually(() => a.sync.counters.rounds === 2 && b.sync.counters.rounds === 2);
  assert.equal(a.sync.counters.recordsSent + b.sync.counters.recordsSent, 5000);
  assert.deepEqual(lines(a.store), lines(b.store));
});

test('a member started empty with two neighbours, both links up at once: each record crosses once', async () => {
  for (let run = 0; run < 3; run++) {
    const b = await member(`Bravo${run}`);
    const c = await member(`Charlie${run}`);
    fill(b.store, `run${run}`, 3000);
    fill(c.store, `run${run}`, 3000); // the same records: the two neighbours are in sync
    await link(b, c);
    const d = await member(`Delta${run}`);
    d.store.offer(atRecord(`only-at-delta-${run}`));
    await Promise.all([link(d, b), link(d, c)]);
    // As a member does on each link up: both ends of both links at once, whichever end dials.
    await Promise.all([d.sync.catchUp(b.id), d.sync.catchUp(c.id), b.sync.catchUp(d.id), c.sync.catchUp(d.id)]);
    await eventually(() => [b, c, d].every((m) => m.store.size === 3001));
    // Once each: a round with each neighbour at once would bring 6000. A few more cross when its
    // own record comes back, pushed on by the neighbours that learned it.
    const received = d.sync.counters.recordsReceived;
    assert.ok(received >= 3000 && received < 3030, `run ${run}: Delta received ${received} records for the 3000 it lacked`);
    assert.deepEqual(lines(d.store), lines(b.store));
    assert.deepEqual(lines(c.store), lines(b.store));
  }
});

test('a link coming up: the end that does not dial opens its own round when none reaches it', async () => {
  const a = await member('Alpha', { linkUpWaitMs: 100 });
  const b = await member('Bravo', { linkUpWaitMs: 100 });
  fill(a.store, 'a', 300);
  fill(b.store, 'b', 200);
  await link(a, b);
  const [waits, other] = dialsTo(a.id, b.id) ? [b, a] : [a, b];
  const result = await waits.sync.catchUp(other.id);
  assert.equal(result!.sent + result!.received, 500);
  assert.deepEqual(lines(a.store), lines(b.store));
  await eventually(() => other.sync.counters.rounds === 1);
});

test('a link coming up: no round, and no failure, when the link went down during the wait', async () => {
  const a = await member('Alpha', { linkUpWaitMs: 100 });
  const b = await member('Bravo', { linkUpWaitMs: 100 });
  fill(a.store, 'a', 300);
  await link(a, b);
  const [waits, other] = dialsTo(a.id, b.id) ? [b, a] : [a, b];
  const waited = waits.sync.catchUp(other.id);
  await waits.node.hangUp(other.node.peerId);
  assert.equal(await waited, undefined);
  assert.equal(waits.sync.counters.rounds + waits.sync.counters.failures, 0);
  assert.equal(b.store.size, 0);
});

test('rounds with one peer coalesce: one runs, later callers share one queued round', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  fill(a.store, 'x', 1000);
  await link(a, b);
  const first = a.sync.syncWith(b.id);
  const second = a.sync.syncWith(b.id);
  const third = a.sync.syncWith(b.id);
  assert.equal(second, third);
  assert.notEqual(first, second);
  assert.deepEqual(await first, { sent: 1000, received: 0 });
  assert.deepEqual(await second, { sent: 0, received: 0 });
  assert.equal(a.sync.counters.rounds, 2);
});

test('the periodic round repairs what nobody pushed', async () => {
  const a = await member('Alpha', { intervalMs: 150 });
  const b = await member('Bravo', { intervalMs: 3_600_000 });
  await link(a, b);
  b.store.offer(atRecord('late', '5'));
  await eventually(() => a.store.get('late') !== undefined);
});

test('syncWith refuses non-neighbours and rejects once stopped', async () => {
  const a = await member('Alpha');
  const b = await member('Bravo');
  await a.node.dial(b.node.getMultiaddrs()[0]!); // connected but not linked
  await assert.rejects(a.sync.syncWith(b.id), { code: 'ERR_SYNC_NOT_NEIGHBOUR' });
  await a.sync.stop();
  await assert.rejects(a.sync.syncWith(b.id), { code: 'ERR_SYNC_STOPPED' });
});

test('options are validated with the bad option named', async () => {
  const a = await member('Alpha');
  const components = {
    libp2p: a.node,
    store: a.store,
    log: capturingLog(),
    neighbours: { nameOf: () => undefined, connected: () => [], dials: () => true },
  };
  assert.throws(() => new SyncService(components, { timeoutMs: 0 }), /timeoutMs/);
  assert.throws(() => new SyncService(components, { maxFrameBytes: 1000 }), /maxFrameBytes/);
  assert.throws(() => new SyncService(components, { bucketCount: 1 << 20 }), /bucketCount/);
});

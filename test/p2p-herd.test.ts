/**
 * Real libp2p members on 127.0.0.1 in a line A-B-C (plus D, linked to B, whose key a rogue
 * uses): links, propagation through B, stale updates, outsiders, spoofed origins, restarts.
 */
import '../src/net/p2p/shim.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gossipsub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import type { PrivateKey, PubSub } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { peerIdFromString } from '@libp2p/peer-id';
import { findMember, parseHerd, type HerdConfig, type HerdFileJson } from '../src/config/herdFile.js';
import { herdTopology } from '../src/config/herdTopology.js';
import { capturingLog, type LogEntry } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { encodeRecords, type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { generateKey, readKeyFile } from '../src/net/p2p/keys.js';
import { dialsTo } from '../src/net/p2p/links.js';
import { HerdNodeError, startHerdNode, type HerdNode, type HerdNodeTuning } from '../src/net/p2p/node.js';
import { eventually } from '../testkit/eventually.js';
import { makeHerd, type TestHerd } from '../testkit/herd.js';

const TOPIC = 'herd/locations/1';

const waitFor = (what: string, cond: () => boolean) => eventually(cond, 30_000, 5, what);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let clientSeq = 0;
const record = (member: string, client: string, seconds: number): LocationRecord =>
  atRecord(client, `${seconds}.000000000`, { member, difference: '+0.000000001' });

interface Running {
  node: HerdNode;
  store: LocationStore;
  log: LogEntry[];
}

async function startMember(herd: HerdConfig, name: string, tuning?: HerdNodeTuning): Promise<Running> {
  const self = findMember(herd, name);
  const store = new LocationStore();
  const log: LogEntry[] = [];
  const node = await startHerdNode({
    topology: herdTopology(herd, name),
    privateKey: readKeyFile(self.keyPath),
    store,
    log: capturingLog(log),
    tuning,
  });
  return { node, store, log };
}

/** Publishes at `from` as the member core does: store first, then the sink. */
function report(m: Running, r: LocationRecord): void {
  assert.ok(m.store.offer(r));
  m.node.publish(r);
}

/** A bare libp2p node with gossipsub on the herd topic: what an outsider or rogue can run. */
async function plainNode(privateKey: PrivateKey, listen: string) {
  const node = await createLibp2p({
    privateKey,
    addresses: { listen: [listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false }) },
  });
  const pubsub = node.services.pubsub as PubSub;
  pubsub.subscribe(TOPIC);
  const received: Uint8Array[] = [];
  pubsub.addEventListener('message', (e) => received.push(e.detail.data));
  return { node, pubsub, received };
}

/** gossipsub's internal send: what a member of another make could put on the wire. */
interface RawRpc {
  sendRpc(peerId: string, rpc: { subscriptions: []; messages: Array<Record<string, Uint8Array | string>> }): boolean;
}

const p2pAddr = (herd: HerdConfig, name: string) => {
  const m = findMember(herd, name);
  return multiaddr(`/ip4/${m.host}/tcp/${m.p2pPort}/p2p/${m.peerId}`);
};

describe('a herd of libp2p members', () => {
  let t: TestHerd;
  const m: Record<string, Running> = {};
  const linked = (a: string, b: string) => m[a]!.node.links().some((l) => l.name === b && l.connected);
  const subscribed = (a: string, b: string) => m[a]!.node.gossipView().subscribers.includes(findMember(t.herd, b).peerId);
  /** Each member's signature counts now. */
  const signatures = () =>
    Object.fromEntries(
      ['A', 'B', 'C'].map((n) => [n, { verified: m[n]!.node.counters.gossipSignaturesVerified, link: m[n]!.node.counters.gossipSignaturesTrusted }]),
    );
  /** The members whose signature counts moved since `before`, and by how much. */
  const since = (before: ReturnType<typeof signatures>) =>
    Object.fromEntries(
      Object.entries(signatures())
        .map(([n, now]) => [n, { verified: now.verified - before[n]!.verified, link: now.link - before[n]!.link }] as const)
        .filter(([, d]) => d.verified !== 0 || d.link !== 0),
    ) as Record<string, { verified: number; link: number }>;

  before(async () => {
    t = await makeHerd(
      ['A', 'B', 'C', 'D'],
      [
        ['A', 'B'],
        ['B', 'C'],
        ['B', 'D'],
      ],
    );
    for (const name of ['A', 'B', 'C']) m[name] = await startMember(t.herd, name);
  });

  after(async () => {
    await Promise.all(Object.values(m).map((r) => r.node.stop()));
  });

  test('links come up, dialled from one end, logged with the neighbour name', async () => {
    await waitFor('A-B and B-C up on both ends', () => linked('A', 'B') && linked('B', 'A') && linked('B', 'C') && linked('C', 'B'));
    for (const [a, b] of [
      ['A', 'B'],
      ['B', 'C'],
    ] as const) {
      const ab = m[a]!.node.links().find((l) => l.name === b)!;
      const ba = m[b]!.node.links().find((l) => l.name === a)!;
      const aDials = dialsTo(findMember(t.herd, a).peerId, findMember(t.herd, b).peerId);
      assert.equal(ab.direction, aDials ? 'outbound' : 'inbound');
      assert.equal(ba.direction, aDials ? 'inbound' : 'outbound');
      assert.equal(ab.dials, aDials);
      assert.ok(ab.since !== null && ab.since <= Date.now());
    }
    const up = m
      .B!.log.filter((e) => e.msg === 'link up')
      .map((e) => e.obj.neighbour)
      .sort();
    assert.deepEqual(up, ['A', 'C']);
    const d = m.B!.node.links().find((l) => l.name === 'D')!;
    assert.deepEqual([d.connected, d.since, d.direction], [false, null, null]);
    await waitFor('an RTT for B-C', () => m.B!.node.links().find((l) => l.name === 'C')!.rttMs !== null);
    assert.equal(m.B!.node.gossipView().direct.length, 3, 'neighbours are direct peers');
  });

  test('onLinkUp fires once gossip flows to the neighbour', async () => {
    const t2 = await makeHerd(['P', 'Q'], [['P', 'Q']]);
    const ups: Array<{ at: string; name: string; subscribed: boolean }> = [];
    const p = await startMember(t2.herd, 'P');
    const q = await startMember(t2.herd, 'Q');
    try {
      for (const [at, r] of [
        ['P', p],
        ['Q', q],
      ] as const) {
        r.node.onLinkUp((name, peerId) => ups.push({ at, name, subscribed: r.node.gossipView().subscribers.includes(peerId) }));
      }
      await waitFor('both ends up', () => ups.length === 2);
      assert.deepEqual(
        ups.sort((x, y) => x.at.localeCompare(y.at)),
        [
          { at: 'P', name: 'Q', subscribed: true },
          { at: 'Q', name: 'P', subscribed: true },
        ],
      );
      // From that moment a record published at one end reaches the other, with no sync.
      const r = record('P', `ready-${++clientSeq}`, 1);
      report(p, r);
      await waitFor('the record at Q', () => q.store.get(r.client) !== undefined);
    } finally {
      await Promise.all([p.node.stop(), q.node.stop()]);
    }
  });

  test('a record reported at A is stored at C, through B', async () => {
    await waitFor('subscriptions known', () => subscribed('A', 'B') && subscribed('B', 'C'));
    const before = signatures();
    const r = record('A', `kiwi-${++clientSeq}`, 1000);
    report(m.A!, r);
    await waitFor('the record at C', () => m.C!.store.get(r.client)?.atLine === r.atLine);
    assert.equal(m.B!.store.get(r.client)?.atLine, r.atLine);
    assert.ok(m.B!.node.counters.gossipMessagesAccepted >= 1);
    assert.ok(m.A!.node.counters.gossipMessagesPublished >= 1);
    // B got the message from its signer over their link, so trusted it; C got it from B, so checked it.
    assert.deepEqual(since(before), { B: { verified: 0, link: 1 }, C: { verified: 1, link: 0 } });
  });

  test('a stale record is not stored, counted ignored, and not forwarded', async () => {
    const client = `stale-${++clientSeq}`;
    report(m.A!, record('A', client, 2000));
    await waitFor('the fresh record at C', () => m.C!.store.get(client) !== undefined);
    const seenAtC = () => {
      const c = m.C!.node.counters;
      return c.gossipMessagesAccepted + c.gossipMessagesIgnored + c.gossipMessagesRejected;
    };
    const cBefore = seenAtC();
    const bIgnored = m.B!.node.counters.gossipMessagesIgnored;
    m.A!.node.publish(record('A', client, 1999)); // older client time, straight to the sink
    await waitFor('B ignoring it', () => m.B!.node.counters.gossipMessagesIgnored === bIgnored + 1);
    // Messages from A reach C through B in order: once a later one is at C, a forwarded stale one would be too.
    const marker = record('A', `marker-${++clientSeq}`, 1);
    report(m.A!, marker);
    await waitFor('the later marker at C', () => m.C!.store.get(marker.client) !== undefined);
    assert.equal(m.B!.store.get(client)!.timeText, '2000.000000000');
    assert.equal(seenAtC(), cBefore + 1, 'C saw the marker, never the stale message');
    // Published at B itself, the stale record reaches A and C, who both ignore it.
    const a = m.A!.node.counters.gossipMessagesIgnored;
    const c = m.C!.node.counters.gossipMessagesIgnored;
    report(m.B!, record('B', `${client}-b`, 10));
    await waitFor('B record at A and C', () => m.A!.store.get(`${client}-b`) !== undefined && m.C!.store.get(`${client}-b`) !== undefined);
    m.B!.node.publish(record('B', `${client}-b`, 9));
    await waitFor(
      'A and C ignoring it',
      () => m.A!.node.counters.gossipMessagesIgnored === a + 1 && m.C!.node.counters.gossipMessagesIgnored === c + 1,
    );
    assert.equal(m.C!.store.get(`${client}-b`)!.timeText, '10.000000000');
  });

  test('an outsider cannot keep a connection to any member', async () => {
    const outsider = await plainNode(await generateKey(), '/ip4/127.0.0.1/tcp/0');
    const refusals = (name: string) => m[name]!.log.filter((e) => e.msg === 'refused a connection from a peer that is not a neighbour').length;
    const before = new Map(['A', 'B', 'C'].map((name) => [name, refusals(name)]));
    try {
      for (const name of ['A', 'B', 'C']) await outsider.node.dial(p2pAddr(t.herd, name)).catch(() => {});
      // Without a connection that lasts, the outsider has no way to send or receive a message.
      await waitFor('every member refusing the outsider', () => ['A', 'B', 'C'].every((name) => refusals(name) > before.get(name)!));
      await waitFor('no connection left open', () => outsider.node.getConnections().length === 0);
      for (const name of ['A', 'B', 'C']) {
        assert.ok(m[name]!.node.libp2p.getConnections().every((c) => c.remotePeer.toString() !== outsider.node.peerId.toString()));
      }
    } finally {
      await outsider.node.stop();
    }
  });

  /** Runs `body` with a rogue holding D's key, linked to B and knowing that B subscribes. */
  async function withRogueD(body: (rogue: Awaited<ReturnType<typeof plainNode>>) => Promise<void>): Promise<void> {
    const d = findMember(t.herd, 'D');
    const rogue = await plainNode(readKeyFile(d.keyPath), `/ip4/${d.host}/tcp/${d.p2pPort}`);
    try {
      if (!dialsTo(findMember(t.herd, 'B').peerId, d.peerId)) await rogue.node.dial(p2pAddr(t.herd, 'B'));
      await waitFor('B linked to D (the rogue)', () => linked('B', 'D'));
      await waitFor('the rogue knows B subscribes', () => rogue.pubsub.getSubscribers(TOPIC).length === 1);
      await body(rogue);
    } finally {
      await rogue.node.stop();
    }
  }

  test('a member signing records of another origin is rejected, not stored, not forwarded', async () => {
    await withRogueD(async (rogue) => {
      // Sanity: a record in D's own name is accepted, so the rejection below is about origin.
      const own = record('D', `own-${++clientSeq}`, 10);
      await rogue.pubsub.publish(TOPIC, encodeRecords([own]));
      await waitFor('D own record at C', () => m.C!.store.get(own.client) !== undefined);
      const rejected = m.B!.node.counters.gossipMessagesRejected;
      const spoof = record('A', `spoof-${++clientSeq}`, 10);
      await rogue.pubsub.publish(TOPIC, encodeRecords([spoof]));
      await waitFor('B rejecting it', () => m.B!.node.counters.gossipMessagesRejected === rejected + 1);
      await sleep(200);
      for (const name of ['A', 'B', 'C']) assert.equal(m[name]!.store.get(spoof.client), undefined);
      const entry = m.B!.log.find((e) => e.msg === 'rejected gossip message')!;
      assert.equal(entry.obj.via, 'D');
      assert.match(String(entry.obj.reason), /claims origin A, signed by D/);

      // Hostile payloads in D's own name: each is rejected with a log line, nothing changes.
      const sizes = ['A', 'B', 'C'].map((n) => m[n]!.store.size);
      const hostile = [
        new Uint8Array([0xff, 0x00, 0x13, 0x37]),
        Buffer.from(`AT D +0.000000001 ${'x'.repeat(70_000)} +1+1 1`, 'latin1'),
        Buffer.from('AT D +0.000000001 bad-coords +95+0 1', 'latin1'),
        Buffer.from('AT D +0.000000001 bad-time +1+1 1.0000000001', 'latin1'),
        Buffer.from(`${own.atLine}\nAT D +0.000000001 half-bad +1+1 x`, 'latin1'),
      ];
      for (const [i, data] of hostile.entries()) {
        await rogue.pubsub.publish(TOPIC, data);
        await waitFor(`B rejecting hostile payload ${i}`, () => m.B!.node.counters.gossipMessagesRejected === rejected + 2 + i);
      }
      await sleep(200);
      assert.deepEqual(
        ['A', 'B', 'C'].map((n) => m[n]!.store.size),
        sizes,
      );
      assert.equal(m.B!.log.filter((e) => e.msg === 'rejected gossip message').length, 1 + hostile.length);
    });
  });

  test("a neighbour's own message is trusted on its link; one it passes on in another's name is checked", async () => {
    await withRogueD(async (rogue) => {
      // Messages with a signature of 64 zero bytes, sent raw to B as gossipsub would send them.
      const sendUnsigned = (signer: string, r: LocationRecord) =>
        (rogue.pubsub as unknown as RawRpc).sendRpc(findMember(t.herd, 'B').peerId, {
          subscriptions: [],
          messages: [
            {
              from: peerIdFromString(findMember(t.herd, signer).peerId).toMultihash().bytes,
              data: encodeRecords([r]),
              seqno: randomBytes(8),
              topic: TOPIC,
              signature: new Uint8Array(64),
            },
          ],
        });
      const own = record('D', `own-unchecked-${++clientSeq}`, 10);
      let before = signatures();
      assert.ok(sendUnsigned('D', own));
      await waitFor('B storing it', () => m.B!.store.get(own.client) !== undefined);
      // B passes it on with its signature; A and C, who got it from B, check it and drop it.
      await waitFor('A and C checking it', () => since(before).A?.verified === 1 && since(before).C?.verified === 1);
      assert.deepEqual(since(before), { A: { verified: 1, link: 0 }, B: { verified: 0, link: 1 }, C: { verified: 1, link: 0 } });

      before = signatures();
      const forged = record('A', `forged-${++clientSeq}`, 10);
      assert.ok(sendUnsigned('A', forged));
      await waitFor('B checking it', () => since(before).B?.verified === 1);
      await sleep(200);
      for (const name of ['A', 'B', 'C']) assert.equal(m[name]!.store.get(forged.client), undefined);
      assert.deepEqual(since(before), { B: { verified: 1, link: 0 } });
    });
  });

  test('the wrong key for the peer ID refuses to start, naming member, key file and both IDs', async () => {
    const a = findMember(t.herd, 'A');
    const b = findMember(t.herd, 'B');
    await assert.rejects(
      startHerdNode({ topology: herdTopology(t.herd, 'A'), privateKey: readKeyFile(b.keyPath), store: new LocationStore(), log: capturingLog() }),
      (err: Error) =>
        err instanceof HerdNodeError && err.message === `member A: key file ${a.keyPath} holds peer ID ${b.peerId}, but ${t.file} says ${a.peerId}`,
    );
  });

  test('a p2p port already taken fails on one line naming the address', async () => {
    const d = findMember(t.herd, 'D');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(d.p2pPort, d.host, resolve));
    try {
      await assert.rejects(
        startHerdNode({ topology: herdTopology(t.herd, 'D'), privateKey: readKeyFile(d.keyPath), store: new LocationStore(), log: capturingLog() }),
        (err: Error) =>
          err instanceof HerdNodeError &&
          !err.message.includes('\n') &&
          err.message.startsWith(
            `member D: cannot start libp2p on ${d.host}:${d.p2pPort} (/ip4/${d.host}/tcp/${d.p2pPort}: Error: listen EADDRINUSE`,
          ),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a neighbour that restarts gets its link back, and catches new records', async () => {
    // Restart the accepting end of some link, so the surviving end must redial.
    const [survivor, restarted] = [
      ['A', 'B'],
      ['B', 'A'],
      ['B', 'C'],
      ['C', 'B'],
    ].find(([x, y]) => dialsTo(findMember(t.herd, x!).peerId, findMember(t.herd, y!).peerId))! as [string, string];
    await m[restarted]!.node.stop();
    await waitFor(`${survivor} seeing ${restarted} down`, () => !linked(survivor, restarted));
    await sleep(400); // let at least one redial fail
    m[restarted] = await startMember(t.herd, restarted);
    await waitFor(`${survivor} redialling ${restarted}`, () => linked(survivor, restarted) && linked(restarted, survivor));
    assert.ok(m[survivor]!.log.some((e) => e.msg === 'link down' && e.obj.neighbour === restarted));
    await waitFor('every link up again', () => linked('A', 'B') && linked('B', 'C'));
    await waitFor('subscriptions known', () => subscribed('A', 'B') && subscribed('B', 'C') && subscribed('C', 'B') && subscribed('B', 'A'));
    const r = record('C', `after-${++clientSeq}`, 4000);
    report(m.C!, r);
    await waitFor('the record at A', () => m.A!.store.get(r.client) !== undefined);
  });
});

/** Whether this machine can listen on `host` (IPv6 may be off in a container). */
async function canListen(host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

describe('hosts other than an IPv4 literal', () => {
  for (const host of ['localhost', '::1']) {
    test(`members on "${host}" link up and gossip`, async (ctx) => {
      if (!(await canListen(host))) return ctx.skip(`cannot listen on ${host} here`);
      const t = await makeHerd(['P', 'Q'], [['P', 'Q']]);
      const json = JSON.parse(readFileSync(t.file, 'utf8')) as HerdFileJson;
      for (const member of json.members) member.host = host;
      const herd = parseHerd(json, t.file);
      const p = await startMember(herd, 'P');
      const q = await startMember(herd, 'Q');
      try {
        await waitFor('P-Q up both ways', () => p.node.links()[0]!.connected && q.node.links()[0]!.connected);
        await new Promise<void>((resolve) => {
          if (p.node.gossipView().subscribers.length) resolve();
          else p.node.onLinkUp(() => resolve());
        });
        const r = record('P', `host-${++clientSeq}`, 1);
        report(p, r);
        await waitFor('the record at Q', () => q.store.get(r.client) !== undefined);
      } finally {
        await Promise.all([p.node.stop(), q.node.stop()]);
      }
    });
  }
});

/** The part of @chainsafe/libp2p-yamux's muxer that handles PING frames (muxer.js, handlePing). */
interface PingHandler {
  handlePing(header: { flag: number }): void;
}
/** yamux's SYN flag: a PING frame with it asks for an answer. */
const YAMUX_SYN = 1;

describe('liveness', () => {
  test('a link whose pings go unanswered is closed, then redialled', async () => {
    const t = await makeHerd(['P', 'Q'], [['P', 'Q']]);
    const tuning: HerdNodeTuning = { links: { linkTimeoutMs: 1_000, livenessIntervalMs: 100 } };
    const p = await startMember(t.herd, 'P', tuning);
    const q = await startMember(t.herd, 'Q', tuning);
    try {
      await waitFor('P-Q up', () => p.node.links()[0]!.connected && q.node.links()[0]!.connected);
      // The accepting end stops getting answers, as if the other side hung without closing: the
      // dialler's muxer no longer answers PING frames (linkPing.ts) on that connection.
      const acceptor = p.node.links()[0]!.dials ? q : p;
      const dialler = acceptor === p ? q : p;
      const muxer = (dialler.node.libp2p.getConnections()[0] as unknown as { muxer: PingHandler }).muxer;
      const answer = muxer.handlePing.bind(muxer);
      muxer.handlePing = (header) => {
        if (header.flag !== YAMUX_SYN) answer(header);
      };
      await waitFor('the acceptor closing the link', () => acceptor.log.some((e) => e.msg === 'neighbour stopped answering pings; closing the link'));
      await waitFor('the dialler seeing it down', () => dialler.log.some((e) => e.msg === 'link down'));
      await waitFor(
        'the link back up',
        () => dialler.log.filter((e) => e.msg === 'link up').length >= 2 && p.node.links()[0]!.connected && q.node.links()[0]!.connected,
      );
    } finally {
      await Promise.all([p.node.stop(), q.node.stop()]);
    }
  });
});

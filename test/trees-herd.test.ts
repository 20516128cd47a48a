/**
 * Gossip trees on a real herd of member processes (the demo topology): Bona carries Clark's
 * messages on to Bailey and Campbell in Clark's tree. Bona's links are cut while records keep
 * coming at the other members; every member still gets every record, the cut one once its
 * links are back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeHerd, portOf, type TestHerd } from '../testkit/herd.js';
import { freePort } from '../testkit/ports.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { Relay } from '../testkit/relay.js';
import { collect, exchange, open } from '../testkit/wire.js';
import { DEMO_LINKS as LINKS, DEMO_NAMES as NAMES } from '../testkit/demoHerd.js';

const CUT = 'Bona';

/** A herd where every neighbour of Bona dials it (the smaller peer ID dials), so one relay in front of its port carries all its links. */
async function herdDiallingBona(): Promise<TestHerd> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const herd = await makeHerd(NAMES, LINKS);
    const id = (n: string) => herd.herd.members.find((m) => m.name === n)!.peerId;
    if (['Clark', 'Campbell', 'Bailey'].every((n) => id(n) < id(CUT))) return herd;
  }
  throw new Error('no key set where Bona has the largest peer ID among its neighbours');
}

let seq = 0;
async function report(herd: TestHerd, member: string): Promise<string> {
  const client = `tree-${member}-${++seq}`;
  const reply = (
    await exchange(portOf(herd.herd, member), `IAMAT ${client} +34.068930-118.445127 1800000000.${String(seq).padStart(9, '0')}\n`)
  ).toString('latin1');
  assert.match(reply, /^AT /);
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` IAMATs at `member`, 20 every millisecond tick; resolves with the clients once all are answered. */
async function streamAt(herd: TestHerd, member: string, count: number): Promise<string[]> {
  const clients = Array.from({ length: count }, (_, i) => `tree-stream-${i}`);
  const lines = clients.map((c, i) => `IAMAT ${c} +34.068930-118.445127 1800000001.${String(i).padStart(9, '0')}\n`);
  const pieces: string[] = [];
  for (let i = 0; i < lines.length; i += 20) pieces.push(lines.slice(i, i + 20).join(''));
  const socket = await open(portOf(herd.herd, member));
  const replies = collect(socket);
  for (const piece of pieces) {
    socket.write(piece);
    await sleep(1);
  }
  socket.end();
  const answered = (await replies)
    .toString('latin1')
    .split('\n')
    .filter((l) => l.startsWith('AT ')).length;
  assert.equal(answered, count);
  return clients;
}

async function holds(herd: TestHerd, member: string, clients: string[]): Promise<boolean> {
  const replies = (await exchange(portOf(herd.herd, member), clients.map((c) => `WHATSAT ${c} 1 1\n`).join(''))).toString('latin1');
  return (
    replies
      .split('\n\n')
      .filter(Boolean)
      .every((r) => r.startsWith('AT ')) && replies.split('\n\n').filter(Boolean).length === clients.length
  );
}

test('a cut tree link: records still reach every member, and the cut member after it is back', { timeout: 120_000 }, async () => {
  const herd = await herdDiallingBona();
  const realPort = await freePort();
  const relay = new Relay(realPort);
  await relay.listen(portOf(herd.herd, CUT, 'p2pPort'));
  // No periodic anti-entropy within the test: what arrives comes by gossip or by the syncs on a change.
  const quiet = ['--sync-interval-ms', '600000'];
  const members = new MemberProcesses(herd, quiet);
  const relayed = new MemberProcesses(herd, [...quiet, '--p2p-listen-port', String(realPort)]);
  const statusOf = (n: string) => (n === CUT ? relayed : members).status(n);
  const others = NAMES.filter((n) => n !== CUT);
  try {
    await relayed.start(CUT);
    for (const n of others) await members.start(n); // one at a time: a busy machine starts five slowly
    assert.ok(
      await eventually(async () => (await Promise.all(NAMES.map(statusOf))).every((s) => s.neighbours.every((l) => l.connected)), 30_000),
      'all links up',
    );
    const before: string[] = [];
    for (const n of NAMES) before.push(await report(herd, n));
    for (const n of NAMES) assert.ok(await eventually(() => holds(herd, n, before), 30_000), `${n} holds the records from before the cut`);

    // A stream of records at Clark, Bona's tree parent for Clark's records to Bailey and
    // Campbell, with the cut in its middle: some are on their way through Bona when it comes.
    const streamed = streamAt(herd, 'Clark', 2_000);
    await sleep(100);
    relay.sever();
    const during: string[] = await streamed;
    for (const n of others) during.push(await report(herd, n));
    assert.ok(await eventually(async () => (await relayed.status(CUT)).neighbours.every((l) => !l.connected), 30_000), 'Bona is cut off');
    for (const n of others) during.push(await report(herd, n));
    for (const n of others) assert.ok(await eventually(() => holds(herd, n, during), 30_000), `${n} holds every record sent during the cut`);

    relay.restore();
    assert.ok(await eventually(() => holds(herd, CUT, [...before, ...during]), 30_000), 'Bona holds them once its links are back');
    assert.ok(
      await eventually(async () => new Set((await Promise.all(NAMES.map(statusOf))).map((s) => s.store.digest)).size === 1, 30_000),
      'equal stores',
    );
  } finally {
    await members.stopAll();
    await relayed.stopAll();
    await relay.close();
  }
});

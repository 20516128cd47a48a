/**
 * The herd as users see it: five member processes of the demo topology on 127.0.0.1,
 * talked to over TCP, killed with SIGKILL and restarted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeHerd, portOf, type TestHerd } from '../../testkit/herd.js';
import { eventually } from '../../testkit/eventually.js';
import { MemberProcesses } from '../../testkit/processes.js';
import { AT_REPLY, exchange } from '../../testkit/wire.js';
import { DEMO_LINKS as LINKS, DEMO_NAMES as NAMES } from '../../testkit/demoHerd.js';

describe('a five-member herd', () => {
  let herd: TestHerd;
  let members: MemberProcesses;
  const send = async (name: string, line: string) => (await exchange(portOf(herd.herd, name), `${line}\n`)).toString('latin1');
  /** The AT line a member holds for a client, as its WHATSAT reply starts, or its `? ` reply. */
  const heldBy = async (name: string, client: string) => (await send(name, `WHATSAT ${client} 1 1`)).split('\n')[0]!;
  const allHold = async (names: readonly string[], client: string, atLine: string) =>
    (await Promise.all(names.map((n) => heldBy(n, client)))).every((line) => line === atLine);

  before(async () => {
    herd = await makeHerd(NAMES, LINKS);
    members = new MemberProcesses(herd);
    await members.start(...NAMES);
    await members.waitUntilLinked(...NAMES);
  });

  after(async () => {
    await members.stopAll();
  });

  test('an IAMAT at Clark is answered by WHATSAT at Bailey and Campbell, asked right after', async () => {
    const reply = await send('Clark', 'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503');
    assert.match(reply.slice(0, -1), AT_REPLY('Clark', 'kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503'));
    const atLine = reply.slice(0, -1);
    // Asked at once, the gossip may still be on its way: how soon it arrives is the bench's business.
    assert.ok(await eventually(() => allHold(['Bailey', 'Campbell'], 'kiwi.cs.ucla.edu', atLine), 30_000, 5));
    const whatsat = await send('Bailey', 'WHATSAT kiwi.cs.ucla.edu 10 3');
    assert.ok(whatsat.startsWith(`${atLine}\n{\n`));
    assert.ok(whatsat.endsWith('}\n\n'));
    assert.ok((JSON.parse(whatsat.slice(atLine.length + 1)) as { results: unknown[] }).results.length <= 3);
  });

  test('a stale update is answered with AT but changes no record and is not published', async () => {
    const fresh = (await send('Clark', 'IAMAT stale-test +10+10 2000000000.5')).slice(0, -1);
    assert.ok(await eventually(() => allHold(NAMES, 'stale-test', fresh)));
    const published = async (name: string) => (await members.status(name)).counters.gossipRecordsPublished;
    const [baileyBefore, bonaBefore] = [await published('Bailey'), await published('Bona')];
    const stale = await send('Bailey', 'IAMAT stale-test +20+20 2000000000.4');
    assert.match(stale.slice(0, -1), AT_REPLY('Bailey', 'stale-test +20+20 2000000000.4'));
    const repeat = await send('Bona', 'IAMAT stale-test +10+10 2000000000.5');
    assert.match(repeat.slice(0, -1), AT_REPLY('Bona', 'stale-test +10+10 2000000000.5'));
    // A member publishes its records in order: once a later marker is everywhere, a stale
    // record published before it would be everywhere too, and counted.
    const markers = [
      (await send('Bailey', 'IAMAT stale-marker-1 +1+1 1')).slice(0, -1),
      (await send('Bona', 'IAMAT stale-marker-2 +1+1 1')).slice(0, -1),
    ];
    assert.ok(await eventually(async () => (await allHold(NAMES, 'stale-marker-1', markers[0]!)) && allHold(NAMES, 'stale-marker-2', markers[1]!)));
    assert.ok(await allHold(NAMES, 'stale-test', fresh), 'every member keeps the fresh record');
    assert.equal(await published('Bailey'), baileyBefore + 1, 'Bailey published its marker only');
    assert.equal(await published('Bona'), bonaBefore + 1, 'Bona published its marker only');
  });

  test('the classic failure: Clark cut off keeps its old record, then converges', async () => {
    const old = (await send('Clark', 'IAMAT roamer +1+1 1700000000')).slice(0, -1);
    assert.ok(await eventually(() => allHold(NAMES, 'roamer', old)));
    await members.kill('Bona', 'Jaquez'); // Clark's only neighbours
    const update = (await send('Bailey', 'IAMAT roamer +2+2 1700000001')).slice(0, -1);
    assert.ok(await eventually(() => allHold(['Bailey', 'Campbell'], 'roamer', update)));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await heldBy('Clark', 'roamer'), old, 'the cut-off member keeps its old record');
    await members.start('Bona', 'Jaquez');
    assert.ok(await eventually(() => allHold(NAMES, 'roamer', update)), 'every member converges');
  });

  test('a restarted member catches up on what it missed', async () => {
    await members.kill('Bailey');
    const updates: string[] = [];
    for (let i = 0; i < 50; i++) updates.push((await send(i % 2 ? 'Clark' : 'Jaquez', `IAMAT missed-${i} +3+3 1700000000.${i}`)).slice(0, -1));
    await members.start('Bailey');
    assert.ok(
      await eventually(async () => {
        const held = await Promise.all(updates.map((_, i) => heldBy('Bailey', `missed-${i}`)));
        return held.every((line, i) => line === updates[i]);
      }),
      'Bailey holds every update made while it was down',
    );
  });
});

/**
 * Hostile clients (issue 11): clients that never read, pile up commands, or ignore the idle
 * close. Each test checks the member's own figures (/status), not the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runMember, type RunningMember } from '../src/cli/runMember.js';
import { fixture, startFakeGoogle, type FakeGoogle } from '../testkit/fakeGoogle.js';
import { makeHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { exchange, open } from '../testkit/wire.js';

const MB = 1024 * 1024;

describe('clients that never read their replies', () => {
  let members: MemberProcesses;
  before(async () => {
    const { herd, ...rest } = await makeHerd(['Solo'], []);
    members = new MemberProcesses({ herd, ...rest });
    await members.start('Solo');
  });
  after(() => members.stopAll());

  test('20 connections of pipelined 20-result WHATSATs: replies held stay bounded, RSS within 100 MB', async () => {
    const { clientPort } = members['herd'].herd.members[0]!;
    await exchange(clientPort, 'IAMAT dense +34.068930-118.445127 1\n');
    await exchange(clientPort, 'WHATSAT dense 50 20\n'); // the places data is loaded
    const before = (await members.status('Solo')).memory.rssBytes;
    const line = Buffer.from('WHATSAT dense 50 20\n');
    const chunk = Buffer.concat(Array.from({ length: 3277 }, () => line)).subarray(0, 64 * 1024);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(clientPort)));
    for (const socket of sockets) {
      socket.pause(); // never read
      socket.write(chunk);
    }
    // Each connection's replies fill the kernel's buffers, then its write queue: the member
    // then holds the connection's lines and says so in /status.
    assert.ok(
      await eventually(async () => (await members.status('Solo')).counters.clientConnectionsBlocked === 20, 120_000, 200),
      'every flooding connection ends up waiting for its client',
    );
    const status = await members.status('Solo');
    // Held per connection: at most 8 replies being computed (~7.6 KB each) and a write queue at
    // its high-water mark; without the limits each connection held ~25 MB.
    assert.ok(status.counters.clientBytesQueued < 20 * 256 * 1024, `reply bytes held: ${status.counters.clientBytesQueued}`);
    const grown = status.memory.rssBytes - before;
    assert.ok(grown < 100 * MB, `RSS grew by ${(grown / MB).toFixed(0)} MB`);
    // Other clients are still answered.
    assert.match((await exchange(clientPort, 'IAMAT other +1+1 2\n')).toString(), /^AT Solo \S+ other \+1\+1 2\n$/);
    sockets.forEach((s) => s.destroy());
  });
});

describe('limits on one connection', () => {
  let google: FakeGoogle;
  let member: RunningMember;
  const hanging: Array<() => void> = [];

  before(async () => {
    const ok = fixture('nearbysearch-ok.json');
    // Every Google call hangs until the test releases it.
    google = await startFakeGoogle((_url, _req, res) => {
      hanging.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok)));
    });
    const { herd, dir } = await makeHerd(['Solo'], []);
    member = await runMember({
      herd,
      name: 'Solo',
      logDir: dir,
      consoleLevel: 'silent',
      env: { GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_URL: google.origin },
    });
  });

  after(async () => {
    hanging.forEach((answer) => answer());
    await member.stop();
    await google.close();
  });

  test('256 replies pending: the member handles no more lines until the first is answered', async () => {
    await exchange(member.clientPort, 'IAMAT head +1+1 1\n');
    const socket = await open(member.clientPort);
    const replies: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => replies.push(chunk));
    const iamats = Array.from({ length: 300 }, (_, i) => `IAMAT pending-${i} +1+1 1\n`).join('');
    socket.write(`WHATSAT head 10 1\n${iamats}`); // one write: all of it reaches the member at once
    const stored = () => member.store.size - 1;
    assert.ok(await eventually(() => stored() >= 255, 30_000, 10));
    // A round trip on another connection: had the member gone on with the first one's lines,
    // it would have done so before answering this.
    await exchange(member.clientPort, '\n');
    assert.equal(stored(), 255, 'the WHATSAT and 255 IAMATs pending: the 256th waits');
    assert.equal(replies.length, 0, 'nothing answered out of order');
    assert.ok(await eventually(() => hanging.length > 0, 30_000, 10), 'the WHATSAT reached the places stand-in');
    hanging.shift()!();
    assert.ok(await eventually(() => stored() === 300, 30_000, 10), 'the rest is handled once the first reply is out');
    socket.destroy();
  });
});

describe('the idle timeout', () => {
  let member: RunningMember;
  before(async () => {
    const { herd, dir } = await makeHerd(['Solo'], []);
    member = await runMember({ herd, name: 'Solo', logDir: dir, consoleLevel: 'silent', idleTimeoutMs: 500, maxConnections: 3 });
  });
  after(() => member.stop());

  test('frees the slots of clients that ignore the close; a new client is served', async () => {
    const before = member.status().counters;
    // These clients never read nor end their side, even after the member ends its own.
    const ignoring = await Promise.all(Array.from({ length: 3 }, () => open(member.clientPort)));
    assert.ok(await eventually(() => member.status().counters.clientConnectionsOpen === 3, 60_000, 20), 'all three accepted');
    assert.ok(await eventually(() => member.status().counters.clientConnectionsOpen === 0, 60_000, 20), 'the member let go of all three');
    const counters = member.status().counters;
    assert.equal(counters.clientConnectionsIdleClosed - before.clientConnectionsIdleClosed, 3, 'closed for being idle');
    assert.equal(counters.clientConnectionsRefused, before.clientConnectionsRefused, 'none refused');
    assert.match((await exchange(member.clientPort, 'IAMAT after +1+1 1\n')).toString(), /^AT Solo \S+ after \+1\+1 1\n$/);
    ignoring.forEach((socket) => socket.destroy());
  });
});

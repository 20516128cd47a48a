/** Client-side limits: idle timeout, connection cap, back-pressure, places concurrency. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runMember, type RunningMember } from '../src/cli/runMember.js';
import { fixture, startFakeGoogle, type FakeGoogle } from '../testkit/fakeGoogle.js';
import { makeHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { collect, exchange, open, readLines } from '../testkit/wire.js';

describe('limits of one member', () => {
  let google: FakeGoogle;
  let member: RunningMember;
  const hanging: Array<() => void> = [];
  const ok = fixture('nearbysearch-ok.json');

  before(async () => {
    // Radius 1 km hangs until the test releases it; anything else answers at once.
    google = await startFakeGoogle((url, _req, res) => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok));
      if (url.searchParams.get('radius') === '1000') hanging.push(answer);
      else answer();
    });
    const { herd, dir } = await makeHerd(['Solo'], []);
    member = await runMember({
      herd,
      name: 'Solo',
      logDir: dir,
      consoleLevel: 'silent',
      idleTimeoutMs: 400,
      maxConnections: 8,
      env: { GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_URL: google.origin, HERD_PLACES_CONCURRENCY: '2', HERD_PLACES_QUEUE: '2' },
    });
  });

  after(async () => {
    hanging.forEach((answer) => answer());
    await member.stop();
    await google.close();
  });

  const counters = () => member.status().counters;

  test('a connection that sends nothing is closed after the idle timeout', async () => {
    const idleBefore = counters().clientConnectionsIdleClosed;
    const socket = await open(member.clientPort);
    const received = await collect(socket);
    assert.equal(received.length, 0);
    assert.equal(counters().clientConnectionsIdleClosed, idleBefore + 1, 'closed for being idle');
  });

  test('an idle connection with half a line is closed without answering it', async () => {
    const idleBefore = counters().clientConnectionsIdleClosed;
    const socket = await open(member.clientPort);
    const received = collect(socket);
    socket.write('IAMAT partial +1+1 1');
    assert.equal((await received).length, 0);
    assert.equal(member.store.get('partial'), undefined);
    assert.equal(counters().clientConnectionsIdleClosed, idleBefore + 1, 'closed for being idle');
  });

  test('a connection over the limit is closed at once; the others are unaffected', async () => {
    assert.ok(await eventually(() => counters().clientConnectionsOpen === 0), 'earlier connections are gone');
    const refusedBefore = counters().clientConnectionsRefused;
    const sockets = await Promise.all(Array.from({ length: 8 }, () => open(member.clientPort)));
    assert.ok(await eventually(() => counters().clientConnectionsOpen === 8), 'the eight are accepted');
    const extra = await open(member.clientPort);
    const extraGot = await new Promise<string>((resolve) => {
      extra.on('data', () => resolve('data'));
      extra.on('end', () => resolve('closed'));
      extra.on('error', () => resolve('closed'));
    });
    assert.equal(extraGot, 'closed');
    // Closed for the cap, not by the idle timeout (which would close it too, later).
    assert.equal(counters().clientConnectionsRefused, refusedBefore + 1, 'refused over the cap');
    sockets[3]!.write('IAMAT capped +1+1 1\n');
    assert.match((await readLines(sockets[3]!, 1))[0]!, /^AT Solo \S+ capped \+1\+1 1$/);
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  test('a client that does not read its replies is no longer read: memory stays bounded', async () => {
    await exchange(member.clientPort, 'IAMAT reader +34.068930-118.445127 1\n');
    const socket = await open(member.clientPort);
    socket.pause(); // never read: the member's replies pile up in the kernel, then it stops reading
    const line = Buffer.from('WHATSAT reader 10 20\n');
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line));
    // All 42 MB are queued at once on this side: the client does not wait for the member.
    for (let i = 0; i < 2000; i++) socket.write(chunk);
    // Each 21-byte WHATSAT asks for a ~20 KB reply: without back-pressure the member would read
    // all 42 MB of requests and buffer ~40 GB of replies. It stops once its write queue is full.
    assert.ok(await eventually(() => counters().clientConnectionsBlocked === 1, 60_000, 20), 'the member waits for the client');
    const { clientBytesQueued, whatsat } = counters();
    assert.ok(clientBytesQueued < 512 * 1024, `reply bytes held ${clientBytesQueued}`);
    // The kernel buffers a few MB each way; the rest of the 42 MB is still on the client.
    assert.ok(socket.writableLength > 20 * 1024 * 1024, `only ${socket.writableLength} bytes left unsent`);
    // A round trip on another connection, then nothing more was read from this one.
    await exchange(member.clientPort, '\n');
    assert.equal(counters().whatsat, whatsat, 'no more lines handled');
    socket.destroy();
  });

  test('a hanging places provider delays only its WHATSAT; IAMATs elsewhere answer meanwhile', async () => {
    await exchange(member.clientPort, 'IAMAT slow +1+1 1\n');
    const waiting = exchange(member.clientPort, 'WHATSAT slow 1 1\n');
    let whatsatDone = false;
    void waiting.then(() => (whatsatDone = true));
    while (hanging.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const reply = await exchange(member.clientPort, 'IAMAT other +2+2 2\n');
    assert.match(reply.toString(), /^AT Solo \S+ other \+2\+2 2\n$/);
    assert.equal(whatsatDone, false, 'the IAMAT was answered while the WHATSAT still waited');
    hanging.shift()!();
    assert.match((await waiting).toString(), /^AT Solo \S+ slow \+1\+1 1\n\{/);
  });

  test('upstream calls are capped, with a bounded queue; beyond it UNKNOWN_ERROR at once', async () => {
    await exchange(member.clientPort, 'IAMAT queued +1+1 1\n');
    const before = google.requests.length;
    const replies = Array.from({ length: 5 }, () => exchange(member.clientPort, 'WHATSAT queued 1 1\n').then((b) => b.toString()));
    // 2 run, 2 wait in the queue, the fifth is refused without reaching Google.
    const refused = await Promise.race(replies);
    assert.match(refused, /"status": "UNKNOWN_ERROR"/);
    assert.match(refused, /places queue full/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(google.requests.length - before, 2, 'only two calls upstream at once');
    while (hanging.length > 0 || google.requests.length - before < 4) {
      hanging.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const all = await Promise.all(replies);
    assert.equal(all.filter((r) => r.includes('"status": "OK"')).length, 4);
  });
});

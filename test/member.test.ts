/** One member over real TCP: the exact bytes a client sees. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runMember, type RunningMember } from '../src/cli/runMember.js';
import { AT_REPLY, collect, exchange, open } from '../testkit/wire.js';
import { fixture, fixtureText, json, OK_BOUND_5, startFakeGoogle, type FakeGoogle } from '../testkit/fakeGoogle.js';
import { makeHerd, type TestHerd } from '../testkit/herd.js';

const KIWI = 'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503';

describe('a member over TCP', () => {
  let herd: TestHerd;
  let google: FakeGoogle;
  let solo: RunningMember;
  const ok = fixture('nearbysearch-ok.json');

  before(async () => {
    herd = await makeHerd(['Solo'], []);
    google = await startFakeGoogle((url, req, res) => {
      // A slow answer for one client proves replies keep command order.
      json(ok, url.searchParams.get('radius') === '1000' ? 300 : 0)(url, req, res);
    });
    solo = await runMember({
      herd: herd.herd,
      name: 'Solo',
      logDir: herd.dir,
      consoleLevel: 'silent',
      maxLineBytes: 1024,
      env: { GOOGLE_PLACES_API_KEY: 'test-key', HERD_PLACES_URL: google.origin },
    });
  });

  after(async () => {
    await solo.stop();
    await google.close();
  });

  test('IAMAT gets the AT line with the client fields verbatim', async () => {
    const reply = (await exchange(solo.clientPort, `${KIWI}\n`)).toString('latin1');
    assert.match(reply.slice(0, -1), AT_REPLY('Solo', 'kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503'));
    assert.ok(reply.endsWith('\n'));
    assert.equal(solo.store.get('kiwi.cs.ucla.edu')!.atLine, reply.slice(0, -1));
  });

  test('WHATSAT: the stored AT line, the JSON cut to the bound, an empty line', async () => {
    await exchange(solo.clientPort, `${KIWI}\n`);
    const atLine = solo.store.get('kiwi.cs.ucla.edu')!.atLine;
    const reply = (await exchange(solo.clientPort, 'WHATSAT kiwi.cs.ucla.edu 10 5\n')).toString('utf8');
    const expected = `${atLine}\n${fixtureText(OK_BOUND_5)}\n\n`;
    assert.equal(reply, expected);
    const last = google.requests.at(-1)!;
    assert.equal(last.searchParams.get('radius'), '10000');
    assert.equal(last.searchParams.get('key'), 'test-key');
  });

  test('several commands in one write are answered in order, even behind a slow WHATSAT', async () => {
    const input = `IAMAT order +1+1 1\nWHATSAT order 1 2\nbogus line\nIAMAT order2 +2+2 2\nWHATSAT nobody 10 5\n`;
    const lines = (await exchange(solo.clientPort, input)).toString('latin1').split('\n');
    assert.match(lines[0]!, AT_REPLY('Solo', 'order +1+1 1'));
    assert.equal(lines[1], lines[0], 'WHATSAT starts with the stored AT line');
    // The WHATSAT reply ends in an empty line, right after the JSON.
    const emptyLine = lines.indexOf('', 2);
    assert.equal(lines[emptyLine - 1], '}');
    assert.equal((JSON.parse(lines.slice(2, emptyLine).join('\n')) as { results: unknown[] }).results.length, 2);
    assert.equal(lines[emptyLine + 1], '? bogus line');
    assert.match(lines[emptyLine + 2]!, AT_REPLY('Solo', 'order2 +2+2 2'));
    assert.equal(lines[emptyLine + 3], '? WHATSAT nobody 10 5');
    assert.deepEqual(lines.slice(emptyLine + 4), ['']);
  });

  test('a final line without newline after half-close is answered, then the socket closes', async () => {
    const reply = await exchange(solo.clientPort, 'IAMAT half', ' +3+3 3');
    assert.match(reply.toString('latin1').slice(0, -1), AT_REPLY('Solo', 'half +3+3 3'));
  });

  test('input fed one byte at a time, with CRLF and tabs', async () => {
    const bytes = Buffer.from('IAMAT\tbytes\t+4+4\t4\r\n', 'latin1');
    const pieces = [...bytes].map((b) => Buffer.from([b]));
    const reply = await exchange(solo.clientPort, ...pieces);
    assert.match(reply.toString('latin1').slice(0, -1), AT_REPLY('Solo', 'bytes +4+4 4'));
  });

  test('an overlong line gets a clipped "? " reply and only that connection closes', async () => {
    const bystander = await open(solo.clientPort);
    const bystanderReplies = collect(bystander);
    const reply = await exchange(solo.clientPort, `IAMAT ok +5+5 5\n${'A'.repeat(5000)}\nIAMAT never +5+5 5\n`);
    const lines = reply.toString('latin1').split('\n');
    assert.match(lines[0]!, AT_REPLY('Solo', 'ok +5+5 5'));
    assert.equal(lines[1], `? ${'A'.repeat(1024)}`);
    assert.deepEqual(lines.slice(2), ['']);
    assert.equal(solo.store.get('never'), undefined);
    bystander.end(`IAMAT bystander +6+6 6\n`);
    assert.match((await bystanderReplies).toString('latin1'), /^AT Solo .* bystander \+6\+6 6\n$/);
  });

  test('binary garbage is echoed byte for byte', async () => {
    const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0x7f, 0x0d, 0x0a]);
    const reply = await exchange(solo.clientPort, garbage);
    assert.deepEqual(reply, Buffer.concat([Buffer.from('? '), garbage.subarray(0, 6), Buffer.from('\n')]));
  });

  test('blank lines get no reply', async () => {
    assert.equal((await exchange(solo.clientPort, '\n \t\n\r\n')).length, 0);
  });
});

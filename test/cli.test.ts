/**
 * The `herd` binary without a member: option values out of range, and `herd send` against
 * plain TCP servers on 127.0.0.1 (one that answers, one that never does).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { HerdFileJson } from '../src/config/herdFile.js';
import { loadShare } from '../src/cli/options.js';
import { herd } from '../testkit/cli.js';
import { makeHerd, type TestHerd } from '../testkit/herd.js';

describe('bad option values: one line naming the value, exit 2', () => {
  let t: TestHerd;
  before(async () => {
    t = await makeHerd(['A'], []);
  });

  const cases: Array<{ args: (file: string) => string[]; bad: string }> = [
    { args: (f) => ['start', 'A', '--config', f, '--log-level', 'loud'], bad: 'loud' },
    { args: (f) => ['start', 'A', '--config', f, '--console-level', 'chatty'], bad: 'chatty' },
    { args: (f) => ['start', 'A', '--config', f, '--console-format', 'fancy'], bad: 'fancy' },
    { args: (f) => ['start', 'A', '--config', f, '--max-line-bytes', '63'], bad: '63' },
    { args: (f) => ['start', 'A', '--config', f, '--max-line-bytes', '65537'], bad: '65537' },
    { args: (f) => ['start', 'A', '--config', f, '--idle-timeout-ms', '0'], bad: '0' },
    { args: (f) => ['start', 'A', '--config', f, '--idle-timeout-ms', '1.5'], bad: '1.5' },
    { args: (f) => ['start', 'A', '--config', f, '--max-connections', '-1'], bad: '-1' },
    { args: (f) => ['start', 'A', '--config', f, '--sync-interval-ms', '30s'], bad: '30s' },
    { args: (f) => ['start', 'A', '--config', f, '--p2p-listen-port', '65536'], bad: '65536' },
    { args: (f) => ['start', 'A', '--config', f, '--pacing-target-load', '0'], bad: '0' },
    { args: (f) => ['start', 'A', '--config', f, '--pacing-target-load', '1.5'], bad: '1.5' },
    { args: (f) => ['start', 'A', '--config', f, '--pacing-target-load', '1e-1'], bad: '1e-1' },
    { args: (f) => ['mesh', '--config', f, '--timeout-ms', '0'], bad: '0' },
    { args: (f) => ['send', 'A', 'IAMAT', '--config', f, '--timeout-ms', 'soon'], bad: 'soon' },
    { args: () => ['init', join(tmpdir(), 'herd-never-written'), '--names', 'A', '--base-port', '70000'], bad: '70000' },
  ];

  test('every option with a range or a set of values', async () => {
    const results = await Promise.all(cases.map((c) => herd(c.args(t.file))));
    results.forEach((r, i) => {
      const { bad } = cases[i]!;
      const what = cases[i]!.args('FILE').join(' ');
      assert.equal(r.code, 2, `${what}: exit code`);
      assert.equal(r.stdout, '', `${what}: nothing on stdout`);
      assert.match(r.stderr, /^[^\n]+\n$/, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.ok(r.stderr.includes(`"${bad}"`), `${what}: names ${bad}, got ${JSON.stringify(r.stderr)}`);
    });
  });
});

test('--pacing-target-load takes a share written in decimal digits, above 0 and at most 1', () => {
  assert.deepEqual(['0.5', '.05', '1', '1.0', '0.001'].map(loadShare), [0.5, 0.05, 1, 1, 0.001]);
  for (const bad of ['0', '0.0', '1.01', '-0.5', '1e-1', '0x1', ' 0.5', '', '.', 'NaN']) {
    assert.throws(
      () => loadShare(bad),
      (err: Error) => err.message.includes(`got "${bad}"`),
      bad,
    );
  }
});

describe('herd send', () => {
  let answering: Server;
  let silent: Server;
  const heldOpen: Socket[] = [];
  const received: string[] = [];
  const portOf = (s: Server) => (s.address() as { port: number }).port;

  before(async () => {
    // Answers each connection's one line the way a member answers an invalid line, or with AT.
    answering = createServer({ allowHalfOpen: true }, (socket) => {
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('end', () => {
        received.push(text);
        socket.end(text.startsWith('IAMAT') ? 'AT Stand-in +0.5 kiwi +1+1 1\n' : `? ${text}`);
      });
    });
    // Accepts and never answers, nor closes.
    silent = createServer({ allowHalfOpen: true }, (socket) => heldOpen.push(socket));
    await Promise.all([answering, silent].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  });

  after(async () => {
    heldOpen.forEach((s) => s.destroy());
    await Promise.all([answering, silent].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  test('exit 0 with the reply on stdout; exit 3 when the reply is "? "', async () => {
    const target = `127.0.0.1:${portOf(answering)}`;
    const ok = await herd(['send', target, 'IAMAT kiwi +1+1 1']);
    assert.deepEqual(ok, { code: 0, stdout: 'AT Stand-in +0.5 kiwi +1+1 1\n', stderr: '' });
    const invalid = await herd(['send', target, 'HELLO there']);
    assert.deepEqual(invalid, { code: 3, stdout: '? HELLO there\n', stderr: '' });
  });

  test('--timeout-ms: a server that never answers gives exit 1 and says so', async () => {
    const r = await herd(['send', `127.0.0.1:${portOf(silent)}`, 'IAMAT kiwi +1+1 1', '--timeout-ms', '300']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'herd: no answer within 300 ms\n' });
  });

  test('a member name is looked up in peers/herd.json under the current directory by default', async () => {
    const t = await makeHerd(['A'], []);
    const cwd = mkdtempSync(join(tmpdir(), 'herd-cwd-'));
    mkdirSync(join(cwd, 'peers'));
    const json = JSON.parse(readFileSync(t.file, 'utf8')) as HerdFileJson;
    json.members[0]!.clientPort = portOf(answering);
    writeFileSync(join(cwd, 'peers', 'herd.json'), JSON.stringify(json));
    const before = received.length;
    const r = await herd(['send', 'A', 'IAMAT kiwi +1+1 1'], { cwd });
    assert.deepEqual(r, { code: 0, stdout: 'AT Stand-in +0.5 kiwi +1+1 1\n', stderr: '' });
    assert.deepEqual(received.slice(before), ['IAMAT kiwi +1+1 1\n']);
  });

  test('a missing or bad herd file, or an unknown name, gives one line and exit 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'herd-cwd-'));
    const notJson = join(empty, 'bad.json');
    writeFileSync(notJson, '{ "members": [');
    const wrongField = join(empty, 'wrong.json');
    writeFileSync(wrongField, JSON.stringify({ members: [{ name: 'A', host: '127.0.0.1', clientPort: 'twelve' }] }));
    const t = await makeHerd(['A'], []);
    const [missing, malformed, invalid, unknown] = await Promise.all([
      herd(['send', 'A', 'IAMAT kiwi +1+1 1'], { cwd: empty }),
      herd(['send', 'A', 'IAMAT kiwi +1+1 1', '--config', notJson]),
      herd(['send', 'A', 'IAMAT kiwi +1+1 1', '--config', wrongField]),
      herd(['send', 'Nobody', 'IAMAT kiwi +1+1 1', '--config', t.file]),
    ]);
    assert.deepEqual(missing, { code: 2, stdout: '', stderr: 'herd: peers/herd.json: cannot read herd file (ENOENT)\n' });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, new RegExp(`^herd: ${notJson}: not JSON \\([^\\n]+\\)\\n$`));
    assert.deepEqual(invalid, {
      code: 2,
      stdout: '',
      stderr: `herd: ${wrongField}: members[0].clientPort: Invalid input: expected number, received string (got "twelve")\n`,
    });
    assert.deepEqual(unknown, { code: 2, stdout: '', stderr: `herd: ${t.file}: no member named "Nobody" (members: A)\n` });
  });
});

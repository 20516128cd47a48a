import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseHerd, type HerdFileJson } from '../src/config/herdFile.js';

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';
const member = (name: string, base: number, extra: object = {}) => ({
  name,
  host: '127.0.0.1',
  clientPort: base,
  p2pPort: base + 100,
  adminPort: base + 200,
  peerId: PEER,
  keyFile: `${name}.key`,
  ...extra,
});
const herd = (members: object[], links: unknown = []) => ({ members, links });
const rejects = (json: unknown, message: RegExp) =>
  assert.throws(
    () => parseHerd(json, 'herd.json'),
    (err: Error) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'),
  );

test('a good herd file loads, key paths resolve next to it', () => {
  const config = parseHerd(herd([member('A', 1000), member('B', 1001)], [['A', 'B']]), '/etc/herd/herd.json');
  assert.equal(config.members[1]!.keyPath, '/etc/herd/B.key');
  assert.equal(config.members[0]!.adminHost, '127.0.0.1');
});

test('every bad field is named with its value on one line', () => {
  rejects(herd([member('A', 1000, { clientPort: 70000 })]), /members\[0\]\.clientPort: .*\(got 70000\)/);
  rejects(herd([member('A', 1000, { peerId: 'nope' })]), /members\[0\]\.peerId: must be a base58 libp2p peer ID \(got "nope"\)/);
  rejects(herd([member('bad name', 1000)]), /members\[0\]\.name: .*\(got "bad name"\)/);
  rejects(herd([member('A', 1000, { colour: 'red' })]), /members\[0\]: .*colour/);
  rejects(herd([]), /members: /);
  rejects({ links: [] }, /members: /);
  rejects(herd([member('A', 1000), member('A', 1001)]), /members\[1\]\.name: duplicate member name "A"/);
  rejects(herd([member('A', 1000), member('B', 1000)]), /members\[1\]\.clientPort: 127\.0\.0\.1:1000 is already used/);
  rejects(herd([member('A', 1000)], [['A', 'Z']]), /links\[0\]: unknown member "Z"/);
  rejects(herd([member('A', 1000)], [['A', 'A']]), /links\[0\]: a member cannot link to itself/);
  rejects(
    herd(
      [member('A', 1000), member('B', 1001)],
      [
        ['A', 'B'],
        ['B', 'A'],
      ],
    ),
    /links\[1\]: duplicate link B-A/,
  );
  rejects(herd([member('A', 1000)], [['A']]), /links\[0\]/);
});

test('herd start with a bad herd file exits 2 with the message on stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-config-'));
  const file = join(dir, 'herd.json');
  const bin = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  writeFileSync(file, '{ "members": [ ');
  let run = spawnSync(process.execPath, [bin, 'start', 'A', '--config', file], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^herd: .*herd\.json: not JSON/);
  writeFileSync(file, JSON.stringify(herd([member('A', 1000, { p2pPort: 'x' })])));
  run = spawnSync(process.execPath, [bin, 'start', 'A', '--config', file], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr, `herd: ${file}: members[0].p2pPort: Invalid input: expected number, received string (got "x")\n`);
  run = spawnSync(process.execPath, [bin, 'start', 'A', '--config', join(dir, 'missing.json')], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /cannot read herd file \(ENOENT\)/);
});

test('herd init writes a herd file and 0600 keys, validates links, refuses to overwrite', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'herd-init-')), 'herd');
  const bin = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const init = (...args: string[]) => spawnSync(process.execPath, [bin, 'init', dir, ...args], { encoding: 'utf8' });
  let run = init('--names', 'A,B,C', '--links', 'A-B,B-Z');
  assert.equal(run.status, 2);
  assert.equal(run.stderr, 'herd: --links: unknown member "Z" in B-Z\n');
  run = init('--names', 'A,B,C', '--links', 'A-B');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /the herd is not connected \(C unreachable from A\)/);
  run = init('--names', 'A,B,C', '--links', 'A-B,B-C', '--base-port', '15000', '--host', '10.1.2.3');
  assert.equal(run.status, 0, run.stderr);
  const herd = JSON.parse(readFileSync(join(dir, 'herd.json'), 'utf8')) as HerdFileJson;
  assert.deepEqual(
    herd.members.map((m: { name: string; clientPort: number; p2pPort: number; adminPort: number; host: string }) => [
      m.name,
      m.host,
      m.clientPort,
      m.p2pPort,
      m.adminPort,
    ]),
    [
      ['A', '10.1.2.3', 15000, 15100, 15200],
      ['B', '10.1.2.3', 15001, 15101, 15201],
      ['C', '10.1.2.3', 15002, 15102, 15202],
    ],
  );
  assert.deepEqual(herd.links, [
    ['A', 'B'],
    ['B', 'C'],
  ]);
  for (const name of ['A', 'B', 'C']) assert.equal(statSync(join(dir, `${name}.key`)).mode & 0o777, 0o600);
  assert.equal(new Set(herd.members.map((m: { peerId: string }) => m.peerId)).size, 3);
  run = init('--names', 'A,B,C', '--links', 'A-B,B-C');
  assert.equal(run.status, 2);
  assert.match(run.stderr, /herd\.json exists; pass --force/);
  assert.equal(init('--names', 'A,B', '--links', 'A-B', '--force').status, 0);
});

/**
 * `herd mesh` against three member processes: A and B linked, C on its own. C never hears of
 * A's clients, so once A has one, every member and link is up while the stores differ.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fetchStatus } from '../src/net/statusClient.js';
import { findMember, loadHerdFile, type HerdFileJson } from '../src/config/herdFile.js';
import { herd, spawnHerd } from '../testkit/cli.js';
import { makeHerd, portOf, type TestHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { exchange } from '../testkit/wire.js';

/** Members of a busy machine may take seconds to answer /status; the default is 1 s. */
const MESH = (t: TestHerd, ...options: string[]) => ['mesh', '--config', t.file, '--timeout-ms', '10000', ...options];

const IAMAT = (client: string) => `IAMAT ${client} +34.068930-118.445127 1621464827.959498503\n`;

/** The RECORDS column of a member's row in `herd mesh`'s table. */
function recordsIn(table: string, name: string): string | undefined {
  const row = table.split('\n').find((line) => line.startsWith(`${name} `));
  return row?.split(/\s+/)[5];
}

describe('herd mesh', () => {
  let t: TestHerd;
  let members: MemberProcesses;

  before(async () => {
    // `herd init` refuses a herd in pieces; a hand-edited herd file may still be one.
    const made = await makeHerd(
      ['A', 'B', 'C'],
      [
        ['A', 'B'],
        ['B', 'C'],
      ],
    );
    const json = JSON.parse(readFileSync(made.file, 'utf8')) as HerdFileJson;
    json.links = [['A', 'B']];
    writeFileSync(made.file, JSON.stringify(json, null, 2));
    t = { ...made, herd: loadHerdFile(made.file) };
    members = new MemberProcesses(t);
    await members.start('A', 'B', 'C');
    const linked = async () => (await members.status('A')).neighbours[0]!.connected && (await members.status('B')).neighbours[0]!.connected;
    assert.ok(await eventually(linked, 120_000), 'A-B link up');
  });

  after(() => members.stopAll());

  test('--check exits 0 while every member and link is up and the stores are equal', async () => {
    const r = await herd(MESH(t, '--check'));
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /\nherd healthy\n$/);
    assert.equal(recordsIn(r.stdout, 'C'), '0');
  });

  test('--check exits 1 when the stores differ, and the table marks the odd one', async () => {
    await exchange(portOf(t.herd, 'A'), IAMAT('kiwi.cs.ucla.edu'));
    assert.ok(await eventually(async () => (await members.status('B')).store.clients === 1, 120_000), 'the record at B');
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map((name) => fetchStatus(findMember(t.herd, name), 30_000)));
    assert.equal(a!.store.digest, b!.store.digest);
    assert.notEqual(c!.store.digest, a!.store.digest);

    const r = await herd(MESH(t, '--check'));
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /\nherd NOT healthy\n$/);
    assert.match(r.stdout, /\n {2}A - B: up\n/);
    const cRow = r.stdout.split('\n').find((line) => line.startsWith('C '))!;
    assert.match(cRow, / [0-9a-f]{8} DIFFERS /);
    for (const name of ['A', 'B'])
      assert.doesNotMatch(
        r.stdout.split('\n').find((line) => line.startsWith(`${name} `))!,
        /DIFFERS/,
      );
    const plain = await herd(MESH(t));
    assert.equal(plain.code, 0, 'without --check, an unhealthy herd is only shown');
  });

  test('--dot draws the members and links, coloured by state', async () => {
    const r = await herd(MESH(t, '--dot'));
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        'graph herd {',
        '  "A" [color=green];',
        '  "B" [color=green];',
        '  "C" [color=orange];',
        '  "A" -- "B" [label="up", color=green];',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('--watch redraws with fresh figures until interrupted', async () => {
    const watch = spawnHerd(MESH(t, '--watch'));
    let output = '';
    watch.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    const frames = () => output.split('\x1b[2J\x1b[H').slice(1);
    try {
      assert.ok(await eventually(() => frames().some((f) => recordsIn(f, 'A') === '1'), 120_000), output);
      await exchange(portOf(t.herd, 'A'), IAMAT('second.cs.ucla.edu'));
      assert.ok(await eventually(() => frames().some((f) => recordsIn(f, 'A') === '2'), 120_000), output);
      assert.equal(watch.exitCode, null, 'still running');
      for (const frame of frames().slice(0, -1)) {
        assert.match(frame, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\nMEMBER +PEER ID/);
        assert.match(frame, /\nherd NOT healthy\n$/);
      }
    } finally {
      const exited = new Promise((resolve) => watch.once('exit', resolve));
      watch.kill('SIGINT');
      await exited;
    }
  });

  test('a member down shows red, its link down, and --check exits 1', async () => {
    await members.kill('B');
    const linkDown = async () => !(await members.status('A')).neighbours[0]!.connected;
    assert.ok(await eventually(linkDown, 120_000), 'A sees the link down');
    const [dot, check] = await Promise.all([herd(MESH(t, '--dot')), herd(MESH(t, '--check'))]);
    assert.equal(
      dot.stdout,
      [
        'graph herd {',
        '  "A" [color=green];',
        '  "B" [color=red];',
        '  "C" [color=orange];', // A and C disagree, one each: the first in the file wins
        '  "A" -- "B" [label="down", color=red, style=dotted];',
        '}',
        '',
      ].join('\n'),
    );
    assert.equal(check.code, 1);
  });
});

/** `herd start --config FILE` with no name: every member in its own process, under one parent. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fetchStatus } from '../src/net/statusClient.js';
import { makeHerd, portOf } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { HERD_BIN } from '../testkit/processes.js';
import { exchange } from '../testkit/wire.js';

test('starts every member, prefixes their output, forwards SIGTERM, exits 0 when all stopped', async () => {
  const herd = await makeHerd(['Alpha', 'Bravo'], [['Alpha', 'Bravo']]);
  const parent = spawn(process.execPath, [HERD_BIN, 'start', '--config', herd.file, '--log-dir', herd.dir, '--console-format', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  parent.stdout.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
  try {
    assert.ok(
      await eventually(async () => {
        const statuses = await Promise.all(herd.herd.members.map((m) => fetchStatus(m)));
        return statuses.every((s) => s.neighbours.every((n) => n.connected));
      }),
      'both members up and linked',
    );
    const reply = await exchange(portOf(herd.herd, 'Alpha'), 'IAMAT supervised +1+1 1\n');
    assert.match(reply.toString(), /^AT Alpha /);
    parent.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(output, /^Alpha \| \{.*"msg":"member started"/m);
    assert.match(output, /^Bravo \| \{.*"msg":"member started"/m);
    assert.match(output, /^Alpha exited with code 0$/m);
    assert.match(output, /^Bravo exited with code 0$/m);
  } finally {
    parent.kill('SIGKILL');
  }
});

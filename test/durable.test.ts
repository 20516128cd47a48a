/** Durable state: `--data-dir` keeps every acknowledged record through kill -9 and restarts. */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeHerd, portOf } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { exchange, open } from '../testkit/wire.js';

const heldBy = async (port: number, client: string) => (await exchange(port, `WHATSAT ${client} 1 1\n`)).toString('latin1').split('\n')[0]!;

describe('durable state', () => {
  test('kill -9 in the middle of writes loses no acknowledged record', async () => {
    const herd = await makeHerd(['Solo'], []);
    const dataDir = join(herd.dir, 'data');
    const members = new MemberProcesses(herd, ['--data-dir', dataDir]);
    await members.start('Solo');
    const port = portOf(herd.herd, 'Solo');
    try {
      // A client streams updates; we kill the member while replies are still coming.
      const socket = await open(port);
      const acks: string[] = [];
      let buffered = '';
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('latin1');
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        acks.push(...lines);
      });
      socket.on('error', () => {});
      // Lines go out until the kill, so some are always in flight when it lands, however fast the machine.
      let sent = 0;
      let killed = false;
      const writeMore = () => {
        while (!killed) {
          const batch = Array.from({ length: 500 }, () => {
            const i = sent++;
            return `IAMAT durable-${i % 5000} +1+1 1700000000.${String(i).padStart(9, '0')}\n`;
          });
          if (!socket.write(batch.join(''))) return void socket.once('drain', writeMore);
        }
      };
      writeMore();
      await eventually(() => acks.length >= 2_000);
      killed = true;
      await members.kill('Solo');
      socket.destroy();
      assert.ok(acks.length < sent, `killed mid-stream (${acks.length} of ${sent} acknowledged)`);
      await members.start('Solo');
      // The newest acknowledged record of each client must be there (or a newer one).
      const newest = new Map<string, string>();
      for (const ack of acks) newest.set(ack.split(' ')[3]!, ack);
      for (const [client, ack] of newest) {
        const held = await heldBy(port, client);
        const heldTime = held.split(' ')[5]!;
        assert.ok(heldTime >= ack.split(' ')[5]!, `${client}: acknowledged ${ack}, holds ${held}`);
      }
    } finally {
      await members.stopAll();
    }
  });

  test('a whole-herd restart keeps every record; a torn last line is cut off, not fatal', async () => {
    const herd = await makeHerd(['A', 'B'], [['A', 'B']]);
    const dataDir = join(herd.dir, 'data');
    const members = new MemberProcesses(herd, ['--data-dir', dataDir]);
    await members.start('A', 'B');
    try {
      const replies = [];
      for (let i = 0; i < 20; i++)
        replies.push((await exchange(portOf(herd.herd, i % 2 ? 'A' : 'B'), `IAMAT whole-${i} +2+2 1700000001\n`)).toString('latin1').slice(0, -1));
      // Both members hold all 20 (by gossip, or by sync if the link came up after a report).
      assert.ok(await eventually(async () => (await Promise.all(['A', 'B'].map((n) => members.status(n)))).every((s) => s.store.clients === 20)));
      await members.kill('A', 'B');
      const logFile = join(dataDir, 'A', 'records.log');
      assert.equal(readFileSync(logFile, 'latin1').trim().split('\n').length, 20, 'A logged its own and gossiped records');
      appendFileSync(logFile, 'AT B +0.000000001 torn +1+1 17'); // a write cut short
      await members.start('A', 'B');
      for (const [i, reply] of replies.entries()) {
        assert.equal(await heldBy(portOf(herd.herd, 'A'), `whole-${i}`), reply);
        assert.equal(await heldBy(portOf(herd.herd, 'B'), `whole-${i}`), reply);
      }
      assert.equal(await heldBy(portOf(herd.herd, 'A'), 'torn'), '? WHATSAT torn 1 1');
    } finally {
      await members.stopAll();
    }
  });
});

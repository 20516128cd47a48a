/**
 * Overload: clients flood IAMATs far above what the herd can gossip. Members must push back
 * (stop reading) instead of queueing without bound; memory stays bounded and every
 * acknowledged update still reaches every member.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { makeHerd, portOf } from '../../testkit/herd.js';
import { eventually } from '../../testkit/eventually.js';
import { MemberProcesses } from '../../testkit/processes.js';
import { exchange, open } from '../../testkit/wire.js';

const FLOOD_MS = 4_000;
const CONNECTIONS = 12;

/** Writes IAMATs as fast as the socket takes them; counts the AT replies. */
async function flood(port: number, id: number, until: number): Promise<{ sent: number; acked: number; last: Map<string, string> }> {
  const socket: Socket = await open(port);
  let sent = 0;
  let acked = 0;
  let buffered = '';
  const last = new Map<string, string>();
  socket.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString('latin1')).split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      acked++;
      last.set(line.split(' ')[3]!, line);
    }
  });
  while (Date.now() < until) {
    const batch = Array.from({ length: 200 }, () => `IAMAT flood-${id}-${sent % 500} +1+1 1800000000.${String(sent++).padStart(9, '0')}\n`);
    if (!socket.write(batch.join(''))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  const done = new Promise((resolve) => socket.once('close', resolve));
  socket.end();
  await done;
  return { sent, acked, last };
}

test('a flood is pushed back: bounded memory, every acknowledged update everywhere', { timeout: 600_000 }, async (t) => {
  const names = ['A', 'B', 'C'];
  const herd = await makeHerd(names, [
    ['A', 'B'],
    ['B', 'C'],
  ]);
  const members = new MemberProcesses(herd);
  try {
    await members.start(...names);
    assert.ok(await eventually(async () => (await members.status('B')).neighbours.every((l) => l.connected)));
    const until = Date.now() + FLOOD_MS;
    const results = await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => flood(portOf(herd.herd, i % 2 ? 'A' : 'C'), i, until)));
    const sent = results.reduce((n, r) => n + r.sent, 0);
    assert.equal(
      results.reduce((n, r) => n + r.acked, 0),
      sent,
      'every IAMAT was answered',
    );
    assert.ok(
      await eventually(
        async () => {
          const digests = (await Promise.all(names.map((n) => members.status(n)))).map((s) => s.store.digest);
          return new Set(digests).size === 1;
        },
        300_000,
        250,
      ),
      'all members converge',
    );
    // Equal digests: check the acknowledged records at the far end of the line from each flood.
    for (const [i, r] of results.entries()) {
      const far = i % 2 ? 'C' : 'A';
      const clients = [...r.last.keys()];
      const replies = (await exchange(portOf(herd.herd, far), clients.map((c) => `WHATSAT ${c} 1 1\n`).join(''))).toString('latin1');
      const held = replies
        .split('\n\n')
        .filter(Boolean)
        .map((reply) => reply.split('\n')[0]);
      assert.deepEqual(
        held,
        clients.map((c) => r.last.get(c)),
        `flood ${i} at ${far}`,
      );
    }
    const peaks = names.map((n) => members.peakRss(n));
    t.diagnostic(`${sent} updates in ${FLOOD_MS} ms; peak RSS ${peaks.map((p) => Math.round(p / 2 ** 20)).join(', ')} MiB`);
    // A member at rest is ~150 MiB (the offline places index is ~55 MiB of it).
    assert.ok(
      peaks.every((rss) => rss < 600 * 1024 * 1024),
      `peak RSS ${peaks.map((p) => Math.round(p / 2 ** 20)).join(', ')} MiB, ${sent} updates`,
    );
  } finally {
    await members.stopAll();
  }
});

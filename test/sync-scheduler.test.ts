/** When periodic repair rounds run: never while gossip is busy, until the longest delay allowed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyncScheduler } from '../src/net/p2p/syncScheduler.js';
import type { RoundRequest } from '../src/net/p2p/syncRound.js';
import { eventually } from '../testkit/eventually.js';

function scheduler(busy: () => boolean, repairMaxDelayMs: number, intervalMs = 20) {
  const rounds: Array<{ peerId: string; request: RoundRequest }> = [];
  const s = new SyncScheduler({
    intervalMs,
    learnDebounceMs: 0,
    settleMs: 10_000,
    pushMaxRecords: 2,
    repairMaxDelayMs,
    busy,
    connected: () => ['A', 'B'],
    round: (peerId, request) => {
      rounds.push({ peerId, request });
      return Promise.resolve({ sent: 0, received: 0 });
    },
  });
  return { s, rounds };
}

test('while gossip is busy, periodic rounds wait; quiet again, they run with the settle time', async () => {
  let busy = true;
  let looks = 0;
  const { s, rounds } = scheduler(() => {
    looks++;
    return busy;
  }, 3_600_000);
  s.start();
  try {
    await eventually(() => looks >= 3); // three intervals passed, each found gossip busy
    assert.deepEqual(rounds, []);
    busy = false;
    await eventually(() => rounds.length >= 2);
    assert.deepEqual(rounds.slice(0, 2), [
      { peerId: 'A', request: { settleMs: 10_000 } },
      { peerId: 'B', request: { settleMs: 10_000 } },
    ]);
  } finally {
    s.stop();
  }
});

test('a member busy for good still repairs once the longest delay has passed', async () => {
  const { s, rounds } = scheduler(() => true, 50);
  s.start();
  try {
    await eventually(() => rounds.length >= 2);
    assert.ok(rounds.every((r) => 'settleMs' in r.request && r.request.settleMs === 10_000));
  } finally {
    s.stop();
  }
});

test('learned records are pushed to every neighbour but their source; many at once go by a catch-up round', async () => {
  const { s, rounds } = scheduler(() => false, 3_600_000, 3_600_000); // no periodic rounds
  s.start();
  try {
    s.learnedFromPeer('A', ['AT x']);
    await eventually(() => rounds.length === 1);
    assert.deepEqual(rounds[0], { peerId: 'B', request: { push: ['AT x'] } });
    s.learnedFromPeer('B', ['AT y', 'AT z', 'AT w']); // over pushMaxRecords (2)
    await eventually(() => rounds.length === 2);
    assert.deepEqual(rounds[1], { peerId: 'A', request: { settleMs: 0 } });
  } finally {
    s.stop();
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientHash } from '../src/core/clientHash.js';
import { LocationStore, type LineBytes } from '../src/core/store.js';
import { atLineClient, type LocationRecord } from '../src/protocol/record.js';
import { recordFromLine } from '../testkit/records.js';

const older = recordFromLine('AT Clark +0.100000000 kiwi +34-118 1621464827.5');
const newer = recordFromLine('AT Bona +0.100000000 kiwi +35-118 1621464827.500000001');
const tieA = recordFromLine('AT Alpha +0.100000000 kiwi +1+1 1621464827.500000001');
const tieZ = recordFromLine('AT Zulu +0.100000000 kiwi +1+1 1621464827.500000001');

test('the later client time wins and reports whether it was new', () => {
  const store = new LocationStore();
  assert.equal(store.offer(older), true);
  assert.equal(store.offer(newer), true);
  assert.equal(store.offer(older), false);
  assert.equal(store.offer(newer), false, 'a repeat is not new');
  assert.deepEqual(store.get('kiwi'), newer);
  assert.equal(store.size, 1);
});

test('equal times converge on the same record in any order', () => {
  const orders = [
    [newer, tieA, tieZ],
    [tieZ, tieA, newer],
    [tieA, tieZ, newer],
    [tieZ, newer, tieA],
  ];
  const winners = orders.map((order) => {
    const store = new LocationStore();
    order.forEach((r) => store.offer(r));
    return store.get('kiwi')!.atLine;
  });
  assert.equal(new Set(winners).size, 1);
  assert.equal(winners[0], tieZ.atLine);
});

test('isNewer does not store', () => {
  const store = new LocationStore();
  assert.equal(store.isNewer(older), true);
  assert.equal(store.get('kiwi'), undefined);
});

test('holds: only the exact line stored for its client', () => {
  const store = new LocationStore();
  store.offer(older);
  assert.equal(store.holds(older.atLine), true);
  assert.equal(store.holds(newer.atLine), false, 'same client, another line');
  assert.equal(store.holds('AT Clark +0.1 other +34-118 1'), false, 'unknown client');
  assert.equal(store.holds('AT Clark'), false, 'too few fields');
  store.offer(newer);
  assert.equal(store.holds(older.atLine), false, 'replaced');
});

test('the store digest depends on the records held, not on the order they came in', async () => {
  const { StoreDigest } = await import('../src/core/digest.js');
  const digestOf = (records: LocationRecord[]) => {
    const store = new LocationStore();
    const digest = new StoreDigest(store);
    records.forEach((r) => store.offer(r));
    return digest.toString();
  };
  const other = recordFromLine('AT Clark +0.100000000 lime +1+1 5');
  assert.equal(digestOf([older, newer, other]), digestOf([other, newer, older]));
  assert.equal(digestOf([older, newer]), digestOf([newer]), 'a replaced record leaves no trace');
  assert.notEqual(digestOf([older]), digestOf([newer]));
  assert.match(digestOf([other]), /^[0-9a-f]{16}$/);
});

test('many clients (spread over shards, tables grown many times): size and lines hold each client once, with its newest line', () => {
  const store = new LocationStore();
  const line = (i: number, t: number) => `AT Clark +0.100000000 client-${i} +1+1 ${t}`;
  for (let i = 0; i < 20_000; i++) assert.ok(store.offer(recordFromLine(line(i, 1))));
  for (let i = 0; i < 20_000; i += 2) assert.ok(store.offer(recordFromLine(line(i, 2))));
  for (let i = 0; i < 20_000; i += 3) assert.equal(store.offer(recordFromLine(line(i, 1))), false);
  assert.equal(store.size, 20_000);
  const expected = Array.from({ length: 20_000 }, (_, i) => line(i, i % 2 === 0 ? 2 : 1));
  assert.deepEqual([...store.lines()].sort(), expected.sort());
  // `client-1` is a prefix of `client-10` and `client-19999`: each finds its own line only.
  for (const i of [1, 10, 19_999, 4_998]) assert.equal(store.get(`client-${i}`)?.atLine, line(i, i % 2 === 0 ? 2 : 1));
  assert.equal(store.get('client-'), undefined);
  assert.equal(store.get('client-20000'), undefined);
  for (const [hash, atLine] of store.hashedLines()) assert.equal(hash, clientHash(atLineClient(atLine)!));
});

test('clients whose hashes are equal are still told apart by their ids', () => {
  // Two ids with one 32-bit clientHash, found by search: same shard, same probe start.
  assert.equal(clientHash('c693596'), clientHash('c1170850'));
  const store = new LocationStore();
  const a = recordFromLine('AT Clark +0.100000000 c693596 +1+1 5');
  const b = recordFromLine('AT Clark +0.100000000 c1170850 +2+2 4');
  assert.ok(store.offer(a));
  assert.equal(store.get('c1170850'), undefined);
  assert.ok(store.offer(b), 'an older time of another client is not stale');
  assert.equal(store.size, 2);
  assert.equal(store.get('c693596')?.atLine, a.atLine);
  assert.equal(store.get('c1170850')?.atLine, b.atLine);
  assert.ok(store.holds(b.atLine));
});

test('lines of changing length, replaced many times (in place, moved, arenas rebuilt), come back byte for byte', async () => {
  const { StoreDigest } = await import('../src/core/digest.js');
  const store = new LocationStore();
  const kept = new StoreDigest(store);
  const text = ({ bytes, start, end }: LineBytes) => bytes.toString('latin1', start, end);
  const heard: Array<[stored: string, replaced: string | undefined]> = [];
  store.onStored((_hash, stored, replaced) => heard.push([text(stored), replaced && text(replaced)]));
  // Every byte a client id may hold (no white space), and an id of the protocol's full line cap.
  const odd = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c))
    .filter((c) => !' \t\r\n\f\v'.includes(c))
    .join('');
  const ids = [odd, 'x'.repeat(64 * 1024), ...Array.from({ length: 300 }, (_, i) => `client-${i}`)];
  const expected = new Map<string, string>();
  for (let round = 1; round <= 40; round++) {
    for (const [i, id] of ids.entries()) {
      if ((i + round) % 3 === 0) continue; // not every client every round
      const line = `AT Clark +0.100000000 ${id} +${round % 90}.5${'5'.repeat((i * round) % 17)}+1 ${round}`;
      // As the client path offers (a record) and as gossip does (the line inside a message's bytes).
      if (round % 2 === 0) assert.ok(store.offer(recordFromLine(line)));
      else assert.ok(store.offerLine(Buffer.from(`AT x\n${line}\nAT y`, 'latin1'), 5, 5 + line.length));
      assert.deepEqual(heard.pop(), [line, expected.get(id)], 'listeners see the new line and the one it replaced');
      expected.set(id, line);
    }
  }
  assert.equal(store.size, ids.length);
  for (const [id, line] of expected) assert.equal(store.get(id)?.atLine, line);
  assert.deepEqual([...store.lines()].sort(), [...expected.values()].sort());
  assert.deepEqual(kept.summarize(), new StoreDigest(store).summarize(), 'the digest kept up to date equals one made now');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DigestIndex, clientHash, countMarked, differingBuckets, fnv1a64 } from '../src/core/digest.js';
import { LocationStore } from '../src/core/store.js';
import { parseAtLine, type LocationRecord } from '../src/protocol/record.js';

const rec = (client: string, time: string, member = 'Clark'): LocationRecord =>
  parseAtLine(`AT ${member} +0.100000000 ${client} +34.068930-118.445127 ${time}`)!;

const hex = ({ hi, lo }: { hi: number; lo: number }): string =>
  hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

test('fnv1a64 matches the published test vectors', () => {
  assert.equal(hex(fnv1a64('')), 'cbf29ce484222325');
  assert.equal(hex(fnv1a64('a')), 'af63dc4c8601ec8c');
  assert.equal(hex(fnv1a64('foobar')), '85944171f73967e8');
});

test('clientHash spreads sequential ids evenly over buckets', () => {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < 256 * 100; i++) counts[clientHash(`client-${i}`) % 256]!++;
  assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 150, `bucket sizes ${Math.min(...counts)}..${Math.max(...counts)}`);
});

test('a digest does not depend on the order records arrived in', () => {
  const records = Array.from({ length: 500 }, (_, i) => rec(`c${i}`, `${1_600_000_000 + i}`));
  const forward = new LocationStore();
  const backward = new LocationStore();
  records.forEach((r) => forward.offer(r));
  [...records].reverse().forEach((r) => backward.offer(r));
  const index = new DigestIndex();
  const a = index.summarize(forward.records(), 64);
  const b = new DigestIndex().summarize(backward.records(), 64);
  assert.deepEqual(a.hashes, b.hashes);
  assert.equal(countMarked(differingBuckets(a, b)), 0);
});

test('one changed record marks exactly its bucket, and select returns that bucket only', () => {
  const store = new LocationStore();
  for (let i = 0; i < 1000; i++) store.offer(rec(`c${i}`, '1600000000'));
  const index = new DigestIndex();
  const before = index.summarize(store.records(), 128);
  const changed = rec('c7', '1600000001');
  store.offer(changed);
  const after = index.summarize(store.records(), 128);
  const mask = differingBuckets(before, after);
  assert.equal(countMarked(mask), 1);
  assert.equal(mask[index.bucketOf(changed, 128)], 1);
  const selected = index.select(store.records(), mask);
  assert.ok(selected.includes(changed));
  assert.ok(selected.every((r) => index.bucketOf(r, 128) === index.bucketOf(changed, 128)));
});

test('an empty store digests to zeros; digests of different bucket counts refuse to compare', () => {
  const index = new DigestIndex();
  const empty = index.summarize([], 16);
  assert.ok(empty.hashes.every((w) => w === 0));
  assert.throws(() => differingBuckets(empty, index.summarize([], 32)), RangeError);
});

test('digest cost for 100k records (cold, then memoised)', (t) => {
  const store = new LocationStore();
  for (let i = 0; i < 100_000; i++) store.offer(rec(`client-${i}.cs.ucla.edu`, `1621464827.${String(i).padStart(9, '0')}`));
  const index = new DigestIndex();
  let start = performance.now();
  const cold = index.summarize(store.records(), 1024);
  const coldMs = performance.now() - start;
  start = performance.now();
  const warm = index.summarize(store.records(), 1024);
  const warmMs = performance.now() - start;
  start = performance.now();
  const all = index.select(store.records(), new Uint8Array(1024).fill(1));
  const selectMs = performance.now() - start;
  assert.deepEqual(cold.hashes, warm.hashes);
  assert.equal(all.length, 100_000);
  t.diagnostic(`digest 100k: cold ${coldMs.toFixed(1)} ms, memoised ${warmMs.toFixed(1)} ms, select-all ${selectMs.toFixed(1)} ms`);
  assert.ok(coldMs < 2000, `cold digest took ${coldMs} ms`);
});

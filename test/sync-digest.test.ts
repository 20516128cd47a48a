import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { clientHash } from '../src/core/clientHash.js';
import { StoreDigest, countMarked, differingBuckets, fnv1a64, type Digest } from '../src/core/digest.js';
import { LocationStore } from '../src/core/store.js';
import { atLineClient, parseAtLine, type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { clientId, posixTime } from '../testkit/arbitraries.js';

/** The store's lines with their clients' hashes, computed here rather than taken from the store. */
const hashed = (store: LocationStore): Array<[number, string]> => [...store.lines()].map((line) => [clientHash(atLineClient(line)!), line]);

/** The bucket hashes of AT lines, computed here from strings rather than by the digest's pass over the store. */
const summarizeEntries = (entries: Array<[number, string]>, bucketCount: number): Digest => {
  const hashes = new Uint32Array(2 * bucketCount);
  for (const [clientHash, atLine] of entries) {
    const { hi, lo } = fnv1a64(latin1(atLine));
    const at = 2 * (clientHash % bucketCount);
    hashes[at] = hashes[at]! ^ hi;
    hashes[at + 1] = hashes[at + 1]! ^ lo;
  }
  return { bucketCount, hashes };
};

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

const hex = ({ hi, lo }: { hi: number; lo: number }): string => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

test('fnv1a64 matches the published test vectors', () => {
  assert.equal(hex(fnv1a64(latin1(''))), 'cbf29ce484222325');
  assert.equal(hex(fnv1a64(latin1('a'))), 'af63dc4c8601ec8c');
  assert.equal(hex(fnv1a64(latin1('foobar'))), '85944171f73967e8');
});

test('fnv1a64 equals FNV-1a computed with 64-bit integers, for any latin1 text', () => {
  const reference = (text: string): string => {
    let h = 0xcbf29ce484222325n;
    for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h.toString(16).padStart(16, '0');
  };
  const latin1Text = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 200 });
  fc.assert(
    fc.property(latin1Text, latin1Text, latin1Text, (before, text, after) => {
      assert.equal(hex(fnv1a64(latin1(text))), reference(text));
      // Only the bytes in range count (the store hashes lines in place in its arena).
      assert.equal(hex(fnv1a64(latin1(before + text + after), before.length, before.length + text.length)), reference(text));
    }),
    { numRuns: 2000 },
  );
});

test('clientHash spreads sequential ids evenly over buckets', () => {
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < 256 * 100; i++) counts[clientHash(`client-${i}`) % 256]!++;
  assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 150, `bucket sizes ${Math.min(...counts)}..${Math.max(...counts)}`);
});

test('a digest does not depend on the order records arrived in', () => {
  const records = Array.from({ length: 500 }, (_, i) => atRecord(`c${i}`, `${1_600_000_000 + i}`));
  const forward = new LocationStore();
  const backward = new LocationStore();
  const forwardDigest = new StoreDigest(forward, 64);
  const backwardDigest = new StoreDigest(backward, 64);
  records.forEach((r) => forward.offer(r));
  [...records].reverse().forEach((r) => backward.offer(r));
  const a = forwardDigest.summarize();
  const b = backwardDigest.summarize();
  assert.deepEqual(a.hashes, b.hashes);
  assert.equal(countMarked(differingBuckets(a, b)), 0);
});

test('one changed record marks exactly its bucket, and select returns that bucket only', () => {
  const store = new LocationStore();
  const digest = new StoreDigest(store);
  for (let i = 0; i < 1000; i++) store.offer(atRecord(`c${i}`, '1600000000'));
  const before = digest.summarize(128);
  const changed = atRecord('c7', '1600000001');
  store.offer(changed);
  const after = digest.summarize(128);
  const mask = differingBuckets(before, after);
  const bucketOf = (r: LocationRecord) => clientHash(r.client) % 128;
  assert.equal(countMarked(mask), 1);
  assert.equal(mask[bucketOf(changed)], 1);
  const selected = digest.select(mask).map((line) => parseAtLine(line)!);
  assert.ok(selected.some((r) => r.atLine === changed.atLine));
  assert.ok(selected.every((r) => bucketOf(r) === bucketOf(changed)));
});

test('an empty store digests to zeros; digests of different bucket counts refuse to compare', () => {
  const digest = new StoreDigest(new LocationStore());
  const empty = digest.summarize(16);
  assert.ok(empty.hashes.every((w) => w === 0));
  assert.ok(digest.summarize().hashes.every((w) => w === 0));
  assert.equal(digest.toString(), '0000000000000000');
  assert.throws(() => differingBuckets(empty, digest.summarize(32)), RangeError);
});

test('bucket hashes kept up to date equal a full recomputation, whatever was offered', () => {
  // Few clients and times, so that many offers replace a stored record or lose to it.
  const offered = fc
    .tuple(fc.oneof(clientId(3), fc.constantFrom('a', 'b')), fc.oneof(posixTime, fc.constantFrom('1', '2', '2.0')), fc.constantFrom('Clark', 'Bona'))
    .map(([client, time, member]) => atRecord(client, time, { member }));
  fc.assert(
    fc.property(fc.array(offered, { maxLength: 40 }), fc.array(offered, { maxLength: 10 }), fc.constantFrom(1, 4, 64), (early, late, bucketCount) => {
      const store = new LocationStore();
      early.forEach((r) => store.offer(r));
      // A digest made over a filled store starts from it, then follows the later offers.
      const digest = new StoreDigest(store, bucketCount);
      late.forEach((r) => store.offer(r));
      const full = summarizeEntries(hashed(store), bucketCount);
      assert.deepEqual(digest.summarize(), full);
      assert.deepEqual(digest.summarize(2 * bucketCount), summarizeEntries(hashed(store), 2 * bucketCount));
      const whole = [...store.lines()]
        .map((line) => fnv1a64(latin1(line)))
        .reduce((a, h) => ({ hi: (a.hi ^ h.hi) >>> 0, lo: (a.lo ^ h.lo) >>> 0 }), { hi: 0, lo: 0 });
      assert.equal(digest.toString(), hex(whole));
      // select returns exactly the stored AT lines of the marked buckets.
      const mask = Uint8Array.from({ length: bucketCount }, (_, i) => i % 2);
      const expected = hashed(store)
        .filter(([hash]) => (hash % bucketCount) % 2 === 1)
        .map(([, line]) => line);
      assert.deepEqual(digest.select(mask), expected);
    }),
    { numRuns: 300 },
  );
});

test('digest cost for 100k records (kept up to date, then a full pass)', (t) => {
  const store = new LocationStore();
  const digest = new StoreDigest(store, 1024);
  let start = performance.now();
  for (let i = 0; i < 100_000; i++) store.offer(atRecord(`client-${i}.cs.ucla.edu`, `1621464827.${String(i).padStart(9, '0')}`));
  const fillMs = performance.now() - start;
  start = performance.now();
  const kept = digest.summarize(1024);
  const keptMs = performance.now() - start;
  start = performance.now();
  const other = digest.summarize(512);
  const fullMs = performance.now() - start;
  start = performance.now();
  const all = digest.select(new Uint8Array(1024).fill(1));
  const selectMs = performance.now() - start;
  assert.deepEqual(kept, summarizeEntries(hashed(store), 1024));
  assert.equal(other.bucketCount, 512);
  assert.equal(all.length, 100_000);
  t.diagnostic(
    `digest 100k: fill ${fillMs.toFixed(1)} ms, kept ${keptMs.toFixed(2)} ms, full pass ${fullMs.toFixed(1)} ms, select-all ${selectMs.toFixed(1)} ms`,
  );
  assert.ok(fullMs < 2000, `full digest pass took ${fullMs} ms`);
});

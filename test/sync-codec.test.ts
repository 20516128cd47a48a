import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import {
  SyncFrameError,
  chunkRecords,
  decodeFrame,
  decodeFrameLength,
  encodeDigestFrame,
  encodeEndFrame,
  encodeRecordsFrame,
  varintLength,
} from '../src/protocol/sync-codec.js';

const rec = (client: string, time = '1621464827.959498503'): LocationRecord => atRecord(client, time, { difference: '+0.263873386' });

const list = (...bytes: number[]) => ({ byteLength: bytes.length, get: (i: number) => bytes[i]! });

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof SyncFrameError ? err.code : (err as Error).name;
  }
  return 'no error';
};

test('a digest frame round-trips', () => {
  const hashes = Uint32Array.from({ length: 8 }, (_, i) => (i * 0x9e3779b9) >>> 0);
  const bytes = encodeDigestFrame({ bucketCount: 4, hashes });
  assert.equal(bytes.length, 5 + 32);
  const frame = decodeFrame(bytes);
  assert.equal(frame.type, 'digest');
  assert.ok(frame.type === 'digest' && frame.digest.bucketCount === 4);
  assert.deepEqual(frame.type === 'digest' && frame.digest.hashes, hashes);
  assert.ok(frame.type === 'digest' && frame.settleMs === 0, 'no settle time: 0');
  // The opener's settle time rides after the hashes; any other length is refused.
  const settled = encodeDigestFrame({ bucketCount: 4, hashes }, 10_000);
  assert.equal(settled.length, 5 + 32 + 4);
  const withSettle = decodeFrame(settled);
  assert.ok(withSettle.type === 'digest' && withSettle.settleMs === 10_000 && withSettle.digest.bucketCount === 4);
  assert.throws(() => decodeFrame(settled.subarray(0, settled.length - 1)), /digest of 40 bytes for 4 buckets/);
  assert.throws(() => encodeDigestFrame({ bucketCount: 4, hashes }, -1), /settleMs -1 is not a u32/);
});

test('a records frame round-trips with the strict codec', () => {
  const records = [rec('kiwi'), rec('apple', '1.5')];
  const frame = decodeFrame(encodeRecordsFrame(records.map((r) => r.atLine)));
  assert.equal(frame.type, 'records');
  assert.deepEqual(
    frame.type === 'records' && frame.records.map((r) => r.atLine),
    records.map((r) => r.atLine),
  );
});

test('records the receiver already holds are counted, not parsed; an unknown bad line still rejects the frame', () => {
  const held = rec('kiwi');
  const fresh = rec('apple', '1.5');
  const isKnown = (line: string) => line === held.atLine;
  const frame = decodeFrame(encodeRecordsFrame([held.atLine, fresh.atLine]), isKnown);
  assert.ok(frame.type === 'records');
  assert.deepEqual(
    frame.records.map((r) => r.atLine),
    [fresh.atLine],
  );
  assert.equal(frame.known, 1);
  assert.equal(
    code(() => decodeFrame(encodeRecordsFrame([held.atLine, 'AT Clark nonsense']), isKnown)),
    'ERR_SYNC_BAD_FRAME',
  );
  assert.equal(
    code(() => decodeFrame(Uint8Array.of(2))),
    'ERR_SYNC_BAD_FRAME',
    'a records frame with no line',
  );
});

test('an end frame round-trips', () => {
  assert.deepEqual(decodeFrame(encodeEndFrame(123_456)), { type: 'end', count: 123_456 });
});

test('frames decode from a subarray at any offset', () => {
  const inner = encodeEndFrame(7);
  const outer = new Uint8Array(inner.length + 3);
  outer.set(inner, 3);
  assert.deepEqual(decodeFrame(outer.subarray(3)), { type: 'end', count: 7 });
});

test('malformed frames are refused with ERR_SYNC_BAD_FRAME', () => {
  const good = encodeRecordsFrame([rec('kiwi').atLine]);
  const garbage = Uint8Array.from([0x02, ...Buffer.from('AT nonsense', 'latin1')]);
  const oneBadLine = Uint8Array.from([...good, 0x0a, ...Buffer.from('AT x y', 'latin1')]);
  const digest = encodeDigestFrame({ bucketCount: 2, hashes: new Uint32Array(4) });
  for (const bytes of [
    new Uint8Array(0),
    Uint8Array.of(0x09),
    Uint8Array.of(0x02),
    garbage,
    oneBadLine,
    Uint8Array.of(0x03, 0, 0, 0),
    Uint8Array.of(0x03, 0, 0, 0, 1, 0),
    digest.subarray(0, digest.length - 1),
    Uint8Array.of(0x01, 0, 0, 0, 0),
    Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff),
  ]) {
    assert.equal(
      code(() => decodeFrame(bytes)),
      'ERR_SYNC_BAD_FRAME',
      `bytes ${[...bytes.subarray(0, 8)].join(',')}`,
    );
  }
});

test('chunkRecords keeps every frame within the cap and loses nothing', () => {
  const records = Array.from({ length: 5000 }, (_, i) => rec(`client-${i}`).atLine);
  const cap = 4096;
  const batches = [...chunkRecords(records, cap)];
  assert.ok(batches.length > 1);
  for (const batch of batches) assert.ok(encodeRecordsFrame(batch).length <= cap);
  assert.deepEqual(batches.flat(), records);
  // The bound is tight: a frame exactly at the cap is allowed.
  const one = rec('x').atLine;
  const exact = [...chunkRecords([one, one], 2 * (one.length + 1))];
  assert.equal(exact.length, 1);
  assert.equal(encodeRecordsFrame(exact[0]!).length, 2 * (one.length + 1));
  assert.equal(
    code(() => [...chunkRecords([one], 10)]),
    'ERR_SYNC_FRAME_TOO_LARGE',
  );
  assert.deepEqual([...chunkRecords([], cap)], []);
});

test('decodeFrameLength: varints within the cap decode, incomplete ones ask for more', () => {
  const cap = 1024 * 1024;
  assert.equal(varintLength(cap), 3);
  assert.equal(decodeFrameLength(list(5), cap), 5);
  assert.equal(decodeFrameLength(list(0x80, 0x01), cap), 128);
  assert.equal(decodeFrameLength(list(0x80, 0x80, 0x40), cap), cap);
  assert.equal(
    code(() => decodeFrameLength(list(0x80), cap)),
    'RangeError',
  );
  assert.equal(
    code(() => decodeFrameLength(list(0xff, 0xff), cap)),
    'RangeError',
  );
});

test('decodeFrameLength refuses a prefix over the cap without waiting for more bytes', () => {
  const cap = 1024 * 1024;
  assert.equal(
    code(() => decodeFrameLength(list(0x81, 0x80, 0x40), cap)),
    'ERR_SYNC_FRAME_TOO_LARGE',
  );
  assert.equal(
    code(() => decodeFrameLength(list(0xff, 0xff, 0xff), cap)),
    'ERR_SYNC_FRAME_TOO_LARGE',
  );
  assert.equal(
    code(() => decodeFrameLength(list(0x80, 0x80, 0x80, 0x01), cap)),
    'ERR_SYNC_FRAME_TOO_LARGE',
  );
  assert.equal(
    code(() => decodeFrameLength(list(0x81, 0x01), 100)),
    'ERR_SYNC_FRAME_TOO_LARGE',
  );
});

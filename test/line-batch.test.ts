/** LineBatch: log lines leave in writes of at least minBytes, in order, and none is held for long. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineBatch } from '../src/net/lineBatch.js';
import { eventually } from '../testkit/eventually.js';

test('lines wait until minBytes are pending, then leave in one write, in order', () => {
  const writes: string[] = [];
  const batch = new LineBatch({ write: (chunk) => writes.push(chunk) }, 10, 3_600_000);
  batch.write('abcd\n');
  batch.write('efgh');
  assert.deepEqual(writes, []);
  batch.write('ij\n');
  assert.deepEqual(writes, ['abcd\nefghij\n']);
  batch.write('k\n');
  batch.flush();
  batch.flush(); // nothing pending: no empty write
  assert.deepEqual(writes, ['abcd\nefghij\n', 'k\n']);
});

test('a lone line is written after maxWaitMs', async () => {
  const writes: string[] = [];
  const batch = new LineBatch({ write: (chunk) => writes.push(chunk) }, 4096, 20);
  batch.write('lonely\n');
  await eventually(() => writes.length === 1);
  assert.deepEqual(writes, ['lonely\n']);
});

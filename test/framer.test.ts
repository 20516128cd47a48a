import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineFramer, type FrameEvent } from '../src/protocol/framer.js';

const show = (events: FrameEvent[]) => events.map((e) => (e.type === 'line' ? e.bytes.toString('latin1') : `<overlong ${e.head.length}>`));

function feed(framer: LineFramer, input: string, chunkSize: number): string[] {
  const bytes = Buffer.from(input, 'latin1');
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) out.push(...show(framer.push(bytes.subarray(i, i + chunkSize))));
  return [...out, ...show(framer.end())];
}

test('the same lines whatever the chunk size, including one byte at a time', () => {
  const input = 'IAMAT a +1+1 1\r\nWHATSAT a 1 1\n\nlast without newline';
  for (const size of [1, 2, 3, 7, 64]) {
    assert.deepEqual(feed(new LineFramer(100), input, size), ['IAMAT a +1+1 1', 'WHATSAT a 1 1', '', 'last without newline'], `chunk ${size}`);
  }
});

test('only one trailing CR is dropped; inner CRs stay', () => {
  assert.deepEqual(feed(new LineFramer(100), 'a\rb\r\r\n', 1), ['a\rb\r']);
});

test('an overlong line is reported once with its head, then framing resumes after it', () => {
  const framer = new LineFramer(8);
  assert.deepEqual(feed(framer, '12345678\n123456789\nok\n', 1), ['12345678', '<overlong 8>', 'ok']);
  assert.deepEqual(feed(new LineFramer(8), '12345678\r\n', 3), ['12345678']);
  assert.deepEqual(feed(new LineFramer(8), 'x'.repeat(100), 100), ['<overlong 8>']);
});

test('the buffer never grows past the cap', () => {
  const framer = new LineFramer(16);
  const events: string[] = [];
  for (let i = 0; i < 1000; i++) events.push(...show(framer.push(Buffer.alloc(1024, 0x41))));
  events.push(...show(framer.push(Buffer.from('\nok\n'))));
  assert.deepEqual(events, ['<overlong 16>', 'ok']);
  assert.equal((framer as unknown as { pendingLength: number }).pendingLength, 0);
});

test('the overlong echo is the first cap bytes whatever the chunking (a CR held for the terminator included)', () => {
  for (const size of [1, 2, 9, 100]) {
    const framer = new LineFramer(8);
    const events = feed(framer, '12345678\rx\n', size);
    assert.deepEqual(events, ['<overlong 8>'], `chunk ${size}`);
  }
  const framer = new LineFramer(8);
  framer.push(Buffer.from('12345678\r'));
  const [event] = framer.push(Buffer.from('x\n'));
  assert.ok(event?.type === 'overlong');
  assert.equal(event.head.toString('latin1'), '12345678');
});

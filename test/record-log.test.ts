/**
 * The record log (--data-dir) queues the lines of one job and writes them together; a write
 * that fails (a full disk, here /dev/full) is logged once and never thrown at whoever stored.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { capturingLog } from '../testkit/loggers.js';
import { RecordLog } from '../src/net/recordLog.js';
import { atRecord } from '../testkit/records.js';
import type { LineBytes } from '../src/core/store.js';
import type { LocationRecord } from '../src/protocol/record.js';

const fileText = (dir: string) => readFileSync(join(dir, 'records.log'), 'latin1');
/** A record's line as the store hands it to listeners: bytes inside a larger buffer. */
const stored = (r: LocationRecord): LineBytes => ({ bytes: Buffer.from(`AT x\n${r.atLine}\nAT y`, 'latin1'), start: 5, end: 5 + r.atLine.length });

test('lines appended in one job reach the file in one write when the job ends, or at flush', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-rlog-'));
  const { recordLog } = RecordLog.open({ dir, log: capturingLog() });
  const records = [1, 2, 3].map((i) => atRecord(`client-${i}`, `${i}.5`));
  for (const r of records) recordLog.append(stored(r));
  assert.equal(fileText(dir), '', 'queued, not yet written');
  await nextTurn();
  assert.equal(fileText(dir), records.map((r) => `${r.atLine}\n`).join(''));
  const fourth = atRecord('client-4', '4.5');
  recordLog.append(stored(fourth));
  recordLog.flush();
  assert.ok(fileText(dir).endsWith(`${fourth.atLine}\n`), 'flush writes at once');
  recordLog.close();
});

test('a failed write is logged once, not thrown; the next good write says so and goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-rlog-'));
  const log = capturingLog();
  const { recordLog } = RecordLog.open({ dir, log });
  const internals = recordLog as unknown as { fd: number };
  const goodFd = internals.fd;
  internals.fd = openSync('/dev/full', 'w'); // every write: ENOSPC
  for (let i = 0; i < 3; i++) {
    recordLog.append(stored(atRecord(`lost-${i}`, '1.5')));
    assert.doesNotThrow(() => recordLog.flush());
  }
  const errors = log.entries.filter((e) => e.level === 'error');
  assert.equal(errors.length, 1, 'said once for the whole failing streak');
  assert.match(errors[0]!.msg!, /record log: write failed/);
  assert.equal((errors[0]!.obj.err as NodeJS.ErrnoException).code, 'ENOSPC');
  closeSync(internals.fd);
  internals.fd = goodFd;
  const kept = atRecord('kept', '2.5');
  recordLog.append(stored(kept));
  await nextTurn();
  assert.equal(fileText(dir), `${kept.atLine}\n`);
  assert.ok(log.entries.some((e) => e.level === 'warn' && e.msg === 'record log: writing again'));
  recordLog.close();
});

test('a job that stores more than the queue holds (a large sync batch) is written whole, and so is the next', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-rlog-'));
  const { recordLog } = RecordLog.open({ dir, log: capturingLog() });
  // About 1.5 MB of lines: past the queue's first buffer (64 KiB) and past what it keeps (1 MiB).
  const many = Array.from({ length: 20_000 }, (_, i) => atRecord(`client-${i}-${'x'.repeat(i % 40)}`, `${i}.5`));
  for (const r of many) recordLog.append(stored(r));
  await nextTurn();
  const after = atRecord('after', '9.5');
  recordLog.append(stored(after));
  recordLog.flush();
  assert.equal(fileText(dir), [...many, after].map((r) => `${r.atLine}\n`).join(''));
  recordLog.close();
});

/**
 * Record-log compaction (--data-dir): the log is rewritten from the store once it holds four
 * times more lines than the store has clients (and at least 50,000), and a store rebuilt from
 * the rewritten file is the store that wrote it. Real files in a temp dir.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { silentLog } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { RecordLog } from '../src/net/recordLog.js';
import { type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';

const record = (client: number, time: number): LocationRecord => atRecord(`client-${client}.example.org`, `${time}.5`);

/** A store and its log, wired as a member with --data-dir wires them. */
function open(dir: string): { store: LocationStore; recordLog: RecordLog } {
  const { recordLog, records } = RecordLog.open({ dir, log: silentLog });
  const store = new LocationStore();
  for (const r of records) store.offer(r);
  store.onStored((_hash, line) => recordLog.append(line));
  return { store, recordLog };
}

/** The log file's lines, once the queued ones are written. */
function fileLines(dir: string, recordLog: RecordLog): string[] {
  recordLog.flush();
  return readFileSync(join(dir, 'records.log'), 'latin1').split('\n').slice(0, -1);
}

/** Stores `updates` newer records for each of `clients` clients: one log line each. */
function update(store: LocationStore, clients: number, updates: number): void {
  for (let time = 1; time <= updates; time++) {
    for (let c = 0; c < clients; c++) assert.ok(store.offer(record(c, time)));
  }
}

describe('record-log compaction', () => {
  test('at 4 lines per client (and 50,000 lines) the log becomes one line per client; a restart rebuilds the same store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-compact-'));
    const { store, recordLog } = open(dir);
    update(store, 12_500, 3);
    for (let c = 0; c < 12_499; c++) store.offer(record(c, 4));
    assert.equal(fileLines(dir, recordLog).length, 49_999);
    assert.equal(
      recordLog.compactIfNeeded(() => store.lines(), store.size),
      false,
      'one line short',
    );
    store.offer(record(12_499, 4));
    assert.equal(store.size, 12_500);
    assert.equal(fileLines(dir, recordLog).length, 50_000);
    assert.equal(
      recordLog.compactIfNeeded(() => store.lines(), store.size),
      true,
    );
    const compacted = fileLines(dir, recordLog);
    assert.equal(compacted.length, 12_500);
    const expected = Array.from({ length: 12_500 }, (_, c) => `AT Clark +0.100000000 client-${c}.example.org +34.068930-118.445127 4.5`);
    assert.deepEqual([...compacted].sort(), [...expected].sort());
    assert.equal(existsSync(join(dir, 'records.log.tmp')), false);

    // Appends after the rewrite land in the new file.
    store.offer(record(99_999, 1));
    recordLog.close();
    const reopened = open(dir);
    assert.equal(reopened.store.size, 12_501);
    assert.deepEqual([...reopened.store.lines()].sort(), [...store.lines()].sort());
    reopened.recordLog.close();
  });

  test('with more clients the ratio decides: 80,000 lines for 20,000 clients, not 79,999', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herd-compact-'));
    const { store, recordLog } = open(dir);
    update(store, 20_000, 3);
    for (let c = 0; c < 19_999; c++) store.offer(record(c, 4));
    assert.equal(fileLines(dir, recordLog).length, 79_999);
    assert.equal(
      recordLog.compactIfNeeded(() => store.lines(), store.size),
      false,
    );
    assert.equal(fileLines(dir, recordLog).length, 79_999);
    store.offer(record(19_999, 4));
    assert.equal(
      recordLog.compactIfNeeded(() => store.lines(), store.size),
      true,
    );
    assert.equal(fileLines(dir, recordLog).length, 20_000);
    recordLog.close();
    const reopened = open(dir);
    assert.deepEqual([...reopened.store.lines()].sort(), [...store.lines()].sort());
    reopened.recordLog.close();
  });
});

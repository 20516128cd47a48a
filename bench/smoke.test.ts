/**
 * Smoke test of `npm run bench -- --quick`: every scenario runs end to end against real
 * member processes and the report has every section. Nothing about speed is asserted (the
 * machines are shared); only that each figure was measured. `npm test` runs it after the
 * other tests, alone: it keeps both cores busy for most of a minute, which would disturb
 * tests that time their own load.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { BenchResults } from './lib/report.js';

const BENCH = fileURLToPath(new URL('./run.js', import.meta.url));
const BENCHMARKS_MD = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url));

// The time limit is a hang guard: the run takes about a minute, and more than 4 with the cores
// busy with other work.
test('bench --quick measures every scenario and reports them', { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-test-'));
  try {
    const jsonFile = join(dir, 'out.json');
    const committed = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : undefined;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BENCH, '--quick', '--json', jsonFile], { stdio: ['ignore', 'pipe', 'pipe'], signal: t.signal });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
      child.on('error', () => {}); // the hang guard's abort: 'close' follows
    });
    assert.equal(code, 0, stderr);
    for (const heading of [
      '## Targets',
      '## 1. Client throughput',
      '## 1b. Closed loop',
      '## 2. Propagation',
      '## 2b. What a relay pays',
      '## 3. Herd-wide sustained rate',
      '## 3b. Durable state',
      '## 4. WHATSAT',
      '## 5. Memory',
      '## 6. Catch-up',
      '## 6b. Start-up',
    ]) {
      assert.ok(stdout.includes(heading), `report lacks "${heading}"`);
    }
    const r = JSON.parse(readFileSync(jsonFile, 'utf8')) as BenchResults;
    assert.equal(r.quick, true);
    assert.ok(r.throughput!.kept.herd.replies > 0 && r.throughput!.kept.echo.replies > 0);
    assert.equal(r.throughput!.kept.herd.errors + r.throughput!.perConnection.herd.errors, 0);
    assert.ok(r.ratio!.herd.replies > 0 && r.ratio!.alone.replies > 0 && r.ratio!.aloneAtWarn.replies > 0);
    assert.equal(r.ratio!.herd.errors + r.ratio!.alone.errors + r.ratio!.aloneAtWarn.errors, 0);
    assert.ok(r.relay!.cpu.every((s) => s.messages > 0 && s.records > 0));
    // The relay's profile was read and its step's window found samples (idle ones count: a
    // --quick step keeps the relay busy for 15-30 ms, and with the cores busy with other work
    // the profiler's sampling thread may not catch any of it).
    assert.ok(r.relay!.profiled[0]!.profile!.top.length > 0);
    // The bare stack's relay ran a step for each of the herd's, and carried all its publisher sent.
    assert.equal(r.relay!.bare.length, r.relay!.cpu.length);
    assert.ok(r.relay!.bare.every((s) => s.published > 0 && s.messages === s.published));
    assert.ok(r.propagation!.lone.messages > 0);
    assert.ok(r.propagation!.fixed.converged, 'every member held the propagation phase');
    assert.deepEqual(Object.keys(r.propagation!.fixed.byHops), ['1', '2']);
    assert.ok(r.sustained!.steps.length > 0 && r.sustained!.steps[0]!.load.acked > 0);
    assert.ok(r.durable!.converged && r.durable!.load.acked > 0, 'the --data-dir herd stored every update');
    assert.ok(r.profile!.categories.length > 0);
    assert.equal(r.whatsat!.offline.errors + r.whatsat!.google.errors, 0);
    assert.deepEqual(
      r.memory!.map((m) => m.clients),
      [1000, 5000],
    );
    assert.ok(r.memory!.every((m) => m.heapBytesPerClient > 0));
    assert.ok(r.burst!.convergedAfterMs !== null, 'the burst reached every member');
    assert.ok(r.catchUp!.records >= 2000);
    assert.ok(r.startup!.cliLoadMs > 0 && r.startup!.oneMemberReadyMs > 0 && r.startup!.herdLinkedMs > 0);
    // A quick run never overwrites the committed full report.
    assert.equal(existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : undefined, committed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * The herd on separate network stacks (root only): each member in its own network namespace
 * with its own address, clients in another, links cut, slowed and delayed by the kernel or
 * the lab's relay. Every scenario ends with every member holding every acknowledged newest
 * record and `herd mesh --check` passing. Figures (detection, convergence, propagation) are
 * printed as diagnostics; BENCHMARKS.md has the measured ones.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Lab, sleep } from '../../lab/lab.js';
import { labUnavailable } from '../../lab/network.js';
import { CONGESTION_DEFAULTS } from '../../src/net/p2p/backlog.js';
import { parseBuckets, summarizeDelays } from '../../bench/lib/delays.js';
import { bucketDelta, type Buckets } from '../../bench/lib/stats.js';
import { eventually } from '../../testkit/eventually.js';
import { missingAt, Reporters } from '../../testkit/labClients.js';

const unavailable = await labUnavailable();

/** A generous hang guard for waits that normally end in seconds. */
const HANG_GUARD_MS = 120_000;

/** Waits like `eventually`, treating any error as "not yet"; resolves with the ms it took. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = HANG_GUARD_MS): Promise<number> {
  const started = Date.now();
  await eventually(() => check().catch(() => false), timeoutMs, 100, what);
  return Date.now() - started;
}

/** When each end last saw each link go up or down: a change is a flap. */
async function linkChanges(lab: Lab): Promise<Map<string, number | null>> {
  const statuses = await Promise.all(lab.names.map((n) => lab.status(n)));
  return new Map(statuses.flatMap((s) => s.neighbours.map((n) => [`${s.name}>${n.name}`, n.since] as const)));
}

async function assertEveryMemberHoldsNewest(lab: Lab, reporters: Reporters): Promise<void> {
  assert.ok(reporters.acked > 0, 'no report was acknowledged');
  assert.equal(reporters.bad, 0, 'a report was answered with something other than AT');
  for (const name of lab.names) {
    const missing = await missingAt(lab, name, reporters.newest);
    assert.deepEqual(missing.slice(0, 5), [], `${name} lacks the newest acknowledged record of ${missing.length} clients`);
  }
  const mesh = await lab.herd(['mesh', '--check', '--timeout-ms', '5000']);
  assert.equal(mesh.code, 0, `herd mesh --check failed:\n${mesh.stdout}${mesh.stderr}`);
}

/** Propagation delays to `name` as its histogram holds them now. */
async function delayBuckets(lab: Lab, name: string): Promise<Buckets> {
  return parseBuckets(await lab.metrics(name));
}

/** Median propagation delay to `name` since `before`, ms. */
async function medianDelaySince(lab: Lab, name: string, before: Buckets): Promise<number> {
  return summarizeDelays(bucketDelta(await delayBuckets(lab, name), before)).p50;
}

if (unavailable) {
  test('network lab scenarios', { skip: unavailable }, () => {});
} else {
  before(async () => {
    await Lab.cleanUp(false);
  });

  describe('a ring of four members behind relays', { concurrency: false }, () => {
    let lab: Lab;
    before(async () => {
      lab = await Lab.up({ size: 4, relays: true });
    });
    after(async () => {
      await lab?.down();
    });

    test('latency: 50 ms each way on one link, then on all; no link flaps, gossip and sync still converge', async (t: TestContext) => {
      const changes = await linkChanges(lab);
      const reporters = new Reporters();
      // The first phase warms the members up (JIT, first messages) and is not reported.
      for (const [phase, links] of [
        ['warm-up', []],
        ['none', []],
        ['m1-m2', [['m1', 'm2']]],
        ['all', lab.plan.links],
      ] as const) {
        for (const [a, b] of links) await lab.shape(a, b, { delayMs: 50, lossPct: 0 });
        const before = await delayBuckets(lab, 'm2');
        await reporters.start(lab, 'm1', { rate: 200, clients: 200, prefix: `lat-${phase}-` });
        await sleep(3_000);
        await reporters.stop();
        const ms = await waitUntil('converged', () => lab.converged());
        if (phase !== 'warm-up')
          t.diagnostic(
            `50 ms on ${phase}: median propagation m1->m2 ${(await medianDelaySince(lab, 'm2', before)).toFixed(1)} ms; converged ${ms} ms after the load`,
          );
      }
      // Long enough for several pings on every delayed link.
      await sleep(3_000);
      assert.deepEqual(await linkChanges(lab), changes, 'a link went down or up while delayed');
      await assertEveryMemberHoldsNewest(lab, reporters);
      for (const [a, b] of lab.plan.links) await lab.shape(a, b, { delayMs: 0, lossPct: 0 });
    });

    test('partition: a member cut off past link-failure detection keeps answering its clients and the herd converges after the heal', async (t: TestContext) => {
      const reporters = new Reporters();
      // The same clients report on both sides: the later report must win everywhere.
      await reporters.start(lab, 'm1', { rate: 300, clients: 300, prefix: 'part-' });
      await reporters.start(lab, 'm3', { rate: 300, clients: 300, prefix: 'part-' });
      await sleep(1_000);
      const cutAt = Date.now();
      await lab.cut('m3');
      const detectMs = await waitUntil('seen down by m2 and m4', async () => {
        const seen = await Promise.all(['m2', 'm4'].map((n) => lab.status(n)));
        return seen.every((s) => s.neighbours.some((x) => x.name === 'm3' && !x.connected));
      });
      const ackedAtDetection = reporters.ackedBy.get('m3') ?? 0;
      await sleep(2_000);
      assert.ok((reporters.ackedBy.get('m3') ?? 0) > ackedAtDetection, 'm3 stopped answering its clients during the partition');
      await reporters.stop();
      const healAt = Date.now();
      await lab.heal('m3');
      const convergeMs = await waitUntil('converged after the heal', () => lab.converged());
      t.diagnostic(
        `cut noticed by both neighbours ${detectMs} ms after the cut (link timeout 10 s); converged ${convergeMs} ms after the heal; partition lasted ${healAt - cutAt} ms`,
      );
      await assertEveryMemberHoldsNewest(lab, reporters);
    });

    test('kill -9 and restart a member under load: it catches up', async (t: TestContext) => {
      const reporters = new Reporters();
      await reporters.start(lab, 'm1', { rate: 300, clients: 1_000, prefix: 'kill-' });
      await reporters.start(lab, 'm2', { rate: 300, clients: 1_000, prefix: 'kill-' });
      await sleep(1_000);
      await lab.kill('m3');
      await sleep(1_500);
      const restartAt = Date.now();
      await lab.start('m3');
      await lab.waitReady(['m3']);
      const readyMs = Date.now() - restartAt;
      await sleep(1_000);
      await reporters.stop();
      const convergeMs = await waitUntil('converged after the restart', () => lab.converged());
      t.diagnostic(`m3 ready (all links up) ${readyMs} ms after its restart; herd converged ${convergeMs} ms after the load stopped`);
      await assertEveryMemberHoldsNewest(lab, reporters);
    });
  });

  describe('two members over a 1 Mbit/s link', { concurrency: false }, () => {
    let lab: Lab;
    before(async () => {
      lab = await Lab.up({ names: ['m1', 'm2'], links: [['m1', 'm2']] });
      await lab.slow('m1', 'm2', '1mbit');
    });
    after(async () => {
      await lab?.down();
    });

    test("slow link: 2,000 updates/s; the sender's backlog stays bounded, nothing is lost, the herd converges", async (t: TestContext) => {
      const changes = await linkChanges(lab);
      const reporters = new Reporters();
      let peakBacklog = 0;
      let peakRss = 0;
      let peakRttMs = 0;
      const rssBefore = (await lab.status('m1')).memory.rssBytes;
      await reporters.start(lab, 'm1', { rate: 2_000, clients: 2_000, prefix: 'slow-' });
      const loadStart = Date.now();
      try {
        while (Date.now() - loadStart < 8_000) {
          const s = await lab.status('m1').catch(() => null); // a busy machine may miss a sample
          peakBacklog = Math.max(peakBacklog, s?.backlog.total ?? 0);
          peakRss = Math.max(peakRss, s?.memory.rssBytes ?? 0);
          peakRttMs = Math.max(peakRttMs, s?.neighbours[0]?.rttMs ?? 0);
          await sleep(250);
        }
      } finally {
        await reporters.stop();
      }
      const convergeMs = await waitUntil('converged after the load', () => lab.converged());
      t.diagnostic(
        `sent ${reporters.sent}, acked ${reporters.acked} in 8 s; m1 peak backlog ${(peakBacklog / 1024).toFixed(0)} KiB, peak ping RTT ${peakRttMs} ms, RSS ${(rssBefore / 2 ** 20).toFixed(0)} -> peak ${(peakRss / 2 ** 20).toFixed(0)} MiB; converged ${convergeMs} ms after the load stopped`,
      );
      assert.ok(peakBacklog <= 2 * CONGESTION_DEFAULTS.highBytes, `m1's backlog reached ${peakBacklog} bytes`);
      assert.deepEqual(await linkChanges(lab), changes, 'the slow link went down or up (a false "down")');
      await assertEveryMemberHoldsNewest(lab, reporters);
    });
  });
}

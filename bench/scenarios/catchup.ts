/**
 * Figure 6: catch-up. Bailey is killed; Clark is sent `count` fresh IAMATs, which the other
 * four share; Bailey is started again and timed until it holds every record with the same
 * digest as the rest: from its process start, and from its first link being up (the part
 * that is the sync protocol's, not node's start-up).
 */
import type { BenchHerd, Name } from '../lib/herd.js';
import { sendCount } from '../lib/load.js';
import { sleep } from '../lib/util.js';

export interface CatchUpResult {
  readonly records: number;
  /** From spawning the process until it held every record, ms. */
  readonly fromStartMs: number;
  /** From its first link up until it held every record, ms. */
  readonly fromLinkUpMs: number;
  /** From spawning until the first link was up, ms. */
  readonly linkUpMs: number;
  /** Records the restarted member received by sync: more than `records` when rounds overlapped. */
  readonly syncRecordsReceived: number;
}

export async function catchUp(herd: BenchHerd, count: number, timeoutMs = 60_000): Promise<CatchUpResult> {
  const restarted: Name = 'Bailey';
  const others = herd.names.filter((n) => n !== restarted);
  await herd.kill(restarted);
  const load = await sendCount(herd.clientPort('Clark'), 'bench-catchup', count);
  let target: { clients: number; digest: string } | undefined;
  for (const deadline = performance.now() + timeoutMs; !target;) {
    const all = await Promise.all(others.map((n) => herd.status(n)));
    const digests = new Set(all.map((s) => s.store.digest));
    if (digests.size === 1 && all[0]!.store.clients >= load.acked) target = all[0]!.store;
    else if (performance.now() > deadline) throw new Error('catch-up: the four running members did not converge');
    else await sleep(20);
  }
  const started = performance.now();
  herd.restart(restarted);
  let linkUpAt: number | undefined;
  for (;;) {
    const status = await herd.status(restarted).catch(() => undefined);
    if (status) {
      linkUpAt ??= status.neighbours.some((n) => n.connected) ? performance.now() : undefined;
      if (status.store.clients === target.clients && status.store.digest === target.digest) {
        const done = performance.now();
        return {
          records: target.clients,
          fromStartMs: done - started,
          fromLinkUpMs: done - (linkUpAt ?? done),
          linkUpMs: (linkUpAt ?? done) - started,
          syncRecordsReceived: status.counters.syncRecordsReceived,
        };
      }
    }
    if (performance.now() - started > timeoutMs) throw new Error(`catch-up: ${restarted} did not catch up within ${timeoutMs} ms`);
    await sleep(5);
  }
}

/**
 * Figure 5b: the gossip buffers under a burst. Clark is sent `count` fresh IAMATs as fast as
 * it takes them (4 connections, 500 outstanding each); every member's outbound backlog
 * (outbox, signing, gossipsub queues, muxer and socket queues) and RSS are sampled from
 * /status all along; then the time until all five hold the burst.
 */
import type { Backlog } from '../../src/net/p2p/node.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { sendCount } from '../lib/load.js';
import { sleep } from '../lib/util.js';
import { snapshot, storeSize } from './cost.js';

export interface BurstResult {
  readonly count: number;
  readonly acceptSeconds: number;
  /** Per member, the largest backlog seen in a sample, bytes, by where it waited. */
  readonly peakBacklog: Record<string, Backlog>;
  readonly peakRssMiB: Record<string, number>;
  /** From the last acknowledgement until all five held every record, ms (null: not within 30 s). */
  readonly convergedAfterMs: number | null;
  readonly samples: number;
}

const MiB = 1024 * 1024;

export async function burst(herd: BenchHerd, count: number): Promise<BurstResult> {
  const origin: Name = 'Clark';
  const baseline = storeSize(await snapshot(herd));
  const peakBacklog: Record<string, Backlog> = {};
  const peakRssMiB: Record<string, number> = {};
  let sampling = true;
  let samples = 0;
  const sampler = (async () => {
    while (sampling) {
      const all = await Promise.allSettled(herd.names.map((n) => herd.status(n)));
      for (const s of all) {
        if (s.status !== 'fulfilled') continue;
        const { name, backlog, memory } = s.value;
        if (backlog.total >= (peakBacklog[name]?.total ?? -1)) peakBacklog[name] = backlog;
        peakRssMiB[name] = Math.max(peakRssMiB[name] ?? 0, memory.rssBytes / MiB);
      }
      samples++;
      await sleep(25);
    }
  })();
  const started = performance.now();
  const load = await sendCount(herd.clientPort(origin), 'bench-burst', count);
  const acceptSeconds = (performance.now() - started) / 1000;
  const convergedAfterMs = await herd.converged({ clients: baseline + load.acked, timeoutMs: 30_000 });
  sampling = false;
  await sampler;
  return { count: load.acked, acceptSeconds, peakBacklog, peakRssMiB, convergedAfterMs, samples };
}

/**
 * Figure 1: IAMAT round trip on one connection, one request at a time. Each IAMAT is newer
 * than the last for the same client, so every one is stored and gossiped: the full path a
 * phone's report takes, minus the network. Two ways:
 *  - back to back: the next request leaves as soon as the reply is in, so the herd is busy
 *    gossiping the previous update (one record per message: a signature and five
 *    verifications each) while Clark answers; on 2 cores that is what a busy herd feels like;
 *  - paced: a pause after each reply lets the herd go idle, the latency of a quiet herd.
 */
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { summarize, type Summary } from '../lib/stats.js';
import { sleep } from '../lib/util.js';
import { costBetween, snapshot } from './cost.js';

export interface LatencyResult extends Summary {
  readonly member: Name;
  readonly gapMs: number;
  readonly errors: number;
  /** All five members' CPU time per IAMAT (each gossiped alone), µs. */
  readonly memberCpuMicrosPerUpdate: number;
  /** Cores other processes on the machine used meanwhile: the noise under these figures. */
  readonly otherCores: number;
}

export async function iamatLatency(herd: BenchHerd, member: Name, requests: number, gapMs = 0, maxMs = 20_000): Promise<LatencyResult> {
  const client = await LineClient.open(herd.clientPort(member));
  const times: number[] = [];
  let errors = 0;
  const before = await snapshot(herd);
  const started = performance.now();
  try {
    for (let i = 0; i < requests && performance.now() - started < maxMs; i++) {
      const t0 = performance.now();
      const reply = await client.request(iamat('bench-latency.example.org'));
      times.push(performance.now() - t0);
      if (!reply.startsWith(`AT ${member} `)) errors++;
      if (gapMs > 0) await sleep(gapMs);
    }
  } finally {
    client.close();
  }
  await herd.converged({ timeoutMs: 10_000 }); // the last update's gossip is part of its cost
  const cost = costBetween(before, await snapshot(herd));
  const memberCpuMicrosPerUpdate = (cost.memberCpuSeconds / Math.max(1, times.length)) * 1e6;
  return { member, gapMs, errors, memberCpuMicrosPerUpdate, otherCores: cost.otherCores, ...summarize(times) };
}

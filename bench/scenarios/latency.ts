/**
 * Figure 1: IAMAT round trip on one connection, one request at a time. Each IAMAT is newer
 * than the last for the same client, so every one is stored and gossiped: the full path a
 * phone's report takes, minus the network.
 */
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { summarize, type Summary } from '../lib/stats.js';

export interface LatencyResult extends Summary {
  readonly member: Name;
  readonly errors: number;
}

export async function iamatLatency(herd: BenchHerd, member: Name, requests: number, maxMs = 20_000): Promise<LatencyResult> {
  const client = await LineClient.open(herd.clientPort(member));
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  try {
    for (let i = 0; i < requests && performance.now() - started < maxMs; i++) {
      const t0 = performance.now();
      const reply = await client.request(iamat('bench-latency.example.org'));
      times.push(performance.now() - t0);
      if (!reply.startsWith(`AT ${member} `)) errors++;
    }
  } finally {
    client.close();
  }
  return { member, errors, ...summarize(times) };
}

/**
 * Figure 5: WHATSAT round trip with the offline places provider (kd-tree lookup of the
 * GeoNames data, JSON formatting), one request at a time on one connection.
 */
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { summarize, type Summary } from '../lib/stats.js';

export interface WhatsatResult extends Summary {
  readonly member: Name;
  readonly query: string;
  readonly replyBytes: number;
  readonly errors: number;
}

export async function whatsatLatency(herd: BenchHerd, member: Name, requests: number, maxMs = 20_000): Promise<WhatsatResult> {
  const client = await LineClient.open(herd.clientPort(member));
  const query = 'WHATSAT bench-whatsat.example.org 10 5';
  const times: number[] = [];
  let errors = 0;
  let replyBytes = 0;
  const started = performance.now();
  try {
    await client.request(iamat('bench-whatsat.example.org')); // known to this member from here on
    for (let i = 0; i < requests && performance.now() - started < maxMs; i++) {
      const t0 = performance.now();
      const reply = await client.request(query, 'whatsat');
      times.push(performance.now() - t0);
      if (!reply.startsWith('AT ') || !reply.includes('"status": "OK"')) errors++;
      replyBytes = reply.length;
    }
  } finally {
    client.close();
  }
  return { member, query, replyBytes, errors, ...summarize(times) };
}

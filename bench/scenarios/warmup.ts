/**
 * Warm-up: a second or two of IAMATs at every member and some WHATSATs, so that the first
 * measured requests do not pay for JIT compilation, lazy module loads or new gossip streams.
 */
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd } from '../lib/herd.js';
import { windowed } from '../lib/load.js';

export async function warmUp(herd: BenchHerd, seconds = 1.5): Promise<void> {
  const until = performance.now() + seconds * 1000;
  await Promise.all(herd.names.map((n) => windowed({ port: herd.clientPort(n), prefix: `bench-warm-${n}`, window: 20, until })));
  const client = await LineClient.open(herd.clientPort(herd.names[0]!));
  try {
    await client.request(iamat('bench-warm.example.org'));
    for (let i = 0; i < 100; i++) await client.request('WHATSAT bench-warm.example.org 10 5', 'whatsat');
  } finally {
    client.close();
  }
  if ((await herd.converged({ timeoutMs: 20_000 })) === null) throw new Error('herd did not converge after the warm-up');
}

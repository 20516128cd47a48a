/**
 * Figure 5a: memory per stored client. A one-member herd (run with --expose-gc) is filled with
 * fresh clients over the client protocol; after each size, a full collection (POST /gc) and
 * the growth since the empty member, per client, of the heap plus array buffers (the store
 * keeps its lines in buffers outside the heap) and of RSS.
 */
import { setTimeout } from 'node:timers/promises';
import type { BenchHerd } from '../lib/herd.js';
import { sendCount } from '../lib/load.js';

export interface MemoryAt {
  readonly clients: number;
  /** The JS heap and array buffers together. */
  readonly heapBytesPerClient: number;
  readonly rssBytesPerClient: number;
  readonly heapUsedMiB: number;
  readonly rssMiB: number;
}

const MiB = 1024 * 1024;

/**
 * `settleMs`: the wait before each measurement. Gossipsub keeps the messages a member published
 * for its last 5 heartbeats (1 s each), which right after a fill hold about 80 more bytes per
 * client than the store (300,000 clients: 206 bytes of buffers per client at once, 121 after 12 s).
 */
export async function memoryPerClient(
  herd: BenchHerd,
  sizes: readonly number[],
  settleMs: number,
  onStep: (text: string) => void,
): Promise<MemoryAt[]> {
  const member = herd.names[0]!;
  const empty = await herd.collectGarbage(member);
  const results: MemoryAt[] = [];
  let stored = 0;
  for (const size of sizes) {
    onStep(`memory: filling to ${size} clients`);
    const load = await sendCount(herd.clientPort(member), `bench-mem-${size}`, size - stored);
    if (load.acked !== load.sent || load.bad > 0) throw new Error(`memory: ${load.sent} sent, ${load.acked} acknowledged, ${load.bad} refused`);
    stored += load.acked;
    const status = await herd.status(member);
    if (status.store.clients !== size) throw new Error(`memory: the member holds ${status.store.clients} clients, expected ${size}`);
    await setTimeout(settleMs);
    const now = await herd.collectGarbage(member);
    results.push({
      clients: size,
      heapBytesPerClient: (now.heapUsedBytes + now.arrayBuffersBytes - empty.heapUsedBytes - empty.arrayBuffersBytes) / size,
      rssBytesPerClient: (now.rssBytes - empty.rssBytes) / size,
      heapUsedMiB: (now.heapUsedBytes + now.arrayBuffersBytes) / MiB,
      rssMiB: now.rssBytes / MiB,
    });
  }
  return results;
}

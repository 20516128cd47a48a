/**
 * The member status contract: what a member's `GET /status` answers. The admin endpoint
 * serves it; `herd mesh`, the tests and the benchmark read it (statusClient.ts).
 */
import type { CounterSnapshot } from './metrics.js';
import type { LinkInfo } from './p2p/links.js';
import type { Backlog } from './p2p/backlog.js';
import type { GossipView } from './p2p/gossipView.js';

/** A link as /status shows it: what the link manager knows, less its dialling role. */
export type NeighbourStatus = Omit<LinkInfo, 'dials' | 'settled'>;

export interface MemberStatus {
  readonly name: string;
  readonly peerId: string;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly listen: string[];
  readonly clientAddress: string;
  readonly neighbours: NeighbourStatus[];
  /** Gossipsub's view, with member names instead of peer IDs. */
  readonly gossip: GossipView;
  readonly store: { readonly clients: number; readonly digest: string };
  readonly counters: CounterSnapshot;
  /** Bytes queued on the way out to neighbours, by where they wait. */
  readonly backlog: Backlog;
  /** `arrayBuffersBytes`: memory outside the heap in buffers, the store's lines among them. */
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly arrayBuffersBytes: number };
  readonly lastError: string | null;
}

export type MemoryStatus = MemberStatus['memory'];

export function memoryNow(): MemoryStatus {
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, arrayBuffersBytes: arrayBuffers };
}

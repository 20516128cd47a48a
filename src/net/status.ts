/**
 * The member status contract: what a member's `GET /status` answers, and the client that asks
 * for it. The admin endpoint serves it; `herd mesh`, the tests and the benchmark read it.
 */
import { request } from 'undici';
import type { MemberConfig } from '../config/herdFile.js';
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
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number };
  readonly lastError: string | null;
}

export type MemoryStatus = MemberStatus['memory'];

export function memoryNow(): MemoryStatus {
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed };
}

export const FETCH_STATUS_DEFAULTS = {
  /** A member that does not answer within this long is shown as down by `herd mesh`. */
  timeoutMs: 1_000,
} as const;

/** The admin endpoint answered, but not with a status. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly code: 'HERD_STATUS',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Asks `member`'s admin endpoint for its status; rejects on no answer within `timeoutMs`. */
export async function fetchStatus(member: MemberConfig, timeoutMs: number = FETCH_STATUS_DEFAULTS.timeoutMs): Promise<MemberStatus> {
  const host = member.adminHost.includes(':') ? `[${member.adminHost}]` : member.adminHost;
  const { statusCode, body } = await request(`http://${host}:${member.adminPort}/status`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (statusCode !== 200) {
    await body.dump();
    throw new StatusError('HERD_STATUS', `admin endpoint answered HTTP ${statusCode}`);
  }
  return (await body.json()) as MemberStatus;
}

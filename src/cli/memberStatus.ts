/**
 * What a running member tells about itself: its counters (for /status and /metrics), its
 * status document and its readiness, each read from the member's parts when asked.
 */
import type { MemberConfig } from '../config/herdFile.js';
import type { StoreDigest } from '../core/digest.js';
import type { Member } from '../core/member.js';
import type { LocationStore } from '../core/store.js';
import type { Readiness } from '../net/admin.js';
import type { ClientServer } from '../net/clientServer.js';
import type { CounterSnapshot } from '../net/metrics.js';
import { namedGossipView } from '../net/p2p/gossipView.js';
import type { HerdNode } from '../net/p2p/node.js';
import type { SyncService } from '../net/p2p/sync.js';
import type { PlacesCounters } from '../places/measured.js';
import { memoryNow, type MemberStatus } from '../net/status.js';
import { VERSION } from './version.js';

/** The parts of a running member that its counters, status and readiness are read from. */
export interface MemberParts {
  readonly self: MemberConfig;
  readonly startedAt: number;
  readonly store: LocationStore;
  readonly digest: StoreDigest;
  readonly member: Member;
  readonly clients: ClientServer;
  readonly node: HerdNode;
  readonly sync: SyncService;
  readonly places: { readonly counters: PlacesCounters; readonly ready: () => boolean };
  /** The last warning or error logged, with its time of day. */
  readonly lastProblem: () => string | null;
}

export function counterSnapshot({ clients, member, node, sync, places, store }: MemberParts): CounterSnapshot {
  return {
    clientConnections: clients.counters.connections,
    clientConnectionsOpen: clients.counters.open,
    clientConnectionsRefused: clients.counters.refused,
    clientConnectionsIdleClosed: clients.counters.idleClosed,
    clientConnectionsOverlong: clients.counters.overlong,
    clientConnectionsBlocked: clients.queues().blocked,
    clientBytesQueued: clients.queues().bytes,
    iamat: member.counters.iamat,
    whatsat: member.counters.whatsat,
    invalid: member.counters.invalid,
    ...node.counters,
    syncRounds: sync.counters.rounds,
    syncFailures: sync.counters.failures,
    syncRecordsReceived: sync.counters.recordsReceived,
    syncRecordsSent: sync.counters.recordsSent,
    placesCalls: places.counters.calls,
    placesErrors: places.counters.errors,
    storeClients: store.size,
    linksUp: node.links().filter((l) => l.connected).length,
  };
}

export function memberStatus(parts: MemberParts): MemberStatus {
  const { self, startedAt, node, store, digest } = parts;
  return {
    name: self.name,
    peerId: self.peerId,
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    listen: node.listenAddresses(),
    clientAddress: `${self.host}:${self.clientPort}`,
    neighbours: node.links().map(({ name, peerId, connected, since, direction, rttMs }) => ({ name, peerId, connected, since, direction, rttMs })),
    gossip: namedGossipView(node.gossipView(), (peerId) => node.names.label(peerId)),
    store: { clients: store.size, digest: digest.toString() },
    counters: counterSnapshot(parts),
    backlog: node.backlog(),
    memory: memoryNow(),
    lastError: parts.lastProblem(),
  };
}

export function memberReadiness({ node, places }: MemberParts): Readiness {
  const waitingFor = node
    .links()
    .filter((l) => !l.settled)
    .map((l) => `link to ${l.name} not tried yet`);
  if (!places.ready()) waitingFor.unshift('places loading');
  return { ready: waitingFor.length === 0, waitingFor };
}

/**
 * Wiring of one member: store (and its log), places, the libp2p node and sync, the member
 * core, the client port and the admin endpoint. Used by `herd start NAME` and, in process,
 * by the integration tests.
 */
import type { Level } from 'pino';
import { findMember, type HerdConfig } from '../config/herdFile.js';
import { StoreDigest } from '../core/digest.js';
import { Member } from '../core/member.js';
import type { Logger, Places } from '../core/ports.js';
import { LocationStore } from '../core/store.js';
import { AdminServer, type Readiness } from '../net/admin.js';
import { ClientServer } from '../net/clientServer.js';
import { systemClock } from '../net/clock.js';
import { createMemberLogger, type ConsoleFormat } from '../net/logger.js';
import { createMetrics, type CounterSnapshot, type MemberMetrics } from '../net/metrics.js';
import { readKeyFile } from '../net/p2p/keys.js';
import { startHerdNode, type HerdNode } from '../net/p2p/node.js';
import { SyncService } from '../net/p2p/sync.js';
import { RecordLog } from '../net/recordLog.js';
import { memoryNow, type MemberStatus } from '../net/status.js';
import { placesFromEnvironment } from '../places/index.js';
import { receivedNanos } from '../protocol/record.js';
import { VERSION } from './version.js';

export interface RunMemberOptions {
  readonly herd: HerdConfig;
  readonly name: string;
  readonly logDir: string;
  readonly logLevel?: Level;
  readonly consoleLevel?: Level | 'silent';
  readonly consoleFormat?: ConsoleFormat;
  readonly env?: NodeJS.ProcessEnv;
  readonly maxLineBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  /** Keep every stored record in DIR/records.log and rebuild the store from it at start. */
  readonly dataDir?: string;
  readonly syncIntervalMs?: number;
  /** Listen for peers here instead of the herd file's p2pPort (port forwarding, a relay). */
  readonly p2pListenPort?: number;
  /** Close a link when no ping has been answered for this long (see LINK_TIMEOUT_MS). */
  readonly linkTimeoutMs?: number;
  /** A log file is rotated past this size; this many rotated files are kept. */
  readonly logMaxBytes?: number;
  readonly logFiles?: number;
  /** CIDRs or addresses peers may also connect from (neighbours behind NAT). */
  readonly p2pAllowFrom?: readonly string[];
}

export interface RunningMember {
  readonly name: string;
  readonly clientPort: number;
  readonly adminPort: number;
  readonly store: LocationStore;
  readonly node: HerdNode;
  status(): MemberStatus;
  stop(): Promise<void>;
}

/** How often a member with a data dir checks whether its record log needs compacting. */
const COMPACTION_CHECK_MS = 60_000;

export async function runMember(options: RunMemberOptions): Promise<RunningMember> {
  const startedAt = Date.now();
  const self = findMember(options.herd, options.name);
  const logger = await createMemberLogger({
    name: self.name, logDir: options.logDir, level: options.logLevel ?? 'info', consoleLevel: options.consoleLevel ?? 'info',
    consoleFormat: options.consoleFormat, maxFileBytes: options.logMaxBytes, keptFiles: options.logFiles,
  });
  const log = logger.log;
  const clock = systemClock();
  const store = new LocationStore();
  const digest = new StoreDigest(store);
  const recordLog = options.dataDir ? openRecordLog(options.dataDir, store, log) : undefined;
  const privateKey = readKeyFile(self.keyPath, log);
  const places = placesFromEnvironment(options.env ?? process.env, log.child({ component: 'places' }));
  let placesReady = !places.ready;
  void places.ready?.then(() => { placesReady = true; });
  // Neighbours dial the herd file's address; this member may listen behind a forwarded port.
  const listening = options.p2pListenPort ? { ...self, p2pPort: options.p2pListenPort } : self;
  const node = await startHerdNode({
    self: listening, herd: options.herd, privateKey, store, log, allowFrom: options.p2pAllowFrom,
    tuning: { links: { linkTimeoutMs: options.linkTimeoutMs } },
  });

  let metrics: MemberMetrics | undefined;
  const placesCounters = { calls: 0, errors: 0 };
  const member = new Member({ name: self.name, store, places: measured(places, placesCounters, (s) => metrics?.observeWhatsat(s)), clock, sink: node, log });
  const nameOf = new Map(options.herd.members.map((m) => [m.peerId, m.name]));
  const sync = new SyncService({
    libp2p: node.libp2p, store, log, digest,
    nameOf: (peerId) => (node.links().some((l) => l.peerId === peerId) ? nameOf.get(peerId) : undefined),
    neighbours: () => node.links().filter((l) => l.connected).map((l) => l.peerId),
    intervalMs: options.syncIntervalMs,
    onRoundDone: (seconds) => metrics?.observeSync(seconds),
  });
  await sync.start();
  // Both ends open a catch-up round once gossip flows on the link: a record stored at either
  // end between one end's digest and the link carrying gossip is then still caught at once.
  // An equal-store round costs one 8 KiB digest each way.
  node.onLinkUp((_name, peerId) => sync.syncWith(peerId).catch(() => {}));
  // Gossip follows trees over the links up now; a neighbour that just became our child in
  // one may have missed records while its old parent's link was down: the same round covers it.
  node.onNewTreeChild((peerId) => sync.syncWith(peerId).catch(() => {}));
  node.onRecords((records) => {
    const now = clock.nowNanos();
    for (const r of records) metrics?.observePropagation(Number(now - receivedNanos(r)) / 1e9);
  });

  const clients = new ClientServer({
    host: self.host, port: self.clientPort, handler: member, log: log.child({ component: 'clients' }), flow: node,
    maxLineBytes: options.maxLineBytes, idleTimeoutMs: options.idleTimeoutMs, maxConnections: options.maxConnections,
  });

  const snapshot = (): CounterSnapshot => ({
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
    placesCalls: placesCounters.calls,
    placesErrors: placesCounters.errors,
    storeClients: store.size,
    linksUp: node.links().filter((l) => l.connected).length,
  });
  metrics = createMetrics(snapshot, { member: self.name });
  const status = (): MemberStatus => ({
    name: self.name, peerId: self.peerId, version: VERSION,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    listen: node.listenAddresses(),
    clientAddress: `${self.host}:${self.clientPort}`,
    neighbours: node.links().map(({ name, peerId, connected, since, direction, rttMs }) => ({ name, peerId, connected, since, direction, rttMs })),
    gossip: namedView(node, nameOf),
    store: { clients: store.size, digest: digest.toString() },
    counters: snapshot(),
    backlog: node.backlog(),
    memory: memoryNow(),
    lastError: logger.lastProblem(),
  });
  const readiness = (): Readiness => {
    const waitingFor = node.links().filter((l) => !l.settled).map((l) => `link to ${l.name} not tried yet`);
    if (!placesReady) waitingFor.unshift('places loading');
    return { ready: waitingFor.length === 0, waitingFor };
  };
  const admin = new AdminServer({ host: self.adminHost, port: self.adminPort, status, readiness, registry: metrics.registry, log: log.child({ component: 'admin' }) });

  const [clientAddress, adminPort] = await Promise.all([clients.listen(), admin.listen()]);
  const compaction = recordLog && setInterval(() => recordLog.compactIfNeeded(() => store.lines(), store.size), COMPACTION_CHECK_MS);
  compaction?.unref();
  log.info({ clientPort: clientAddress.port, adminPort, records: store.size, version: VERSION }, 'member started');

  return {
    name: self.name, clientPort: clientAddress.port, adminPort, store, node, status,
    async stop() {
      log.info({}, 'member stopping');
      await clients.close(); // answers what clients already sent; their records go out below
      node.flushGossip(); // records still waiting for their paced time
      await new Promise((resolve) => setImmediate(resolve)); // and let the publish go out
      await sync.stop();
      await node.stop();
      await admin.close();
      await places.close();
      clearInterval(compaction);
      recordLog?.close();
      log.info({}, 'member stopped');
      logger.flush();
    },
  };
}

function openRecordLog(dir: string, store: LocationStore, log: Logger): RecordLog {
  const { recordLog, records } = RecordLog.open({ dir, log });
  for (const record of records) store.offer(record);
  // Registered after the replay, so replayed records are not appended again.
  store.onStored((record) => recordLog.append([record]));
  log.info({ dir, records: store.size }, 'store rebuilt from record log');
  return recordLog;
}

/** Counts places calls and errors, and times each WHATSAT's provider call. */
function measured(places: Places, counters: { calls: number; errors: number }, observe: (seconds: number) => void): Places {
  return {
    async nearby(query) {
      const started = performance.now();
      counters.calls++;
      const answer = await places.nearby(query);
      if (answer.status !== 'OK' && answer.status !== 'ZERO_RESULTS') counters.errors++;
      observe((performance.now() - started) / 1000);
      return answer;
    },
  };
}

/** The gossipsub view with member names instead of peer IDs, for people reading /status. */
function namedView(node: HerdNode, nameOf: ReadonlyMap<string, string>): MemberStatus['gossip'] {
  const view = node.gossipView();
  const name = (peerId: string) => nameOf.get(peerId) ?? peerId;
  return {
    topic: view.topic,
    subscribers: view.subscribers.map(name),
    mesh: view.mesh.map(name),
    direct: view.direct.map(name),
    scores: Object.fromEntries(Object.entries(view.scores).map(([p, s]) => [name(p), s])),
  };
}

/**
 * Wiring of one member: store (and its log), places, the libp2p node and sync, the member
 * core, the client port and the admin endpoint. Used by `herd start NAME` and, in process,
 * by the integration tests.
 */
import type { PrivateKey } from '@libp2p/interface';
import type { Level } from 'pino';
import { findMember, type HerdConfig, type MemberConfig } from '../config/herdFile.js';
import { herdTopology } from '../config/herdTopology.js';
import { StoreDigest } from '../core/digest.js';
import { Member } from '../core/member.js';
import type { Clock, Logger } from '../core/ports.js';
import { LocationStore } from '../core/store.js';
import { AdminServer } from '../net/admin.js';
import { ClientServer } from '../net/clientServer.js';
import { systemClock } from '../net/clock.js';
import { createMemberLogger, type ConsoleFormat, type MemberLogger } from '../net/logger.js';
import { createMetrics, type MemberMetrics } from '../net/metrics.js';
import { readKeyFile } from '../net/p2p/keys.js';
import { startHerdNode, type HerdNode } from '../net/p2p/node.js';
import { SyncService } from '../net/p2p/sync.js';
import { RecordLog } from '../net/recordLog.js';
import type { MemberStatus } from '../net/status.js';
import { placesFromEnvironment, readiness, type PlacesProvider } from '../places/index.js';
import { measured } from '../places/measured.js';
import { batchLine, receivedSeconds } from '../protocol/record.js';
import { counterSnapshot, memberReadiness, memberStatus, type MemberParts } from './memberStatus.js';
import { VERSION } from './version.js';

/** The rest of the tunables default where they are used (CLIENT_DEFAULTS, LOG_FILE_DEFAULTS, SYNC_DEFAULTS...). */
export const MEMBER_DEFAULTS = {
  logLevel: 'info',
  consoleLevel: 'info',
} as const;

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
  /** Close a link when no ping has been answered for this long (see LINK_DEFAULTS.linkTimeoutMs). */
  readonly linkTimeoutMs?: number;
  /** The share of its event loop busy that gossip pacing steers towards (PACING_DEFAULTS.targetLoad). */
  readonly pacingTargetLoad?: number;
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
/** The client server's bindings on every line it logs. */
const CLIENTS = { component: 'clients' } as const;

export async function runMember(options: RunMemberOptions): Promise<RunningMember> {
  const startup = new Startup();
  try {
    return await startMember(options, startup);
  } catch (err) {
    await startup.undo();
    throw err;
  }
}

/**
 * What a member's start has opened so far, so that a start that fails part way (a port taken, a
 * bad key file) closes it again, newest first: in a process that goes on (a test runner, an
 * embedding program), a half-started member would otherwise keep its ports, threads and timers.
 */
class Startup {
  private readonly closers: Array<() => unknown> = [];

  opened<T>(part: T, close: (part: T) => unknown): T {
    this.closers.push(() => close(part));
    return part;
  }

  async undo(): Promise<void> {
    for (const close of this.closers.reverse()) {
      await Promise.resolve()
        .then(close)
        .catch(() => {}); // the error that stopped the start is the one to report
    }
  }
}

async function startMember(options: RunMemberOptions, startup: Startup): Promise<RunningMember> {
  const startedAt = Date.now();
  const self = findMember(options.herd, options.name);
  const logger = startup.opened(await openLogger(self.name, options), (l) => l.close());
  const { log } = logger;
  const clock = systemClock();
  const store = new LocationStore();
  const digest = new StoreDigest(store);
  const recordLog = options.dataDir ? startup.opened(openRecordLog(options.dataDir, store, log), (r) => r.close()) : undefined;
  const privateKey = readKeyFile(self.keyPath, log);
  const provider = startup.opened(placesFromEnvironment(options.env ?? process.env, log.child({ component: 'places' })), (p) => p.close());
  const placesReady = readiness(provider);
  // Made once the parts its counters are read from exist; until then nothing is observed.
  // eslint-disable-next-line prefer-const -- the observers below read it before it is assigned, so it cannot be a const
  let metrics: MemberMetrics | undefined;
  const places = measured(provider, (seconds) => metrics?.observeWhatsat(seconds));
  const { node, sync } = await startReplication(startup, {
    self,
    options,
    privateKey,
    store,
    digest,
    log,
    observeSync: (seconds) => metrics?.observeSync(seconds),
  });
  observePropagation(node, clock, (seconds) => metrics?.observePropagation(seconds));
  const member = new Member({ name: self.name, store, places, clock, sink: node, log });
  const clients = startup.opened(
    new ClientServer({
      host: self.host,
      port: self.clientPort,
      handler: member,
      log: log.child(CLIENTS),
      commands: logger.commandLog(CLIENTS),
      flow: node,
      commit: recordLog?.flush,
      maxLineBytes: options.maxLineBytes,
      idleTimeoutMs: options.idleTimeoutMs,
      maxConnections: options.maxConnections,
    }),
    (c) => c.close(),
  );
  const parts: MemberParts = {
    self,
    startedAt,
    store,
    digest,
    member,
    clients,
    node,
    sync,
    places: { counters: places.counters, ready: placesReady },
    lastProblem: () => logger.lastProblem(),
  };
  metrics = createMetrics(() => counterSnapshot(parts), { member: self.name });
  const admin = startup.opened(
    new AdminServer({
      host: self.adminHost,
      port: self.adminPort,
      status: () => memberStatus(parts),
      readiness: () => memberReadiness(parts),
      registry: metrics.registry,
      log: log.child({ component: 'admin' }),
    }),
    (a) => a.close(),
  );

  // The log writer thread started with the logger, while the rest started; no client before it.
  await logger.ready;
  const [clientAddress, adminPort] = await Promise.all([
    listening(clients.listen(), `member ${self.name}: cannot listen for clients on ${self.host}:${self.clientPort}`),
    listening(admin.listen(), `member ${self.name}: cannot listen for the admin endpoint on ${self.adminHost}:${self.adminPort}`),
  ]);
  const compaction = recordLog && startCompaction(recordLog, store);
  log.info({ clientPort: clientAddress.port, adminPort, records: store.size, version: VERSION }, 'member started');
  return {
    name: self.name,
    clientPort: clientAddress.port,
    adminPort,
    store,
    node,
    status: () => memberStatus(parts),
    stop: () => stopInOrder({ logger, clients, node, sync, admin, provider, compaction, recordLog }),
  };
}

/** A listen that fails says which of the member's ports it was, as the p2p side's error does. */
async function listening<T>(listen: Promise<T>, what: string): Promise<T> {
  try {
    return await listen;
  } catch (err) {
    throw new Error(`${what} (${(err as Error).message})`, { cause: err });
  }
}

function openLogger(name: string, options: RunMemberOptions): Promise<MemberLogger> {
  return createMemberLogger({
    name,
    logDir: options.logDir,
    level: options.logLevel ?? MEMBER_DEFAULTS.logLevel,
    consoleLevel: options.consoleLevel ?? MEMBER_DEFAULTS.consoleLevel,
    consoleFormat: options.consoleFormat,
    maxFileBytes: options.logMaxBytes,
    keptFiles: options.logFiles,
  });
}

function openRecordLog(dir: string, store: LocationStore, log: Logger): RecordLog {
  const { recordLog, records } = RecordLog.open({ dir, log });
  for (const record of records) store.offer(record);
  // Registered after the replay, so replayed records are not appended again.
  store.onStored((_hash, line) => recordLog.append(line));
  log.info({ dir, records: store.size }, 'store rebuilt from record log');
  return recordLog;
}

/** Compacts the record log when it has grown enough past the store (checked now and then). */
function startCompaction(recordLog: RecordLog, store: LocationStore): NodeJS.Timeout {
  const timer = setInterval(() => recordLog.compactIfNeeded(() => store.lines(), store.size), COMPACTION_CHECK_MS);
  timer.unref();
  return timer;
}

interface ReplicationParts {
  readonly self: MemberConfig;
  readonly options: RunMemberOptions;
  readonly privateKey: PrivateKey;
  readonly store: LocationStore;
  readonly digest: StoreDigest;
  readonly log: Logger;
  readonly observeSync: (seconds: number) => void;
}

interface Replication {
  readonly node: HerdNode;
  readonly sync: SyncService;
}

/** The libp2p node that gossips records, and the sync service that catches up after a gap. */
async function startReplication(
  startup: Startup,
  { self, options, privateKey, store, digest, log, observeSync }: ReplicationParts,
): Promise<Replication> {
  const node = startup.opened(
    await startHerdNode({
      topology: herdTopology(options.herd, self.name, { listenPort: options.p2pListenPort }),
      privateKey,
      store,
      log,
      allowFrom: options.p2pAllowFrom,
      tuning: { links: { linkTimeoutMs: options.linkTimeoutMs }, pacingTargetLoad: options.pacingTargetLoad },
    }),
    (n) => n.stop(),
  );
  const sync = startup.opened(
    new SyncService(
      {
        libp2p: node.libp2p,
        store,
        log,
        digest,
        gossipQuietMs: () => node.gossipQuietMs(),
        neighbours: {
          nameOf: (peerId) => node.names.neighbour(peerId),
          connected: () =>
            node
              .links()
              .filter((l) => l.connected)
              .map((l) => l.peerId),
          dials: (peerId) => node.links().some((l) => l.peerId === peerId && l.dials),
        },
      },
      { intervalMs: options.syncIntervalMs },
    ),
    (s) => s.stop(),
  );
  sync.onRoundDone(observeSync);
  await sync.start();
  // Both ends open a catch-up round once gossip flows on the link, one after the other: a
  // record stored at either end between one end's digest and the link carrying gossip is then
  // still caught at once. An equal-store round costs one 8 KiB digest each way.
  node.onLinkUp((_name, peerId) => void sync.catchUp(peerId).catch(() => {}));
  // Gossip follows trees over the links up now; a neighbour that just became our child in
  // one may have missed records while its old parent's link was down: the same round covers it.
  node.onNewTreeChild((peerId) => void sync.catchUp(peerId).catch(() => {}));
  return { node, sync };
}

/**
 * Times each gossip message from its origin member receiving the first record in it to this
 * member storing it: one observation per message, as the rest of a message's cost is. Records
 * leave in the order they were queued, so the first waited longest (unless its client reported
 * again meanwhile: the newer report takes the queued one's place), stored here or not.
 */
function observePropagation(node: HerdNode, clock: Clock, observe: (seconds: number) => void): void {
  node.onMessageStored(({ data }) => observe(Number(clock.nowNanos()) / 1e9 - receivedSeconds(batchLine(data))));
}

interface StoppableParts {
  readonly logger: MemberLogger;
  readonly clients: ClientServer;
  readonly node: HerdNode;
  readonly sync: SyncService;
  readonly admin: AdminServer;
  readonly provider: PlacesProvider;
  readonly compaction: NodeJS.Timeout | undefined;
  readonly recordLog: RecordLog | undefined;
}

/** Clients first, so that what they already sent is answered and its records still go out. */
async function stopInOrder({ logger, clients, node, sync, admin, provider, compaction, recordLog }: StoppableParts): Promise<void> {
  const { log } = logger;
  log.info({}, 'member stopping');
  await clients.close(); // answers what clients already sent; their records go out below
  node.flushGossip(); // records still waiting for their paced time
  await new Promise((resolve) => setImmediate(resolve)); // and let the publish go out
  await sync.stop();
  await node.stop();
  await admin.close();
  await provider.close();
  clearInterval(compaction);
  recordLog?.close();
  log.info({}, 'member stopped');
  logger.close();
}

/**
 * A member's libp2p side, a thin front: `startHerdNode` builds libp2p (TCP + noise + yamux +
 * identify + ping + gossipsub, a gater that admits only linked neighbours) and wires the parts
 * that do the work: publish.ts (a client's record out to the herd), receive.ts (a neighbour's
 * message into the store), gossipTrees.ts (whom a message is passed on to), links.ts (keeping
 * links up), gossipReady.ts (when a new link carries gossip) and backlog.ts (back-pressure).
 * `HerdNode.stop` undoes it.
 */
import './shim.js'; // must precede libp2p: the peer store calls Promise.withResolvers
import { EventEmitter } from 'node:events';
import { gossipsub, type GossipSub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey, PubSub } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import { neighboursOf, type HerdConfig, type MemberConfig } from '../../config/herdFile.js';
import type { Logger, RecordSink } from '../../core/ports.js';
import type { LocationStore } from '../../core/store.js';
import type { LocationRecord } from '../../protocol/record.js';
import { dialAddress, inboundSources, listenAddresses, withoutPeerId } from './addresses.js';
import { CongestionGauge, gossipQueueBytes, socketQueueBytes } from './backlog.js';
import {
  DIAL_TIMEOUT_MS, DIRECT_CONNECT_TICKS, HEARTBEAT_INTERVAL_MS,
  INBOUND_CONNECTION_THRESHOLD, INBOUND_UPGRADE_TIMEOUT_MS, LOCATIONS_TOPIC, MAX_CONNECTIONS, MAX_INCOMING_PENDING_CONNECTIONS,
  MAX_OUTBOUND_BUFFER_BYTES,
} from './constants.js';
import { herdGater } from './gater.js';
import { peerIdOf, withCachedSigner } from './keys.js';
import { dialsTo, LinkManager, type LinkInfo, type LinkTuning, type Neighbour } from './links.js';
import { GossipReadiness } from './gossipReady.js';
import { GossipTrees } from './gossipTrees.js';
import { GossipPublisher } from './publish.js';
import { GossipReceiver } from './receive.js';
import { updateYamuxWindowAtHalf } from './yamuxWindow.js';
import { cacheEd25519VerifyKeys } from './ed25519Verify.js';
import { fastMessageId, messageId } from './messageIds.js';
import { newGossipCounters, type GossipCounters } from './validate.js';

export type { GossipCounters, LinkInfo, LinkTuning };

export interface HerdNodeTuning {
  /** Neighbours as gossipsub direct peers (default true): usable at once, no mesh wait. */
  readonly directPeers?: boolean;
  readonly heartbeatIntervalMs?: number;
  readonly outboxMaxRecords?: number;
  readonly outboxMaxBytes?: number;
  readonly congestionHighBytes?: number;
  readonly congestionLowBytes?: number;
  readonly links?: LinkTuning;
}

export interface HerdNodeInit {
  readonly self: MemberConfig;
  readonly herd: HerdConfig;
  readonly privateKey: PrivateKey;
  readonly store: LocationStore;
  readonly log: Logger;
  readonly tuning?: HerdNodeTuning;
  /** CIDRs or addresses inbound peer connections may also come from (neighbours behind NAT). */
  readonly allowFrom?: readonly string[];
}

/** What the admin endpoint shows of gossipsub; peer ID strings throughout. */
export interface GossipView {
  readonly topic: string;
  readonly subscribers: string[];
  readonly mesh: string[];
  readonly direct: string[];
  readonly scores: Record<string, number>;
}

/** Where the outbound backlog sits, in bytes. */
export interface Backlog {
  readonly outbox: number;
  readonly signing: number;
  readonly gossipQueues: number;
  readonly muxerQueues: number;
  readonly total: number;
}

export interface HerdNodeEvents {
  /** The link is connected and gossip to the neighbour flows (see `onLinkUp`). */
  'link:up': [name: string, peerId: string];
  'link:down': [name: string, peerId: string];
  /** A neighbour became this member's child in some origin's gossip tree: sync with it. */
  'tree:child': [peerId: string];
  /** Records stored from a gossip message, and the member that signed it. */
  records: [records: LocationRecord[], origin: string];
  congested: [backlogBytes: number];
  drain: [backlogBytes: number];
}

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type HerdServices = {
  identify: Identify;
  ping: Ping;
  pubsub: PubSub<GossipsubEvents>;
};

export class HerdNodeError extends Error {
  readonly code = 'HERD_P2P';
}

export async function startHerdNode(init: HerdNodeInit): Promise<HerdNode> {
  updateYamuxWindowAtHalf();
  cacheEd25519VerifyKeys();
  const { self, herd } = init;
  const actual = peerIdOf(init.privateKey);
  if (actual !== self.peerId) {
    throw new HerdNodeError(`member ${self.name}: key file ${self.keyPath} holds peer ID ${actual}, but ${herd.file} says ${self.peerId}`);
  }
  const log = init.log.child?.({ component: 'p2p' }) ?? init.log;
  const neighbours = neighbourList(herd, self);
  const listen = await listenAddresses(self.host, self.p2pPort).catch((err: Error) => {
    throw new HerdNodeError(`member ${self.name}: ${err.message}`, { cause: err });
  });
  const sources = await inboundSources(neighboursOf(herd, self.name).map((name) => herd.members.find((m) => m.name === name)!.host), init.allowFrom ?? []);
  const libp2p = await createLibp2p<HerdServices>({
    // Same key and signatures; gossipsub's per-message sign skips @libp2p/crypto's JWK import
    // (~100 -> ~37 us per signature in a micro-benchmark; about 1% of a message's herd CPU).
    privateKey: withCachedSigner(init.privateKey),
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: herdGater({ ...gaterPolicy(neighbours), inboundSources: sources }, log),
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      dialTimeout: DIAL_TIMEOUT_MS,
      reconnectRetries: 0, // the link manager redials; libp2p's KEEP_ALIVE retries give up in ms
    },
    // The monitor aborts a connection whose ping is stuck behind a gossip burst; the link
    // manager pings instead, with a generous timeout and several strikes.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub(gossipOptions(neighbours, init.tuning)),
    },
    start: false,
  });
  const node = new HerdNode(init, libp2p, neighbours, log);
  try {
    await node.start();
  } catch (err) {
    await Promise.resolve(libp2p.stop()).catch(() => {});
    throw new HerdNodeError(`member ${self.name}: cannot start libp2p on ${self.host}:${self.p2pPort} (${oneLine(err)})`, { cause: err });
  }
  return node;
}

export class HerdNode extends EventEmitter<HerdNodeEvents> implements RecordSink {
  readonly name: string;
  readonly peerId: string;
  readonly topic = LOCATIONS_TOPIC;
  readonly counters: GossipCounters = newGossipCounters();
  private readonly pubsub: GossipSub;
  private readonly linkManager: LinkManager;
  private readonly receiver: GossipReceiver;
  private readonly publisher: GossipPublisher;
  private readonly readiness: GossipReadiness;
  private readonly gauge: CongestionGauge;
  private readonly trees: GossipTrees;
  private stopped = false;

  constructor(init: HerdNodeInit, readonly libp2p: Libp2p<HerdServices>, neighbours: readonly Neighbour[], private readonly log: Logger) {
    super();
    this.name = init.self.name;
    this.peerId = init.self.peerId;
    this.pubsub = libp2p.services.pubsub as unknown as GossipSub;
    const t = init.tuning ?? {};
    const { topic, counters, pubsub } = this;
    const memberByPeerId = new Map(init.herd.members.map((m) => [m.peerId, m.name]));
    this.trees = new GossipTrees({
      pubsub, topic, herd: init.herd, self: init.self, neighbours: neighbours.map((n) => n.name), log,
      onNewChild: (peerId) => this.safeEmit('tree:child', peerId),
    });
    this.receiver = new GossipReceiver({
      selfPeerId: this.peerId, memberByPeerId, store: init.store, counters, log,
      onStored: (records, origin) => this.safeEmit('records', records, origin),
    });
    this.publisher = new GossipPublisher({
      pubsub, topic, counters, log, outboxMaxRecords: t.outboxMaxRecords, outboxMaxBytes: t.outboxMaxBytes,
      onBacklogChange: () => this.gauge.check(),
    });
    this.gauge = new CongestionGauge({
      measure: () => this.backlogBytes(),
      onChange: (congested, bytes) => this.congestionChanged(congested, bytes),
      highBytes: t.congestionHighBytes,
      lowBytes: t.congestionLowBytes,
    });
    this.readiness = new GossipReadiness(pubsub, topic, log, (name, peerId) => this.safeEmit('link:up', name, peerId), (name, peerId, late) => {
      this.trees.linkFlowing(name);
      // Gossip began to flow after the link was reported up (and synced): records sent to it
      // meanwhile were dropped, so sync again.
      if (late) this.safeEmit('tree:child', peerId);
    });
    this.linkManager = new LinkManager({
      libp2p, ping: libp2p.services.ping, neighbours, log, tuning: t.links,
      onUp: (name, peerId) => this.readiness.linkConnected(name, peerId),
      onDown: (name, peerId) => {
        this.readiness.linkLost(peerId);
        this.trees.linkLost(name);
        this.safeEmit('link:down', name, peerId);
      },
    });
  }

  /** @internal called once by startHerdNode */
  async start(): Promise<void> {
    this.pubsub.topicValidators.set(this.topic, this.receiver.validate);
    this.trees.install();
    await this.libp2p.start();
    this.pubsub.subscribe(this.topic);
    this.trees.subscribe();
    this.linkManager.start();
    this.log.info({ peer: this.peerId, listen: this.listenAddresses() }, 'p2p started');
  }

  /** RecordSink: queue a newly stored record for the herd; never throws. */
  publish(record: LocationRecord): void {
    this.publisher.push(record);
  }

  links(): LinkInfo[] {
    return this.linkManager.list();
  }

  /**
   * Calls `cb` each time a link comes up, once gossip to the neighbour flows (gossipsub knows
   * its subscription and has a stream to it): a record stored before then is not gossiped to
   * that neighbour, so a sync started from here sees every record gossip missed. Fires after
   * GOSSIP_READY_TIMEOUT_MS regardless, so sync runs with a neighbour that never subscribes.
   * Returns an unsubscribe function.
   */
  onLinkUp(cb: (name: string, peerId: string) => void): () => void {
    return this.subscribe('link:up', cb);
  }

  onLinkDown(cb: (name: string, peerId: string) => void): () => void {
    return this.subscribe('link:down', cb);
  }

  /**
   * Calls `cb` when a neighbour becomes this member's child in some origin's gossip tree
   * (a link elsewhere went down or came up): it may have missed records, so sync with it.
   */
  onNewTreeChild(cb: (peerId: string) => void): () => void {
    return this.subscribe('tree:child', cb);
  }

  /** Calls `cb` with the records each accepted gossip message stored, and their origin. */
  onRecords(cb: (records: LocationRecord[], origin: string) => void): () => void {
    return this.subscribe('records', cb);
  }

  /** True while the outbound backlog is above the high-water mark: stop reading clients. */
  get congested(): boolean {
    return this.gauge.congested;
  }

  /** Calls `cb` each time congestion ends; returns an unsubscribe function. */
  onDrain(cb: () => void): () => void {
    return this.subscribe('drain', () => cb());
  }

  /** Bytes queued on the way out: outbox, signing, gossipsub queues, muxer queues. */
  backlogBytes(): number {
    return this.backlog().total;
  }

  backlog(): Backlog {
    const outbox = this.publisher.outboxBytes;
    const signing = this.publisher.signingBytes;
    const gossipQueues = gossipQueueBytes(this.pubsub.streamsOutbound.values());
    const muxerQueues = socketQueueBytes(this.libp2p.getConnections());
    return { outbox, signing, gossipQueues, muxerQueues, total: outbox + signing + gossipQueues + muxerQueues };
  }

  gossipView(): GossipView {
    const peers = this.pubsub.getPeers().map(String);
    return {
      topic: this.topic,
      subscribers: this.pubsub.getSubscribers(this.topic).map(String),
      mesh: this.pubsub.getMeshPeers(this.topic),
      direct: [...this.pubsub.direct],
      scores: Object.fromEntries(peers.map((p) => [p, this.pubsub.getScore(p)])),
    };
  }

  listenAddresses(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  /** Publishes what the outbox holds now instead of at its paced time (shutdown). */
  flushGossip(): void {
    this.publisher.flush();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.linkManager.stop();
    this.readiness.stop();
    this.trees.stop();
    const dropped = this.publisher.stop();
    this.gauge.stop();
    await this.libp2p.stop();
    this.log.info({ unsentRecords: dropped }, 'p2p stopped');
  }

  private congestionChanged(congested: boolean, bytes: number): void {
    this.log.info({ backlogBytes: bytes }, congested ? 'outbound backlog high: congested' : 'outbound backlog drained');
    this.safeEmit(congested ? 'congested' : 'drain', bytes);
  }

  private subscribe<K extends keyof HerdNodeEvents>(event: K, cb: (...args: HerdNodeEvents[K]) => void): () => void {
    this.on(event, cb as never);
    return () => this.off(event, cb as never);
  }

  /** A throwing listener must not break libp2p's event dispatch or the validator. */
  private safeEmit<K extends keyof HerdNodeEvents>(event: K, ...args: HerdNodeEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: HerdNodeEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error({ err, event }, 'listener failed');
    }
  }
}

/**
 * libp2p's listen failure is a paragraph with stack traces; the line naming the address and
 * the socket error ("/ip4/.../tcp/N: Error: listen EADDRINUSE ...") is the one that matters.
 */
function oneLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^\/\S+: /.test(l)) ?? lines[0] ?? 'unknown error';
}

function neighbourList(herd: HerdConfig, self: MemberConfig): Neighbour[] {
  return neighboursOf(herd, self.name).map((name) => {
    const m = herd.members.find((x) => x.name === name)!; // parseHerd checked every link end
    const peerId = peerIdFromString(m.peerId);
    return { name, peerId, address: dialAddress(m.host, m.p2pPort).encapsulate(`/p2p/${m.peerId}`), dials: dialsTo(self.peerId, m.peerId) };
  });
}

function gaterPolicy(neighbours: readonly Neighbour[]) {
  const dialable = neighbours.filter((n) => n.dials);
  return {
    neighbours: new Map(neighbours.map((n) => [n.peerId.toString(), n.name])),
    dialable: new Set(dialable.map((n) => n.peerId.toString())),
    dialAddresses: new Set(dialable.map((n) => withoutPeerId(n.address))),
  };
}

function gossipOptions(neighbours: readonly Neighbour[], tuning: HerdNodeTuning = {}): Parameters<typeof gossipsub>[0] {
  return {
    globalSignaturePolicy: 'StrictSign',
    allowPublishToZeroTopicPeers: true, // a member with every link down still answers IAMAT
    emitSelf: false,
    fallbackToFloodsub: false, // every member speaks gossipsub; one protocol less to negotiate
    directPeers: tuning.directPeers === false ? [] : neighbours.map((n) => ({ id: n.peerId, addrs: [n.address.decapsulateCode(421)] })),
    directConnectTicks: DIRECT_CONNECT_TICKS,
    heartbeatInterval: tuning.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    maxOutboundBufferSize: MAX_OUTBOUND_BUFFER_BYTES,
    fastMsgIdFn: fastMessageId,
    msgIdFn: messageId,
    // Every member of a demo herd shares one IP; colocation is no sign of a Sybil here.
    scoreParams: { IPColocationFactorWeight: 0 },
  };
}

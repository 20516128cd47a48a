/**
 * The running libp2p side of a member: wires the parts that do the work (publish.ts, receive.ts,
 * signerOnLink.ts, gossipTrees.ts, links.ts, gossipReady.ts, backlog.ts) around one libp2p
 * node, and is what the rest of the member sees: a record sink, flow control for the client
 * adapter, link and gossip events, and the views /status shows. Started by `startHerdNode`
 * (node.ts).
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import type { FlowControl, Logger, RecordSink } from '../../core/ports.js';
import type { LocationStore } from '../../core/store.js';
import type { LocationRecord } from '../../protocol/record.js';
import { backlogOf, CongestionGauge, type Backlog } from './backlog.js';
import type { GossipsubTuning, HerdServices } from './buildLibp2p.js';
import { LOCATIONS_TOPIC } from './constants.js';
import { GossipReadiness } from './gossipReady.js';
import { GossipTrees } from './gossipTrees.js';
import { gossipViewOf, type GossipView } from './gossipView.js';
import { LinkManager, type LinkInfo, type LinkTuning, type Neighbour } from './links.js';
import { GossipPublisher } from './publish.js';
import { GossipReceiver, type StoredMessage } from './receive.js';
import { SafeEmitter } from './safeEmitter.js';
import { trustSignerOnItsLink } from './signerOnLink.js';
import { PeerNames, type HerdTopology } from './topology.js';
import { newGossipCounters, type GossipCounters } from './validate.js';

export interface HerdNodeTuning extends GossipsubTuning {
  readonly outboxMaxRecords?: number;
  readonly outboxMaxBytes?: number;
  /** The share of its event loop busy that pacing steers a member towards (PACING_DEFAULTS.targetLoad). */
  readonly pacingTargetLoad?: number;
  readonly congestionHighBytes?: number;
  readonly congestionLowBytes?: number;
  readonly links?: LinkTuning;
}

export interface HerdNodeInit {
  readonly topology: HerdTopology;
  readonly privateKey: PrivateKey;
  readonly store: LocationStore;
  readonly log: Logger;
  readonly tuning?: HerdNodeTuning;
  /** CIDRs or addresses inbound peer connections may also come from (neighbours behind NAT). */
  readonly allowFrom?: readonly string[];
}

export interface HerdNodeEvents {
  /** The link is connected and gossip to the neighbour flows (see `onLinkUp`). */
  'link:up': [name: string, peerId: string];
  'link:down': [name: string, peerId: string];
  /** A neighbour became this member's child in some origin's gossip tree: sync with it. */
  'tree:child': [peerId: string];
  /** A gossip message stored records. */
  'message:stored': [message: StoredMessage];
  congested: [backlogBytes: number];
  drain: [backlogBytes: number];
}

export class HerdNode extends SafeEmitter<HerdNodeEvents> implements RecordSink, FlowControl {
  readonly name: string;
  readonly peerId: string;
  readonly topic = LOCATIONS_TOPIC;
  readonly counters: GossipCounters = newGossipCounters();
  /** Peer ID -> member name, for the herd and for the linked neighbours. */
  readonly names: PeerNames;
  private readonly pubsub: GossipSub;
  private readonly linkManager: LinkManager;
  private readonly receiver: GossipReceiver;
  private readonly publisher: GossipPublisher;
  private readonly readiness: GossipReadiness;
  private readonly gauge: CongestionGauge;
  private readonly trees: GossipTrees;
  private stopped = false;
  /** performance.now() when a gossip message last went out or came in with records. */
  private lastGossipAt = Number.NEGATIVE_INFINITY;

  constructor(
    init: HerdNodeInit,
    readonly libp2p: Libp2p<HerdServices>,
    neighbours: readonly Neighbour[],
    private readonly log: Logger,
  ) {
    super(log);
    const { topology } = init;
    this.name = topology.self.name;
    this.peerId = topology.self.peerId;
    this.names = new PeerNames(topology);
    this.pubsub = libp2p.services.pubsub as unknown as GossipSub;
    const t = init.tuning ?? {};
    const { topic, counters, pubsub, names } = this;
    trustSignerOnItsLink(pubsub, topic, counters);
    this.trees = new GossipTrees({
      pubsub,
      topic,
      topology,
      names,
      log,
      onNewChild: (peerId) => this.safeEmit('tree:child', peerId),
    });
    this.receiver = new GossipReceiver({
      names,
      store: init.store,
      counters,
      log,
      onStored: (message) => {
        this.lastGossipAt = performance.now();
        this.safeEmit('message:stored', message);
      },
    });
    this.publisher = new GossipPublisher({
      pubsub,
      topic,
      counters,
      log,
      outboxMaxRecords: t.outboxMaxRecords,
      outboxMaxBytes: t.outboxMaxBytes,
      pacingTargetLoad: t.pacingTargetLoad,
      onBacklogChange: () => this.gauge.check(),
    });
    this.gauge = new CongestionGauge({
      measure: () => this.backlogBytes(),
      onChange: (congested, bytes) => this.congestionChanged(congested, bytes),
      highBytes: t.congestionHighBytes,
      lowBytes: t.congestionLowBytes,
    });
    this.readiness = new GossipReadiness(
      pubsub,
      topic,
      log,
      (name, peerId) => this.safeEmit('link:up', name, peerId),
      (name, peerId, late) => {
        this.trees.linkFlowing(name);
        // Gossip began to flow after the link was reported up (and synced): records sent to it
        // meanwhile were dropped, so sync again.
        if (late) this.safeEmit('tree:child', peerId);
      },
    );
    this.linkManager = new LinkManager({
      libp2p,
      neighbours,
      log,
      tuning: t.links,
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
    this.lastGossipAt = performance.now();
    this.publisher.push(record);
  }

  /** ms since this member last published or stored gossip records: records may be in flight until a while after. */
  gossipQuietMs(): number {
    return performance.now() - this.lastGossipAt;
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

  /** Calls `cb` for each accepted gossip message: its origin, how many records it stored, its payload. */
  onMessageStored(cb: (message: StoredMessage) => void): () => void {
    return this.subscribe('message:stored', cb);
  }

  /** FlowControl: true while the outbound backlog is above the high-water mark: stop reading clients. */
  get congested(): boolean {
    return this.gauge.congested;
  }

  /** FlowControl: calls `cb` each time congestion ends; returns an unsubscribe function. */
  onDrain(cb: () => void): () => void {
    return this.subscribe('drain', () => cb());
  }

  /** Bytes queued on the way out: outbox, signing, gossipsub queues, muxer queues. */
  backlogBytes(): number {
    return this.backlog().total;
  }

  backlog(): Backlog {
    return backlogOf(this.publisher, this.pubsub.streamsOutbound.values(), this.libp2p.getConnections());
  }

  gossipView(): GossipView {
    return gossipViewOf(this.pubsub, this.topic);
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
}

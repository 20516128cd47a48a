/**
 * Gossip trees, wired: this member's link reports (published on LINKS_TOPIC when its links
 * change, and every LINK_REPORT_REFRESH_MS), the other members' reports (the topic's
 * validator), the view they make (linkState.ts) and the hook that keeps gossipsub's
 * forwarding of `topic` to the trees (treeForwarding.ts).
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import { TopicValidatorResult, type Message } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Logger } from '../../core/ports.js';
import { LINK_REPORT_REFRESH_MS, LINKS_TOPIC } from './constants.js';
import { LinkStateBook } from './linkState.js';
import type { HerdTopology, PeerNames } from './topology.js';
import { forwardOnly, TreeRouter } from './treeForwarding.js';

export interface GossipTreesInit {
  readonly pubsub: GossipSub;
  /** The topic whose messages follow the trees. */
  readonly topic: string;
  readonly topology: HerdTopology;
  readonly names: PeerNames;
  readonly log: Logger;
  /** A neighbour became this member's child in some origin's tree: sync with it. */
  readonly onNewChild: (peerId: string) => void;
}

export class GossipTrees {
  private readonly book: LinkStateBook;
  private readonly router: TreeRouter;
  /** Neighbours whose link is up and carries gossip. */
  private readonly flowing = new Set<string>();
  private reportPending = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly init: GossipTreesInit) {
    const { self, neighbours, members, links } = init.topology;
    this.book = new LinkStateBook(self.name, links);
    this.router = new TreeRouter({
      self: self.name,
      neighbours: neighbours.map((n) => n.name),
      book: this.book,
      onNewChild: init.onNewChild,
      members: members.map((m) => ({ name: m.name, peerId: m.peerId, from: peerIdFromString(m.peerId).toMultihash().bytes })),
    });
  }

  /** Before libp2p starts: the hook and the validator. After: `subscribe`. */
  install(): void {
    forwardOnly(this.init.pubsub, this.init.topic, (from) => this.router.skipFor(from));
    this.init.pubsub.topicValidators.set(LINKS_TOPIC, (_source, msg) => this.take(msg));
  }

  subscribe(): void {
    this.init.pubsub.subscribe(LINKS_TOPIC);
    this.timer = setInterval(() => this.report(), LINK_REPORT_REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  linkFlowing(name: string): void {
    this.flowing.add(name);
    this.ownLinksChanged();
  }

  linkLost(name: string): void {
    this.flowing.delete(name);
    this.ownLinksChanged();
  }

  private ownLinksChanged(): void {
    if (!this.book.setOwn(this.flowing)) return;
    this.router.recompute();
    this.report();
  }

  /** Publishes this member's report at the end of the turn (several changes, one report). */
  private report(): void {
    if (this.reportPending || this.stopped) return;
    this.reportPending = true;
    setImmediate(() => {
      this.reportPending = false;
      if (this.stopped) return;
      this.init.pubsub.publish(LINKS_TOPIC, this.book.ownReport()).catch((err: unknown) => this.init.log.debug({ err }, 'link report not published'));
    });
  }

  private take(msg: Message): TopicValidatorResult {
    const member = msg.type === 'signed' ? this.init.names.signer(msg.from) : undefined;
    if (member === undefined) return TopicValidatorResult.Reject;
    const verdict = this.book.take(member, msg.data);
    if (verdict === 'invalid') return TopicValidatorResult.Reject;
    if (verdict === 'stale') return TopicValidatorResult.Ignore;
    this.router.recompute();
    // A member that (re)started knows nobody's links yet: tell it ours.
    if (verdict === 'first') this.report();
    return TopicValidatorResult.Accept;
  }
}

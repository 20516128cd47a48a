/**
 * When gossip to a newly connected neighbour flows: gossipsub knows its subscription and has
 * an outbound stream to it. There is no event for that, so connected links are polled until
 * it holds, or reported anyway after GOSSIP_READY_TIMEOUT_MS (a neighbour that never
 * subscribes still gets its sync round).
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { Logger } from '../../core/ports.js';
import { GOSSIP_READY_POLL_MS, GOSSIP_READY_TIMEOUT_MS } from './constants.js';

export class GossipReadiness {
  /** Connected neighbours whose gossip is not flowing yet: peer ID to name and since when. */
  private readonly awaiting = new Map<string, { name: string; since: number }>();
  private poll: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly pubsub: GossipSub, private readonly topic: string, private readonly log: Logger,
    private readonly onReady: (name: string, peerId: string) => void) {}

  linkConnected(name: string, peerId: string): void {
    this.awaiting.set(peerId, { name, since: Date.now() });
    this.check();
  }

  linkLost(peerId: string): void {
    this.awaiting.delete(peerId);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.poll);
    this.awaiting.clear();
  }

  private check(): void {
    clearTimeout(this.poll);
    this.poll = undefined;
    if (this.stopped) return;
    const subscribers = new Set(this.pubsub.getSubscribers(this.topic).map(String));
    for (const [peerId, { name, since }] of this.awaiting) {
      const flows = subscribers.has(peerId) && this.pubsub.streamsOutbound.has(peerId);
      if (!flows && Date.now() - since < GOSSIP_READY_TIMEOUT_MS) continue;
      this.awaiting.delete(peerId);
      if (flows) this.log.debug({ neighbour: name, afterMs: Date.now() - since }, 'gossip flows to neighbour');
      else this.log.warn({ neighbour: name, afterMs: Date.now() - since }, 'neighbour has not subscribed to the topic; reporting the link up anyway');
      this.onReady(name, peerId);
    }
    if (this.awaiting.size > 0) this.poll = setTimeout(() => this.check(), GOSSIP_READY_POLL_MS);
  }
}

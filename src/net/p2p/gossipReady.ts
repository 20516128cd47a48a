/**
 * When gossip to a newly connected neighbour flows: gossipsub knows its subscription and has
 * an outbound stream to it. There is no event for that, so connected links are polled until
 * it holds. `onReady` fires then, or anyway after GOSSIP_READY_TIMEOUT_MS (a neighbour that
 * never subscribes still gets its sync round); `onFlowing` fires when gossip flows, however
 * late, because only then can the gossip trees count on the link.
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { Logger } from '../../core/ports.js';
import { GOSSIP_LATE_POLL_MS, GOSSIP_READY_POLL_MS, GOSSIP_READY_TIMEOUT_MS } from './constants.js';

export class GossipReadiness {
  /** Connected neighbours whose gossip is not flowing yet: peer ID to name, since when, and whether `onReady` fired. */
  private readonly awaiting = new Map<string, { name: string; since: number; reported: boolean }>();
  private poll: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pubsub: GossipSub,
    private readonly topic: string,
    private readonly log: Logger,
    private readonly onReady: (name: string, peerId: string) => void,
    /** `late`: `onReady` fired before, at the timeout. */
    private readonly onFlowing: (name: string, peerId: string, late: boolean) => void,
  ) {}

  linkConnected(name: string, peerId: string): void {
    this.awaiting.set(peerId, { name, since: Date.now(), reported: false });
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
    for (const [peerId, entry] of this.awaiting) {
      const { name, since } = entry;
      const flows = subscribers.has(peerId) && this.pubsub.streamsOutbound.has(peerId);
      if (flows) {
        this.awaiting.delete(peerId);
        this.log.debug({ neighbour: name, afterMs: Date.now() - since }, 'gossip flows to neighbour');
        if (!entry.reported) this.onReady(name, peerId);
        this.onFlowing(name, peerId, entry.reported);
      } else if (!entry.reported && Date.now() - since >= GOSSIP_READY_TIMEOUT_MS) {
        entry.reported = true;
        this.log.warn({ neighbour: name, afterMs: Date.now() - since }, 'neighbour has not subscribed to the topic; reporting the link up anyway');
        this.onReady(name, peerId);
      }
    }
    if (this.awaiting.size === 0) return;
    const allLate = [...this.awaiting.values()].every((e) => e.reported);
    this.poll = setTimeout(() => this.check(), allLate ? GOSSIP_LATE_POLL_MS : GOSSIP_READY_POLL_MS);
  }
}

/**
 * When outbound sync rounds run: with every connected neighbour each interval, with the other
 * neighbours soon after a round taught us something, and on demand (`syncWith`), never more
 * than one at a time per peer.
 */
import type { SyncResult } from './syncRound.js';

export interface SchedulerInit {
  readonly intervalMs: number;
  readonly learnDebounceMs: number;
  /** Peer ID strings of the linked neighbours connected now. */
  readonly connected: () => string[];
  /** Runs one outbound round with the peer; counts and logs its own failures. */
  readonly round: (peerId: string) => Promise<SyncResult>;
}

/** An outbound round with one peer and at most one queued behind it. */
interface PeerSlot {
  readonly running: Promise<SyncResult>;
  queued?: Promise<SyncResult>;
}

const ignore = (): void => {};

export class SyncScheduler {
  private running = false;
  private interval?: NodeJS.Timeout;
  private pushTimer?: NodeJS.Timeout;
  private learnedFrom = new Set<string>();
  private readonly slots = new Map<string, PeerSlot>();

  constructor(private readonly init: SchedulerInit) {}

  start(): void {
    this.running = true;
    this.interval = setInterval(() => this.syncAll(this.init.connected()), this.init.intervalMs);
    this.interval.unref(); // a repair timer must not keep the process alive
  }

  stop(): void {
    this.running = false;
    clearInterval(this.interval);
    clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    this.learnedFrom.clear();
  }

  /**
   * One round with `peerId`. While a round with it runs, callers share a single queued round
   * that starts when it ends: the running round's digest may predate what the caller knows.
   */
  syncWith(peerId: string): Promise<SyncResult> {
    const slot = this.slots.get(peerId);
    if (!slot) return this.begin(peerId);
    slot.queued ??= slot.running.then(ignore, ignore).then(() => this.begin(peerId));
    return slot.queued;
  }

  /** Learned records go on to the other neighbours soon, not at the next periodic round. */
  learnedFromPeer(peerId: string): void {
    this.learnedFrom.add(peerId);
    if (this.pushTimer || !this.running) return;
    this.pushTimer = setTimeout(() => this.pushLearned(), this.init.learnDebounceMs);
    this.pushTimer.unref();
  }

  private begin(peerId: string): Promise<SyncResult> {
    const running = this.init.round(peerId);
    const slot: PeerSlot = { running };
    this.slots.set(peerId, slot);
    // Leave the slot in place if a round is queued: it replaces the slot when it begins.
    void running.then(ignore, ignore).then(() => {
      if (this.slots.get(peerId) === slot && slot.queued === undefined) this.slots.delete(peerId);
    });
    return running;
  }

  /** Background rounds: failures are already counted and logged. */
  private syncAll(peerIds: Iterable<string>): void {
    for (const peerId of peerIds) this.syncWith(peerId).catch(ignore);
  }

  private pushLearned(): void {
    const sources = this.learnedFrom;
    this.learnedFrom = new Set();
    this.pushTimer = undefined;
    // With one source it already has everything we learned; with several, each lacks the others'.
    const skip = sources.size === 1 ? sources : new Set<string>();
    this.syncAll(this.init.connected().filter((peerId) => !skip.has(peerId)));
  }
}

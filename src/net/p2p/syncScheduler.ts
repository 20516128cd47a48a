/**
 * When outbound sync rounds run, and which kind:
 * - on demand (`syncWith`: a link came up, a neighbour became a tree child): a digest round
 *   that sends every record the other side lacks;
 * - each interval, with every connected neighbour not in a round already: a repair round that
 *   leaves out records younger than `settleMs`, which gossip is still carrying; while gossip
 *   flows (`busy`), at most every `repairMaxDelayMs` (records in flight touch every bucket, and
 *   the round sends the settled records of every bucket that differs: the whole store);
 * - soon after a round taught us records: a push of exactly those to the other neighbours.
 * Digest rounds with one peer run one at a time, and so do pushes.
 */
import type { RoundRequest, SyncResult } from './syncRound.js';

export interface SchedulerInit {
  readonly intervalMs: number;
  readonly learnDebounceMs: number;
  /** The periodic rounds' settle time, ms. */
  readonly settleMs: number;
  /** More learned records than this go on by a digest round, not a push. */
  readonly pushMaxRecords: number;
  /** Periodic rounds wait while `busy()`, but never longer than this since the last ones, ms. */
  readonly repairMaxDelayMs: number;
  readonly busy: () => boolean;
  /** Peer ID strings of the linked neighbours connected now. */
  readonly connected: () => string[];
  /** Runs one outbound round with the peer; counts and logs its own failures. */
  readonly round: (peerId: string, request: RoundRequest) => Promise<SyncResult>;
}

/** An outbound round with one peer and at most one queued behind it. */
interface PeerSlot {
  readonly running: Promise<SyncResult>;
  queued?: Promise<SyncResult>;
}

const ignore = (): void => {};

export class SyncScheduler {
  private running = false;
  private lastRepairAt = performance.now();
  private interval?: NodeJS.Timeout;
  private pushTimer?: NodeJS.Timeout;
  /** AT lines learned since the last push, and the peer each batch came from. */
  private learned: Array<{ readonly from: string; readonly atLines: readonly string[] }> = [];
  private readonly slots = new Map<string, PeerSlot>();
  private readonly pushes = new Map<string, Promise<unknown>>();

  constructor(private readonly init: SchedulerInit) {}

  start(): void {
    this.running = true;
    this.interval = setInterval(() => this.repairAll(), this.init.intervalMs);
    this.interval.unref(); // a repair timer must not keep the process alive
  }

  stop(): void {
    this.running = false;
    clearInterval(this.interval);
    clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    this.learned = [];
  }

  /**
   * One round with `peerId`. While a round with it runs, callers share a single queued round
   * that starts when it ends: the running round's digest may predate what the caller knows.
   */
  syncWith(peerId: string): Promise<SyncResult> {
    const slot = this.slots.get(peerId);
    if (!slot) return this.begin(peerId, CATCH_UP);
    slot.queued ??= slot.running.then(ignore, ignore).then(() => this.begin(peerId, CATCH_UP));
    return slot.queued;
  }

  /** Learned records go on to the other neighbours soon, not at the next periodic round. */
  learnedFromPeer(peerId: string, atLines: readonly string[]): void {
    this.learned.push({ from: peerId, atLines });
    if (this.pushTimer || !this.running) return;
    this.pushTimer = setTimeout(() => this.pushLearned(), this.init.learnDebounceMs);
    this.pushTimer.unref();
  }

  private begin(peerId: string, request: RoundRequest): Promise<SyncResult> {
    const running = this.init.round(peerId, request);
    const slot: PeerSlot = { running };
    this.slots.set(peerId, slot);
    // Leave the slot in place if a round is queued: it replaces the slot when it begins.
    void running.then(ignore, ignore).then(() => {
      if (this.slots.get(peerId) === slot && slot.queued === undefined) this.slots.delete(peerId);
    });
    return running;
  }

  /** Background rounds: failures are already counted and logged. A peer in a round is skipped. */
  private repairAll(): void {
    if (this.init.busy() && performance.now() - this.lastRepairAt < this.init.repairMaxDelayMs) return;
    this.lastRepairAt = performance.now();
    const request = { settleMs: this.init.settleMs };
    for (const peerId of this.init.connected()) if (!this.slots.has(peerId)) this.begin(peerId, request).catch(ignore);
  }

  /** Each neighbour gets what we learned from the others (the source has it already). */
  private pushLearned(): void {
    const learned = this.learned;
    this.learned = [];
    this.pushTimer = undefined;
    for (const peerId of this.init.connected()) {
      const atLines = learned.filter((batch) => batch.from !== peerId).flatMap((batch) => batch.atLines);
      if (atLines.length > this.init.pushMaxRecords) this.syncWith(peerId).catch(ignore);
      else if (atLines.length > 0) this.pushTo(peerId, atLines);
    }
  }

  private pushTo(peerId: string, atLines: readonly string[]): void {
    const push = (this.pushes.get(peerId) ?? Promise.resolve()).then(() => this.init.round(peerId, { push: atLines })).catch(ignore);
    this.pushes.set(peerId, push);
    void push.then(() => {
      if (this.pushes.get(peerId) === push) this.pushes.delete(peerId);
    });
  }
}

/** A round that sends every record the other side lacks, young ones included. */
const CATCH_UP: RoundRequest = { settleMs: 0 };

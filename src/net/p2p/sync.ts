/**
 * Catch-up (anti-entropy) between linked members over the libp2p stream protocol
 * `/herd/sync/2.0.0`: after a link comes up, periodically, and whenever a round taught us
 * something (records are gossiped only by their origin member, so a member that was cut off
 * can only learn them through sync, and must pass them on the same way).
 *
 * The service: the protocol handler, who may take part (linked neighbours only), each round's
 * deadline, and counting and logging how rounds end. When rounds run is syncScheduler.ts; one
 * round itself, the same on both sides, is syncRound.ts.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingStreamData, Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { StoreDigest } from '../../core/digest.js';
import type { Logger } from '../../core/ports.js';
import type { LocationStore } from '../../core/store.js';
import type { LocationRecord } from '../../protocol/record.js';
import { CatchUpGate } from './catchUpGate.js';
import { roundFailure, SyncError } from './syncError.js';
import { syncTuning, type SyncInit } from './syncOptions.js';
import { SyncScheduler } from './syncScheduler.js';
import { RoundProtocol, type Role, type RoundPeer, type RoundRequest, type SyncCounters, type SyncResult } from './syncRound.js';

export { SyncError, type SyncErrorCode } from './syncError.js';
export type { SyncCounters, SyncResult } from './syncRound.js';
export { SYNC_DEFAULTS, type SyncInit } from './syncOptions.js';

/** 2.0.0: the settle time and push rounds; a 1.0.0 member cannot sync with this one. */
export const SYNC_PROTOCOL = '/herd/sync/2.0.0';

/** The part of libp2p this service uses (a full `Libp2p` fits). */
export type SyncLibp2p = Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>;

/** The linked neighbours, as far as sync is concerned. */
export interface SyncNeighbours {
  /** The member name of a linked neighbour's peer ID, or undefined for anyone else. */
  nameOf(peerId: string): string | undefined;
  /** Peer ID strings of the linked neighbours currently connected. */
  connected(): string[];
  /** Whether this member is the end that dials the link to `peerId` (links.ts `dialsTo`). */
  dials(peerId: string): boolean;
}

/** What the service works with (js-libp2p's "components"). */
export interface SyncComponents {
  readonly libp2p: SyncLibp2p;
  readonly store: LocationStore;
  readonly log: Logger;
  readonly neighbours: SyncNeighbours;
  /** The store's digest, kept up to date as records are stored; by default one of our own. */
  readonly digest?: StoreDigest;
  /** ms since gossip last went out or came in; absent: always quiet. Periodic rounds wait for quiet (see SyncScheduler). */
  readonly gossipQuietMs?: () => number;
}

const ignore = (): void => {};

export class SyncService {
  readonly counters: SyncCounters = {
    rounds: 0,
    recordsReceived: 0,
    recordsSent: 0,
    failures: 0,
    recordsLearned: 0,
    framesSent: 0,
    bytesSent: 0,
  };

  private readonly libp2p: SyncLibp2p;
  private readonly log: Logger;
  private readonly neighbours: SyncNeighbours;
  private readonly tuning: ReturnType<typeof syncTuning>;
  private readonly rounds: RoundProtocol;
  /** One full digest round at a time until one completed (catchUpGate.ts). */
  private readonly gate = new CatchUpGate();
  private readonly scheduler: SyncScheduler;
  private readonly learnedListeners = new Set<(records: LocationRecord[], fromName: string) => void>();
  private readonly roundDoneListeners = new Set<(seconds: number) => void>();

  private stopController?: AbortController;
  private readonly inflight = new Set<Promise<unknown>>();
  /** Rounds each neighbour opened with us that have not ended. */
  private readonly inbound = new Map<string, Set<Promise<unknown>>>();
  /** Who waits for the next round a neighbour opens with us (see `catchUp`). */
  private readonly inboundWaiters = new Map<string, Set<(round: Promise<unknown>) => void>>();

  constructor(components: SyncComponents, init: SyncInit = {}) {
    this.libp2p = components.libp2p;
    this.log = components.log.child?.({ component: 'sync' }) ?? components.log;
    this.neighbours = components.neighbours;
    this.tuning = syncTuning(init);
    const { maxFrameBytes, bucketCount } = this.tuning;
    this.rounds = new RoundProtocol({
      store: components.store,
      digest: components.digest ?? new StoreDigest(components.store, bucketCount),
      maxFrameBytes,
      bucketCount,
      counters: this.counters,
      onLearned: (records, peer) => this.learned(records, peer),
      gate: this.gate,
      onPostponed: (peer) => void this.syncWith(peer.peerId).catch(ignore),
    });
    this.scheduler = new SyncScheduler({
      intervalMs: this.tuning.intervalMs,
      learnDebounceMs: this.tuning.learnDebounceMs,
      settleMs: this.tuning.settleMs,
      pushMaxRecords: this.tuning.pushMaxRecords,
      repairMaxDelayMs: this.tuning.repairMaxDelayMs,
      busy: () => (components.gossipQuietMs?.() ?? Number.POSITIVE_INFINITY) < this.tuning.settleMs,
      connected: () => this.neighbours.connected(),
      round: (peerId, request) => this.track(this.outboundRound(peerId, request)),
    });
  }

  /** Calls `cb` with the records a round taught us and the neighbour's name; returns an unsubscribe function. */
  onRecordsLearned(cb: (records: LocationRecord[], fromName: string) => void): () => void {
    this.learnedListeners.add(cb);
    return () => this.learnedListeners.delete(cb);
  }

  /** Calls `cb` with the duration of every completed round, either side (for metrics). */
  onRoundDone(cb: (seconds: number) => void): () => void {
    this.roundDoneListeners.add(cb);
    return () => this.roundDoneListeners.delete(cb);
  }

  async start(): Promise<void> {
    if (this.stopController) return;
    this.stopController = new AbortController();
    setMaxListeners(Infinity, this.stopController.signal); // one listener per round in flight
    await this.libp2p.handle(SYNC_PROTOCOL, (data) => this.handleInbound(data), {
      maxInboundStreams: this.tuning.maxInboundStreams,
    });
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    const controller = this.stopController;
    if (!controller) return;
    this.stopController = undefined;
    this.scheduler.stop();
    controller.abort(new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'));
    await this.libp2p.unhandle(SYNC_PROTOCOL).catch(ignore); // libp2p may already be stopping
    await Promise.allSettled([...this.inflight]);
  }

  /** One round with `peerId`, or a share in the one queued behind a running round (see SyncScheduler). */
  syncWith(peerId: string): Promise<SyncResult> {
    if (!this.stopController) return Promise.reject(new SyncError('ERR_SYNC_STOPPED', 'sync service is not running'));
    return this.scheduler.syncWith(peerId);
  }

  /**
   * A round with a neighbour that may lack records now: its link came up (gossip to it flows
   * from now on), or it became our child in a gossip tree. Both ends of a link that comes up
   * open one, so that each end's digest is taken after the link carries its gossip; but two
   * digest rounds at once each send every record the other end lacks (a restarted member
   * received its whole store two or three times over). So the end that dials the link opens
   * its round at once, and the other waits for that round to reach it and end (at most
   * `linkUpWaitMs` for it to begin) before opening its own, which then costs two small
   * digests. The dialling end never waits, so two members never wait for each other.
   * Resolves to undefined, with no round, when the link went down during the wait: its next
   * link-up brings a round of its own.
   */
  async catchUp(peerId: string): Promise<SyncResult | undefined> {
    if (this.neighbours.dials(peerId)) return this.syncWith(peerId);
    const running = this.inbound.get(peerId);
    await (running && running.size > 0 ? Promise.allSettled(running) : this.theirNextRound(peerId));
    return this.neighbours.connected().includes(peerId) ? this.syncWith(peerId) : undefined;
  }

  /** Settles once the next round `peerId` opens with us has ended, or when none began within linkUpWaitMs. */
  private theirNextRound(peerId: string): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.inboundWaiters.get(peerId) ?? new Set();
      this.inboundWaiters.set(peerId, waiters);
      const begun = (round: Promise<unknown>): void => {
        clearTimeout(timer);
        void round.then(
          () => resolve(),
          () => resolve(),
        );
      };
      const timer = setTimeout(() => {
        waiters.delete(begun);
        resolve();
      }, this.tuning.linkUpWaitMs);
      timer.unref();
      waiters.add(begun);
    });
  }

  private async outboundRound(peerId: string, request: RoundRequest): Promise<SyncResult> {
    if (!this.stopController) throw new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'); // a round queued before stop()
    const name = this.neighbours.nameOf(peerId);
    if (name === undefined) {
      this.counters.failures++;
      const err = new SyncError('ERR_SYNC_NOT_NEIGHBOUR', `${peerId} is not a linked neighbour`);
      this.log.warn({ peer: peerId, err }, 'sync refused: not a linked neighbour');
      throw err;
    }
    // Its turn first (catchUpGate.ts), outside the round's deadline: the round before may be long.
    const turn = 'push' in request ? undefined : await this.gate.openerTurn(this.stopController.signal).catch(() => undefined);
    if (!this.stopController) throw new SyncError('ERR_SYNC_STOPPED', 'sync service stopped');
    const { signal, done } = this.roundSignal();
    let completed = false;
    try {
      const stream = await this.libp2p.dialProtocol(peerIdFromString(peerId), SYNC_PROTOCOL, { signal });
      const result = await this.run(stream, 'opener', { peerId, name }, signal, request);
      completed = true;
      return result;
    } catch (cause) {
      throw this.failed(cause, signal, peerId, name);
    } finally {
      turn?.end(completed);
      done();
    }
  }

  /** The trust rule: only linked neighbours may sync, whatever the gater let through. */
  private handleInbound({ stream, connection }: IncomingStreamData): void {
    const peerId = connection.remotePeer.toString();
    const name = this.neighbours.nameOf(peerId);
    if (name === undefined || !this.stopController) {
      const err =
        name === undefined
          ? new SyncError('ERR_SYNC_NOT_NEIGHBOUR', `sync from ${peerId} refused: not a linked neighbour`)
          : new SyncError('ERR_SYNC_STOPPED', `sync from ${peerId} refused: service stopped`);
      this.log.warn({ peer: peerId, err }, 'sync stream refused');
      stream.abort(err); // a reset: the other side gets nothing of ours
      return;
    }
    // Concurrency per peer is bounded by maxInboundStreams; the opener coalesces its own rounds.
    const round = this.track(this.serveRound(stream, peerId, name));
    const running = this.inbound.get(peerId) ?? new Set();
    this.inbound.set(peerId, running.add(round));
    void round.catch(ignore).finally(() => running.delete(round));
    const waiters = this.inboundWaiters.get(peerId);
    this.inboundWaiters.delete(peerId);
    waiters?.forEach((begun) => begun(round));
  }

  private async serveRound(stream: Stream, peerId: string, name: string): Promise<SyncResult> {
    const { signal, done } = this.roundSignal();
    try {
      return await this.run(stream, 'answerer', { peerId, name }, signal);
    } catch (cause) {
      throw this.failed(cause, signal, peerId, name);
    } finally {
      done();
    }
  }

  /** One round, counted and timed once it completed. */
  private async run(stream: Stream, role: Role, peer: RoundPeer, signal: AbortSignal, request?: RoundRequest): Promise<SyncResult> {
    const startedAt = performance.now();
    const result = await this.rounds.exchange(stream, role, peer, signal, request);
    this.counters.rounds++;
    for (const cb of this.roundDoneListeners) cb((performance.now() - startedAt) / 1000);
    return result;
  }

  private learned(records: LocationRecord[], peer: RoundPeer): void {
    this.scheduler.learnedFromPeer(
      peer.peerId,
      records.map((r) => r.atLine),
    );
    for (const cb of this.learnedListeners) {
      try {
        cb(records, peer.name);
      } catch (err) {
        this.log.error({ peer: peer.name, err }, 'onRecordsLearned threw');
      }
    }
  }

  /** A signal that fires at the round's deadline or when the service stops. */
  private roundSignal(): { signal: AbortSignal; done: () => void } {
    const { timeoutMs } = this.tuning;
    const stop = this.stopController?.signal ?? AbortSignal.abort(new SyncError('ERR_SYNC_STOPPED', 'sync service stopped'));
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(new SyncError('ERR_SYNC_TIMEOUT', `sync round exceeded ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref(); // the round's sockets keep the process alive while it matters
    const signal = AbortSignal.any([stop, deadline.signal]);
    setMaxListeners(Infinity, signal); // libp2p's dial and each pending read/write listen on it
    return { signal, done: () => clearTimeout(timer) };
  }

  /** Counts and logs a failed round; returns the error for the caller. */
  private failed(cause: unknown, signal: AbortSignal, peerId: string, name: string): SyncError {
    const err = roundFailure(cause, signal);
    if (err.code === 'ERR_SYNC_STOPPED') return err; // our own shutdown, not the peer's fault
    this.counters.failures++;
    this.log.warn({ peer: name, peerId, err }, 'sync round failed');
    return err;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.then(ignore, ignore).finally(() => this.inflight.delete(work));
    return work;
  }
}

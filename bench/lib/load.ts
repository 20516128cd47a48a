/**
 * Load generators for throughput: many connections, each a unique client id per IAMAT (so a
 * member's store size counts exactly the updates that reached it). Replies are only counted
 * (one line each) and checked to start with "AT"; no per-request promises, so the generator
 * spends its CPU on the wire rather than on bookkeeping.
 */
import { connect, type Socket } from 'node:net';
import { BENCH_LOCATION, nextTime } from './client.js';

export interface LoadResult {
  sent: number;
  acked: number;
  /** Replies that were not `AT ...` (a `?`): should stay 0. */
  bad: number;
  /** Times socket.write said "stop" (the member was not reading fast enough). */
  writeStalls: number;
  /** Time spent waiting for 'drain' after such a stop, summed over connections, ms. */
  stalledMs: number;
  /** performance.now() of the last reply received. */
  lastAckAt: number;
  /** Connections that broke or had to be cut at the time limit. */
  failed: number;
}

export const emptyResult = (): LoadResult => ({ sent: 0, acked: 0, bad: 0, writeStalls: 0, stalledMs: 0, lastAckAt: 0, failed: 0 });

export function addResults(results: readonly LoadResult[]): LoadResult {
  const total = emptyResult();
  for (const r of results) {
    total.sent += r.sent;
    total.acked += r.acked;
    total.bad += r.bad;
    total.writeStalls += r.writeStalls;
    total.stalledMs += r.stalledMs;
    total.failed += r.failed;
    total.lastAckAt = Math.max(total.lastAckAt, r.lastAckAt);
  }
  return total;
}

/** One load connection: makes lines, counts replies. */
class LoadConnection {
  readonly result = emptyResult();
  private seq = 0;
  private atLineStart = true;

  /** `pool`: how many client ids to cycle through; unbounded (a new id per line) by default. */
  constructor(
    readonly socket: Socket,
    private readonly prefix: string,
    private readonly pool = Number.POSITIVE_INFINITY,
  ) {}

  static open(port: number, prefix: string, pool?: number): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new LoadConnection(socket, prefix, pool));
      });
      socket.once('error', reject);
    });
  }

  /** `count` IAMAT lines, each newer than any before (and a new client id unless pooled). */
  lines(count: number): string {
    let text = '';
    for (let i = 0; i < count; i++) text += `IAMAT ${this.prefix}-${this.seq++ % this.pool} ${BENCH_LOCATION} ${nextTime()}\n`;
    this.result.sent += count;
    return text;
  }

  /** Counts the complete replies in a chunk; returns how many. */
  count(chunk: Buffer): number {
    let replies = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.atLineStart && byte !== 0x41 /* A */) this.result.bad++;
      this.atLineStart = byte === 0x0a;
      if (this.atLineStart) replies++;
    }
    this.result.acked += replies;
    if (replies > 0) this.result.lastAckAt = performance.now();
    return replies;
  }

  /** Resolves once the member closed the connection, or after `timeoutMs` (then cut). */
  closed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      const timer = setTimeout(() => {
        this.result.failed++;
        this.socket.destroy();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** No load phase runs longer: also the limit when only a count is given. */
const MAX_LOAD_MS = 10 * 60_000;

export interface WindowedOptions {
  readonly port: number;
  readonly prefix: string;
  /** IAMATs outstanding (sent, not yet answered) on this connection. */
  readonly window: number;
  /** performance.now() after which no new IAMAT is sent. */
  readonly until: number;
  /** Send at most this many IAMATs in all (default: no limit but `until`). */
  readonly count?: number;
  /** Longest wait for the last replies after `until`. */
  readonly drainTimeoutMs?: number;
}

/**
 * Sustained load: keeps `window` IAMATs outstanding; each batch of replies is refilled with
 * one write of as many new lines. Half-closes at `until` and waits for the member to finish.
 */
export async function windowed(options: WindowedOptions): Promise<LoadResult> {
  const conn = await LoadConnection.open(options.port, options.prefix);
  const { socket } = conn;
  socket.on('error', () => {}); // counted via `failed` when the close never comes in time
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  const more = (n: number) => Math.min(n, limit - conn.result.sent);
  socket.on('data', (chunk: Buffer) => {
    const replies = conn.count(chunk);
    if (socket.writableEnded) return;
    const due = more(replies);
    if (due > 0 && performance.now() < options.until) socket.write(conn.lines(due));
    else if (performance.now() >= options.until || conn.result.acked >= limit) socket.end();
  });
  socket.write(conn.lines(more(options.window)));
  // If the member never answers, the end still comes from here (a count alone ends by replies).
  const untilMs = Math.min(Math.max(0, options.until - performance.now()), MAX_LOAD_MS);
  const stopper = setTimeout(() => socket.writableEnded || socket.end(), untilMs + 50);
  await conn.closed(untilMs + (options.drainTimeoutMs ?? 30_000));
  clearTimeout(stopper);
  return conn.result;
}

export interface BlastOptions {
  readonly port: number;
  readonly prefix: string;
  readonly until: number;
  /**
   * Client ids per connection, reported in turn with ever later times. Bounded, so the
   * members' stores stay small and their memory shows queues, not a growing data set.
   */
  readonly pool: number;
  /** IAMAT lines per write. */
  readonly linesPerWrite?: number;
}

/**
 * A flood: writes IAMATs as fast as the socket takes them, with no window. Only the socket's
 * own back-pressure stops it (write() returning false until 'drain'): if the member stops
 * reading, the kernel buffers fill and that is what holds the blaster back. Replies are read
 * all along, so the member is never blocked by us not reading. At `until` the connection is
 * cut: what the kernel still holds for the member (a few MiB per connection, mostly in our
 * own send buffer) is dropped unanswered, like a misbehaving client that leaves.
 * Only replies received count as acknowledged.
 */
export async function blast(options: BlastOptions): Promise<LoadResult> {
  const conn = await LoadConnection.open(options.port, options.prefix, options.pool);
  const { socket } = conn;
  const perWrite = options.linesPerWrite ?? 128;
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => conn.count(chunk));
  let stalledSince = 0;
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    timer = setTimeout(() => socket.destroy(), Math.max(0, options.until - performance.now()));
  });
  const pump = () => {
    // A bounded number of writes per turn so that replies are read in between.
    for (let i = 0; i < 64 && !socket.destroyed; i++) {
      if (!socket.write(conn.lines(perWrite))) {
        conn.result.writeStalls++;
        stalledSince = performance.now();
        socket.once('drain', () => {
          conn.result.stalledMs += performance.now() - stalledSince;
          pump();
        });
        return;
      }
    }
    if (!socket.destroyed) setImmediate(pump);
  };
  pump();
  await closed;
  clearTimeout(timer);
  // A stall still open at the cut counts up to the cut.
  if (stalledSince && socket.listenerCount('drain') > 0) conn.result.stalledMs += options.until - stalledSince;
  return conn.result;
}

/**
 * Exactly `count` fresh IAMATs at one member as fast as it answers: `connections` windowed
 * connections (500 outstanding each) sharing the count. For filling a store or a burst.
 */
export async function sendCount(port: number, prefix: string, count: number, connections = 4): Promise<LoadResult> {
  const per = Math.ceil(count / connections);
  const shares = Array.from({ length: connections }, (_, c) => Math.max(0, Math.min(per, count - c * per))).filter((n) => n > 0);
  return addResults(
    await Promise.all(
      shares.map((share, c) => windowed({ port, prefix: `${prefix}-${c}`, window: 500, count: share, until: Number.POSITIVE_INFINITY })),
    ),
  );
}

export interface PacedOptions {
  /** Members' client ports; a connection each (or `connectionsPerPort`), load spread evenly. */
  readonly ports: readonly number[];
  readonly connectionsPerPort?: number;
  readonly prefix: string;
  /** IAMATs per second over all connections. */
  readonly rate: number;
  readonly seconds: number;
  readonly drainTimeoutMs?: number;
}

/**
 * Open-loop load at a steady rate: every millisecond, what is due by then is written, spread
 * over the connections in turn, without waiting for replies. Unlike a closed loop, a slow
 * member does not slow the offered load down: it shows as latency and as replies behind.
 */
export async function paced(options: PacedOptions): Promise<LoadResult> {
  const perPort = options.connectionsPerPort ?? 1;
  const conns = await Promise.all(
    options.ports.flatMap((port, p) => Array.from({ length: perPort }, (_, c) => LoadConnection.open(port, `${options.prefix}-${p}-${c}`))),
  );
  for (const conn of conns) {
    conn.socket.on('error', () => {});
    conn.socket.on('data', (chunk: Buffer) => conn.count(chunk));
  }
  const total = Math.round(options.rate * options.seconds);
  const started = performance.now();
  let sent = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate)) - sent;
      // One write per connection per tick, however many lines are due.
      const share = Math.floor(due / conns.length);
      for (let i = 0; i < conns.length; i++) {
        const n = share + (i < due - share * conns.length ? 1 : 0);
        const conn = conns[(next + i) % conns.length]!;
        if (n > 0) conn.socket.write(conn.lines(n));
      }
      next = (next + due) % conns.length;
      sent += due;
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  for (const conn of conns) conn.socket.end();
  await Promise.all(conns.map((conn) => conn.closed(options.drainTimeoutMs ?? 30_000)));
  return addResults(conns.map((conn) => conn.result));
}

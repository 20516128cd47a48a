/**
 * The plain-text TCP edge: frames each connection's bytes into lines, hands them to the
 * member, and writes the replies back strictly in command order, a pass's replies in one write.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { FlowControl, LineHandler, Logger } from '../core/ports.js';
import { invalidReply, LineFramer } from '../protocol/index.js';
import { loggedCommands, type CommandLog, type CommandLogOf } from './commandLog.js';

export interface ClientServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: LineHandler;
  readonly log: Logger;
  readonly maxLineBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly flow?: FlowControl;
  /**
   * Makes durable what replies about to leave acknowledge (the record log's queued lines).
   * Called before replies go to the kernel, so a reply is never sent for a record a kill -9
   * could still lose.
   */
  readonly commit?: () => void;
  /** How each connection logs its commands; through `log` unless given (commandLog.ts). */
  readonly commands?: CommandLogOf;
}

export const CLIENT_DEFAULTS = {
  /** The protocol's default line cap. */
  maxLineBytes: 64 * 1024,
  /** A connection that sends nothing for this long is closed; real clients talk at once. */
  idleTimeoutMs: 5 * 60_000,
  /** Each connection costs a socket and buffers; beyond this new ones are closed at once. */
  maxConnections: 10_000,
  /** Commands awaiting replies on one connection before we stop handling its lines. */
  maxPendingReplies: 256,
  /**
   * Of those, replies still being computed (WHATSATs awaiting the places provider): each
   * becomes a reply of up to tens of KB, which a client that does not read makes the member
   * hold. Upstream calls are capped at 32 per member anyway (HERD_PLACES_CONCURRENCY).
   */
  maxAwaitedReplies: 8,
  /** How long one connection's lines may hold the thread before the others get a turn. */
  turnMs: 1,
  /** After the idle timeout ends a connection, it is destroyed this much later at most. */
  closeGraceMs: 1_000,
  /** How much of an overlong line the `? ` reply echoes. */
  overlongEchoBytes: 1024,
} as const;

export interface ClientCounters {
  connections: number;
  open: number;
  refused: number;
  overlong: number;
  idleClosed: number;
}

export class ClientServer {
  readonly counters: ClientCounters = { connections: 0, open: 0, refused: 0, overlong: 0, idleClosed: 0 };
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private nextId = 1;

  constructor(private readonly options: ClientServerOptions) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => options.log.error({ err }, 'client server error'));
    options.flow?.onDrain(() => this.connections.forEach((c) => c.resume()));
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('client server has no TCP address');
    return { host: address.address, port: address.port };
  }

  /**
   * Stops accepting; answers what every connection already sent, then closes it. Clients
   * that keep their side open are cut after `graceMs`.
   */
  async close(graceMs = 2_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const drained = Promise.all([...this.connections].map((c) => c.drainAndClose()));
    const timer = setTimeout(() => this.connections.forEach((c) => c.destroy()), graceMs);
    await drained;
    clearTimeout(timer);
    await closed;
  }

  /** Bytes waiting to go to clients, and the connections waiting for their client to read. */
  queues(): { bytes: number; blocked: number } {
    let bytes = 0;
    let blocked = 0;
    for (const connection of this.connections) {
      bytes += connection.queuedBytes;
      if (connection.blockedOnClient) blocked++;
    }
    return { bytes, blocked };
  }

  private accept(socket: Socket): void {
    const limit = this.options.maxConnections ?? CLIENT_DEFAULTS.maxConnections;
    if (this.connections.size >= limit) {
      this.counters.refused++;
      this.options.log.warn({ remote: remoteOf(socket), limit }, 'client refused: too many connections');
      socket.destroy();
      return;
    }
    const connection = new ClientConnection(socket, this.nextId++, this.options);
    this.counters.connections++;
    this.connections.add(connection);
    this.counters.open = this.connections.size;
    connection.onOverlong = () => this.counters.overlong++;
    connection.onIdleClose = () => this.counters.idleClosed++;
    socket.once('close', () => {
      this.connections.delete(connection);
      this.counters.open = this.connections.size;
    });
  }
}

function remoteOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** A reply slot: filled when the member answers, written when every earlier slot is. */
interface Slot {
  reply?: Buffer;
}

class ClientConnection {
  onOverlong: () => void = () => {};
  onIdleClose: () => void = () => {};
  private readonly framer: LineFramer;
  private readonly log: Logger;
  private readonly commands: CommandLog;
  private readonly slots: Slot[] = [];
  /** No more bytes are taken from the client: it half-closed, or the member is shutting down. */
  private inputStopped = false;
  /** Every line the member will answer has been handled. */
  private linesDone = false;
  /** Overlong line or idle timeout: no more lines are handled, and the member ends its side. */
  private closing = false;
  private ended = false;
  private pumping = false;
  private continueScheduled = false;
  /** Replies the handler is still computing. */
  private awaited = 0;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly options: ClientServerOptions,
  ) {
    this.framer = new LineFramer(options.maxLineBytes ?? CLIENT_DEFAULTS.maxLineBytes);
    this.log = options.log.child ? options.log.child({ conn: id }) : options.log;
    this.commands = (options.commands ?? loggedCommands(options.log))(id);
    this.log.info({ remote: remoteOf(socket) }, 'client connected');
    socket.setTimeout(options.idleTimeoutMs ?? CLIENT_DEFAULTS.idleTimeoutMs);
    socket.on('timeout', () => this.closeIdle());
    socket.on('data', (chunk: Buffer) => {
      // Once the member stops taking input (overlong line, idle, shutdown) it discards what comes.
      if (this.closing || this.inputStopped) return;
      this.framer.feed(chunk);
      this.pump();
    });
    socket.on('end', () => {
      if (!this.inputStopped) this.framer.finish();
      this.inputStopped = true;
      this.pump();
    });
    socket.on('drain', () => this.resume());
    socket.on('error', (err) => this.log.warn({ err }, 'client socket error'));
    socket.on('close', () => this.log.info({}, 'client disconnected'));
    this.updateReading();
  }

  /** Bytes waiting to go to this client: its socket's write queue and ready replies held back. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.slots.reduce((sum, slot) => sum + (slot.reply?.length ?? 0), 0);
  }

  /** True while the client is not reading its replies fast enough for the member to go on. */
  get blockedOnClient(): boolean {
    return !this.writeRoom();
  }

  /**
   * Answers the complete lines already received, then closes; used on shutdown. A partial
   * line is dropped: the client never ended it, nor its side.
   */
  drainAndClose(): Promise<void> {
    this.inputStopped = true;
    this.pump();
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Called when whatever held this connection back may have cleared. */
  resume(): void {
    this.flush();
    this.pump();
  }

  /**
   * Handles received lines until one of the limits says wait: 256 replies pending, 8 of them
   * still being computed, the socket's write queue at its high-water mark (the client is not
   * reading), or the gossip backlog. What is not handled stays in the framer, and the socket is not read meanwhile,
   * so a connection holds at most one read, one partial line and what its replies need.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // The replies to the lines of one pass leave in one write (writev): a syscall per reply
    // was the largest single cost of a member under pipelined load.
    this.socket.cork();
    try {
      const turnEnds = performance.now() + CLIENT_DEFAULTS.turnMs;
      while (!this.closing && !this.socket.destroyed && this.roomForReplies()) {
        if (performance.now() > turnEnds) {
          this.continueNextTurn();
          break;
        }
        const event = this.framer.next();
        if (!event) {
          this.linesDone = this.inputStopped;
          break;
        }
        if (event.type === 'line') this.onLine(event.bytes.toString('latin1'));
        else this.onOverlongLine(event.head);
      }
    } finally {
      this.uncork();
      this.pumping = false;
    }
    this.updateReading();
    this.endIfDone();
  }

  /** Lets other connections and timers run between passes (a read holds thousands of lines). */
  private continueNextTurn(): void {
    if (this.continueScheduled) return;
    this.continueScheduled = true;
    setImmediate(() => {
      this.continueScheduled = false;
      this.pump();
    });
  }

  private roomForReplies(): boolean {
    if (this.slots.length >= CLIENT_DEFAULTS.maxPendingReplies || this.awaited >= CLIENT_DEFAULTS.maxAwaitedReplies) return false;
    return !this.options.flow?.congested && this.hasWriteRoom();
  }

  /** Whether the write queue is below its high-water mark (where `write()` returns false). */
  private hasWriteRoom(): boolean {
    if (this.writeRoom()) return true;
    if (!this.pumping) return false;
    // Replies corked during this pass count against the mark too: send them, then look again.
    this.uncork();
    this.socket.cork();
    return this.writeRoom();
  }

  /** Sends the replies corked so far, once what they acknowledge is committed. */
  private uncork(): void {
    this.options.commit?.();
    this.socket.uncork();
  }

  private writeRoom(): boolean {
    return this.socket.writableLength < this.socket.writableHighWaterMark;
  }

  /** Reads only while every line read so far is handled and there is room for more replies. */
  private updateReading(): void {
    if (this.ended || this.inputStopped) return;
    if (!this.framer.hasInput && !this.closing && this.roomForReplies()) this.socket.resume();
    else this.socket.pause();
  }

  private onLine(line: string): void {
    this.commands.input(line);
    let reply: ReturnType<LineHandler['handle']>;
    try {
      reply = this.options.handler.handle(line);
    } catch (err) {
      // A bug in handling one line must not take the member down; answer it as invalid.
      this.log.error({ err, line }, 'handler failed');
      reply = invalidReply(line);
    }
    if (reply === undefined) return;
    const slot: Slot = {};
    this.slots.push(slot);
    if (Buffer.isBuffer(reply)) {
      slot.reply = reply;
      this.flush();
      return;
    }
    this.awaited++;
    reply
      .then(
        (bytes) => (slot.reply = bytes),
        (err: unknown) => {
          this.log.error({ err, line }, 'handler failed');
          slot.reply = invalidReply(line);
        },
      )
      .finally(() => {
        this.awaited--;
        this.flush();
        // More lines in a turn of their own: answers arriving in one burst must not chain
        // passes past every other connection.
        this.continueNextTurn();
      });
  }

  private onOverlongLine(head: Buffer): void {
    this.onOverlong();
    const echo = head.subarray(0, CLIENT_DEFAULTS.overlongEchoBytes);
    this.log.warn({ bytes: head.length, head: echo.subarray(0, 64).toString('latin1') }, 'overlong line: closing');
    this.slots.push({ reply: Buffer.concat([Buffer.from('? ', 'latin1'), echo, Buffer.from('\n')]) });
    this.closing = true;
    this.flush();
  }

  /**
   * The idle timeout: answers what is ready, ends the member's side, and destroys the socket
   * after a short grace whatever the client does, so its slot under the cap is freed.
   */
  private closeIdle(): void {
    if (this.ended) {
      // Our side is closed and the client has been silent for a whole timeout since.
      this.socket.destroy();
      return;
    }
    this.log.info({}, 'client idle: closing');
    this.onIdleClose();
    this.closing = true;
    this.flush();
    this.endIfDone();
    const grace = setTimeout(() => this.socket.destroy(), CLIENT_DEFAULTS.closeGraceMs);
    grace.unref();
    this.socket.once('close', () => clearTimeout(grace));
  }

  /** Writes the ready replies at the head of the queue while the socket takes them. */
  private flush(): void {
    // Outside a pass the socket is not corked: each write below goes out at once.
    if (!this.pumping) this.options.commit?.();
    while (this.slots.length > 0 && this.slots[0]!.reply && !this.socket.destroyed && this.hasWriteRoom()) {
      const reply = this.slots.shift()!.reply!;
      this.commands.reply(reply);
      this.socket.write(reply);
    }
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.ended || this.socket.destroyed || this.slots.length > 0) return;
    if (!this.closing && !this.linesDone) return;
    this.ended = true;
    this.inputStopped = true;
    this.socket.end();
    // Keep reading (and discarding) so the client's unread bytes never turn our close
    // into a reset that could destroy the replies still in flight.
    this.socket.resume();
  }
}

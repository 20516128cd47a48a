/**
 * The plain-text TCP edge: frames each connection's bytes into lines, hands them to the
 * member, and writes the replies back strictly in command order, one write per reply.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../core/ports.js';
import { invalidReply, LineFramer, type FrameEvent } from '../protocol/index.js';

export interface LineHandler {
  /** Answers one line (latin1); `undefined` means no reply (a blank line). */
  handle(line: string): Buffer | Promise<Buffer> | undefined;
}

/** Something that can tell the adapter to stop reading clients for a while (gossip backlog). */
export interface FlowControl {
  readonly congested: boolean;
  onDrain(listener: () => void): void;
}

export interface ClientServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: LineHandler;
  readonly log: Logger;
  readonly maxLineBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  readonly flow?: FlowControl;
}

export const CLIENT_DEFAULTS = {
  /** The protocol's default line cap. */
  maxLineBytes: 64 * 1024,
  /** A connection that sends nothing for this long is closed; real clients talk at once. */
  idleTimeoutMs: 5 * 60_000,
  /** Each connection costs a socket and buffers; beyond this new ones are closed at once. */
  maxConnections: 10_000,
  /** Commands awaiting replies on one connection before we stop reading it. */
  maxPendingReplies: 256,
  /** How much of an overlong line the `? ` reply echoes. */
  overlongEchoBytes: 1024,
} as const;

export interface ClientCounters {
  connections: number;
  open: number;
  refused: number;
  overlong: number;
}

export class ClientServer {
  readonly counters: ClientCounters = { connections: 0, open: 0, refused: 0, overlong: 0 };
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private nextId = 1;

  constructor(private readonly options: ClientServerOptions) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => options.log.error({ err }, 'client server error'));
    options.flow?.onDrain(() => this.connections.forEach((c) => c.resumeIfAllowed()));
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
  /** Set on the overlong reply: the connection closes after it. */
  last?: boolean;
}

class ClientConnection {
  onOverlong: () => void = () => {};
  private readonly framer: LineFramer;
  private readonly log: Logger;
  private readonly slots: Slot[] = [];
  private inputEnded = false;
  private closing = false;
  private writePaused = false;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly options: ClientServerOptions,
  ) {
    this.framer = new LineFramer(options.maxLineBytes ?? CLIENT_DEFAULTS.maxLineBytes);
    this.log = options.log.child ? options.log.child({ conn: id }) : options.log;
    this.log.info({ remote: remoteOf(socket) }, 'client connected');
    socket.setTimeout(options.idleTimeoutMs ?? CLIENT_DEFAULTS.idleTimeoutMs);
    socket.on('timeout', () => {
      this.log.info({}, 'client idle: closing');
      this.drainAndClose();
    });
    socket.on('data', (chunk: Buffer) => this.onEvents(this.framer.push(chunk)));
    socket.on('end', () => {
      this.onEvents(this.framer.end());
      this.inputEnded = true;
      this.flush();
    });
    socket.on('drain', () => {
      this.writePaused = false;
      this.resumeIfAllowed();
    });
    socket.on('error', (err) => this.log.warn({ err }, 'client socket error'));
    socket.on('close', () => this.log.info({}, 'client disconnected'));
    this.pauseIfNeeded();
  }

  /**
   * Answers the complete lines already received, then closes; used on shutdown and idle
   * timeout. A partial line is dropped: the client never ended it, nor its side.
   */
  drainAndClose(): Promise<void> {
    this.inputEnded = true;
    this.closing = true;
    this.flush();
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.once('close', () => resolve());
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  resumeIfAllowed(): void {
    if (this.inputEnded || this.closing) return;
    if (this.writePaused || this.slots.length >= CLIENT_DEFAULTS.maxPendingReplies) return;
    if (this.options.flow?.congested) return;
    this.socket.resume();
  }

  private pauseIfNeeded(): void {
    const tooMany = this.slots.length >= CLIENT_DEFAULTS.maxPendingReplies;
    if (this.writePaused || tooMany || this.options.flow?.congested) this.socket.pause();
  }

  private onEvents(events: FrameEvent[]): void {
    // The replies to the lines of one chunk leave in one write (writev): a syscall per reply
    // was the largest single cost of a member under pipelined load.
    this.socket.cork();
    try {
      for (const event of events) {
        if (this.closing) return;
        if (event.type === 'line') this.onLine(event.bytes.toString('latin1'));
        else this.onOverlongLine(event.head);
      }
      this.pauseIfNeeded();
    } finally {
      this.socket.uncork();
    }
  }

  private onLine(line: string): void {
    this.log.info({ line }, 'input');
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
    reply.then(
      (bytes) => (slot.reply = bytes),
      (err) => {
        this.log.error({ err, line }, 'handler failed');
        slot.reply = invalidReply(line);
      },
    ).finally(() => this.flush());
  }

  private onOverlongLine(head: Buffer): void {
    this.onOverlong();
    const echo = head.subarray(0, CLIENT_DEFAULTS.overlongEchoBytes);
    this.log.warn({ bytes: head.length, head: echo.subarray(0, 64).toString('latin1') }, 'overlong line: closing');
    this.slots.push({ reply: Buffer.concat([Buffer.from('? ', 'latin1'), echo, Buffer.from('\n')]), last: true });
    this.closing = true;
    this.inputEnded = true;
    this.socket.pause();
    this.flush();
  }

  /** Writes every ready reply at the head of the queue; closes when all are out. */
  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.reply) {
      const slot = this.slots.shift()!;
      this.logReply(slot.reply!);
      if (!this.socket.destroyed && !this.socket.write(slot.reply!)) this.writePaused = true;
      if (slot.last) this.slots.length = 0;
    }
    if (this.inputEnded && this.slots.length === 0) {
      if (this.socket.destroyed) return;
      this.socket.end();
      // Keep reading (and discarding) so the client's unread bytes never turn our close
      // into a reset that could destroy the replies still in flight.
      if (this.closing) this.socket.resume();
      return;
    }
    if (this.writePaused) this.socket.pause();
    else this.resumeIfAllowed();
  }

  private logReply(reply: Buffer): void {
    const newline = reply.indexOf(0x0a);
    const first = reply.subarray(0, newline === -1 ? reply.length : newline).toString('latin1');
    this.log.info({ reply: first, bytes: reply.length }, 'reply');
  }
}

/**
 * A client of the text protocol for one-at-a-time requests (latency figures). It knows the
 * reply shapes: IAMAT and `?` replies are one line; a WHATSAT answer is the AT line, the JSON
 * and an empty line. Times are taken with performance.now(), in ms.
 */
import { connect, type Socket } from 'node:net';

export type ReplyKind = 'line' | 'whatsat';

export class LineClient {
  private buffer = '';
  private waiting: { kind: ReplyKind; resolve: (reply: string) => void; reject: (err: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.deliver();
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      this.waiting?.reject(err);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(port: number, host = '127.0.0.1'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new LineClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends one line and resolves with its whole reply; rejects after `timeoutMs`. */
  request(line: string, kind: ReplyKind = 'line', timeoutMs = 10_000): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`no reply to "${line}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        kind,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.socket.write(`${line}\n`, 'latin1');
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (!this.waiting) return;
    const firstEnd = this.buffer.indexOf('\n');
    if (firstEnd === -1) return;
    let end = firstEnd + 1;
    // A WHATSAT answer (not a `?`) runs to the empty line that ends it.
    if (this.waiting.kind === 'whatsat' && !this.buffer.startsWith('? ')) {
      const blank = this.buffer.indexOf('\n\n', firstEnd);
      if (blank === -1) return;
      end = blank + 2;
    }
    const reply = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end);
    const { resolve } = this.waiting;
    this.waiting = undefined;
    resolve(reply);
  }
}

/** IAMAT lines for the benchmark: a fixed place (UCLA) and strictly increasing client times. */
export const BENCH_LOCATION = '+34.068930-118.445127';
const BASE_SECONDS = Math.floor(Date.now() / 1000);
let tick = 0;
/** A client time later than every one handed out before (1 ns apart), as protocol text. */
export function nextTime(): string {
  tick++;
  const seconds = BASE_SECONDS + Math.floor(tick / 1e9);
  return `${seconds}.${String(tick % 1e9).padStart(9, '0')}`;
}

export const iamat = (client: string): string => `IAMAT ${client} ${BENCH_LOCATION} ${nextTime()}`;

/**
 * Clients for lab scenarios: paced IAMATs over connections opened through the lab's
 * gateway, remembering each client's newest acknowledged AT line, and a check that a member
 * holds exactly those lines (WHATSAT answers with the stored AT line).
 */
import type { Socket } from 'node:net';
import type { Lab } from '../lab/lab.js';
import { eventually } from './eventually.js';

const LOCATION = '+34.068930-118.445127';
const BASE_SECONDS = 1_700_000_000;
let sequence = 0;

/** Client times that only ever grow, across every reporter of the process. */
function nextTime(): { seq: number; text: string } {
  const seq = ++sequence;
  return { seq, text: `${BASE_SECONDS + Math.floor(seq / 1e6)}.${String(seq % 1e6).padStart(6, '0')}000` };
}

export interface LoadOptions {
  readonly rate: number;
  /** Client ids cycled through (each report newer than the last). */
  readonly clients: number;
  readonly prefix: string;
}

export class Reporters {
  /** client id -> newest acknowledged report. */
  readonly newest = new Map<string, { seq: number; line: string }>();
  sent = 0;
  acked = 0;
  /** Acknowledgements by member. */
  readonly ackedBy = new Map<string, number>();
  bad = 0;
  /** Ticks skipped because the member was not reading (back-pressure reached the client). */
  stalledTicks = 0;
  private readonly stops: Array<() => Promise<void>> = [];

  /** Reports at `member` at `rate`/s until `stop()`. */
  async start(lab: Lab, member: string, options: LoadOptions): Promise<void> {
    const socket = await lab.openClient(member);
    socket.setNoDelay(true);
    const pending: Array<{ client: string; seq: number }> = [];
    onLines(socket, (line) => {
      const sent = pending.shift();
      if (!sent || !line.startsWith('AT ')) {
        this.bad++;
        return;
      }
      this.acked++;
      this.ackedBy.set(member, (this.ackedBy.get(member) ?? 0) + 1);
      const known = this.newest.get(sent.client);
      if (!known || known.seq < sent.seq) this.newest.set(sent.client, { seq: sent.seq, line });
    });
    socket.on('error', () => {});
    let next = 0;
    const started = performance.now();
    let due = 0;
    const timer = setInterval(() => {
      const target = Math.floor(((performance.now() - started) / 1000) * options.rate);
      if (socket.writableNeedDrain) {
        this.stalledTicks++;
        due = target;
        return;
      }
      const lines: string[] = [];
      for (; due < target; due++) {
        const client = `${options.prefix}${next++ % options.clients}`;
        const time = nextTime();
        pending.push({ client, seq: time.seq });
        lines.push(`IAMAT ${client} ${LOCATION} ${time.text}\n`);
      }
      if (lines.length === 0) return;
      this.sent += lines.length;
      socket.write(lines.join(''));
    }, 5);
    timer.unref(); // a failed test must not keep the process alive
    this.stops.push(async () => {
      clearInterval(timer);
      await eventually(() => pending.length === 0 || socket.destroyed, 60_000, 20).catch(() => {});
      socket.destroy();
    });
  }

  /** Stops sending and waits for every reply. */
  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((s) => s()));
  }
}

/** The clients (of `expected`) whose stored AT line at `member` differs from the newest acknowledged one. */
export async function missingAt(lab: Lab, member: string, expected: ReadonlyMap<string, { line: string }>): Promise<string[]> {
  const socket = await lab.openClient(member);
  const clients = [...expected.keys()];
  const replies = await exchange(socket, clients.map((c) => `WHATSAT ${c} 1 1\n`).join(''), clients.length);
  return clients.filter((c, i) => replies[i] !== expected.get(c)!.line);
}

/** Writes `text` and collects the first line of `count` WHATSAT replies (each ends with an empty line; `?` replies are one line). */
function exchange(socket: Socket, text: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const firstLines: string[] = [];
    let inReply = false;
    onLines(socket, (line) => {
      if (!inReply) {
        firstLines.push(line);
        inReply = !line.startsWith('? ');
      } else if (line === '') {
        inReply = false;
      }
      if (firstLines.length === count && !inReply) {
        socket.destroy();
        resolve(firstLines);
      }
    });
    socket.once('error', reject);
    socket.write(text);
  });
}

/** Calls `onLine` with each newline-terminated line the socket receives. */
function onLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      onLine(line);
    }
  });
}

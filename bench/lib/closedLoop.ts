/**
 * Closed-loop clients for the throughput figure: each of `clients` simulated clients sends one
 * request, waits for the whole one-line reply, records the round trip and sends the next, for
 * a fixed time. Two ways of connecting, as real clients do:
 *  - `kept`: one connection per client for the whole run, requests back to back;
 *  - `perRequest`: a new connection per request, half-closed after the line (like classic
 *    graders: `printf 'IAMAT ...\n' | nc host port`), the round trip counted from connect to
 *    the server's close.
 * The same code drives the herd and the echo floor, so their ratio is the herd's own cost.
 */
import { connect, type Socket } from 'node:net';
import { summarize, type Summary } from './stats.js';

export interface ClosedLoopResult {
  readonly replies: number;
  readonly repliesPerSecond: number;
  /** Round trips in ms. */
  readonly latency: Summary;
  /** Replies not starting with "AT", and connections that failed. */
  readonly errors: number;
}

export interface ClosedLoopOptions {
  readonly port: number;
  readonly clients: number;
  readonly seconds: number;
  /** The request line (without newline) for client `i`. */
  readonly line: (client: number) => string;
}

const NEWLINE = 0x0a;

export async function kept(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const times: number[] = [];
  let errors = 0;
  const until = performance.now() + options.seconds * 1000;
  const sockets = await Promise.all(Array.from({ length: options.clients }, () => open(options.port)));
  const started = performance.now();
  await Promise.all(
    sockets.map(
      (socket, client) =>
        new Promise<void>((resolve) => {
          let t0 = 0;
          let first = -1;
          const send = () => {
            t0 = performance.now();
            first = -1;
            socket.write(`${options.line(client)}\n`);
          };
          socket.on('data', (chunk: Buffer) => {
            if (first === -1) first = chunk[0]!;
            if (chunk[chunk.length - 1] !== NEWLINE) return; // one request outstanding: a reply ends the chunk
            times.push(performance.now() - t0);
            if (first !== 0x41 /* A */) errors++;
            if (performance.now() < until) send();
            else socket.end();
          });
          socket.on('error', () => {
            errors++;
            resolve();
          });
          socket.on('close', () => resolve());
          send();
        }),
    ),
  );
  return result(times, errors, performance.now() - started);
}

export async function perRequest(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const one = (client: number) =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      let reply = '';
      const socket = connect({ port: options.port, host: '127.0.0.1', noDelay: true, allowHalfOpen: true }, () => {
        socket.end(`${options.line(client)}\n`);
      });
      socket.setEncoding('latin1');
      socket.on('data', (text: string) => {
        reply += text;
      });
      socket.on('end', () => socket.end());
      socket.on('error', () => {
        errors++;
      });
      socket.on('close', () => {
        if (reply.startsWith('AT ') && reply.endsWith('\n')) times.push(performance.now() - t0);
        else errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      while (performance.now() < until) await one(client);
    }),
  );
  return result(times, errors, performance.now() - started);
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function result(times: number[], errors: number, elapsedMs: number): ClosedLoopResult {
  return { replies: times.length, repliesPerSecond: times.length / (elapsedMs / 1000), latency: summarize(times), errors };
}

/** `herd send` and `herd client`: the text protocol without netcat. */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { findMember, loadHerdFile } from '../config/herdFile.js';

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** A target that names no member, or a member that does not answer in time. */
export class TalkError extends Error {
  override readonly name = 'TalkError';
  constructor(
    readonly code: 'HERD_TARGET' | 'HERD_NO_ANSWER',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const EXIT_ANSWERED = 0;
export const EXIT_NO_ANSWER = 1;
export const EXIT_INVALID = 3;

/** NAME (looked up in the herd file) or HOST:PORT. */
export function resolveTarget(target: string, config: string | undefined): Target {
  const hostPort = /^(.+):(\d{1,5})$/.exec(target);
  if (hostPort && Number(hostPort[2]) <= 65535) return { host: hostPort[1]!.replace(/^\[|\]$/g, ''), port: Number(hostPort[2]) };
  if (!config) throw new TalkError('HERD_TARGET', `"${target}" is not HOST:PORT; give --config FILE to look up a member name`);
  const member = findMember(loadHerdFile(config), target);
  return { host: member.host, port: member.clientPort };
}

function openSocket(target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port, allowHalfOpen: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Sends one line, prints the reply, and says by its exit code whether the member answered. */
export async function send(target: Target, line: string, out: NodeJS.WritableStream, timeoutMs: number): Promise<number> {
  const socket = await openSocket(target);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.setTimeout(timeoutMs, () => socket.destroy(new TalkError('HERD_NO_ANSWER', `no answer within ${timeoutMs} ms`)));
  socket.end(Buffer.from(`${line}\n`, 'latin1'));
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  const reply = Buffer.concat(chunks);
  out.write(reply);
  if (reply.length === 0) return EXIT_NO_ANSWER;
  return reply.subarray(0, 2).toString('latin1') === '? ' ? EXIT_INVALID : EXIT_ANSWERED;
}

/** An interactive session: lines typed go out as they are entered; replies print as they arrive. */
export async function interactive(target: Target, input: NodeJS.ReadableStream, out: NodeJS.WritableStream): Promise<number> {
  const socket = await openSocket(target);
  const terminal = (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output: terminal ? out : undefined, terminal, historySize: 1000, prompt: '' });
  let received = 0;
  socket.on('data', (c: Buffer) => {
    received += c.length;
    out.write(c);
  });
  rl.on('line', (line) => socket.write(Buffer.from(`${line}\n`, 'latin1')));
  rl.on('close', () => socket.end());
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  rl.close();
  return received > 0 ? EXIT_ANSWERED : EXIT_NO_ANSWER;
}

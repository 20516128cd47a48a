/** Talking to a member the way a client does: raw bytes over TCP on 127.0.0.1. */
import { connect, type Socket } from 'node:net';

/** Writes `input` (in the given pieces), half-closes, and returns every byte until EOF. */
export async function exchange(port: number, ...pieces: Array<string | Buffer>): Promise<Buffer> {
  const socket = await open(port);
  const received = collect(socket);
  for (const piece of pieces) socket.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
  socket.end();
  return received;
}

export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Every byte the socket receives until the member closes its side. */
export function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Reads until `count` newline-terminated lines have arrived (for replies on an open socket). */
export function readLines(socket: Socket, count: number): Promise<string[]> {
  let buffered = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const lines = buffered.split('\n');
      if (lines.length > count) {
        socket.off('data', onData);
        resolve(lines.slice(0, count));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/** One IAMAT line's AT reply, with the time difference replaced by a pattern. */
export const AT_REPLY = (member: string, rest: string) => new RegExp(`^AT ${member} [+-]\\d+\\.\\d{9} ${rest.replace(/[.+]/g, '\\$&')}$`);

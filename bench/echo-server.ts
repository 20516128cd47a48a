/**
 * The floor for the throughput figure: a bare Node TCP server on 127.0.0.1 that answers every
 * line with a fixed AT-shaped line, and closes after the client half-closes. Run as its own
 * process, like a member, so that it gets a core the same way. Prints its port, then serves
 * until killed.
 */
import { createServer } from 'node:net';

const REPLY = 'AT Clark +0.000123456 bench-client +34.068930-118.445127 1790000000.000000001\n';

const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
  socket.on('data', (chunk: Buffer) => {
    let lines = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (lines > 0) socket.write(REPLY.repeat(lines));
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});

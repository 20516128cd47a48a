/**
 * The gateway into the lab, run inside the client namespace: each connection to its Unix
 * socket names a target on its first line (`HOST PORT`), then carries bytes both ways to
 * that TCP address, opened from the client namespace. The lab's controller lives in the
 * root namespace, which has no route into the lab (and must not get one).
 *
 *   node gatewayProcess.js SOCKET_PATH
 */
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

const [socketPath] = process.argv.slice(2);

function accept(inbound: Socket): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const nl = head.indexOf(10);
    if (nl < 0) return;
    inbound.off('data', onData);
    inbound.pause();
    const [host, port] = head.subarray(0, nl).toString().trim().split(' ');
    const rest = head.subarray(nl + 1);
    const outbound = connect({ host: host!, port: Number(port), noDelay: true }, () => {
      if (rest.length > 0) outbound.write(rest);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.resume();
    });
    outbound.on('error', () => inbound.destroy());
    inbound.on('error', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
  };
  inbound.on('data', onData);
}

rmSync(socketPath!, { force: true });
createServer(accept).listen(socketPath, () => process.stdout.write('gateway ready\n'));

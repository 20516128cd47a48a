/** A member whose start fails part way closes what it opened, so the same process can start it again. */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { runMember } from '../src/cli/runMember.js';
import { makeHerd, portOf } from '../testkit/herd.js';
import { exchange } from '../testkit/wire.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const close = (server: Server) => new Promise((resolve) => server.close(resolve));

const PORTS = { clientPort: 'clients', adminPort: 'the admin endpoint' } as const;

for (const [taken, what] of Object.entries(PORTS) as Array<[keyof typeof PORTS, string]>) {
  test(`a taken ${taken} fails the start on one line naming it, and leaves the other ports free`, async () => {
    const { herd, dir } = await makeHerd(['Solo'], []);
    const port = portOf(herd, 'Solo', taken);
    const options = { herd, name: 'Solo', logDir: dir, consoleLevel: 'silent', env: {} } as const;
    const blocker = await listen(port);
    try {
      await assert.rejects(runMember(options), {
        message: `member Solo: cannot listen for ${what} on 127.0.0.1:${port} (listen EADDRINUSE: address already in use 127.0.0.1:${port})`,
      });
    } finally {
      await close(blocker);
    }
    // The libp2p node and the other server, started before this port failed, let go of theirs.
    for (const kind of ['clientPort', 'p2pPort', 'adminPort'] as const) {
      if (kind !== taken) await close(await listen(portOf(herd, 'Solo', kind)));
    }
    const member = await runMember(options);
    try {
      const reply = (await exchange(member.clientPort, 'IAMAT again +1+1 1700000000\n')).toString('latin1');
      assert.match(reply, /^AT Solo [+-]\d+\.\d{9} again \+1\+1 1700000000\n$/);
    } finally {
      await member.stop();
    }
  });
}

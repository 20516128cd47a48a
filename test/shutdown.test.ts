/** SIGTERM/SIGINT: stop accepting, answer what was received, flush the log, exit 0. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, json, startFakeGoogle } from '../testkit/fakeGoogle.js';
import { makeHerd, portOf } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { collect, open } from '../testkit/wire.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: a WHATSAT in flight is answered, new clients are refused, exit 0`, async () => {
    const google = await startFakeGoogle(json(fixture('nearbysearch-ok.json'), 700));
    const herd = await makeHerd(['Solo'], []);
    const members = new MemberProcesses(herd, [], { GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_URL: google.origin });
    try {
      await members.start('Solo');
      const port = portOf(herd.herd, 'Solo');
      const socket = await open(port);
      const replies = collect(socket);
      socket.write('IAMAT shutdown +1+1 1700000000\nWHATSAT shutdown 5 2\n');
      while (google.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const exited = members.signal('Solo', signal);
      // The member stops listening soon after the signal; it must not take new clients meanwhile.
      await eventually(
        () =>
          new Promise<boolean>((resolve) => {
            const late = connect({ host: '127.0.0.1', port }, () => {
              late.destroy();
              resolve(false);
            });
            late.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
          }),
      );
      const text = (await replies).toString('utf8');
      assert.match(text, /^AT Solo \S+ shutdown \+1\+1 1700000000\nAT Solo \S+ shutdown \+1\+1 1700000000\n\{\n[\s\S]*\}\n\n$/);
      assert.equal(await exited, 0);
      const log = readFileSync(join(herd.dir, 'Solo.1.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { msg: string }).msg);
      assert.equal(log.at(-1), 'member stopped', 'the log is flushed to its last line');
    } finally {
      await members.stopAll();
      await google.close();
    }
  });
}

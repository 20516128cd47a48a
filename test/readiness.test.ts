/** `/readyz`: a member is ready once its places are loaded and each link it dials is up or was tried. */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { makeHerd, portOf } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';

test('/readyz is 503 naming the link while the first dial hangs, then 200; /healthz is 200 throughout', async () => {
  const herd = await makeHerd(['A', 'B'], [['A', 'B']]);
  // The smaller peer ID dials; only the dialling side waits for its link.
  const [dialler, other] = [...herd.herd.members].sort((x, y) => (x.peerId < y.peerId ? -1 : 1));
  // A neighbour that takes the TCP connection and never says a word: the dial ends at its timeout.
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => silent.listen(portOf(herd.herd, other!.name, 'p2pPort'), '127.0.0.1', resolve));
  const members = new MemberProcesses(herd);
  try {
    members.launch(dialler!.name);
    await eventually(() => held.length === 1); // the member is dialling its neighbour
    let first: Awaited<ReturnType<MemberProcesses['readiness']>> | undefined;
    await eventually(async () => {
      first = await members.readiness(dialler!.name);
      return true;
    });
    assert.equal(first!.status, 503);
    assert.match(first!.text, new RegExp(`^not ready: (places loading; )?link to ${other!.name} not tried yet\n$`));
    const health = await fetch(`http://127.0.0.1:${portOf(herd.herd, dialler!.name, 'adminPort')}/healthz`);
    assert.equal(health.status, 200, 'alive while not ready');
    await eventually(async () => (await members.readiness(dialler!.name)).status === 200);
    assert.deepEqual(await members.readiness(dialler!.name), { status: 200, text: 'ready\n' });
  } finally {
    await members.stopAll();
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

/**
 * Outbound dial filtering: a member dials only the neighbours it is meant to dial, at the
 * address the herd file gives, and refuses any other dial before a socket is opened.
 * Member A is a real herd node; the others are stand-ins at their herd-file addresses:
 * B (a neighbour A dials) a plain libp2p node with B's key, D (a neighbour that dials A)
 * and C (not a neighbour) plain TCP servers that count the connections they accept.
 */
import '../src/net/p2p/shim.js';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { findMember, type HerdConfig } from '../src/config/herdFile.js';
import { herdTopology } from '../src/config/herdTopology.js';
import { silentLog } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { readKeyFile } from '../src/net/p2p/keys.js';
import { dialsTo } from '../src/net/p2p/links.js';
import { startHerdNode, type HerdNode } from '../src/net/p2p/node.js';
import { makeHerd, type TestHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';

const peerAddr = (herd: HerdConfig, name: string) => {
  const m = findMember(herd, name);
  return multiaddr(`/ip4/${m.host}/tcp/${m.p2pPort}/p2p/${m.peerId}`);
};

/** A TCP server at a member's p2p address that only counts the connections it accepts. */
async function countingServer(herd: HerdConfig, name: string): Promise<{ server: Server; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.destroy();
  });
  const m = findMember(herd, name);
  await new Promise<void>((resolve) => server.listen(m.p2pPort, m.host, resolve));
  return { server, accepted: () => accepted };
}

describe('outbound dial filtering', () => {
  let t: TestHerd;
  let a: HerdNode;
  let b: Libp2p;
  let c: Awaited<ReturnType<typeof countingServer>>;
  let d: Awaited<ReturnType<typeof countingServer>>;

  before(async () => {
    // Keys are random; draw herds until A dials B and D dials A (the smaller peer ID dials).
    const id = (herd: HerdConfig, name: string) => findMember(herd, name).peerId;
    do {
      t = await makeHerd(
        ['A', 'B', 'C', 'D'],
        [
          ['A', 'B'],
          ['A', 'D'],
          ['B', 'C'],
        ],
      );
    } while (!(dialsTo(id(t.herd, 'A'), id(t.herd, 'B')) && dialsTo(id(t.herd, 'D'), id(t.herd, 'A'))));
    const bm = findMember(t.herd, 'B');
    b = await createLibp2p({
      privateKey: readKeyFile(bm.keyPath),
      addresses: { listen: [`/ip4/${bm.host}/tcp/${bm.p2pPort}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionMonitor: { enabled: false },
      services: { identify: identify(), ping: ping() },
    });
    c = await countingServer(t.herd, 'C');
    d = await countingServer(t.herd, 'D');
    const am = findMember(t.herd, 'A');
    a = await startHerdNode({ topology: herdTopology(t.herd, 'A'), privateKey: readKeyFile(am.keyPath), store: new LocationStore(), log: silentLog });
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    for (const s of [c, d]) await new Promise((resolve) => s?.server.close(resolve));
  });

  test('the neighbour A is meant to dial, at its herd-file address, is dialled', async () => {
    assert.ok(await eventually(() => b.getConnections().some((conn) => conn.remotePeer.toString() === a.peerId), 120_000), 'A connected to B');
    assert.ok(a.links().find((l) => l.name === 'B')?.dials);
  });

  test('a non-neighbour is refused before a socket is opened, with or without its peer ID', async () => {
    await assert.rejects(a.libp2p.dial(peerAddr(t.herd, 'C')), { name: 'DialDeniedError' });
    const cm = findMember(t.herd, 'C');
    await assert.rejects(a.libp2p.dial(multiaddr(`/ip4/${cm.host}/tcp/${cm.p2pPort}`)), { name: 'DialDeniedError' });
    assert.equal(c.accepted(), 0);
  });

  test('a neighbour that dials A is not dialled by A', async () => {
    await assert.rejects(a.libp2p.dial(peerAddr(t.herd, 'D')), { name: 'DialDeniedError' });
    assert.equal(d.accepted(), 0, 'neither by the test nor by the link manager');
  });

  test('B at any address but its herd-file one is refused', async () => {
    const cm = findMember(t.herd, 'C');
    const bId = findMember(t.herd, 'B').peerId;
    await assert.rejects(a.libp2p.dial(multiaddr(`/ip4/${cm.host}/tcp/${cm.p2pPort}/p2p/${bId}`), { force: true }), { name: 'DialDeniedError' });
    assert.equal(c.accepted(), 0);
  });
});

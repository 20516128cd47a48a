/**
 * Outsiders cannot hold a link down (issue 11): connections to a member's p2p port from an
 * address that is no neighbour's are refused before the handshake, so they cannot fill the
 * pending-handshake slots a neighbour's redial needs.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { cidrList } from '../src/cli/options.js';
import { inboundSources, isAllowedSource } from '../src/net/p2p/addresses.js';
import { makeHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';

/** Idle TCP connections from `localAddress`, each reopened as soon as it is closed. */
function holdConnections(port: number, localAddress: string, count: number): { opened: () => number; stop: () => void } {
  let stopped = false;
  let opened = 0;
  const sockets = new Set<Socket>();
  const openOne = (): void => {
    if (stopped) return;
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    opened++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      setImmediate(openOne);
    });
  };
  for (let i = 0; i < count; i++) openOne();
  return {
    opened: () => opened,
    stop: () => {
      stopped = true;
      sockets.forEach((s) => s.destroy());
    },
  };
}

describe('outsiders on the p2p port', () => {
  let members: MemberProcesses | undefined;
  after(() => members?.stopAll());

  test('40 connections from 127.0.0.2 held open: a dropped link still comes back', async () => {
    const t = await makeHerd(['A', 'B'], [['A', 'B']]);
    members = new MemberProcesses(t);
    await members.start('A', 'B');
    const [a, b] = t.herd.members as [(typeof t.herd.members)[0], (typeof t.herd.members)[0]];
    // The member with the larger peer ID accepts the link; the other dials it.
    const [dialer, accepter] = a.peerId < b.peerId ? [a, b] : [b, a];
    const linkUp = async () => (await members!.status(accepter.name)).neighbours.every((n) => n.connected);
    assert.ok(await eventually(linkUp, 60_000), 'the link is up at start');

    const outsiders = holdConnections(accepter.p2pPort, '127.0.0.2', 40);
    try {
      assert.ok(
        await eventually(() => members!.outputOf(accepter.name).includes("no neighbour's"), 60_000),
        'the accepter refuses the outsiders before any handshake',
      );
      await members.kill(dialer.name);
      assert.ok(await eventually(async () => !(await linkUp()), 60_000), 'the link is down');
      await members.start(dialer.name);
      // The dialer redials every 250 ms to 1 s; the guard is only against a hang.
      assert.ok(await eventually(linkUp, 60_000), 'the link came back while outsiders kept connecting');
      assert.ok(outsiders.opened() > 40, 'the outsiders were refused and reconnected');
    } finally {
      outsiders.stop();
    }
  });
});

describe('which addresses may connect', () => {
  test('neighbour hosts and --p2p-allow-from entries; IPv4-mapped addresses count as IPv4', async () => {
    const list = await inboundSources(['127.0.0.1', '::1'], cidrList('10.1.0.0/16, 192.0.2.7,2001:db8::/32'));
    for (const allowed of ['127.0.0.1', '::ffff:127.0.0.1', '::1', '10.1.255.3', '192.0.2.7', '2001:db8::5']) {
      assert.ok(isAllowedSource(list, allowed), allowed);
    }
    for (const refused of ['127.0.0.2', '10.2.0.1', '192.0.2.8', '2001:db9::1', '::ffff:127.0.0.2']) {
      assert.ok(!isAllowedSource(list, refused), refused);
    }
  });

  test('a bad --p2p-allow-from entry is named in a one-line error', () => {
    assert.throws(() => cidrList('10.0.0.0/8,10.0.0.0/33'), /got "10.0.0.0\/33"/);
    assert.throws(() => cidrList('example.org'), /got "example.org"/);
    assert.throws(() => cidrList(','), /expected CIDRs/);
  });
});

/** The outbox and the congestion signal on two real members P-Q. */
import '../src/net/p2p/shim.js';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findMember } from '../src/config/herdFile.js';
import { herdTopology } from '../src/config/herdTopology.js';
import { silentLog } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { readKeyFile } from '../src/net/p2p/keys.js';
import { startHerdNode, type HerdNode, type HerdNodeTuning } from '../src/net/p2p/node.js';
import { eventually } from '../testkit/eventually.js';
import { makeHerd } from '../testkit/herd.js';

const waitFor = (what: string, cond: () => boolean) => eventually(cond, 30_000, 5, what);

let seq = 0;
function record(member: string): LocationRecord {
  const n = ++seq;
  return atRecord(`client-${n}.example.org`, `${n}.5`, { member, difference: '+0.000000001' });
}

describe('outbox and back-pressure between two members', () => {
  const nodes: Record<string, { node: HerdNode; store: LocationStore }> = {};
  // Tiny water marks, so that one burst on loopback is enough to cross them.
  const tuning: HerdNodeTuning = { congestionHighBytes: 64 * 1024, congestionLowBytes: 16 * 1024 };

  before(async () => {
    const t = await makeHerd(['P', 'Q'], [['P', 'Q']]);
    for (const name of ['P', 'Q']) {
      const self = findMember(t.herd, name);
      const store = new LocationStore();
      nodes[name] = {
        store,
        node: await startHerdNode({ topology: herdTopology(t.herd, name), privateKey: readKeyFile(self.keyPath), store, log: silentLog, tuning }),
      };
    }
    await Promise.all(
      Object.values(nodes).map(
        ({ node }) =>
          new Promise<void>((resolve) => {
            const off = node.onLinkUp(() => {
              off();
              resolve();
            });
          }),
      ),
    );
  });

  after(async () => {
    await Promise.all(Object.values(nodes).map(({ node }) => node.stop()));
  });

  const publish = (r: LocationRecord) => {
    nodes.P!.store.offer(r);
    nodes.P!.node.publish(r);
  };

  test('one record travels alone; a turn of 2200 travels as 3 messages (1000 records at most in one)', async () => {
    const q = nodes.Q!.node.counters;
    const before = q.gossipMessagesAccepted;
    publish(record('P'));
    await waitFor('one message', () => q.gossipMessagesAccepted === before + 1);
    for (let i = 0; i < 2200; i++) publish(record('P'));
    await waitFor('2201 records', () => q.gossipRecordsAccepted === 2201);
    assert.equal(q.gossipMessagesAccepted, before + 4);
    assert.equal(nodes.P!.node.counters.gossipRecordsPublished, 2201);
  });

  test('a burst makes the publisher congested, then it drains and everything arrives', async () => {
    const p = nodes.P!.node;
    // The last test's burst may still be draining (the gauge polls every 10 ms).
    await waitFor('no congestion left over', () => !p.congested);
    const events: string[] = [];
    let congestedAt = 0;
    p.on('congested', (bytes) => {
      events.push('congested');
      congestedAt = bytes;
    });
    const drained = new Promise<void>((resolve) => {
      const off = p.onDrain(() => {
        off();
        events.push('drain');
        resolve();
      });
    });
    const before = nodes.Q!.node.counters.gossipRecordsAccepted;
    for (let i = 0; i < 20_000; i++) publish(record('P'));
    assert.equal(p.congested, false, 'the outbox alone does not count until it flushes');
    await new Promise((r) => setImmediate(r));
    assert.equal(p.congested, true, 'messages being signed count');
    assert.ok(congestedAt >= 64 * 1024, `congested at ${congestedAt} bytes`);
    await drained;
    assert.deepEqual(events, ['congested', 'drain']);
    assert.ok(p.backlog().total <= 16 * 1024);
    await waitFor('every record at Q', () => nodes.Q!.node.counters.gossipRecordsAccepted === before + 20_000);
  });
});

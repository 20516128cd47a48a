/**
 * Gossip trees: the pure trees over every spanning subgraph of the demo topology, the link
 * reports that make a member's view, and the hook that keeps gossipsub to the tree.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import { graphOf, treeChildren, type LinkGraph } from '../src/core/trees.js';
import { LinkStateBook } from '../src/net/p2p/linkState.js';
import { forwardOnly, TreeRouter } from '../src/net/p2p/treeForwarding.js';
import { DEMO_LINKS as DEMO, DEMO_NAMES as NAMES } from '../testkit/demoHerd.js';

/** Flooding's hop counts: breadth first over the graph. */
function hops(graph: LinkGraph, origin: string): Map<string, number> {
  const seen = new Map([[origin, 0]]);
  const queue = [origin];
  for (let i = 0; i < queue.length; i++) {
    for (const n of graph.get(queue[i]!) ?? []) {
      if (!seen.has(n)) {
        seen.set(n, seen.get(queue[i]!)! + 1);
        queue.push(n);
      }
    }
  }
  return seen;
}

/** Plays a message from `origin` through the trees: the origin sends to every neighbour, each member to its children. */
function spread(graph: LinkGraph, origin: string) {
  const got = new Map<string, number>([[origin, 0]]);
  const copies = new Map<string, number>();
  let crossings = 0;
  let wave: Array<readonly [string, number]> = [...(graph.get(origin) ?? [])].map((n) => [n, 1] as const);
  while (wave.length > 0) {
    const next: Array<readonly [string, number]> = [];
    for (const [member, hop] of wave) {
      crossings++;
      copies.set(member, (copies.get(member) ?? 0) + 1);
      if (got.has(member)) continue;
      got.set(member, hop);
      const children = treeChildren(graph, origin, member);
      assert.ok(children, `${member} is reachable from ${origin}`);
      for (const c of children) next.push([c, hop + 1]);
    }
    wave = next;
  }
  return { got, copies, crossings };
}

function connected(graph: LinkGraph): boolean {
  return hops(graph, NAMES[0]).size === NAMES.length;
}

describe('shortest-path trees', () => {
  test("demo topology: every member gets one copy, at flooding's hop count, in 4 link crossings", () => {
    const graph = graphOf(DEMO, () => true);
    for (const origin of NAMES) {
      const { got, copies, crossings } = spread(graph, origin);
      assert.deepEqual(got, hops(graph, origin), `from ${origin}`);
      assert.ok(
        [...copies.values()].every((c) => c === 1),
        `one copy each from ${origin}`,
      );
      assert.equal(crossings, NAMES.length - 1, `from ${origin}`);
    }
  });

  test('every spanning subgraph of the demo topology (any links cut that leave it connected): everyone reached, same hops', () => {
    let subgraphs = 0;
    for (let mask = 0; mask < 1 << DEMO.length; mask++) {
      const graph = graphOf(
        DEMO.filter((_, i) => mask & (1 << i)),
        () => true,
      );
      if (!connected(graph)) continue;
      subgraphs++;
      for (const origin of NAMES) assert.deepEqual(spread(graph, origin).got, hops(graph, origin), `links ${mask.toString(2)} from ${origin}`);
    }
    assert.equal(subgraphs, 18, 'the demo topology has 18 connected spanning subgraphs');
  });

  test('a member its view cannot reach from the origin passes the message to everyone', () => {
    const graph = graphOf(DEMO, (a, b) => a !== 'Clark' && b !== 'Clark');
    assert.equal(treeChildren(graph, 'Clark', 'Jaquez'), undefined);
  });
});

describe('link reports', () => {
  const report = (boot: number, counter: number, up: string[]) => Buffer.from(`${boot} ${counter} ${up.join(',')}`, 'latin1');

  test('a link is up only when both ends say so; newer reports replace older, a restart replaces all', () => {
    const book = new LinkStateBook('Clark', DEMO);
    book.setOwn(['Jaquez', 'Bona']);
    assert.equal(book.graph().get('Clark'), undefined, 'nobody else reported: no links');
    assert.equal(book.take('Bona', report(100, 1, ['Clark', 'Bailey', 'Campbell'])), 'first');
    assert.deepEqual([...book.graph().get('Clark')!], ['Bona']);
    assert.equal(book.take('Bona', report(100, 2, ['Bailey', 'Campbell'])), 'newer');
    assert.equal(book.graph().get('Clark'), undefined, 'Bona lost its link to Clark');
    assert.equal(book.take('Bona', report(100, 1, ['Clark'])), 'stale', 'an old report arriving late');
    assert.equal(book.take('Bona', report(100, 2, ['Clark'])), 'stale', 'a repeat');
    assert.equal(book.take('Bona', report(200, 1, ['Clark'])), 'first', 'Bona restarted');
    assert.deepEqual([...book.graph().get('Clark')!], ['Bona']);
    book.setOwn(['Jaquez']);
    assert.equal(book.graph().get('Clark'), undefined, 'our own view of our links wins');
  });

  test('malformed reports and names outside the herd are invalid', () => {
    const book = new LinkStateBook('Clark', DEMO);
    for (const bad of ['', 'x 1 Bona', '1 2 Bona,Mallory', '1 2 Bona ', '1  Bona']) {
      assert.equal(book.take('Bona', Buffer.from(bad)), 'invalid', JSON.stringify(bad));
    }
    assert.equal(book.take('Clark', report(1, 1, ['Bona'])), 'invalid', 'our own name from someone else');
  });

  test('a report round-trips', () => {
    const a = new LinkStateBook('Bona', DEMO);
    a.setOwn(['Clark', 'Bailey']);
    const b = new LinkStateBook('Clark', DEMO);
    b.setOwn(['Bona']);
    assert.equal(b.take('Bona', a.ownReport()), 'first');
    assert.equal(b.take('Bona', a.ownReport()), 'newer');
    assert.deepEqual([...b.graph().get('Clark')!], ['Bona']);
  });
});

describe('forwarding hook', () => {
  const fromOf = (name: string) => Buffer.from(`mh-${name}`);
  const members = NAMES.map((name) => ({ name, peerId: `peer-${name}`, from: fromOf(name) }));

  test('gossipsub forwards a message only to the children of its origin; other topics as before', () => {
    const calls: Array<Set<string> | undefined> = [];
    const fake = { forwardMessage: (_id: string, _raw: unknown, _src?: string, exclude?: Set<string>) => void calls.push(exclude) };
    const book = new LinkStateBook('Bona', DEMO);
    const newChildren: string[] = [];
    const router = new TreeRouter({
      self: 'Bona',
      members,
      neighbours: ['Clark', 'Campbell', 'Bailey'],
      book,
      onNewChild: (p) => newChildren.push(p),
    });
    forwardOnly(fake as unknown as GossipSub, 'locs', (from) => router.skipFor(from));
    const forward = (topic: string, origin: string) =>
      (
        fake as unknown as { forwardMessage: (msgIdStr: string, rawMsg: { topic: string; from?: Uint8Array }, source?: string) => void }
      ).forwardMessage('id', { topic, from: fromOf(origin) }, 'src');

    forward('locs', 'Clark');
    assert.equal(calls.pop(), undefined, 'no view yet: to everyone');

    book.setOwn(['Clark', 'Campbell', 'Bailey']);
    const reportAll = (m: string) =>
      book.take(
        m,
        Buffer.from(
          `1 1 ${DEMO.filter(([a, b]) => a === m || b === m)
            .map(([a, b]) => (a === m ? b : a))
            .join(',')}`,
        ),
      );
    for (const m of ['Bailey', 'Campbell', 'Clark']) reportAll(m);
    router.recompute();
    forward('locs', 'Clark');
    assert.equal(calls.pop(), undefined, 'Jaquez has not reported yet: still to everyone');
    reportAll('Jaquez');
    router.recompute();
    assert.deepEqual(newChildren, [], 'from flooding to trees, nobody gains');
    forward('locs', 'Clark');
    assert.deepEqual(calls.pop(), new Set(['peer-Clark']), "Clark's messages: on to Bailey and Campbell");
    forward('locs', 'Jaquez');
    assert.deepEqual(calls.pop(), new Set(['peer-Clark', 'peer-Campbell', 'peer-Bailey']), "Jaquez's: Campbell carries them on");
    forward('other', 'Jaquez');
    assert.equal(calls.pop(), undefined, 'another topic floods');

    // The Campbell-Jaquez link is cut: Bona becomes Jaquez's way to Campbell and Bailey.
    book.take('Campbell', Buffer.from('1 2 Bailey,Bona'));
    router.recompute();
    assert.deepEqual(newChildren.sort(), ['peer-Bailey', 'peer-Campbell']);
    forward('locs', 'Jaquez');
    assert.deepEqual(calls.pop(), new Set(['peer-Clark']));
  });
});

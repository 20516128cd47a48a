/** The lab's plan (pure): names carry the run ID, addresses and topologies are as documented. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diameter, makePlan, memberNames, parseLinkList, ringWithChords, runIdOfNamespace, subnetOf } from '../lab/plan.js';

test("every namespace of a run carries its run ID; addresses sit on the run's /24", () => {
  const plan = makePlan('a1b2c3', ['m1', 'm2'], [['m1', 'm2']]);
  const namespaces = [plan.switchNs, plan.clientNs, ...plan.members.map((m) => m.ns)];
  assert.deepEqual(namespaces.map(runIdOfNamespace), Array(4).fill('a1b2c3'));
  assert.equal(runIdOfNamespace('other-ns'), null);
  const subnet = subnetOf('a1b2c3');
  assert.match(subnet, /^10\.(2[0-4]\d)\.\d{1,3}$/);
  assert.deepEqual(
    plan.members.map((m) => m.address),
    [`${subnet}.11`, `${subnet}.12`],
  );
  assert.notEqual(subnetOf('a1b2c3'), subnetOf('a1b2c4'));
});

test('ring with chords: connected, degree at most 4, diameter at most 4 up to 20 members', () => {
  for (const n of [2, 3, 5, 10, 20]) {
    const names = memberNames(n);
    const links = ringWithChords(names);
    assert.ok(diameter(names, links) <= 4, `diameter ${diameter(names, links)} at ${n}`);
    for (const name of names) {
      const degree = links.filter(([a, b]) => a === name || b === name).length;
      assert.ok(degree >= 1 && degree <= 4, `${name} has ${degree} links at ${n}`);
    }
  }
  assert.deepEqual(ringWithChords(memberNames(3)), [
    ['m1', 'm2'],
    ['m2', 'm3'],
    ['m3', 'm1'],
  ]);
});

test('link lists: A-B,B-C, and a clear error for anything else', () => {
  assert.deepEqual(parseLinkList('m1-m2, m2-m3'), [
    ['m1', 'm2'],
    ['m2', 'm3'],
  ]);
  assert.throws(() => parseLinkList('m1m2'), /--links: "m1m2" is not NAME-NAME/);
});

/** CatchUpGate: one full digest round at a time until one has completed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatchUpGate } from '../src/net/p2p/catchUpGate.js';

const never = new AbortController().signal;
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('while a round runs, openers wait their turn one at a time and answers are postponed', async () => {
  const gate = new CatchUpGate();
  const first = await gate.openerTurn(never);
  assert.equal(gate.answererTurn(), null);
  const second = gate.openerTurn(never);
  const third = gate.openerTurn(never);
  assert.equal(await settled(second), false);
  first.end(false); // failed: still catching up, so the next opener alone gets the turn
  assert.equal(await settled(second), true);
  assert.equal(await settled(third), false);
  assert.equal(gate.answererTurn(), null);
  (await second).end(true);
  assert.equal(await settled(third), true);
});

test('once a round has completed, nobody waits and nothing is postponed', async () => {
  const gate = new CatchUpGate();
  const answer = gate.answererTurn();
  assert.ok(answer);
  answer.end(true);
  const a = await gate.openerTurn(never);
  const b = await gate.openerTurn(never);
  assert.ok(gate.answererTurn());
  a.end(true);
  b.end(false);
});

test('an opener waiting for its turn gives up when its round is aborted, and leaves the queue', async () => {
  const gate = new CatchUpGate();
  const running = await gate.openerTurn(never);
  const controller = new AbortController();
  const waiting = gate.openerTurn(controller.signal);
  controller.abort(new Error('round deadline'));
  await assert.rejects(waiting, /round deadline/);
  running.end(false);
  const next = await gate.openerTurn(never); // the aborted one took no turn
  assert.equal(gate.answererTurn(), null);
  next.end(true);
});

test('ending a turn twice counts once', async () => {
  const gate = new CatchUpGate();
  const turn = await gate.openerTurn(never);
  const other = gate.openerTurn(never);
  turn.end(false);
  turn.end(false);
  const granted = await other;
  assert.equal(gate.answererTurn(), null, 'the second end must not free the turn the waiter got');
  granted.end(true);
});

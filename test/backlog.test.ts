/**
 * The outbound-backlog brake on real member processes A-B: B is stopped (SIGSTOP), so A's
 * gossip to it piles up; above 8 MiB A stops reading every client, and once B runs again and
 * the backlog falls below 2 MiB A reads them all again. Order is read from A's own log file
 * (JSON lines written synchronously as things happen), never from the clock. Not from its
 * stdout: tens of MB through a pipe to a busy test process would stall A on the pipe.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonLines } from '../testkit/cli.js';
import { makeHerd, portOf, type TestHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { MemberProcesses } from '../testkit/processes.js';
import { collect, exchange, open, readLines } from '../testkit/wire.js';

const MiB = 1024 * 1024;
/** 16,000-byte client names: each record is a 16 KB AT line, 1,500 of them are 24 MB of gossip. */
const NAME_BYTES = 16_000;
const FLOOD = 1_500;
const floodLine = (i: number) => `IAMAT ${String(i).padStart(6, '0')}${'x'.repeat(NAME_BYTES - 6)} +34.068930-118.445127 1621464827.${i}\n`;
const PROBE = 'IAMAT probe.example.org +34.068930-118.445127 1621464827.5';
const CANARY = 'IAMAT canary.example.org +34.068930-118.445127 1621464827.5';

/** Fails the test instead of hanging it when `promise` never settles. */
function hangGuard<T>(promise: Promise<T>, what: string, ms = 120_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

describe('outbound backlog: all clients pause above 8 MiB and resume below 2 MiB', () => {
  let t: TestHerd;
  let members: MemberProcesses;
  let bStopped = false;

  before(async () => {
    t = await makeHerd(['A', 'B'], [['A', 'B']]);
    // One log file for the whole test: 1,500 16 KB lines and their replies, logged at info.
    // A stopped neighbour stops answering pings too: with the default 10 s link timeout, a busy
    // machine that takes longer to read the flood sees A drop the link, and its backlog with
    // it, before it reaches 8 MiB. The link's liveness is not what this test is about.
    members = new MemberProcesses(t, ['--log-level', 'info', '--log-max-bytes', String(1024 * MiB), '--link-timeout-ms', '600000']);
    await members.start('A', 'B');
    const linked = async () => (await members.status('A')).neighbours[0]!.connected && (await members.status('B')).neighbours[0]!.connected;
    assert.ok(await eventually(linked, 120_000), 'A-B link up');
    // Gossip flows once A knows B's subscription: a first record from A reaching B shows it.
    await exchange(portOf(t.herd, 'A'), `${CANARY}\n`);
    assert.ok(await eventually(async () => (await members.status('B')).store.clients === 1, 120_000), 'the canary at B');
  });

  after(async () => {
    if (bStopped) process.kill(members.pid('B'), 'SIGCONT');
    await members.stopAll();
  });

  test('a flood towards a stopped neighbour congests A; a new client is not read until the backlog drains', async () => {
    process.kill(members.pid('B'), 'SIGSTOP');
    bStopped = true;
    const flood = await open(portOf(t.herd, 'A'));
    const floodReplies = collect(flood);
    for (let i = 0; i < FLOOD; i++) flood.write(floodLine(i));
    flood.end();

    const aLogFile = join(t.dir, 'A.1.log');
    const aLogText = () => (existsSync(aLogFile) ? readFileSync(aLogFile, 'latin1') : '');
    // A's log grows by tens of MB here: look at it a few times a second, not 20.
    assert.ok(await eventually(() => aLogText().includes('"msg":"outbound backlog high: congested"'), 120_000, 250), 'A congested');
    // Congestion began at 8 MiB or more (checked in the log below); it lasts, and reading
    // stays stopped, while the backlog stays above 2 MiB, as it must while B is stopped.
    let backlog = {};
    assert.ok(
      await eventually(async () => (backlog = (await members.status('A')).backlog).total > 2 * MiB, 120_000),
      `/status backlog ${JSON.stringify(backlog)}`,
    );

    const probe: Socket = await open(portOf(t.herd, 'A'));
    const probeReply = readLines(probe, 1);
    probe.write(`${PROBE}\n`);
    // Not read while B stays stopped; B runs again only after the probe was sent.
    process.kill(members.pid('B'), 'SIGCONT');
    bStopped = false;

    const [reply] = await hangGuard(probeReply, 'the probe reply');
    assert.match(reply!, /^AT A [+-]\d+\.\d{9} probe\.example\.org \+34\.068930-118\.445127 1621464827\.5$/);
    probe.end();
    const floodLines = (await hangGuard(floodReplies, 'the flood replies')).toString('latin1').split('\n').slice(0, -1);
    assert.equal(floodLines.length, FLOOD, 'every flood line answered once reading resumed');

    // The file is written in 4 KiB batches, the last one within a second.
    let log: Array<Record<string, unknown>> = [];
    const logged = (msg: string, line?: string) => log.some((e) => e.msg === msg && (line === undefined || e.line === line));
    assert.ok(
      await eventually(
        () => {
          log = jsonLines(aLogText());
          return logged('outbound backlog drained') && logged('input', PROBE);
        },
        30_000,
        250,
      ),
      'A logged the drain and the probe',
    );
    const congested = log.findIndex((e) => e.msg === 'outbound backlog high: congested');
    const drained = log.findIndex((e, i) => i > congested && e.msg === 'outbound backlog drained');
    const probeRead = log.findIndex((e) => e.msg === 'input' && e.line === PROBE);
    assert.ok(congested >= 0 && drained > congested, 'congested, then drained');
    assert.ok((log[congested]!.backlogBytes as number) >= 8 * MiB, `congested at ${String(log[congested]!.backlogBytes)} bytes`);
    assert.ok((log[drained]!.backlogBytes as number) <= 2 * MiB, `drained at ${String(log[drained]!.backlogBytes)} bytes`);
    assert.ok(probeRead > drained, 'the probe was read only after the backlog drained');
    // The flood connection was open before: after the congestion it may finish the one read
    // (64 KiB, at most 5 of these lines) it was in, then it waits for the drain too.
    const floodReadWhileCongested = log.slice(congested, drained).filter((e) => e.msg === 'input').length;
    assert.ok(floodReadWhileCongested <= 5, `${floodReadWhileCongested} flood lines read while congested`);
    const floodReadAfter = log.slice(drained).filter((e) => e.msg === 'input' && e.line !== PROBE).length;
    assert.ok(floodReadAfter > 0, 'the flood was held back too, and resumed');
  });

  test('everything A answered reaches B once it runs again', async () => {
    assert.ok(await eventually(async () => (await members.status('B')).store.clients === FLOOD + 2, 120_000), 'B has every record');
  });
});

/** Operating a herd: `herd mesh`, /metrics, `herd send`, `herd client`, signals. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { makeHerd, portOf, type TestHerd } from '../../testkit/herd.js';
import { freePort } from '../../testkit/ports.js';
import { eventually } from '../../testkit/eventually.js';
import { HERD_BIN, MemberProcesses } from '../../testkit/processes.js';
import { exchange } from '../../testkit/wire.js';
import type { MemberStatus } from '../../src/net/status.js';
import { DEMO_LINKS as LINKS, DEMO_NAMES as NAMES } from '../../testkit/demoHerd.js';

/** Runs the built `herd` binary and returns its exit code and output. */
function herdCli(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERD_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('latin1')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

interface MeshJson {
  members: Array<{ name: string; up: boolean; linksUp: number; linksExpected: number; records: number | null; digestAgrees: boolean | null }>;
  links: Array<{ a: string; b: string; state: string }>;
  healthy: boolean;
}

describe('operating a five-member herd', () => {
  let herd: TestHerd;
  let members: MemberProcesses;
  const mesh = async (...extra: string[]) => {
    const run = await herdCli(['mesh', '--config', herd.file, '--json', ...extra]);
    return { code: run.code, report: JSON.parse(run.stdout) as MeshJson };
  };

  before(async () => {
    herd = await makeHerd(NAMES, LINKS);
    members = new MemberProcesses(herd);
    await members.start(...NAMES);
  });

  after(() => members.stopAll());

  test('herd mesh --wait returns once the herd is healthy; every member is ready', async () => {
    const wait = await herdCli(['mesh', '--config', herd.file, '--wait', '--timeout-ms', '120000']);
    assert.equal(wait.code, 0, wait.stdout + wait.stderr);
    assert.equal(wait.stdout, 'herd healthy: 5 members, 6 links up, stores equal\n');
    assert.equal((await mesh('--check')).code, 0);
    for (const name of NAMES) assert.deepEqual(await members.readiness(name), { status: 200, text: 'ready\n' });
  });

  test('herd mesh --json: 5 members up, 6 links up, digests agree after an update', async () => {
    await exchange(portOf(herd.herd, 'Clark'), 'IAMAT mesh-client +1+1 1700000000\n');
    assert.ok(
      await eventually(async () => {
        const { report } = await mesh();
        return report.members.every((m) => m.records === 1 && m.digestAgrees === true);
      }),
    );
    const { code, report } = await mesh('--check');
    assert.equal(code, 0);
    assert.equal(report.members.filter((m) => m.up).length, 5);
    assert.deepEqual(
      report.links.map((l) => l.state),
      ['up', 'up', 'up', 'up', 'up', 'up'],
    );
  });

  test('/metrics is Prometheus text and its counters move', async () => {
    const port = portOf(herd.herd, 'Bona', 'adminPort');
    const scrape = async () => await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    const value = (text: string, series: string) => {
      const sample = new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
      assert.ok(sample, `no sample of ${series} in /metrics`);
      return Number(sample[1]);
    };
    const before = await scrape();
    assert.match(before, /^# TYPE herd_commands_total counter$/m);
    const iamat = 'herd_commands_total{command="IAMAT",member="Bona"}';
    const invalid = 'herd_commands_total{command="invalid",member="Bona"}';
    await exchange(portOf(herd.herd, 'Bona'), 'IAMAT metrics +1+1 1700000000\nnonsense\n');
    const afterwards = await scrape();
    assert.equal(value(afterwards, iamat), value(before, iamat) + 1);
    assert.equal(value(afterwards, invalid), value(before, invalid) + 1);
    // Every sample line is `name{labels} value` or `name value`, and comments are HELP/TYPE.
    for (const line of afterwards
      .trim()
      .split('\n')
      .filter((l) => l !== '')) {
      assert.match(line, /^(# (HELP|TYPE) [a-z_:][a-z0-9_:]* .+|[a-z_:][a-z0-9_:]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eNaInf]+)$/, line);
    }
    const health = await request(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.statusCode, 200);
    assert.equal(await health.body.text(), 'ok\n');
  });

  test('herd_propagation_delay_seconds counts one delay per gossip message, not per record', async () => {
    const port = portOf(herd.herd, 'Clark', 'adminPort');
    const status = async () => (await (await request(`http://127.0.0.1:${port}/status`)).body.json()) as MemberStatus;
    // /metrics between two /status that agree on the messages, so that a message arriving
    // between the two requests cannot make the counts disagree.
    const scrape = async () => {
      for (;;) {
        const first = await status();
        const text = await (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
        const second = await status();
        if (first.counters.gossipMessagesAccepted !== second.counters.gossipMessagesAccepted) continue;
        const sample = (series: string) => Number(new RegExp(`^${series}\\{member="Clark"\\} (\\S+)$`, 'm').exec(text)?.[1]);
        return {
          count: sample('herd_propagation_delay_seconds_count'),
          sum: sample('herd_propagation_delay_seconds_sum'),
          messages: second.counters.gossipMessagesAccepted,
          records: second.store.clients,
        };
      }
    };
    const before = await scrape();
    // Three fresh clients in one write to Bona, Clark's neighbour: one message or a few.
    await exchange(portOf(herd.herd, 'Bona'), ['a', 'b', 'c'].map((c) => `IAMAT delay-${c} +1+1 ${Date.now() / 1000}\n`).join(''));
    let after = before;
    assert.ok(
      await eventually(async () => {
        after = await scrape();
        return after.records === before.records + 3;
      }),
    );
    const messages = after.messages - before.messages;
    assert.ok(messages >= 1 && messages <= 3, `Clark accepted ${messages} messages`);
    assert.equal(after.count - before.count, messages);
    // From Bona receiving the oldest IAMAT to Clark storing it: not negative, far under a minute here.
    const seconds = after.sum - before.sum;
    assert.ok(seconds >= 0 && seconds < 60, `delays sum to ${seconds} s`);
  });

  test('/status shows memory and the outbound backlog; POST /gc is refused without --expose-gc', async () => {
    const port = portOf(herd.herd, 'Bona', 'adminPort');
    const status = (await (await request(`http://127.0.0.1:${port}/status`)).body.json()) as MemberStatus;
    assert.ok(status.memory.heapUsedBytes > 0 && status.memory.rssBytes >= status.memory.heapUsedBytes);
    // Nothing is on its way out of a quiet member (the backlog under load is tested in backlog tests).
    assert.deepEqual(status.backlog, { outbox: 0, signing: 0, gossipQueues: 0, muxerQueues: 0, total: 0 });
    const gc = await request(`http://127.0.0.1:${port}/gc`, { method: 'POST' });
    assert.equal(gc.statusCode, 405);
    assert.equal(await gc.body.text(), 'GET only\n');
  });

  test('herd send: a round trip, and exit codes that say what happened', async () => {
    const ok = await herdCli(['send', 'Campbell', 'IAMAT sender +5+5 1700000000.5', '--config', herd.file]);
    assert.equal(ok.code, 0);
    assert.match(ok.stdout, /^AT Campbell [+-]\d+\.\d{9} sender \+5\+5 1700000000\.5\n$/);
    const invalid = await herdCli(['send', `127.0.0.1:${portOf(herd.herd, 'Campbell')}`, 'WHATSAT nobody 1 1']);
    assert.equal(invalid.code, 3);
    assert.equal(invalid.stdout, '? WHATSAT nobody 1 1\n');
    const unknown = await herdCli(['send', 'Nobody', 'x', '--config', herd.file]);
    assert.equal(unknown.code, 2, 'a usage error');
    assert.match(unknown.stderr, /no member named "Nobody"/);
    const closed = await herdCli(['send', `127.0.0.1:${await freePort()}`, 'x']);
    assert.equal(closed.code, 1, 'nobody listening: no answer');
    assert.match(closed.stderr, /ECONNREFUSED/);
  });

  test('herd client driven through a pipe', async () => {
    const run = await herdCli(['client', 'Jaquez', '--config', herd.file], 'IAMAT piped +6+6 1700000000\nbad\nWHATSAT piped 5 1\n');
    assert.equal(run.code, 0);
    const lines = run.stdout.split('\n');
    assert.match(lines[0]!, /^AT Jaquez [+-]\d+\.\d{9} piped \+6\+6 1700000000$/);
    assert.equal(lines[1], '? bad');
    assert.equal(lines[2], lines[0]);
    assert.ok(run.stdout.endsWith('}\n\n'));
  });

  test('a killed member shows as down with its links, and --check fails', async () => {
    await members.kill('Clark');
    assert.ok(
      await eventually(async () => {
        const { report } = await mesh();
        return report.links.filter((l) => l.a === 'Clark' || l.b === 'Clark').every((l) => l.state === 'down');
      }),
    );
    const { code, report } = await mesh('--check');
    assert.equal(code, 1);
    assert.equal(report.members.find((m) => m.name === 'Clark')!.up, false);
    assert.equal(report.healthy, false);
    const table = spawnSync(process.execPath, [HERD_BIN, 'mesh', '--config', herd.file], { encoding: 'utf8' });
    assert.equal(table.status, 0, 'without --check a down member is shown, not an error');
    assert.match(table.stdout, /^Clark +\S+ +DOWN /m);
    assert.match(table.stdout, /Clark - Jaquez: down/);
    const wait = await herdCli(['mesh', '--config', herd.file, '--wait', '--timeout-ms', '5000']);
    assert.equal(wait.code, 1);
    assert.equal(wait.stdout, 'herd not healthy after 5000 ms: Clark down; link Clark - Jaquez down; link Clark - Bona down\n');
  });

  test('SIGTERM: the member answers what it received, then exits 0', async () => {
    const code = await members.signal('Bailey', 'SIGTERM');
    assert.equal(code, 0);
  });
});

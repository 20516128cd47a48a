/**
 * `herd start NAME` as a user runs it: one member with every default (run from its own
 * directory, its key file readable by others, its admin endpoint on 127.0.0.2), one with
 * options set. What they print, log, bind and answer.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { fetchStatus } from '../src/net/statusClient.js';
import { findMember, loadHerdFile, type HerdFileJson, type MemberConfig } from '../src/config/herdFile.js';
import { herd, jsonLines, spawnHerd } from '../testkit/cli.js';
import { makeHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { exchange } from '../testkit/wire.js';

interface Running {
  readonly child: ChildProcess;
  readonly member: MemberConfig;
  output: string;
}

async function startMember(args: string[], member: MemberConfig, cwd: string): Promise<Running> {
  const child = spawnHerd(args, { cwd });
  const running: Running = { child, member, output: '' };
  child.stdout!.on('data', (c: Buffer) => (running.output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (running.output += c.toString()));
  // Stops waiting as soon as the member answers or exits.
  assert.ok(
    await eventually(async () => child.exitCode !== null || Boolean(await fetchStatus(member, 2_000)), 120_000),
    `${member.name} not ready:\n${running.output}`,
  );
  assert.equal(child.exitCode, null, `${member.name} exited during start:\n${running.output}`);
  return running;
}

async function stop(running: Running | undefined): Promise<void> {
  if (!running || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  await exited;
}

const logEntries = (file: string) => (existsSync(file) ? jsonLines(readFileSync(file, 'utf8')) : []);

describe('a member started with every default', () => {
  let a: Running;
  let cwd: string;

  before(async () => {
    const t = await makeHerd(['A'], []);
    const json = JSON.parse(readFileSync(t.file, 'utf8')) as HerdFileJson;
    json.members[0]!.adminHost = '127.0.0.2';
    writeFileSync(t.file, JSON.stringify(json, null, 2));
    const member = findMember(loadHerdFile(t.file), 'A');
    chmodSync(member.keyPath, 0o644);
    cwd = mkdtempSync(join(tmpdir(), 'herd-cwd-'));
    a = await startMember(['start', 'A', '--config', t.file], member, cwd);
  });

  after(() => stop(a));

  test('warns about its key file readable by group and others', () => {
    const warning = jsonLines(a.output).find((e) => e.msg === 'key file is readable by group or others; chmod 600 it');
    assert.ok(warning, a.output);
    assert.equal(warning.level, 40);
    assert.equal(warning.keyFile, a.member.keyPath);
    assert.equal(warning.mode, '0644');
  });

  test('its admin endpoint listens on adminHost (127.0.0.2), not on 127.0.0.1', async () => {
    const status = await fetchStatus(a.member);
    assert.equal(status.name, 'A');
    await assert.rejects(request(`http://127.0.0.1:${a.member.adminPort}/status`), { code: 'ECONNREFUSED' });
  });

  test('the console prints JSON lines at info when stdout is not a terminal; the log goes to ./logs/A.1.log at info', async () => {
    const port = a.member.clientPort;
    const answered = await herd(['send', `127.0.0.1:${port}`, 'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503']);
    assert.equal(answered.code, 0);
    assert.match(answered.stdout, /^AT A [+-]\d+\.\d{9} kiwi\.cs\.ucla\.edu \+34\.068930-118\.445127 1621464827\.959498503\n$/);
    const invalid = await herd(['send', `127.0.0.1:${port}`, 'WHATSAT nobody 10 2']);
    assert.deepEqual(invalid, { code: 3, stdout: '? WHATSAT nobody 10 2\n', stderr: '' });

    const replyTo = (line: string) => (e: Record<string, unknown>) => e.msg === 'reply' && e.reply === `? ${line}`;
    assert.ok(await eventually(() => jsonLines(a.output).some(replyTo('WHATSAT nobody 10 2'))), a.output);
    const consoleInput = jsonLines(a.output).find((e) => e.msg === 'input' && e.line === 'WHATSAT nobody 10 2');
    assert.equal(consoleInput?.level, 30);
    // The file is written in 4 KiB batches and at least once a second.
    const file = join(cwd, 'logs', 'A.1.log');
    assert.ok(await eventually(() => logEntries(file).some(replyTo('WHATSAT nobody 10 2')), 15_000), `${file}`);
    const fileInput = logEntries(file).find((e) => e.msg === 'input' && e.line === 'WHATSAT nobody 10 2');
    assert.equal(fileInput?.level, 30);
  });

  test('lines up to 65536 bytes are read; a longer one gets a reply clipped to 1024 bytes and the connection closes', async () => {
    const reply = (await exchange(a.member.clientPort, `${'x'.repeat(65_536)}\n${'y'.repeat(65_537)}\nWHATSAT nobody 10 2\n`)).toString('latin1');
    // Compared whole, reported short: a failure message of 130 KB helps nobody.
    const expected = `? ${'x'.repeat(65_536)}\n? ${'y'.repeat(1024)}\n`;
    assert.ok(
      reply === expected,
      `${reply.length} bytes (expected ${expected.length}): ${reply.replace(/(.)\1{20,}/g, (run, c) => `${c}*${run.length}`)}`,
    );
  });
});

describe('a member started with --log-level warn, --console-format pretty, --max-line-bytes 64', () => {
  let b: Running;
  let logDir: string;

  before(async () => {
    const t = await makeHerd(['B'], []);
    logDir = join(t.dir, 'member-logs');
    b = await startMember(
      ['start', 'B', '--config', t.file, '--log-dir', logDir, '--log-level', 'warn', '--console-format', 'pretty', '--max-line-bytes', '64'],
      findMember(t.herd, 'B'),
      t.dir,
    );
  });

  after(() => stop(b));

  test('the console prints pretty lines, not JSON', async () => {
    assert.ok(await eventually(() => /INFO.*member started/.test(b.output)), b.output);
    assert.ok(
      b.output.split('\n').every((line) => !line.startsWith('{')),
      b.output,
    );
  });

  test('a key file of mode 0600 is not warned about', () => {
    assert.ok(!b.output.includes('key file is readable'), b.output);
  });

  test('lines up to 64 bytes are read; a 65-byte line is clipped and closes the connection', async () => {
    const reply = await exchange(b.member.clientPort, `${'x'.repeat(64)}\n${'y'.repeat(65)}\nWHATSAT nobody 10 2\n`);
    assert.equal(reply.toString('latin1'), `? ${'x'.repeat(64)}\n? ${'y'.repeat(64)}\n`);
  });

  test('the log file holds warnings and nothing below', async () => {
    // The overlong line above logs a warning after the info lines of that connection.
    const file = join(logDir, 'B.1.log');
    assert.ok(await eventually(() => logEntries(file).some((e) => e.msg === 'overlong line: closing'), 15_000), file);
    const levels = new Set(logEntries(file).map((e) => e.level));
    assert.deepEqual([...levels], [40]);
  });
});

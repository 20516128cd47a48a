/** LogWriter: the log file written by a thread of its own, in order, bounded, and flushed on demand. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogWriter, type LogWriterOptions } from '../src/net/logWriter.js';
import { eventually } from '../testkit/eventually.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'herd-log-writer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function start(dir: string, more: Partial<LogWriterOptions> = {}): Promise<LogWriter> {
  const writer = new LogWriter({ roll: { file: join(dir, 'Solo'), extension: '.log', size: '64m' }, batchBytes: 4096, ...more });
  await writer.ready;
  return writer;
}

const fileLines = (dir: string): string[] => readFileSync(join(dir, 'Solo.1.log'), 'utf8').split('\n').slice(0, -1);

test('lines and client commands reach the file in the order they were logged; flush returns once they are written', async (t) => {
  const dir = tempDir(t);
  const writer = await start(dir, { maxPendingBytes: 16 * 1024 }); // small: logging must wait for the writer
  const commands = writer.commands({ member: 'Solo', component: 'clients' })(9);
  for (let i = 0; i < 5000; i++) {
    writer.write(`{"n":${i},"text":"caf\u00e9 \u2603"}\n`);
    commands.input(`IAMAT c${i} +1+1 1.5`);
    commands.reply(Buffer.from(`AT Solo +0.1 c${i} +1+1 1.5\n`, 'latin1'));
  }
  writer.close();
  writer.write('{"after":"close"}\n'); // dropped, and no error
  const lines = fileLines(dir);
  assert.equal(lines.length, 15_000);
  for (let i = 0; i < 5000; i++) {
    assert.equal(lines[3 * i], `{"n":${i},"text":"caf\u00e9 \u2603"}`);
    const input = JSON.parse(lines[3 * i + 1]!) as Record<string, unknown>;
    const reply = JSON.parse(lines[3 * i + 2]!) as Record<string, unknown>;
    assert.deepEqual([input.msg, input.conn, input.line, input.member], ['input', 9, `IAMAT c${i} +1+1 1.5`, 'Solo']);
    assert.deepEqual([reply.msg, reply.reply, reply.bytes], ['reply', `AT Solo +0.1 c${i} +1+1 1.5`, `AT Solo +0.1 c${i} +1+1 1.5\n`.length]);
  }
});

test('a lone line reaches the file within maxWaitMs, without a flush', async (t) => {
  const dir = tempDir(t);
  const writer = await start(dir, { maxWaitMs: 20 });
  writer.write('{"lonely":true}\n');
  await eventually(() => {
    try {
      return fileLines(dir).length === 1;
    } catch {
      return false;
    }
  });
  assert.deepEqual(fileLines(dir), ['{"lonely":true}']);
});

test('a log file that cannot be opened: ready rejects, naming it, and lines are dropped without blocking', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'not-a-dir'), '');
  const writer = new LogWriter({ roll: { file: join(dir, 'not-a-dir', 'Solo'), extension: '.log' }, batchBytes: 64 });
  writer.write('{"before":"the error"}\n');
  await assert.rejects(writer.ready, /not-a-dir/);
  for (let i = 0; i < 100; i++) writer.write('{"after":"the error"}\n');
  writer.flush();
});

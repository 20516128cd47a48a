/** Log files rotate by size, and only the configured number of old ones is kept (issue 11). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runMember } from '../src/cli/runMember.js';
import { makeHerd } from './helpers/herd.js';
import { eventually } from './helpers/processes.js';
import { exchange } from './helpers/wire.js';

const CAP = 16 * 1024;

/** The member's log files, oldest first: Solo.N.log, N counting up. */
function logFiles(dir: string): Array<{ n: number; bytes: number; text: string }> {
  return readdirSync(dir)
    .map((f) => /^Solo\.(\d+)\.log$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ n: Number(m[1]), bytes: statSync(join(dir, m[0])).size, text: readFileSync(join(dir, m[0]), 'latin1') }))
    .sort((a, b) => a.n - b.n);
}

test('a log filled past its cap is rotated; two old files are kept, older ones removed', async () => {
  const { herd, dir } = await makeHerd(['Solo'], []);
  const member = await runMember({ herd, name: 'Solo', logDir: dir, consoleLevel: 'silent', logMaxBytes: CAP, logFiles: 2 });
  try {
    // Each IAMAT logs its line and its reply, ~400 bytes: 400 of them fill ~10 files' worth.
    // Ten per connection, one connection after another: pino-roll switches files between
    // event-loop turns, so the lines must not all be handled in one or two turns.
    for (let batch = 0; batch < 40; batch++) {
      await exchange(member.clientPort, ...Array.from({ length: 10 }, (_, i) => `IAMAT rotated-${10 * batch + i} +1+1 ${i + 1}\n`));
    }
    await exchange(member.clientPort, 'IAMAT last-one +1+1 1\n');
    assert.ok(await eventually(() => logFiles(dir).length === 3, 30_000), `files: ${logFiles(dir).map((f) => f.n)}`);
  } finally {
    await member.stop();
  }
  const files = logFiles(dir);
  assert.equal(files.length, 3, 'the current file and two rotated ones');
  assert.ok(files[0]!.n > 1, 'the first files were removed');
  assert.deepEqual(files.map((f) => f.n), [files[0]!.n, files[0]!.n + 1, files[0]!.n + 2]);
  // pino-roll switches files at the end of the event-loop turn whose writes reach the cap, and
  // counts that turn's later writes towards the next file: a file may end short of the cap, or
  // pass it by one turn's writes (here ten IAMATs, ~4 KiB), never by more.
  for (const file of files.slice(0, -1)) assert.ok(file.bytes > 0 && file.bytes < CAP + 8 * 1024, `file ${file.n}: ${file.bytes} bytes`);
  const current = files.at(-1)!.text;
  assert.match(current, /last-one/);
  assert.match(current, /"msg":"member stopped"/);
  for (const file of files) for (const line of file.text.trim().split('\n')) JSON.parse(line); // whole lines in every file
});

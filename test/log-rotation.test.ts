/** Log files rotate by size, and only the configured number of old ones is kept (issue 11). */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runMember } from '../src/cli/runMember.js';
import { makeHerd } from '../testkit/herd.js';
import { eventually } from '../testkit/eventually.js';
import { exchange } from '../testkit/wire.js';

const CAP = 16 * 1024;

/** The member's log files, oldest first: Solo.N.log, N counting up. */
function logFiles(dir: string): Array<{ n: number; bytes: number; text: string }> {
  return readdirSync(dir)
    .map((f) => /^Solo\.(\d+)\.log$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .flatMap((m) => {
      try {
        return [{ n: Number(m[1]), bytes: statSync(join(dir, m[0])).size, text: readFileSync(join(dir, m[0]), 'latin1') }];
      } catch (err) {
        // The log writer's thread removes old files while this one lists them.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    })
    .sort((a, b) => a.n - b.n);
}

test('a log filled past its cap is rotated; two old files are kept, older ones removed', async () => {
  const { herd, dir } = await makeHerd(['Solo'], []);
  const member = await runMember({ herd, name: 'Solo', logDir: dir, consoleLevel: 'silent', logMaxBytes: CAP, logFiles: 2 });
  try {
    // Each IAMAT logs its line and its reply, ~400 bytes. Ten per connection, one connection
    // after another, until the fifth file is current: pino-roll switches files between
    // event-loop turns, so the lines must not all be handled in one or two turns.
    for (let batch = 0; Math.max(0, ...logFiles(dir).map((f) => f.n)) < 5; batch++) {
      assert.ok(batch < 1_000, `40,000 IAMATs logged and still ${logFiles(dir).length} files: the log does not rotate`);
      await exchange(member.clientPort, ...Array.from({ length: 10 }, (_, i) => `IAMAT rotated-${10 * batch + i} +1+1 ${i + 1}\n`));
    }
    await exchange(member.clientPort, 'IAMAT last-one +1+1 1\n');
    assert.ok(
      await eventually(() => logFiles(dir).length === 3, 30_000),
      `files: ${logFiles(dir)
        .map((f) => f.n)
        .join(',')}`,
    );
  } finally {
    await member.stop();
  }
  const files = logFiles(dir);
  assert.equal(files.length, 3, 'the current file and two rotated ones');
  assert.ok(files[0]!.n > 1, 'the first files were removed');
  assert.deepEqual(
    files.map((f) => f.n),
    [files[0]!.n, files[0]!.n + 1, files[0]!.n + 2],
  );
  // pino-roll decides to switch files when a write reaches the cap, but switches only after an
  // asynchronous fsync of the old file; writes go on into the old file meanwhile and count
  // towards the next one. So a file may end short of the cap, or pass it by what a busy disk
  // lets through during one fsync: bounded here by four caps, well below a file that never
  // rotates.
  for (const file of files.slice(0, -1)) assert.ok(file.bytes > 0 && file.bytes < 4 * CAP, `file ${file.n}: ${file.bytes} bytes`);
  const current = files.at(-1)!.text;
  assert.match(current, /last-one/);
  assert.match(current, /"msg":"member stopped"/);
  for (const file of files) for (const line of file.text.trim().split('\n')) JSON.parse(line); // whole lines in every file
});

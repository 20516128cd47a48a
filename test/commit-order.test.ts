/**
 * The record log queues lines and writes them together, so the order of two writes matters:
 * a reply may reach the kernel only once the record it acknowledges is in the log file.
 * Every write of the member's client sockets is watched, and the file read at that moment.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runMember, type RunningMember } from '../src/cli/runMember.js';
import { makeHerd } from '../testkit/herd.js';
import { open, readLines } from '../testkit/wire.js';

type Done = (err?: Error | null) => void;
/** The stream hooks every socket write goes through, as properties (they are replaced below). */
const hooks = Socket.prototype as unknown as {
  _write: (this: Socket, chunk: Buffer, encoding: BufferEncoding, done: Done) => void;
  _writev: (this: Socket, chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, done: Done) => void;
};

describe('acknowledged means logged', () => {
  let member: RunningMember;
  let logFile: string;
  const unlogged: string[] = [];
  let replyWrites = 0;
  const originals = { write: hooks._write, writev: hooks._writev };

  /** Every AT line in bytes the member is about to send must already be in its record log. */
  function checkLogged(socket: Socket, data: Array<Buffer | string>): void {
    if (!(socket as Socket & { server?: unknown }).server) return; // the test's own client sockets
    replyWrites++;
    const logged = new Set(readFileSync(logFile, 'latin1').split('\n'));
    for (const line of data
      .map((d) => d.toString())
      .join('')
      .split('\n')) {
      if (line.startsWith('AT ') && !logged.has(line)) unlogged.push(line);
    }
  }

  before(async () => {
    const { herd, dir } = await makeHerd(['Solo'], []);
    logFile = join(dir, 'data', 'records.log');
    member = await runMember({ herd, name: 'Solo', logDir: dir, dataDir: join(dir, 'data'), consoleLevel: 'silent' });
    hooks._write = function (chunk, encoding, done) {
      checkLogged(this, [chunk]);
      originals.write.call(this, chunk, encoding, done);
    };
    hooks._writev = function (chunks, done) {
      checkLogged(
        this,
        chunks.map((c) => c.chunk),
      );
      originals.writev.call(this, chunks, done);
    };
  });

  after(async () => {
    hooks._write = originals.write;
    hooks._writev = originals.writev;
    await member.stop();
  });

  test('a pipelined burst of IAMATs: every reply leaves after its record is in records.log', async () => {
    const socket = await open(member.clientPort);
    const count = 2_000;
    const lines = Array.from({ length: count }, (_, i) => `IAMAT commit-${i % 300} +1+1 1700000000.${String(i).padStart(9, '0')}\n`);
    const replies = readLines(socket, count);
    socket.write(lines.join(''));
    const got = await replies;
    socket.destroy();
    assert.equal(got.length, count);
    assert.ok(got.every((line) => line.startsWith('AT Solo ')));
    assert.ok(replyWrites > 0 && replyWrites < count, `replies went out in ${replyWrites} writes, batched`);
    assert.deepEqual(unlogged, [], 'replies sent before their records were logged');
  });
});

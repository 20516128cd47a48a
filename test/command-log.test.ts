/**
 * A client command's two log lines, handed to the log writer as raw fields and formatted there
 * (logEntries.ts), are byte for byte what pino writes for them; a member logger picks that way
 * only when the console does not take info lines too (issue 12).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { loggedCommands, type CommandLog } from '../src/net/commandLog.js';
import { bindingsHead, EntryBatch, formatEntries } from '../src/net/logEntries.js';
import { createMemberLogger } from '../src/net/logger.js';

/** Client lines a member may be sent: quotes, backslashes, control bytes, latin1 above 127, long ones. */
const LINES = [
  'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503',
  '',
  'say "hi"\\',
  'tab\there, bell\x07, delete\x7f, nul\x00',
  'caf\xe9 \xff\xa0',
  `${'"quoted", '.repeat(10)}and a long tail past pino's 42-character fast path`,
];

const sameTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

/** What a logger writes, line by line. */
function capture(): { lines: string[]; write(chunk: string): boolean } {
  const lines: string[] = [];
  return { lines, write: (chunk) => (lines.push(...chunk.split('\n').filter((l) => l !== '')), true) };
}

describe('command log lines', () => {
  test('packed as entries and formatted by the writer, they equal the lines pino writes for the same bindings', () => {
    const viaPino = capture();
    const log = pino({ level: 'info', base: { member: 'Clark' } }, viaPino).child({ component: 'clients' });
    const throughPino = loggedCommands(log)(7);
    const batch = new EntryBatch(64); // small: it must grow, keeping what it holds
    const packed: CommandLog = { input: (line) => batch.input(3, 7, line), reply: (reply) => batch.reply(3, 7, reply) };
    for (const line of LINES) {
      for (const commands of [throughPino, packed]) {
        commands.input(line);
        commands.reply(Buffer.from(`? ${line}\nsecond line\n`, 'latin1'));
        commands.reply(Buffer.from(`AT Clark +0.000000001 ${line}`, 'latin1')); // no newline at all
      }
    }
    const { buffer, length } = batch.take();
    const direct = capture();
    direct.write(formatEntries(Buffer.from(buffer, 0, length), new Map([[3, bindingsHead({ member: 'Clark', component: 'clients' })]])));
    assert.equal(direct.lines.length, 3 * LINES.length);
    assert.deepEqual(direct.lines.map(sameTime), viaPino.lines.map(sameTime));
    const reply = JSON.parse(direct.lines[1]!) as Record<string, unknown>;
    assert.deepEqual(
      { ...reply, time: 0 },
      {
        level: 30,
        time: 0,
        member: 'Clark',
        component: 'clients',
        conn: 7,
        reply: `? ${LINES[0]}`,
        bytes: `? ${LINES[0]}\nsecond line\n`.length,
        msg: 'reply',
      },
    );
  });

  for (const { level, consoleLevel, inFile } of [
    { level: 'info', consoleLevel: 'warn', inFile: true },
    { level: 'info', consoleLevel: 'silent', inFile: true },
    { level: 'warn', consoleLevel: 'silent', inFile: false },
  ] as const) {
    test(`a member logger at ${level}, console at ${consoleLevel}: the lines are ${inFile ? '' : 'not '}in its log file, in order with pino's`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'herd-command-log-'));
      try {
        const logger = await createMemberLogger({ name: 'Clark', logDir: dir, level, consoleLevel });
        const commands = logger.commandLog({ component: 'clients' })(3);
        logger.log.warn({}, 'before');
        commands.input(LINES[0]!);
        commands.reply(Buffer.from(`AT Clark +0.000000001 ${LINES[0]}\n`, 'latin1'));
        logger.log.warn({}, 'after');
        logger.flush();
        const logged = readFileSync(join(dir, 'Clark.1.log'), 'latin1')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        assert.deepEqual(
          logged.map((e) => [e.msg, e.conn, e.component]),
          inFile
            ? [
                ['before', undefined, undefined],
                ['input', 3, 'clients'],
                ['reply', 3, 'clients'],
                ['after', undefined, undefined],
              ]
            : [
                ['before', undefined, undefined],
                ['after', undefined, undefined],
              ],
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

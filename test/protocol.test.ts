import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatSignedSeconds,
  parseAtLine,
  parseCommand,
  parseLocation,
  parsePosixTime,
  decodeRecords,
  encodeRecords,
  makeRecord,
  receivedSeconds,
  whatsatReply,
  iamatReply,
  invalidReply,
} from '../src/protocol/index.js';

describe('POSIX time', () => {
  test('parses whole seconds and every fraction length exactly', () => {
    assert.equal(parsePosixTime('1621464827'), 1621464827_000000000n);
    assert.equal(parsePosixTime('1621464827.9'), 1621464827_900000000n);
    assert.equal(parsePosixTime('1621464827.9594985'), 1621464827_959498500n);
    assert.equal(parsePosixTime('1621464827.959498503'), 1621464827_959498503n);
  });

  test('rejects more than 9 fraction digits, signs, exponents and empty parts', () => {
    for (const bad of ['1621464827.9594985031', '+1621464827', '-1', '1e9', '1.', '.5', '', '1,5', '0x10', '１']) {
      assert.equal(parsePosixTime(bad), undefined, bad);
    }
  });

  test('formats differences with an explicit sign and exactly 9 decimals', () => {
    assert.equal(formatSignedSeconds(263873386n), '+0.263873386');
    assert.equal(formatSignedSeconds(0n), '+0.000000000');
    assert.equal(formatSignedSeconds(-1n), '-0.000000001');
    assert.equal(formatSignedSeconds(-1_500_000_000n), '-1.500000000');
    // Large values never switch to exponent notation.
    assert.equal(formatSignedSeconds(10n ** 30n + 7n), '+1000000000000000000000.000000007');
  });
});

describe('ISO 6709 locations', () => {
  test('parses signed degrees with and without fractions', () => {
    assert.deepEqual(parseLocation('+34.068930-118.445127'), { lat: 34.06893, lng: -118.445127 });
    assert.deepEqual(parseLocation('+34-118'), { lat: 34, lng: -118 });
    assert.deepEqual(parseLocation('-90+180'), { lat: -90, lng: 180 });
    assert.deepEqual(parseLocation('+90.000-180.0'), { lat: 90, lng: -180 });
  });

  test('rejects out-of-range values exactly, missing signs and junk', () => {
    for (const bad of [
      '+90.000000000000000001+0',
      '+91+0',
      '+0+180.1',
      '+0-181',
      '34.06-118.44',
      '+34.06',
      '+34.-118',
      '+34.06-118.44x',
      '++34-118',
      '+34 -118',
      '',
      '+1e1-118',
    ]) {
      assert.equal(parseLocation(bad), undefined, bad);
    }
  });
});

describe('commands', () => {
  test('IAMAT with the example fields', () => {
    const command = parseCommand('IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503');
    assert.equal(command.kind, 'IAMAT');
    assert.ok(command.kind === 'IAMAT');
    assert.equal(command.client, 'kiwi.cs.ucla.edu');
    assert.equal(command.location, '+34.068930-118.445127');
    assert.equal(command.timeText, '1621464827.959498503');
    assert.equal(command.timeNanos, 1621464827_959498503n);
  });

  test('fields separated by any run of the six white-space characters', () => {
    const command = parseCommand(' \tIAMAT\t\tkiwi \f+34-118\v 1621464827.5 \r');
    assert.ok(command.kind === 'IAMAT');
    assert.equal(command.client, 'kiwi');
    assert.equal(command.timeText, '1621464827.5');
  });

  test('a Unicode space is part of a client id, not a separator', () => {
    const command = parseCommand('IAMAT ki\u00a0wi +34-118 1');
    assert.ok(command.kind === 'IAMAT');
    assert.equal(command.client, 'ki\u00a0wi');
  });

  test('WHATSAT within the ranges', () => {
    assert.deepEqual(parseCommand('WHATSAT kiwi 10 5'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 10, bound: 5 });
    assert.deepEqual(parseCommand('WHATSAT kiwi 50 20'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 50, bound: 20 });
    assert.deepEqual(parseCommand('WHATSAT kiwi 0.001 1'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 0.001, bound: 1 });
  });

  test('numbers by value: the spellings a probe found refused are accepted (issue 11)', () => {
    const whatsat = (r: string, b: string) => parseCommand(`WHATSAT kiwi ${r} ${b}`);
    assert.deepEqual(whatsat('50.0000000000000', '00020'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 50, bound: 20 });
    assert.deepEqual(whatsat('0.0000000000001', '1'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 1e-13, bound: 1 });
    assert.deepEqual(whatsat('0000010', '5'), { kind: 'WHATSAT', client: 'kiwi', radiusKm: 10, bound: 5 });
    assert.equal(whatsat('50.0000000000000000001', '1').kind, 'INVALID', 'just past 50, beyond what a double tells apart');
    assert.equal(whatsat('10', '000021').kind, 'INVALID');
    const thirty = `+34.${'1'.repeat(30)}-118.${'2'.repeat(30)}`;
    assert.equal(parseCommand(`IAMAT kiwi ${thirty} 1`).kind, 'IAMAT');
    assert.deepEqual(parseLocation('+0034-118'), { lat: 34, lng: -118 });
    assert.equal(parseLocation(`+90.${'0'.repeat(40)}1+0`), undefined);
    assert.equal(parsePosixTime(`${'0'.repeat(30)}1621464827.959498503`), 1621464827959498503n);
    assert.equal(parsePosixTime('999999999999999999'), 999999999999999999n * 1_000_000_000n);
    assert.equal(parsePosixTime('1000000000000000000'), undefined, 'the documented limit: below 10^18 s');
  });

  test('blank lines are ignored', () => {
    assert.deepEqual(parseCommand(''), { kind: 'BLANK' });
    assert.deepEqual(parseCommand(' \t\r\f\v'), { kind: 'BLANK' });
  });

  test('every invalid form is echoed as received', () => {
    const invalid = [
      'IAMAT Clark +12-118',
      'IAMAT kiwi +34-118 1621464827.5 extra',
      'IAMAT kiwi +91-118 1621464827.5',
      'IAMAT kiwi 34-118 1621464827.5',
      'IAMAT kiwi +34-118 1621464827.1234567891',
      'IAMAT kiwi +34-118 -5',
      'iamat kiwi +34-118 1621464827',
      'WHATSAT kiwi 0 5',
      'WHATSAT kiwi 50.0001 5',
      'WHATSAT kiwi 51 5',
      'WHATSAT kiwi -1 5',
      'WHATSAT kiwi 10 0',
      'WHATSAT kiwi 10 21',
      'WHATSAT kiwi 10 2.5',
      'WHATSAT kiwi ten 5',
      'WHATSAT kiwi 10',
      'HELLO',
      '  AT Clark +0.1 kiwi +34-118 1  ',
    ];
    for (const line of invalid) {
      assert.deepEqual(parseCommand(line), { kind: 'INVALID', line }, line);
      assert.equal(invalidReply(line).toString('latin1'), `? ${line}\n`);
    }
  });
});

describe('replies', () => {
  const record = makeRecord({
    member: 'Clark',
    difference: '+0.263873386',
    client: 'kiwi.cs.ucla.edu',
    location: '+34.068930-118.445127',
    timeText: '1621464827.959498503',
  });

  test('the AT line', () => {
    assert.equal(record.atLine, 'AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503');
    assert.equal(iamatReply(record.atLine).toString(), `${record.atLine}\n`);
  });

  test('client bytes that are not UTF-8 survive the round trip', () => {
    const id = Buffer.from([0x6b, 0xff, 0xfe, 0x80]).toString('latin1');
    assert.deepEqual(iamatReply(`AT Clark +0.000000000 ${id} +1+1 1`).subarray(22, 26), Buffer.from([0x6b, 0xff, 0xfe, 0x80]));
  });

  test('WHATSAT cuts results to the bound, pretty-prints, ends in an empty line', () => {
    const answer = { html_attributions: [], results: [{ name: 'a\n\nb' }, { name: 'c' }, { name: 'd' }], status: 'OK', extra: 1 };
    const text = whatsatReply(record.atLine, answer, 2).toString('utf8');
    assert.ok(text.startsWith(`${record.atLine}\n{\n`));
    assert.ok(text.endsWith('}\n\n'));
    const body = text.slice(record.atLine.length + 1, -2);
    assert.ok(!body.includes('\n\n'));
    assert.deepEqual(JSON.parse(body), { ...answer, results: answer.results.slice(0, 2) });
  });
});

describe('record codec', () => {
  test('receivedSeconds: the client time plus the difference, within a microsecond', () => {
    const close = (line: string, expected: number) =>
      assert.ok(Math.abs(receivedSeconds(line) - expected) < 1e-6, `${line}: ${receivedSeconds(line)}`);
    close('AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503', 1621464828 + 0.223371889);
    close('AT Bona -12.000000001 x -90+180 0', -12.000000001);
    close('AT Bona +0.500000000 x -90+180 0007.25', 7.75);
  });

  test('round trips a batch exactly', () => {
    const lines = ['AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503', 'AT Bona -12.000000001 x\u00ffy -90+180 0'];
    const records = lines.map((l) => parseAtLine(l)!);
    assert.ok(records.every(Boolean));
    const decoded = decodeRecords(encodeRecords(records))!;
    assert.deepEqual(
      decoded.map((r) => r.atLine),
      lines,
    );
    assert.equal(decoded[1]!.timeText, '0');
  });

  test('rejects a batch with any malformed record', () => {
    const good = 'AT Clark +0.263873386 kiwi +34-118 1';
    for (const bad of ['', 'AT Clark +0.2 kiwi +34-118 1', 'AT Clark +0.263873386 kiwi +95-118 1', 'AT Cl ark +0.263873386 kiwi +34-118 1', 'junk']) {
      assert.equal(decodeRecords(Buffer.from(`${good}\n${bad}`, 'latin1')), undefined, bad);
    }
    assert.equal(decodeRecords(new Uint8Array()), undefined);
  });
});

/**
 * Property tests (fast-check): the pure protocol pieces against reference models written from
 * PROTOCOL.md, and one real member over TCP against a model of the replies it owes.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { runMember, type RunningMember } from '../src/cli/runMember.js';
import { parseCommand } from '../src/protocol/command.js';
import { LineFramer, type FrameEvent } from '../src/protocol/framer.js';
import { isLocation, parseLocation } from '../src/protocol/location.js';
import {
  decodeRecords,
  encodeRecords,
  makeRecord,
  MAX_RECORD_LINE_BYTES,
  parseAtLine,
  recordOf,
  type LocationRecord,
} from '../src/protocol/record.js';
import { invalidReply } from '../src/protocol/reply.js';
import { compareTimeTexts, compareTimeBytes, formatSignedSeconds, isPosixTime, parseSignedSeconds, parsePosixTime } from '../src/protocol/time.js';
import { LocationStore, type LineBytes } from '../src/core/store.js';
import { atLineMemberIs, isAtLine } from '../src/protocol/atLine.js';
import {
  badBoundText,
  refLocation,
  badRadiusText,
  boundText,
  clientId,
  digits,
  edgeLocation,
  iamatFields,
  iamatLine,
  joinFields,
  location,
  mutation,
  refAtLine,
  refTimeNanos,
  optionalWhiteSpace,
  posixTime,
  radiusText,
  refClassify,
  refFrame,
  splitAt,
  whatsatLine,
  type RefCommand,
  type RefEvent,
} from '../testkit/arbitraries.js';
import { makeHerd, type TestHerd } from '../testkit/herd.js';
import { AT_REPLY, collect, exchange, open } from '../testkit/wire.js';

// Failures show the assertion message next to the counterexample.
fc.configureGlobal({ includeErrorInReport: true });

const NANOS = 1_000_000_000n;
/** The largest POSIX time the protocol parser accepts, in nanoseconds, plus one. */
const TIME_LIMIT = 10n ** 18n * NANOS;

const showEvents = (events: ReadonlyArray<FrameEvent | RefEvent>) =>
  events.map((e) => `${e.type}:${('head' in e ? e.head : e.bytes).toString('hex')}`);

function frameAll(cap: number, pieces: readonly Buffer[]): FrameEvent[] {
  const framer = new LineFramer(cap);
  const events: FrameEvent[] = [];
  for (const piece of pieces) events.push(...framer.push(piece));
  return [...events, ...framer.end()];
}

// -------------------------------------------------------------------------------------------
// Pure properties
// -------------------------------------------------------------------------------------------

describe('pure protocol properties', () => {
  test('framer: any chunking gives the reference lines of the unsplit input', () => {
    const byte = fc.oneof({ weight: 2, arbitrary: fc.constantFrom(0x0a, 0x0d, 0x41) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) });
    // Long runs without "\n" make overlong lines likely against small caps.
    const input = fc
      .array(
        fc.oneof(
          fc.array(byte, { maxLength: 8 }),
          fc.integer({ min: 1, max: 40 }).map((n) => Array<number>(n).fill(0x78)),
        ),
        { maxLength: 12 },
      )
      .map((parts) => Buffer.from(parts.flat()));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 24 }), input, fc.array(fc.nat(), { maxLength: 24 }), fc.boolean(), (cap, bytes, cuts, oneByOne) => {
        const expected = showEvents(refFrame(bytes, cap));
        assert.deepEqual(showEvents(frameAll(cap, [bytes])), expected, 'unsplit');
        const pieces = oneByOne ? [...bytes].map((b) => Buffer.from([b])) : splitAt(bytes, cuts);
        assert.deepEqual(showEvents(frameAll(cap, pieces)), expected, `split into ${pieces.map((p) => p.length).join('+')}`);
      }),
      { numRuns: 400 },
    );
  });

  test('parser: valid IAMAT fields with any white space parse to exactly those fields', () => {
    fc.assert(
      fc.property(iamatLine, ({ fields, line }) => {
        const command = parseCommand(line);
        assert.equal(command.kind, 'IAMAT', JSON.stringify(line));
        if (command.kind !== 'IAMAT') return;
        assert.equal(command.client, fields.client);
        assert.equal(command.location, fields.location);
        assert.equal(command.timeText, fields.timeText);
        const [whole, fraction = ''] = fields.timeText.split('.');
        assert.equal(command.timeNanos, BigInt(whole!) * NANOS + BigInt(fraction.padEnd(9, '0')));
        // Coordinates (read when a WHATSAT asks): the decimal value of each part, never -0, within range.
        const [, lat, lng] = /^([+-][0-9.]+)([+-][0-9.]+)$/.exec(fields.location)!;
        const coordinates = parseLocation(command.location)!;
        assert.equal(coordinates.lat, Number(lat) + 0);
        assert.equal(coordinates.lng, Number(lng) + 0);
        assert.ok(Math.abs(coordinates.lat) <= 90 && Math.abs(coordinates.lng) <= 180);
      }),
      { numRuns: 300 },
    );
  });

  const memberName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,15}$/);
  const nanos = fc.bigInt({ min: 0n, max: TIME_LIMIT - 1n });
  const record: fc.Arbitrary<LocationRecord> = fc.tuple(memberName, iamatFields, nanos).map(([member, f, receivedAt]) => {
    const timeNanos = parsePosixTime(f.timeText)!;
    return makeRecord({
      member,
      difference: formatSignedSeconds(receivedAt - timeNanos),
      client: f.client,
      location: f.location,
      timeText: f.timeText,
    });
  });

  test('record codec: AT lines and batches round trip exactly', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 8 }), (records) => {
        for (const r of records) {
          assert.equal(r.atLine, `AT ${r.member} ${r.difference} ${r.client} ${r.location} ${r.timeText}`);
          assert.deepEqual(parseAtLine(r.atLine), r);
          assert.deepEqual(recordOf(r.atLine), r);
        }
        const bytes = encodeRecords(records);
        assert.deepEqual(decodeRecords(bytes), records);
        // The batch survives being viewed at an offset inside a larger buffer.
        const padded = Buffer.concat([Buffer.from('xyz'), Buffer.from(bytes)]).subarray(3);
        assert.deepEqual(decodeRecords(padded), records);
      }),
      { numRuns: 200 },
    );
  });

  test('AT lines: the check on bytes and the parse agree with the reference, on lines and near misses', () => {
    const edgeLine = fc
      .tuple(
        fc.oneof(memberName, fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{62,64}$/)),
        fc.tuple(fc.constantFrom('+', '-'), digits(1, 20), digits(8, 10)).map(([sign, s, f]) => `${sign}${s}.${f}`),
        // Ids with a byte that is white space to the protocol, or one that looks like it and is not.
        fc.oneof(
          clientId(),
          fc.tuple(clientId(), fc.constantFrom('\t', '\r', '\f', '\v', '\x00', '\x85', '\xa0')).map(([c, w]) => `${c}${w}${c}`),
        ),
        fc.oneof(location, edgeLocation),
        fc.oneof(
          posixTime,
          fc.tuple(digits(17, 19), digits(0, 10)).map(([s, f]) => (f ? `${s}.${f}` : s)),
        ),
      )
      .map((fields) => `AT ${fields.join(' ')}`);
    const line = fc.oneof(
      record.map((r) => r.atLine),
      edgeLine,
      fc
        .tuple(
          fc.oneof(
            record.map((r) => r.atLine),
            edgeLine,
          ),
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
        )
        .map(([l, ms]) => ms.reduce((s, m) => m(s), l)),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(line, (l) => {
        const expected = refAtLine(l, MAX_RECORD_LINE_BYTES);
        assert.equal(parseAtLine(l) !== undefined, expected, l);
        // As gossip checks it: the line's bytes inside a message, between other lines.
        const message = Buffer.from(`AT x\n${l}\nAT y`, 'latin1');
        const fields = { clientStart: 0, clientEnd: 0, timeStart: 0 };
        assert.equal(isAtLine(message, 5, 5 + l.length, fields), refAtLine(message.toString('latin1', 5, 5 + l.length), MAX_RECORD_LINE_BYTES), l);
        if (expected) {
          assert.equal(atLineMemberIs(message, 5, l.split(' ')[1]!), true);
          // Where it says the client id and the time are, they are.
          const [, , , client, , time] = l.split(' ');
          assert.equal(message.toString('latin1', fields.clientStart, fields.clientEnd), client);
          assert.equal(message.toString('latin1', fields.timeStart, 5 + l.length), time);
        }
      }),
      { numRuns: 5000 },
    );
    const longest = `AT Clark +0.000000000 ${'c'.repeat(MAX_RECORD_LINE_BYTES - 29)} +1+1 1`;
    assert.equal(longest.length, MAX_RECORD_LINE_BYTES);
    for (const l of [longest, longest.replace(' c', ' cc')]) {
      assert.equal(refAtLine(l, MAX_RECORD_LINE_BYTES), l === longest);
      assert.equal(isAtLine(Buffer.from(l, 'latin1'), 0, l.length), l === longest);
    }
  });

  test('numbers are read by value: every spelling of an in-range value is accepted, as that value', () => {
    fc.assert(
      fc.property(clientId(), radiusText, boundText, (c, r, b) => {
        const command = parseCommand(`WHATSAT ${c} ${r} ${b}`);
        assert.ok(command.kind === 'WHATSAT', `WHATSAT ${c} ${r} ${b}`);
        assert.equal(command.radiusKm, Number(r) || Number.MIN_VALUE);
        assert.ok(command.radiusKm > 0 && command.radiusKm <= 50);
        assert.equal(command.bound, Number(b));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(clientId(), location, posixTime, fc.nat(40), (c, l, t, lead) => {
        const command = parseCommand(`IAMAT ${c} ${l} ${t}`);
        assert.ok(command.kind === 'IAMAT', `IAMAT ${c} ${l} ${t}`);
        // Leading zeros do not change the instant: the arithmetic stays exact.
        assert.equal(parsePosixTime(`${'0'.repeat(lead)}${t}`), command.timeNanos);
        assert.equal(command.timeText, t, 'the time text is kept verbatim for the AT line');
      }),
      { numRuns: 500 },
    );
  });

  test('numbers out of range are refused however they are spelled', () => {
    fc.assert(
      fc.property(clientId(), fc.oneof(fc.tuple(badRadiusText, boundText), fc.tuple(radiusText, badBoundText)), (c, [r, b]) =>
        assert.equal(parseCommand(`WHATSAT ${c} ${r} ${b}`).kind, 'INVALID', `WHATSAT ${c} ${r} ${b}`),
      ),
      { numRuns: 500 },
    );
    const tooLate = fc.tuple(fc.nat(20), digits(19, 30)).map(([lead, d]) => `${'0'.repeat(lead)}${d.replace(/^0/, '1')}`);
    fc.assert(fc.property(tooLate, (t) => assert.equal(parsePosixTime(t), undefined, t)));
    // The check a peer's record gets agrees with the parse, on times and on near misses alike.
    const timeLike = fc.oneof(posixTime, tooLate, fc.stringMatching(/^[0-9.]{0,25}$/), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(timeLike, (t) => {
        assert.equal(isPosixTime(t), refTimeNanos(t) !== undefined, t);
        assert.equal(parsePosixTime(t), refTimeNanos(t), t);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(edgeLocation, (l) => assert.equal(parseLocation(l) !== undefined, refLocation(l), l)),
      { numRuns: 1000 },
    );
    // The check a peer's record gets agrees with the parse too, on locations and on near misses.
    const locationLike = fc.oneof(edgeLocation, fc.stringMatching(/^[-+0-9.]{0,16}$/), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(locationLike, (l) => assert.equal(isLocation(l), parseLocation(l) !== undefined, l)),
      { numRuns: 3000 },
    );
  });

  test('parser: mutated IAMAT/WHATSAT lines never throw and agree with the reference', () => {
    const validLine = fc.oneof(
      iamatLine.map((l) => l.line),
      fc.tuple(clientId(), edgeLocation, fc.oneof(posixTime, digits(17, 20))).chain(([c, l, t]) => joinFields(['IAMAT', c, l, t])),
      whatsatLine(clientId()),
      fc
        .tuple(clientId(), fc.oneof(radiusText, badRadiusText), fc.oneof(boundText, badBoundText))
        .chain(([c, r, b]) => joinFields(['WHATSAT', c, r, b])),
    );
    fc.assert(
      // No edit at all checks the edge locations and long times as generated.
      fc.property(validLine, fc.array(mutation, { minLength: 0, maxLength: 3 }), (original, edits) => {
        const line = edits.reduce((s, edit) => edit(s), original);
        let command;
        try {
          command = parseCommand(line);
        } catch (err) {
          assert.fail(`parseCommand threw on ${JSON.stringify(line)}: ${String(err)}`);
        }
        const expected: RefCommand = refClassify(line);
        switch (expected.kind) {
          case 'BLANK':
            assert.deepEqual(command, { kind: 'BLANK' });
            break;
          case 'INVALID':
            assert.deepEqual(command, { kind: 'INVALID', line }, JSON.stringify(line));
            assert.ok(command.kind === 'INVALID' && command.line === line);
            assert.deepEqual(invalidReply(line), Buffer.concat([Buffer.from('? '), Buffer.from(line, 'latin1'), Buffer.from('\n')]));
            break;
          case 'IAMAT':
            assert.equal(command.kind, 'IAMAT', JSON.stringify(line));
            if (command.kind !== 'IAMAT') break;
            assert.deepEqual(
              { client: command.client, location: command.location, timeText: command.timeText, timeNanos: command.timeNanos },
              { client: expected.client, location: expected.location, timeText: expected.timeText, timeNanos: expected.timeNanos },
            );
            assert.ok(parseLocation(command.location));
            break;
          case 'WHATSAT':
            assert.deepEqual(
              command,
              { kind: 'WHATSAT', client: expected.client, radiusKm: expected.radiusKm, bound: expected.bound },
              JSON.stringify(line),
            );
            break;
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('invalid replies echo any latin1 line byte for byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const line = Buffer.from(raw).toString('latin1');
        assert.deepEqual(invalidReply(line), Buffer.concat([Buffer.from('? '), Buffer.from(raw), Buffer.from('\n')]));
      }),
      { numRuns: 100 },
    );
  });

  test('time: differences format with a sign and 9 decimals and parse back exactly', () => {
    const time = fc.oneof(
      nanos,
      posixTime.map((t) => parsePosixTime(t)!),
      fc.constantFrom(0n, TIME_LIMIT - 1n, NANOS, NANOS - 1n),
    );
    fc.assert(
      fc.property(time, time, (a, b) => {
        const text = formatSignedSeconds(a - b);
        assert.match(text, /^[+-]\d+\.\d{9}$/);
        assert.equal(parseSignedSeconds(text), a - b);
        assert.equal(text[0], a < b ? '-' : '+');
      }),
      { numRuns: 300 },
    );
  });

  test('time: time texts compare exactly as their nanoseconds do', () => {
    // The same instant spelled with extra leading or trailing zeros, so ties are common
    // (leading zeros are read by value, however many).
    const respelled = (text: string, lead: number, trail: number): string => {
      const [whole, fraction = ''] = text.split('.');
      const longer = `${'0'.repeat(lead)}${whole}`;
      const digits = fraction + '0'.repeat(Math.min(trail, 9 - fraction.length));
      return digits ? `${longer}.${digits}` : longer;
    };
    const pair = fc.oneof(
      fc.tuple(posixTime, posixTime),
      fc.tuple(posixTime, fc.nat(30), fc.nat(3)).map(([t, lead, trail]) => [t, respelled(t, lead, trail)] as [string, string]),
    );
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const [x, y] = [parsePosixTime(a)!, parsePosixTime(b)!];
        const expected = x < y ? -1 : x > y ? 1 : 0;
        assert.equal(Math.sign(compareTimeTexts(a, b)), expected, `${a} vs ${b}`);
        // The store's form: both as bytes inside longer lines (only their ranges count).
        const lineA = Buffer.from(`AT Clark +0.1 c +1+1 ${a}\nAT`, 'latin1');
        const lineB = Buffer.from(`AT Bona +0.1 d +1+1 ${b}`, 'latin1');
        const aEnd = lineA.length - 3;
        const order = compareTimeBytes(lineA, aEnd - a.length, aEnd, lineB, lineB.length - b.length, lineB.length);
        assert.equal(Math.sign(order), expected, `${a} vs ${b} as bytes`);
      }),
      { numRuns: 1000 },
    );
  });

  test('store: any two orders converge, and offer reports exactly the changes', () => {
    // Few clients and few times, so ties (broken by the AT line) are common.
    const tiedRecord = fc
      .tuple(
        fc.constantFrom('a', 'b', 'c'),
        fc.constantFrom('Clark', 'Bona', 'Jaquez'),
        fc.constantFrom('1', '1.0', '2', '1.5', '3'),
        fc.constantFrom('+1+1', '-2-2', '+0+0'),
        fc.integer({ min: -5, max: 5 }),
      )
      .map(([client, member, timeText, loc, skew]) => {
        return makeRecord({ member, difference: formatSignedSeconds(BigInt(skew) * NANOS), client, location: loc, timeText });
      });
    const records = fc.array(fc.oneof(tiedRecord, record), { minLength: 1, maxLength: 14 });
    const scenario = records.chain((rs) =>
      fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }), fc.shuffledSubarray(rs, { minLength: rs.length })),
    );

    const nanos = (r: LocationRecord) => parsePosixTime(r.timeText)!;
    const beats = (x: LocationRecord, y: LocationRecord) => nanos(x) > nanos(y) || (nanos(x) === nanos(y) && x.atLine > y.atLine);
    const play = (order: readonly LocationRecord[]): string[] => {
      const store = new LocationStore();
      const heard: Array<[stored: string, replaced: string | undefined]> = [];
      const text = ({ bytes, start, end }: LineBytes) => bytes.toString('latin1', start, end);
      store.onStored((_hash, stored, replaced) => heard.push([text(stored), replaced && text(replaced)]));
      for (const r of order) {
        // A copy, so identity cannot stand in for equality.
        const offered = { ...r };
        const before = store.get(r.client);
        const expectChange = before === undefined || beats(offered, before);
        const heardBefore = heard.length;
        assert.equal(store.offer(offered), expectChange, `offer ${offered.atLine} over ${before?.atLine}`);
        assert.deepEqual(store.get(r.client), expectChange ? offered : before);
        assert.deepEqual(heard.slice(heardBefore), expectChange ? [[offered.atLine, before?.atLine]] : []);
        assert.equal(store.isNewer(offered), false, 'a kept or beaten record is never newer');
      }
      return [...store.lines()].sort();
    };

    fc.assert(
      fc.property(scenario, ([all, first, second]) => {
        assert.equal(first.length, all.length);
        const a = play(first);
        const b = play(second);
        assert.deepEqual(a, b);
        // And the winner is the maximum by (time, AT line), whatever the order.
        const best = new Map<string, LocationRecord>();
        for (const r of all) {
          const current = best.get(r.client);
          if (!current || beats(r, current)) best.set(r.client, r);
        }
        assert.deepEqual(a, [...best.values()].map((r) => r.atLine).sort());
      }),
      { numRuns: 300 },
    );
  });
});

// -------------------------------------------------------------------------------------------
// One real member over TCP
// -------------------------------------------------------------------------------------------

const MAX_LINE_BYTES = 4096;
const OVERLONG_ECHO_BYTES = 1024;
const EXCHANGE_TIMEOUT_MS = 15_000;

/** What the member owes for one line, in order. */
type Expected =
  | { readonly kind: 'AT'; readonly client: string; readonly location: string; readonly timeText: string; readonly timeNanos: bigint }
  | { readonly kind: 'WHATSAT'; readonly client: string; readonly radiusKm: number; readonly bound: number }
  | { readonly kind: 'ECHO'; readonly bytes: Buffer; readonly why: string };

interface Best {
  timeNanos: bigint;
  atLine: string;
}

const beatsBest = (x: Best, y: Best | undefined) => !y || x.timeNanos > y.timeNanos || (x.timeNanos === y.timeNanos && x.atLine > y.atLine);

/** The replies a member owes for `input` followed by a half-close, and what it knew before. */
function model(input: Buffer, known: (client: string) => Best | undefined): { expected: Expected[]; initial: Map<string, Best | undefined> } {
  const expected: Expected[] = [];
  const initial = new Map<string, Best | undefined>();
  const stored = new Set<string>();
  const look = (client: string) => {
    if (!initial.has(client)) initial.set(client, known(client));
    return initial.get(client) !== undefined || stored.has(client);
  };
  for (const event of refFrame(input, MAX_LINE_BYTES)) {
    if (event.type === 'overlong') {
      expected.push({ kind: 'ECHO', bytes: event.bytes.subarray(0, OVERLONG_ECHO_BYTES), why: 'overlong' });
      break; // the member closes after it
    }
    const command = refClassify(event.bytes.toString('latin1'));
    switch (command.kind) {
      case 'BLANK':
        break;
      case 'IAMAT':
        look(command.client);
        stored.add(command.client);
        expected.push({ kind: 'AT', client: command.client, location: command.location, timeText: command.timeText, timeNanos: command.timeNanos });
        break;
      case 'WHATSAT':
        if (look(command.client)) expected.push({ kind: 'WHATSAT', client: command.client, radiusKm: command.radiusKm, bound: command.bound });
        else expected.push({ kind: 'ECHO', bytes: event.bytes, why: 'unknown client' });
        break;
      case 'INVALID':
        expected.push({ kind: 'ECHO', bytes: event.bytes, why: 'invalid' });
        break;
    }
  }
  return { expected, initial };
}

function distanceKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Checks the reply bytes against the expected replies; returns the model's best records. */
function verifyReplies(
  replies: Buffer,
  expected: readonly Expected[],
  initial: Map<string, Best | undefined>,
  window: { from: bigint; to: bigint },
): Map<string, Best | undefined> {
  const best = new Map(initial);
  let offset = 0;
  let index = 0;
  const nextLine = (what: string): Buffer => {
    const newline = replies.indexOf(0x0a, offset);
    assert.notEqual(newline, -1, `replies end before ${what} (reply #${index}): ${JSON.stringify(replies.subarray(offset).toString('latin1'))}`);
    const line = replies.subarray(offset, newline);
    offset = newline + 1;
    return line;
  };
  for (const e of expected) {
    index++;
    switch (e.kind) {
      case 'AT': {
        const line = nextLine('an AT line').toString('latin1');
        const fields = line.split(' ');
        assert.equal(fields.length, 6, `AT reply ${JSON.stringify(line)}`);
        const difference = fields[2]!;
        assert.match(difference, /^[+-]\d+\.\d{9}$/);
        assert.equal(line, `AT Solo ${difference} ${e.client} ${e.location} ${e.timeText}`);
        // The member's receive time is the client's time plus the difference.
        const received = e.timeNanos + parseSignedSeconds(difference)!;
        assert.ok(received >= window.from && received <= window.to, `receive time ${received} outside [${window.from}, ${window.to}]`);
        const candidate = { timeNanos: e.timeNanos, atLine: line };
        if (beatsBest(candidate, best.get(e.client))) best.set(e.client, candidate);
        break;
      }
      case 'WHATSAT': {
        const at = nextLine('a WHATSAT AT line').toString('latin1');
        const stored = best.get(e.client);
        assert.ok(stored, `model knows ${e.client}`);
        assert.equal(at, stored.atLine, 'WHATSAT starts with the stored AT line');
        const jsonLines: Buffer[] = [];
        for (let line = nextLine('the JSON'); line.length > 0; line = nextLine('the JSON')) jsonLines.push(line);
        const text = Buffer.concat(jsonLines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from('\n'), l]))).toString('utf8');
        const answer = JSON.parse(text) as {
          results: Array<{ geometry: { location: { lat: number; lng: number } } }>;
          status: string;
          html_attributions: unknown;
        };
        assert.ok(['OK', 'ZERO_RESULTS'].includes(answer.status), `status ${answer.status}`);
        assert.ok(Array.isArray(answer.html_attributions));
        assert.ok(Array.isArray(answer.results) && answer.results.length <= e.bound, `${answer.results.length} results for bound ${e.bound}`);
        assert.equal(answer.status === 'OK', answer.results.length > 0);
        const centre = parseLocation(at.split(' ')[4]!)!;
        for (const r of answer.results) {
          const d = distanceKm(centre, r.geometry.location);
          assert.ok(d <= e.radiusKm * 1.01 + 0.01, `a place ${d} km away for radius ${e.radiusKm}`);
        }
        break;
      }
      case 'ECHO': {
        const line = nextLine(`a "? " echo (${e.why})`);
        assert.deepEqual(line.toString('latin1'), Buffer.concat([Buffer.from('? '), e.bytes]).toString('latin1'), e.why);
        break;
      }
    }
  }
  assert.equal(offset, replies.length, `bytes after the last expected reply: ${JSON.stringify(replies.subarray(offset).toString('latin1'))}`);
  return best;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no EOF after ${EXCHANGE_TIMEOUT_MS} ms`)), EXCHANGE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sends `pieces` with a turn of the event loop between them, half-closes, reads to EOF. */
async function send(port: number, pieces: readonly Buffer[], pauses: readonly boolean[]): Promise<Buffer> {
  const socket: Socket = await open(port);
  socket.setNoDelay(true);
  const received = collect(socket);
  received.catch(() => {});
  for (const [i, piece] of pieces.entries()) {
    socket.write(piece);
    if (pauses[i % Math.max(1, pauses.length)]) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  socket.end();
  return withTimeout(received, 'exchange');
}

/** One line of a script (without its "\n"). */
function scriptLine(pool: readonly string[]): fc.Arbitrary<Buffer> {
  const known = fc.constantFrom(...pool);
  const latin1 = (s: string) => Buffer.from(s, 'latin1');
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(known, location, posixTime)
        .chain(([c, l, t]) => joinFields(['IAMAT', c, l, t]))
        .map(latin1),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(known, edgeLocation, posixTime)
        .chain(([c, l, t]) => joinFields(['IAMAT', c, l, t]))
        .map(latin1),
    },
    { weight: 4, arbitrary: whatsatLine(known).map(latin1) },
    { weight: 1, arbitrary: whatsatLine(clientId().map((c) => `nobody-${c}`)).map(latin1) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(known, fc.oneof(radiusText, badRadiusText), badBoundText, fc.boolean())
        .chain(([c, r, b, swap]) => joinFields(['WHATSAT', c, swap ? b : r, swap ? r : b]))
        .map(latin1),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((s) => latin1(s.replace(/\n/g, ' '))) },
    { weight: 1, arbitrary: optionalWhiteSpace(6).map(latin1) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(iamatLine, fc.array(mutation, { minLength: 1, maxLength: 3 }))
        .map(([l, edits]) => latin1(edits.reduce((s, m) => m(s), l.line).replace(/\n/g, ' '))),
    },
  );
}

const overlongLine: fc.Arbitrary<Buffer> = fc
  .tuple(fc.integer({ min: MAX_LINE_BYTES - 2, max: MAX_LINE_BYTES + 200 }), fc.integer({ min: 0x21, max: 0xff }))
  .map(([n, b]) => Buffer.alloc(n, b === 0x0a ? 0x41 : b));

/** A pool of client ids, lines over it (rarely one overlong line), as bytes. */
const script = fc
  // Some ids recur across runs, so WHATSAT often finds a client stored by an earlier run.
  .uniqueArray(fc.oneof(fc.constantFrom('kiwi.cs.ucla.edu', 'p\xe9rez', '\x00\xff'), clientId(8)), { minLength: 1, maxLength: 3 })
  .chain((pool) =>
    fc.tuple(
      fc.array(fc.oneof({ weight: 30, arbitrary: scriptLine(pool) }, { weight: 1, arbitrary: overlongLine }), { minLength: 1, maxLength: 14 }),
      fc.boolean(),
    ),
  )
  .map(([lines, finalNewline]) => ({ lines, finalNewline }));

describe('one member over TCP, against a model of its replies', () => {
  let herd: TestHerd;
  let solo: RunningMember;
  const nowNanos = () => BigInt(Date.now()) * 1_000_000n;

  before(async () => {
    herd = await makeHerd(['Solo'], []);
    solo = await runMember({ herd: herd.herd, name: 'Solo', logDir: herd.dir, consoleLevel: 'silent', env: {}, maxLineBytes: MAX_LINE_BYTES });
  });

  after(async () => {
    await solo?.stop();
  });

  async function check(input: Buffer, pieces: readonly Buffer[], pauses: readonly boolean[]): Promise<void> {
    const { expected, initial } = model(input, (client) => {
      const r = solo.store.get(client);
      return r && { timeNanos: parsePosixTime(r.timeText)!, atLine: r.atLine };
    });
    assert.deepEqual(Buffer.concat(pieces), input);
    const from = nowNanos() - 1_000_000_000n;
    const replies = await send(solo.clientPort, pieces, pauses);
    const to = nowNanos() + 1_000_000_000n;
    const best = verifyReplies(replies, expected, initial, { from, to });
    // Every valid IAMAT is stored (or beaten), and the store holds exactly the model's winner.
    for (const e of expected) {
      if (e.kind !== 'AT') continue;
      const stored = solo.store.get(e.client);
      assert.ok(stored && parsePosixTime(stored.timeText)! >= e.timeNanos, `store holds ${e.client} at least as new as sent`);
      assert.equal(stored.atLine, best.get(e.client)?.atLine);
    }
  }

  test('sequences of lines in random chunks, then a half-close: one reply per line, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        script,
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 6 }),
        async ({ lines, finalNewline }, cuts, pauses) => {
          const joined = Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from('\n'), l])));
          const input = finalNewline ? Buffer.concat([joined, Buffer.from('\n')]) : joined;
          await check(input, splitAt(input, cuts), pauses);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('a half-close in the middle of a line: the partial line is answered as a line', async () => {
    await fc.assert(
      fc.asyncProperty(script, fc.nat(), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), async ({ lines }, which, cut, cuts) => {
        const last = which % lines.length;
        const partial = lines[last]!.subarray(0, 1 + (cut % Math.max(1, lines[last]!.length)));
        const input = Buffer.concat([...lines.slice(0, last).flatMap((l) => [l, Buffer.from('\n')]), partial]);
        // The last line has no "\n": the model answers it like any other line.
        const tail = refFrame(input, MAX_LINE_BYTES).at(-1);
        if (partial.length > 0)
          assert.ok(tail && (tail.type === 'overlong' || tail.bytes.equals(partial.at(-1) === 0x0d ? partial.subarray(0, -1) : partial)));
        await check(input, splitAt(input, cuts), []);
      }),
      { numRuns: 30 },
    );
  });

  test('the member survives everything: a fresh connection gets a correct IAMAT reply', async () => {
    const reply = (await exchange(solo.clientPort, 'IAMAT survivor.example +34.068930-118.445127 1621464827.959498503\n')).toString('latin1');
    assert.match(reply.slice(0, -1), AT_REPLY('Solo', 'survivor.example +34.068930-118.445127 1621464827.959498503'));
    assert.ok(reply.endsWith('\n'));
    assert.equal(solo.store.get('survivor.example')?.atLine, reply.slice(0, -1));
    const whatsat = (await exchange(solo.clientPort, 'WHATSAT survivor.example 10 3\n')).toString('utf8');
    assert.ok(whatsat.startsWith(`${reply}{`) && whatsat.endsWith('}\n\n'));
  });
});

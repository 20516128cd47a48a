/**
 * fast-check generators for the client protocol, and small reference models written from
 * PROTOCOL.md (not from the implementation) for the property tests to compare against.
 */
import fc from 'fast-check';

// ---------------------------------------------------------------------------------------------
// Reference models
// ---------------------------------------------------------------------------------------------

/** The protocol's six white-space characters. */
export const WHITE_SPACE_CHARS = [' ', '\t', '\r', '\n', '\f', '\v'] as const;
const isWhiteSpace = (ch: string): boolean => (WHITE_SPACE_CHARS as readonly string[]).includes(ch);

export interface RefEvent {
  readonly type: 'line' | 'overlong';
  /** The line without its terminator, or the first `cap` bytes of an overlong line. */
  readonly bytes: Buffer;
}

/**
 * Reference framing of a whole input: split on "\n"; a final piece without "\n" is a line
 * if it is not empty; one trailing "\r" is dropped; a line longer than `cap` bytes is an
 * overlong event carrying its first `cap` bytes.
 */
export function refFrame(input: Buffer, cap: number): RefEvent[] {
  const events: RefEvent[] = [];
  const emit = (piece: Buffer) => {
    const line = piece.length > 0 && piece[piece.length - 1] === 0x0d ? piece.subarray(0, -1) : piece;
    events.push(line.length > cap ? { type: 'overlong', bytes: line.subarray(0, cap) } : { type: 'line', bytes: line });
  };
  let start = 0;
  for (;;) {
    const newline = input.indexOf(0x0a, start);
    if (newline === -1) {
      if (start < input.length) emit(input.subarray(start));
      return events;
    }
    emit(input.subarray(start, newline));
    start = newline + 1;
  }
}

/** Splits on runs of protocol white space, ignoring leading and trailing runs. */
export function refFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (const ch of line) {
    if (isWhiteSpace(ch)) {
      if (current) fields.push(current);
      current = '';
    } else current += ch;
  }
  if (current) fields.push(current);
  return fields;
}

const DIGITS = /^[0-9]+$/;

/** `digits` without its leading zeros (`''` for zero). */
const significant = (digits: string): string => digits.replace(/^0+/, '');

/** Decimal degrees `D+[.F+]` within [0, limit], compared exactly as decimals, any digit count. */
function refDegrees(text: string, limit: number): boolean {
  const [whole, fraction, ...rest] = text.split('.');
  if (rest.length > 0 || whole === undefined || !DIGITS.test(whole)) return false;
  if (fraction !== undefined && !DIGITS.test(fraction)) return false;
  return BigInt(whole) < BigInt(limit) || (BigInt(whole) === BigInt(limit) && /^0*$/.test(fraction ?? ''));
}

/** ISO 6709 `±lat±lng`, read by value. */
export function refLocation(text: string): boolean {
  if (text[0] !== '+' && text[0] !== '-') return false;
  const second = Math.max(text.indexOf('+', 1), text.indexOf('-', 1));
  if (second === -1) return false;
  const lat = text.slice(1, second);
  const lng = text.slice(second + 1);
  if (lng.includes('+') || lng.includes('-')) return false;
  return refDegrees(lat, 90) && refDegrees(lng, 180);
}

/** POSIX seconds with at most 9 fraction digits, below 10^18 s (leading zeros allowed). */
export function refTimeNanos(text: string): bigint | undefined {
  const [whole, fraction, ...rest] = text.split('.');
  if (rest.length > 0 || whole === undefined || !DIGITS.test(whole) || significant(whole).length > 18) return undefined;
  if (fraction !== undefined && (!DIGITS.test(fraction) || fraction.length > 9)) return undefined;
  return BigInt(whole) * 1_000_000_000n + BigInt((fraction ?? '').padEnd(9, '0'));
}

/**
 * An AT line a member accepts from a peer: `AT member difference client location time`, single
 * spaces, latin1, at most `maxLength` characters (the protocol's MAX_RECORD_LINE_BYTES).
 */
export function refAtLine(line: string, maxLength: number): boolean {
  const f = line.split(' ');
  if (line.length > maxLength || /[\u0100-\uffff]/.test(line) || f.length !== 6 || f[0] !== 'AT') return false;
  const [, member, difference, client, location, time] = f as [string, string, string, string, string, string];
  return (
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(member) &&
    /^[+-][0-9]{1,19}\.[0-9]{9}$/.test(difference) &&
    client !== '' &&
    ![...client].some(isWhiteSpace) &&
    refLocation(location) &&
    refTimeNanos(time) !== undefined
  );
}

/** A decimal number 0 < r <= 50, compared exactly, any digit count. */
export function refRadius(text: string): number | undefined {
  const match = /^([0-9]*)(?:\.([0-9]*))?$/.exec(text);
  if (!match) return undefined;
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const w = BigInt(whole || '0');
  const positive = w > 0n || /[1-9]/.test(fraction);
  const atMost50 = w < 50n || (w === 50n && /^0*$/.test(fraction));
  return positive && atMost50 ? Number(text) || Number.MIN_VALUE : undefined;
}

/** An integer 1 <= n <= 20, leading zeros allowed. */
export function refBound(text: string): number | undefined {
  if (!DIGITS.test(text)) return undefined;
  const n = BigInt(text);
  return n >= 1n && n <= 20n ? Number(n) : undefined;
}

export type RefCommand =
  | { readonly kind: 'BLANK' }
  | { readonly kind: 'INVALID'; readonly line: string }
  | { readonly kind: 'IAMAT'; readonly client: string; readonly location: string; readonly timeText: string; readonly timeNanos: bigint }
  | { readonly kind: 'WHATSAT'; readonly client: string; readonly radiusKm: number; readonly bound: number };

/** What a line means by the protocol (WHATSAT here is only syntactically valid). */
export function refClassify(line: string): RefCommand {
  const fields = refFields(line);
  if (fields.length === 0) return { kind: 'BLANK' };
  if (fields.length === 4) {
    const [name, a, b, c] = fields as [string, string, string, string];
    if (name === 'IAMAT') {
      const timeNanos = refTimeNanos(c);
      if (refLocation(b) && timeNanos !== undefined) return { kind: 'IAMAT', client: a, location: b, timeText: c, timeNanos };
    } else if (name === 'WHATSAT') {
      const radiusKm = refRadius(b);
      const bound = refBound(c);
      if (radiusKm !== undefined && bound !== undefined) return { kind: 'WHATSAT', client: a, radiusKm, bound };
    }
  }
  return { kind: 'INVALID', line };
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/** White space allowed inside a line (no "\n": the framer splits on it). */
export const IN_LINE_WHITE_SPACE = [' ', '\t', '\r', '\f', '\v'] as const;

export const digits = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** A non-empty run of in-line white space. */
export const whiteSpaceRun = (maxLength = 4): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...IN_LINE_WHITE_SPACE), minLength: 1, maxLength });

/** A possibly empty run of in-line white space. */
export const optionalWhiteSpace = (maxLength = 4): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...IN_LINE_WHITE_SPACE), minLength: 0, maxLength });

const LATIN1_NON_WHITE_SPACE = fc
  .integer({ min: 0, max: 255 })
  .map((code) => String.fromCharCode(code))
  .filter((ch) => !isWhiteSpace(ch));

/** A client id: any run of non-white-space latin1 characters. */
export const clientId = (maxLength = 12): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: LATIN1_NON_WHITE_SPACE, minLength: 1, maxLength }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9.]{0,10}$/) },
  );

/** Up to `max` zeros, to put in front of a number's digits. */
const zeros = (max: number): fc.Arbitrary<string> => fc.integer({ min: 0, max }).map((n) => '0'.repeat(n));

/** One latitude or longitude part within range: sign, integer digits (leading zeros or not), 0-40 fraction digits. */
function degrees(limit: 90 | 180): fc.Arbitrary<string> {
  return fc
    .record({
      sign: fc.constantFrom('+', '-'),
      whole: fc.oneof(fc.constantFrom(0, limit), fc.integer({ min: 0, max: limit })),
      width: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 30 }) }),
      fraction: fc.oneof({ weight: 4, arbitrary: digits(0, 9) }, { weight: 1, arbitrary: digits(10, 40) }),
    })
    .map(({ sign, whole, width, fraction }) => {
      const wholeText = String(whole).padStart(width, '0');
      const fractionText = whole === limit ? '0'.repeat(fraction.length) : fraction;
      return `${sign}${wholeText}${fractionText ? `.${fractionText}` : ''}`;
    });
}

export const location: fc.Arbitrary<string> = fc.tuple(degrees(90), degrees(180)).map(([lat, lng]) => lat + lng);

/** Locations at and just past the range edges: valid or not, by the reference. */
export const edgeLocation: fc.Arbitrary<string> = (() => {
  const part = (limit: 90 | 180) =>
    fc
      .tuple(
        fc.constantFrom('+', '-'),
        zeros(5),
        fc.constantFrom(limit - 1, limit, limit + 1, 0, 1000),
        fc.oneof(fc.constant(''), fc.constantFrom('0', '000000000', '0'.repeat(40), `${'0'.repeat(40)}1`), digits(1, 40)),
      )
      .map(([sign, lead, whole, fraction]) => `${sign}${lead}${whole}${fraction ? `.${fraction}` : ''}`);
  return fc.tuple(part(90), part(180)).map(([lat, lng]) => lat + lng);
})();

/** POSIX seconds: 1-18 significant integer digits (after any leading zeros), 0-9 fraction digits. */
export const posixTime: fc.Arbitrary<string> = fc
  .tuple(fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: zeros(30) }), digits(1, 18), digits(0, 9))
  .map(([lead, whole, fraction]) => (fraction ? `${lead}${whole}.${fraction}` : `${lead}${whole}`));

/** A valid radius text: 0 < r <= 50, in any form the protocol allows (leading zeros, long fractions). */
export const radiusText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 50 }).map(String),
  fc.constantFrom(
    '50',
    '50.0',
    '0.5',
    '.5',
    '10.',
    '050',
    '0000010',
    '0.000000000001',
    '49.999999999999',
    '50.0000000000000',
    '0.0000000000001',
    `0.${'0'.repeat(400)}1`,
    `50.${'0'.repeat(1000)}`,
  ),
  fc
    .tuple(zeros(20), fc.integer({ min: 0, max: 49 }), digits(1, 40), zeros(20))
    .filter(([, w, f]) => w > 0 || /[1-9]/.test(f))
    .map(([lead, w, f, trail]) => `${lead}${w}.${f}${trail}`),
);

/** A radius text out of range or malformed, some of them long. */
export const badRadiusText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '0.0',
    '50.000000000001',
    '51',
    '-1',
    '1e1',
    '+5',
    '',
    '.',
    'ten',
    '1.2.3',
    '000',
    `.${'0'.repeat(500)}`,
    `50.${'0'.repeat(500)}1`,
    `${'0'.repeat(100)}51`,
    '1000000000000000000000',
  ),
  fc.tuple(zeros(20), fc.integer({ min: 51, max: 100_000 }), digits(0, 30)).map(([lead, w, f]) => `${lead}${w}${f ? `.${f}` : ''}`),
);

export const boundText: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 20 }).map(String),
  fc.constantFrom('01', '020', '1', '20', '00020', `${'0'.repeat(300)}7`),
  fc.tuple(zeros(30), fc.integer({ min: 1, max: 20 })).map(([lead, n]) => `${lead}${n}`),
);

export const badBoundText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '21', '-1', '1.0', '100', '', 'x', '+3', '0000', `${'0'.repeat(300)}21`, '100000000000000000001'),
  fc.tuple(zeros(30), fc.integer({ min: 21, max: 1_000_000 })).map(([lead, n]) => `${lead}${n}`),
);

export interface IamatFields {
  readonly client: string;
  readonly location: string;
  readonly timeText: string;
}

export const iamatFields: fc.Arbitrary<IamatFields> = fc.record({ client: clientId(), location, timeText: posixTime });

/**
 * Joins fields with random white-space runs and random leading/trailing white space.
 * Never produces "\n".
 */
export function joinFields(fields: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(optionalWhiteSpace(), fc.array(whiteSpaceRun(), { minLength: fields.length - 1, maxLength: fields.length - 1 }), optionalWhiteSpace())
    .map(([lead, seps, trail]) => lead + fields.map((f, i) => (i === 0 ? f : seps[i - 1]! + f)).join('') + trail);
}

export const iamatLine: fc.Arbitrary<{ fields: IamatFields; line: string }> = iamatFields.chain((fields) =>
  joinFields(['IAMAT', fields.client, fields.location, fields.timeText]).map((line) => ({ fields, line })),
);

export const whatsatLine = (client: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc.tuple(client, radiusText, boundText).chain(([c, r, b]) => joinFields(['WHATSAT', c, r, b]));

/** Characters that mutations insert: latin1 bytes, biased to the protocol's alphabet. */
const mutationChar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...'0123456789+-.', ...WHITE_SPACE_CHARS, 'I', 'A', 'M', 'T', 'W', 'H', 'S', 'a', 'e'),
  fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
);

/** One edit of a line: character edits and field-level edits. */
export type Mutation = (line: string) => string;

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (i): Mutation =>
      (s) =>
        s.length === 0 ? s : s.slice(0, i % s.length) + s.slice((i % s.length) + 1),
  ),
  fc.tuple(fc.nat(), mutationChar).map(
    ([i, ch]): Mutation =>
      (s) =>
        s.slice(0, i % (s.length + 1)) + ch + s.slice(i % (s.length + 1)),
  ),
  fc.tuple(fc.nat(), mutationChar).map(
    ([i, ch]): Mutation =>
      (s) =>
        s.length === 0 ? ch : s.slice(0, i % s.length) + ch + s.slice((i % s.length) + 1),
  ),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]): Mutation => (s) => {
    const f = refFields(s);
    if (f.length < 2) return s;
    const a = i % f.length;
    const b = j % f.length;
    [f[a], f[b]] = [f[b]!, f[a]!];
    return f.join(' ');
  }),
  fc.tuple(fc.nat(), fc.constantFrom('x', '1', '+1+1', '10', 'IAMAT', '5')).map(([i, extra]): Mutation => (s) => {
    const f = refFields(s);
    f.splice(i % (f.length + 1), 0, extra);
    return f.join('\t');
  }),
  fc.nat().map((i): Mutation => (s) => {
    const f = refFields(s);
    if (f.length === 0) return s;
    f.splice(i % f.length, 1);
    return f.join(' ');
  }),
  fc.constantFrom<Mutation>(
    (s) => s.replace(/IAMAT|WHATSAT/, (m) => m.toLowerCase()),
    (s) => s.replace(/IAMAT|WHATSAT/, (m) => m[0] + m.slice(1).toLowerCase()),
    (s) => s.replace('IAMAT', 'WHATSAT'),
    (s) => s.replace('WHATSAT', 'IAMAT'),
    (s) => s.replace(/[+-]/, (m) => (m === '+' ? '-' : '+')),
  ),
);

/** Splits `bytes` at random boundaries (possibly none, possibly empty pieces removed). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    if (p > start) pieces.push(bytes.subarray(start, p));
    start = Math.max(start, p);
  }
  if (start < bytes.length) pieces.push(bytes.subarray(start));
  return pieces;
}

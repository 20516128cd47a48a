/**
 * The AT line's grammar, checked on its latin1 bytes: a member checks every record of every
 * gossip message where the message's bytes are, and keeps them without making a string.
 * Pure; one pass, linear in the line.
 *
 * `AT member difference client location time`, fields separated by single spaces:
 * - member: `[A-Za-z0-9][A-Za-z0-9_.-]{0,63}`, as herd files name members;
 * - difference: `[+-]\d{1,19}\.\d{9}`, as formatSignedSeconds writes it;
 * - client: any bytes but white space (space, tab, CR, LF, FF, VT);
 * - location: as isLocation reads it, its ranges included;
 * - time: as isPosixTime reads it, its range included.
 */
import { isDigit } from './latin1.js';
import { isLocationBytes } from './location.js';
import { isPosixTimeBytes } from './time.js';

/** Room for a client id as long as the default line cap plus the member's own fields. */
export const MAX_RECORD_LINE_BYTES = 64 * 1024 + 256;

const SPACE = 0x20;
const MAX_MEMBER_NAME = 64;
const MAX_DIFFERENCE_SECONDS_DIGITS = 19;
const DIFFERENCE_FRACTION_DIGITS = 9;

/**
 * Where the fields an offer needs are in a line isAtLine accepted, so that the store need not
 * look for them again: the client id is `[clientStart, clientEnd)`, the time `[timeStart, end)`.
 */
export interface AtLineFields {
  clientStart: number;
  clientEnd: number;
  timeStart: number;
}

/**
 * Whether `bytes[start, end)` is an AT line every member accepts. When it is and `fields` is
 * given, writes where its client id and time are into it.
 */
export function isAtLine(bytes: Uint8Array, start: number, end: number, fields?: AtLineFields): boolean {
  if (
    end - start > MAX_RECORD_LINE_BYTES ||
    end - start < 3 ||
    bytes[start] !== 0x41 /* A */ ||
    bytes[start + 1] !== 0x54 /* T */ ||
    bytes[start + 2] !== SPACE
  )
    return false;
  let at = memberEnd(bytes, start + 3, end);
  if (at === -1 || bytes[at] !== SPACE) return false;
  at = differenceEnd(bytes, at + 1, end);
  if (at === -1 || bytes[at] !== SPACE) return false;
  const client = at + 1;
  for (at = client; at < end && !isWhiteSpace(bytes[at]!); at++);
  if (at === client || at === end || bytes[at] !== SPACE) return false;
  const location = at + 1;
  for (at = location; at < end && bytes[at] !== SPACE; at++);
  if (at === end || !isLocationBytes(bytes, location, at) || !isPosixTimeBytes(bytes, at + 1, end)) return false;
  if (fields !== undefined) {
    fields.clientStart = client;
    fields.clientEnd = location - 1;
    fields.timeStart = at + 1;
  }
  return true;
}

/** Whether the member field of the AT line at `start` (checked by isAtLine) is `name`. */
export function atLineMemberIs(bytes: Uint8Array, start: number, name: string): boolean {
  const from = start + 3;
  for (let i = 0; i < name.length; i++) {
    if (bytes[from + i] !== name.charCodeAt(i)) return false;
  }
  return bytes[from + name.length] === SPACE;
}

function memberEnd(bytes: Uint8Array, from: number, end: number): number {
  if (from >= end || !isAlphanumeric(bytes[from]!)) return -1;
  let at = from + 1;
  for (; at < end && at - from < MAX_MEMBER_NAME + 1 && isNameByte(bytes[at]!); at++);
  return at - from > MAX_MEMBER_NAME ? -1 : at;
}

function differenceEnd(bytes: Uint8Array, from: number, end: number): number {
  if (from >= end || (bytes[from] !== 0x2b /* + */ && bytes[from] !== 0x2d) /* - */) return -1;
  let at = from + 1;
  for (; at < end && isDigit(bytes[at]!); at++);
  const seconds = at - from - 1;
  if (seconds < 1 || seconds > MAX_DIFFERENCE_SECONDS_DIGITS || at >= end || bytes[at] !== 0x2e /* . */) return -1;
  const fraction = ++at;
  for (; at < end && isDigit(bytes[at]!); at++);
  return at - fraction === DIFFERENCE_FRACTION_DIGITS ? at : -1;
}

function isAlphanumeric(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isNameByte(code: number): boolean {
  return isAlphanumeric(code) || code === 0x5f /* _ */ || code === 0x2e /* . */ || code === 0x2d; /* - */
}

/** Space, tab, LF, VT, FF and CR: what may not be in a client id. */
function isWhiteSpace(code: number): boolean {
  return code === SPACE || (code >= 0x09 && code <= 0x0d);
}

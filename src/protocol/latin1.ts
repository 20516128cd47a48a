/**
 * Protocol text is latin1: every byte a client or a peer sends is one character, so the
 * grammar is checked on bytes (where gossip records arrive) and strings are checked through
 * their bytes. Pure.
 */

/** Reused by every latin1Bytes call: checks run one at a time and keep nothing. */
let scratch = Buffer.allocUnsafeSlow(256);

/** Characters outside latin1 have no byte: a text holding one is no protocol text. */
const NOT_LATIN1 = /[\u0100-\uffff]/;

/**
 * `text`'s bytes, in a buffer reused by the next call (so valid until then), from index 0 to
 * `text.length`; undefined if a character is not latin1.
 */
export function latin1Bytes(text: string): Buffer | undefined {
  return NOT_LATIN1.test(text) ? undefined : bytesOfLatin1(text);
}

/** latin1Bytes of a text known to be latin1 (a record's line: it was read as latin1), unchecked. */
export function bytesOfLatin1(text: string): Buffer {
  if (scratch.length < text.length) scratch = Buffer.allocUnsafeSlow(Math.max(text.length, 2 * scratch.length));
  scratch.write(text, 0, 'latin1');
  return scratch;
}

const ZERO = 0x30;
const NINE = 0x39;

export function isDigit(code: number): boolean {
  return code >= ZERO && code <= NINE;
}

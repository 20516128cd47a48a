/**
 * One shard of the location store: the AT line of each client, in an open-addressing hash
 * table (linear probing) keyed by the client id, the lines kept as latin1 bytes in one buffer
 * (the shard's arena). Pure.
 *
 * Why not a Map: at 30,000 updates/s herd-wide, Map lookups, inserts and growth took about a
 * quarter of every member's CPU (perf), and the key copy kept per client was a third of the
 * store's memory. Here the key is not stored at all: the client id is the AT line's fourth
 * field. Each slot keeps a tag, the client's hash without the shard's bits and plus one (so 0
 * marks a free slot), in a typed array beside where its entry is in the arena: the line's
 * length (one byte, or three from 128 bytes on) and then the line. A probe reads only tags,
 * which sit 16 to a cache line, and reads a line only when the tags match. Growing moves tags
 * and offsets without reading a single line. Clients are never removed, so no tombstones are
 * needed.
 *
 * Why bytes and not one string per client: V8's collector marks every live string on each
 * major collection, and every line a member stores lived long enough to be moved to the old
 * generation. At a relay holding 750,000 clients, half of its CPU per record went to the
 * collector (perf: concurrent marking and sweeping). An arena is one object to the collector
 * however many lines it holds; the strings a member reads lines from now die young.
 *
 * An entry takes its size rounded up to ARENA_ALIGN bytes; a newer line of the same client that
 * fits there is written in place (a client's lines tend to differ in a few digits), a longer
 * one goes at the arena's end and leaves its old room unused. A full arena is copied into a
 * larger one (makeRoom).
 */

/** Slots of a new table; the table doubles when it would be fuller than its most (below). */
const INITIAL_SLOTS = 16;
/**
 * The fullest a table gets before it doubles, from LEAST_FULL to MOST_FULL by its shard. With
 * one limit for all, the store's 256 tables doubled within a second of each other, because a
 * good hash fills them evenly: at about 1,050,000 clients (8,192 to 16,384 slots each, fresh
 * pages and a copy of every slot) each member spent about a fifth of a second on it, and the
 * herd's p99 at 30,000 updates/s went from under 200 ms to 430-780 ms for those seconds. Now
 * the doublings to one size happen over a store growing by two thirds.
 */
const LEAST_FULL = 0.375;
const MOST_FULL = 0.625;
/** The low bits of a client's hash choose its shard (store.ts); a slot comes from the rest. */
export const SHARD_BITS = 8;
/** The byte between an AT line's fields. */
export const SPACE = 0x20;
const FREE = 0;
/** Entries start at multiples of this, so a line a few bytes longer than the last often fits. */
const ARENA_ALIGN = 8;
const INITIAL_ARENA_BYTES = 1024;
/**
 * An entry's first byte is its line's length, or, from this length on, LONG and the length's
 * low 7 bits, followed by its next 8 and then its highest bits.
 */
const LONG = 0x80;
/**
 * A full arena's copy is this much larger than its entries need, and it is copied without its
 * holes once they are more than MOST_UNUSED of it. Memory is what bounds a member's clients,
 * and copying bytes whole costs little: 1.25 keeps the room unused below a quarter. (2 would
 * allocate less while a store grows, which V8 counts against its heap: see collectorTuning.ts;
 * but took 170 bytes per client at a million, against 119; bench/store-memory.ts.)
 */
const ARENA_GROWTH = 1.25;
const MOST_UNUSED = 0.25;

/** Where a stored line's bytes are: `bytes[start, end)`, valid until the table next changes. */
export interface LineBytes {
  bytes: Buffer;
  start: number;
  end: number;
}

export class ClientTable {
  private tags = new Uint32Array(INITIAL_SLOTS);
  /** Where each slot's entry starts in the arena. */
  private entries = new Uint32Array(INITIAL_SLOTS);
  private arena = Buffer.allocUnsafeSlow(INITIAL_ARENA_BYTES);
  /** Bytes of the arena in use from its start, holes of replaced lines included. */
  private used = 0;
  /** Bytes of those holes: room that replaced lines left. */
  private unused = 0;
  private count = 0;

  private readonly mostFull: number;

  /** `shard`: the low SHARD_BITS bits that every hash in this table shares. */
  constructor(private readonly shard: number) {
    this.mostFull = LEAST_FULL + ((MOST_FULL - LEAST_FULL) * shard) / ((1 << SHARD_BITS) - 1);
  }

  get size(): number {
    return this.count;
  }

  /**
   * The slot holding the line of the client whose id is `bytes[start, end)`, or, when the table
   * has none, the bitwise complement (a negative number) of the free slot where it goes. `hash`
   * is the client's clientHash.
   */
  slotOf(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const tag = tagOf(hash);
    const mask = this.tags.length - 1;
    for (let slot = tag & mask; ; slot = (slot + 1) & mask) {
      const found = this.tags[slot];
      if (found === FREE) return ~slot;
      if (found === tag && this.isLineOf(slot, bytes, start, end)) return slot;
    }
  }

  /** Where the line at a slot that slotOf found is, written into `into`. */
  locate(slot: number, into: LineBytes): LineBytes {
    const { arena } = this;
    const entry = this.entries[slot]!;
    const first = arena[entry]!;
    into.bytes = arena;
    if (first < LONG) {
      into.start = entry + 1;
      into.end = entry + 1 + first;
    } else {
      into.start = entry + 3;
      into.end = entry + 3 + ((first & ~LONG) | (arena[entry + 1]! << 7) | (arena[entry + 2]! << 15));
    }
    return into;
  }

  /**
   * Replaces the line at a slot that slotOf found with a newer line of the same client,
   * `line[from, to)`, and writes into `old` where the replaced line's bytes are now (valid until
   * the next change).
   */
  replace(slot: number, line: Uint8Array, from: number, to: number, old: LineBytes): void {
    const { start, end } = this.locate(slot, old);
    const oldRoom = roomFor(end - start);
    const room = roomFor(to - from);
    if (room <= oldRoom) {
      if (replacedCopy.length < end - start) replacedCopy = Buffer.allocUnsafeSlow(end - start);
      for (let i = start; i < end; i++) replacedCopy[i - start] = this.arena[i]!;
      old.bytes = replacedCopy;
      old.start = 0;
      old.end = end - start;
      this.write(this.entries[slot]!, line, from, to);
      this.unused += oldRoom - room;
      return;
    }
    this.makeRoom(room); // may move every line: read the old one's place after it
    this.locate(slot, old);
    this.unused += oldRoom;
    this.append(slot, line, from, to, room);
  }

  /**
   * Adds the first line of a client, at the free slot that slotOf returned (complemented);
   * returns the slot it took (another, if the table grew).
   */
  add(freeSlot: number, hash: number, line: Uint8Array, from: number, to: number): number {
    const tag = tagOf(hash);
    if (this.count + 1 > this.mostFull * this.tags.length) {
      this.grow();
      freeSlot = this.freeSlot(tag);
    }
    this.tags[freeSlot] = tag;
    this.count++;
    const room = roomFor(to - from);
    this.makeRoom(room);
    this.append(freeSlot, line, from, to, room);
    return freeSlot;
  }

  /** Calls `visit` with every line's client hash and bytes, in slot order; `line` is reused. */
  forEachLine(visit: (hash: number, line: LineBytes) => void, line: LineBytes): void {
    for (let slot = 0; slot < this.tags.length; slot++) {
      const tag = this.tags[slot]!;
      if (tag !== FREE) visit(this.hashOf(tag), this.locate(slot, line));
    }
  }

  /** Every line, as a string, with its client's hash, in slot order. */
  *hashedLines(): IterableIterator<[hash: number, atLine: string]> {
    const line: LineBytes = { bytes: this.arena, start: 0, end: 0 };
    for (let slot = 0; slot < this.tags.length; slot++) {
      const tag = this.tags[slot]!;
      if (tag === FREE) continue;
      const { bytes, start, end } = this.locate(slot, line);
      yield [this.hashOf(tag), bytes.toString('latin1', start, end)];
    }
  }

  /** The client hash a tag in this table stands for. */
  private hashOf(tag: number): number {
    return (((tag - 1) << SHARD_BITS) | this.shard) >>> 0;
  }

  /**
   * Makes `room` bytes free at the arena's end. A full arena is copied into one ARENA_GROWTH
   * times the size its entries need: whole, or, when holes are more than MOST_UNUSED of it,
   * entry by entry to leave them out (the lines move, so their places must be read again).
   */
  private makeRoom(room: number): void {
    if (this.used + room <= this.arena.length) return;
    if (this.unused <= MOST_UNUSED * this.used) {
      const arena = Buffer.allocUnsafeSlow(arenaSize(this.used + room));
      this.arena.copy(arena, 0, 0, this.used);
      this.arena = arena;
      return;
    }
    const arena = Buffer.allocUnsafeSlow(arenaSize(this.used - this.unused + room));
    const line: LineBytes = { bytes: this.arena, start: 0, end: 0 };
    let used = 0;
    for (let slot = 0; slot < this.tags.length; slot++) {
      if (this.tags[slot] === FREE) continue;
      const entry = this.entries[slot]!;
      const { start, end } = this.locate(slot, line);
      this.arena.copy(arena, used, entry, end);
      this.entries[slot] = used;
      used += roomFor(end - start);
    }
    this.arena = arena;
    this.used = used;
    this.unused = 0;
  }

  /** Writes `line` at the arena's end, where makeRoom made `room` for it, as the slot's entry. */
  private append(slot: number, line: Uint8Array, from: number, to: number, room: number): void {
    this.entries[slot] = this.used;
    this.write(this.used, line, from, to);
    this.used += room;
  }

  /** Writes the entry of `line[from, to)` (its length, then its bytes) at `entry`. */
  private write(entry: number, line: Uint8Array, from: number, to: number): void {
    const { arena } = this;
    const length = to - from;
    let at = entry + 1;
    if (length < LONG) {
      arena[entry] = length;
    } else {
      arena[entry] = LONG | (length & ~LONG);
      arena[entry + 1] = (length >>> 7) & 0xff;
      arena[entry + 2] = length >>> 15;
      at = entry + 3;
    }
    // A loop: lines are short, and a subarray to copy from would be an object per line.
    for (let i = from; i < to; i++) arena[at++] = line[i]!;
  }

  private grow(): void {
    const { tags, entries } = this;
    this.tags = new Uint32Array(2 * tags.length);
    this.entries = new Uint32Array(2 * tags.length);
    for (let slot = 0; slot < tags.length; slot++) {
      const tag = tags[slot]!;
      if (tag === FREE) continue;
      const to = this.freeSlot(tag);
      this.tags[to] = tag;
      this.entries[to] = entries[slot]!;
    }
  }

  /** The first free slot on a tag's probe path (for a client known to be absent). */
  private freeSlot(tag: number): number {
    const mask = this.tags.length - 1;
    let slot = tag & mask;
    while (this.tags[slot] !== FREE) slot = (slot + 1) & mask;
    return slot;
  }

  /** Whether the slot's line is that of the client `client[from, to)`, compared in place. */
  private isLineOf(slot: number, client: Uint8Array, from: number, to: number): boolean {
    const { bytes, start, end } = this.locate(slot, probed);
    let at = clientStart(bytes, start);
    if (end - at <= to - from) return false;
    for (let i = from; i < to; i++, at++) {
      if (bytes[at] !== client[i]) return false;
    }
    return bytes[at] === SPACE;
  }
}

/** The bytes of a line replaced in place, kept for the store's listeners. */
let replacedCopy = Buffer.allocUnsafeSlow(256);
/** Where a probed line is (isLineOf). */
const probed: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };

/** Where the client id starts in the AT line at `start` (`AT member difference client ...`). */
export function clientStart(line: Uint8Array, start: number): number {
  let at = start + 3; // after `AT `
  while (line[at] !== SPACE) at++;
  at++;
  while (line[at] !== SPACE) at++;
  return at + 1;
}

/** A slot's tag: the hash's bits above the shard's, plus one; never FREE. */
function tagOf(hash: number): number {
  return (hash >>> SHARD_BITS) + 1;
}

/** The size of a new arena for entries that take `needed` bytes. */
function arenaSize(needed: number): number {
  return Math.max(INITIAL_ARENA_BYTES, roomFor(Math.ceil(needed * ARENA_GROWTH)));
}

/** The arena bytes the entry of a line of `length` bytes takes: its length, the line, padding. */
function roomFor(length: number): number {
  return (length + (length < LONG ? 1 : 3) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
}

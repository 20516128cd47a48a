/**
 * One shard of the location store: the AT line of each client, in an open-addressing hash
 * table (linear probing) keyed by the client id. Pure.
 *
 * Why not a Map: at 30,000 updates/s herd-wide, Map lookups, inserts and growth took about a
 * quarter of every member's CPU (perf), and the key copy kept per client was a third of the
 * store's memory. Here the key is not stored at all: the client id is the AT line's fourth
 * field. Each slot keeps a tag, the client's hash without the shard's bits and plus one (so 0
 * marks a free slot), in a typed array beside the lines. A probe reads only tags, which sit 16
 * to a cache line, and reads a line only when the tags match; adding a client touches no other
 * line (at a million clients this halved the time to add one: 0.35-0.7 against 1 µs). Growing
 * moves tags and references without reading a single string. Clients are never removed, so no
 * tombstones are needed.
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
const SPACE = 0x20;
const FREE = 0;

export class ClientTable {
  private tags = new Uint32Array(INITIAL_SLOTS);
  private lines: (string | undefined)[] = new Array<string | undefined>(INITIAL_SLOTS);
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
   * The slot holding `client`'s line, or, when the table has none, the bitwise complement (a
   * negative number) of the free slot where it goes. `hash` is clientHash(client).
   */
  slotOf(client: string, hash: number): number {
    const tag = tagOf(hash);
    const mask = this.tags.length - 1;
    for (let slot = tag & mask; ; slot = (slot + 1) & mask) {
      const found = this.tags[slot];
      if (found === FREE) return ~slot;
      if (found === tag && isLineOf(this.lines[slot]!, client)) return slot;
    }
  }

  /** The line at a slot that slotOf found. */
  lineAt(slot: number): string {
    return this.lines[slot]!;
  }

  /** Replaces the line at a slot that slotOf found with a newer line of the same client. */
  replace(slot: number, line: string): void {
    this.lines[slot] = line;
  }

  /** Adds the first line of a client, at the free slot that slotOf returned (complemented). */
  add(freeSlot: number, hash: number, line: string): void {
    const tag = tagOf(hash);
    if (this.count + 1 > this.mostFull * this.tags.length) {
      this.grow();
      freeSlot = this.freeSlot(tag);
    }
    this.tags[freeSlot] = tag;
    this.lines[freeSlot] = line;
    this.count++;
  }

  /** Every line with its client's hash, in slot order. */
  *hashedLines(): IterableIterator<[hash: number, atLine: string]> {
    for (let slot = 0; slot < this.tags.length; slot++) {
      const tag = this.tags[slot]!;
      if (tag !== FREE) yield [(((tag - 1) << SHARD_BITS) | this.shard) >>> 0, this.lines[slot]!];
    }
  }

  private grow(): void {
    const { tags, lines } = this;
    this.tags = new Uint32Array(2 * tags.length);
    this.lines = new Array<string | undefined>(2 * tags.length);
    for (let slot = 0; slot < tags.length; slot++) {
      const tag = tags[slot]!;
      if (tag === FREE) continue;
      const to = this.freeSlot(tag);
      this.tags[to] = tag;
      this.lines[to] = lines[slot];
    }
  }

  /** The first free slot on a tag's probe path (for a client known to be absent). */
  private freeSlot(tag: number): number {
    const mask = this.tags.length - 1;
    let slot = tag & mask;
    while (this.tags[slot] !== FREE) slot = (slot + 1) & mask;
    return slot;
  }
}

/** A slot's tag: the hash's bits above the shard's, plus one; never FREE. */
function tagOf(hash: number): number {
  return (hash >>> SHARD_BITS) + 1;
}

/** Whether an AT line (`AT member difference client ...`) is `client`'s, compared in place. */
function isLineOf(atLine: string, client: string): boolean {
  const start = atLine.indexOf(' ', atLine.indexOf(' ', 3) + 1) + 1;
  return atLine.startsWith(client, start) && atLine.charCodeAt(start + client.length) === SPACE;
}

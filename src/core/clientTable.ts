/**
 * One shard of the location store: the AT line of each client, in an open-addressing hash
 * table (linear probing) keyed by the client id. Pure.
 *
 * Why not a Map: at 30,000 updates/s herd-wide, Map lookups, inserts and growth took about a
 * quarter of every member's CPU (perf), and the key copy kept per client was a third of the
 * store's memory. Here the key is not stored at all: the client id is the AT line's fourth
 * field. Each slot keeps the client's 32-bit hash beside its line, so a probe compares numbers
 * and reads a line only when the hashes match, and growing moves hashes and references without
 * reading a single string. Clients are never removed, so no tombstones are needed.
 */

/** Slots of a new table; the table doubles whenever it would be more than half full. */
const INITIAL_SLOTS = 16;
/** The low bits of a client's hash choose its shard (store.ts); a slot comes from the rest. */
export const SHARD_BITS = 8;
const SPACE = 0x20;

export class ClientTable {
  private hashes = new Uint32Array(INITIAL_SLOTS);
  private lines: (string | undefined)[] = new Array<string | undefined>(INITIAL_SLOTS);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /**
   * The slot holding `client`'s line, or, when the table has none, the bitwise complement (a
   * negative number) of the free slot where it goes. `hash` is clientHash(client).
   */
  slotOf(client: string, hash: number): number {
    const mask = this.lines.length - 1;
    for (let slot = (hash >>> SHARD_BITS) & mask; ; slot = (slot + 1) & mask) {
      const line = this.lines[slot];
      if (line === undefined) return ~slot;
      if (this.hashes[slot] === hash && isLineOf(line, client)) return slot;
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
    if (2 * (this.count + 1) > this.lines.length) {
      this.grow();
      freeSlot = this.freeSlot(hash);
    }
    this.hashes[freeSlot] = hash;
    this.lines[freeSlot] = line;
    this.count++;
  }

  /** Every line with its client's hash, in slot order. */
  *hashedLines(): IterableIterator<[hash: number, atLine: string]> {
    for (let slot = 0; slot < this.lines.length; slot++) {
      const line = this.lines[slot];
      if (line !== undefined) yield [this.hashes[slot]!, line];
    }
  }

  private grow(): void {
    const { hashes, lines } = this;
    this.hashes = new Uint32Array(2 * lines.length);
    this.lines = new Array<string | undefined>(2 * lines.length);
    for (let slot = 0; slot < lines.length; slot++) {
      const line = lines[slot];
      if (line === undefined) continue;
      const to = this.freeSlot(hashes[slot]!);
      this.hashes[to] = hashes[slot]!;
      this.lines[to] = line;
    }
  }

  /** The first free slot on a hash's probe path (for a client known to be absent). */
  private freeSlot(hash: number): number {
    const mask = this.lines.length - 1;
    let slot = (hash >>> SHARD_BITS) & mask;
    while (this.lines[slot] !== undefined) slot = (slot + 1) & mask;
    return slot;
  }
}

/** Whether an AT line (`AT member difference client ...`) is `client`'s, compared in place. */
function isLineOf(atLine: string, client: string): boolean {
  const start = atLine.indexOf(' ', atLine.indexOf(' ', 3) + 1) + 1;
  return atLine.startsWith(client, start) && atLine.charCodeAt(start + client.length) === SPACE;
}

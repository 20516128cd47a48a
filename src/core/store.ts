/**
 * The latest location record of every client. The newest client time wins; equal times are
 * broken by comparing the AT lines, so that every member keeps the same record whatever the
 * order in which records reach it.
 *
 * Memory is what bounds how many clients a member can hold, so per client the store keeps only
 * its AT line, as latin1 bytes in its shard's arena (clientTable.ts), and the client's hash:
 * the client id is read from the line. A record object is rebuilt from the line when one is
 * asked for (WHATSAT, sync), which is rare next to offers; an offer compares against the time
 * at the end of the stored bytes.
 *
 * Clients are spread over 256 tables (clientTable.ts) by a hash of their id. A table grows by
 * copying itself whole, on the thread (as a Map did: one Map of a million clients stopped the
 * member for about 340 ms when it doubled); a shard holds a 256th of the store.
 */
import type { AtLineFields } from '../protocol/atLine.js';
import { bytesOfLatin1, latin1Bytes } from '../protocol/latin1.js';
import { atLineClient, recordOf, type LocationRecord } from '../protocol/record.js';
import { compareTimeBytes, compareTimeTexts } from '../protocol/time.js';
import { clientHash, clientHashOfBytes } from './clientHash.js';
import { ClientTable, clientStart, SHARD_BITS, SPACE, type LineBytes } from './clientTable.js';

export type { LineBytes } from './clientTable.js';

const SHARDS = 1 << SHARD_BITS;

/**
 * `hash` is the client's clientHash, so that listeners need not compute it again; `stored` and
 * `replaced` (if the client had a line) are where the new and the old line's bytes are, valid
 * only during the call.
 */
export type StoredListener = (hash: number, stored: LineBytes, replaced: LineBytes | undefined) => void;

export class LocationStore {
  private readonly shards = Array.from({ length: SHARDS }, (_, shard) => new ClientTable(shard));
  private clients = 0;
  private readonly listeners: StoredListener[] = [];
  /** Reused to tell listeners where lines are: an offer allocates nothing but its line's room. */
  private readonly current: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };
  private readonly stored: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };

  /** Called synchronously for every record kept, before the offer returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Keeps a copy of `record`'s line if it beats the stored one; returns whether it was kept. */
  offer(record: LocationRecord): boolean {
    return this.offerLine(bytesOfLatin1(record.atLine), 0, record.atLine.length);
  }

  /**
   * offer for the AT line `line[start, end)`, which must be well formed (isAtLine): a gossip
   * message's records are offered where they arrived, and only the bytes of those kept are
   * copied. `fields`, where isAtLine found the client id and the time, saves looking again.
   */
  offerLine(line: Uint8Array, start: number, end: number, fields?: AtLineFields): boolean {
    const client = fields ? fields.clientStart : clientStart(line, start);
    const clientEnd = fields ? fields.clientEnd : line.indexOf(SPACE, client);
    const time = fields ? fields.timeStart : timeStart(line, end);
    const hash = clientHashOfBytes(line, client, clientEnd);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(line, client, clientEnd, hash);
    let replaced: LineBytes | undefined;
    if (slot >= 0) {
      if (!beats(line, start, end, time, shard.locate(slot, this.current))) return false;
      shard.replace(slot, line, start, end, this.current);
      replaced = this.current;
      shard.locate(slot, this.stored);
    } else {
      shard.locate(shard.add(~slot, hash, line, start, end), this.stored);
      this.clients++;
    }
    for (const listener of this.listeners) listener(hash, this.stored, replaced);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.find(record.client);
    if (current === undefined) return true;
    const line = bytesOfLatin1(record.atLine);
    return beats(line, 0, record.atLine.length, timeStart(line, record.atLine.length), current);
  }

  /** Whether `atLine` is exactly the line stored for its client (no parsing: a cheap check). */
  holds(atLine: string): boolean {
    const client = atLineClient(atLine);
    const current = client === undefined ? undefined : this.find(client);
    if (current === undefined) return false;
    const line = latin1Bytes(atLine);
    return line !== undefined && compareBytes(line, 0, atLine.length, current) === 0;
  }

  /** The client's record, rebuilt from its stored AT line. */
  get(client: string): LocationRecord | undefined {
    const current = this.find(client);
    return current && recordOf(current.bytes.toString('latin1', current.start, current.end));
  }

  get size(): number {
    return this.clients;
  }

  /** Calls `visit` with every stored line's client hash and bytes; `line` is valid only during the call. */
  forEachLine(visit: (hash: number, line: LineBytes) => void): void {
    const line: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };
    for (const shard of this.shards) shard.forEachLine(visit, line);
  }

  /** Every stored AT line, as a string, with its client's hash (clientHash). */
  *hashedLines(): IterableIterator<[hash: number, atLine: string]> {
    for (const shard of this.shards) yield* shard.hashedLines();
  }

  /** Every stored AT line, as a string. */
  *lines(): IterableIterator<string> {
    for (const [, line] of this.hashedLines()) yield line;
  }

  /** Where `client`'s line is, if it has one (in `current`, valid until the store changes). */
  private find(client: string): LineBytes | undefined {
    const bytes = latin1Bytes(client);
    if (bytes === undefined) return undefined;
    const hash = clientHash(client);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(bytes, 0, client.length, hash);
    return slot >= 0 ? shard.locate(slot, this.current) : undefined;
  }
}

/** The fixed order between two records of one client. */
export function supersedes(candidate: LocationRecord, current: LocationRecord): boolean {
  const order = compareTimeTexts(candidate.timeText, current.timeText);
  return order !== 0 ? order > 0 : candidate.atLine > current.atLine;
}

/** supersedes, for the line `line[start, end)`, whose time starts at `time`, against a stored line's bytes. */
function beats(line: Uint8Array, start: number, end: number, time: number, current: LineBytes): boolean {
  const order = compareTimeBytes(line, time, end, current.bytes, timeStart(current.bytes, current.end), current.end);
  return order !== 0 ? order > 0 : compareBytes(line, start, end, current) > 0;
}

/** Where the time (the last field) starts in an AT line that ends at `end`. */
function timeStart(line: Uint8Array, end: number): number {
  let at = end;
  while (line[at - 1] !== SPACE) at--;
  return at;
}

/** Orders the line `line[start, end)` against a stored line's bytes as `<` orders latin1 strings. */
function compareBytes(line: Uint8Array, start: number, end: number, stored: LineBytes): number {
  return Buffer.compare(line.subarray(start, end), stored.bytes.subarray(stored.start, stored.end));
}

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
import { atLineClient, recordOf, type LocationRecord } from '../protocol/record.js';
import { compareTimeTexts, compareTimeTextToBytes } from '../protocol/time.js';
import { clientHash } from './clientHash.js';
import { ClientTable, SHARD_BITS, SPACE, type LineBytes } from './clientTable.js';

export type { LineBytes } from './clientTable.js';

const SHARDS = 1 << SHARD_BITS;

/**
 * `hash` is the record's clientHash, so that listeners need not compute it again; `stored` and
 * `replaced` (if the client had a line) are where the new and the old line's bytes are, valid
 * only during the call.
 */
export type StoredListener = (record: LocationRecord, hash: number, stored: LineBytes, replaced: LineBytes | undefined) => void;

export class LocationStore {
  private readonly shards = Array.from({ length: SHARDS }, (_, shard) => new ClientTable(shard));
  private clients = 0;
  private readonly listeners: StoredListener[] = [];
  /** Reused to tell listeners where lines are: an offer allocates nothing but its line's room. */
  private readonly current: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };
  private readonly stored: LineBytes = { bytes: Buffer.alloc(0), start: 0, end: 0 };

  /** Called synchronously for every record kept, before `offer` returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Keeps a copy of `record`'s line if it beats the stored one; returns whether it was kept. */
  offer(record: LocationRecord): boolean {
    const hash = clientHash(record.client);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(record.client, hash);
    let replaced: LineBytes | undefined;
    if (slot >= 0) {
      if (!beats(record, shard.locate(slot, this.current))) return false;
      shard.replace(slot, record.atLine, this.current);
      replaced = this.current;
      shard.locate(slot, this.stored);
    } else {
      shard.locate(shard.add(~slot, hash, record.atLine), this.stored);
      this.clients++;
    }
    for (const listener of this.listeners) listener(record, hash, this.stored, replaced);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.find(record.client);
    return current === undefined || beats(record, current);
  }

  /** Whether `atLine` is exactly the line stored for its client (no parsing: a cheap check). */
  holds(atLine: string): boolean {
    const client = atLineClient(atLine);
    const current = client === undefined ? undefined : this.find(client);
    return current !== undefined && compareLineToBytes(atLine, current) === 0;
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
    const hash = clientHash(client);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(client, hash);
    return slot >= 0 ? shard.locate(slot, this.current) : undefined;
  }
}

/** The fixed order between two records of one client. */
export function supersedes(candidate: LocationRecord, current: LocationRecord): boolean {
  const order = compareTimeTexts(candidate.timeText, current.timeText);
  return order !== 0 ? order > 0 : candidate.atLine > current.atLine;
}

/** supersedes, against a stored line's bytes. */
function beats(candidate: LocationRecord, current: LineBytes): boolean {
  const { bytes, end } = current;
  let time = end;
  while (bytes[time - 1] !== SPACE) time--;
  const order = compareTimeTextToBytes(candidate.timeText, bytes, time, end);
  return order !== 0 ? order > 0 : compareLineToBytes(candidate.atLine, current) > 0;
}

/** Orders a line against a stored line's bytes as `<` orders latin1 strings. */
function compareLineToBytes(line: string, { bytes, start, end }: LineBytes): number {
  const length = Math.min(line.length, end - start);
  for (let i = 0; i < length; i++) {
    const d = line.charCodeAt(i) - bytes[start + i]!;
    if (d !== 0) return d;
  }
  return line.length - (end - start);
}

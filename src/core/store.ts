/**
 * The latest location record of every client. The newest client time wins; equal times are
 * broken by comparing the AT lines, so that every member keeps the same record whatever the
 * order in which records reach it.
 *
 * Memory is what bounds how many clients a member can hold, so per client the store keeps only
 * its AT line, a string of its own (see `detached`), and the client's hash: the client id is read
 * from the line. A record object is rebuilt from the line when one is asked for (WHATSAT,
 * sync), which is rare next to offers; an offer compares against the time text at the end of
 * the stored line.
 *
 * Clients are spread over 256 tables (clientTable.ts) by a hash of their id. A table grows by
 * copying itself whole, on the thread (as a Map did: one Map of a million clients stopped the
 * member for about 340 ms when it doubled); a shard holds a 256th of the store.
 */
import { atLineClient, atLineTimeText, detached, recordOf, type LocationRecord } from '../protocol/record.js';
import { compareTimeTexts } from '../protocol/time.js';
import { clientHash } from './clientHash.js';
import { ClientTable, SHARD_BITS } from './clientTable.js';

const SHARDS = 1 << SHARD_BITS;

/**
 * `replacedLine` is the AT line the record replaced, if the client had one; `hash` is the
 * client's clientHash, so that listeners need not compute it again.
 */
export type StoredListener = (record: LocationRecord, replacedLine: string | undefined, hash: number) => void;

export class LocationStore {
  private readonly shards = Array.from({ length: SHARDS }, (_, shard) => new ClientTable(shard));
  private clients = 0;
  private readonly listeners: StoredListener[] = [];

  /** Called synchronously for every record kept, before `offer` returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /**
   * Keeps `record` if it beats the stored one; returns whether it was kept. The store keeps a
   * copy of its AT line (see `detached`) unless `ownLine` says the line is already a string of
   * its own: the lines of a received batch are (batchLines), and most records a member stores
   * come from one.
   */
  offer(record: LocationRecord, ownLine = false): boolean {
    const hash = clientHash(record.client);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(record.client, hash);
    const current = slot >= 0 ? shard.lineAt(slot) : undefined;
    if (current !== undefined && !beats(record, atLineTimeText(current), current)) return false;
    const line = ownLine ? record.atLine : detached(record.atLine);
    if (current !== undefined) {
      shard.replace(slot, line);
    } else {
      shard.add(~slot, hash, line);
      this.clients++;
    }
    for (const listener of this.listeners) listener(record, current, hash);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.lineOf(record.client);
    return current === undefined || beats(record, atLineTimeText(current), current);
  }

  /** Whether `atLine` is exactly the line stored for its client (no parsing: a cheap check). */
  holds(atLine: string): boolean {
    const client = atLineClient(atLine);
    return client !== undefined && this.lineOf(client) === atLine;
  }

  /** The client's record, rebuilt from its stored AT line. */
  get(client: string): LocationRecord | undefined {
    const line = this.lineOf(client);
    return line === undefined ? undefined : recordOf(line);
  }

  get size(): number {
    return this.clients;
  }

  /** Every stored AT line with its client's hash (clientHash). */
  *hashedLines(): IterableIterator<[hash: number, atLine: string]> {
    for (const shard of this.shards) yield* shard.hashedLines();
  }

  /** Every stored AT line. */
  *lines(): IterableIterator<string> {
    for (const [, line] of this.hashedLines()) yield line;
  }

  private lineOf(client: string): string | undefined {
    const hash = clientHash(client);
    const shard = this.shards[hash & (SHARDS - 1)]!;
    const slot = shard.slotOf(client, hash);
    return slot >= 0 ? shard.lineAt(slot) : undefined;
  }
}

/** The fixed order between two records of one client. */
export function supersedes(candidate: LocationRecord, current: LocationRecord): boolean {
  return beats(candidate, current.timeText, current.atLine);
}

function beats(candidate: LocationRecord, currentTimeText: string, currentLine: string): boolean {
  const order = compareTimeTexts(candidate.timeText, currentTimeText);
  return order !== 0 ? order > 0 : candidate.atLine > currentLine;
}

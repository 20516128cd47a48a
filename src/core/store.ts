/**
 * The latest location record of every client. The newest client time wins; equal times are
 * broken by comparing the AT lines, so that every member keeps the same record whatever the
 * order in which records reach it.
 *
 * Memory is what bounds how many clients a member can hold, so per client the store keeps only
 * what must persist: the client id and its AT line, each a detached copy (see `detached`). A
 * record object is rebuilt from the line when one is asked for (WHATSAT, sync), which is rare
 * next to offers; an offer compares against the time text at the end of the stored line.
 *
 * Clients are spread over 256 maps by a hash of their id. V8 grows a Map by rehashing it
 * whole: one map of a million clients stopped the member for about 340 ms when it doubled
 * (and a map of two million, twice that); a shard holds a 256th of it.
 */
import { atLineClient, atLineTimeText, detached, recordOf, type LocationRecord } from '../protocol/record.js';
import { compareTimeTexts } from '../protocol/time.js';
import { clientHash } from './clientHash.js';

const SHARDS = 256;

/** `replacedLine` is the AT line the record replaced, if the client had one. */
export type StoredListener = (record: LocationRecord, replacedLine: string | undefined) => void;

export class LocationStore {
  private readonly shards = Array.from({ length: SHARDS }, () => new Map<string, string>());
  private clients = 0;
  private readonly listeners: StoredListener[] = [];

  /** Called synchronously for every record kept, before `offer` returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Keeps `record` if it beats the stored one; returns whether it was kept. */
  offer(record: LocationRecord): boolean {
    const shard = this.shardOf(record.client);
    const current = shard.get(record.client);
    if (current !== undefined && !beats(record, atLineTimeText(current), current)) return false;
    // Setting an existing key keeps the key already stored, so only a new client's id is copied.
    shard.set(current === undefined ? detached(record.client) : record.client, detached(record.atLine));
    if (current === undefined) this.clients++;
    for (const listener of this.listeners) listener(record, current);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.shardOf(record.client).get(record.client);
    return current === undefined || beats(record, atLineTimeText(current), current);
  }

  /** Whether `atLine` is exactly the line stored for its client (no parsing: a cheap check). */
  holds(atLine: string): boolean {
    const client = atLineClient(atLine);
    return client !== undefined && this.shardOf(client).get(client) === atLine;
  }

  /** The client's record, rebuilt from its stored AT line. */
  get(client: string): LocationRecord | undefined {
    const line = this.shardOf(client).get(client);
    return line === undefined ? undefined : recordOf(line);
  }

  get size(): number {
    return this.clients;
  }

  /** Every client with its AT line. */
  *entries(): IterableIterator<[client: string, atLine: string]> {
    for (const shard of this.shards) yield* shard.entries();
  }

  /** Every stored AT line. */
  *lines(): IterableIterator<string> {
    for (const shard of this.shards) yield* shard.values();
  }

  private shardOf(client: string): Map<string, string> {
    return this.shards[clientHash(client) & (SHARDS - 1)]!;
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

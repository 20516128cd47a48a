/**
 * The latest location record of every client. The newest client time wins; equal times are
 * broken by comparing the AT lines, so that every member keeps the same record whatever the
 * order in which records reach it.
 *
 * Memory is what bounds how many clients a member can hold, so per client the store keeps only
 * what must persist: the client id and its AT line, each a detached copy (see `detached`). A
 * record object is rebuilt from the line when one is asked for (WHATSAT, sync), which is rare
 * next to offers; an offer compares against the time text at the end of the stored line.
 */
import { atLineClient, atLineTimeText, detached, recordOf, type LocationRecord } from '../protocol/record.js';
import { compareTimeTexts } from '../protocol/time.js';

/** `replacedLine` is the AT line the record replaced, if the client had one. */
export type StoredListener = (record: LocationRecord, replacedLine: string | undefined) => void;

export class LocationStore {
  private readonly lineOf = new Map<string, string>();
  private readonly listeners: StoredListener[] = [];

  /** Called synchronously for every record kept, before `offer` returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Keeps `record` if it beats the stored one; returns whether it was kept. */
  offer(record: LocationRecord): boolean {
    const current = this.lineOf.get(record.client);
    if (current !== undefined && !beats(record, atLineTimeText(current), current)) return false;
    // Setting an existing key keeps the key already stored, so only a new client's id is copied.
    this.lineOf.set(current === undefined ? detached(record.client) : record.client, detached(record.atLine));
    for (const listener of this.listeners) listener(record, current);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.lineOf.get(record.client);
    return current === undefined || beats(record, atLineTimeText(current), current);
  }

  /** Whether `atLine` is exactly the line stored for its client (no parsing: a cheap check). */
  holds(atLine: string): boolean {
    const client = atLineClient(atLine);
    return client !== undefined && this.lineOf.get(client) === atLine;
  }

  /** The client's record, rebuilt from its stored AT line. */
  get(client: string): LocationRecord | undefined {
    const line = this.lineOf.get(client);
    return line === undefined ? undefined : recordOf(line);
  }

  get size(): number {
    return this.lineOf.size;
  }

  /** Every client with its AT line. */
  entries(): IterableIterator<[client: string, atLine: string]> {
    return this.lineOf.entries();
  }

  /** Every stored AT line. */
  lines(): IterableIterator<string> {
    return this.lineOf.values();
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

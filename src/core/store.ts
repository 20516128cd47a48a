/**
 * The latest location record of every client. The newest client time wins; equal times are
 * broken by comparing the AT lines, so that every member keeps the same record whatever the
 * order in which records reach it.
 */
import type { LocationRecord } from '../protocol/record.js';

export type StoredListener = (record: LocationRecord, replaced: LocationRecord | undefined) => void;

export class LocationStore {
  private readonly byClient = new Map<string, LocationRecord>();
  private readonly listeners: StoredListener[] = [];

  /** Called synchronously for every record kept, before `offer` returns (durability, digests). */
  onStored(listener: StoredListener): void {
    this.listeners.push(listener);
  }

  /** Keeps `record` if it beats the stored one; returns whether it was kept. */
  offer(record: LocationRecord): boolean {
    const current = this.byClient.get(record.client);
    if (current && !supersedes(record, current)) return false;
    this.byClient.set(record.client, record);
    for (const listener of this.listeners) listener(record, current);
    return true;
  }

  /** Whether `record` would be kept, without keeping it. */
  isNewer(record: LocationRecord): boolean {
    const current = this.byClient.get(record.client);
    return !current || supersedes(record, current);
  }

  get(client: string): LocationRecord | undefined {
    return this.byClient.get(client);
  }

  get size(): number {
    return this.byClient.size;
  }

  records(): IterableIterator<LocationRecord> {
    return this.byClient.values();
  }
}

/** The fixed order between two records of one client. */
export function supersedes(candidate: LocationRecord, current: LocationRecord): boolean {
  if (candidate.timeNanos !== current.timeNanos) return candidate.timeNanos > current.timeNanos;
  return candidate.atLine > current.atLine;
}

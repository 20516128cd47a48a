/** The narrow interfaces the core is written against; the edges implement them. */
import type { PlacesAnswer } from '../protocol/reply.js';
import type { LocationRecord } from '../protocol/record.js';

export interface NearbyQuery {
  readonly lat: number;
  readonly lng: number;
  readonly radiusMetres: number;
  /** The most results the caller will use; a provider may return more. */
  readonly limit: number;
}

/** A places provider. It never rejects: failures come back as a JSON answer with a status. */
export interface Places {
  nearby(query: NearbyQuery): Promise<PlacesAnswer>;
}

export interface Clock {
  /** Wall-clock time as integer nanoseconds since the POSIX epoch. */
  nowNanos(): bigint;
}

/** Where newly stored records go to reach the rest of the herd. */
export interface RecordSink {
  publish(record: LocationRecord): void;
}

/** Answers client lines: the member core, as the TCP adapter sees it. */
export interface LineHandler {
  /** Answers one line (latin1); `undefined` means no reply (a blank line). */
  handle(line: string): Buffer | Promise<Buffer> | undefined;
}

/** Something that can tell the adapter to stop reading clients for a while (gossip backlog). */
export interface FlowControl {
  readonly congested: boolean;
  onDrain(listener: () => void): void;
}

/** The subset of pino the core uses. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Logger;
}

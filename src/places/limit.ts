/**
 * A cap on concurrent upstream places calls, with a bounded queue behind it. A hanging
 * upstream then holds at most `concurrency` requests; beyond the queue, a WHATSAT is answered
 * at once with UNKNOWN_ERROR instead of piling up memory and sockets.
 */
import pLimit from 'p-limit';
import type { Logger, NearbyQuery, Places } from '../core/ports.js';
import type { PlacesAnswer } from '../protocol/reply.js';
import { unknownError } from './answers.js';

export const LIMIT_DEFAULTS = {
  /** As many as the Google pool keeps connections; more would only wait inside undici. */
  concurrency: 32,
  /** About ten seconds of WHATSATs at a few hundred a second before refusing more. */
  maxQueue: 1_000,
} as const;

export interface LimitOptions {
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly log: Logger;
}

export function limitConcurrency(places: Places & { close(): Promise<void> }, options: LimitOptions): Places & { close(): Promise<void> } {
  const limit = pLimit(options.concurrency);
  let warned = 0;
  const nearby = (query: NearbyQuery): Promise<PlacesAnswer> => {
    if (limit.pendingCount >= options.maxQueue) {
      // One warning a second at most: an overload would otherwise flood the log.
      if (Date.now() - warned > 1_000) {
        warned = Date.now();
        options.log.warn({ active: limit.activeCount, queued: limit.pendingCount }, 'places queue full: answering UNKNOWN_ERROR');
      }
      return Promise.resolve(unknownError('places queue full, try again later'));
    }
    return limit(() => places.nearby(query));
  };
  return { nearby, close: () => places.close() };
}

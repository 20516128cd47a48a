/** A places provider that counts its calls and failures and times each one, for /status and /metrics. */
import type { Places } from '../core/ports.js';

export interface PlacesCounters {
  readonly calls: number;
  /** Answers other than OK and ZERO_RESULTS: the provider failed or refused. */
  readonly errors: number;
}

export interface MeasuredPlaces extends Places {
  readonly counters: PlacesCounters;
}

/** `places`, counted; `observe` gets each call's duration in seconds. */
export function measured(places: Places, observe: (seconds: number) => void): MeasuredPlaces {
  const counters = { calls: 0, errors: 0 };
  return {
    counters,
    async nearby(query) {
      const started = performance.now();
      counters.calls++;
      const answer = await places.nearby(query);
      if (answer.status !== 'OK' && answer.status !== 'ZERO_RESULTS') counters.errors++;
      observe((performance.now() - started) / 1000);
      return answer;
    },
  };
}

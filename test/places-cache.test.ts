/** The build's packed copy of the offline places: the same places as decoding the package, or ignored. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodePlacesCache, packageVersion, PLACES_CACHE, readPlacesCache } from '../src/places/offline-cache.js';
import { packInWorker, PlaceTable, type PackedPlaces } from '../src/places/offline-data.js';

describe('the offline places cache', () => {
  let decoded: PackedPlaces;
  let dir: string;

  before(async () => {
    decoded = await packInWorker();
    dir = mkdtempSync(join(tmpdir(), 'herd-places-cache-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('npm run build wrote it, and it holds exactly what decoding the package gives', () => {
    const cached = readPlacesCache(PLACES_CACHE, packageVersion());
    assert.ok(cached, `${PLACES_CACHE} is missing or unreadable`);
    assert.equal(cached.count, decoded.count);
    assert.ok(decoded.count > 100_000);
    assert.deepEqual(cached.codeTable, decoded.codeTable);
    assert.ok(Buffer.from(cached.index).equals(Buffer.from(decoded.index)), 'the same kd-tree');
    for (const name of ['coords', 'cityId', 'population', 'names', 'nameOffsets', 'codes'] as const) {
      assert.deepEqual(cached[name], decoded[name], name);
    }
    // Westwood, Los Angeles (GeoNames 5408522) reads back the same through the table.
    const [fromCache, fromPackage] = [new PlaceTable(cached), new PlaceTable(decoded)];
    const westwood = Array.from({ length: decoded.count }, (_, i) => i).find((i) => decoded.cityId[i] === 5408522)!;
    assert.deepEqual([fromCache.city(westwood).name, fromCache.city(westwood).loc.coordinates], ['Westwood', [-118.43063, 34.05612]]);
    assert.deepEqual(fromCache.city(westwood), fromPackage.city(westwood));
  });

  test('a file from another package version, cut short, or not ours is ignored', () => {
    const file = join(dir, 'places.bin');
    const whole = encodePlacesCache(decoded, '0.0.0-other');
    writeFileSync(file, whole);
    assert.equal(readPlacesCache(file, packageVersion()), undefined, 'another version');
    assert.ok(readPlacesCache(file, '0.0.0-other'), 'its own version reads');
    writeFileSync(file, whole.subarray(0, whole.byteLength - 1));
    assert.equal(readPlacesCache(file, '0.0.0-other'), undefined, 'cut short');
    writeFileSync(file, readFileSync(new URL(import.meta.url)));
    assert.equal(readPlacesCache(file, '0.0.0-other'), undefined, 'not a cache');
    assert.equal(readPlacesCache(join(dir, 'missing.bin'), '0.0.0-other'), undefined, 'missing');
  });
});

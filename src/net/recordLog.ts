/**
 * Durable state: every stored record is appended to `DIR/records.log` (AT lines, the gossip
 * codec), and the store is rebuilt from it at start. The store keeps the newest record per
 * client whatever the order, so the log needs no sequence numbers, and a compaction is just
 * the current store written out and renamed over the log.
 *
 * Policy: a record is written to the file (write(2), synchronously) before the member
 * acknowledges it, so a crash or kill -9 loses nothing acknowledged; the file is fdatasync'ed
 * at most `fsyncIntervalMs` after a write, so a power cut can lose the acknowledgements of
 * that last interval (they are still held by the neighbours that received the gossip).
 *
 * Lines are queued and written together: by `flush`, which whoever acknowledges calls first
 * (the client server, before replies leave), and otherwise when the current job ends. A
 * write(2) per record cost about 5 us, as much as the rest of storing it, and a gossip message
 * carries hundreds of records.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/ports.js';
import type { LineBytes } from '../core/store.js';
import { parseAtLine, type LocationRecord } from '../protocol/record.js';

const NEWLINE = 0x0a;
/** The queue's buffer: room for a gossip message's lines at first; larger is kept up to PENDING_KEPT_BYTES. */
const PENDING_INITIAL_BYTES = 64 * 1024;
const PENDING_KEPT_BYTES = 1024 * 1024;

export const RECORD_LOG_DEFAULTS = {
  /** Bounds what a power cut can lose while keeping fsyncs to a few hundred a second at most. */
  fsyncIntervalMs: 20,
  /** Compact when the log holds this many times more lines than the store has records... */
  compactRatio: 4,
  /** ...and at least this many, so small logs are never rewritten. */
  compactMinLines: 50_000,
} as const;

export interface RecordLogOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly fsyncIntervalMs?: number;
}

export class RecordLog {
  private fd: number;
  private lines = 0;
  /** Lines waiting for `flush`, each with its newline: `pendingLines` of them in `pendingBytes` bytes. */
  private pending = Buffer.allocUnsafeSlow(PENDING_INITIAL_BYTES);
  private pendingBytes = 0;
  private pendingLines = 0;
  /** The last write failed (a full disk): said once, until a write succeeds again. */
  private failing = false;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private readonly path: string;

  private constructor(
    private readonly options: RecordLogOptions,
    fd: number,
    lines: number,
  ) {
    this.path = join(options.dir, 'records.log');
    this.fd = fd;
    this.lines = lines;
  }

  /** Opens (or creates) the log and returns it with the records it holds. */
  static open(options: RecordLogOptions): { recordLog: RecordLog; records: LocationRecord[] } {
    mkdirSync(options.dir, { recursive: true });
    const path = join(options.dir, 'records.log');
    const { records, lines, validBytes, skipped } = existsSync(path) ? readLog(path) : { records: [], lines: 0, validBytes: 0, skipped: 0 };
    // A torn last line (a crash mid-write) is cut off so the next append starts clean.
    if (existsSync(path)) truncateSync(path, validBytes);
    if (skipped > 0) options.log.warn({ path, skipped }, 'record log: skipped malformed lines');
    const fd = openSync(path, 'a');
    return { recordLog: new RecordLog(options, fd, lines), records };
  }

  /**
   * Queues a copy of a stored record's line for the next `flush`, which comes when this job ends
   * at the latest. Bytes, as the store hands them to its listeners: no string per record.
   */
  append({ bytes, start, end }: LineBytes): void {
    if (this.pendingLines === 0) queueMicrotask(this.flush);
    const needed = this.pendingBytes + end - start + 1;
    if (needed > this.pending.length) {
      const larger = Buffer.allocUnsafeSlow(Math.max(needed, 2 * this.pending.length));
      this.pending.copy(larger, 0, 0, this.pendingBytes);
      this.pending = larger;
    }
    this.pendingBytes += bytes.copy(this.pending, this.pendingBytes, start, end);
    this.pending[this.pendingBytes++] = NEWLINE;
    this.pendingLines++;
  }

  /**
   * Writes the queued lines in one write(2). A failed write is logged, not thrown: the member
   * goes on answering from its store, and its neighbours hold the records too.
   */
  readonly flush = (): void => {
    if (this.pendingLines === 0) return;
    const { pending, pendingBytes, pendingLines: lines } = this;
    this.dropPending();
    try {
      writeSync(this.fd, pending, 0, pendingBytes);
    } catch (err) {
      if (!this.failing)
        this.options.log.error({ err, records: lines }, 'record log: write failed; records are not kept on disk until a write succeeds');
      this.failing = true;
      return;
    }
    if (this.failing) this.options.log.warn({}, 'record log: writing again');
    this.failing = false;
    this.lines += lines;
    this.fsyncTimer ??= setTimeout(() => this.sync(), this.options.fsyncIntervalMs ?? RECORD_LOG_DEFAULTS.fsyncIntervalMs);
  };

  /** Rewrites the log as the store's current AT lines when it has grown mostly stale. */
  compactIfNeeded(current: () => Iterable<string>, size: number): boolean {
    if (this.lines + this.pendingLines < Math.max(RECORD_LOG_DEFAULTS.compactMinLines, size * RECORD_LOG_DEFAULTS.compactRatio)) return false;
    this.dropPending(); // their records (or newer ones) are in the store, so in the rewrite below
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    let lines = 0;
    let chunk: string[] = [];
    for (const atLine of current()) {
      chunk.push(`${atLine}\n`);
      if (chunk.length === 4096) {
        writeSync(fd, Buffer.from(chunk.join(''), 'latin1'));
        chunk = [];
      }
      lines++;
    }
    writeSync(fd, Buffer.from(chunk.join(''), 'latin1'));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    syncDirectory(this.options.dir);
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
    this.options.log.info({ before: this.lines, after: lines }, 'record log compacted');
    this.lines = lines;
    return true;
  }

  close(): void {
    this.flush();
    clearTimeout(this.fsyncTimer);
    fsyncSync(this.fd);
    closeSync(this.fd);
  }

  /** Empties the queue; a buffer grown by a large sync batch is let go. */
  private dropPending(): void {
    this.pendingBytes = 0;
    this.pendingLines = 0;
    if (this.pending.length > PENDING_KEPT_BYTES) this.pending = Buffer.allocUnsafeSlow(PENDING_INITIAL_BYTES);
  }

  private sync(): void {
    this.fsyncTimer = undefined;
    fdatasync(this.fd, (err) => {
      if (err) this.options.log.error({ err }, 'record log: fdatasync failed');
    });
  }
}

function readLog(path: string): { records: LocationRecord[]; lines: number; validBytes: number; skipped: number } {
  const text = readFileSync(path).toString('latin1');
  const end = text.lastIndexOf('\n') + 1;
  const records: LocationRecord[] = [];
  let skipped = 0;
  for (const line of text.slice(0, end).split('\n')) {
    if (line === '') continue;
    const record = parseAtLine(line);
    if (record) records.push(record);
    else skipped++;
  }
  return { records, lines: records.length, validBytes: end, skipped };
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

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
import { parseAtLine, type LocationRecord } from '../protocol/record.js';

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
  private pending: string[] = [];
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

  /** Queues a stored record's line for the next `flush`, which comes when this job ends at the latest. */
  append(record: LocationRecord): void {
    if (this.pending.length === 0) queueMicrotask(this.flush);
    this.pending.push(record.atLine);
  }

  /**
   * Writes the queued lines in one write(2). A failed write is logged, not thrown: the member
   * goes on answering from its store, and its neighbours hold the records too.
   */
  readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const lines = this.pending;
    this.pending = [];
    try {
      writeSync(this.fd, Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
    } catch (err) {
      if (!this.failing)
        this.options.log.error({ err, records: lines.length }, 'record log: write failed; records are not kept on disk until a write succeeds');
      this.failing = true;
      return;
    }
    if (this.failing) this.options.log.warn({}, 'record log: writing again');
    this.failing = false;
    this.lines += lines.length;
    this.fsyncTimer ??= setTimeout(() => this.sync(), this.options.fsyncIntervalMs ?? RECORD_LOG_DEFAULTS.fsyncIntervalMs);
  };

  /** Rewrites the log as the store's current AT lines when it has grown mostly stale. */
  compactIfNeeded(current: () => Iterable<string>, size: number): boolean {
    if (this.lines + this.pending.length < Math.max(RECORD_LOG_DEFAULTS.compactMinLines, size * RECORD_LOG_DEFAULTS.compactRatio)) return false;
    this.pending = []; // their records (or newer ones) are in the store, so in the rewrite below
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

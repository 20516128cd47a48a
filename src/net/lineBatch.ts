/**
 * Log lines gathered into writes of at least `minBytes`, each handed to a synchronous
 * destination (the rotating log file) in one piece. sonic-boom can batch on its own
 * (`minLength`), but it measures its whole pending string on every line (`Buffer.byteLength`
 * of a growing concatenation): about 1 µs per 180-byte line, against 0.3 µs here. A lone
 * line waits at most `maxWaitMs`.
 */
export interface LineSink {
  write(chunk: string): unknown;
}

export class LineBatch {
  private pending: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dest: LineSink,
    private readonly minBytes: number,
    private readonly maxWaitMs = 1000,
  ) {}

  /** The stream side pino writes to; always accepts (the destination is synchronous). */
  write(line: string): boolean {
    this.pending.push(line);
    this.bytes += line.length;
    if (this.bytes >= this.minBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs).unref();
    return true;
  }

  /** Hands what waits to the destination now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.bytes = 0;
    this.dest.write(chunk);
  }
}

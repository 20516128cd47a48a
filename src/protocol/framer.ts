/**
 * Incremental line framing: byte chunks of any size in, complete lines out, one at a time.
 * A line longer than the cap is never buffered whole: the framer reports it as overlong
 * (with its first bytes, for the reply) and discards the rest of it.
 *
 * Lines are taken on demand (`next`), so a caller that must stop handling lines (too many
 * replies pending, a full write queue) keeps the rest of a read as the one chunk it came in:
 * memory held is that chunk plus at most one partial line of up to the cap.
 */

export type FrameEvent = { readonly type: 'line'; readonly bytes: Buffer } | { readonly type: 'overlong'; readonly head: Buffer };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const EMPTY = Buffer.alloc(0);

export class LineFramer {
  /** Received bytes not framed yet, from `offset` on. */
  private input: Buffer = EMPTY;
  private offset = 0;
  private ended = false;
  /** The start of the current line, when it spans reads. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
  }

  /** Adds received bytes; take the lines with `next`. */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.input = this.hasInput ? Buffer.concat([this.input.subarray(this.offset), chunk]) : chunk;
    this.offset = 0;
  }

  /** End of input: a final line without a newline is still a line. */
  finish(): void {
    this.ended = true;
  }

  /** True while fed bytes remain unframed (the caller should not read more yet). */
  get hasInput(): boolean {
    return this.offset < this.input.length;
  }

  /** The next complete line or overlong report, or `undefined` until more bytes are fed. */
  next(): FrameEvent | undefined {
    while (this.hasInput) {
      const newline = this.input.indexOf(NEWLINE, this.offset);
      const end = newline === -1 ? this.input.length : newline;
      const part = this.input.subarray(this.offset, end);
      this.offset = newline === -1 ? end : newline + 1;
      if (this.offset === this.input.length) {
        this.input = EMPTY;
        this.offset = 0;
      }
      const overlong = this.append(part, newline === -1);
      if (overlong) return overlong;
      if (newline !== -1) {
        const event = this.finishLine();
        if (event) return event;
      }
    }
    if (this.ended && this.pendingLength > 0) return this.finishLine();
    if (this.ended) this.discarding = false;
    return undefined;
  }

  /** Feeds one chunk and returns every event it completes (tests, one-shot callers). */
  push(chunk: Buffer): FrameEvent[] {
    this.feed(chunk);
    return this.drain();
  }

  /** Ends the input and returns the remaining events. */
  end(): FrameEvent[] {
    this.finish();
    return this.drain();
  }

  private drain(): FrameEvent[] {
    const events: FrameEvent[] = [];
    for (let event = this.next(); event; event = this.next()) events.push(event);
    return events;
  }

  private append(part: Buffer, continued: boolean): FrameEvent | undefined {
    if (this.discarding || part.length === 0) return undefined;
    // The cap applies to the line without its terminator, and a trailing CR is part of the
    // terminator, so allow one extra byte before deciding.
    if (this.pendingLength + part.length > this.maxLineBytes + 1) {
      const room = this.maxLineBytes - this.pendingLength;
      // What is held may already be cap + 1 bytes (room for a CR): clip it to the cap too, so
      // the echo is the same however the line was chunked.
      const head = Buffer.concat([...this.pending, part.subarray(0, Math.max(0, room))]).subarray(0, this.maxLineBytes);
      this.reset();
      // The rest of the line is discarded up to its newline, unless this part ends it.
      this.discarding = continued;
      return { type: 'overlong', head };
    }
    // A line that the next read continues is copied, so the whole read is not held for it.
    this.pending.push(continued ? Buffer.from(part) : part);
    this.pendingLength += part.length;
    return undefined;
  }

  private finishLine(): FrameEvent | undefined {
    if (this.discarding) {
      this.discarding = false;
      return undefined;
    }
    let line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, -1);
    this.reset();
    if (line.length > this.maxLineBytes) return { type: 'overlong', head: line.subarray(0, this.maxLineBytes) };
    return { type: 'line', bytes: line };
  }

  private reset(): void {
    this.pending = [];
    this.pendingLength = 0;
  }
}

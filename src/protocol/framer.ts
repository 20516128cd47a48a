/**
 * Incremental line framing: byte chunks of any size in, complete lines out.
 * A line longer than the cap is never buffered whole: the framer reports it as overlong
 * (with its first bytes, for the reply) and discards the rest of it.
 */

export type FrameEvent =
  | { readonly type: 'line'; readonly bytes: Buffer }
  | { readonly type: 'overlong'; readonly head: Buffer };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineFramer {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
  }

  /** Feeds one chunk; returns the events it completes, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.append(chunk.subarray(start, end), events);
      if (newline === -1) break;
      this.finishLine(events);
      start = newline + 1;
    }
    return events;
  }

  /** Called at end of input: a final line without a newline is still a line. */
  end(): FrameEvent[] {
    const events: FrameEvent[] = [];
    if (this.pendingLength > 0) this.finishLine(events);
    this.discarding = false;
    return events;
  }

  private append(part: Buffer, events: FrameEvent[]): void {
    if (this.discarding || part.length === 0) return;
    // The cap applies to the line without its terminator, and a trailing CR is part of the
    // terminator, so allow one extra byte before deciding.
    if (this.pendingLength + part.length > this.maxLineBytes + 1) {
      const room = this.maxLineBytes - this.pendingLength;
      // What is held may already be cap + 1 bytes (room for a CR): clip it to the cap too, so
      // the echo is the same however the line was chunked.
      const head = Buffer.concat([...this.pending, part.subarray(0, Math.max(0, room))]).subarray(0, this.maxLineBytes);
      events.push({ type: 'overlong', head });
      this.reset();
      this.discarding = true;
      return;
    }
    this.pending.push(part);
    this.pendingLength += part.length;
  }

  private finishLine(events: FrameEvent[]): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    let line = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, -1);
    this.reset();
    if (line.length > this.maxLineBytes) {
      events.push({ type: 'overlong', head: line.subarray(0, this.maxLineBytes) });
      return;
    }
    events.push({ type: 'line', bytes: line });
  }

  private reset(): void {
    this.pending = [];
    this.pendingLength = 0;
  }
}

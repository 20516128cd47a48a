/**
 * The user-space relay on one link, run inside that link's relay namespace (see
 * `insertRelayPath`): it accepts what either member sends to the other's p2p port and
 * passes it on from the sender's own address, each chunk held `delayMs` in each direction.
 * netem is not available here, so this is how the lab adds latency. "Loss" holds a chunk an
 * extra 200 ms with probability `lossPct`/100: a TCP stream cannot lose bytes, and 200 ms is
 * Linux's least retransmission timeout, what a lost segment costs the stream.
 *
 *   node relayProcess.js CONTROL_FILE LINK_KEY ADDRESS_A ADDRESS_B PORT
 *
 * CONTROL_FILE holds `{ "<LINK_KEY>": { "delayMs": 50, "lossPct": 0 } }` and is re-read
 * every 100 ms, so delays change without reconnecting.
 */
import { readFileSync, watchFile } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';

export interface LinkShape {
  readonly delayMs: number;
  readonly lossPct: number;
}

const RETRANSMIT_MS = 200;
/** Bytes held per direction before the sender is paused: back-pressure, not buffering. */
const MAX_HELD_BYTES = 4 * 1024 * 1024;

const [controlFile, key, addressA, addressB, portText] = process.argv.slice(2);
const port = Number(portText);
let shape: LinkShape = { delayMs: 0, lossPct: 0 };

function readShape(): void {
  try {
    shape = { delayMs: 0, lossPct: 0, ...(JSON.parse(readFileSync(controlFile!, 'utf8')) as Record<string, LinkShape>)[key!] };
  } catch {
    // keep the last shape while the file is being rewritten
  }
}

/** One direction of one connection: chunks leave in order, each no earlier than its due time. */
function delayedPipe(from: Socket, to: Socket): void {
  const queue: Array<{ due: number; chunk: Buffer }> = [];
  let held = 0;
  let lastDue = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      held -= chunk.length;
      to.write(chunk);
    }
    if (held < MAX_HELD_BYTES / 2 && from.isPaused()) from.resume();
    if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
  };
  from.on('data', (chunk: Buffer) => {
    const extra = Math.random() * 100 < shape.lossPct ? RETRANSMIT_MS : 0;
    lastDue = Math.max(lastDue, performance.now() + shape.delayMs + extra);
    if (shape.delayMs === 0 && extra === 0 && queue.length === 0) {
      if (!to.write(chunk)) from.pause();
      return;
    }
    queue.push({ due: lastDue, chunk });
    held += chunk.length;
    if (held > MAX_HELD_BYTES) from.pause();
    timer ??= setTimeout(flush, lastDue - performance.now());
  });
  to.on('drain', () => {
    if (held < MAX_HELD_BYTES / 2) from.resume();
  });
  from.on('end', () => {
    const finish = () => (queue.length === 0 ? to.end() : setTimeout(finish, 5));
    finish();
  });
}

function relay(target: string, source: string): (inbound: Socket) => void {
  return (inbound) => {
    const outbound = connect({ host: target, port, localAddress: source, noDelay: true });
    inbound.setNoDelay(true);
    for (const [x, y] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      delayedPipe(x, y);
      x.on('error', () => y.destroy());
      x.on('close', () => y.destroy());
    }
  };
}

readShape();
watchFile(controlFile!, { interval: 100 }, readShape);
createServer({ allowHalfOpen: true }, relay(addressB!, addressA!)).listen(port, addressB);
createServer({ allowHalfOpen: true }, relay(addressA!, addressB!)).listen(port, addressA, () => {
  process.stdout.write('relay ready\n');
});

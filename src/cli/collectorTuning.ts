/**
 * V8's collector, tuned for a member process. Impure: sets a V8 flag for the whole process.
 *
 * V8 counts the array buffers a process allocated since its last full collection against the
 * room its old generation has left. A member's heap is small (about 20 MB: the store keeps its
 * lines outside it), so that room is small too, while the libp2p stack copies every gossip
 * message into new buffers several times on its way in and out (noise, yamux, length prefixes,
 * protobuf): 4-6 MB/s at a relay carrying 5,000 records/s. With V8's own growing factor (about
 * 2 here) that room ran out every 1.6 s, and each time the whole heap was marked again, though
 * almost nothing in it had died. Letting the old generation grow to three times what the last
 * full collection left makes those collections about three times rarer: a relay at 5,000
 * records/s used 45-47 ms/s of CPU before, 30-31 after (the collector's threads 13-14 ms/s
 * before, 2-4 after), for a few tens of MB more of garbage buffers between collections.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 200;

/** Sets V8's heap growing factor, unless node was started with one (`node --heap-growing-percent=N`). */
export function tuneCollector(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

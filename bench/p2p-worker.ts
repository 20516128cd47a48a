/**
 * One member in a worker thread, for bench/p2p-workers.ts: each member gets its own event
 * loop, as in a real herd where each runs in its own process. Commands come by message.
 */
import '../src/net/p2p/shim.js';
import { parentPort, workerData } from 'node:worker_threads';
import { findMember, loadHerdFile } from '../src/config/herdFile.js';
import { herdTopology } from '../src/config/herdTopology.js';
import { silentLog } from '../testkit/loggers.js';
import { LocationStore } from '../src/core/store.js';
import { atLineClient, batchLines, type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { readKeyFile } from '../src/net/p2p/keys.js';
import { startHerdNode } from '../src/net/p2p/node.js';

export type Command =
  | { cmd: 'publish'; client: string }
  | { cmd: 'burst'; count: number; perTurn: number; respectCongestion: boolean }
  | { cmd: 'expect'; count: number }
  | { cmd: 'block'; ms: number }
  | { cmd: 'stop' };

const { file, name } = workerData as { file: string; name: string };
const port = parentPort!;
const now = () => performance.timeOrigin + performance.now(); // comparable across workers

const herd = loadHerdFile(file);
const self = findMember(herd, name);
const store = new LocationStore();
const node = await startHerdNode({ topology: herdTopology(herd, name), privateKey: readKeyFile(self.keyPath), store, log: silentLog });

let seq = 0;
function record(client: string): LocationRecord {
  const n = ++seq;
  return atRecord(client, `1700000000.${String(n).padStart(9, '0')}`, { member: name, difference: '+0.000123456' });
}

function publish(r: LocationRecord): void {
  store.offer(r);
  node.publish(r);
}

let expected = 0;
let accepted = 0;
node.onMessageStored(({ stored, data }) => {
  accepted += stored;
  const lines = stored === 1 ? batchLines(data) : [];
  if (lines.length === 1) port.postMessage({ event: 'stored', client: atLineClient(lines[0]!), t: now() });
  if (expected > 0 && accepted >= expected) {
    expected = 0;
    port.postMessage({ event: 'all', t: now(), messages: node.counters.gossipMessagesAccepted });
  }
});

let maxBacklog = 0;
/** Where the backlog sat when it peaked (outbox, signing, gossip queues, muxer queues). */
let peak = node.backlog();
let congestedMs = 0;
let congestedAt = 0;
node.on('congested', () => {
  congestedAt = now();
});
node.on('drain', () => {
  congestedMs += now() - congestedAt;
});

async function burst(count: number, perTurn: number, respectCongestion: boolean): Promise<void> {
  const t = now();
  const sample = () => {
    const b = node.backlog();
    if (b.total > maxBacklog) [maxBacklog, peak] = [b.total, b];
  };
  const sampler = setInterval(sample, 1);
  for (let i = 0; i < count; i++) {
    publish(record(`${name}-burst-${seq}`));
    if (perTurn > 0 && (i + 1) % perTurn === 0) {
      await new Promise((r) => setImmediate(r));
      sample();
      // What the client adapter does: stop reading while congested.
      if (respectCongestion && node.congested)
        await new Promise<void>((r) => {
          const off = node.onDrain(() => {
            off();
            r();
          });
        });
    }
  }
  await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  port.postMessage({ event: 'burst', t, published: node.counters.gossipMessagesPublished, maxBacklog, peak, congestedMs });
}

port.on('message', (c: Command) => {
  switch (c.cmd) {
    case 'publish':
      port.postMessage({ event: 'published', client: c.client, t: now() });
      publish(record(c.client));
      break;
    case 'burst':
      maxBacklog = 0;
      congestedMs = 0;
      void burst(c.count, c.perTurn, c.respectCongestion);
      break;
    case 'expect':
      expected = c.count;
      accepted = 0;
      break;
    case 'block': {
      const until = Date.now() + c.ms; // a stalled member: its sockets are not read meanwhile
      while (Date.now() < until) {
        /* spin */
      }
      break;
    }
    case 'stop':
      void node.stop().then(() => port.postMessage({ event: 'stopped' }));
      break;
  }
});

const ready = setInterval(() => {
  const links = node.links();
  if (links.every((l) => l.connected) && node.gossipView().subscribers.length === links.length) {
    clearInterval(ready);
    port.postMessage({ event: 'ready' });
  }
}, 5);

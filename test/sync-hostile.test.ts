/**
 * A sync round against a peer that breaks the protocol: the round fails with a log line and
 * the victim keeps its records (plus any it validly received before the fault). The hostile
 * side is a bare libp2p node speaking raw frames.
 */
import '../src/net/p2p/shim.js'; // before libp2p loads: Node 20 lacks Promise.withResolvers
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Libp2p, Stream } from '@libp2p/interface';
import { LocationStore } from '../src/core/store.js';
import { capturingLog, type LogEntry } from '../testkit/loggers.js';
import { atRecord } from '../testkit/records.js';
import { decodeFrame, encodeDigestFrame, encodeEndFrame, encodeRecordsFrame } from '../src/protocol/sync-codec.js';
import type { SyncService as SyncServiceType } from '../src/net/p2p/sync.js';

const { createLibp2p } = await import('libp2p');
const { tcp } = await import('@libp2p/tcp');
const { noise } = await import('@chainsafe/libp2p-noise');
const { yamux } = await import('@chainsafe/libp2p-yamux');
const { lpStream } = await import('it-length-prefixed-stream');
const { SyncService, SYNC_PROTOCOL } = await import('../src/net/p2p/sync.js');

type Frames = ReturnType<typeof lpStream<Stream>>;

/**
 * The victim's round timeout. Long enough that a busy machine never reaches it by accident: a
 * fault that must be refused at once shows as its own error code, not as ERR_SYNC_TIMEOUT.
 * (With both cores loaded, the endless-varint round took 4 s to fail; idle, a few ms.)
 */
const TIMEOUT_MS = 15_000;
const lines = (store: LocationStore): string[] => [...store.lines()].sort();

const newNode = (): Promise<Libp2p> =>
  createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
  });

let victim: Libp2p;
let hostile: Libp2p;
let outsider: Libp2p;
let sync: SyncServiceType;
let store: LocationStore;
const logs: LogEntry[] = [];
/** What the hostile node does with a sync stream the victim opens. */
let behave: (frames: Frames, stream: Stream) => Promise<void> = async () => {};
/** Assertions of the hostile side that failed: the test fails on them, not only the victim's. */
const hostileFailures: unknown[] = [];

const log = capturingLog(logs);

before(async () => {
  [victim, hostile, outsider] = await Promise.all([newNode(), newNode(), newNode()]);
  store = new LocationStore();
  const names = new Map([[hostile.peerId.toString(), 'Hostile']]);
  sync = new SyncService(
    {
      libp2p: victim,
      store,
      log,
      neighbours: { nameOf: (peerId) => names.get(peerId), connected: () => [], dials: () => true },
    },
    { timeoutMs: TIMEOUT_MS, intervalMs: 3_600_000 },
  );
  await sync.start();
  await hostile.handle(SYNC_PROTOCOL, ({ stream }) => {
    behave(lpStream(stream), stream).catch((err: unknown) => {
      // The victim resetting the stream under a write is expected; a failed check is not.
      if (err instanceof assert.AssertionError) hostileFailures.push(err);
      stream.abort(new Error('hostile done'));
    });
  });
  await hostile.dial(victim.getMultiaddrs()[0]!);
  await outsider.dial(victim.getMultiaddrs()[0]!);
});

after(async () => {
  await sync.stop();
  await Promise.all([victim.stop(), hostile.stop(), outsider.stop()]);
});

/** Gives the victim records to lose; returns its lines before the round. */
function seed(): string[] {
  for (let i = 0; i < 50; i++) store.offer(atRecord(`kept-${i}`, '1621464827.5'));
  return lines(store);
}

/** Answers the victim's digest with an all-zero one, so every non-empty bucket differs. */
async function answerDigest(frames: Frames): Promise<void> {
  const frame = decodeFrame((await frames.read()).subarray());
  assert.equal(frame.type, 'digest');
  const bucketCount = frame.type === 'digest' ? frame.digest.bucketCount : 0;
  await frames.write(encodeDigestFrame({ bucketCount, hashes: new Uint32Array(2 * bucketCount) }));
}

async function failsWith(code: string): Promise<number> {
  const warnings = logs.length;
  const start = performance.now();
  await assert.rejects(sync.syncWith(hostile.peerId.toString()), { code });
  const ms = performance.now() - start;
  assert.deepEqual(hostileFailures, []);
  const warning = logs.slice(warnings).find((l) => l.level === 'warn');
  assert.ok(warning, 'a warning was logged');
  assert.equal(warning.obj.peer, 'Hostile');
  assert.equal((warning.obj.err as { code?: string }).code, code);
  return ms;
}

test('(e) garbage after a valid frame: round fails, the valid records stay, nothing else changes', async () => {
  const before = seed();
  const good = [atRecord('valid-1').atLine, atRecord('valid-2').atLine];
  behave = async (frames) => {
    await answerDigest(frames);
    await frames.write(encodeRecordsFrame(good));
    await frames.write(Uint8Array.from([0x02, ...Buffer.from('AT Clark +0.1 garbage', 'latin1')]));
  };
  await failsWith('ERR_SYNC_BAD_FRAME');
  assert.deepEqual(lines(store), [...before, ...good].sort());
});

test('(e) an oversized frame is refused from its length prefix', async () => {
  const before = seed();
  behave = async (frames) => {
    await answerDigest(frames);
    await frames.write(new Uint8Array(2 * 1024 * 1024));
  };
  await failsWith('ERR_SYNC_FRAME_TOO_LARGE'); // read until the timeout, it would be ERR_SYNC_TIMEOUT
  assert.deepEqual(lines(store), before);
});

test('(e) an endless varint (0xff...) is refused at once, not read until the timeout', async () => {
  const before = seed();
  behave = async (frames, stream) => {
    await answerDigest(frames);
    const flood = new Uint8Array(64).fill(0xff);
    await frames.unwrap().sink(
      (async function* () {
        for (let i = 0; i < 1000; i++) yield flood;
      })(),
    );
    void stream;
  };
  await failsWith('ERR_SYNC_FRAME_TOO_LARGE'); // read until the timeout, it would be ERR_SYNC_TIMEOUT
  assert.deepEqual(lines(store), before);
});

test('(e) a peer that goes silent mid-round fails the round at the timeout', async () => {
  const before = seed();
  behave = async (frames) => {
    await answerDigest(frames);
    await frames.write(encodeRecordsFrame([atRecord('kept-1', '1').atLine])); // older: stored one stays
    await new Promise((r) => setTimeout(r, 2 * TIMEOUT_MS));
  };
  const ms = await failsWith('ERR_SYNC_TIMEOUT');
  assert.ok(ms >= TIMEOUT_MS - 20, `gave up after ${ms} ms, before its ${TIMEOUT_MS} ms timeout`);
  assert.deepEqual(lines(store), before);
});

test('(e) a stream cut inside a frame fails the round', async () => {
  const before = seed();
  behave = async (frames, stream) => {
    await answerDigest(frames);
    await frames.unwrap().sink([Uint8Array.of(100, 0x02, 0x41)]); // promises 100 bytes, sends 2, ends
    void stream;
  };
  await failsWith('ERR_SYNC_STREAM');
  assert.deepEqual(lines(store), before);
});

test('(e) an END whose count disagrees fails the round but keeps what was valid', async () => {
  const before = seed();
  behave = async (frames) => {
    await answerDigest(frames);
    await frames.write(encodeRecordsFrame([atRecord('valid-3').atLine]));
    await frames.write(encodeEndFrame(5));
  };
  await failsWith('ERR_SYNC_PROTOCOL');
  assert.deepEqual(lines(store), [...before, atRecord('valid-3').atLine].sort());
});

async function hostileOpens(send: (frames: Frames) => Promise<void>, from = hostile): Promise<{ failures: number; warning?: LogEntry }> {
  const failures = sync.counters.failures;
  const warnings = logs.length;
  const stream = await from.dialProtocol(victim.peerId, SYNC_PROTOCOL);
  const frames = lpStream(stream);
  await send(frames).catch(() => {}); // the victim may reset the stream under a write
  // Whatever the victim answers first, the stream ends in a reset or an end of input.
  await assert.rejects(
    (async () => {
      for (;;) await frames.read();
    })(),
  );
  // The victim counts the failed round after it closed the stream; a hang guard, not a budget.
  const deadline = Date.now() + 6 * TIMEOUT_MS;
  while (from === hostile && sync.counters.failures === failures && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return { failures: sync.counters.failures - failures, warning: logs.slice(warnings).find((l) => l.level === 'warn') };
}

test('(e) an opener sending garbage or stalling fails the served round with a log', async () => {
  const before = seed();
  for (const send of [
    async (f: Frames) => f.write(Uint8Array.of(0x09, 1, 2, 3)),
    async (f: Frames) => f.write(encodeRecordsFrame([atRecord('pushed').atLine])), // a push that never ENDs
    async (f: Frames) => f.write(Uint8Array.of(0x01, 0, 0, 0, 2, 0, 0)), // digest cut short
    async (f: Frames) => f.write(encodeDigestFrame({ bucketCount: 8, hashes: new Uint32Array(16) })), // then silence
  ]) {
    const { failures, warning } = await hostileOpens(send);
    assert.equal(failures, 1);
    assert.equal(warning?.obj.peer, 'Hostile');
  }
  // A neighbour's valid records are kept however its round ends; nothing else changed.
  assert.deepEqual(lines(store), [...before, atRecord('pushed').atLine].sort());
});

test('(f) a stream from a non-neighbour is reset, and its records go nowhere', async () => {
  const before = seed();
  const { warning } = await hostileOpens(async (f) => {
    await f.write(encodeDigestFrame({ bucketCount: 1, hashes: new Uint32Array(2) }));
    await f.write(encodeRecordsFrame([atRecord('intruder').atLine]));
    await f.write(encodeEndFrame(1));
  }, outsider);
  assert.equal(warning?.msg, 'sync stream refused');
  assert.equal(warning?.obj.peer, outsider.peerId.toString());
  assert.deepEqual(lines(store), before);
  await assert.rejects(sync.syncWith(outsider.peerId.toString()), { code: 'ERR_SYNC_NOT_NEIGHBOUR' });
});

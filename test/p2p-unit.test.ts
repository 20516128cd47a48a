/** The pure parts of the libp2p side: key files, the validator's verdicts, the outbox, backoff, congestion. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { LocationStore } from '../src/core/store.js';
import { type LocationRecord } from '../src/protocol/record.js';
import { atRecord } from '../testkit/records.js';
import { CongestionGauge } from '../src/net/p2p/backlog.js';
import { generateKey, keyFileIsExposed, peerIdOf, readKeyFile, withCachedSigner, writeKeyFile } from '../src/net/p2p/keys.js';
import { dialsTo, redialDelay } from '../src/net/p2p/links.js';
import { PeerNames } from '../src/net/p2p/topology.js';
import { Outbox } from '../src/net/p2p/outbox.js';
import { PublishPacing } from '../src/net/p2p/pacing.js';
import { updateYamuxWindowAtHalf } from '../src/net/p2p/yamuxWindow.js';
import { cacheEd25519VerifyKeys, cachedVerifyKeys } from '../src/net/p2p/ed25519Verify.js';
import { fastMessageId, messageId } from '../src/net/p2p/messageIds.js';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Message } from '@libp2p/interface';
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream';
import { storeBatch } from '../src/net/p2p/validate.js';
import { dialAddress, listenAddresses } from '../src/net/p2p/addresses.js';

const record = (member: string, client: string, seconds: number, location?: string): LocationRecord =>
  atRecord(client, `${seconds}.000000000`, { member, difference: '+0.000000001', location });

const bytes = (...records: LocationRecord[]) => Buffer.from(records.map((r) => r.atLine).join('\n'), 'latin1');

describe('key files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herd-keys-'));

  test('round trip, mode 0600, peer ID preserved', async () => {
    const key = await generateKey();
    const file = join(dir, 'a.key');
    writeKeyFile(file, key);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(peerIdOf(readKeyFile(file)), peerIdOf(key));
    assert.match(peerIdOf(key), /^12D3KooW/);
  });

  test('rewriting an exposed file tightens its mode', async () => {
    const file = join(dir, 'b.key');
    writeFileSync(file, 'x', { mode: 0o644 });
    chmodSync(file, 0o644);
    writeKeyFile(file, await generateKey());
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  test('the cached signer signs exactly as the key does, and keeps its identity', async () => {
    const key = await generateKey();
    const fast = withCachedSigner(key);
    const message = Buffer.from('a gossip message');
    assert.deepEqual(Buffer.from(await fast.sign(message)), Buffer.from(await key.sign(message)));
    assert.ok(await key.publicKey.verify(message, await fast.sign(message)));
    assert.equal(peerIdOf(fast), peerIdOf(key));
    assert.ok(fast.equals(key));
    assert.deepEqual(fast.raw, key.raw);
  });

  test('missing and corrupt files fail on one line naming the path', () => {
    assert.throws(
      () => readKeyFile(join(dir, 'nope.key')),
      (err: Error) => /nope\.key: cannot read key file \(ENOENT\)$/.test(err.message),
    );
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not a key');
    assert.throws(
      () => readKeyFile(bad),
      (err: Error) => err.message.startsWith(`${bad}: not a libp2p private key`) && !err.message.includes('\n'),
    );
  });

  test('a group- or world-readable key file is warned about', async () => {
    const file = join(dir, 'c.key');
    writeKeyFile(file, await generateKey());
    chmodSync(file, 0o640);
    const warnings: object[] = [];
    readKeyFile(file, { warn: (obj) => warnings.push(obj) });
    assert.equal(keyFileIsExposed(file), true);
    assert.equal(warnings.length, 1);
    assert.deepEqual(warnings[0], { keyFile: file, mode: '0640' });
  });
});

describe('storeBatch', () => {
  const fresh = () => {
    const store = new LocationStore();
    store.offer(record('Bona', 'kiwi', 100));
    return store;
  };
  const held = (store: LocationStore) =>
    [...store.lines()]
      .map((line) => line.split(' '))
      .map((f) => `${f[3]}@${f[5]}`)
      .sort();

  test('rejects a signer outside the herd', () => {
    assert.deepEqual(storeBatch(undefined, bytes(record('Bona', 'x', 1)), fresh()), { kind: 'reject', reason: 'signer is not a herd member' });
  });

  test('rejects an undecodable payload, or one bad record in a batch, storing nothing', () => {
    const store = fresh();
    assert.equal(storeBatch('Bona', Buffer.from('hello'), store).kind, 'reject');
    assert.equal(storeBatch('Bona', new Uint8Array(0), store).kind, 'reject');
    const batch = Buffer.concat([bytes(record('Bona', 'a', 1)), Buffer.from('\nAT Bona nonsense')]);
    assert.deepEqual(storeBatch('Bona', batch, store), { kind: 'reject', reason: 'undecodable payload' });
    assert.deepEqual(held(store), ['kiwi@100.000000000']);
  });

  test('rejects records claiming another origin than the signer, storing none of the batch', () => {
    const store = fresh();
    const v = storeBatch('Bona', bytes(record('Bona', 'a', 200), record('Clark', 'b', 200)), store);
    assert.deepEqual(v, { kind: 'reject', reason: 'record of b claims origin Clark, signed by Bona' });
    assert.deepEqual(held(store), ['kiwi@100.000000000']);
  });

  test('ignores a message with nothing newer than the store', () => {
    const v = storeBatch('Bona', bytes(record('Bona', 'kiwi', 99), record('Bona', 'kiwi', 100)), fresh());
    assert.deepEqual(v, { kind: 'ignore', records: 2 });
  });

  test('accepts and stores the fresh records; a client twice in a batch ends at its newest, in any order', () => {
    for (const [order, stored] of [
      [[5, 7], 2],
      [[7, 5], 1],
    ] as const) {
      const store = fresh();
      const v = storeBatch('Bona', bytes(record('Bona', 'kiwi', 50), ...order.map((t) => record('Bona', 'new', t))), store);
      assert.equal(v.kind, 'accept');
      assert.equal(v.kind === 'accept' && v.records, 3);
      assert.equal(v.kind === 'accept' && v.stored, stored, 'each record of new that was newer than the store when offered');
      assert.deepEqual(held(store), ['kiwi@100.000000000', 'new@7.000000000']);
    }
  });

  test('stores every record of a large batch whose clients and times vary in length, each where it belongs', () => {
    // More lines than the validator's first room for what it notes per line (256), so that it grows.
    const records = Array.from({ length: 700 }, (_, i) => record('Bona', `c${'x'.repeat(i % 37)}${i}`, 1 + i * 1013));
    const store = fresh();
    assert.deepEqual(storeBatch('Bona', bytes(...records), store), { kind: 'accept', records: 700, stored: 700 });
    for (const r of records) assert.equal(store.get(r.client)?.atLine, r.atLine);
    // Once more, each client's time only some older and some newer: only the newer are kept.
    const again = records.map((r, i) => record('Bona', r.client, 1 + i * 1013 + (i % 2 === 0 ? 1 : -1)));
    assert.deepEqual(storeBatch('Bona', bytes(...again), store), { kind: 'accept', records: 700, stored: 350 });
    for (const [i, r] of again.entries()) assert.equal(store.get(r.client)?.atLine, i % 2 === 0 ? r.atLine : records[i]!.atLine);
  });
});

describe('Ed25519 verification with kept keys', () => {
  test('the same answers as before: good signatures pass, other data, signatures or keys fail', async () => {
    const [a, b] = [await generateKey(), await generateKey()];
    const data = Buffer.from('AT Clark +0.1 kiwi +34-118 1.5');
    const sig = a.sign(data) as Uint8Array;
    const before = [a.publicKey.verify(data, sig), a.publicKey.verify(Buffer.from('other'), sig), b.publicKey.verify(data, sig)];
    cacheEd25519VerifyKeys();
    const kept = cachedVerifyKeys();
    const tampered = Uint8Array.from(sig);
    tampered[10]! ^= 1;
    assert.deepEqual(before, [true, false, false]);
    assert.equal(a.publicKey.verify(data, sig), true);
    assert.equal(a.publicKey.verify(Buffer.from('other'), sig), false);
    assert.equal(a.publicKey.verify(data, tampered), false);
    assert.equal(b.publicKey.verify(data, sig), false);
    assert.equal(cachedVerifyKeys(), kept + 2, 'both keys were kept, so the kept path answered');
    assert.throws(() => a.publicKey.verify(data, sig.subarray(0, 10)), /64 bytes/);
  });
});

describe('PeerNames.signer', () => {
  test('names the herd members other than this one by their peer IDs; nobody else', async () => {
    const [self, other, outsider] = await Promise.all([generateKey(), generateKey(), generateKey()]).then((keys) => keys.map(peerIdOf));
    const names = new PeerNames({
      self: { name: 'Self', peerId: self! },
      members: [
        { name: 'Self', peerId: self! },
        { name: 'Other', peerId: other! },
      ],
      neighbours: [],
    });
    assert.equal(names.signer(peerIdFromString(other!)), 'Other');
    assert.equal(names.signer(peerIdFromString(self!)), undefined, 'our own key on a message from elsewhere: a copied key file');
    assert.equal(names.signer(peerIdFromString(outsider!)), undefined);
  });
});

describe('gossip message IDs', () => {
  const peer = peerIdFromString('12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo');
  const seqno = 0x0102030405060708n;
  const raw = { from: peer.toMultihash().bytes, seqno: Buffer.from('0102030405060708', 'hex'), data: Buffer.from('x') };
  const signed = (sequenceNumber: bigint) => ({ type: 'signed', from: peer, sequenceNumber, topic: 't', data: raw.data }) as unknown as Message;

  test('signer and seqno, not the payload, name a message', () => {
    assert.equal(fastMessageId(raw), fastMessageId({ ...raw, data: Buffer.from('y') }));
    assert.notEqual(fastMessageId(raw), fastMessageId({ ...raw, seqno: Buffer.from('0102030405060709', 'hex') }));
    assert.deepEqual(Buffer.from(messageId(signed(seqno))), Buffer.concat([raw.from, raw.seqno]));
    assert.notDeepEqual(messageId(signed(seqno)), messageId(signed(seqno + 1n)));
  });

  test('a message without signer or seqno has no fast ID (StrictSign rejects it)', () => {
    assert.equal(fastMessageId({ from: raw.from }), '');
    assert.throws(() => messageId({ type: 'unsigned', topic: 't', data: raw.data }), /signed/);
  });
});

describe('yamux window updates', () => {
  test('a stream sends its window update once half the window is consumed, not after every chunk', async () => {
    updateYamuxWindowAtHalf();
    const frames: Array<{ type: number; length: number }> = [];
    const log = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false });
    const window = 256 * 1024;
    const stream = new YamuxStream({
      id: '1',
      name: '1',
      direction: 'inbound',
      state: StreamState.Established,
      log,
      config: { initialStreamWindowSize: window, maxStreamWindowSize: window, maxMessageSize: 64 * 1024 },
      sendFrame: (frame: { type: number; length: number }) => frames.push(frame),
      getRTT: () => -1,
    } as unknown as ConstructorParameters<typeof YamuxStream>[0]);
    const chunk = 1024;
    const reader = stream.source[Symbol.asyncIterator]();
    for (let i = 0; i < 200; i++) {
      await stream.handleData({ type: 0, flag: 0, streamID: 1, length: chunk }, async () => new Uint8Array(chunk) as never);
      await reader.next(); // consumed: where yamux decides on a window update
    }
    // One update, when chunk 128 makes half the window consumed; none before or since.
    assert.deepEqual(frames, [{ type: 1, flag: 0, streamID: 1, length: 128 * chunk }]);
  });
});

describe('PublishPacing', () => {
  test('busier than the target, the spacing grows; idle, it falls to none; it is capped', () => {
    let now = 0;
    let load = 0.8;
    const pacing = new PublishPacing({ targetLoad: 0.2, maxMs: 40, sampleMs: 50, load: () => load, now: () => now });
    assert.equal(pacing.spacingMs(), 0, 'starts with none');
    now += 10;
    assert.equal(pacing.spacingMs(), 0, 'no new look within the sample time');
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      now += 50;
      seen.push(pacing.spacingMs());
    }
    assert.equal(seen[0], 2, 'four times the target: sqrt(4) times 1 ms');
    assert.ok(
      seen.every((s, i) => i === 0 || s >= seen[i - 1]!),
      `grows: ${seen.join(',')}`,
    );
    assert.equal(seen.at(-1), 40, 'capped');
    load = 0.2;
    now += 50;
    assert.equal(pacing.spacingMs(), 40, 'at the target: holds');
    load = 0.01;
    for (let i = 0; i < 10; i++) {
      now += 50;
      pacing.spacingMs();
    }
    assert.equal(pacing.spacingMs(), 0, 'idle: back to none');
  });
});

describe('Outbox', () => {
  const manual = () => {
    const queue: Array<() => void> = [];
    return { defer: (fn: () => void) => queue.push(fn), run: () => queue.splice(0).forEach((fn) => fn()), queue };
  };

  test('one record travels alone, flushed once per turn', () => {
    const turn = manual();
    const sent: LocationRecord[][] = [];
    const box = new Outbox({ send: (b) => sent.push(b), defer: turn.defer });
    box.push(record('A', 'c1', 1));
    assert.equal(turn.queue.length, 1);
    assert.equal(sent.length, 0);
    turn.run();
    assert.deepEqual(
      sent.map((b) => b.length),
      [1],
    );
  });

  test('a turn of records is split by the record and byte caps', () => {
    const turn = manual();
    const sent: LocationRecord[][] = [];
    const size = record('A', 'c000', 1).atLine.length + 1;
    const box = new Outbox({ send: (b) => sent.push(b), defer: turn.defer, maxRecords: 4, maxBytes: size * 3 });
    for (let i = 0; i < 10; i++) box.push(record('A', `c${String(i).padStart(3, '0')}`, 1));
    assert.equal(turn.queue.length, 1, 'one flush per turn');
    assert.equal(box.size, 10);
    assert.equal(box.bytes, size * 10);
    turn.run();
    assert.deepEqual(
      sent.map((b) => b.length),
      [3, 3, 3, 1],
    );
    assert.equal(box.bytes, 0);
  });

  test('a client reported twice in a turn is sent once, newest wins', () => {
    const turn = manual();
    const sent: LocationRecord[][] = [];
    const box = new Outbox({ send: (b) => sent.push(b), defer: turn.defer });
    box.push(record('A', 'c', 2));
    box.push(record('A', 'c', 1));
    box.push(record('A', 'c', 3));
    turn.run();
    assert.deepEqual(
      sent.flat().map((r) => r.timeText),
      ['3.000000000'],
    );
  });

  test('real turns: records pushed in one turn share a message', async () => {
    const sent: LocationRecord[][] = [];
    const box = new Outbox({ send: (b) => sent.push(b) });
    for (let i = 0; i < 2200; i++) box.push(record('A', `c${i}`, 1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      sent.map((b) => b.length),
      [1000, 1000, 200],
    );
  });

  test('spacing: a record soon after a flush waits out the spacing, a late one leaves at the end of its turn', async () => {
    const turn = manual();
    const sent: LocationRecord[][] = [];
    let now = 1_000;
    const box = new Outbox({ send: (b) => sent.push(b), defer: turn.defer, spacingMs: () => 20, now: () => now });
    box.push(record('A', 'c1', 1));
    turn.run(); // a quiet outbox: flushed at the end of the turn
    assert.deepEqual(
      sent.map((b) => b.length),
      [1],
    );
    now += 5;
    box.push(record('A', 'c2', 1));
    box.push(record('A', 'c3', 1));
    assert.equal(turn.queue.length, 0, 'within the spacing: a timer, not the end of the turn');
    await new Promise((r) => setTimeout(r, 40));
    assert.deepEqual(
      sent.map((b) => b.length),
      [1, 2],
      'both records in one message',
    );
    now += 100;
    box.push(record('A', 'c4', 1));
    assert.equal(turn.queue.length, 1, 'after the spacing: the end of the turn again');
    turn.run();
    assert.deepEqual(
      sent.map((b) => b.length),
      [1, 2, 1],
    );
    box.push(record('A', 'c5', 1)); // within the spacing again
    assert.equal(box.stop(), 1);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(sent.length, 3, 'stop cancels the timer');
  });

  test('flush sends what waits for its spacing at once (shutdown), and the timer then sends nothing', async () => {
    const turn = manual();
    const sent: LocationRecord[][] = [];
    const box = new Outbox({ send: (b) => sent.push(b), defer: turn.defer, spacingMs: () => 20 });
    box.push(record('A', 'c1', 1));
    turn.run();
    box.push(record('A', 'c2', 1)); // within the spacing: waits for a timer
    box.flush();
    assert.deepEqual(
      sent.map((b) => b.map((r) => r.client)),
      [['c1'], ['c2']],
    );
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(sent.length, 2);
  });

  test('bad caps are named', () => {
    assert.throws(() => new Outbox({ send: () => {}, maxRecords: 0 }), /outbox maxRecords: must be a positive integer \(got 0\)/);
  });
});

describe('links', () => {
  test('exactly one end of a link dials', () => {
    assert.equal(dialsTo('12D3KooWA', '12D3KooWB'), true);
    assert.equal(dialsTo('12D3KooWB', '12D3KooWA'), false);
  });

  test('redial delay grows, is capped, and is jittered', () => {
    assert.equal(
      redialDelay(0, 250, 10_000, () => 0),
      250,
    );
    assert.equal(
      redialDelay(3, 250, 10_000, () => 0),
      2000,
    );
    assert.equal(
      redialDelay(50, 250, 10_000, () => 0),
      10_000,
    );
    assert.equal(
      redialDelay(50, 250, 10_000, () => 1),
      5_000,
    );
  });
});

describe('addresses', () => {
  test('IPv4, IPv6 and DNS hosts', async () => {
    assert.equal(dialAddress('10.1.2.3', 4001).toString(), '/ip4/10.1.2.3/tcp/4001');
    assert.equal(dialAddress('::1', 4001).toString(), '/ip6/::1/tcp/4001');
    assert.equal(dialAddress('[::1]', 4001).toString(), '/ip6/::1/tcp/4001');
    assert.equal(dialAddress('herd.example.org', 4001).toString(), '/dns/herd.example.org/tcp/4001');
    assert.deepEqual(await listenAddresses('192.168.1.9', 1), ['/ip4/192.168.1.9/tcp/1']);
    const local = await listenAddresses('localhost', 7);
    assert.ok(local.length >= 1 && local.every((a) => /^\/ip[46]\/.+\/tcp\/7$/.test(a)), local.join());
    await assert.rejects(listenAddresses('no-such-host.invalid', 7), /cannot resolve host "no-such-host.invalid"/);
  });
});

describe('CongestionGauge', () => {
  test('high and low water marks, drain noticed by polling', async () => {
    let backlog = 0;
    const changes: boolean[] = [];
    const gauge = new CongestionGauge({ measure: () => backlog, onChange: (c) => changes.push(c), highBytes: 100, lowBytes: 10, pollMs: 5 });
    gauge.check();
    backlog = 150;
    gauge.check();
    assert.equal(gauge.congested, true);
    backlog = 50;
    gauge.check();
    assert.equal(gauge.congested, true, 'between the marks nothing changes');
    backlog = 5;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(gauge.congested, false);
    assert.deepEqual(changes, [true, false]);
    gauge.stop();
  });
});

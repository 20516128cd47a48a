/** The Google provider against a real HTTP server on 127.0.0.1 that answers like Google. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { NearbyQuery } from '../src/core/ports.js';
import { capturingLog } from '../testkit/loggers.js';
import { GooglePlaces, plainNumber, searchPath } from '../src/places/google.js';
import { whatsatReply } from '../src/protocol/reply.js';
import { fixtureText, json, OK_BOUND_5, startFakeGoogle, type FakeGoogle, type Responder } from '../testkit/fakeGoogle.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** Characters that must be escaped in a query string, to prove the key is encoded. */
const KEY = 'test-key/+&=?#';
const WESTWOOD: NearbyQuery = { lat: 34.06893, lng: -118.445127, radiusMetres: 10 * 1000, limit: 5 };
const AT_LINE = 'AT Clark +0.263873386 kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503';

const unknown = (cause: string) => ({ html_attributions: [], results: [], status: 'UNKNOWN_ERROR', error_message: cause });

/** Never answers; the timer goes when the client gives up, so nothing outlives the test. */
const silent: Responder = (_url, _req, res) => {
  const timer = setTimeout(() => res.end('{}'), 5_000);
  res.on('close', () => clearTimeout(timer));
};
const drop: Responder = (_url, req) => req.socket.destroy();
const text =
  (status: number, body: string): Responder =>
  (_url, _req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' });
    res.end(body);
  };

describe('GooglePlaces', () => {
  let google: FakeGoogle;
  let respond: Responder = json({});
  let places: GooglePlaces;
  /** For an upstream that never answers: the 200 ms deadline is the behaviour under test. */
  let impatient: GooglePlaces;
  const log = capturingLog();
  const ok = fixture('nearbysearch-ok.json');

  before(async () => {
    google = await startFakeGoogle((url, req, res) => respond(url, req, res));
    // Answers that do come must never meet the deadline, however busy the machine.
    places = new GooglePlaces({ apiKey: KEY, origin: google.origin, timeoutMs: 60_000, maxBodyBytes: 64 * 1024, log });
    impatient = new GooglePlaces({ apiKey: KEY, origin: google.origin, timeoutMs: 200, log });
  });

  after(async () => {
    await places.close();
    await impatient.close();
    await google.close();
    assert.ok(!JSON.stringify(log.entries, errorFields).includes('test-key'), 'the API key never reaches the log');
  });

  test('the request: path, location as plain lat,lng, radius in metres, the key encoded', async () => {
    respond = json(ok);
    await places.nearby(WESTWOOD);
    const request = google.requests.at(-1)!;
    assert.equal(request.pathname, '/maps/api/place/nearbysearch/json');
    assert.equal(request.search, `?location=34.06893,-118.445127&radius=10000&key=${encodeURIComponent(KEY)}`);
    assert.equal(request.searchParams.get('key'), KEY);
  });

  test('OK: the 20-result answer comes back unchanged, every field kept', async () => {
    respond = json(ok);
    const answer = await places.nearby(WESTWOOD);
    assert.deepEqual(answer, ok);
    assert.equal((answer.results as unknown[]).length, 20);
  });

  test('ZERO_RESULTS and REQUEST_DENIED pass through as Google sent them', async () => {
    for (const name of ['nearbysearch-zero.json', 'nearbysearch-denied.json']) {
      respond = json(fixture(name));
      assert.deepEqual(await places.nearby(WESTWOOD), fixture(name));
    }
    assert.ok(log.entries.some((e) => e.level === 'warn' && (e.obj as { status?: string }).status === 'REQUEST_DENIED'));
  });

  test('a Google status on a non-2xx answer still passes through', async () => {
    const limited = { html_attributions: [], results: [], status: 'OVER_QUERY_LIMIT', error_message: 'slow down' };
    respond = (_url, _req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify(limited));
    };
    assert.deepEqual(await places.nearby(WESTWOOD), limited);
  });

  test('no answer within timeoutMs: UNKNOWN_ERROR, not before the deadline', async () => {
    respond = silent;
    const started = performance.now();
    assert.deepEqual(await impatient.nearby(WESTWOOD), unknown('no answer within 200 ms'));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 190, `gave up after ${elapsed} ms`);
    assert.match(log.entries.at(-1)!.msg!, /places request failed: no answer within 200 ms/);
  });

  test('headers sent, body stalls: the same deadline covers the body', async () => {
    respond = (_url, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
      const timer = setTimeout(() => res.end('"OK"}'), 5_000);
      res.on('close', () => clearTimeout(timer));
    };
    assert.deepEqual(await impatient.nearby(WESTWOOD), unknown('no answer within 200 ms'));
  });

  test('a dropped connection: UNKNOWN_ERROR, logged', async () => {
    respond = drop;
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('connection closed by upstream'));
    assert.equal(log.entries.at(-1)!.level, 'warn');
  });

  test('a non-JSON error page, a JSON array, an object without status: UNKNOWN_ERROR', async () => {
    respond = text(502, '<html><body>Bad gateway</body></html>');
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('upstream answered HTTP 502 without a Places JSON object'));
    respond = json([1, 2]);
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('upstream answered HTTP 200 without a Places JSON object'));
    respond = json({ error: 'nope' });
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('upstream answered HTTP 200 without a Places JSON object'));
  });

  test('a body over the size cap is not read to the end', async () => {
    respond = (_url, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'OK', results: [], padding: 'x'.repeat(100 * 1024) }));
    };
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('answer too large'));
  });

  test('connections are kept alive and reused', async () => {
    const ports = new Set<number>();
    respond = (url, req, res) => {
      ports.add(req.socket.remotePort!);
      json(ok)(url, req, res);
    };
    for (let i = 0; i < 6; i++) await places.nearby(WESTWOOD);
    // undici may open a second socket while the first is finishing its response, not more.
    assert.ok(ports.size <= 2, `${ports.size} connections for 6 requests`);
  });

  test('the WHATSAT reply for the OK answer with bound 5: exact bytes', async () => {
    respond = json(ok);
    const reply = whatsatReply(AT_LINE, await places.nearby(WESTWOOD), 5).toString('utf8');
    assert.equal(reply, `${AT_LINE}\n${fixtureText(OK_BOUND_5)}\n\n`);
    const jsonPart = reply.slice(AT_LINE.length + 1, -2);
    assert.equal((JSON.parse(jsonPart) as { results: unknown[] }).results.length, 5);
    assert.ok(!jsonPart.includes('\n\n') && !jsonPart.endsWith('\n'));
    assert.ok(reply.endsWith('}\n\n'));
  });
});

describe('GooglePlaces without a server', () => {
  test('connection refused: UNKNOWN_ERROR, never a rejection', async () => {
    const port = await closedPort();
    const places = new GooglePlaces({ apiKey: KEY, origin: `http://127.0.0.1:${port}`, timeoutMs: 30_000, log: capturingLog() });
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('connection failed (ECONNREFUSED)'));
    await places.close();
  });

  test('after close(), nearby() still answers', async () => {
    const places = new GooglePlaces({ apiKey: KEY, origin: 'http://127.0.0.1:9', log: capturingLog() });
    await places.close();
    await places.close();
    assert.deepEqual(await places.nearby(WESTWOOD), unknown('places provider closed'));
  });

  test('bad options are named, with the value, on one line', () => {
    const log = capturingLog();
    const rejects = (options: object, message: RegExp) =>
      assert.throws(
        () => new GooglePlaces({ apiKey: 'k', log, ...options }),
        (err: Error) => message.test(err.message) && !err.message.includes('\n'),
      );
    rejects({ apiKey: '' }, /^apiKey: must be a non-empty string \(got ""\)$/);
    rejects({ apiKey: 42 }, /^apiKey: .*\(got a number\)$/);
    rejects({ origin: 'ftp://example.com' }, /^origin: .*\(got "ftp:\/\/example.com"\)$/);
    rejects({ origin: 'https://example.com/maps' }, /^origin: .*without a path/);
    rejects({ origin: 'not a url\nsecond line' }, /^origin: .*\(got "not a url\\nsecond line"\)$/);
    rejects({ timeoutMs: 0 }, /^timeoutMs: must be a positive integer \(got 0\)$/);
    rejects({ timeoutMs: 1.5 }, /^timeoutMs: .*\(got 1.5\)$/);
  });

  test('the default origin is Google, a trailing slash is accepted', async () => {
    const a = new GooglePlaces({ apiKey: 'k', log: capturingLog() });
    const b = new GooglePlaces({ apiKey: 'k', origin: 'http://localhost:8080/', log: capturingLog() });
    assert.equal(a.origin, 'https://maps.googleapis.com');
    assert.equal(a.timeoutMs, 10_000);
    assert.equal(b.origin, 'http://localhost:8080');
    await Promise.all([a.close(), b.close()]);
  });
});

describe('request formatting', () => {
  test('numbers are plain decimals, radius without float noise', () => {
    assert.equal(plainNumber(1e-7), '0.0000001');
    assert.equal(plainNumber(-0), '0');
    assert.equal(plainNumber(-118.445127), '-118.445127');
    const path = searchPath({ lat: 1e-7, lng: 180, radiusMetres: 1.1 * 1000, limit: 1 }, 'a b');
    assert.equal(path, '/maps/api/place/nearbysearch/json?location=0.0000001,180&radius=1100&key=a%20b');
    assert.match(searchPath({ ...WESTWOOD, radiusMetres: 0.0015 * 1000 }, 'k'), /&radius=1\.5&/);
  });
});

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** JSON.stringify drops an Error's message and stack; include them for the key check. */
function errorFields(_key: string, value: unknown): unknown {
  return value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value;
}

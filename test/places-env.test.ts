/** Choosing the places provider from the environment. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { capturingLog } from '../testkit/loggers.js';
import { describePlaces, placesFromEnvironment } from '../src/places/index.js';
import { OfflinePlaces } from '../src/places/offline.js';

describe('placesFromEnvironment', () => {
  test('no key (or an empty one): the offline provider', async () => {
    for (const env of [{}, { GOOGLE_PLACES_API_KEY: '' }]) {
      const places = placesFromEnvironment(env, capturingLog());
      assert.ok(places instanceof OfflinePlaces);
      await places.close();
    }
    assert.equal(describePlaces({}).provider, 'offline');
  });

  test('a key: Google, at the default origin or HERD_PLACES_URL, with HERD_PLACES_TIMEOUT_MS', async () => {
    const log = capturingLog();
    const plain = placesFromEnvironment({ GOOGLE_PLACES_API_KEY: 'secret-key' }, log);
    const local = placesFromEnvironment(
      {
        GOOGLE_PLACES_API_KEY: 'secret-key',
        HERD_PLACES_URL: 'http://127.0.0.1:8080',
        HERD_PLACES_TIMEOUT_MS: '2500',
        HERD_PLACES_CONCURRENCY: '4',
        HERD_PLACES_QUEUE: '10',
      },
      log,
    );
    // Google sits behind the concurrency limit, so the provider is a wrapper, not the class.
    assert.ok(!(plain instanceof OfflinePlaces) && !(local instanceof OfflinePlaces));
    assert.deepEqual(describePlaces({ GOOGLE_PLACES_API_KEY: 'secret-key' }), {
      provider: 'google',
      origin: 'https://maps.googleapis.com',
      timeoutMs: 10_000,
      concurrency: 32,
      maxQueue: 1000,
    });
    assert.deepEqual(
      describePlaces({
        GOOGLE_PLACES_API_KEY: 'secret-key',
        HERD_PLACES_URL: 'http://127.0.0.1:8080',
        HERD_PLACES_TIMEOUT_MS: '2500',
        HERD_PLACES_CONCURRENCY: '4',
        HERD_PLACES_QUEUE: '10',
      }),
      { provider: 'google', origin: 'http://127.0.0.1:8080', timeoutMs: 2500, concurrency: 4, maxQueue: 10 },
    );
    assert.throws(() => describePlaces({ GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_QUEUE: '0' }), /^Error: HERD_PLACES_QUEUE: .*"0"/);
    assert.ok(log.entries.length >= 2 && !JSON.stringify(log.entries).includes('secret-key'), 'the key is never logged');
    await Promise.all([plain.close(), local.close()]);
  });

  test('a bad HERD_PLACES_TIMEOUT_MS throws one line naming it and the value', () => {
    for (const bad of ['abc', '0', '-5', '1.5', '10s', '1e3', ' 100', '99999999999999999999', 'x\ny']) {
      assert.throws(
        () => placesFromEnvironment({ GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_TIMEOUT_MS: bad }, capturingLog()),
        (err: Error) =>
          err.message.startsWith('HERD_PLACES_TIMEOUT_MS: ') && err.message.includes(JSON.stringify(bad)) && !err.message.includes('\n'),
        `value ${JSON.stringify(bad)}`,
      );
    }
  });

  test('a bad HERD_PLACES_URL throws one line naming it', () => {
    assert.throws(
      () => placesFromEnvironment({ GOOGLE_PLACES_API_KEY: 'k', HERD_PLACES_URL: 'maps.example.com' }, capturingLog()),
      (err: Error) => /^HERD_PLACES_URL: .*\(got "maps\.example\.com"\)$/.test(err.message),
    );
  });
});

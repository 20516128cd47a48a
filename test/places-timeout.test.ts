/**
 * HERD_PLACES_TIMEOUT_MS on a running member: a real HTTP server on 127.0.0.1 stands in for
 * Google and never answers; the member's WHATSAT reply carries UNKNOWN_ERROR naming the limit.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startFakeGoogle, type FakeGoogle } from '../testkit/fakeGoogle.js';
import { makeHerd, portOf, type TestHerd } from '../testkit/herd.js';
import { MemberProcesses } from '../testkit/processes.js';
import { exchange } from '../testkit/wire.js';

describe('HERD_PLACES_TIMEOUT_MS on a running member', () => {
  let t: TestHerd;
  let google: FakeGoogle;
  let members: MemberProcesses;
  const held: ServerResponse[] = [];

  before(async () => {
    google = await startFakeGoogle((_url, _req, res) => held.push(res));
    t = await makeHerd(['Solo'], []);
    members = new MemberProcesses(t, [], {
      GOOGLE_PLACES_API_KEY: 'test-key',
      HERD_PLACES_URL: google.origin,
      HERD_PLACES_TIMEOUT_MS: '300',
    });
    await members.start('Solo');
  });

  after(async () => {
    await members.stopAll();
    await google.close();
  });

  test('a places request past the limit is answered UNKNOWN_ERROR; the AT line and the empty line are still there', async () => {
    const port = portOf(t.herd, 'Solo');
    const at = (await exchange(port, 'IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1621464827.959498503\n')).toString('latin1');
    const reply = (await exchange(port, 'WHATSAT kiwi.cs.ucla.edu 10 5\n')).toString('utf8');
    // Had the member kept the 10 s default, the message would say so.
    assert.equal(
      reply,
      `${at}{
   "html_attributions": [],
   "results": [],
   "status": "UNKNOWN_ERROR",
   "error_message": "no answer within 300 ms"
}

`,
    );
    assert.equal(google.requests.length, 1, 'the request went to the stand-in');
    assert.equal(google.requests[0]!.pathname, '/maps/api/place/nearbysearch/json');
  });
});

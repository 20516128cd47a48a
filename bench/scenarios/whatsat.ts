/**
 * Figure 4: WHATSAT round trip, one request at a time on one connection: with the offline
 * places (kd-tree over the GeoNames data, JSON formatting), and with Google's Nearby Search
 * played by a loopback HTTP server answering a recorded reply. The stand-in's own latency,
 * measured from here over the same kind of keep-alive connection, is subtracted to give what
 * the member adds (parsing, the HTTP client, filtering, formatting).
 */
import { Pool } from 'undici';
import { fixture, json, startFakeGoogle } from '../../testkit/fakeGoogle.js';
import { iamat, LineClient } from '../lib/client.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { summarize, type Summary } from '../lib/stats.js';

export interface WhatsatLatency extends Summary {
  readonly query: string;
  readonly replyBytes: number;
  readonly errors: number;
}

export interface WhatsatResult {
  readonly offline: WhatsatLatency;
  readonly google: WhatsatLatency;
  /** The stand-in answering the bench directly, ms. */
  readonly standIn: Summary;
  /** google minus standIn, ms. */
  readonly addedP50: number;
  readonly addedP99: number;
}

const MEMBER: Name = 'Clark';

/** Runs `body` on a fresh, warmed-up herd whose members get `env`; stops it after. */
export type WithHerd = <T>(env: Record<string, string> | undefined, body: (herd: BenchHerd) => Promise<T>) => Promise<T>;

export async function whatsat(requests: number, withHerd: WithHerd): Promise<WhatsatResult> {
  const offline = await withHerd(undefined, (herd) => latency(herd, requests));
  const google = await startFakeGoogle(json(fixture('nearbysearch-ok.json')));
  try {
    const env = { HERD_PLACES_URL: google.origin, GOOGLE_PLACES_API_KEY: 'bench-key' };
    const online = await withHerd(env, (herd) => latency(herd, requests));
    const standIn = await direct(google.origin, requests);
    return { offline, google: online, standIn, addedP50: online.p50 - standIn.p50, addedP99: online.p99 - standIn.p99 };
  } finally {
    await google.close();
  }
}

async function latency(herd: BenchHerd, requests: number, maxMs = 20_000): Promise<WhatsatLatency> {
  const client = await LineClient.open(herd.clientPort(MEMBER));
  const query = 'WHATSAT bench-whatsat.example.org 10 5';
  const times: number[] = [];
  let errors = 0;
  let replyBytes = 0;
  const started = performance.now();
  try {
    await client.request(iamat('bench-whatsat.example.org'));
    for (let i = 0; i < requests && performance.now() - started < maxMs; i++) {
      const t0 = performance.now();
      const reply = await client.request(query, 'whatsat');
      times.push(performance.now() - t0);
      if (!reply.startsWith('AT ') || !reply.includes('"status": "OK"')) errors++;
      replyBytes = reply.length;
    }
  } finally {
    client.close();
  }
  return { query, replyBytes, errors, ...summarize(times) };
}

/** The same request the member makes, straight to the stand-in. */
async function direct(origin: string, requests: number): Promise<Summary> {
  const pool = new Pool(origin, { connections: 1 });
  const path = '/maps/api/place/nearbysearch/json?location=34.06893,-118.445127&radius=10000&key=bench-key';
  const times: number[] = [];
  try {
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const { body } = await pool.request({ method: 'GET', path });
      await body.text();
      times.push(performance.now() - t0);
    }
  } finally {
    await pool.close();
  }
  return summarize(times);
}

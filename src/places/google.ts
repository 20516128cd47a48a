/**
 * Google Places Nearby Search over a keep-alive undici pool. Google's own answers (any
 * `status`) pass through untouched; transport failures become an UNKNOWN_ERROR answer, so a
 * WHATSAT always gets a JSON object and `nearby()` never rejects.
 */
import { createRequire } from 'node:module';
import type { Pool } from 'undici';
import { badSetting, isPositiveInteger } from '../config/settings.js';
import type { Logger, NearbyQuery, Places } from '../core/ports.js';
import type { PlacesAnswer } from '../protocol/reply.js';
import { unknownError } from './answers.js';

const SEARCH_PATH = '/maps/api/place/nearbysearch/json';

/**
 * undici, loaded by the first GooglePlaces: a member on the offline places never needs it,
 * and loading it cost every start about 170 ms of CPU. undici is CommonJS, so a synchronous
 * require keeps this constructor (and the provider choice) synchronous.
 */
const loadUndici = (): typeof import('undici') => createRequire(import.meta.url)('undici') as typeof import('undici');

export const GOOGLE_DEFAULTS = {
  origin: 'https://maps.googleapis.com',
  timeoutMs: 10_000,
  /** A real answer of 20 results is ~20 KiB; this only stops a hostile upstream. */
  maxBodyBytes: 4 * 1024 * 1024,
} as const;

export interface GooglePlacesOptions {
  readonly apiKey: string;
  readonly origin?: string;
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  readonly log: Logger;
}

/** `http(s)://host[:port]` with nothing after it: the pool talks to one origin only. */
export function parseOrigin(value: unknown, name = 'origin'): string {
  const rule = 'must be an http(s) origin such as https://maps.googleapis.com, without a path';
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw badSetting(name, rule, value);
  }
  const bare = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username;
  if (typeof value !== 'string' || !/^https?:$/.test(url.protocol) || !bare) throw badSetting(name, rule, value);
  return url.origin;
}

function positiveInteger(value: unknown, name: string): number {
  if (isPositiveInteger(value)) return value;
  throw badSetting(name, 'must be a positive integer', value);
}

/** A number as plain decimal text: never exponent notation, which Google would not parse. */
export function plainNumber(n: number): string {
  const text = String(n);
  return /e/i.test(text) ? n.toFixed(20).replace(/\.?0+$/, '') : text;
}

/** The request path. Radius: km x 1000 carries float noise (1.1 km -> 1100.0000000000002 m). */
export function searchPath(query: NearbyQuery, apiKey: string): string {
  const radius = plainNumber(Number(query.radiusMetres.toPrecision(12)));
  // The comma is left literal, as in Google's documentation; numbers need no escaping.
  const location = `${plainNumber(query.lat)},${plainNumber(query.lng)}`;
  return `${SEARCH_PATH}?location=${location}&radius=${radius}&key=${encodeURIComponent(apiKey)}`;
}

export class GooglePlaces implements Places {
  readonly origin: string;
  readonly timeoutMs: number;
  private readonly apiKey: string;
  private readonly log: Logger;
  private readonly pool: Pool;
  private closing?: Promise<void>;

  constructor(options: GooglePlacesOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      // A blank key is shown as is; anything else only by its type, as it may be a secret.
      const blank = typeof options.apiKey === 'string';
      throw badSetting('apiKey', 'must be a non-empty string', options.apiKey, blank ? undefined : `a ${typeof options.apiKey}`);
    }
    this.apiKey = options.apiKey;
    this.origin = parseOrigin(options.origin ?? GOOGLE_DEFAULTS.origin);
    this.timeoutMs = positiveInteger(options.timeoutMs ?? GOOGLE_DEFAULTS.timeoutMs, 'timeoutMs');
    const maxBodyBytes = positiveInteger(options.maxBodyBytes ?? GOOGLE_DEFAULTS.maxBodyBytes, 'maxBodyBytes');
    this.log = options.log;
    this.pool = new (loadUndici().Pool)(this.origin, {
      connections: 32,
      keepAliveTimeout: 30_000,
      // Each phase is bounded too, in case the AbortSignal below is ever lost.
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      maxResponseSize: maxBodyBytes,
    });
  }

  async nearby(query: NearbyQuery): Promise<PlacesAnswer> {
    const path = searchPath(query, this.apiKey);
    try {
      const { statusCode, body } = await this.pool.request({
        method: 'GET',
        path,
        headers: { accept: 'application/json' },
        // One deadline for connect, headers and body together.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return this.interpret(statusCode, await body.text(), path);
    } catch (err) {
      const cause = this.describeFailure(err);
      this.log.warn({ err: this.redactError(err), origin: this.origin, path: this.redact(path) }, `places request failed: ${cause}`);
      return unknownError(cause);
    }
  }

  /** Google's JSON object (any status) as is; anything else is our UNKNOWN_ERROR. */
  private interpret(statusCode: number, text: string, path: string): PlacesAnswer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const isAnswer = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && typeof (parsed as PlacesAnswer).status === 'string';
    if (!isAnswer) {
      const cause = `upstream answered HTTP ${statusCode} without a Places JSON object`;
      const head = this.redact(text.slice(0, 120));
      this.log.warn({ statusCode, origin: this.origin, path: this.redact(path), bytes: text.length, head }, cause);
      return unknownError(cause);
    }
    const answer = parsed as PlacesAnswer;
    if (answer.status !== 'OK' && answer.status !== 'ZERO_RESULTS') {
      // REQUEST_DENIED, OVER_QUERY_LIMIT...: the client sees them, the operator should too.
      this.log.warn({ statusCode, status: answer.status, error_message: answer.error_message }, 'places answered with an error status');
    }
    return answer;
  }

  private describeFailure(err: unknown): string {
    const { name, code } = (err ?? {}) as { name?: string; code?: string };
    if (name === 'TimeoutError' || (code !== undefined && /TIMEOUT/.test(code))) {
      return `no answer within ${this.timeoutMs} ms`;
    }
    if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'answer too large';
    if (code === 'UND_ERR_SOCKET') return 'connection closed by upstream';
    if (code === 'UND_ERR_CLOSED' || code === 'UND_ERR_DESTROYED') return 'places provider closed';
    if (code !== undefined) return `connection failed (${code})`;
    return `request failed (${err instanceof Error ? this.redact(err.message) : String(err)})`;
  }

  /** The key must never reach a log line, whatever carries it. */
  private redact(text: string): string {
    return text.split(encodeURIComponent(this.apiKey)).join('REDACTED').split(this.apiKey).join('REDACTED');
  }

  private redactError(err: unknown): unknown {
    if (!(err instanceof Error)) return err;
    const message = this.redact(err.message);
    const stack = err.stack === undefined ? undefined : this.redact(err.stack);
    if (message === err.message && stack === err.stack) return err;
    return Object.assign(new Error(message), { name: err.name, stack, code: (err as { code?: unknown }).code });
  }

  /** Finishes requests under way (each bounded by timeoutMs), then closes the connections. */
  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }
}

/**
 * The client side of `GET /status`, for `herd mesh`, the tests and the benchmark. Apart from
 * status.ts so that a member, which only serves its status, never loads undici (about 170 ms
 * of CPU at every start).
 */
import { request } from 'undici';
import type { MemberConfig } from '../config/herdFile.js';
import type { MemberStatus } from './status.js';

export const FETCH_STATUS_DEFAULTS = {
  /** A member that does not answer within this long is shown as down by `herd mesh`. */
  timeoutMs: 1_000,
} as const;

/** The admin endpoint answered, but not with a status. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  constructor(
    readonly code: 'HERD_STATUS',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Asks `member`'s admin endpoint for its status; rejects on no answer within `timeoutMs`. */
export async function fetchStatus(member: MemberConfig, timeoutMs: number = FETCH_STATUS_DEFAULTS.timeoutMs): Promise<MemberStatus> {
  const host = member.adminHost.includes(':') ? `[${member.adminHost}]` : member.adminHost;
  const { statusCode, body } = await request(`http://${host}:${member.adminPort}/status`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (statusCode !== 200) {
    await body.dump();
    throw new StatusError('HERD_STATUS', `admin endpoint answered HTTP ${statusCode}`);
  }
  return (await body.json()) as MemberStatus;
}

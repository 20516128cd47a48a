/**
 * Figure 7: what replication costs a client, closed loop. 50 kept connections at Clark, each
 * sending one IAMAT and waiting for its reply, against the five-member herd and against a
 * one-member herd (Clark alone: no neighbours, nothing gossiped), both at the default log
 * level (info: a line per client command), then the one-member herd at warn: herd / alone is
 * the price of replication, info / warn the price of logging.
 */
import { iamat } from '../lib/client.js';
import { kept, type ClosedLoopResult } from '../lib/closedLoop.js';
import type { BenchHerd, Name, StartOptions } from '../lib/herd.js';

export interface RatioResult {
  readonly clients: number;
  readonly seconds: number;
  readonly herd: ClosedLoopResult;
  readonly alone: ClosedLoopResult;
  readonly aloneAtWarn: ClosedLoopResult;
  /** herd replies/s over alone replies/s (both at info). */
  readonly herdOverAlone: number;
  /** alone at info over alone at warn. */
  readonly infoOverWarn: number;
}

const MEMBER: Name = 'Clark';

export type WithHerdOf = <T>(start: Pick<StartOptions, 'names' | 'logLevel'>, body: (herd: BenchHerd) => Promise<T>) => Promise<T>;

export async function closedLoopRatio(clients: number, seconds: number, withHerd: WithHerdOf): Promise<RatioResult> {
  const run = (tag: string) => (herd: BenchHerd) =>
    kept({ port: herd.clientPort(MEMBER), clients, seconds, line: (c) => iamat(`bench-ratio-${tag}-${c}`) });
  const herd = await withHerd({ logLevel: 'info' }, run('herd'));
  const alone = await withHerd({ names: [MEMBER], logLevel: 'info' }, run('alone'));
  const aloneAtWarn = await withHerd({ names: [MEMBER], logLevel: 'warn' }, run('warn'));
  return {
    clients,
    seconds,
    herd,
    alone,
    aloneAtWarn,
    herdOverAlone: herd.repliesPerSecond / alone.repliesPerSecond,
    infoOverWarn: alone.repliesPerSecond / aloneAtWarn.repliesPerSecond,
  };
}

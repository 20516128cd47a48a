/**
 * Figure 7: what replication costs a client, closed loop. 50 kept connections at Clark, each
 * sending one IAMAT and waiting for its reply, against the five-member herd and against a
 * one-member herd (Clark alone: no neighbours, nothing gossiped), both at the default log
 * level (info: a line per client command), then the one-member herd at warn: herd / alone is
 * the price of replication, info / warn the price of logging.
 *
 * Logging costs a few per cent, less than this shared machine's load moves between two runs
 * (one 5 s run after the other gave info / warn from 0.53 to 0.98 with the same code), so the
 * info and warn members run side by side and are measured in turn, `loggingRounds` times
 * (five in a full run); the figure is the median of each round's ratio, and the rows show the
 * median runs.
 */
import { iamat } from '../lib/client.js';
import { kept, type ClosedLoopResult } from '../lib/closedLoop.js';
import { cpuSeconds } from '../lib/proc.js';
import type { BenchHerd, Name, StartOptions } from '../lib/herd.js';

export interface RatioResult {
  readonly clients: number;
  readonly seconds: number;
  readonly herd: MeasuredRun;
  readonly alone: MeasuredRun;
  readonly aloneAtWarn: MeasuredRun;
  /** herd replies/s over alone replies/s (both at info). */
  readonly herdOverAlone: number;
  /** alone at info over alone at warn, replies/s: the median of the rounds' ratios. */
  readonly infoOverWarn: number;
  /** The same from Clark's CPU per reply (warn over info), the median of the rounds' ratios. */
  readonly infoOverWarnByCpu: number;
  readonly loggingRounds: ReadonlyArray<{ readonly info: MeasuredRun; readonly warn: MeasuredRun }>;
}

export interface MeasuredRun extends ClosedLoopResult {
  /** Clark's CPU (from /proc) over the run, per reply. */
  readonly memberCpuMicrosPerReply: number;
}

const MEMBER: Name = 'Clark';

export type WithHerdOf = <T>(start: Pick<StartOptions, 'names' | 'logLevel'>, body: (herd: BenchHerd) => Promise<T>) => Promise<T>;

export async function closedLoopRatio(clients: number, seconds: number, loggingRounds: number, withHerd: WithHerdOf): Promise<RatioResult> {
  const run =
    (tag: string) =>
    async (herd: BenchHerd): Promise<MeasuredRun> => {
      const pid = herd.pid(MEMBER);
      const cpuBefore = cpuSeconds(pid);
      const loop = await kept({ port: herd.clientPort(MEMBER), clients, seconds, line: (c) => iamat(`bench-ratio-${tag}-${c}`) });
      return { ...loop, memberCpuMicrosPerReply: ((cpuSeconds(pid) - cpuBefore) / Math.max(1, loop.replies)) * 1e6 };
    };
  const herd = await withHerd({ logLevel: 'info' }, run('herd'));
  const rounds = await withHerd({ names: [MEMBER], logLevel: 'info' }, (atInfo) =>
    withHerd({ names: [MEMBER], logLevel: 'warn' }, async (atWarn) => {
      const results: Array<{ info: MeasuredRun; warn: MeasuredRun }> = [];
      for (let round = 0; round < loggingRounds; round++) {
        results.push({ info: await run(`alone-${round}`)(atInfo), warn: await run(`warn-${round}`)(atWarn) });
      }
      return results;
    }),
  );
  const medianRun = (runs: MeasuredRun[]) => medianBy(runs, (r) => r.repliesPerSecond);
  const alone = medianRun(rounds.map((r) => r.info));
  return {
    clients,
    seconds,
    herd,
    alone,
    aloneAtWarn: medianRun(rounds.map((r) => r.warn)),
    herdOverAlone: herd.repliesPerSecond / alone.repliesPerSecond,
    infoOverWarn: median(rounds.map((r) => r.info.repliesPerSecond / r.warn.repliesPerSecond)),
    infoOverWarnByCpu: median(rounds.map((r) => r.warn.memberCpuMicrosPerReply / r.info.memberCpuMicrosPerReply)),
    loggingRounds: rounds,
  };
}

/** The middle item by `key` (the upper one of an even count). */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]!;
}

const median = (values: readonly number[]): number => medianBy(values, (v) => v);

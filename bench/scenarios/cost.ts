/**
 * What a load phase cost: CPU seconds of each member process and of the bench itself, and
 * the gossip counters, between two snapshots. Shared by the sustained and the flood phases.
 */
import type { MemberStatus } from '../../src/net/status.js';
import type { BenchHerd, Name } from '../lib/herd.js';
import { machineBusySeconds } from '../lib/proc.js';
import { sleep } from '../lib/util.js';

export interface Snapshot {
  readonly at: number;
  readonly cpu: Record<Name, number>;
  readonly bench: NodeJS.CpuUsage;
  readonly statuses: MemberStatus[];
  readonly logBytes: number;
  readonly machineBusy: number;
}

export async function snapshot(herd: BenchHerd): Promise<Snapshot> {
  const at = performance.now();
  const cpu = herd.cpu();
  const bench = process.cpuUsage();
  const machineBusy = machineBusySeconds();
  return { at, cpu, bench, machineBusy, statuses: await statusesPatiently(herd), logBytes: herd.logBytes() };
}

/** A member busy catching up may take seconds to answer /status: ask up to three times. */
export async function statusesPatiently(herd: BenchHerd): Promise<MemberStatus[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await herd.statuses();
    } catch (err) {
      if (attempt === 3) throw err;
      await sleep(500);
    }
  }
}

export interface Cost {
  readonly wallSeconds: number;
  /** Per member, CPU seconds used / wall seconds: 1.0 is one core saturated. */
  readonly coresByMember: Record<Name, number>;
  readonly membersCores: number;
  /** The load generator's own share, so a saturated bench is visible. */
  readonly benchCores: number;
  /** Everything else on the machine (other tenants, the kernel's own threads), cores. */
  readonly otherCores: number;
  readonly memberCpuSeconds: number;
  readonly gossipMessagesPublished: number;
  readonly gossipRecordsPublished: number;
  readonly gossipMessagesAccepted: number;
  readonly gossipMessagesIgnored: number;
  readonly syncRecordsReceived: number;
  readonly logBytes: number;
}

export function costBetween(a: Snapshot, b: Snapshot): Cost {
  const wallSeconds = (b.at - a.at) / 1000;
  const names = Object.keys(b.cpu) as Name[];
  const coresByMember = Object.fromEntries(names.map((n) => [n, (b.cpu[n] - a.cpu[n]) / wallSeconds])) as Record<Name, number>;
  const memberCpuSeconds = names.reduce((s, n) => s + b.cpu[n] - a.cpu[n], 0);
  const benchCpu = (b.bench.user + b.bench.system - a.bench.user - a.bench.system) / 1e6;
  const sum = (key: keyof MemberStatus['counters']) => b.statuses.reduce((s, st, i) => s + st.counters[key] - a.statuses[i]!.counters[key], 0);
  return {
    wallSeconds,
    coresByMember,
    membersCores: memberCpuSeconds / wallSeconds,
    benchCores: benchCpu / wallSeconds,
    otherCores: Math.max(0, b.machineBusy - a.machineBusy - memberCpuSeconds - benchCpu) / wallSeconds,
    memberCpuSeconds,
    gossipMessagesPublished: sum('gossipMessagesPublished'),
    gossipRecordsPublished: sum('gossipRecordsPublished'),
    gossipMessagesAccepted: sum('gossipMessagesAccepted'),
    gossipMessagesIgnored: sum('gossipMessagesIgnored'),
    syncRecordsReceived: sum('syncRecordsReceived'),
    logBytes: b.logBytes - a.logBytes,
  };
}

/** Every member holds the same number of records before a phase (the herd converged). */
export const storeSize = (s: Snapshot): number => Math.max(...s.statuses.map((st) => st.store.clients));

/**
 * Figure 7: what a relay pays per gossip message and per record. IAMATs of fresh clients at
 * Clark, open loop, at each rate, with Bona as the relay: a neighbour of Clark with no clients
 * of its own, which also passes messages on to Bailey and Campbell. Its CPU over the phase
 * (from /proc), beyond its idle CPU just before, is divided by the gossip messages and records
 * it accepted. In a profiled run Bona alone runs with `--cpu-prof`, and its main-thread profile
 * within the phase says where the time went.
 *
 * The steps come after `steadySeconds` of traffic at the lowest rate: a relay's per-message
 * path runs a few dozen times a second, so after the short warm-up V8 has not yet optimized
 * most of it, and a cold relay pays about twice the CPU per message of one that has been
 * running for a minute (2.4 against 1.4 ms at 200/s). A member runs for hours.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchHerd, type Name } from '../lib/herd.js';
import { paced } from '../lib/load.js';
import { hrtimeMicros, isMainThreadProfile, summarizeProfile, type ProfileBreakdown } from '../lib/profile.js';
import { sleep } from '../lib/util.js';
import { costBetween, snapshot } from './cost.js';
import { warmUp } from './warmup.js';

export interface RelayStep {
  readonly rate: number;
  readonly seconds: number;
  readonly acked: number;
  /** Messages and records Bona accepted (first deliveries). */
  readonly messages: number;
  readonly records: number;
  /** Bona's CPU beyond idle, per accepted message and per record, µs. */
  readonly microsPerMessage: number;
  readonly microsPerRecord: number;
  readonly relayCores: number;
  readonly membersCores: number;
  /** The five members' cores in the idle window just before the step (no client traffic). */
  readonly idleMembersCores: number;
  readonly profile: Pick<ProfileBreakdown, 'busyMs' | 'busyPercent' | 'top'> | undefined;
}

export const RELAY: Name = 'Bona';
const ORIGIN: Name = 'Clark';

export interface RelayOptions {
  readonly rates: readonly number[];
  readonly seconds: number;
  readonly warmUpSeconds: number;
  /** Traffic at the lowest rate before the steps, so that they measure a running relay. */
  readonly steadySeconds: number;
  /** Run the members under `--cpu-prof` (which costs CPU itself: the figures then include it). */
  readonly profile: boolean;
  /** Also copy the relay's .cpuprofile there (for a closer look). */
  readonly keepProfile?: string;
}

export async function relayCost(options: RelayOptions, onStep: (text: string) => void): Promise<RelayStep[]> {
  const { rates, seconds, warmUpSeconds, keepProfile } = options;
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-relay-'));
  try {
    // Only the relay is profiled: the profiler slows the others' start and their part of the path.
    const profiled = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    const herd = await BenchHerd.start({ logLevel: 'info', nodeArgs: (name) => (name === RELAY ? profiled : []) });
    const windows: Array<{ fromUs: number; toUs: number }> = [];
    const steps: Array<Omit<RelayStep, 'profile'>> = [];
    const pid = herd.pid(RELAY);
    try {
      await warmUp(herd, warmUpSeconds);
      onStep(`relay: ${options.steadySeconds} s at ${rates[0]}/s first`);
      await paced({ ports: [herd.clientPort(ORIGIN)], prefix: 'bench-relay-steady', rate: rates[0]!, seconds: options.steadySeconds });
      await herd.converged({ timeoutMs: 5_000 });
      for (const rate of rates) {
        onStep(`relay cost at ${rate}/s`);
        const idleStart = await snapshot(herd);
        await sleep(Math.min(2_000, seconds * 1000));
        const idleEnd = await snapshot(herd);
        const idleCost = costBetween(idleStart, idleEnd);
        const idle = idleCost.coresByMember[RELAY];
        const fromUs = hrtimeMicros();
        const start = await snapshot(herd);
        const load = await paced({ ports: [herd.clientPort(ORIGIN)], prefix: `bench-relay-${rate}`, rate, seconds });
        await herd.converged({ timeoutMs: 5_000 });
        const end = await snapshot(herd);
        windows.push({ fromUs, toUs: hrtimeMicros() });
        const cost = costBetween(start, end);
        const i = herd.names.indexOf(RELAY);
        const messages = end.statuses[i]!.counters.gossipMessagesAccepted - start.statuses[i]!.counters.gossipMessagesAccepted;
        const records = end.statuses[i]!.counters.gossipRecordsAccepted - start.statuses[i]!.counters.gossipRecordsAccepted;
        const busySeconds = Math.max(0, (cost.coresByMember[RELAY] - idle) * cost.wallSeconds);
        steps.push({
          rate,
          seconds,
          acked: load.acked,
          messages,
          records,
          microsPerMessage: (busySeconds / Math.max(1, messages)) * 1e6,
          microsPerRecord: (busySeconds / Math.max(1, records)) * 1e6,
          relayCores: cost.coresByMember[RELAY],
          membersCores: cost.membersCores,
          idleMembersCores: idleCost.membersCores,
        });
      }
    } finally {
      await herd.stop(false, true);
    }
    if (!options.profile) return steps.map((s) => ({ ...s, profile: undefined }));
    const file = readdirSync(dir)
      .filter(isMainThreadProfile)
      .find((f) => f.includes(`.${pid}.0.`));
    if (!file) throw new Error(`relay: ${RELAY} wrote no main-thread .cpuprofile`);
    if (keepProfile) copyFileSync(join(dir, file), keepProfile);
    return steps.map((s, k) => {
      const p = summarizeProfile(join(dir, file), 12, windows[k]);
      return { ...s, profile: { busyMs: p.busyMs, busyPercent: p.busyPercent, top: p.top } };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

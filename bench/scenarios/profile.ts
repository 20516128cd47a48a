/**
 * Where the members' CPU goes under sustained load: a herd whose members run with
 * `--cpu-prof`, one herd-wide step at `rate`, then a graceful stop (the profiles are written
 * at exit) and the five main-thread profiles' samples within the step, by category.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchHerd } from '../lib/herd.js';
import { combineBreakdowns, hrtimeMicros, isMainThreadProfile, summarizeProfile, type ProfileBreakdown } from '../lib/profile.js';
import { warmUp } from './warmup.js';
import { sustainedStep, type SustainedStep } from './sustained.js';

export interface ProfileResult {
  readonly rate: number;
  readonly seconds: number;
  readonly memberCpuMicrosPerUpdate: number;
  /** Category and its share of the members' busy (non-idle) time, largest first. */
  readonly categories: Array<[string, number]>;
  /** The heaviest functions of each member, by self time. */
  readonly top: Record<string, ProfileBreakdown['top']>;
}

export async function profile(rate: number, seconds: number, warmUpSeconds: number): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-prof-'));
  try {
    const herd = await BenchHerd.start({ logLevel: 'info', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    let step: SustainedStep;
    let window;
    try {
      await warmUp(herd, warmUpSeconds);
      const fromUs = hrtimeMicros();
      step = await sustainedStep(herd, rate, seconds, 'prof');
      window = { fromUs, toUs: hrtimeMicros() };
    } finally {
      await herd.stop(false, true);
    }
    const files = readdirSync(dir)
      .filter(isMainThreadProfile)
      .map((f) => join(dir, f));
    if (files.length === 0) throw new Error('profile: the members wrote no main-thread .cpuprofile');
    const each = files.map((f) => summarizeProfile(f, 10, window));
    const { busyPercent } = combineBreakdowns(each);
    const categories = Object.entries(busyPercent)
      .filter(([, p]) => p > 0)
      .map(([c, p]): [string, number] => [c, p / 100])
      .sort((a, b) => b[1] - a[1]);
    return {
      rate,
      seconds,
      memberCpuMicrosPerUpdate: step.memberCpuMicrosPerUpdate,
      categories,
      top: Object.fromEntries(files.map((f, i) => [f.split('/').at(-1)!, each[i]!.top])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

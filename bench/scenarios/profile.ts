/**
 * Where the members' CPU goes under sustained load: a herd whose members run with
 * `--cpu-prof`, one herd-wide step at `rate`, then a graceful stop (the profiles are written
 * at exit) and the five profiles' self time summed by category.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchHerd } from '../lib/herd.js';
import { summarizeProfiles } from '../lib/profile.js';
import { warmUp } from './warmup.js';
import { sustainedStep } from './sustained.js';

export interface ProfileResult {
  readonly rate: number;
  readonly seconds: number;
  readonly memberCpuMicrosPerUpdate: number;
  /** Category and its share of the members' busy (non-idle) samples, largest first. */
  readonly categories: Array<[string, number]>;
}

export async function profile(rate: number, seconds: number): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'herd-bench-prof-'));
  try {
    const herd = await BenchHerd.start({ logLevel: 'warn', nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    let step;
    try {
      await warmUp(herd, 0.5);
      step = await sustainedStep(herd, rate, seconds, 'prof');
    } finally {
      await herd.stop(false, true);
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
    if (files.length === 0) throw new Error('profile: the members wrote no .cpuprofile');
    return { rate, seconds, memberCpuMicrosPerUpdate: step.memberCpuMicrosPerUpdate, categories: summarizeProfiles(files) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

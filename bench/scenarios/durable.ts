/**
 * Figure 3b: what durable state costs. One herd-wide step as in figure 3, with every member
 * keeping a record log (`--data-dir`): each record it stores is written to the log before it
 * is acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchHerd, StartOptions } from '../lib/herd.js';
import { sustainedStep, type SustainedStep } from './sustained.js';

export type WithHerdArgs = <T>(start: Pick<StartOptions, 'memberArgs'>, body: (herd: BenchHerd) => Promise<T>) => Promise<T>;

export async function durable(rate: number, seconds: number, withHerd: WithHerdArgs): Promise<SustainedStep> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herd-bench-data-'));
  try {
    return await withHerd({ memberArgs: ['--data-dir', dataDir] }, (herd) => sustainedStep(herd, rate, seconds, 'durable'));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Start-up: from spawning `herd start NAME` to the member's `/readyz` answering 200 (modules
 * loaded, places indexed, links tried), for one member alone and for each member of the
 * five-member demo herd started at once; then to every link of the herd carrying gossip.
 * Also the bare cost of loading the CLI (`herd --version`). Medians over `runs` starts.
 */
import { spawnSync } from 'node:child_process';
import { BenchHerd, NAMES, type Name } from '../lib/herd.js';
import { summarize } from '../lib/stats.js';
import { HERD_BIN } from '../../testkit/processes.js';

export interface StartupResult {
  readonly runs: number;
  /** `node herd --version`, ms: module loading of the CLI. */
  readonly cliLoadMs: number;
  /** One member alone: spawn to /readyz 200, ms. */
  readonly oneMemberReadyMs: number;
  /** Five members spawned at once: spawn to the last /readyz 200, ms. */
  readonly herdMembersReadyMs: number;
  /** Five members spawned at once: spawn to every link up and subscribed, ms. */
  readonly herdLinkedMs: number;
}

const POLL_MS = 5;

export async function startup(runs: number, onStep: (text: string) => void): Promise<StartupResult> {
  const cli: number[] = [];
  const one: number[] = [];
  const members: number[] = [];
  const linked: number[] = [];
  for (let run = 1; run <= runs; run++) {
    onStep(`start-up, run ${run} of ${runs}`);
    cli.push(timeCliLoad());
    one.push((await timeStart(['Clark'])).readyMs);
    const herd = await timeStart(NAMES);
    members.push(herd.readyMs);
    linked.push(herd.linkedMs);
  }
  const median = (xs: number[]) => summarize(xs).p50;
  return { runs, cliLoadMs: median(cli), oneMemberReadyMs: median(one), herdMembersReadyMs: median(members), herdLinkedMs: median(linked) };
}

function timeCliLoad(): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, [HERD_BIN, '--version']);
  if (run.status !== 0) throw new Error(`herd --version exited ${run.status}: ${String(run.stderr)}`);
  return performance.now() - started;
}

async function timeStart(names: readonly Name[]): Promise<{ readyMs: number; linkedMs: number }> {
  const herd = await BenchHerd.create({ logLevel: 'info', names });
  try {
    const started = performance.now();
    herd.launch();
    const deadline = started + 60_000;
    await Promise.all(
      names.map(async (name) => {
        while (!(await herd.ready(name))) {
          if (performance.now() > deadline) throw new Error(`${name} not ready within 60 s:\n${herd.outputOf(name)}`);
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      }),
    );
    const readyMs = performance.now() - started;
    await herd.waitReady(60_000, POLL_MS);
    return { readyMs, linkedMs: performance.now() - started };
  } finally {
    await herd.stop();
  }
}

#!/usr/bin/env node
/**
 * `npm run lab -- COMMAND`: a herd on separate network stacks (root, Linux). See the README's
 * "Network lab". Every command but `up` and `down --all` acts on the one run there is, or on
 * `--run ID`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { parsePositiveInteger } from '../src/config/settings.js';
import { Lab } from './lab.js';
import { labUnavailable } from './network.js';
import { memberNames, parseLinkList } from './plan.js';

function positive(text: string): number {
  const n = parsePositiveInteger(text);
  if (n === undefined) throw new Error(`not a positive integer: "${text}"`);
  return n;
}

function nonNegative(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a number >= 0: "${text}"`);
  return n;
}

export async function main(args: readonly string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const program = new Command('lab').description('a herd in network namespaces').exitOverride().showHelpAfterError().enablePositionalOptions();
  const runOption = ['--run <id>', 'the lab run (default: the only one)'] as const;
  const act = (fn: (lab: Lab) => Promise<number | void>) => (opts: { run?: string }) => {
    result = (async () => (await fn(Lab.load(opts.run))) ?? 0)();
  };

  program
    .command('up')
    .description('build namespaces and a bridge, write a herd file, start every member; return once all links are up')
    .argument('[size]', 'members m1..mN on a ring with chords', positive, 3)
    .option('--topology <file>', 'JSON {"names": [...], "links": [["a","b"], ...]} instead of SIZE')
    .option('--links <list>', 'links as A-B,B-C instead of the ring with chords')
    .option('--relays', 'a relay on every link from the start (delays then change without reconnecting)', false)
    .option('--member-args <args>', 'extra `herd start` options for every member, space-separated', '')
    .action((size: number, opts: { topology?: string; links?: string; relays: boolean; memberArgs: string }) => {
      result = (async () => {
        const unavailable = await labUnavailable();
        if (unavailable) throw new Error(unavailable);
        const topology = opts.topology
          ? (JSON.parse(readFileSync(opts.topology, 'utf8')) as { names: string[]; links: Array<[string, string]> })
          : undefined;
        const names = topology?.names ?? memberNames(size);
        const links = topology?.links ?? (opts.links ? parseLinkList(opts.links) : undefined);
        const started = Date.now();
        const lab = await Lab.up({ names, links, relays: opts.relays, owner: null, memberArgs: opts.memberArgs.split(' ').filter(Boolean) });
        process.stdout.write(
          `lab run ${lab.plan.runId}: ${names.length} members ready in ${Date.now() - started} ms\n` +
            `herd file ${lab.herdFile}\n${lab.plan.members.map((m) => `  ${m.name} ${m.address} (netns ${m.ns})`).join('\n')}\n` +
            `  client namespace ${lab.plan.clientNs} ${lab.plan.clientAddress}\n`,
        );
        return 0;
      })();
    });

  program
    .command('cut')
    .description('cut a member off from every other member (its clients still reach it)')
    .argument('<name>')
    .option(...runOption)
    .action((name: string, opts: { run?: string }) => act((lab) => lab.cut(name))(opts));
  program
    .command('heal')
    .description('undo `cut`')
    .argument('<name>')
    .option(...runOption)
    .action((name: string, opts: { run?: string }) => act((lab) => lab.heal(name))(opts));
  program
    .command('slow')
    .description('limit the link A-B to RATE each way (tc syntax: 1mbit, 500kbit)')
    .argument('<a>')
    .argument('<b>')
    .argument('<rate>')
    .option(...runOption)
    .action((a: string, b: string, rate: string, opts: { run?: string }) => act((lab) => lab.slow(a, b, rate))(opts));
  program
    .command('unslow')
    .description("remove the rate limits of a member's links")
    .argument('<name>')
    .option(...runOption)
    .action((name: string, opts: { run?: string }) => act((lab) => lab.unslow(name))(opts));
  program
    .command('delay')
    .description('delay the link A-B by MS each way through a relay; --loss P holds P% of chunks 200 ms more')
    .argument('<a>')
    .argument('<b>')
    .argument('<ms>', 'milliseconds', nonNegative)
    .option('--loss <pct>', 'percent', nonNegative, 0)
    .option(...runOption)
    .action((a: string, b: string, ms: number, opts: { run?: string; loss: number }) =>
      act((lab) => lab.shape(a, b, { delayMs: ms, lossPct: opts.loss }))(opts),
    );
  program
    .command('kill')
    .description('kill -9 a member')
    .argument('<name>')
    .option(...runOption)
    .action((name: string, opts: { run?: string }) => act((lab) => lab.kill(name))(opts));
  program
    .command('start')
    .description('start a member again in its namespace and wait until its links are up')
    .argument('<name>')
    .option(...runOption)
    .action((name: string, opts: { run?: string }) =>
      act(async (lab) => {
        await lab.start(name);
        await lab.waitReady([name]);
      })(opts),
    );
  program
    .command('herd')
    .description("run `herd ARGS --config <the run's herd file>` in the client namespace (mesh, send, client)")
    .argument('<args...>')
    .option(...runOption)
    .passThroughOptions()
    .action((herdArgs: string[], opts: { run?: string }) => act(async (lab) => (await lab.herd(herdArgs, 'inherit')).code)(opts));
  program
    .command('down')
    .description("stop the run's processes, remove its namespaces and files; also runs left by crashed tests")
    .option(...runOption)
    .option('--all', 'every lab run, including ones made by `lab up`', false)
    .action((opts: { run?: string; all: boolean }) => {
      result = (async () => {
        // Without --run and with no run of its own left, `down` still removes crashed runs.
        if (!opts.all && (opts.run || Lab.runIds().length > 0)) await Lab.load(opts.run).down();
        const removed = await Lab.cleanUp(opts.all);
        if (removed.length > 0) process.stdout.write(`removed runs ${removed.join(', ')}\n`);
        return 0;
      })();
    });

  try {
    await program.parseAsync([...args], { from: 'user' });
    return await result;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 || err.code === 'commander.helpDisplayed' ? 0 : 2;
    process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => process.exit(code));

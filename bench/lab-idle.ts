/**
 * What link-failure detection costs at rest: the idle CPU of a herd of 5 in the network lab
 * with each `--link-timeout-ms` given (pings go every fifth of it). Root only.
 *
 *   node dist/bench/lab-idle.js [--timeouts 10000,600000] [--seconds 20]
 */
import { parseArgs } from 'node:util';
import { Lab, sleep } from '../lab/lab.js';
import { labUnavailable } from '../lab/network.js';
import { livenessIntervalFor } from '../src/net/p2p/constants.js';

async function memberCpuSeconds(lab: Lab): Promise<number> {
  let total = 0;
  for (const name of lab.names) total += await lab.cpuSeconds(name);
  return total;
}

const { values } = parseArgs({ options: { timeouts: { type: 'string', default: '5000,10000,600000' }, seconds: { type: 'string', default: '20' } } });
const unavailable = await labUnavailable();
if (unavailable) {
  process.stdout.write(`skipped: ${unavailable}\n`);
} else {
  const seconds = Number(values.seconds);
  process.stdout.write('| --link-timeout-ms | ping every | idle CPU per member, % of a core |\n|---|---|---|\n');
  for (const timeout of values.timeouts.split(',').map(Number)) {
    const lab = await Lab.up({ size: 5, memberArgs: ['--link-timeout-ms', String(timeout)] });
    try {
      await sleep(10_000);
      const before = await memberCpuSeconds(lab);
      await sleep(seconds * 1000);
      const cores = ((await memberCpuSeconds(lab)) - before) / seconds / lab.names.length;
      process.stdout.write(`| ${timeout} | ${livenessIntervalFor(timeout) / 1000} s | ${(cores * 100).toFixed(2)} |\n`);
    } finally {
      await lab.down();
    }
  }
}

/**
 * The relay cost alone (figure 7 of `npm run bench`), with its profile printed:
 *   node dist/bench/relay.js [--rates 200,1000] [--seconds 5] [--steady 45] [--profile] [--keep FILE.cpuprofile] [--bare]
 * `--bare`: then a bare gossipsub relay (no herd code; scenarios/bareRelay.ts) at each step's
 * message rate and size, and the herd's own part of the cost.
 */
import { parseArgs } from 'node:util';
import { formatBreakdown } from './lib/profile.js';
import { bareRelayCost, beyondBare, loadsLike } from './scenarios/bareRelay.js';
import { relayCost } from './scenarios/relay.js';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,1000' },
    seconds: { type: 'string', default: '5' },
    steady: { type: 'string', default: '45' },
    keep: { type: 'string' },
    profile: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
  },
});
const rates = values.rates.split(',').map(Number);
const onStep = (t: string) => process.stderr.write(`${t}\n`);
const steps = await relayCost(
  {
    rates,
    seconds: Number(values.seconds),
    warmUpSeconds: 1.5,
    steadySeconds: Number(values.steady),
    profile: values.profile || values.keep !== undefined,
    keepProfile: values.keep,
  },
  onStep,
);
for (const s of steps) {
  console.log(
    `${s.rate}/s: ${s.messages} msgs, ${s.records} records at the relay; ${s.microsPerMessage.toFixed(0)} us/msg, ${s.microsPerRecord.toFixed(1)} us/record; relay ${s.relayCores.toFixed(2)} cores, members ${s.membersCores.toFixed(2)} cores (idle ${s.idleMembersCores.toFixed(2)})`,
  );
  if (s.profile) console.log(formatBreakdown({ ...s.profile, totalMs: 0, percent: s.profile.busyPercent }, 12));
}
if (values.bare) {
  const bare = await bareRelayCost({ steps: loadsLike(steps), seconds: Number(values.seconds), steadySeconds: Number(values.steady) }, onStep);
  for (const [k, b] of bare.entries()) {
    const s = steps[k]!;
    const own = beyondBare(s, b);
    console.log(
      `${s.rate}/s: bare relay at ${b.rate.toFixed(1)} msgs/s of ${b.bytes} bytes: ${b.messages} of ${b.published} received, ${b.microsPerMessage.toFixed(0)} us/msg; beyond it ${own.perMessage.toFixed(0)} us/msg, ${own.perRecord.toFixed(1)} us/record`,
    );
  }
}
process.exit(0);

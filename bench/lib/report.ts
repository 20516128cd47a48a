/** The results document (written as JSON) and its rendering as a plain-text table. */
import type { FloodResult } from '../scenarios/flood.js';
import type { LatencyResult } from '../scenarios/latency.js';
import type { PropagationResult } from '../scenarios/propagation.js';
import type { SustainedResult } from '../scenarios/sustained.js';
import type { WhatsatResult } from '../scenarios/whatsat.js';
import { NAMES, type Name } from './herd.js';

export interface LevelResults {
  readonly logLevel: 'warn' | 'info';
  /** Members' CPU with no traffic, cores (the baseline under every other figure). */
  readonly idleCores?: Record<Name, number> & { total: number };
  /** Back to back. */
  readonly iamatLatency: LatencyResult;
  /** With a pause after each reply. */
  readonly iamatLatencyPaced: LatencyResult;
  readonly sustained: SustainedResult;
  readonly propagation?: PropagationResult;
  readonly whatsat?: WhatsatResult;
  readonly flood?: FloodResult;
}

export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly machine: { cpus: number; model: string; node: string; kernel: string; loadAvgBefore: number[]; loadAvgAfter: number[] };
  readonly durationSeconds: number;
  readonly warn: LevelResults;
  readonly info?: LevelResults;
  /** info / warn, for the cost of logging every line. */
  readonly infoOverWarn?: Record<string, number>;
}

const f = (n: number | null | undefined, digits = 2): string => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const int = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US'));

/** The busiest process of a phase, e.g. "Clark 0.93". */
function busiest(cores: Record<Name, number>): string {
  const [name, value] = Object.entries(cores).sort((a, b) => b[1] - a[1])[0]!;
  return `${name} ${f(value)}`;
}

export function infoOverWarn(warn: LevelResults, info: LevelResults): Record<string, number> {
  return {
    iamatLatencyP50: info.iamatLatency.p50 / warn.iamatLatency.p50,
    iamatLatencyP99: info.iamatLatency.p99 / warn.iamatLatency.p99,
    pacedIamatLatencyP50: info.iamatLatencyPaced.p50 / warn.iamatLatencyPaced.p50,
    pacedIamatLatencyP99: info.iamatLatencyPaced.p99 / warn.iamatLatencyPaced.p99,
    memberCpuMicrosPerIamatBackToBack: info.iamatLatency.memberCpuMicrosPerUpdate / warn.iamatLatency.memberCpuMicrosPerUpdate,
    ackedPerSecond: info.sustained.ackedPerSecond / warn.sustained.ackedPerSecond,
    memberCpuMicrosPerUpdate: info.sustained.memberCpuMicrosPerUpdate / warn.sustained.memberCpuMicrosPerUpdate,
  };
}

export function renderTable(r: BenchResults): string {
  const cols = [r.warn, r.info];
  const rows: Array<[string, ...string[]]> = [];
  const row = (label: string, cell: (l: LevelResults) => string) => rows.push([label, ...cols.map((l) => (l ? cell(l) : '-'))]);
  const section = (label: string) => rows.push([label, '', '']);

  row('Members idle, no traffic (cores, all 5)', (l) => f(l.idleCores?.total, 3));
  section('Latency, one request at a time (ms)');
  const pcts = (x: { p50: number; p90: number; p99: number }) => `${f(x.p50)} / ${f(x.p90)} / ${f(x.p99)}`;
  row('  IAMAT at Clark, back to back p50 / p90 / p99', (l) => pcts(l.iamatLatency));
  row(`  IAMAT at Clark, ${r.warn.iamatLatencyPaced.gapMs} ms apart p50 / p90 / p99`, (l) => pcts(l.iamatLatencyPaced));
  row('  member CPU per IAMAT back to back (us, all 5)', (l) => f(l.iamatLatency.memberCpuMicrosPerUpdate, 0));
  row('  other tenants during back to back (cores)', (l) => f(l.iamatLatency.otherCores));
  row('  propagation Clark->Bailey, polled p50 / p99', (l) => (l.propagation ? `${f(l.propagation.observed.p50)} / ${f(l.propagation.observed.p99)}` : '-'));
  row('  propagation, Bailey histogram p50 / p99', (l) => (l.propagation ? `${f(l.propagation.histogram.p50)} / ${f(l.propagation.histogram.p99)}` : '-'));
  row('  WHATSAT (offline places) p50 / p99', (l) => (l.whatsat ? `${f(l.whatsat.p50)} / ${f(l.whatsat.p99)}` : '-'));
  const s = r.warn.sustained.options;
  section(`Sustained: ${s.members.length} members x ${s.connectionsPerMember} conns x window ${s.window}, ${s.seconds} s`);
  row('  acknowledged updates/s', (l) => int(l.sustained.ackedPerSecond));
  row('  updates/s held by all five', (l) => int(l.sustained.everywherePerSecond));
  row('  held by all five at last reply', (l) => `${f(l.sustained.everywhereAtLastAck * 100, 1)} %`);
  row('  catch-up after last reply (ms)', (l) => int(l.sustained.catchUpMs));
  row('  records per gossip message', (l) => f(l.sustained.recordsPerGossipMessage, 1));
  row('  member CPU per update (us, all 5)', (l) => f(l.sustained.memberCpuMicrosPerUpdate, 1));
  row('  cores used: members / bench / others', (l) => `${f(l.sustained.cost.membersCores)} / ${f(l.sustained.cost.benchCores)} / ${f(l.sustained.cost.otherCores)}`);
  row('  busiest member (cores)', (l) => busiest(l.sustained.cost.coresByMember));
  row('  log bytes per update', (l) => f(l.sustained.logBytesPerUpdate, 0));
  row('  logs still being written after catch-up (ms)', (l) => int(l.sustained.logFlushMs));
  const fl = r.warn.flood;
  if (fl) {
    section(`Flood: ${fl.options.connections} conns, no window, ${fl.options.seconds} s, ${fl.options.pool} ids per conn`);
    row('  acknowledged updates/s', (l) => int(l.flood?.ackedPerSecond));
    row('  sent / acknowledged (millions)', (l) => (l.flood ? `${f(l.flood.load.sent / 1e6)} / ${f(l.flood.load.acked / 1e6)}` : '-'));
    row('  kernel queues: unread by members / unsent (MiB)', (l) => (l.flood ? `${f(l.flood.peakUnreadMiB, 0)} / ${f(l.flood.peakUnsentMiB, 0)}` : '-'));
    row('  blasters stalled in write()', (l) => (l.flood ? `${f(l.flood.stalledShare * 100, 0)} % of the time` : '-'));
    row('  every update at all five', (l) => (l.flood ? (l.flood.allArrived ? 'yes' : 'NO') : '-'));
    row('  digests agree, ms after the cut', (l) => int(l.flood?.catchUpMs));
    row('  peak RSS, largest member (MiB)', (l) => (l.flood ? f(Math.max(...Object.values(l.flood.peakRssMiB)), 0) : '-'));
    row('  cores used: members / bench / others', (l) => (l.flood ? `${f(l.flood.cost.membersCores)} / ${f(l.flood.cost.benchCores)} / ${f(l.flood.cost.otherCores)}` : '-'));
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((x) => x[i]!.length), i === 0 ? 0 : 12));
  const line = (x: string[]) => x.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!))).join('   ').trimEnd();
  const m = r.machine;
  const out = [
    `herd benchmark, ${r.date}, ${m.cpus} x ${m.model}, Node ${m.node}, load average ${m.loadAvgBefore.map((x) => x.toFixed(2)).join(' ')} before`,
    '',
    line(['', 'log warn', r.info ? 'log info' : '']),
    ...rows.map(line),
  ];
  out.push('', 'Per member (cores used = CPU seconds / wall seconds):');
  const members = (label: string, v: Record<Name, number> | undefined, digits = 2) => {
    if (v) out.push(`  ${label.padEnd(34)}${NAMES.map((n) => f(v[n], digits).padStart(10)).join('')}`);
  };
  out.push(`  ${''.padEnd(34)}${NAMES.map((n) => n.padStart(10)).join('')}`);
  members('sustained, warn: cores', r.warn.sustained.cost.coresByMember);
  members('sustained, info: cores', r.info?.sustained.cost.coresByMember);
  members('flood: cores', fl?.cost.coresByMember);
  members('flood: RSS before (MiB)', fl?.rssBeforeMiB, 0);
  members('flood: peak RSS (MiB)', fl?.peakRssMiB, 0);
  if (r.infoOverWarn) {
    out.push('', `Logging every line (info / warn): ${Object.entries(r.infoOverWarn).map(([k, v]) => `${k} x${f(v)}`).join(', ')}`);
  }
  out.push(`Whole run ${f(r.durationSeconds, 0)} s; load average after ${m.loadAvgAfter.map((x) => x.toFixed(2)).join(' ')}`);
  return `${out.join('\n')}\n`;
}

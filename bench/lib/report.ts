/** The results document (written as JSON) and its rendering as markdown. */
import type { BurstResult } from '../scenarios/burst.js';
import type { CatchUpResult } from '../scenarios/catchup.js';
import type { MemoryAt } from '../scenarios/memory.js';
import type { ProfileResult } from '../scenarios/profile.js';
import type { MeasuredRun, RatioResult } from '../scenarios/ratio.js';
import { beyondBare, RELAY_LINE_BYTES, type BareRelayStep } from '../scenarios/bareRelay.js';
import type { RelayStep } from '../scenarios/relay.js';
import type { PropagationResult, RateResult } from '../scenarios/propagation.js';
import type { StartupResult } from '../scenarios/startup.js';
import type { SustainedResult, SustainedStep } from '../scenarios/sustained.js';
import type { ThroughputResult } from '../scenarios/throughput.js';
import type { WhatsatResult } from '../scenarios/whatsat.js';

export interface Machine {
  readonly model: string;
  readonly cores: number;
  readonly node: string;
  readonly kernel: string;
  readonly loadAvgBefore: readonly number[];
  readonly loadAvgAfter: readonly number[];
}

export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly machine: Machine;
  readonly durationSeconds: number;
  readonly throughput?: ThroughputResult;
  readonly ratio?: RatioResult;
  readonly propagation?: PropagationResult;
  readonly relay?: {
    readonly steadySeconds: number;
    readonly cpu: RelayStep[];
    readonly profiled: RelayStep[];
    /** The same stack without the herd: a bare gossipsub relay, one message per record. */
    readonly bare: BareRelayStep[];
  };
  readonly sustained?: SustainedResult;
  /** One sustained step with every member on `--data-dir`. */
  readonly durable?: SustainedStep;
  readonly profile?: ProfileResult;
  readonly whatsat?: WhatsatResult;
  readonly memory?: MemoryAt[];
  readonly burst?: BurstResult;
  readonly catchUp?: CatchUpResult;
  readonly startup?: StartupResult;
}

const f = (n: number | null | undefined, digits = 2): string => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const int = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US');
const kib = (bytes: number): string => int(bytes / 1024);
const yes = (ok: boolean | undefined): string => (ok === undefined ? 'not measured at this size' : ok ? '**yes**' : '**no**');

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The farthest hop count's delays of a propagation step. */
function farthest(step: RateResult): RateResult['byHops'][string] {
  return step.byHops[String(Math.max(...Object.keys(step.byHops).map(Number)))]!;
}

function targets(r: BenchResults): string {
  const rows: string[][] = [];
  if (r.sustained) {
    const h = r.sustained.highest;
    const window = r.sustained.steps[0]?.seconds ?? 0;
    rows.push([
      `Herd-wide sustained rate for ${window} s, all five converged 2 s after, p99 < 250 ms`,
      '≥ 30,000 updates/s for 30 s',
      h ? `${int(h.rate)}/s (p99 ${f(h.delays.p99)} ms)` : 'none',
      yes(window >= 30 ? (h ? h.rate >= 30_000 : false) : undefined),
    ]);
  }
  if (r.ratio) {
    const q = r.ratio;
    rows.push([
      'Closed loop at Clark (50 kept connections): five-member herd / one-member herd, p99',
      '≥ 0.5, p99 < 20 ms',
      `${f(q.herdOverAlone)}, p99 ${f(q.herd.latency.p99)} ms`,
      yes(q.herdOverAlone >= 0.5 && q.herd.latency.p99 < 20),
    ]);
    rows.push(['Logging every client line (info) / warn, one member, closed loop', '≥ 0.9', f(q.infoOverWarn), yes(q.infoOverWarn >= 0.9)]);
  }
  if (r.relay) {
    const most = r.relay.cpu.reduce((a, b) => (b.records / Math.max(1, b.messages) > a.records / Math.max(1, a.messages) ? b : a));
    const least = r.relay.cpu[0]!;
    // The bare relay's steps match the herd's (section 2b): the stack's part of each figure.
    const bareLeast = r.relay.bare[0];
    const bareMost = r.relay.bare[r.relay.cpu.indexOf(most)];
    const ownPerRecord = bareMost && beyondBare(most, bareMost).perRecord;
    rows.push([
      'CPU at a relay (Bona) per gossip message; per record (largest batches)',
      '≤ 1 ms; ≤ 5 µs',
      `${int(least.microsPerMessage)} µs at ${int(least.rate)}/s${bareLeast ? ` (a bare gossipsub relay: ${int(bareLeast.microsPerMessage)})` : ''}; ${f(most.microsPerRecord, 1)} µs at ${int(most.rate)}/s${bareMost ? ` (less a bare relay's at that message rate and size: ${f(ownPerRecord, 1)})` : ''}`,
      yes(least.microsPerMessage <= 1000 && most.microsPerRecord <= 5),
    ]);
  }
  if (r.propagation) {
    const { fixed, latencyFirst } = r.propagation;
    const met = (step: RateResult) => (step.rate === 1000 ? farthest(step).p50 < 2 && farthest(step).p99 < 10 : undefined);
    const delays = (step: RateResult) => `p50 ${f(farthest(step).p50)} ms, p99 ${f(farthest(step).p99)} ms (${f(step.membersCores)} cores)`;
    const option = latencyFirst && `--pacing-target-load ${latencyFirst.targetLoad}`;
    rows.push([
      `Propagation at ${int(fixed.rate)}/s to the farthest member (five members' cores)`,
      'p50 < 2 ms, p99 < 10 ms',
      `${delays(fixed)}${latencyFirst ? `; with ${option}: ${delays(latencyFirst.step)}` : ''}`,
      `${yes(met(fixed))}${latencyFirst ? `; with ${option}: ${yes(met(latencyFirst.step))}` : ''}`,
    ]);
  }
  if (r.throughput) {
    const { kept, perConnection } = r.throughput;
    rows.push([
      'One-member IAMAT throughput / echo floor (kept; per connection)',
      '≥ 0.5',
      `${f(kept.ratio)}; ${f(perConnection.ratio)}`,
      yes(kept.ratio >= 0.5 && perConnection.ratio >= 0.5),
    ]);
  }
  const million = r.memory?.find((m) => m.clients === 1_000_000);
  if (r.memory) {
    const last = r.memory.at(-1)!;
    rows.push([
      'Heap and buffers per stored client at 1M clients',
      '< 300 B',
      `${int(last.heapBytesPerClient)} B at ${int(last.clients)}`,
      yes(million ? million.heapBytesPerClient < 300 : undefined),
    ]);
  }
  if (r.catchUp) {
    rows.push([
      'Catch-up of 100k records (from process start)',
      '< 2 s',
      `${f(r.catchUp.fromStartMs / 1000)} s for ${int(r.catchUp.records)}`,
      yes(r.catchUp.records >= 100_000 ? r.catchUp.fromStartMs < 2000 : undefined),
    ]);
  }
  return table(['target', 'goal', 'measured', 'met'], rows);
}

function throughputSection(t: ThroughputResult): string {
  const row = (mode: string, m: ThroughputResult['kept']) => [
    mode,
    int(m.herd.repliesPerSecond),
    int(m.echo.repliesPerSecond),
    f(m.ratio),
    `${f(m.herd.latency.p50)} / ${f(m.herd.latency.p99)}`,
    `${f(m.echo.latency.p50)} / ${f(m.echo.latency.p99)}`,
    `${m.herd.errors} / ${m.echo.errors}`,
  ];
  return [
    `## 1. Client throughput on one member (${t.member}, ${t.clients} clients, ${t.seconds} s per run)`,
    '',
    table(
      ['mode', 'herd replies/s', 'echo replies/s', 'herd / echo', 'herd p50 / p99 ms', 'echo p50 / p99 ms', 'errors herd / echo'],
      [row('new connection per IAMAT, half-closed', t.perConnection), row('kept connection, back to back', t.kept)],
    ),
  ].join('\n');
}

function ratioSection(q: RatioResult): string {
  const row = (label: string, c: MeasuredRun) => [
    label,
    int(c.repliesPerSecond),
    f(c.latency.p50),
    f(c.latency.p99),
    String(c.errors),
    f(c.memberCpuMicrosPerReply, 1),
  ];
  const rounds = q.loggingRounds.map((r, i) => [
    String(i + 1),
    int(r.info.repliesPerSecond),
    int(r.warn.repliesPerSecond),
    f(r.info.memberCpuMicrosPerReply, 1),
    f(r.warn.memberCpuMicrosPerReply, 1),
  ]);
  return [
    `## 1b. Closed loop: what replication and logging cost a client (Clark, ${q.clients} kept connections, one IAMAT at a time, ${q.seconds} s each)`,
    '',
    table(
      ['herd', 'replies/s', 'p50 ms', 'p99 ms', 'errors', 'Clark CPU µs/reply'],
      [row('five members, info', q.herd), row('Clark alone, info (median run)', q.alone), row('Clark alone, warn (median run)', q.aloneAtWarn)],
    ),
    '',
    `Five members / alone: **${f(q.herdOverAlone)}**. Info / warn: **${f(q.infoOverWarn)}** by replies/s, ${f(q.infoOverWarnByCpu)} by Clark's CPU per reply: the medians of ${q.loggingRounds.length} rounds in which a member at info and one at warn, running side by side, were measured in turn:`,
    '',
    table(['round', 'info replies/s', 'warn replies/s', 'info µs/reply', 'warn µs/reply'], rounds),
  ].join('\n');
}

function relaySection(relay: NonNullable<BenchResults['relay']>): string {
  const rows = relay.cpu.map((s) => [
    int(s.rate),
    int(s.messages),
    int(s.records),
    f(s.records / Math.max(1, s.messages), 1),
    int(s.microsPerMessage),
    f(s.microsPerRecord, 1),
    f(s.relayCores),
    f(s.membersCores),
    f(s.idleMembersCores),
  ]);
  const parts = [
    "## 2b. What a relay pays (Bona: a neighbour of Clark without clients, passing Clark's messages on)",
    '',
    `IAMATs of fresh clients at Clark, open loop, after ${relay.steadySeconds} s at the lowest rate (so that V8 has optimized the relay's code, as in a member that has been running); Bona's CPU (from /proc, beyond its idle CPU just before) per gossip message and per record it accepted:`,
    '',
    table(
      [
        'offered/s',
        'messages',
        'records',
        'records/message',
        'µs/message',
        'µs/record',
        'Bona cores',
        'five members cores',
        'five members idle cores',
      ],
      rows,
    ),
  ];
  if (relay.bare.length === relay.cpu.length) {
    const rows = relay.cpu.map((s, k) => {
      const bare = relay.bare[k]!;
      const own = beyondBare(s, bare);
      return [
        int(s.rate),
        f(bare.rate, 1),
        int(bare.bytes),
        int(s.microsPerMessage),
        int(bare.microsPerMessage),
        int(own.perMessage),
        f(own.perRecord, 1),
      ];
    });
    parts.push(
      '',
      `What of it is the stack's: four bare libp2p nodes, each its own process (TCP, noise, yamux, identify, and gossipsub with its defaults; no herd code), in a star whose centre relays one publisher's messages to two subscribers, at Bona's message rate in each step and with messages of its size (its records per message, ${RELAY_LINE_BYTES} bytes each), after ${relay.steadySeconds} s at the first step. The centre's CPU beyond idle per message, and Bona's less that: the herd's own part, its checks, store and digest, less the stack's work it skips (it does not verify a neighbour's own signature again), so below zero when messages carry few records:`,
      '',
      table(
        [
          'offered/s',
          'messages/s',
          'bytes/message',
          'Bona µs/message',
          'bare relay µs/message',
          'Bona less bare, µs/message',
          'the same per record, µs',
        ],
        rows,
      ),
    );
  }
  for (const p of relay.profiled) {
    if (!p.profile) continue;
    const cats = Object.entries(p.profile.busyPercent)
      .filter(([c, v]) => c !== 'idle' && v > 0)
      .sort((a, b) => b[1] - a[1]);
    parts.push(
      '',
      `Bona's profile at ${int(p.rate)}/s (a second herd, Bona under \`--cpu-prof\`, which costs CPU itself; self time by category, share of busy time): ` +
        cats.map(([c, v]) => `${c} ${f(v, 1)} %`).join(', ') +
        '.',
    );
  }
  return parts.join('\n');
}

/** A propagation step's delays by hop count. */
function hopTable(step: RateResult): string {
  const rows = Object.entries(step.byHops).map(([hops, d]) => [
    hops,
    Object.entries(step.byMember)
      .filter(([, m]) => String(m.hops) === hops)
      .map(([n]) => n)
      .join(', '),
    int(d.n),
    f(d.p50),
    f(d.p99),
    f(d.maxAtMost, 1),
  ]);
  return table(['hops', 'members', 'messages', 'p50', 'p99', 'max ≤'], rows);
}

function propagationSection(p: PropagationResult): string {
  const { fixed, latencyFirst } = p;
  const stepRows = p.steps.map((s) => {
    const far = farthest(s);
    return [int(s.rate), int(s.load.acked), s.converged ? 'yes' : 'no', f(far.p50), f(far.p99), f(far.maxAtMost, 1), s.sustained ? 'yes' : 'no'];
  });
  return [
    `## 2. Propagation from ${p.origin} (an edge member)`,
    '',
    `One message at a time (50 updates/s, each alone in its message): ${int(p.lone.herdMicrosPerMessage)} µs of CPU per message over the five members (beyond their idle CPU), ` +
      `${int(p.lone.relayMicrosPerMessage)} µs of it at Bona, a relay without clients (${int(p.lone.messages)} messages).`,
    '',
    `At ${int(fixed.rate)} updates/s for ${fixed.seconds} s (${int(fixed.load.acked)} acknowledged, converged: ${fixed.converged ? 'yes' : 'no'}, the five members at ${f(fixed.membersCores)} cores); delays in ms from ${p.origin} receiving the first IAMAT of a gossip message to the member storing the message (one delay per message):`,
    '',
    hopTable(fixed),
    '',
    ...(latencyFirst
      ? [
          `The same on a herd whose members run with \`--pacing-target-load ${latencyFirst.targetLoad}\` (a message per record or nearly, until gossip keeps a member ${latencyFirst.targetLoad * 100} % busy): ${int(latencyFirst.step.load.acked)} acknowledged, converged: ${latencyFirst.step.converged ? 'yes' : 'no'}, the five members at **${f(latencyFirst.step.membersCores)} cores**:`,
          '',
          hopTable(latencyFirst.step),
          '',
        ]
      : []),
    `Rising rates, ${p.steps[0]?.seconds ?? '-'} s each, until one is not sustained; delays to the farthest members:`,
    '',
    table(['offered/s', 'acknowledged', 'converged in 2 s', 'p50 ms', 'p99 ms', 'max ≤ ms', 'sustained'], stepRows),
    '',
    `Highest sustained from one edge member: ${p.highest ? `**${int(p.highest.rate)}/s**` : 'none'}.`,
  ].join('\n');
}

const SUSTAINED_HEADER = [
  'offered/s',
  'acknowledged',
  'converged in 2 s',
  'p50 ms',
  'p99 ms',
  'max ≤ ms',
  'member CPU µs/update',
  'records/message',
  'cores: members / bench / others',
  'sustained',
];

function sustainedRow(st: SustainedStep): string[] {
  return [
    int(st.rate),
    int(st.load.acked),
    st.converged ? 'yes' : 'no',
    f(st.delays.p50),
    f(st.delays.p99),
    f(st.delays.maxAtMost, 1),
    f(st.memberCpuMicrosPerUpdate, 1),
    f(st.recordsPerGossipMessage, 1),
    `${f(st.cost.membersCores)} / ${f(st.cost.benchCores)} / ${f(st.cost.otherCores)}`,
    st.sustained ? 'yes' : 'no',
  ];
}

function durableSection(st: SustainedStep): string {
  return [
    `## 3b. Durable state: the same with every member on \`--data-dir\` (${st.seconds} s)`,
    '',
    table(SUSTAINED_HEADER, [sustainedRow(st)]),
  ].join('\n');
}

function sustainedSection(s: SustainedResult, profile: ProfileResult | undefined): string {
  const parts = [
    `## 3. Herd-wide sustained rate (fresh clients spread over all five members, ${s.steps[0]?.seconds ?? '-'} s per rate)`,
    '',
    table(SUSTAINED_HEADER, s.steps.map(sustainedRow)),
    '',
    `Highest sustained: ${s.highest ? `**${int(s.highest.rate)} updates/s**` : 'none'}.`,
  ];
  if (profile) {
    parts.push(
      '',
      `Where the members' CPU goes at ${int(profile.rate)}/s (${f(profile.memberCpuMicrosPerUpdate, 1)} µs per update over the five; \`--cpu-prof\` of every member, self time, idle excluded):`,
      '',
      table(
        ['category', 'share'],
        profile.categories.map(([c, share]) => [c, `${f(share * 100, 1)} %`]),
      ),
    );
  }
  return parts.join('\n');
}

function whatsatSection(w: WhatsatResult): string {
  const row = (label: string, l: WhatsatResult['offline']) => [label, int(l.n), f(l.p50), f(l.p99), int(l.replyBytes), String(l.errors)];
  return [
    '## 4. WHATSAT latency (one request at a time, radius 10 km, 5 results)',
    '',
    table(
      ['provider', 'requests', 'p50 ms', 'p99 ms', 'reply bytes', 'errors'],
      [
        row('offline (GeoNames)', w.offline),
        row('Google stand-in on loopback', w.google),
        ['the stand-in alone', int(w.standIn.n), f(w.standIn.p50), f(w.standIn.p99), '-', '-'],
      ],
    ),
    '',
    `Added by the member over the stand-in's own latency: p50 ${f(w.addedP50)} ms, p99 ${f(w.addedP99)} ms.`,
  ].join('\n');
}

function memorySection(memory: MemoryAt[] | undefined, burst: BurstResult | undefined): string {
  const parts = ['## 5. Memory'];
  if (memory) {
    parts.push(
      '',
      'One member alone, filled over the client protocol; heap (with array buffers, where the store keeps its lines) and RSS after a full collection, growth since the empty member:',
      '',
      table(
        ['clients', 'heap+buffers B/client', 'RSS B/client', 'heap+buffers MiB', 'RSS MiB'],
        memory.map((m) => [int(m.clients), int(m.heapBytesPerClient), int(m.rssBytesPerClient), int(m.heapUsedMiB), int(m.rssMiB)]),
      ),
    );
  }
  if (burst) {
    parts.push(
      '',
      `A burst of ${int(burst.count)} IAMATs at Clark (taken in ${f(burst.acceptSeconds)} s; all five held them ${f((burst.convergedAfterMs ?? Number.NaN) / 1000)} s later). Largest outbound backlog seen per member (${burst.samples} samples), KiB:`,
      '',
      table(
        ['member', 'total', 'outbox', 'signing', 'gossipsub queues', 'muxer/socket', 'peak RSS MiB'],
        Object.entries(burst.peakBacklog)
          .sort()
          .map(([name, b]) => [
            name,
            kib(b.total),
            kib(b.outbox),
            kib(b.signing),
            kib(b.gossipQueues),
            kib(b.muxerQueues),
            int(burst.peakRssMiB[name]),
          ]),
      ),
    );
  }
  return parts.join('\n');
}

function catchUpSection(c: CatchUpResult): string {
  return [
    '## 6. Catch-up',
    '',
    `Bailey restarted with an empty store and received all ${int(c.records)} records from its neighbours: first link up ${f(c.linkUpMs)} ms after its process started; every record held (digest equal) ` +
      `${f(c.fromLinkUpMs)} ms after that, **${f(c.fromStartMs)} ms** after the start. It received ${int(c.syncRecordsReceived)} records by sync ` +
      `(${f(c.syncRecordsReceived / c.records)} per record: more than 1 when its two neighbours sent the same records at once).`,
  ].join('\n');
}

function startupSection(s: StartupResult): string {
  return [
    '## 6b. Start-up',
    '',
    `From spawning \`herd start NAME\` to \`/readyz\` answering 200 (places indexed, links tried), median of ${s.runs} start(s), log level info:`,
    '',
    table(
      ['what', 'ms'],
      [
        ['`herd --version` (loading the CLI)', f(s.cliLoadMs, 0)],
        ['one member alone, to ready', f(s.oneMemberReadyMs, 0)],
        ['five members started at once, to the last ready', f(s.herdMembersReadyMs, 0)],
        ['five members started at once, to every link up', f(s.herdLinkedMs, 0)],
      ],
    ),
  ].join('\n');
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const parts = [
    '# herd benchmark',
    '',
    `Produced by \`${r.command}\` on ${r.date.slice(0, 10)}, in ${Math.round(r.durationSeconds)} s${r.quick ? ' (**--quick**: small sizes, not comparable)' : ''}.`,
    `Machine: ${m.model}, ${m.cores} cores, Node ${m.node}, Linux ${m.kernel}; load average ${m.loadAvgBefore.map((l) => l.toFixed(2)).join(' ')} before, ${m.loadAvgAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
    'Every scenario starts its own herd (five member processes from a fresh `herd init`, on 127.0.0.1, logging at info (the default) unless stated, offline places unless stated). How each figure is measured: docs/BENCHMARK.md.',
    '',
    '## Targets',
    '',
    targets(r),
  ];
  if (r.throughput) parts.push('', throughputSection(r.throughput));
  if (r.ratio) parts.push('', ratioSection(r.ratio));
  if (r.propagation) parts.push('', propagationSection(r.propagation));
  if (r.relay) parts.push('', relaySection(r.relay));
  if (r.sustained) parts.push('', sustainedSection(r.sustained, r.profile));
  if (r.durable) parts.push('', durableSection(r.durable));
  if (r.whatsat) parts.push('', whatsatSection(r.whatsat));
  if (r.memory || r.burst) parts.push('', memorySection(r.memory, r.burst));
  if (r.catchUp) parts.push('', catchUpSection(r.catchUp));
  if (r.startup) parts.push('', startupSection(r.startup));
  return `${parts.join('\n')}\n`;
}

/**
 * Where a member's CPU goes, from a V8 `.cpuprofile` (node --cpu-prof): self time of every
 * sampled node, attributed to a category by the function's script URL and name. Self time
 * means a native call (node:crypto's sign) counts where it is entered from JS: the
 * `sign`/`verify` frames of node:crypto are their own category. Only main-thread profiles
 * (file names `CPU.*.PID.0.*`) describe gossip; worker threads are the offline places index.
 *
 * Samples are wall-clock: on a machine busy with other work, time the process spent waiting
 * for a core is charged to whatever was on its stack. Compare shares, not absolute ms.
 *
 *   node dist/bench/lib/profile.js FILE.cpuprofile [...]
 */
import { readFileSync } from 'node:fs';

export const CATEGORIES = [
  'ours',
  'gossipsub',
  'protobuf',
  'noise',
  'yamux',
  'iterables',
  'libp2p',
  'crypto-sign-verify',
  'crypto-keyobject',
  'crypto-other',
  'node-net',
  'node-other',
  'microtasks',
  'gc',
  'startup',
  'idle',
  'program',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface ProfileBreakdown {
  /** Wall time covered by the profile, ms. */
  readonly totalMs: number;
  /** Sampled time that was not idle, ms. */
  readonly busyMs: number;
  /** Share of all sampled time per category, percent. */
  readonly percent: Record<Category, number>;
  /** Share of busy (non-idle) time per category, percent. */
  readonly busyPercent: Record<Category, number>;
  /** Heaviest self-time functions: "category name (file:line)" and ms. */
  readonly top: Array<{ readonly fn: string; readonly ms: number }>;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The category of one call frame. */
export function categorize(frame: CallFrame): Category {
  const { functionName: fn, url } = frame;
  if (url === '') {
    if (fn === '(garbage collector)') return 'gc';
    if (fn === '(idle)') return 'idle';
    if (fn === '(program)' || fn === '(root)') return 'program';
    if (/^(openFileHandle|internalModuleStat|fstat|readFileUtf8|compileFunction)$/.test(fn)) return 'startup';
    if (/^(writeBuffer|writev|writeUtf8String|writeLatin1String|onStreamRead)$/.test(fn)) return 'node-net';
    if (fn === 'runMicrotasks') return 'microtasks';
    return 'other'; // native builtins without a script
  }
  if (url.includes('/node_modules/')) {
    // Protobuf codecs: protons' runtime and the generated codecs (gossipsub's message/rpc.js).
    if (url.includes('/protons-runtime/') || /\/libp2p-gossipsub\/dist\/src\/message\//.test(url)) return 'protobuf';
    if (url.includes('/@chainsafe/libp2p-gossipsub/')) return 'gossipsub';
    if (url.includes('/@chainsafe/libp2p-noise/') || url.includes('/@chainsafe/as-chacha20poly1305/') || url.includes('/@chainsafe/as-sha256/'))
      return 'noise';
    if (url.includes('/@chainsafe/libp2p-yamux/')) return 'yamux';
    // Async-iteration plumbing between the layers: pipes, pushables, length-prefix framing, byte lists.
    if (
      /\/node_modules\/(it-[^/]+|uint8arraylist|p-queue|p-defer|race-signal|abort-error|@libp2p\/utils\/dist\/src\/(abstract-stream|queue))/.test(url)
    )
      return 'iterables';
    if (
      /\/node_modules\/(@libp2p\/|libp2p\/|@multiformats\/|multiformats\/|protons-runtime\/|uint8arraylist\/|uint8arrays\/|it-[^/]+\/|p-queue\/|@chainsafe\/|progress-events\/|main-event\/|race-signal\/|abort-error\/|eventemitter3\/|denque\/|@noble\/|weald\/)/.test(
        url,
      )
    )
      return 'libp2p';
    return 'other';
  }
  if (url.startsWith('node:') || !url.includes('/')) {
    // Module loading: a one-off at start, inflated by a busy machine; not per message.
    if (/^node:internal\/(modules|bootstrap)\//.test(url)) return 'startup';
    if (url === 'node:internal/crypto/sig' && /^(sign|verify|signOneShot|verifyOneShot)$/.test(fn)) return 'crypto-sign-verify';
    if (url === 'node:internal/crypto/keys' || url === 'node:internal/crypto/keygen') return 'crypto-keyobject';
    if (url.startsWith('node:internal/crypto/')) return 'crypto-other';
    if (/^node:(net|internal\/stream_base_commons|internal\/net|internal\/streams)/.test(url)) return 'node-net';
    return 'node-other';
  }
  if (url.includes('/dist/src/') || url.includes('/dist/bench/')) return 'ours';
  return 'other';
}

/**
 * Sample times are V8's monotonic clock in µs, the clock of `process.hrtime` on Linux, so a
 * window taken with `hrtimeMicros()` in another process on the same machine selects a phase.
 */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

export const hrtimeMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/** Main-thread profiles only: `CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile`, thread 0. */
export const isMainThreadProfile = (file: string): boolean => /\.\d+\.0\.\d+\.cpuprofile$/.test(file);

export function summarizeProfile(path: string, topN = 25, window?: Window): ProfileBreakdown {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime + (profile.timeDeltas[0] ?? 0);
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the gap before sample i; attribute the following gap to it instead.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    if (!window || (at >= window.fromUs && at < window.toUs)) selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
    at += dt;
  }
  const cat = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const c = categorize(node.callFrame);
    cat[c] += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.includes('/node_modules/') ? url.replace(/^.*\/node_modules\//, '') : url.replace(/^.*\/dist\//, 'dist/');
    const key = `${c} ${functionName || '(anonymous)'} ${short ? `(${short}:${lineNumber + 1})` : ''}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const total = Object.values(cat).reduce((a, b) => a + b, 0);
  const busy = total - cat.idle;
  const pct = (v: number, of: number) => (of > 0 ? Math.round((v / of) * 1000) / 10 : 0);
  return {
    totalMs: Math.round(total / 1000),
    busyMs: Math.round(busy / 1000),
    percent: Object.fromEntries(CATEGORIES.map((c) => [c, pct(cat[c], total)])) as Record<Category, number>,
    busyPercent: Object.fromEntries(CATEGORIES.map((c) => [c, c === 'idle' ? 0 : pct(cat[c], busy)])) as Record<Category, number>,
    top: [...fns]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10 })),
  };
}

/** Adds up several breakdowns (e.g. the five members), weighting by their busy time. */
export function combineBreakdowns(all: readonly ProfileBreakdown[]): Pick<ProfileBreakdown, 'busyMs' | 'busyPercent'> {
  const busyMs = all.reduce((s, b) => s + b.busyMs, 0);
  const busyPercent = Object.fromEntries(
    CATEGORIES.map((c) => [c, busyMs > 0 ? Math.round((all.reduce((s, b) => s + b.busyPercent[c] * b.busyMs, 0) / busyMs) * 10) / 10 : 0]),
  ) as Record<Category, number>;
  return { busyMs, busyPercent };
}

export function formatBreakdown(b: ProfileBreakdown, topN = 12): string {
  const cats = CATEGORIES.filter((c) => c !== 'idle' && b.busyPercent[c] > 0).sort((x, y) => b.busyPercent[y] - b.busyPercent[x]);
  return [
    `  busy ${b.busyMs} of ${b.totalMs} ms: ${cats.map((c) => `${c} ${b.busyPercent[c]}%`).join(', ')}`,
    ...b.top.slice(0, topN).map((t) => `    ${String(t.ms).padStart(8)} ms  ${t.fn}`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  const all = files.map((f) => summarizeProfile(f));
  files.forEach((f, i) => console.log(`${f}\n${formatBreakdown(all[i]!, 25)}`));
  if (all.length > 1) {
    const c = combineBreakdowns(all);
    console.log(
      `all: busy ${c.busyMs} ms: ${CATEGORIES.filter((k) => c.busyPercent[k] > 0)
        .map((k) => `${k} ${c.busyPercent[k]}%`)
        .join(', ')}`,
    );
  }
}

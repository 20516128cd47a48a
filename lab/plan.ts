/**
 * The lab's plan (pure): a run ID, the names of its network namespaces, each member's address
 * on the run's private /24, and topologies. Every name carries the run ID, so `down` can find
 * what a crashed run left and two runs never share a namespace or a subnet.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Every lab namespace starts with this; nothing else on the machine may. */
export const NS_PREFIX = 'hlab-';

/** Ports are the same for every member: each has its own address. */
export const CLIENT_PORT = 12000;
export const P2P_PORT = 12100;
export const ADMIN_PORT = 12200;

export type Link = readonly [string, string];

export interface MemberPlan {
  readonly name: string;
  /** 1-based; the member's address ends in 10 + index. */
  readonly index: number;
  readonly ns: string;
  readonly address: string;
}

export interface LabPlan {
  readonly runId: string;
  readonly subnet: string;
  readonly switchNs: string;
  readonly clientNs: string;
  readonly clientAddress: string;
  readonly members: readonly MemberPlan[];
  readonly links: readonly Link[];
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

/** A run's namespaces all look like `hlab-<run>-<part>`. */
export function runIdOfNamespace(ns: string): string | null {
  const match = /^hlab-([0-9a-f]{6})-/.exec(ns);
  return match ? match[1]! : null;
}

/** 10.A.B.0/24 from the run ID: two concurrent runs collide once in ~12,000. */
export function subnetOf(runId: string): string {
  const h = createHash('sha256').update(runId).digest();
  return `10.${200 + (h[0]! % 50)}.${h[1]!}`;
}

export function makePlan(runId: string, names: readonly string[], links: readonly Link[]): LabPlan {
  if (names.length > 200) throw new Error(`a lab holds at most 200 members (asked for ${names.length})`);
  const subnet = subnetOf(runId);
  const ns = (part: string) => `${NS_PREFIX}${runId}-${part}`;
  return {
    runId,
    subnet,
    switchNs: ns('switch'),
    clientNs: ns('client'),
    clientAddress: `${subnet}.2`,
    members: names.map((name, i) => ({ name, index: i + 1, ns: ns(`m${i + 1}`), address: `${subnet}.${11 + i}` })),
    links,
  };
}

/** The namespace of the relay on one link (see network.ts). */
export function relayNs(plan: LabPlan, a: MemberPlan, b: MemberPlan): string {
  const [x, y] = a.index < b.index ? [a, b] : [b, a];
  return `${NS_PREFIX}${plan.runId}-r${x.index}x${y.index}`;
}

export function memberNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `m${i + 1}`);
}

/**
 * A ring with chords: every member linked to the next one and to the one `step` further,
 * the step chosen for the smallest diameter (degree 4). Up to 5 members: a plain ring.
 */
export function ringWithChords(names: readonly string[]): Link[] {
  const n = names.length;
  const ring = (steps: readonly number[]) => {
    const seen = new Set<string>();
    const links: Link[] = [];
    for (let i = 0; i < n; i++) {
      for (const s of steps) {
        const j = (i + s) % n;
        const key = [Math.min(i, j), Math.max(i, j)].join('-');
        if (i === j || seen.has(key)) continue;
        seen.add(key);
        links.push([names[i]!, names[j]!]);
      }
    }
    return links;
  };
  if (n <= 5) return n === 2 ? [[names[0]!, names[1]!]] : ring([1]);
  let best = ring([1]);
  for (let step = 2; step <= n / 2; step++) {
    const candidate = ring([1, step]);
    if (diameter(names, candidate) < diameter(names, best)) best = candidate;
  }
  return best;
}

/** Hops from `from` to every member (breadth first). */
export function hopsFrom(from: string, names: readonly string[], links: readonly Link[]): Map<string, number> {
  const hops = new Map([[from, 0]]);
  for (let frontier = [from]; frontier.length > 0;) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const [a, b] of links) {
        const other = a === name ? b : b === name ? a : null;
        if (other !== null && !hops.has(other)) {
          hops.set(other, hops.get(name)! + 1);
          next.push(other);
        }
      }
    }
    frontier = next;
  }
  if (hops.size < names.length) return new Map(names.map((n) => [n, hops.get(n) ?? Number.POSITIVE_INFINITY]));
  return hops;
}

export function diameter(names: readonly string[], links: readonly Link[]): number {
  return Math.max(...names.map((n) => Math.max(...hopsFrom(n, names, links).values())));
}

/** `A-B,B-C` into links (the lab's member names contain no '-'). */
export function parseLinkList(text: string): Link[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair) => {
      const ends = pair.split('-');
      if (ends.length !== 2 || !ends[0] || !ends[1]) throw new Error(`--links: "${pair}" is not NAME-NAME`);
      return [ends[0], ends[1]] as const;
    });
}

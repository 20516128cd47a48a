/**
 * What `herd mesh` shows, computed from the herd file and each member's /status (pure).
 * The JSON form is a stable document for scripts; the table and DOT forms render it.
 */
import type { HerdConfig } from '../config/herdFile.js';
import type { MemberStatus } from '../net/status.js';

export type LinkState = 'up' | 'half-up' | 'down';

export interface MemberRow {
  readonly name: string;
  readonly peerId: string;
  readonly up: boolean;
  readonly linksUp: number;
  readonly linksExpected: number;
  /** Peers this member forwards gossip to: its mesh and its direct peers. */
  readonly gossipPeers: number;
  readonly records: number | null;
  readonly digest: string | null;
  readonly digestAgrees: boolean | null;
  readonly messagesIn: number | null;
  readonly messagesOut: number | null;
  readonly lastError: string | null;
}

export interface MeshReport {
  readonly members: MemberRow[];
  readonly links: Array<{ readonly a: string; readonly b: string; readonly state: LinkState }>;
  readonly majorityDigest: string | null;
  /** Every member up, every link up, every digest equal. */
  readonly healthy: boolean;
}

/** `statuses[name]` is the member's status, or the error that kept us from getting it. */
export function buildMeshReport(herd: HerdConfig, statuses: ReadonlyMap<string, MemberStatus | Error>): MeshReport {
  const ok = (name: string) => {
    const s = statuses.get(name);
    return s && !(s instanceof Error) ? s : undefined;
  };
  const sees = (from: string, to: string) => ok(from)?.neighbours.some((n) => n.name === to && n.connected) ?? false;
  const links = herd.links.map(([a, b]) => {
    const seen = Number(sees(a, b)) + Number(sees(b, a));
    const state: LinkState = seen === 2 ? 'up' : seen === 1 ? 'half-up' : 'down';
    return { a, b, state };
  });
  const majorityDigest = majority(herd.members.map((m) => ok(m.name)?.store.digest).filter((d): d is string => !!d));
  const members = herd.members.map((m): MemberRow => {
    const status = statuses.get(m.name);
    const s = ok(m.name);
    const expected = herd.links.filter(([a, b]) => a === m.name || b === m.name).length;
    return {
      name: m.name,
      peerId: m.peerId,
      up: !!s,
      linksUp: s ? s.neighbours.filter((n) => n.connected).length : 0,
      linksExpected: expected,
      gossipPeers: s ? new Set([...s.gossip.mesh, ...s.gossip.direct]).size : 0,
      records: s ? s.store.clients : null,
      digest: s ? s.store.digest : null,
      digestAgrees: s ? s.store.digest === majorityDigest : null,
      messagesIn: s ? s.counters.gossipMessagesAccepted : null,
      messagesOut: s ? s.counters.gossipMessagesPublished : null,
      lastError: s ? s.lastError : status instanceof Error ? status.message : 'no answer',
    };
  });
  const healthy = members.every((m) => m.up && m.digestAgrees) && links.every((l) => l.state === 'up');
  return { members, links, majorityDigest, healthy };
}

/** What keeps the herd from being healthy, one short phrase each ("Bona down", "link Clark - Bona half-up"). */
export function problemsOf(report: MeshReport): string[] {
  return [
    ...report.members.filter((m) => !m.up).map((m) => `${m.name} down`),
    ...report.links.filter((l) => l.state !== 'up').map((l) => `link ${l.a} - ${l.b} ${l.state}`),
    ...report.members.filter((m) => m.up && !m.digestAgrees).map((m) => `${m.name}'s store differs`),
  ];
}

function majority(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}

export function renderTable(report: MeshReport): string {
  const header = ['MEMBER', 'PEER ID', 'STATE', 'LINKS', 'GOSSIP', 'RECORDS', 'DIGEST', 'MSGS IN/OUT', 'LAST ERROR'];
  const rows = report.members.map((m) => [
    m.name,
    `…${m.peerId.slice(-8)}`,
    m.up ? 'up' : 'DOWN',
    `${m.linksUp}/${m.linksExpected}`,
    String(m.gossipPeers),
    m.records === null ? '-' : String(m.records),
    m.digest === null ? '-' : `${m.digest.slice(0, 8)}${m.digestAgrees ? '' : ' DIFFERS'}`,
    m.messagesIn === null ? '-' : `${m.messagesIn}/${m.messagesOut}`,
    m.lastError ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const links = report.links.map((l) => `  ${l.a} - ${l.b}: ${l.state}`);
  return [line(header), ...rows.map(line), '', 'links:', ...links, '', report.healthy ? 'herd healthy' : 'herd NOT healthy', ''].join('\n');
}

export function renderDot(report: MeshReport): string {
  const style: Record<LinkState, string> = { up: 'color=green', 'half-up': 'color=orange, style=dashed', down: 'color=red, style=dotted' };
  const nodes = report.members.map((m) => `  "${m.name}" [color=${m.up ? (m.digestAgrees ? 'green' : 'orange') : 'red'}];`);
  const edges = report.links.map((l) => `  "${l.a}" -- "${l.b}" [label="${l.state}", ${style[l.state]}];`);
  return ['graph herd {', ...nodes, ...edges, '}', ''].join('\n');
}

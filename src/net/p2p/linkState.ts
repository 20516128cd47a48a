/**
 * Which links of the herd are up, as far as this member knows: its own links first hand, the
 * others from each member's own report, gossiped on LINKS_TOPIC whenever its links change
 * (and now and then). A link counts as up only when both its ends say so, so a link one end
 * lost is out of every tree as soon as that end's report arrives. A member that never
 * reported has no links in this view; until every member has reported, the trees are not
 * used (treeForwarding.ts), so a member just started does not leave others out.
 *
 * A report is `BOOT COUNTER NAME,NAME,...` in latin1: BOOT is the reporting process's start
 * (ms since the epoch) and COUNTER counts its reports, so a restarted member's reports replace
 * its old ones, and an old report arriving late changes nothing.
 */
import { graphOf, type LinkGraph } from '../../core/trees.js';

interface Report {
  readonly boot: number;
  readonly counter: number;
  readonly up: ReadonlySet<string>;
}

/** `first`: the first report of this member's process (it started, or this member did). */
export type ReportVerdict = 'first' | 'newer' | 'stale' | 'invalid';

export class LinkStateBook {
  private readonly reports = new Map<string, Report>();
  private own = new Set<string>();
  private counter = 0;
  private readonly boot = Date.now();
  private readonly members: ReadonlySet<string>;

  constructor(
    private readonly self: string,
    private readonly links: ReadonlyArray<readonly [string, string]>,
  ) {
    this.members = new Set(links.flat());
  }

  /** This member's links up now; true when that changed. */
  setOwn(up: Iterable<string>): boolean {
    const next = new Set(up);
    const changed = next.size !== this.own.size || [...next].some((n) => !this.own.has(n));
    this.own = next;
    return changed;
  }

  /** This member's report, for the wire. */
  ownReport(): Uint8Array {
    return Buffer.from(`${this.boot} ${++this.counter} ${[...this.own].sort().join(',')}`, 'latin1');
  }

  /** Takes `member`'s report if it is newer than the one held. */
  take(member: string, bytes: Uint8Array): ReportVerdict {
    const report = parseReport(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), this.members);
    if (!report || member === this.self) return 'invalid';
    const held = this.reports.get(member);
    if (held && (held.boot > report.boot || (held.boot === report.boot && held.counter >= report.counter))) return 'stale';
    this.reports.set(member, report);
    return held?.boot === report.boot ? 'newer' : 'first';
  }

  /** Whether every other member has reported since this one started. */
  complete(): boolean {
    return this.reports.size === this.members.size - 1;
  }

  /** The links both ends report up (this member's own: as it sees them). */
  graph(): LinkGraph {
    const says = (a: string, b: string) => (a === this.self ? this.own.has(b) : this.reports.get(a)?.up.has(b) === true);
    return graphOf(this.links, (a, b) => says(a, b) && says(b, a));
  }
}

function parseReport(text: string, members: ReadonlySet<string>): Report | undefined {
  const match = /^(\d{1,15}) (\d{1,15}) ([^ ]*)$/.exec(text);
  if (!match) return undefined;
  const up = match[3] === '' ? [] : match[3]!.split(',');
  if (!up.every((n) => members.has(n))) return undefined;
  return { boot: Number(match[1]), counter: Number(match[2]), up: new Set(up) };
}

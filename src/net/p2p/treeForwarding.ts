/**
 * Gossip along the origin's shortest-path tree. gossipsub forwards a message to every direct
 * peer but the one it came from: on the demo topology a message crosses the links 8 times
 * where 4 would do, and every extra copy costs both ends a trip through noise, yamux and
 * gossipsub. `forwardOnly` hooks gossipsub 14's `forwardMessage` (its only forwarding path;
 * own messages go out through `publish`, to every neighbour, which is the tree's first hop);
 * `TreeRouter` says whom to leave out, from the link view of linkState.ts.
 *
 * When the view changes, a member may become the parent of a neighbour that missed messages
 * meanwhile (the link it hung from was cut): `onNewChild` fires for such a neighbour, and the
 * member syncs with it, as it does on every link-up.
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import { treeChildren } from '../../core/trees.js';
import type { LinkStateBook } from './linkState.js';

interface Forwarding {
  forwardMessage(msgIdStr: string, rawMsg: { topic: string; from?: Uint8Array }, propagationSource?: string, excludePeers?: Set<string>): void;
}

/** `skip(from)`: the peers not to pass `topic` messages signed by `from` (multihash bytes) to. */
export function forwardOnly(pubsub: GossipSub, topic: string, skip: (from: Uint8Array) => ReadonlySet<string> | undefined): void {
  const gs = pubsub as unknown as Forwarding;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- taken off gossipsub on purpose: the hook below calls it with gossipsub as `this`
  const forward = gs.forwardMessage;
  gs.forwardMessage = function (this: Forwarding, msgIdStr, rawMsg, source, exclude) {
    const skipped = rawMsg.topic === topic && rawMsg.from ? skip(rawMsg.from) : undefined;
    if (skipped && skipped.size > 0) exclude = exclude ? new Set([...exclude, ...skipped]) : (skipped as Set<string>);
    forward.call(this, msgIdStr, rawMsg, source, exclude);
  };
}

export interface Member {
  readonly name: string;
  readonly peerId: string;
  /** Its peer ID's multihash bytes: gossipsub's `from`. */
  readonly from: Uint8Array;
}

export interface TreeRouterInit {
  readonly self: string;
  readonly members: readonly Member[];
  /** This member's neighbours by name. */
  readonly neighbours: readonly string[];
  readonly book: LinkStateBook;
  /** A neighbour became this member's child in some origin's tree. */
  readonly onNewChild: (peerId: string) => void;
}

export class TreeRouter {
  /** Per origin (latin1 of its `from`): the neighbours' peer IDs to skip; absent: skip none. */
  private skips = new Map<string, ReadonlySet<string>>();
  /** Per origin name: the children now; absent: every neighbour (flooding). */
  private children = new Map<string, ReadonlySet<string>>();
  private readonly peerIdOf: ReadonlyMap<string, string>;

  constructor(private readonly init: TreeRouterInit) {
    this.peerIdOf = new Map(init.members.map((m) => [m.name, m.peerId]));
  }

  skipFor(from: Uint8Array): ReadonlySet<string> | undefined {
    return this.skips.get(latin1(from));
  }

  /** The view changed: new trees, and a sync with each neighbour that became a child. */
  recompute(): void {
    const { self, members, neighbours, book } = this.init;
    const graph = book.graph();
    const skips = new Map<string, ReadonlySet<string>>();
    const children = new Map<string, ReadonlySet<string>>();
    const gained = new Set<string>();
    // Views that differ while reports are still arriving could leave a member out: flood until then.
    for (const origin of book.complete() ? members : []) {
      if (origin.name === self) continue;
      const now = treeChildren(graph, origin.name, self);
      const before = this.children.get(origin.name) ?? new Set(neighbours);
      if (now === undefined) continue; // not reached in this view: flood
      const set = new Set(now);
      children.set(origin.name, set);
      skips.set(latin1(origin.from), new Set(neighbours.filter((n) => !set.has(n)).map((n) => this.peerIdOf.get(n)!)));
      for (const n of now) if (!before.has(n)) gained.add(n);
    }
    this.skips = skips;
    this.children = children;
    for (const n of gained) this.init.onNewChild(this.peerIdOf.get(n)!);
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

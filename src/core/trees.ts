/**
 * Shortest-path trees over the herd's links. Every member forwards a message only to its
 * children in the tree of the message's origin, so each member gets one copy over one link
 * instead of one over every link (the demo topology: 4 link crossings per message, not 8),
 * with the same hop counts as flooding. Every member computes the same trees from the same
 * view of the links: a member's parent is, of its neighbours one hop nearer the origin, the
 * first by name.
 */

/** Neighbours of each member over the links up now; both directions are listed. */
export type LinkGraph = ReadonlyMap<string, ReadonlySet<string>>;

/**
 * The neighbours `self` passes `origin`'s messages to, or undefined when `self` cannot be
 * reached from `origin` in this view (the view is behind: pass the message to everyone).
 */
export function treeChildren(graph: LinkGraph, origin: string, self: string): string[] | undefined {
  const hops = hopsFrom(graph, origin);
  const own = hops.get(self);
  if (own === undefined) return undefined;
  const children: string[] = [];
  for (const n of graph.get(self) ?? []) {
    if (hops.get(n) === own + 1 && parentOf(graph, hops, n) === self) children.push(n);
  }
  return children.sort();
}

function hopsFrom(graph: LinkGraph, origin: string): Map<string, number> {
  const hops = new Map([[origin, 0]]);
  const queue = [origin];
  for (let i = 0; i < queue.length; i++) {
    const at = queue[i]!;
    for (const n of graph.get(at) ?? []) {
      if (hops.has(n)) continue;
      hops.set(n, hops.get(at)! + 1);
      queue.push(n);
    }
  }
  return hops;
}

function parentOf(graph: LinkGraph, hops: ReadonlyMap<string, number>, member: string): string | undefined {
  const nearer = hops.get(member)! - 1;
  let parent: string | undefined;
  for (const n of graph.get(member) ?? []) {
    if (hops.get(n) === nearer && (parent === undefined || n < parent)) parent = n;
  }
  return parent;
}

/** The graph of `links` (pairs of member names) whose `isUp` holds. */
export function graphOf(links: ReadonlyArray<readonly [string, string]>, isUp: (a: string, b: string) => boolean): LinkGraph {
  const graph = new Map<string, Set<string>>();
  const add = (a: string, b: string) => {
    let set = graph.get(a);
    if (!set) graph.set(a, (set = new Set()));
    set.add(b);
  };
  for (const [a, b] of links) {
    if (!isUp(a, b)) continue;
    add(a, b);
    add(b, a);
  }
  return graph;
}

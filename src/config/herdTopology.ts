/** The herd file as one member's libp2p side needs it (see net/p2p/topology.ts). */
import type { HerdTopology } from '../net/p2p/topology.js';
import { findMember, neighboursOf, type HerdConfig } from './herdFile.js';

export interface TopologyOptions {
  /** Listen for peers here instead of the herd file's p2pPort (port forwarding, a relay); neighbours still dial the herd file's. */
  readonly listenPort?: number;
}

export function herdTopology(herd: HerdConfig, name: string, options: TopologyOptions = {}): HerdTopology {
  const self = findMember(herd, name);
  return {
    self: { name, peerId: self.peerId, keyFile: self.keyPath, listen: { host: self.host, port: options.listenPort ?? self.p2pPort } },
    neighbours: neighboursOf(herd, name).map((neighbour) => {
      const m = findMember(herd, neighbour); // parseHerd checked every link end
      return { name: m.name, peerId: m.peerId, address: { host: m.host, port: m.p2pPort } };
    }),
    members: herd.members.map(({ name, peerId }) => ({ name, peerId })),
    links: herd.links,
    source: herd.file,
  };
}

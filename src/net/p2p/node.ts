/**
 * A member's libp2p side, the front door: `startHerdNode` checks the key, builds libp2p
 * (buildLibp2p.ts) and starts a `HerdNode` (herdNode.ts) on it. `HerdNode.stop` undoes it.
 */
import './shim.js'; // must precede libp2p: the peer store calls Promise.withResolvers
import { cacheEd25519VerifyKeys } from './ed25519Verify.js';
import { buildLibp2p } from './buildLibp2p.js';
import { HerdNodeError } from './errors.js';
import { HerdNode, type HerdNodeInit } from './herdNode.js';
import { peerIdOf } from './keys.js';
import { neighbourLinks } from './topology.js';
import { updateYamuxWindowAtHalf } from './yamuxWindow.js';

export { HerdNode, HerdNodeError };
export type { Backlog } from './backlog.js';
export type { HerdServices } from './buildLibp2p.js';
export type { GossipView } from './gossipView.js';
export type { HerdNodeEvents, HerdNodeInit, HerdNodeTuning } from './herdNode.js';
export type { LinkInfo, LinkTuning } from './links.js';
export type { HerdTopology } from './topology.js';
export type { GossipCounters } from './validate.js';

export async function startHerdNode(init: HerdNodeInit): Promise<HerdNode> {
  updateYamuxWindowAtHalf();
  cacheEd25519VerifyKeys();
  const { self, source } = init.topology;
  const actual = peerIdOf(init.privateKey);
  if (actual !== self.peerId) {
    throw new HerdNodeError('HERD_P2P', `member ${self.name}: key file ${self.keyFile} holds peer ID ${actual}, but ${source} says ${self.peerId}`);
  }
  const log = init.log.child?.({ component: 'p2p' }) ?? init.log;
  const neighbours = neighbourLinks(init.topology);
  const libp2p = await buildLibp2p({ ...init, neighbours, log });
  const node = new HerdNode(init, libp2p, neighbours, log);
  try {
    await node.start();
  } catch (err) {
    await Promise.resolve(libp2p.stop()).catch(() => {});
    throw new HerdNodeError('HERD_P2P', `member ${self.name}: cannot start libp2p on ${self.listen.host}:${self.listen.port} (${oneLine(err)})`, {
      cause: err,
    });
  }
  return node;
}

/**
 * libp2p's listen failure is a paragraph with stack traces; the line naming the address and
 * the socket error ("/ip4/.../tcp/N: Error: listen EADDRINUSE ...") is the one that matters.
 */
function oneLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^\/\S+: /.test(l)) ?? lines[0] ?? 'unknown error';
}

/**
 * The connection gater: a member talks to its linked neighbours and to nobody else.
 * Inbound, the first hook that knows the remote peer is `denyInboundEncryptedConnection`
 * (after the noise handshake proves the peer ID); outbound, dials are refused before any
 * socket is opened unless they go to a neighbour this member is meant to dial, at the
 * address the herd file gives for it.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/ports.js';
import { withoutPeerId } from './addresses.js';

export interface GaterPolicy {
  /** Peer ID string to neighbour name, for every linked neighbour. */
  readonly neighbours: ReadonlyMap<string, string>;
  /** Peer IDs of the neighbours this member dials (the other side of those links accepts). */
  readonly dialable: ReadonlySet<string>;
  /** The configured addresses of the dialable neighbours, without `/p2p/...`. */
  readonly dialAddresses: ReadonlySet<string>;
}

/** A refused outsider is logged at most this often, so a persistent one cannot flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export function herdGater(policy: GaterPolicy, log: Logger): ConnectionGater {
  const lastLogged = new Map<string, number>();
  const refuseInbound = (peer: PeerId, maConn: MultiaddrConnection): boolean => {
    const id = peer.toString();
    if (policy.neighbours.has(id)) return false;
    const now = Date.now();
    if ((lastLogged.get(id) ?? 0) + REFUSAL_LOG_INTERVAL_MS <= now) {
      if (lastLogged.size > 1000) lastLogged.clear(); // bounded, whoever keeps trying
      lastLogged.set(id, now);
      log.warn({ peer: id, remoteAddr: maConn.remoteAddr.toString() }, 'refused a connection from a peer that is not a neighbour');
    }
    return true;
  };
  return {
    denyDialPeer: (peer: PeerId) => !policy.dialable.has(peer.toString()),
    denyDialMultiaddr: (addr: Multiaddr) => !policy.dialAddresses.has(withoutPeerId(addr)),
    denyInboundEncryptedConnection: refuseInbound,
    // Outbound the noise handshake checks the peer ID we asked for; this is belt and braces.
    denyOutboundEncryptedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
    denyInboundUpgradedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
    denyOutboundUpgradedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
  };
}

/**
 * The connection gater: a member talks to its linked neighbours and to nobody else.
 * Inbound, a connection from an address that is no neighbour's (nor allowed by
 * `--p2p-allow-from`) is refused at once, before any handshake, so outsiders cannot hold
 * the few pending-handshake slots a neighbour's redial needs; then
 * `denyInboundEncryptedConnection` checks the peer ID the noise handshake proved.
 * Outbound, dials are refused before any socket is opened unless they go to a neighbour this
 * member is meant to dial, at the address the herd file gives for it.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { BlockList } from 'node:net';
import type { Logger } from '../../core/ports.js';
import { isAllowedSource, withoutPeerId } from './addresses.js';

export interface GaterPolicy {
  /** Peer ID strings of every linked neighbour. */
  readonly neighbours: ReadonlySet<string>;
  /** Peer IDs of the neighbours this member dials (the other side of those links accepts). */
  readonly dialable: ReadonlySet<string>;
  /** The configured addresses of the dialable neighbours, without `/p2p/...`. */
  readonly dialAddresses: ReadonlySet<string>;
  /** Where inbound connections may come from (see `inboundSources`). */
  readonly inboundSources: BlockList;
}

/** A refused outsider is logged at most this often, so a persistent one cannot flood the log. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

export function herdGater(policy: GaterPolicy, log: Logger): ConnectionGater {
  const lastLogged = new Map<string, number>();
  /** A refusal is logged once a minute per peer or address at most: bounded, whoever keeps trying. */
  const logRefusal = (key: string, fields: Record<string, unknown>, msg: string): void => {
    const now = Date.now();
    if ((lastLogged.get(key) ?? 0) + REFUSAL_LOG_INTERVAL_MS > now) return;
    if (lastLogged.size > 1000) lastLogged.clear();
    lastLogged.set(key, now);
    log.warn(fields, msg);
  };
  const refuseInbound = (peer: PeerId, maConn: MultiaddrConnection): boolean => {
    const id = peer.toString();
    if (policy.neighbours.has(id)) return false;
    logRefusal(id, { peer: id, remoteAddr: maConn.remoteAddr.toString() }, 'refused a connection from a peer that is not a neighbour');
    return true;
  };
  return {
    denyInboundConnection: (maConn: MultiaddrConnection) => {
      const { address } = maConn.remoteAddr.nodeAddress();
      if (isAllowedSource(policy.inboundSources, address)) return false;
      logRefusal(
        address,
        { remoteAddr: maConn.remoteAddr.toString() },
        "refused a connection from an address that is no neighbour's (see --p2p-allow-from)",
      );
      return true;
    },
    denyDialPeer: (peer: PeerId) => !policy.dialable.has(peer.toString()),
    denyDialMultiaddr: (addr: Multiaddr) => !policy.dialAddresses.has(withoutPeerId(addr)),
    denyInboundEncryptedConnection: refuseInbound,
    // Outbound the noise handshake checks the peer ID we asked for; this is belt and braces.
    denyOutboundEncryptedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
    denyInboundUpgradedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
    denyOutboundUpgradedConnection: (peer: PeerId) => !policy.neighbours.has(peer.toString()),
  };
}

/**
 * The libp2p node of a member, built but not started: TCP + noise + yamux + identify + ping +
 * gossipsub, and a gater that admits only linked neighbours (gater.ts).
 */
import './shim.js'; // must precede libp2p: the peer store calls Promise.withResolvers
import { gossipsub, type GossipsubEvents } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import type { Libp2p, PrivateKey, PubSub } from '@libp2p/interface';
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { Logger } from '../../core/ports.js';
import { inboundSources, listenAddresses, withoutPeerId } from './addresses.js';
import {
  DIRECT_CONNECT_TICKS,
  INBOUND_CONNECTION_THRESHOLD,
  INBOUND_UPGRADE_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_INCOMING_PENDING_CONNECTIONS,
  MAX_OUTBOUND_BUFFER_BYTES,
} from './constants.js';
import { HerdNodeError } from './errors.js';
import { herdGater, type GaterPolicy } from './gater.js';
import { withCachedSigner } from './keys.js';
import { LINK_DEFAULTS, type Neighbour } from './links.js';
import { fastMessageId, messageId } from './messageIds.js';
import type { HerdTopology } from './topology.js';

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type HerdServices = {
  identify: Identify;
  ping: Ping;
  pubsub: PubSub<GossipsubEvents>;
};

export const GOSSIPSUB_DEFAULTS = {
  /** Neighbours as gossipsub direct peers: usable at once, no mesh wait. */
  directPeers: true,
  /**
   * Gossipsub heartbeat. Neighbours are direct peers, so delivery does not wait for it; it
   * only paces mesh upkeep and cache expiry, and libp2p's 1 s default is fine for that.
   */
  heartbeatIntervalMs: 1_000,
} as const;

export interface GossipsubTuning {
  readonly directPeers?: boolean;
  readonly heartbeatIntervalMs?: number;
}

export interface BuildInit {
  readonly topology: HerdTopology;
  readonly neighbours: readonly Neighbour[];
  readonly privateKey: PrivateKey;
  readonly log: Logger;
  readonly tuning?: GossipsubTuning;
  /** CIDRs or addresses inbound peer connections may also come from (neighbours behind NAT). */
  readonly allowFrom?: readonly string[];
}

export async function buildLibp2p(init: BuildInit): Promise<Libp2p<HerdServices>> {
  const { self } = init.topology;
  const listen = await listenAddresses(self.listen.host, self.listen.port).catch((err: Error) => {
    throw new HerdNodeError('HERD_P2P', `member ${self.name}: ${err.message}`, { cause: err });
  });
  const sources = await inboundSources(
    init.topology.neighbours.map((n) => n.address.host),
    init.allowFrom ?? [],
  );
  return createLibp2p<HerdServices>({
    // Same key and signatures; gossipsub's per-message sign skips @libp2p/crypto's JWK import
    // (~100 -> ~37 us per signature in a micro-benchmark; about 1% of a message's herd CPU).
    privateKey: withCachedSigner(init.privateKey),
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: herdGater({ ...gaterPolicy(init.neighbours), inboundSources: sources }, init.log),
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      maxIncomingPendingConnections: MAX_INCOMING_PENDING_CONNECTIONS,
      inboundUpgradeTimeout: INBOUND_UPGRADE_TIMEOUT_MS,
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      dialTimeout: LINK_DEFAULTS.dialTimeoutMs,
      reconnectRetries: 0, // the link manager redials; libp2p's KEEP_ALIVE retries give up in ms
    },
    // The monitor aborts a connection whose ping is stuck behind a gossip burst; the link
    // manager pings instead (linkPing.ts), with a generous timeout.
    connectionMonitor: { enabled: false },
    services: {
      identify: identify(),
      // Links are probed with yamux PING frames (linkPing.ts); the ping protocol still answers
      // members of earlier versions, which probe with it, during a rolling upgrade.
      ping: ping(),
      pubsub: gossipsub(gossipOptions(init.neighbours, init.tuning)),
    },
    start: false,
  });
}

function gaterPolicy(neighbours: readonly Neighbour[]): Omit<GaterPolicy, 'inboundSources'> {
  const dialable = neighbours.filter((n) => n.dials);
  return {
    neighbours: new Set(neighbours.map((n) => n.peerId.toString())),
    dialable: new Set(dialable.map((n) => n.peerId.toString())),
    dialAddresses: new Set(dialable.map((n) => withoutPeerId(n.address))),
  };
}

function gossipOptions(neighbours: readonly Neighbour[], tuning: GossipsubTuning = {}): Parameters<typeof gossipsub>[0] {
  const directPeers = tuning.directPeers ?? GOSSIPSUB_DEFAULTS.directPeers;
  return {
    globalSignaturePolicy: 'StrictSign',
    allowPublishToZeroTopicPeers: true, // a member with every link down still answers IAMAT
    emitSelf: false,
    fallbackToFloodsub: false, // every member speaks gossipsub; one protocol less to negotiate
    directPeers: directPeers ? neighbours.map((n) => ({ id: n.peerId, addrs: [n.address.decapsulateCode(421)] })) : [],
    directConnectTicks: DIRECT_CONNECT_TICKS,
    heartbeatInterval: tuning.heartbeatIntervalMs ?? GOSSIPSUB_DEFAULTS.heartbeatIntervalMs,
    maxOutboundBufferSize: MAX_OUTBOUND_BUFFER_BYTES,
    // Every neighbour is a direct peer, never in the mesh, so an IDONTWANT has no one to go to;
    // gossipsub would still encode one for every message it receives.
    idontwantMinDataSize: Number.MAX_SAFE_INTEGER,
    fastMsgIdFn: fastMessageId,
    msgIdFn: messageId,
    // Every member of a demo herd shares one IP; colocation is no sign of a Sybil here.
    scoreParams: { IPColocationFactorWeight: 0 },
  };
}

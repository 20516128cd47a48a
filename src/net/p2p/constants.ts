/**
 * Fixed values of the member's libp2p side, each with the reason it has this value: protocol
 * constants and settings no caller overrides. What a caller may tune has its default in a
 * `<THING>_DEFAULTS` object beside its options (OUTBOX_DEFAULTS, PACING_DEFAULTS, LINK_DEFAULTS,
 * CONGESTION_DEFAULTS, GOSSIPSUB_DEFAULTS, SYNC_DEFAULTS).
 */

/** The one gossip topic. Versioned so that a future record codec can live beside this one. */
export const LOCATIONS_TOPIC = 'herd/locations/1';

/** Each member's report of its links that are up (linkState.ts), for the gossip trees. */
export const LINKS_TOPIC = 'herd/links/1';

/**
 * How often a member repeats its link report even when nothing changed: a report lost to a
 * link going down at the wrong moment is repaired within this long. One small message each.
 */
export const LINK_REPORT_REFRESH_MS = 10_000;

/** Each failed dial multiplies the delay by this. */
export const REDIAL_FACTOR = 2;

/**
 * Fraction of each delay that is random, so that members restarted together do not redial
 * in lockstep.
 */
export const REDIAL_JITTER = 0.5;

/**
 * A link that stayed up this long resets the redial backoff. A link closed sooner (e.g. the
 * other side's gater refuses us after the handshake) keeps backing off instead of spinning.
 */
export const LINK_STABLE_MS = 5_000;

/**
 * How long after a link connects `onLinkUp` waits for gossip to flow to the neighbour
 * (subscription known, stream open; tens of ms on a LAN) before reporting the link anyway.
 */
export const GOSSIP_READY_TIMEOUT_MS = 10_000;

/** How often that readiness is re-checked: gossipsub has no event for its outbound stream. */
export const GOSSIP_READY_POLL_MS = 5;

/** The same past the timeout: a neighbour that never subscribes is watched, but gently. */
export const GOSSIP_LATE_POLL_MS = 100;

/**
 * Pings go every fifth of the timeout (at most every 100 ms): 2 s by default. A ping is one
 * yamux PING frame each way (linkPing.ts). Idle members of a five-member ring in the lab
 * (`node dist/bench/lab-idle.js`) used 1.12 % of a core with a ping every second, 0.76 % every
 * 2 s and 0.73 % every 2 minutes; 1.90 % every 2 s when each ping opened a stream.
 */
export function livenessIntervalFor(linkTimeoutMs: number): number {
  return Math.max(100, Math.round(linkTimeoutMs / 5));
}

/**
 * New inbound connections per second from one IP address. libp2p's default (5) is shared by
 * every member on one host (127.0.0.1 in the demo), so a herd restart tripped it.
 */
export const INBOUND_CONNECTION_THRESHOLD = 100;

/**
 * Inbound connections in their handshake at once. Outsiders' addresses are refused before the
 * handshake; what remains (a neighbour's address shared by others, an allowed NAT range) can
 * hold a slot for at most the upgrade timeout below.
 */
export const MAX_INCOMING_PENDING_CONNECTIONS = 16;

/** Noise and yamux take milliseconds between neighbours; libp2p's default held a slot 10 s. */
export const INBOUND_UPGRADE_TIMEOUT_MS = 3_000;

/** A member has a handful of neighbours; anything beyond this is pruned by libp2p. */
export const MAX_CONNECTIONS = 64;

/**
 * Gossipsub redials direct peers every this many heartbeats, and a failed or refused dial
 * aborts that heartbeat. The link manager owns dialling, so gossipsub never needs to.
 */
export const DIRECT_CONNECT_TICKS = 1_000_000_000;

/**
 * Per-peer cap of a gossipsub outbound queue. Past it gossipsub drops messages for that peer
 * (the sync protocol repairs them). Congestion stops publishers long before this.
 */
export const MAX_OUTBOUND_BUFFER_BYTES = 64 * 1024 * 1024;

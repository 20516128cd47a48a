/** Defaults of the member's libp2p side, each with the reason it has this value. */

/** The one gossip topic. Versioned so that a future record codec can live beside this one. */
export const LOCATIONS_TOPIC = 'herd/locations/1';

/** Each member's report of its links that are up (linkState.ts), for the gossip trees. */
export const LINKS_TOPIC = 'herd/links/1';

/**
 * How often a member repeats its link report even when nothing changed: a report lost to a
 * link going down at the wrong moment is repaired within this long. One small message each.
 */
export const LINK_REPORT_REFRESH_MS = 10_000;

/**
 * Records per gossip message. One signature and one validation then cover many records under
 * load, while one message still validates in well under gossipsub's 100 ms validator budget.
 */
export const OUTBOX_MAX_RECORDS = 500;

/**
 * Bytes per gossip message. Far below the 4 MiB length-prefix limit of the gossipsub stream
 * decoder, and small enough that a message does not hold a yamux stream for long.
 */
export const OUTBOX_MAX_BYTES = 256 * 1024;

/**
 * Share of its event loop a member lets gossip pacing aim for (see pacing.ts). A message costs
 * every member about 1-3 ms of CPU whatever it carries, so the spacing decides the herd's CPU
 * at light load: flushing every turn, 200 updates/s at one member kept all five near a core
 * each. Lower means bigger batches and more latency; higher, the reverse.
 */
export const PACING_TARGET_LOAD = 0.2;

/**
 * Longest spacing between two messages of one member: the latency pacing may add at most.
 * 20 ms per member at a herd-wide load held 35,000 updates/s (with a fixed spacing).
 */
export const PACING_MAX_MS = 40;

/** How often pacing looks at the event loop's utilisation (at most; only while publishing). */
export const PACING_SAMPLE_MS = 50;

/** First redial delay after a link drops: long enough not to spin on a refused port. */
export const REDIAL_INITIAL_MS = 250;

/**
 * Redial delay cap: a neighbour that comes back is found within about this long. A refused
 * dial costs next to nothing, and one to a dead host is one pending connect per neighbour, so
 * once a second is cheap; with 10 s, a restarted member waited 1.5 s on average for the links
 * its neighbours dial, most of its 2.2 s catch-up of 100k records (`npm run bench`).
 */
export const REDIAL_MAX_MS = 1_000;

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

/** One dial attempt, TCP connect plus noise and yamux upgrade; loopback takes a few ms. */
export const DIAL_TIMEOUT_MS = 5_000;

/**
 * How long after a link connects `onLinkUp` waits for gossip to flow to the neighbour
 * (subscription known, stream open; tens of ms on a LAN) before reporting the link anyway.
 */
export const GOSSIP_READY_TIMEOUT_MS = 10_000;

/** How often that readiness is re-checked: gossipsub has no event for its outbound stream. */
export const GOSSIP_READY_POLL_MS = 5;

/**
 * A link with no ping answered for this long is closed (and, on the dialling side, redialled):
 * how long a dead neighbour goes unnoticed, and how much queueing a live but congested link
 * may show before it is wrongly closed. The ping shares the TCP connection with gossip, so on
 * a saturated link it waits behind everything queued. Measured in the network lab (`npm run
 * lab`, test/whole-herd/lab.test.ts): a 1 Mbit/s link under 2,000 updates/s held pings back up
 * to 3.2 s, and the old rule (3 unanswered pings, 1 s apart, 2 s each) closed it; a cut link
 * is noticed after this long plus at most one ping interval (10-12 s). The old default (5 s
 * pings given 10 s, 3 misses) took about 35 s by its arithmetic. See README "Deployment across machines".
 */
export const LINK_TIMEOUT_MS = 10_000;

/** The same past the timeout: a neighbour that never subscribes is watched, but gently. */
export const GOSSIP_LATE_POLL_MS = 100;

/**
 * Pings go every fifth of the timeout (at most every 100 ms): 2 s by default. A ping opens a
 * stream and costs both ends CPU: in the lab, idle members of a five-member ring used 4.6% of a
 * core with a ping every second, 3.0% every 2 s, 1.3% every 2 minutes (`node dist/bench/lab-idle.js`).
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
 * Gossipsub heartbeat. Neighbours are direct peers, so delivery does not wait for it; it
 * only paces mesh upkeep and cache expiry, and libp2p's 1 s default is fine for that.
 */
export const HEARTBEAT_INTERVAL_MS = 1_000;

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

/**
 * Outbound backlog (outbox + messages being signed + gossipsub queues + bytes waiting for
 * the sockets) above which the member reports congestion, so the client adapter stops
 * reading. A few MiB keep a fast link busy while bounding memory and added latency.
 */
export const CONGESTION_HIGH_BYTES = 8 * 1024 * 1024;

/** Backlog below which congestion ends; the gap avoids flapping around one threshold. */
export const CONGESTION_LOW_BYTES = 2 * 1024 * 1024;

/** How often the backlog is re-measured while congested, to report the drain promptly. */
export const CONGESTION_POLL_MS = 10;

/**
 * Links to the neighbours: which are up, since when, which way, their RTT; keeping them up.
 * One side of each link dials (see `dialsTo`) at start and, while the link is down, again
 * with capped exponential backoff and jitter; the other side only accepts. libp2p's own
 * KEEP_ALIVE reconnection gives up after a few quick retries, so it is not used.
 */
import type { Libp2p, PeerId } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { Logger } from '../../core/ports.js';
import { LINK_STABLE_MS, livenessIntervalFor, REDIAL_FACTOR, REDIAL_JITTER } from './constants.js';
import { pingConnection } from './linkPing.js';

export interface Neighbour {
  readonly name: string;
  readonly peerId: PeerId;
  /** The configured address, with `/p2p/<peer id>`. */
  readonly address: Multiaddr;
  /** Whether this member dials the link (the other side accepts). */
  readonly dials: boolean;
}

export interface LinkInfo {
  readonly name: string;
  readonly peerId: string;
  readonly connected: boolean;
  /** When the link last went up or down (ms since the epoch); null if it never came up. */
  readonly since: number | null;
  readonly direction: 'inbound' | 'outbound' | null;
  /** Last ping round trip (a yamux PING frame each way); null before the first answer. */
  readonly rttMs: number | null;
  /** Whether this member is the side that dials this link. */
  readonly dials: boolean;
  /**
   * Whether the link has settled after start: it came up, or this member's first dial of it
   * ended either way. A link the neighbour dials is settled from the start: whether the
   * neighbour runs is the neighbour's to report.
   */
  readonly settled: boolean;
}

export const LINK_DEFAULTS = {
  /** First redial delay after a link drops: long enough not to spin on a refused port. */
  redialInitialMs: 250,
  /**
   * Redial delay cap: a neighbour that comes back is found within about this long. A refused
   * dial costs next to nothing, and one to a dead host is one pending connect per neighbour, so
   * once a second is cheap; with 10 s, a restarted member waited 1.5 s on average for the links
   * its neighbours dial, most of its 2.2 s catch-up of 100k records (`npm run bench`).
   */
  redialMaxMs: 1_000,
  /** One dial attempt, TCP connect plus noise and yamux upgrade; loopback takes a few ms. */
  dialTimeoutMs: 5_000,
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
  linkTimeoutMs: 10_000,
} as const;

export interface LinkTuning {
  readonly redialInitialMs?: number;
  readonly redialMaxMs?: number;
  readonly dialTimeoutMs?: number;
  /** A link with no ping answered for this long is closed (see LINK_DEFAULTS.linkTimeoutMs). */
  readonly linkTimeoutMs?: number;
  /** How often each link is pinged; by default from the timeout (`livenessIntervalFor`). */
  readonly livenessIntervalMs?: number;
}

export interface LinksInit {
  readonly libp2p: Libp2p;
  readonly neighbours: readonly Neighbour[];
  readonly log: Logger;
  readonly tuning?: LinkTuning;
  readonly onUp: (name: string, peerId: string) => void;
  readonly onDown: (name: string, peerId: string) => void;
}

/** The smaller peer ID string dials: both ends agree without talking. */
export function dialsTo(selfPeerId: string, otherPeerId: string): boolean {
  return selfPeerId < otherPeerId;
}

/** Delay before redial number `attempt` (0-based): exponential, capped, part random. */
export function redialDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * REDIAL_FACTOR ** Math.min(attempt, 30));
  return Math.round(base * (1 - REDIAL_JITTER * random()));
}

interface LinkState {
  readonly n: Neighbour;
  connected: boolean;
  since: number | null;
  upAt: number | null;
  direction: 'inbound' | 'outbound' | null;
  rttMs: number | null;
  settled: boolean;
  /** Dials that failed, or links that dropped before they were stable, since the last stable link. */
  failures: number;
  /** When the link came up or a ping was last answered; silence since then beyond the timeout closes it. */
  answeredAt: number;
  pinging: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class LinkManager {
  private readonly states = new Map<string, LinkState>();
  private readonly t: Required<LinkTuning>;
  private liveness: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly init: LinksInit) {
    const t = init.tuning ?? {};
    const linkTimeoutMs = t.linkTimeoutMs ?? LINK_DEFAULTS.linkTimeoutMs;
    this.t = {
      redialInitialMs: t.redialInitialMs ?? LINK_DEFAULTS.redialInitialMs,
      redialMaxMs: t.redialMaxMs ?? LINK_DEFAULTS.redialMaxMs,
      dialTimeoutMs: t.dialTimeoutMs ?? LINK_DEFAULTS.dialTimeoutMs,
      linkTimeoutMs,
      livenessIntervalMs: t.livenessIntervalMs ?? livenessIntervalFor(linkTimeoutMs),
    };
    for (const n of init.neighbours) {
      this.states.set(n.peerId.toString(), {
        n,
        connected: false,
        since: null,
        upAt: null,
        direction: null,
        rttMs: null,
        settled: !n.dials,
        failures: 0,
        answeredAt: 0,
        pinging: false,
        timer: undefined,
      });
    }
  }

  start(): void {
    this.running = true;
    this.init.libp2p.addEventListener('peer:connect', this.onConnect);
    this.init.libp2p.addEventListener('peer:disconnect', this.onDisconnect);
    for (const s of this.states.values()) if (s.n.dials) this.dialAfter(s, 0);
    this.liveness = setInterval(() => this.probeAll(), this.t.livenessIntervalMs);
    this.liveness.unref();
  }

  stop(): void {
    this.running = false;
    this.init.libp2p.removeEventListener('peer:connect', this.onConnect);
    this.init.libp2p.removeEventListener('peer:disconnect', this.onDisconnect);
    clearInterval(this.liveness);
    for (const s of this.states.values()) clearTimeout(s.timer);
  }

  list(): LinkInfo[] {
    return [...this.states.values()].map((s) => ({
      name: s.n.name,
      peerId: s.n.peerId.toString(),
      connected: s.connected,
      since: s.since,
      direction: s.direction,
      rttMs: s.rttMs,
      dials: s.n.dials,
      settled: s.settled || s.connected,
    }));
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    const s = this.states.get(evt.detail.toString());
    if (!s || s.connected || !this.running) return;
    const conn = this.init.libp2p.getConnections(evt.detail)[0];
    Object.assign(s, { connected: true, since: Date.now(), upAt: Date.now(), direction: conn?.direction ?? null, answeredAt: Date.now() });
    clearTimeout(s.timer);
    this.init.log.info(
      { neighbour: s.n.name, peer: s.n.peerId.toString(), direction: s.direction, remoteAddr: conn?.remoteAddr.toString() },
      'link up',
    );
    this.probe(s); // an RTT right away, not one liveness interval later
    this.init.onUp(s.n.name, s.n.peerId.toString());
  };

  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const s = this.states.get(evt.detail.toString());
    if (!s || !s.connected || !this.running) return;
    const upMs = Date.now() - (s.upAt ?? Date.now());
    Object.assign(s, { connected: false, since: Date.now(), direction: null });
    this.init.log.info({ neighbour: s.n.name, peer: s.n.peerId.toString(), upMs }, 'link down');
    this.init.onDown(s.n.name, s.n.peerId.toString());
    if (!s.n.dials) return;
    // A link that dropped soon after coming up (e.g. the other side's gater refused us after
    // the handshake) keeps backing off rather than redialling at once, forever.
    s.failures = upMs >= LINK_STABLE_MS ? 0 : s.failures + 1;
    this.dialAfter(s, redialDelay(s.failures, this.t.redialInitialMs, this.t.redialMaxMs));
  };

  private dialAfter(s: LinkState, delayMs: number): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => void this.dial(s), delayMs);
  }

  private async dial(s: LinkState): Promise<void> {
    if (!this.running || s.connected) return;
    try {
      await this.init.libp2p.dial(s.n.address, { signal: AbortSignal.timeout(this.t.dialTimeoutMs) });
      s.settled = true;
      // The dial can succeed and the connection close before we look (the other side refused
      // us after the handshake); then keep trying, backing off.
      if (this.running && !s.connected) this.dialAfter(s, redialDelay(++s.failures, this.t.redialInitialMs, this.t.redialMaxMs));
    } catch (err) {
      s.settled = true;
      if (!this.running || s.connected) return;
      const delay = redialDelay(++s.failures, this.t.redialInitialMs, this.t.redialMaxMs);
      const entry = { neighbour: s.n.name, address: s.n.address.toString(), attempt: s.failures, retryInMs: delay, err: messageOf(err) };
      // The first failure says the neighbour is unreachable; the retries are only debug noise.
      if (s.failures === 1) this.init.log.info(entry, 'cannot reach neighbour; redialling with backoff');
      else this.init.log.debug(entry, 'dial failed');
      this.dialAfter(s, delay);
    }
  }

  /**
   * Pings every live link whose last ping is back, and closes those silent past the timeout.
   * A ping stuck behind a burst of gossip on a slow link may take seconds: the link counts as
   * alive as long as an answer comes within the timeout. A ping has no timeout of its own: an
   * unanswered one ends when the link is closed.
   */
  private probeAll(): void {
    const now = Date.now();
    for (const s of this.states.values()) {
      if (!s.connected) continue;
      if (now - s.answeredAt > this.t.linkTimeoutMs) this.closeSilent(s, now - s.answeredAt);
      else if (!s.pinging) this.probe(s);
    }
  }

  /** Pings one live link: RTT for `links()`, and proof that the neighbour still answers. */
  private probe(s: LinkState): void {
    const connection = this.init.libp2p.getConnections(s.n.peerId).find((c) => c.status === 'open');
    if (!connection) return; // closing: peer:disconnect follows
    s.pinging = true;
    pingConnection(connection)
      .then(
        (ms) => {
          s.rttMs = ms;
          s.answeredAt = Date.now();
        },
        (err: unknown) => this.init.log.debug({ neighbour: s.n.name, err: messageOf(err) }, 'ping failed'),
      )
      .finally(() => {
        s.pinging = false;
      });
  }

  private closeSilent(s: LinkState, silentMs: number): void {
    this.init.log.warn({ neighbour: s.n.name, peer: s.n.peerId.toString(), silentMs }, 'neighbour stopped answering pings; closing the link');
    s.answeredAt = Date.now(); // one hang-up per timeout, not one per tick while it completes
    this.init.libp2p.hangUp(s.n.peerId).catch((e: unknown) => this.init.log.debug({ neighbour: s.n.name, err: messageOf(e) }, 'hang up failed'));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

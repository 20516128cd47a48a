/**
 * Prometheus metrics of one member. Components keep plain counters (no prom-client in the
 * core); they are read at scrape time. Histograms are observed where the timing happens.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every counter a member exposes, read at once for /status and /metrics. */
export interface CounterSnapshot {
  readonly clientConnections: number;
  readonly clientConnectionsOpen: number;
  readonly clientConnectionsRefused: number;
  /** Closed by the member: idle past the timeout, or after an overlong line. */
  readonly clientConnectionsIdleClosed: number;
  readonly clientConnectionsOverlong: number;
  /** Connections whose lines wait because their client is not reading its replies. */
  readonly clientConnectionsBlocked: number;
  /** Reply bytes waiting to go to clients (socket write queues and replies held back). */
  readonly clientBytesQueued: number;
  readonly iamat: number;
  readonly whatsat: number;
  readonly invalid: number;
  readonly gossipMessagesPublished: number;
  readonly gossipRecordsPublished: number;
  readonly gossipMessagesAccepted: number;
  readonly gossipMessagesIgnored: number;
  readonly gossipMessagesRejected: number;
  readonly gossipRecordsAccepted: number;
  readonly gossipSignaturesVerified: number;
  readonly gossipSignaturesTrusted: number;
  readonly syncRounds: number;
  readonly syncFailures: number;
  readonly syncRecordsReceived: number;
  readonly syncRecordsSent: number;
  readonly placesCalls: number;
  readonly placesErrors: number;
  readonly storeClients: number;
  readonly linksUp: number;
}

export interface MemberMetrics {
  readonly registry: Registry;
  observePropagation(seconds: number): void;
  observeWhatsat(seconds: number): void;
  observeSync(seconds: number): void;
}

type CounterKey = keyof CounterSnapshot;

/** name, help, labels, and where each labelled value comes from. */
const COUNTERS: Array<[string, string, string | undefined, Record<string, CounterKey>]> = [
  ['herd_client_connections_total', 'Client connections accepted', undefined, { '': 'clientConnections' }],
  ['herd_client_connections_refused_total', 'Client connections refused over the limit', undefined, { '': 'clientConnectionsRefused' }],
  [
    'herd_client_connections_closed_total',
    'Client connections closed by the member, by reason',
    'reason',
    { idle: 'clientConnectionsIdleClosed', overlong: 'clientConnectionsOverlong' },
  ],
  ['herd_commands_total', 'Client lines answered, by command', 'command', { IAMAT: 'iamat', WHATSAT: 'whatsat', invalid: 'invalid' }],
  [
    'herd_gossip_messages_total',
    'Gossip messages, by outcome',
    'outcome',
    {
      published: 'gossipMessagesPublished',
      accepted: 'gossipMessagesAccepted',
      ignored: 'gossipMessagesIgnored',
      rejected: 'gossipMessagesRejected',
    },
  ],
  [
    'herd_gossip_records_total',
    'Location records carried by gossip, by outcome',
    'outcome',
    { published: 'gossipRecordsPublished', accepted: 'gossipRecordsAccepted' },
  ],
  [
    'herd_gossip_signatures_total',
    'Signatures of received gossip messages: verified, or trusted as sent by their signer over its own link',
    'check',
    { verified: 'gossipSignaturesVerified', link: 'gossipSignaturesTrusted' },
  ],
  ['herd_sync_rounds_total', 'Anti-entropy rounds, by result', 'result', { ok: 'syncRounds', failed: 'syncFailures' }],
  ['herd_sync_records_total', 'Records exchanged by anti-entropy', 'direction', { received: 'syncRecordsReceived', sent: 'syncRecordsSent' }],
  ['herd_places_requests_total', 'Places provider calls, by result', 'result', { all: 'placesCalls', error: 'placesErrors' }],
];

const GAUGES: Array<[string, string, CounterKey]> = [
  ['herd_client_connections_open', 'Client connections open now', 'clientConnectionsOpen'],
  ['herd_client_connections_blocked', 'Client connections waiting for their client to read', 'clientConnectionsBlocked'],
  ['herd_client_queued_bytes', 'Reply bytes waiting to go to clients', 'clientBytesQueued'],
  ['herd_store_clients', 'Clients with a stored location', 'storeClients'],
  ['herd_links_up', 'Links to neighbours that are up', 'linksUp'],
];

export function createMetrics(snapshot: () => CounterSnapshot, labels: { member: string }): MemberMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  // The event-loop lag is sampled by a timer: prom-client's 10 ms default wakes an idle member
  // 100 times a second (about 1 % of a core each); 100 ms still shows any lag worth seeing.
  collectDefaultMetrics({ register: registry, prefix: 'herd_process_', eventLoopMonitoringPrecision: 100 });
  for (const [name, help, label, sources] of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      labelNames: label ? [label] : [],
      collect() {
        const now = snapshot();
        this.reset();
        for (const [value, key] of Object.entries(sources)) {
          if (label) this.inc({ [label]: value }, now[key]);
          else this.inc(now[key]);
        }
      },
    });
  }
  for (const [name, help, key] of GAUGES) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(snapshot()[key]);
      },
    });
  }
  const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, buckets, registers: [registry] });
  // Pacing holds a record up to 50 ms (pacing.ts), so under load delays crowd 20-100 ms: steps
  // of 10-25 ms there keep a p50 or p99 from being interpolated across a 50 ms bucket (at
  // 1,000/s, a two-hop p99 of 69 ms read as 99). 150 and 200 ms: a p99 near the 250 ms a
  // sustained herd must stay under is not read off one 100-250 ms bucket.
  const propagation = histogram(
    'herd_propagation_delay_seconds',
    'Per gossip message: from the origin member receiving the first IAMAT in it to this member storing it',
    [
      0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1,
      0.125, 0.15, 0.2, 0.25, 0.5, 1, 2.5, 5, 10,
    ],
  );
  const whatsat = histogram(
    'herd_whatsat_duration_seconds',
    'WHATSAT handling time, places call included',
    [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const sync = histogram('herd_sync_duration_seconds', 'Anti-entropy round duration', [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30]);
  return {
    registry,
    observePropagation: (s) => propagation.observe(Math.max(0, s)),
    observeWhatsat: (s) => whatsat.observe(s),
    observeSync: (s) => sync.observe(s),
  };
}

/**
 * Link liveness probes as yamux PING frames. A libp2p ping (@libp2p/ping) opens a stream per
 * ping: multistream-select, a peer-store write and fresh loggers and abort timers at both ends.
 * At a ping every 2 s on each link, that was most of an idle member's CPU (constants.ts,
 * `livenessIntervalFor`). A yamux ping is one 12-byte frame each way on the connection's own
 * muxer, answered by the muxer itself, so it also proves the far end's libp2p still reads and
 * writes that connection.
 *
 * `muxer` is not part of libp2p's public Connection interface (2.x keeps it on the connection
 * object, see backlog.ts); a connection without a yamux muxer rejects, and the test suite
 * (p2p-herd.test.ts, liveness) fails if an upgrade takes it away.
 */
import type { Connection } from '@libp2p/interface';

interface PingingMuxer {
  /** Resolves with the round trip in ms; one ping at a time (a second call joins the first). */
  ping(): Promise<number>;
}

/** The round trip of one yamux PING on `connection`, in ms; rejects if the connection closes first. */
export function pingConnection(connection: Connection): Promise<number> {
  const muxer = (connection as unknown as { muxer?: Partial<PingingMuxer> }).muxer;
  if (typeof muxer?.ping !== 'function') return Promise.reject(new Error('the connection has no yamux muxer to ping'));
  return muxer.ping();
}

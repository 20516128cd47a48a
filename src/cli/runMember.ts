/**
 * Wiring of one member: store, places, member core, the libp2p side and the client port.
 * Used by `herd start NAME` and, in process, by the integration tests.
 */
import type { Level } from 'pino';
import { findMember, type HerdConfig } from '../config/herdFile.js';
import { Member } from '../core/member.js';
import type { RecordSink } from '../core/ports.js';
import { LocationStore } from '../core/store.js';
import { ClientServer } from '../net/clientServer.js';
import { systemClock } from '../net/clock.js';
import { createMemberLogger } from '../net/logger.js';
import { placesFromEnvironment } from '../places/index.js';

export interface RunMemberOptions {
  readonly herd: HerdConfig;
  readonly name: string;
  readonly logDir: string;
  readonly logLevel?: Level;
  readonly consoleLevel?: Level | 'silent';
  readonly env?: NodeJS.ProcessEnv;
  readonly maxLineBytes?: number;
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
}

export interface RunningMember {
  readonly name: string;
  readonly clientPort: number;
  readonly store: LocationStore;
  readonly member: Member;
  stop(): Promise<void>;
}

export async function runMember(options: RunMemberOptions): Promise<RunningMember> {
  const self = findMember(options.herd, options.name);
  const logger = createMemberLogger({
    name: self.name,
    logDir: options.logDir,
    level: options.logLevel ?? 'info',
    consoleLevel: options.consoleLevel ?? 'info',
  });
  const log = logger.log;
  const store = new LocationStore();
  const places = placesFromEnvironment(options.env ?? process.env, log.child({ component: 'places' }));
  const sink: RecordSink = { publish: () => {} };
  const member = new Member({ name: self.name, store, places, clock: systemClock(), sink, log });
  const clients = new ClientServer({
    host: self.host,
    port: self.clientPort,
    handler: member,
    log: log.child({ component: 'clients' }),
    maxLineBytes: options.maxLineBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
  });
  const address = await clients.listen();
  log.info({ clientPort: address.port, host: address.host }, 'member started');
  return {
    name: self.name,
    clientPort: address.port,
    store,
    member,
    async stop() {
      await clients.close();
      await places.close();
      log.info({}, 'member stopped');
      logger.flush();
    },
  };
}

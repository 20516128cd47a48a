/**
 * The admin endpoint: `/status` (JSON), `/metrics` (Prometheus text), `/healthz` (liveness),
 * `/readyz` (places loaded, every link up or tried once), and
 * `POST /gc` only when node runs with `--expose-gc` (the benchmark's heap-per-client figure
 * needs the heap measured after a full collection).
 * Listens on loopback unless the herd file says otherwise; it is for operators and scripts.
 */
import { createServer, type Server } from 'node:http';
import { setTimeout } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/ports.js';
import { memoryNow, type MemberStatus } from './status.js';
import type { Registry } from 'prom-client';

/** Time given to V8's sweep of dead array buffers between POST /gc's two collections. */
const ARRAY_BUFFER_SWEEP_MS = 100;

/** What `/readyz` answers: ready, or what the member still waits for. */
export interface Readiness {
  readonly ready: boolean;
  /** One short phrase per thing not ready yet ("places loading", "link to Bona not tried yet"). */
  readonly waitingFor: string[];
}

export interface AdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly status: () => MemberStatus | Promise<MemberStatus>;
  readonly readiness: () => Readiness;
  readonly registry: Registry;
  readonly log: Logger;
}

export class AdminServer {
  private readonly server: Server;

  constructor(private readonly options: AdminServerOptions) {
    this.server = createServer((req, res) => {
      this.route(req.method ?? 'GET', req.url ?? '/').then(
        ({ status, type, body }) => res.writeHead(status, { 'content-type': type }).end(body),
        (err: unknown) => {
          options.log.error({ err, url: req.url }, 'admin request failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error\n');
        },
      );
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async route(method: string, url: string): Promise<{ status: number; type: string; body: string }> {
    const path = new URL(url, 'http://admin').pathname;
    const gc = (globalThis as { gc?: () => void }).gc;
    if (method === 'POST' && path === '/gc' && gc) {
      gc();
      // V8 frees the dead array buffers' memory in a sweep after the collection, off the
      // thread: without this wait, /gc counted tens of MB of them as still in use.
      await setTimeout(ARRAY_BUFFER_SWEEP_MS);
      gc();
      return { status: 200, type: 'application/json', body: `${JSON.stringify(memoryNow())}\n` };
    }
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, type: 'text/plain', body: 'GET only\n' };
    switch (path) {
      case '/status':
        return { status: 200, type: 'application/json', body: `${JSON.stringify(await this.options.status(), null, 2)}\n` };
      case '/metrics':
        return { status: 200, type: this.options.registry.contentType, body: await this.options.registry.metrics() };
      case '/healthz':
        return { status: 200, type: 'text/plain', body: 'ok\n' };
      case '/readyz': {
        const { ready, waitingFor } = this.options.readiness();
        return ready
          ? { status: 200, type: 'text/plain', body: 'ready\n' }
          : { status: 503, type: 'text/plain', body: `not ready: ${waitingFor.join('; ')}\n` };
      }
      default:
        return { status: 404, type: 'text/plain', body: 'not found: try /status, /metrics, /healthz or /readyz\n' };
    }
  }
}

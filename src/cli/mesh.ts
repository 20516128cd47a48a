/** `herd mesh`: ask every member's admin endpoint at once and show what each sees. */
import type { HerdConfig } from '../config/herdFile.js';
import { fetchStatus } from '../net/statusClient.js';
import { buildMeshReport, problemsOf, renderDot, renderTable, type MeshReport } from './meshReport.js';

export interface MeshOptions {
  readonly json?: boolean;
  readonly dot?: boolean;
  readonly watch?: boolean;
  readonly check?: boolean;
  readonly wait?: boolean;
  /**
   * Per member (default FETCH_STATUS_DEFAULTS.timeoutMs); with `wait`, how long to wait for
   * the herd in all (default MESH_DEFAULTS.waitTimeoutMs).
   */
  readonly timeoutMs?: number;
}

export const MESH_DEFAULTS = {
  /** How long `--wait` waits: a five-member herd on one busy machine is ready in seconds. */
  waitTimeoutMs: 60_000,
} as const;

/** How often `--wait` asks again. */
const WAIT_INTERVAL_MS = 250;

export async function meshReport(herd: HerdConfig, timeoutMs?: number): Promise<MeshReport> {
  const answers = await Promise.all(herd.members.map((m) => fetchStatus(m, timeoutMs).catch((err: Error) => err)));
  return buildMeshReport(herd, new Map(herd.members.map((m, i) => [m.name, answers[i]!])));
}

export async function mesh(herd: HerdConfig, options: MeshOptions, out: NodeJS.WritableStream): Promise<number> {
  if (options.wait) return waitUntilHealthy(herd, options.timeoutMs ?? MESH_DEFAULTS.waitTimeoutMs, out);
  const render = (report: MeshReport) =>
    options.json ? `${JSON.stringify(report, null, 2)}\n` : options.dot ? renderDot(report) : renderTable(report);
  let report = await meshReport(herd, options.timeoutMs);
  if (options.watch) {
    for (;;) {
      out.write(`\x1b[2J\x1b[H${new Date().toISOString()}\n${render(report)}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      report = await meshReport(herd, options.timeoutMs);
    }
  }
  out.write(render(report));
  return options.check && !report.healthy ? 1 : 0;
}

/** `herd mesh --wait`: 0 once the herd is healthy (`--check`'s rule); 1 naming what is not, at the deadline. */
async function waitUntilHealthy(herd: HerdConfig, timeoutMs: number, out: NodeJS.WritableStream): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Each member gets its usual time to answer even at the deadline: a busy member is not a down one.
    const report = await meshReport(herd);
    if (report.healthy) {
      out.write(`herd healthy: ${report.members.length} members, ${report.links.length} links up, stores equal\n`);
      return 0;
    }
    if (Date.now() >= deadline) {
      out.write(`herd not healthy after ${timeoutMs} ms: ${problemsOf(report).join('; ')}\n`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_INTERVAL_MS));
  }
}

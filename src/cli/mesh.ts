/** `herd mesh`: ask every member's admin endpoint at once and show what each sees. */
import { request } from 'undici';
import type { HerdConfig, MemberConfig } from '../config/herdFile.js';
import type { MemberStatus } from '../net/admin.js';
import { buildMeshReport, renderDot, renderTable, type MeshReport } from './meshReport.js';

export interface MeshOptions {
  readonly json?: boolean;
  readonly dot?: boolean;
  readonly watch?: boolean;
  readonly check?: boolean;
  readonly timeoutMs?: number;
}

/** A member that does not answer within this long is shown as down. */
export const STATUS_TIMEOUT_MS = 1_000;

export async function fetchStatus(member: MemberConfig, timeoutMs = STATUS_TIMEOUT_MS): Promise<MemberStatus> {
  const host = member.adminHost.includes(':') ? `[${member.adminHost}]` : member.adminHost;
  const { statusCode, body } = await request(`http://${host}:${member.adminPort}/status`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (statusCode !== 200) {
    await body.dump();
    throw new Error(`admin endpoint answered HTTP ${statusCode}`);
  }
  return (await body.json()) as MemberStatus;
}

export async function meshReport(herd: HerdConfig, timeoutMs?: number): Promise<MeshReport> {
  const answers = await Promise.all(herd.members.map((m) => fetchStatus(m, timeoutMs).catch((err: Error) => err)));
  return buildMeshReport(herd, new Map(herd.members.map((m, i) => [m.name, answers[i]!])));
}

export async function mesh(herd: HerdConfig, options: MeshOptions, out: NodeJS.WritableStream): Promise<number> {
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

/**
 * Figure 1: client throughput on one member. 50 concurrent clients for a fixed time, each
 * reporting its own client id with ever later times (so every IAMAT is stored and gossiped to
 * the herd), in two ways: a new connection per IAMAT (half-closed, like classic graders) and
 * kept connections, requests back to back. The same load against a bare Node line-echo server
 * (its own process, a fixed AT line per line) is the floor of what loopback, Node and this
 * load generator allow; herd / echo is the figure that means something on a shared machine.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { iamat } from '../lib/client.js';
import { kept, perRequest, type ClosedLoopOptions, type ClosedLoopResult } from '../lib/closedLoop.js';
import type { BenchHerd, Name } from '../lib/herd.js';

export interface ModeResult {
  readonly herd: ClosedLoopResult;
  readonly echo: ClosedLoopResult;
  /** herd replies/s over echo replies/s. */
  readonly ratio: number;
}

export interface ThroughputResult {
  readonly member: Name;
  readonly clients: number;
  readonly seconds: number;
  readonly perConnection: ModeResult;
  readonly kept: ModeResult;
}

const ECHO_BIN = fileURLToPath(new URL('../echo-server.js', import.meta.url));

export async function throughput(herd: BenchHerd, member: Name, clients: number, seconds: number): Promise<ThroughputResult> {
  const echo = spawn(process.execPath, [ECHO_BIN], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [first] = (await once(echo.stdout, 'data')) as [Buffer];
    const echoPort = Number(first.toString().trim());
    const line = (tag: string) => (client: number) => iamat(`bench-tp-${tag}-${client}`);
    const run = async (mode: typeof kept, tag: string): Promise<ModeResult> => {
      const base: Omit<ClosedLoopOptions, 'port'> = { clients, seconds, line: line(tag) };
      const echoResult = await mode({ ...base, port: echoPort });
      const herdResult = await mode({ ...base, port: herd.clientPort(member) });
      return { herd: herdResult, echo: echoResult, ratio: herdResult.repliesPerSecond / echoResult.repliesPerSecond };
    };
    const perConnection = await run(perRequest, 'conn');
    const keptResult = await run(kept, 'kept');
    return { member, clients, seconds, perConnection, kept: keptResult };
  } finally {
    echo.kill('SIGKILL');
  }
}

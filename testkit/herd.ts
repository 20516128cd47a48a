/** Temporary herds for tests: real keys from `herd init`, free ports on 127.0.0.1. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHerd } from '../src/config/initHerd.js';
import { loadHerdFile, type HerdConfig, type HerdFileJson } from '../src/config/herdFile.js';

/**
 * Ports free right now, all distinct, each held open until every one is chosen. They are drawn at
 * random below 32768: the kernel hands out outbound connections' ports above it, so a port chosen
 * there can be taken by some connection before the member listens on it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    while (held.length < count) {
      const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
      const server = handedOut.has(port) ? undefined : await listenOn(port);
      if (server) held.push(server);
    }
    const ports = held.map((s) => (s.address() as { port: number }).port);
    for (const port of ports) handedOut.add(port);
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
/**
 * Ports this process has handed out already. A herd's ports are free again once chosen, until its
 * members bind them: without this, a later `freePort()` (a relay's port, say) could draw one of
 * them, and a member then fails with EADDRINUSE (seen once in faults.test).
 */
const handedOut = new Set<number>();

/** A server holding `port` on 127.0.0.1, or undefined when the port is taken. */
function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

export interface TestHerd {
  readonly dir: string;
  readonly file: string;
  readonly herd: HerdConfig;
}

/** A herd file in a new temp dir (named `dirPrefix`...), every port free right now. */
export async function makeHerd(
  names: readonly string[],
  links: ReadonlyArray<readonly [string, string]>,
  dirPrefix = 'herd-test-',
): Promise<TestHerd> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const file = await initHerd({ dir, names, links, host: '127.0.0.1', basePort: 20000, force: false });
  const json = JSON.parse(readFileSync(file, 'utf8')) as HerdFileJson;
  const ports = await freePorts(3 * json.members.length);
  for (const member of json.members) {
    [member.clientPort, member.p2pPort, member.adminPort] = ports.splice(0, 3) as [number, number, number];
  }
  writeFileSync(file, JSON.stringify(json, null, 2));
  return { dir, file, herd: loadHerdFile(file) };
}

export function portOf(herd: HerdConfig, name: string, kind: 'clientPort' | 'p2pPort' | 'adminPort' = 'clientPort'): number {
  return herd.members.find((m) => m.name === name)![kind];
}

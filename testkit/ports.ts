/**
 * Ports for test members, free now and claimed for the life of this process, so that test files
 * running side by side (`node --test --test-concurrency=2`) never hand out the same port.
 *
 * A port that is free when chosen is free again once chosen, until its member binds it, and free
 * again while a member restarts. Within one process the set of claimed ports covers that gap;
 * across processes, claim files do: DIR/PORT.PID, where DIR is in the system temp dir. A process
 * creates its own file first and then looks for others' files: of two processes claiming the same
 * port at once, at most one sees no other claim, so at most one gets it (both may back off).
 * Files of processes that are gone (killed before their exit handler ran) do not count, and go.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Drawn at random below 32768: the kernel hands out outbound connections' ports above it, so a
 * port chosen there can be taken by some connection before the member listens on it.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_000;
const CLAIMS_DIR = join(tmpdir(), 'herd-test-ports');

/** Ports this process has claimed; their claim files go when it exits. */
const claimed = new Set<number>();
process.once('exit', () => {
  for (const port of claimed) rmSync(claimFile(port), { force: true });
});

/** Ports free right now, all distinct and claimed by this process, each held open until every one is chosen. */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    while (held.length < count) {
      const port = FIRST_PORT + Math.floor(Math.random() * (LAST_PORT - FIRST_PORT));
      if (claimed.has(port) || !claim(port)) continue;
      const server = await listenOn(port);
      if (server) held.push(server);
      else release(port);
    }
    return held.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

const claimFile = (port: number) => join(CLAIMS_DIR, `${port}.${process.pid}`);

/** True when this process now holds `port`'s claim; false when a live process claimed it too. */
function claim(port: number): boolean {
  mkdirSync(CLAIMS_DIR, { recursive: true });
  writeFileSync(claimFile(port), '');
  claimed.add(port);
  let contested = false;
  const alive = new Map<number, boolean>(); // a few processes hold many claims each
  for (const name of readdirSync(CLAIMS_DIR)) {
    const [p, pid] = name.split('.').map(Number) as [number, number];
    if (pid === process.pid) continue;
    if (!alive.has(pid)) alive.set(pid, isAlive(pid));
    const stale = !alive.get(pid); // left by a process killed before its exit handler ran
    if (stale) rmSync(join(CLAIMS_DIR, name), { force: true });
    else if (p === port) contested = true;
  }
  if (!contested) return true;
  release(port);
  return false;
}

function release(port: number): void {
  claimed.delete(port);
  rmSync(claimFile(port), { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** A server holding `port` on 127.0.0.1, or undefined when the port is taken. */
function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Clients that never read (issue 11): one member stores a client; N connections each send one
 * 64 KiB write of `WHATSAT <client> 50 20\n` repeated (each 23-byte line asks for a ~7.6 KB
 * reply) and never read. Meanwhile another client sends an IAMAT every 20 ms on a fresh
 * connection and times its answer. Prints the member's RSS (from /status) before, at its peak
 * and at the end, and the IAMAT latencies during the flood.
 * Run: npx tsc -p . && node dist/bench/client-flood.js [--connections 60] [--seconds 10] [--log-level info]
 */
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { BenchHerd } from './lib/herd.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '60' },
    seconds: { type: 'string', default: '10' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const connections = Number(args.connections);
const seconds = Number(args.seconds);
const MB = 1024 * 1024;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Milliseconds from writing one IAMAT on a new connection to its full reply line. */
async function timedIamat(port: number, i: number): Promise<number> {
  const socket = await open(port);
  const started = performance.now();
  socket.write(`IAMAT probe +34.068930-118.445127 ${1_700_000_000 + i}\n`);
  await new Promise<void>((resolve, reject) => {
    let got = '';
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\n')) resolve();
    });
    socket.once('error', reject);
  });
  const ms = performance.now() - started;
  socket.destroy();
  return ms;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

const herd = await BenchHerd.start({ logLevel: args['log-level'] as 'info' | 'warn', names: ['Clark'] });
try {
  const port = herd.clientPort('Clark');
  const first = await open(port);
  first.resume();
  first.end('IAMAT dense +34.068930-118.445127 1700000000\n');
  await new Promise((resolve) => first.once('close', resolve));
  // Warm: the places data loaded (a WHATSAT waits for it) and one IAMAT answered.
  const warm = await open(port);
  warm.resume();
  warm.end('WHATSAT dense 50 20\n');
  await new Promise((resolve) => warm.once('close', resolve));
  await timedIamat(port, 0);
  const before = (await herd.status('Clark')).memory;
  const line = Buffer.from('WHATSAT dense 50 20\n');
  const chunk = Buffer.concat(Array.from({ length: Math.ceil(65536 / line.length) }, () => line)).subarray(0, 65536);
  const flooders = await Promise.all(Array.from({ length: connections }, () => open(port)));
  for (const socket of flooders) {
    socket.pause(); // never read
    socket.write(chunk);
  }
  let peakRss = before.rssBytes;
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  for (let i = 1; performance.now() < until; i++) {
    latencies.push(await timedIamat(port, i));
    const status = await herd.status('Clark');
    peakRss = Math.max(peakRss, status.memory.rssBytes);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const after = await herd.status('Clark');
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`connections ${connections}, ${((connections * chunk.length) / MB).toFixed(1)} MB sent, log level ${args['log-level']}`);
  console.log(
    `RSS before ${(before.rssBytes / MB).toFixed(0)} MB, peak ${(peakRss / MB).toFixed(0)} MB (+${((peakRss - before.rssBytes) / MB).toFixed(0)}), ` +
      `end ${(after.memory.rssBytes / MB).toFixed(0)} MB (+${((after.memory.rssBytes - before.rssBytes) / MB).toFixed(0)})`,
  );
  console.log(
    `open ${after.counters.clientConnectionsOpen}, blocked connections ${after.counters.clientConnectionsBlocked}, queued reply bytes ${after.counters.clientBytesQueued}, WHATSATs answered ${after.counters.whatsat}`,
  );
  console.log(
    `IAMAT during the flood (${sorted.length}): p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms, first ${latencies[0]!.toFixed(1)} ms`,
  );
  flooders.forEach((s) => s.destroy());
} finally {
  await herd.stop();
}

#!/usr/bin/env node
/**
 * The `herd` executable. `main(args)` returns an exit code; only the last lines of this file
 * touch process.exit, so tests can run commands in process or spawn the built binary.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Level } from 'pino';
import { ConfigError, loadHerdFile } from '../config/herdFile.js';
import { CONSOLE_FORMATS, LOG_LEVELS, type ConsoleFormat } from '../net/logLevels.js';
import { tuneCollector } from './collectorTuning.js';
import { cidrList, lineCap, loadShare, logSize, oneOf, portNumber, positiveInteger } from './options.js';
import { VERSION } from './version.js';

// Each command loads what it needs when it runs: `herd send` has no use for libp2p, and a
// member starts sooner without loading the HTTP client it never uses.

const ENTRY = fileURLToPath(import.meta.url);

interface StartOptions {
  config: string;
  logDir: string;
  logLevel: Level;
  consoleLevel: Level | 'silent';
  consoleFormat: ConsoleFormat;
  maxLineBytes?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
  dataDir?: string;
  syncIntervalMs?: number;
  p2pListenPort?: number;
  linkTimeoutMs?: number;
  pacingTargetLoad?: number;
  p2pAllowFrom?: string[];
  logMaxBytes?: number;
  logFiles?: number;
}

/** Sets the exit code a command's action resolves to (commander's actions return nothing). */
type Run = (command: Promise<number>) => void;

export async function main(args: readonly string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const run: Run = (command) => {
    result = command;
  };
  const program = new Command('herd')
    .description('An application server herd: members share client locations over libp2p')
    .version(VERSION)
    // No help after an error: a bad value gets one line naming it (`--help` shows usage).
    .exitOverride();
  addStartCommand(program, run);
  addInitCommand(program);
  addMeshCommand(program, run);
  addSendCommand(program, run);
  addClientCommand(program, run);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return await result;
  } catch (err) {
    return reportError(err);
  }
}

function addStartCommand(program: Command, run: Run): void {
  program
    .command('start')
    .description('run one member in the foreground, or every member of the file (no NAME)')
    .argument('[name]', 'the member to run')
    .requiredOption('-c, --config <file>', 'the herd file')
    .option('--log-dir <dir>', 'where member logs go (NAME.log)', 'logs')
    .option('--log-level <level>', 'log file level', oneOf(LOG_LEVELS), 'info')
    .option('--log-max-bytes <n>', "rotate a member's log file past this size (default 16777216)", logSize)
    .option('--log-files <n>', 'rotated log files kept besides the current one (default 4)', positiveInteger)
    .option('--console-level <level>', 'terminal log level', oneOf([...LOG_LEVELS, 'silent'] as const), 'info')
    .option('--console-format <format>', 'terminal log format: auto (pretty on a TTY), pretty or json', oneOf(CONSOLE_FORMATS), 'auto')
    .option('--max-line-bytes <n>', 'longest client line accepted, 64-65536 (default 65536)', lineCap)
    .option('--idle-timeout-ms <n>', 'close client connections silent this long (default 300000)', positiveInteger)
    .option('--max-connections <n>', 'open client connections per member (default 10000)', positiveInteger)
    .option('--data-dir <dir>', 'keep records in DIR/NAME/records.log and rebuild the store from it at start')
    .option('--p2p-listen-port <port>', "listen for peers here instead of the herd file's p2pPort (port forwarding)", portNumber)
    .option(
      '--p2p-allow-from <cidrs>',
      'also accept peer connections from these CIDRs or addresses, comma-separated (neighbours behind NAT)',
      cidrList,
    )
    .option('--sync-interval-ms <n>', 'anti-entropy round with every neighbour this often (default 30000)', positiveInteger)
    .option('--link-timeout-ms <n>', 'close a link when no ping has been answered for this long (default 10000)', positiveInteger)
    .option(
      '--pacing-target-load <share>',
      'how busy (0-1) a member lets gossip keep it before it puts more records in each message (default 0.1); higher: less delay between members, more CPU',
      loadShare,
    )
    .action((name: string | undefined, opts: StartOptions) => {
      run(name === undefined ? startAll(opts) : startOne(name, opts));
    });
}

function addInitCommand(program: Command): void {
  program
    .command('init')
    .description('write new Ed25519 keys and a herd file into DIR')
    .argument('<dir>', 'where the herd file and keys go')
    .requiredOption('--names <list>', 'member names, comma-separated (A,B,C)')
    .option('--links <list>', 'links, comma-separated (A-B,B-C)', '')
    .option('--host <host>', 'the host every member listens on', '127.0.0.1')
    .option('--base-port <port>', 'client ports from here, p2p +100, admin +200', portNumber, 12000)
    .option('--force', 'replace existing key files', false)
    .action(async (dir: string, opts: { names: string; links: string; host: string; basePort: number; force: boolean }) => {
      const { initHerd, parseLinks } = await import('./init.js');
      const names = opts.names
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const file = await initHerd({ dir, names, links: parseLinks(opts.links), host: opts.host, basePort: opts.basePort, force: opts.force });
      process.stdout.write(`wrote ${file} and ${names.length} key files (mode 0600)\n`);
    });
}

function addMeshCommand(program: Command, run: Run): void {
  program
    .command('mesh')
    .description('what each member sees of the mesh, from their admin endpoints')
    .option('-c, --config <file>', 'the herd file', 'peers/herd.json')
    .option('--json', 'one stable JSON document', false)
    .option('--dot', 'the topology with link states as Graphviz DOT', false)
    .option('--watch', 'redraw every second until interrupted', false)
    .option('--check', 'exit 1 when a member is down, a link is down or digests differ', false)
    .option('--wait', "wait until the herd is healthy (--check's rule): exit 0, or 1 naming what is not", false)
    .option('--timeout-ms <n>', 'how long to wait for each member (default 1000); with --wait, for the herd (default 60000)', positiveInteger)
    .action((opts: { config: string; json: boolean; dot: boolean; watch: boolean; check: boolean; wait: boolean; timeoutMs?: number }) => {
      run(import('./mesh.js').then(({ mesh }) => mesh(loadHerdFile(opts.config), opts, process.stdout)));
    });
}

function addSendCommand(program: Command, run: Run): void {
  program
    .command('send')
    .description('send one line to a member (NAME or HOST:PORT) and print the reply; exit 0 answered, 3 answered "?", 1 no answer')
    .argument('<target>', 'member name (with --config) or HOST:PORT')
    .argument('<line>', 'the command line to send')
    .option('-c, --config <file>', 'the herd file', 'peers/herd.json')
    .option('--timeout-ms <n>', 'give up after this long', positiveInteger, 30_000)
    .action((target: string, line: string, opts: { config: string; timeoutMs: number }) => {
      run(import('./talk.js').then(({ resolveTarget, send }) => send(resolveTarget(target, opts.config), line, process.stdout, opts.timeoutMs)));
    });
}

function addClientCommand(program: Command, run: Run): void {
  program
    .command('client')
    .description('an interactive session with a member (NAME or HOST:PORT); replies print as they arrive')
    .argument('<target>', 'member name (with --config) or HOST:PORT')
    .option('-c, --config <file>', 'the herd file', 'peers/herd.json')
    .action((target: string, opts: { config: string }) => {
      run(
        import('./talk.js').then(({ interactive, resolveTarget }) => interactive(resolveTarget(target, opts.config), process.stdin, process.stdout)),
      );
    });
}

async function startOne(name: string, opts: StartOptions): Promise<number> {
  const herd = loadHerdFile(opts.config);
  const dataDir = opts.dataDir === undefined ? undefined : join(opts.dataDir, name);
  const { runMember } = await import('./runMember.js');
  tuneCollector();
  const running = await runMember({ herd, name, ...opts, dataDir });
  await nextSignal();
  // A terminal's Ctrl-C reaches the members both directly and through `herd start` without a
  // name: a repeated signal during the orderly stop is expected, not a reason to die.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  await running.stop();
  return 0;
}

async function startAll(opts: StartOptions): Promise<number> {
  const herd = loadHerdFile(opts.config);
  const { superviseHerd } = await import('./supervisor.js');
  return superviseHerd({ herd, entry: ENTRY, memberArgs: memberArgsOf(opts) });
}

/** The options of `herd start` without a name that each member's own `herd start NAME` gets. */
function memberArgsOf(opts: StartOptions): string[] {
  // Members write to a pipe; they print pretty lines when the supervisor's terminal is a TTY.
  const consoleFormat = opts.consoleFormat === 'auto' && process.stdout.isTTY ? 'pretty' : opts.consoleFormat;
  const memberArgs = [
    '--log-dir',
    opts.logDir,
    '--log-level',
    opts.logLevel,
    '--console-level',
    opts.consoleLevel,
    '--console-format',
    consoleFormat,
  ];
  const optional: Array<[flag: string, value: string | number | undefined]> = [
    ['--max-line-bytes', opts.maxLineBytes],
    ['--idle-timeout-ms', opts.idleTimeoutMs],
    ['--max-connections', opts.maxConnections],
    ['--data-dir', opts.dataDir],
    ['--sync-interval-ms', opts.syncIntervalMs],
    ['--link-timeout-ms', opts.linkTimeoutMs],
    ['--pacing-target-load', opts.pacingTargetLoad],
    ['--log-max-bytes', opts.logMaxBytes],
    ['--log-files', opts.logFiles],
    ['--p2p-allow-from', opts.p2pAllowFrom?.join(',')],
  ];
  for (const [flag, value] of optional) if (value) memberArgs.push(flag, String(value));
  return memberArgs;
}

function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has printed the message already; help and version are not failures.
    return err.exitCode === 0 || err.code === 'commander.helpDisplayed' ? 0 : 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`herd: ${message}\n`);
  return err instanceof ConfigError ? 2 : 1;
}

function invokedDirectly(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(ENTRY);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}

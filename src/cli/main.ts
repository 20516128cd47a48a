#!/usr/bin/env node
/**
 * The `herd` executable. `main(args)` returns an exit code; only the last lines of this file
 * touch process.exit, so tests can run commands in process or spawn the built binary.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import type { Level } from 'pino';
import { ConfigError, loadHerdFile } from '../config/herdFile.js';
import { LOG_LEVELS } from '../net/logger.js';
import { oneOf, positiveInteger } from './options.js';
import { runMember } from './runMember.js';
import { superviseHerd } from './supervisor.js';

const VERSION = '0.1.0';
const ENTRY = fileURLToPath(import.meta.url);

interface StartOptions {
  config: string;
  logDir: string;
  logLevel: Level;
  consoleLevel: Level | 'silent';
  maxLineBytes?: number;
  idleTimeoutMs?: number;
  maxConnections?: number;
}

export async function main(args: readonly string[]): Promise<number> {
  let result: Promise<number> = Promise.resolve(0);
  const program = new Command('herd')
    .description('An application server herd: members share client locations over libp2p')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();

  program
    .command('start')
    .description('run one member in the foreground, or every member of the file (no NAME)')
    .argument('[name]', 'the member to run')
    .requiredOption('-c, --config <file>', 'the herd file')
    .option('--log-dir <dir>', 'where member logs go (NAME.log)', 'logs')
    .option('--log-level <level>', 'log file level', oneOf(LOG_LEVELS), 'info')
    .option('--console-level <level>', 'terminal log level', oneOf([...LOG_LEVELS, 'silent'] as const), 'info')
    .option('--max-line-bytes <n>', 'longest client line accepted (default 65536)', positiveInteger)
    .option('--idle-timeout-ms <n>', 'close client connections silent this long (default 300000)', positiveInteger)
    .option('--max-connections <n>', 'open client connections per member (default 10000)', positiveInteger)
    .action((name: string | undefined, opts: StartOptions) => {
      result = name === undefined ? startAll(opts) : startOne(name, opts);
    });

  try {
    await program.parseAsync([...args], { from: 'user' });
    return await result;
  } catch (err) {
    return reportError(err);
  }
}

async function startOne(name: string, opts: StartOptions): Promise<number> {
  const herd = loadHerdFile(opts.config);
  const running = await runMember({ herd, name, ...opts });
  await nextSignal();
  await running.stop();
  return 0;
}

function startAll(opts: StartOptions): Promise<number> {
  const herd = loadHerdFile(opts.config);
  const memberArgs = ['--log-dir', opts.logDir, '--log-level', opts.logLevel, '--console-level', opts.consoleLevel];
  if (opts.maxLineBytes) memberArgs.push('--max-line-bytes', String(opts.maxLineBytes));
  if (opts.idleTimeoutMs) memberArgs.push('--idle-timeout-ms', String(opts.idleTimeoutMs));
  if (opts.maxConnections) memberArgs.push('--max-connections', String(opts.maxConnections));
  return superviseHerd({ herd, entry: ENTRY, memberArgs });
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
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

/**
 * A new herd: fresh Ed25519 keys and a herd file, as `herd init` writes them (tests, the bench
 * and the network lab call it too). Ports follow the demo's layout: client base+i, p2p
 * base+100+i, admin base+200+i. Its errors name `herd init`'s options, which is what a user sees.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseHerd } from './herdFile.js';
import { generateKey, peerIdOf, writeKeyFile } from '../net/p2p/keys.js';

export interface InitOptions {
  readonly dir: string;
  readonly names: readonly string[];
  readonly links: readonly (readonly [string, string])[];
  readonly host: string;
  readonly basePort: number;
  readonly force: boolean;
}

export const PORT_STRIDE = 100;

export async function initHerd(options: InitOptions): Promise<string> {
  const { dir, names, links } = options;
  if (options.basePort + 2 * PORT_STRIDE + names.length > 65535) {
    throw new ConfigError(`--base-port: ${options.basePort} leaves no room for ${names.length} members`);
  }
  checkConnected(names, links);
  const file = join(dir, 'herd.json');
  const existing = [file, ...names.map((n) => join(dir, `${n}.key`))].filter((f) => existsSync(f));
  if (existing.length > 0 && !options.force) {
    throw new ConfigError(`${existing[0]} exists; pass --force to replace the herd in ${dir}`);
  }
  mkdirSync(dir, { recursive: true });
  const members = [];
  for (const [i, name] of names.entries()) {
    const key = await generateKey();
    writeKeyFile(join(dir, `${name}.key`), key);
    members.push({
      name,
      host: options.host,
      clientPort: options.basePort + i,
      p2pPort: options.basePort + PORT_STRIDE + i,
      adminPort: options.basePort + 2 * PORT_STRIDE + i,
      peerId: peerIdOf(key),
      keyFile: `${name}.key`,
    });
  }
  const herd = { members, links };
  parseHerd(herd, file); // the same checks `herd start` makes, before anything is written
  writeFileSync(file, `${JSON.stringify(herd, null, 2)}\n`);
  return file;
}

function checkConnected(names: readonly string[], links: readonly (readonly [string, string])[]): void {
  const known = new Set(names);
  if (known.size !== names.length) throw new ConfigError(`--names: duplicate name in ${names.join(',')}`);
  for (const [a, b] of links) {
    for (const end of [a, b]) if (!known.has(end)) throw new ConfigError(`--links: unknown member "${end}" in ${a}-${b}`);
  }
  const reached = new Set([names[0]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [a, b] of links) {
      if (reached.has(a) !== reached.has(b)) {
        reached.add(reached.has(a) ? b : a);
        grew = true;
      }
    }
  }
  const unreached = names.filter((n) => !reached.has(n));
  if (unreached.length > 0) throw new ConfigError(`--links: the herd is not connected (${unreached.join(', ')} unreachable from ${names[0]})`);
}

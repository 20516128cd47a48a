/** Temporary herds for tests: real keys from `herd init`, free ports on 127.0.0.1. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHerd } from '../src/config/initHerd.js';
import { loadHerdFile, type HerdConfig, type HerdFileJson } from '../src/config/herdFile.js';
import { freePorts } from './ports.js';

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

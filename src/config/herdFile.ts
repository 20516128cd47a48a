/**
 * The herd file: members, their addresses and key files, and the links between them.
 * Validated once at load; every error names the bad field and value on one line.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

const memberSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-"'),
  host: z.string().min(1),
  clientPort: port,
  p2pPort: port,
  adminPort: port,
  /** Where the admin endpoint listens; loopback unless the operator says otherwise. */
  adminHost: z.string().min(1).default('127.0.0.1'),
  peerId: z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{40,60}$/, 'must be a base58 libp2p peer ID'),
  keyFile: z.string().min(1),
});

const herdSchema = z.strictObject({
  members: z.array(memberSchema).min(1),
  links: z.array(z.tuple([z.string(), z.string()])).default([]),
});

/** The herd file's JSON as `herd init` writes it and `parseHerd` takes it, before defaults. */
export type HerdFileJson = z.input<typeof herdSchema>;

export type MemberConfig = z.infer<typeof memberSchema> & { readonly keyPath: string };

export interface HerdConfig {
  readonly file: string;
  readonly members: readonly MemberConfig[];
  readonly links: readonly (readonly [string, string])[];
}

/** A herd file, or a herd described on the command line, that cannot be used as it is. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'HERD_CONFIG';
}

export function loadHerdFile(file: string): HerdConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read herd file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not JSON (${(err as Error).message})`);
  }
  return parseHerd(json, file);
}

export function parseHerd(json: unknown, file: string): HerdConfig {
  const parsed = herdSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new ConfigError(`${file}: ${path.replace(/^\./, '') || '(top level)'}: ${issue.message}${valueAt(json, issue.path)}`);
  }
  const base = dirname(resolve(file));
  const members = parsed.data.members.map((m) => ({ ...m, keyPath: resolve(base, m.keyFile) }));
  const herd = { file, members, links: parsed.data.links };
  checkConsistency(herd);
  return herd;
}

function checkConsistency(herd: HerdConfig): void {
  const fail = (msg: string) => {
    throw new ConfigError(`${herd.file}: ${msg}`);
  };
  const names = new Set<string>();
  const endpoints = new Set<string>();
  herd.members.forEach((m, i) => {
    if (names.has(m.name)) fail(`members[${i}].name: duplicate member name "${m.name}"`);
    names.add(m.name);
    for (const key of ['clientPort', 'p2pPort', 'adminPort'] as const) {
      const endpoint = `${key === 'adminPort' ? m.adminHost : m.host}:${m[key]}`;
      if (endpoints.has(endpoint)) fail(`members[${i}].${key}: ${endpoint} is already used by another port`);
      endpoints.add(endpoint);
    }
  });
  const seen = new Set<string>();
  herd.links.forEach(([a, b], i) => {
    if (!names.has(a)) fail(`links[${i}]: unknown member "${a}"`);
    if (!names.has(b)) fail(`links[${i}]: unknown member "${b}"`);
    if (a === b) fail(`links[${i}]: a member cannot link to itself ("${a}")`);
    const key = [a, b].sort().join('\u0000');
    if (seen.has(key)) fail(`links[${i}]: duplicate link ${a}-${b}`);
    seen.add(key);
  });
}

function valueAt(json: unknown, path: readonly PropertyKey[]): string {
  let value: unknown = json;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return '';
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
}

/** The names of the members linked with `name`. */
export function neighboursOf(herd: HerdConfig, name: string): string[] {
  return herd.links.flatMap(([a, b]) => (a === name ? [b] : b === name ? [a] : []));
}

export function findMember(herd: HerdConfig, name: string): MemberConfig {
  const member = herd.members.find((m) => m.name === name);
  if (!member) {
    throw new ConfigError(`${herd.file}: no member named "${name}" (members: ${herd.members.map((m) => m.name).join(', ')})`);
  }
  return member;
}

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../src/', import.meta.url));

function importsOf(dir: string): Array<{ file: string; from: string }> {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) => {
      const text = readFileSync(join(root, dir, file), 'utf8');
      return [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => ({ file: `${dir}/${file}`, from: m[1]! }));
    });
}

test('protocol/ imports nothing but itself', () => {
  for (const { file, from } of importsOf('protocol')) {
    assert.ok(from.startsWith('./'), `${file} imports ${from}`);
  }
});

test('core/ imports only itself and protocol/', () => {
  for (const { file, from } of importsOf('core')) {
    assert.ok(from.startsWith('./') || from.startsWith('../protocol/'), `${file} imports ${from}`);
  }
});

test('net/p2p/ imports nothing from config/: it takes the topology it needs, not the herd file', () => {
  for (const { file, from } of importsOf('net/p2p')) {
    assert.ok(!from.includes('/config/'), `${file} imports ${from}`);
  }
});

test('net/, places/ and config/ never import cli/: the commands build on them, not the other way', () => {
  for (const dir of ['net', 'places', 'config']) {
    for (const { file, from } of importsOf(dir)) {
      assert.ok(!/(^|\/)cli\//.test(from), `${file} imports ${from}`);
    }
  }
});

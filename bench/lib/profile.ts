/** Summarizes V8 .cpuprofile files by where the self time went (placeholder: by package). */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

function category(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return '(program)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.includes('/dist/src/')) return 'herd';
  if (url.startsWith('node:')) return 'node';
  return url === '' ? `native ${functionName}` : 'other';
}

export function summarizeProfiles(files: readonly string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, category(n)]));
    for (const id of profile.samples) {
      const c = byId.get(id)!;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
  }
  counts.delete('idle');
  const busy = [...counts.values()].reduce((a, b) => a + b, 0);
  return [...counts].map(([c, n]): [string, number] => [c, n / busy]).sort((a, b) => b[1] - a[1]);
}

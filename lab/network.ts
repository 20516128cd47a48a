/**
 * The lab's network, built with iproute2 in namespaces only: a "switch" namespace holding a
 * bridge, each member and the client namespace joined to it by a veth pair. Nothing here
 * touches the root namespace's addresses, routes or links.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { relayNs, NS_PREFIX, type LabPlan, type MemberPlan } from './plan.js';

const run = promisify(execFile);

export async function sh(cmd: string, ...args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

const ipIn = (ns: string, ...args: string[]) => sh('ip', '-n', ns, ...args);
const tcIn = (ns: string, ...args: string[]) => sh('tc', '-n', ns, ...args);

/** Why the lab cannot run here, or null when it can (a namespace, a veth and a bridge are tried). */
export async function labUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') return `network lab needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network lab needs root (ip netns, veth, bridge)';
  const ns = `${NS_PREFIX}probe${process.pid}`;
  try {
    await sh('ip', 'netns', 'add', ns);
    await ipIn(ns, 'link', 'add', 'br0', 'type', 'bridge');
    await ipIn(ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
    await tcIn(ns, 'qdisc', 'add', 'dev', 'v0', 'root', 'tbf', 'rate', '1mbit', 'burst', '16kb', 'latency', '100ms');
    return null;
  } catch (err) {
    return `network lab unavailable: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await sh('ip', 'netns', 'del', ns).catch(() => {});
  }
}

export async function listNamespaces(): Promise<string[]> {
  const out = await sh('ip', 'netns', 'list');
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
}

/** Kills every process inside the namespaces (all started by the lab), then deletes them. */
export async function destroyNamespaces(names: readonly string[]): Promise<void> {
  for (const ns of names) {
    const pids = (await sh('ip', 'netns', 'pids', ns).catch(() => '')).split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await Promise.all(names.map((ns) => sh('ip', 'netns', 'del', ns).catch(() => {})));
}

async function addNamespace(ns: string): Promise<void> {
  await sh('ip', 'netns', 'add', ns);
  await ipIn(ns, 'link', 'set', 'lo', 'up');
}

/** Joins `ns` to the switch: `eth0` inside with `address`/24, `port` on the bridge. */
async function plugIn(plan: LabPlan, ns: string, port: string, address: string): Promise<void> {
  await ipIn(ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', plan.switchNs);
  await ipIn(plan.switchNs, 'link', 'set', port, 'master', 'br0', 'up');
  await ipIn(ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  await ipIn(ns, 'link', 'set', 'eth0', 'up');
}

export async function buildNetwork(plan: LabPlan): Promise<void> {
  await addNamespace(plan.switchNs);
  await ipIn(plan.switchNs, 'link', 'add', 'br0', 'type', 'bridge');
  await ipIn(plan.switchNs, 'link', 'set', 'br0', 'up');
  await addNamespace(plan.clientNs);
  await plugIn(plan, plan.clientNs, 'client', plan.clientAddress);
  for (const m of plan.members) {
    await addNamespace(m.ns);
    await plugIn(plan, m.ns, `m${m.index}`, m.address);
  }
}

/** Rule priority of the cut's blackhole rules: before the main table. */
const CUT_PREF = '50';

/**
 * Cuts `member` off from every other member, both ways: blackhole rules in its namespace and
 * in theirs silently drop the packets, as a pulled cable would. The client namespace still
 * reaches it, so its clients keep being answered.
 */
export async function cut(plan: LabPlan, member: MemberPlan): Promise<void> {
  for (const other of plan.members.filter((m) => m !== member)) {
    await ipIn(member.ns, 'rule', 'add', 'pref', CUT_PREF, 'to', `${other.address}/32`, 'blackhole');
    await ipIn(other.ns, 'rule', 'add', 'pref', CUT_PREF, 'to', `${member.address}/32`, 'blackhole');
  }
}

export async function heal(plan: LabPlan, member: MemberPlan): Promise<void> {
  for (const other of plan.members.filter((m) => m !== member)) {
    await ipIn(member.ns, 'rule', 'del', 'pref', CUT_PREF, 'to', `${other.address}/32`, 'blackhole').catch(() => {});
    await ipIn(other.ns, 'rule', 'del', 'pref', CUT_PREF, 'to', `${member.address}/32`, 'blackhole').catch(() => {});
  }
}

/**
 * Puts a namespace in the path between `a` and `b` for the user-space relay, transparently:
 * a's packets to b's address go to the relay namespace, which holds b's address toward a and
 * a's address toward b, so each member still sees the other's own address. Policy rules
 * send what the relay itself originates out the other side instead of to its local copy of
 * the address. A connection open at that moment is reset (the relay does not know it) and is
 * redialled through the relay.
 */
export async function insertRelayPath(plan: LabPlan, a: MemberPlan, b: MemberPlan): Promise<string> {
  const ns = relayNs(plan, a, b);
  await addNamespace(ns);
  await sh(
    'ip',
    'netns',
    'exec',
    ns,
    'sh',
    '-c',
    'for f in /proc/sys/net/ipv4/conf/*/accept_local; do echo 1 > $f; done; for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done',
  );
  const ends = [
    [a, b],
    [b, a],
  ] as const;
  for (const [self, other] of ends) {
    // Inside self's namespace the veth is `r<other>`; inside the relay, `m<self>`.
    const table = String(100 + self.index);
    await ipIn(self.ns, 'link', 'add', `r${other.index}`, 'type', 'veth', 'peer', 'name', `m${self.index}`, 'netns', ns);
    await ipIn(self.ns, 'link', 'set', `r${other.index}`, 'up');
    await ipIn(ns, 'link', 'set', `m${self.index}`, 'up');
    await ipIn(ns, 'addr', 'add', `${other.address}/32`, 'dev', `m${self.index}`);
    await ipIn(ns, 'route', 'add', `${self.address}/32`, 'dev', `m${self.index}`, 'table', table);
    await ipIn(ns, 'rule', 'add', 'pref', '10', 'from', other.address, 'to', self.address, 'iif', 'lo', 'lookup', table);
  }
  await ipIn(ns, 'rule', 'add', 'pref', '1000', 'lookup', 'local');
  await ipIn(ns, 'rule', 'del', 'pref', '0');
  for (const [self, other] of ends) {
    await ipIn(self.ns, 'route', 'add', `${other.address}/32`, 'dev', `r${other.index}`, 'src', self.address);
  }
  return ns;
}

/**
 * Limits the link a-b to `rate` (tc syntax, e.g. `1mbit`) each way. Through a relay the
 * link has its own veth and gets a tbf; on the bridge an htb class with a u32 filter on the
 * peer's address shapes only that link's packets.
 */
export async function limitRate(a: MemberPlan, b: MemberPlan, rate: string, relayed: boolean): Promise<void> {
  for (const [self, other] of [
    [a, b],
    [b, a],
  ] as const) {
    if (relayed) {
      await tcIn(self.ns, 'qdisc', 'replace', 'dev', `r${other.index}`, 'root', 'tbf', 'rate', rate, 'burst', '32kb', 'latency', '1s');
      continue;
    }
    // htb without a default class sends unclassified packets unshaped.
    await tcIn(self.ns, 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '1:', 'htb');
    const classId = `1:${other.index + 10}`;
    await tcIn(self.ns, 'class', 'replace', 'dev', 'eth0', 'parent', '1:', 'classid', classId, 'htb', 'rate', rate, 'ceil', rate, 'burst', '32kb');
    await tcIn(
      self.ns,
      'filter',
      'replace',
      'dev',
      'eth0',
      'parent',
      '1:',
      'protocol',
      'ip',
      'prio',
      String(other.index),
      'handle',
      `800::${other.index}`,
      'u32',
      'match',
      'ip',
      'dst',
      `${other.address}/32`,
      'flowid',
      classId,
    );
  }
}

/** Removes every rate limit of `member`'s namespace. */
export async function unlimit(member: MemberPlan): Promise<void> {
  const devs = (await ipIn(member.ns, '-o', 'link', 'show'))
    .split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
    .filter((d): d is string => !!d && d !== 'lo');
  for (const dev of devs) await tcIn(member.ns, 'qdisc', 'del', 'dev', dev, 'root').catch(() => {});
}

/**
 * What Linux says about a process: CPU time from /proc/PID/stat, resident memory from
 * /proc/PID/status. Read from outside, so the members need no instrumentation of their own.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of utime/stime; 100 on practically every Linux, asked once anyway. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

export interface Memory {
  /** Resident set now. */
  readonly rssMiB: number;
  /** Peak resident set since start or the last `resetPeak`. */
  readonly peakMiB: number;
}

export function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

/**
 * Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux >= 4.0), so a phase's peak
 * is its own. Returns false where that is not allowed; the peak then covers the whole run.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface SocketQueues {
  /** Arrived at a member but not read by it yet (rx_queue of the member's end). */
  readonly unreadByMembers: number;
  /** Written by clients but not yet taken by the member's kernel side (tx_queue of the client's end). */
  readonly unsentByClients: number;
}

/**
 * Where the bytes of connections to the given local ports wait, from /proc/net/tcp: what a
 * member leaves in the kernel when it stops reading, and what then backs up in the sending
 * clients' kernel buffers. IPv4 only; the bench talks to 127.0.0.1.
 */
export function socketQueues(memberPorts: ReadonlySet<number>): SocketQueues {
  let unreadByMembers = 0;
  let unsentByClients = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || fields[3] !== '01') continue; // 01: ESTABLISHED
    const port = (address: string) => parseInt(address.split(':')[1]!, 16);
    const [tx, rx] = fields[4]!.split(':').map((hex) => parseInt(hex, 16)) as [number, number];
    if (memberPorts.has(port(fields[1]!))) unreadByMembers += rx;
    else if (memberPorts.has(port(fields[2]!))) unsentByClients += tx;
  }
  return { unreadByMembers, unsentByClients };
}

/**
 * CPU seconds the whole machine has been busy (all cores; everything but idle and iowait),
 * from /proc/stat. Minus the members and the bench, it shows how much other tenants of a
 * shared machine took during a phase.
 */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

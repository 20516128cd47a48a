/**
 * Multiaddrs from the herd file's `host` and `p2pPort`. A host may be an IPv4 or IPv6
 * literal or a DNS name; nothing here assumes loopback.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';

/** How neighbours dial `host`: a name stays a name, so it is resolved at each dial. */
export function dialAddress(host: string, port: number): Multiaddr {
  return multiaddr(`/${protocolOf(host)}/${bare(host)}/tcp/${port}`);
}

/** Where to listen for `host`: every address the name resolves to (libp2p listens on IPs). */
export async function listenAddresses(host: string, port: number): Promise<string[]> {
  if (isIP(bare(host)) !== 0) return [dialAddress(host, port).toString()];
  let found: Array<{ address: string }>;
  try {
    found = await lookup(host, { all: true });
  } catch (err) {
    throw new Error(`cannot resolve host "${host}" to listen on (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  return [...new Set(found.map((a) => dialAddress(a.address, port).toString()))];
}

/** The address without a `/p2p/...` suffix, as a comparable string. */
export function withoutPeerId(addr: Multiaddr): string {
  const id = addr.getPeerId();
  return id === null ? addr.toString() : addr.decapsulateCode(421).toString();
}

function protocolOf(host: string): 'ip4' | 'ip6' | 'dns' {
  const family = isIP(bare(host));
  return family === 4 ? 'ip4' : family === 6 ? 'ip6' : 'dns';
}

/** `[::1]` (URL style) is accepted as well as `::1`. */
function bare(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The addresses inbound peer connections may come from: every address of the neighbours'
 * hosts (names resolved now, at start) and the operator's extra CIDRs or addresses (a
 * neighbour behind NAT connects from another address than its herd file host).
 */
export async function inboundSources(neighbourHosts: readonly string[], allowFrom: readonly string[]): Promise<BlockList> {
  const list = new BlockList();
  for (const host of neighbourHosts) {
    const addresses =
      isIP(bare(host)) !== 0
        ? [bare(host)]
        : await lookup(host, { all: true }).then(
            (found) => found.map((a) => a.address),
            () => [],
          );
    for (const address of addresses) list.addAddress(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
  for (const entry of allowFrom) {
    const [address, prefix] = parseCidr(entry);
    list.addSubnet(address, prefix, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** `ADDRESS/PREFIX` or a bare address (a /32 or /128); throws a one-line error naming the entry. */
export function parseCidr(entry: string): [string, number] {
  const [address = '', prefixText, ...rest] = entry.trim().split('/');
  const family = isIP(bare(address));
  const max = family === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (family === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= max)) {
    throw new Error(`expected an IP address or CIDR (10.0.0.0/8, 2001:db8::/32), got "${entry}"`);
  }
  return [bare(address), prefix];
}

/** Whether `address` (as a socket reports it) is in `list`; IPv4-mapped IPv6 counts as IPv4. */
export function isAllowedSource(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return list.check(mapped, 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Multiaddrs from the herd file's `host` and `p2pPort`. A host may be an IPv4 or IPv6
 * literal or a DNS name; nothing here assumes loopback.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
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

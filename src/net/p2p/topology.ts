/**
 * What the libp2p side knows of the herd, and nothing of the herd file: who this member is and
 * where it listens, whom it links with and where they are dialled, and the herd's members and
 * links (the gossip trees span the whole herd). The caller builds it from its configuration.
 */
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { dialAddress } from './addresses.js';
import { dialsTo, type Neighbour } from './links.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface MemberIdentity {
  readonly name: string;
  readonly peerId: string;
}

export interface HerdTopology {
  /** `listen`: where this member listens for peers; `keyFile`: where its key came from (for errors). */
  readonly self: MemberIdentity & { readonly listen: HostPort; readonly keyFile: string };
  /** The linked neighbours, each with the address it is dialled at. */
  readonly neighbours: readonly (MemberIdentity & { readonly address: HostPort })[];
  /** Every member, this one included: who may sign gossip, and the trees' nodes. */
  readonly members: readonly MemberIdentity[];
  /** Every link of the herd: the trees' edges. */
  readonly links: readonly (readonly [string, string])[];
  /** Where the peer IDs were read from (the herd file), named in errors. */
  readonly source: string;
}

/** The one peer ID -> member name lookup of the libp2p side. */
export class PeerNames {
  private readonly members: ReadonlyMap<string, string>;
  private readonly neighbours: ReadonlyMap<string, string>;
  /** Every member but this one, by its peer ID's multihash bytes in latin1. */
  private readonly signers: ReadonlyMap<string, string>;

  constructor(topology: {
    readonly self: MemberIdentity;
    readonly members: readonly MemberIdentity[];
    readonly neighbours: readonly MemberIdentity[];
  }) {
    this.members = new Map(topology.members.map((m) => [m.peerId, m.name]));
    this.neighbours = new Map(topology.neighbours.map((n) => [n.peerId, n.name]));
    const others = topology.members.filter((m) => m.peerId !== topology.self.peerId);
    this.signers = new Map(others.map((m) => [multihashKey(peerIdFromString(m.peerId)), m.name]));
  }

  /**
   * The member that signed a gossip message, if it is a herd member other than this one (our
   * own key on someone else's message means a copied key file). Looked up by the peer ID's
   * bytes: its base58 text cost about 8 µs a message.
   */
  signer(from: PeerId): string | undefined {
    return this.signers.get(multihashKey(from));
  }

  /** The name of a linked neighbour's peer ID; undefined for anyone else (other members included). */
  neighbour(peerId: string): string | undefined {
    return this.neighbours.get(peerId);
  }

  /** For people reading logs and /status: the member's name, or the peer ID of an outsider. */
  label(peerId: string): string {
    return this.members.get(peerId) ?? peerId;
  }
}

/** The neighbours as the link manager and the gater need them. */
export function neighbourLinks(topology: HerdTopology): Neighbour[] {
  return topology.neighbours.map(({ name, peerId, address }) => ({
    name,
    peerId: peerIdFromString(peerId),
    address: dialAddress(address.host, address.port).encapsulate(`/p2p/${peerId}`),
    dials: dialsTo(topology.self.peerId, peerId),
  }));
}

function multihashKey(peerId: PeerId): string {
  const { bytes } = peerId.toMultihash();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

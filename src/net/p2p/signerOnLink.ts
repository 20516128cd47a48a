/**
 * A gossip message that comes straight from its signer, over the link to that signer, needs no
 * signature check: the link's noise handshake already proved which member is at the other end,
 * so gossipsub's StrictSign check (an ed25519 verification, 125-300 µs here, about a sixth of
 * a relay's CPU per message) would only prove it again. A message that any other neighbour
 * passes on is checked as before: a member cannot speak for another. The message keeps its
 * signature, so the members beyond check it.
 *
 * gossipsub 14 checks the signature in `validateReceivedMessage`, before its first await
 * (`validateToRawMessage` calls the key's `verify` with the message's own signature array).
 * The hook runs that call under `verifyingFor` (ed25519Verify.ts), vouching for that array
 * alone. Should an upgrade move the check behind an await, messages would simply be checked
 * again, and the counts (`herd_gossip_signatures_total`) would show it.
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { PeerId } from '@libp2p/interface';
import { cacheEd25519VerifyKeys, verifyingFor, type SignatureCounts } from './ed25519Verify.js';

interface Validation {
  validateReceivedMessage(source: PeerId, rpcMsg: { topic: string; from?: Uint8Array; signature?: Uint8Array }): Promise<unknown>;
}

/** Trusts signers on their own links on every topic; counts the checks of `topic`'s messages. */
export function trustSignerOnItsLink(pubsub: GossipSub, topic: string, counts: SignatureCounts): void {
  cacheEd25519VerifyKeys(); // the verify that honours `verifyingFor`
  const gs = pubsub as unknown as Validation;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- taken off gossipsub on purpose: the hook below calls it with gossipsub as `this`
  const validate = gs.validateReceivedMessage;
  gs.validateReceivedMessage = function (this: Validation, source, rpcMsg) {
    const vouched = rpcMsg.from != null && sameBytes(rpcMsg.from, source.toMultihash().bytes) ? rpcMsg.signature : undefined;
    return verifyingFor(rpcMsg.topic === topic ? counts : undefined, vouched, () => validate.call(this, source, rpcMsg));
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

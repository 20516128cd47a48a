/**
 * @libp2p/crypto 5.1.8 imports an Ed25519 public key from JWK on every `verify`: gossipsub
 * checks every received message's signature that way, and the import was about a third of
 * the check (a relay's profile at 200 updates/s: `createPublicKey` 3.7 % of busy time,
 * `verifyOneShot` 7 %). A herd has a handful of signers, so the KeyObject is built once per
 * key and kept. Same algorithm, same inputs, same answer; only the import is skipped.
 *
 * `verifyingFor` also counts the checks made on a member's behalf, and lets it vouch for one
 * signature it need not check (signerOnLink.ts).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '@libp2p/crypto/keys';

/** Distinct keys kept; past it the cache starts over, so a flood of strange keys cannot grow it. */
const MAX_KEYS = 256;
const RAW_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

interface VerifyingKey {
  readonly raw: Uint8Array;
  verify(data: Uint8Array | { subarray(): Uint8Array }, sig: Uint8Array, options?: { signal?: AbortSignal }): boolean | Promise<boolean>;
}

/** How the signatures of a member's received gossip messages were settled. */
export interface SignatureCounts {
  /** Checked with ed25519. */
  gossipSignaturesVerified: number;
  /** Vouched for by the caller of `verifyingFor`, not checked. */
  gossipSignaturesTrusted: number;
}

const keyObjects = new Map<string, KeyObject>();
let installed = false;
/** Set only while `verifyingFor` runs its check. */
let counting: SignatureCounts | undefined;
let vouchedFor: Uint8Array | undefined;

/**
 * Runs `check`, counting in `counts` (if given) the verifications it makes synchronously. A
 * verification of `vouched` itself (that very array, not an equal one) answers true without a
 * check: the caller vouches for that signature. Anything `check` verifies after an await is
 * checked as usual and not counted. Needs `cacheEd25519VerifyKeys` to have run.
 */
export function verifyingFor<T>(counts: SignatureCounts | undefined, vouched: Uint8Array | undefined, check: () => T): T {
  counting = counts;
  vouchedFor = vouched;
  try {
    return check();
  } finally {
    counting = undefined;
    vouchedFor = undefined;
  }
}

export function cacheEd25519VerifyKeys(): void {
  if (installed) return;
  installed = true;
  const proto = Object.getPrototypeOf(publicKeyFromRaw(new Uint8Array(RAW_KEY_BYTES))) as VerifyingKey;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- taken off the prototype on purpose: the patch below calls it with the key as `this`
  const verifyByJwk = proto.verify;
  proto.verify = function (this: VerifyingKey, data, sig, options) {
    if (vouchedFor !== undefined && sig === vouchedFor) {
      if (counting) counting.gossipSignaturesTrusted++;
      return true;
    }
    if (counting) counting.gossipSignaturesVerified++;
    // Anything unusual goes the original way, with its own errors.
    if (this.raw.byteLength !== RAW_KEY_BYTES || !(sig instanceof Uint8Array) || sig.byteLength !== SIGNATURE_BYTES) {
      return verifyByJwk.call(this, data, sig, options);
    }
    options?.signal?.throwIfAborted();
    return verify(null, data instanceof Uint8Array ? data : data.subarray(), keyObjectOf(this.raw), sig);
  };
}

/** How many keys are kept now (for tests). */
export function cachedVerifyKeys(): number {
  return keyObjects.size;
}

function keyObjectOf(raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  let key = keyObjects.get(id);
  if (key === undefined) {
    if (keyObjects.size >= MAX_KEYS) keyObjects.clear();
    key = createPublicKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') } });
    keyObjects.set(id, key);
  }
  return key;
}

/**
 * Member key files: a libp2p private key in its protobuf encoding (the format of
 * `privateKeyToProtobuf`), raw bytes, readable by the owner only.
 */
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { closeSync, fchmodSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import type { Logger } from '../../core/ports.js';

export type { PrivateKey };

/** Owner read/write only: the key is the member's identity in the herd. */
export const KEY_FILE_MODE = 0o600;

/** A key file that cannot be read or is no libp2p key: one line naming the path. */
export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly code: 'HERD_KEY_FILE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Reads a key file; a missing or corrupt file is one line naming the path. */
export function readKeyFile(path: string, log?: Pick<Logger, 'warn'>): PrivateKey {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new KeyFileError('HERD_KEY_FILE', `${path}: cannot read key file (${code})`, { cause: err });
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new KeyFileError('HERD_KEY_FILE', `${path}: not a libp2p private key (${(err as Error).message})`, { cause: err });
  }
  if (keyFileIsExposed(path)) {
    log?.warn({ keyFile: path, mode: modeOf(path) }, 'key file is readable by group or others; chmod 600 it');
  }
  return key;
}

/** Whether group or others have any access to the file (POSIX modes only). */
export function keyFileIsExposed(path: string): boolean {
  if (process.platform === 'win32') return false; // no POSIX modes to check there
  return (statSync(path).mode & 0o077) !== 0;
}

/** Writes `key`, creating the file owner-only, and tightening the mode of an existing one. */
export function writeKeyFile(path: string, key: PrivateKey): void {
  const fd = openSync(path, 'w', KEY_FILE_MODE);
  try {
    // `openSync`'s mode only applies to new files; an existing file keeps its old mode.
    fchmodSync(fd, KEY_FILE_MODE);
    writeSync(fd, privateKeyToProtobuf(key));
  } finally {
    closeSync(fd);
  }
}

export async function generateKey(): Promise<PrivateKey> {
  return generateKeyPair('Ed25519');
}

export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

function modeOf(path: string): string {
  return `0${(statSync(path).mode & 0o777).toString(8)}`;
}

/**
 * The same key, signing with a node:crypto KeyObject built once. @libp2p/crypto 5.1.8 imports
 * the Ed25519 key from JWK on every `sign` (which derives the public key again): about 60% of
 * a gossip signature's cost, measured at ~100 us per sign against ~37 us with the KeyObject
 * kept. Ed25519 signatures are deterministic, so the bytes are exactly those of `key.sign`.
 * Other key types are returned as they are.
 */
export function withCachedSigner(key: PrivateKey): PrivateKey {
  if (key.type !== 'Ed25519' || key.raw.length !== 64) return key;
  const keyObject = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'OKP',
      crv: 'Ed25519',
      d: Buffer.from(key.raw.subarray(0, 32)).toString('base64url'),
      x: Buffer.from(key.raw.subarray(32)).toString('base64url'),
    },
  });
  const sign = (message: Uint8Array | { subarray(): Uint8Array }, options?: { signal?: AbortSignal }): Uint8Array => {
    options?.signal?.throwIfAborted();
    return cryptoSign(null, message instanceof Uint8Array ? message : message.subarray(), keyObject);
  };
  // Everything else (raw, publicKey, equals, type) from the original, through the prototype.
  return Object.create(key, { sign: { value: sign, enumerable: false } }) as PrivateKey;
}

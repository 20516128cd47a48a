/** Which bucket or shard a client falls in, for the store and its digest. Pure. */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a with a murmur3 finaliser, so that similar client ids spread over buckets. */
export function clientHash(client: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < client.length; i++) h = Math.imul(h ^ client.charCodeAt(i), FNV_PRIME);
  return finish(h);
}

/** clientHash of the client id whose latin1 bytes are `bytes[start, end)`. */
export function clientHashOfBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return finish(h);
}

function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

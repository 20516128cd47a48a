/** Which bucket or shard a client falls in, for the store and its digest. Pure. */

/** 32-bit FNV-1a with a murmur3 finaliser, so that similar client ids spread over buckets. */
export function clientHash(client: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) {
    h ^= client.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

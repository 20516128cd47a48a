/**
 * `herd init DIR --names A,B,C --links A-B,B-C`: the command's argument parsing; the herd itself
 * is written by `initHerd` (src/config/initHerd.ts), which tests and the bench call directly.
 */
import { ConfigError } from '../config/herdFile.js';

export { initHerd } from '../config/initHerd.js';

/** `A-B,B-C` into pairs; a name may not contain '-' here, which the herd file allows. */
export function parseLinks(text: string): Array<[string, string]> {
  if (text.trim() === '') return [];
  return text.split(',').map((pair) => {
    const ends = pair.trim().split('-');
    if (ends.length !== 2 || !ends[0] || !ends[1]) throw new ConfigError(`--links: "${pair}" is not NAME-NAME`);
    return [ends[0], ends[1]];
  });
}

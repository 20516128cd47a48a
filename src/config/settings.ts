/**
 * Checking setting values wherever they come from (command line, environment, options
 * objects): one rule for positive integers and one wording for a bad setting. Pure, so the
 * cli, the places providers, the lab and the benchmark share it; each edge raises its own
 * error (commander's InvalidArgumentError stays in cli/options.ts).
 */

/** A whole number from 1 to Number.MAX_SAFE_INTEGER. */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/**
 * A positive integer written in decimal digits only, or undefined: "010" is 10, while "1e3",
 * "+5", "2.0", "0x10" and " 5" are not, so what a person typed is what the member uses.
 */
export function parsePositiveInteger(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return isPositiveInteger(value) ? value : undefined;
}

/**
 * A one-line message naming the bad setting and showing its value (JSON-quoted, so no
 * newlines). A plain Error, not a class of its own: its text as thrown (`Error: NAME: ...`) is
 * what scripts and tests match (test/places-env.test.ts).
 */
export function badSetting(name: string, rule: string, value: unknown, shown?: string): Error {
  shown ??= typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new Error(`${name}: ${rule} (got ${shown})`);
}

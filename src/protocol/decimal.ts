/**
 * Unsigned decimal numerals compared by value, exactly, whatever their length: `050`,
 * `50.0000000000000` and `.5` are read as what they say, not refused for their digit count.
 * Every step is linear in the text's length (it is bounded by the line cap).
 */

/** A numeral's significant digits: `whole` without leading zeros, `fraction` without trailing ones. */
export interface Decimal {
  readonly whole: string;
  readonly fraction: string;
}

const NUMERAL = /^(\d*)(?:\.(\d*))?$/;
const ZERO = 0x30;

/** `DIGITS`, `DIGITS.`, `DIGITS.DIGITS` or `.DIGITS`, with at least one digit; no sign or exponent. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = NUMERAL.exec(text);
  if (!match) return undefined;
  const [, whole = '', fraction = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  return { whole: withoutLeadingZeros(whole), fraction: withoutTrailingZeros(fraction) };
}

/** An integer numeral (digits only) as its significant digits. */
export function parseDigits(text: string): string | undefined {
  return /^\d+$/.test(text) ? withoutLeadingZeros(text) : undefined;
}

export function isZero(d: Decimal): boolean {
  return d.whole === '' && d.fraction === '';
}

/** Negative, zero or positive as `d` is below, at or above the integer `limit` (>= 1). */
export function compareWithInteger(d: Decimal, limit: number): number {
  const digits = String(limit);
  if (d.whole.length !== digits.length) return d.whole.length - digits.length;
  if (d.whole !== digits) return d.whole < digits ? -1 : 1;
  return d.fraction === '' ? 0 : 1;
}

/** The nearest double (a tiny positive numeral may round to 0). */
export function toNumber(d: Decimal): number {
  return Number(`${d.whole || '0'}.${d.fraction || '0'}`);
}

function withoutLeadingZeros(digits: string): string {
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === ZERO) i++;
  return digits.slice(i);
}

/** By hand: /0+$/ backtracks quadratically on a long run of zeros followed by another digit. */
function withoutTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === ZERO) end--;
  return digits.slice(0, end);
}

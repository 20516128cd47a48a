/** Reply formatting: the exact bytes a client receives. */

/** The fields of an AT line, as its receiving member produced them. */
export interface AtFields {
  readonly member: string;
  readonly difference: string;
  readonly client: string;
  readonly location: string;
  readonly timeText: string;
}

/** Bytes of any reply may echo client input, which is carried as `latin1` strings. */
const WIRE = 'latin1';

export function formatAtLine(at: AtFields): string {
  return `AT ${at.member} ${at.difference} ${at.client} ${at.location} ${at.timeText}`;
}

export function iamatReply(atLine: string): Buffer {
  return Buffer.from(`${atLine}\n`, WIRE);
}

export function invalidReply(line: string): Buffer {
  return Buffer.from(`? ${line}\n`, WIRE);
}

/** A provider's answer: a Places Nearby Search JSON object. */
export type PlacesAnswer = { readonly results?: unknown; readonly status?: unknown } & Record<string, unknown>;

/**
 * The WHATSAT reply: the stored AT line, the provider's JSON with `results` cut to `bound`,
 * then an empty line. The JSON is indented like Google's and, being produced by
 * JSON.stringify, never contains two adjacent newlines (newlines in strings are escaped).
 */
export function whatsatReply(atLine: string, answer: PlacesAnswer, bound: number): Buffer {
  const trimmed = Array.isArray(answer.results) ? { ...answer, results: answer.results.slice(0, bound) } : answer;
  const json = JSON.stringify(trimmed, null, 3);
  // The AT line may carry non-UTF-8 bytes from the client; the JSON is Unicode text.
  return Buffer.concat([Buffer.from(`${atLine}\n`, WIRE), Buffer.from(`${json}\n\n`, 'utf8')]);
}

/** Answers every places provider may give, whatever its source. */
import type { PlacesAnswer } from '../protocol/reply.js';

/**
 * An answer we could not get, in Google's own shape: a WHATSAT always gets a JSON object, and
 * clients written for Google read the failure as they would read Google's.
 */
export function unknownError(cause: string): PlacesAnswer {
  return { html_attributions: [], results: [], status: 'UNKNOWN_ERROR', error_message: cause };
}

/** Waiting for the world to catch up: the one polling loop behind every wait in the tests. */
/** Thrown by a check that knows waiting longer cannot help: `eventually` rethrows it at once. */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns true; resolves true, or throws when the time is up, naming
 * `what` and the last error seen. The time limit is a hang guard for a busy machine, not a speed
 * budget. Errors of the check's own code (a TypeError, a failed assertion) are thrown at once;
 * only those of the world not being ready yet (a refused connection, a member restarting) mean
 * "try again".
 */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 30_000, intervalMs = 50, what?: string): Promise<true> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return true;
    } catch (err) {
      if (err instanceof GiveUp || isBugInCheck(err)) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        // eslint-disable-next-line @typescript-eslint/no-base-to-string -- anything may be thrown; String() shows it as it can
        `${what ? `${what}: ` : ''}not true within the ${timeoutMs} ms hang guard${lastError ? `; last error: ${String(lastError)}` : ''}`,
        { cause: lastError },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function isBugInCheck(err: unknown): boolean {
  return (
    (err instanceof TypeError && !isFetchFailure(err)) ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError ||
    (err instanceof Error && err.name === 'AssertionError')
  );
}

/** undici's fetch reports a refused connection as a TypeError('fetch failed'). */
const isFetchFailure = (err: TypeError) => err.message === 'fetch failed';

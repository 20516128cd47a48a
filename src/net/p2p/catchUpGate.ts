/**
 * One full digest round at a time while a member catches up after its start. A member that has
 * just started may lack most of the store, and its links come up together: a digest round with
 * each neighbour at once would bring it every record once per neighbour (a restarted member
 * with two neighbours received 1.2-2 records for each one it lacked).
 *
 * So, until one of its digest rounds has completed, a round it opens waits for the running one
 * to end, and a round a neighbour opens meanwhile is answered as if the two stores were equal:
 * nothing crosses, and the member opens a round of its own with that neighbour later (its turn
 * comes once the running round ended; by then it costs two digests and what is still missing).
 * Answers never wait, so members catching up at the same time never wait for each other.
 */

/** A round's hold on the gate: `end` once, with whether the round completed. */
export interface Turn {
  end(completed: boolean): void;
}

const FREE: Turn = { end: () => {} };

export class CatchUpGate {
  private catchingUp = true;
  private running = 0;
  private readonly waiting: Array<(turn: Turn) => void> = [];

  /** For a round this member opens: resolves once no other digest round of this member runs. */
  openerTurn(signal: AbortSignal): Promise<Turn> {
    if (!this.catchingUp) return Promise.resolve(FREE);
    if (this.running === 0) return Promise.resolve(this.take());
    return new Promise((resolve, reject) => {
      const granted = (turn: Turn): void => {
        signal.removeEventListener('abort', aborted);
        resolve(turn);
      };
      const aborted = (): void => {
        this.waiting.splice(this.waiting.indexOf(granted), 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      };
      signal.throwIfAborted();
      signal.addEventListener('abort', aborted, { once: true });
      this.waiting.push(granted);
    });
  }

  /** For a round a neighbour opened: a turn, or null while another round runs (answer as equal). */
  answererTurn(): Turn | null {
    if (!this.catchingUp) return FREE;
    return this.running === 0 ? this.take() : null;
  }

  private take(): Turn {
    this.running++;
    let ended = false;
    return {
      end: (completed) => {
        if (ended) return;
        ended = true;
        this.running--;
        if (completed) this.catchingUp = false;
        this.grant();
      },
    };
  }

  /** Hands the gate to the next waiting opener, or, once caught up, lets every waiter go. */
  private grant(): void {
    while (this.running === 0 && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      next(this.catchingUp ? this.take() : FREE);
    }
  }
}

/**
 * How far apart one member spaces its gossip messages. What the herd can afford is a rate of
 * messages over all members, so each member's share shrinks as more members publish: the
 * spacing is a fixed step times the members (this one included) that published lately.
 * A member alone publishing is held to one message per step; five, to one per five steps.
 */
import { PUBLISHER_ACTIVE_MS, PUBLISH_SPACING_PER_PUBLISHER_MS } from './constants.js';

export interface PacingInit {
  readonly stepMs?: number;
  readonly activeMs?: number;
  /** ms; performance.now unless a test says otherwise. */
  readonly now?: () => number;
}

export class PublishPacing {
  private readonly lastSeen = new Map<string, number>();
  private readonly stepMs: number;
  private readonly activeMs: number;
  private readonly now: () => number;

  constructor(init: PacingInit = {}) {
    this.stepMs = init.stepMs ?? PUBLISH_SPACING_PER_PUBLISHER_MS;
    this.activeMs = init.activeMs ?? PUBLISHER_ACTIVE_MS;
    this.now = init.now ?? (() => performance.now());
  }

  /** Another member's message arrived (first delivery, from its signer). */
  heardFrom(member: string): void {
    this.lastSeen.set(member, this.now());
  }

  /** The spacing for this member's next message: itself plus the others active lately. */
  spacingMs(): number {
    const since = this.now() - this.activeMs;
    let publishers = 1;
    for (const [member, at] of this.lastSeen) {
      if (at >= since) publishers++;
      else this.lastSeen.delete(member);
    }
    return this.stepMs * publishers;
  }
}

/** An EventEmitter whose listeners cannot throw into the code that emits. */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../core/ports.js';

type EventMap<T> = Record<keyof T, unknown[]>;

export class SafeEmitter<Events extends EventMap<Events>> extends EventEmitter<Events> {
  constructor(private readonly emitterLog: Logger) {
    super();
  }

  /** Adds `cb` for `event`; returns the function that removes it. */
  protected subscribe<K extends keyof Events>(event: K, cb: (...args: Events[K]) => void): () => void {
    this.on(event as never, cb as never);
    return () => this.off(event as never, cb as never);
  }

  /** A throwing listener must not break libp2p's event dispatch or the validator. */
  protected safeEmit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    try {
      (this.emit as unknown as (e: K, ...a: Events[K]) => boolean)(event, ...args);
    } catch (err) {
      this.emitterLog.error({ err, event }, 'listener failed');
    }
  }
}

import { PermanentError, QuotaExceededError, RateLimitedError, TransientError } from '../../domain/index.js';

/**
 * When an injected failure strikes: `before` the effect (the request failed, nothing changed), or `after` it (the
 * effect happened but the response was lost, as with a timeout or a dropped connection: the retry must be safe).
 */
export type FaultTiming = 'before' | 'after';

export interface PendingFault {
  readonly timing: FaultTiming;
  /**
   * `refused`: the service rejects the request for good (a 400 on what was sent): nothing changes. `quota`: Google's
   * "Calendar usage limits exceeded" (nothing changes).
   */
  readonly kind: 'transient' | 'rate-limited' | 'refused' | 'quota';
}

/** A queue of failures for the next write calls of an in-memory service. */
export class FaultQueue {
  #pending: PendingFault[] = [];

  inject(count: number, fault: PendingFault): void {
    for (let i = 0; i < count; i += 1) this.#pending.push(fault);
  }

  clear(): void {
    this.#pending = [];
  }

  get size(): number {
    return this.#pending.length;
  }

  /** Runs `effect` unless a fault strikes; a fault `after` the effect runs it and then throws. */
  async run<T>(operation: string, effect: () => T): Promise<T> {
    await Promise.resolve();
    const fault = this.#pending.shift();
    if (fault === undefined) return effect();
    if (fault.kind === 'refused') {
      throw new PermanentError('validation', `The service refused this entry (injected on ${operation}).`);
    }
    if (fault.kind === 'quota') throw new QuotaExceededError(`injected usage limit on ${operation}`);
    if (fault.timing === 'after') effect();
    throw fault.kind === 'rate-limited'
      ? new RateLimitedError(`injected rate limit on ${operation}`, 1)
      : new TransientError(`injected failure on ${operation} (${fault.timing})`);
  }
}

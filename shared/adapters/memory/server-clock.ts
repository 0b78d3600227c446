import type { Clock } from '../../ports/index.js';

/**
 * Time as servers stamp it: never still, never backwards. In-memory services that share one of these order their
 * `lastUpdatedDateTime` and `updated` stamps the way real wall-clock time would, even while a test's clock stands
 * still, so "latest modification wins" (B6) compares edits across both services correctly.
 */
export class ServerClock implements Clock {
  readonly #base: Clock;
  #last = 0;

  constructor(base: Clock) {
    this.#base = base;
  }

  now(): Date {
    this.#last = Math.max(this.#base.now().getTime(), this.#last + 1);
    return new Date(this.#last);
  }
}

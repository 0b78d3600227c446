/**
 * Client-side pacing for APIs with a hard per-second quota. Severa admits 10 requests per second per organisation
 * and answers the eleventh with 429 "API calls quota exceeded! maximum admitted 10 per 1s." (severa-api.md §4); the
 * sync keeps to 8 per second (SPEC §6 "throttle to ≤8 rps org-wide", the pace rantalainen/severa-api-client uses),
 * leaving room for a person's own integrations and for clock differences.
 *
 * Requests are given evenly spaced slots (1000 / rate ms apart; no bursts), so any 1 s window holds at most `rate`
 * of them whatever the caller's concurrency. The limiter is per process: instances of a Cloud Function each pace on
 * their own, which is why the sync polls Severa from one place per cycle (SPEC §5 syncTick).
 */
import type { Clock, Sleep } from '../ports/index.js';

/** Requests per second the sync allows itself against Severa (SPEC §6; Severa admits 10, severa-api.md §4). */
export const DEFAULT_SEVERA_RATE_PER_SECOND = 8;

export const systemClock: Clock = { now: () => new Date() };

export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, ms));
  });

export interface RateLimiterOptions {
  /** Requests per second; default {@link DEFAULT_SEVERA_RATE_PER_SECOND}. `Infinity` disables pacing. */
  readonly ratePerSecond?: number;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
}

/** Evenly spaced request slots with an injectable clock and sleep. */
export class RateLimiter {
  readonly ratePerSecond: number;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  /** The earliest instant (ms) the next slot may start. */
  #nextSlotMs = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions = {}) {
    const rate = options.ratePerSecond ?? DEFAULT_SEVERA_RATE_PER_SECOND;
    if (!(rate > 0)) throw new RangeError(`ratePerSecond must be positive, got ${rate}`);
    this.ratePerSecond = rate;
    this.#intervalMs = rate === Number.POSITIVE_INFINITY ? 0 : 1000 / rate;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
  }

  /**
   * Waits for the next free slot and takes it. Slots are handed out in call order, synchronously, so concurrent
   * callers never share one.
   */
  async acquire(): Promise<void> {
    const now = this.#clock.now().getTime();
    const slot = Math.max(now, this.#nextSlotMs);
    this.#nextSlotMs = slot + this.#intervalMs;
    const waitMs = Math.ceil(slot - now);
    if (waitMs > 0) await this.#sleep(waitMs);
  }
}

const shared = new Map<string, RateLimiter>();

/**
 * The process-wide limiter for `key` (e.g. a Severa base URL + client id), created on first use: every client of
 * the same Severa organisation in this process shares one pace. Options only apply when the limiter is created.
 */
export function sharedRateLimiter(key: string, options: RateLimiterOptions = {}): RateLimiter {
  let limiter = shared.get(key);
  if (limiter === undefined) {
    limiter = new RateLimiter(options);
    shared.set(key, limiter);
  }
  return limiter;
}

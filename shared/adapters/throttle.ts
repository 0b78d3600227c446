/**
 * Client-side pacing for APIs with a hard per-second quota. Severa admits 10 requests per second per organisation
 * and answers the eleventh with 429 "API calls quota exceeded! maximum admitted 10 per 1s." (severa-api.md §4); the
 * sync keeps to 8 per second (SPEC §6 "throttle to ≤8 rps org-wide", the pace rantalainen/severa-api-client uses),
 * leaving room for a person's own integrations and for clock differences.
 *
 * Requests are given evenly spaced slots (1000 / rate ms apart; no bursts), so any 1 s window holds at most `rate`
 * of them whatever the caller's concurrency. The limiter is per process: instances of a Cloud Function each pace on
 * their own, which is why the sync polls Severa from one place per cycle (SPEC §5 syncTick).
 *
 * Fairness. The pace is one budget for the whole organisation, so handing slots out in call order lets one person
 * spend it for everyone: on the local stack a sync that re-read 229 activities queued 443 requests a minute, and two
 * other people's runs in the same process waited behind that backlog for about 19 minutes. Slots therefore go
 * round-robin between parties: a party is the person on whose behalf a request is made ({@link onBehalfOf}), and
 * requests made on nobody's behalf (the org-wide poll) form one party of their own. Each waiting party gets one slot
 * per turn, first come first served within the party, so with n parties waiting each gets 1/n of the rate and a
 * party's next request waits at most n slots, however long the others' queues are; a party that arrives goes to the
 * back of the turn. Who gets a slot is decided when the slot falls due, not when the request is made, which is what
 * lets a latecomer pass a backlog. When only one party waits it gets every slot: fairness never leaves the budget
 * idle, and the spacing is the same as without it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { Clock, Sleep } from '../ports/index.js';
import { realSleep, systemClock } from './system-time.js';

/** Requests per second the sync allows itself against Severa (SPEC §6; Severa admits 10, severa-api.md §4). */
export const DEFAULT_SEVERA_RATE_PER_SECOND = 8;

/** The party of the code running now; it follows the async calls made inside {@link onBehalfOf}. */
const partyContext = new AsyncLocalStorage<string>();

/**
 * Runs `fn` on behalf of `party` (a person's Severa user guid): every request paced by a {@link RateLimiter} from
 * inside it, however deep in the call chain and across awaits, counts towards that party's share. Calls nest (the
 * innermost party wins) and concurrent calls do not see each other's party.
 */
export function onBehalfOf<T>(party: string, fn: () => Promise<T>): Promise<T> {
  return partyContext.run(party, fn);
}

/** The party set by the innermost {@link onBehalfOf} around the caller, or `undefined` outside any. */
export function currentParty(): string | undefined {
  return partyContext.getStore();
}

/** The party of requests made on nobody's behalf; a symbol so that no person's id can be mistaken for it. */
const NO_PARTY: unique symbol = Symbol('no party');
type PartyKey = string | typeof NO_PARTY;

interface Waiter {
  readonly grant: () => void;
  readonly fail: (error: unknown) => void;
}

export interface RateLimiterOptions {
  /** Requests per second; default {@link DEFAULT_SEVERA_RATE_PER_SECOND}. `Infinity` disables pacing. */
  readonly ratePerSecond?: number;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
}

/** Evenly spaced request slots, shared round-robin between parties, with an injectable clock and sleep. */
export class RateLimiter {
  readonly ratePerSecond: number;
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  /** The earliest instant (ms) the next slot may start. */
  #nextSlotMs = Number.NEGATIVE_INFINITY;
  /** Waiting requests per party; the map's insertion order is the turn (the first party is served next). */
  readonly #queues = new Map<PartyKey, Waiter[]>();
  #waiting = 0;
  /** Whether the loop that hands out slots is running; it runs while anyone waits. */
  #dispatching = false;

  constructor(options: RateLimiterOptions = {}) {
    const rate = options.ratePerSecond ?? DEFAULT_SEVERA_RATE_PER_SECOND;
    if (!(rate > 0)) throw new RangeError(`ratePerSecond must be positive, got ${rate}`);
    this.ratePerSecond = rate;
    this.#intervalMs = rate === Number.POSITIVE_INFINITY ? 0 : 1000 / rate;
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
  }

  /**
   * Waits for a slot and takes it. `party` defaults to the one set by {@link onBehalfOf} around the caller; without
   * one the request joins the shared party of requests made on nobody's behalf. A request goes at once when the
   * next slot is free and nobody waits; otherwise it queues behind its own party's earlier requests.
   */
  acquire(party: string | undefined = currentParty()): Promise<void> {
    if (this.#intervalMs === 0) return Promise.resolve();
    const now = this.#clock.now().getTime();
    if (this.#waiting === 0 && now >= this.#nextSlotMs) {
      this.#nextSlotMs = now + this.#intervalMs;
      return Promise.resolve();
    }
    const key: PartyKey = party ?? NO_PARTY;
    return new Promise<void>((grant, fail) => {
      const queue = this.#queues.get(key);
      if (queue === undefined) this.#queues.set(key, [{ grant, fail }]);
      else queue.push({ grant, fail });
      this.#waiting += 1;
      if (!this.#dispatching) {
        this.#dispatching = true;
        void this.#dispatch();
      }
    });
  }

  /** Sleeps until each slot falls due, then gives it to the party whose turn it is. One loop per limiter. */
  async #dispatch(): Promise<void> {
    try {
      while (this.#waiting > 0) {
        const now = this.#clock.now().getTime();
        let slot = Math.max(now, this.#nextSlotMs);
        const waitMs = Math.ceil(slot - now);
        if (waitMs > 0) {
          await this.#sleep(waitMs);
          // A timer that fired late (a busy event loop) moves this slot, so the next ones do not bunch up after it.
          slot = Math.max(slot, this.#clock.now().getTime());
        }
        this.#nextSlotMs = slot + this.#intervalMs;
        this.#takeTurn().grant();
      }
    } catch (error) {
      // Only `sleep` or the clock can throw here. Failing every waiter beats leaving its request hanging for ever.
      const waiters = [...this.#queues.values()].flat();
      this.#queues.clear();
      this.#waiting = 0;
      for (const waiter of waiters) waiter.fail(error);
    } finally {
      this.#dispatching = false;
    }
  }

  /** The first waiter of the party whose turn it is; that party moves to the back of the turn if it has more. */
  #takeTurn(): Waiter {
    for (const [party, queue] of this.#queues) {
      const waiter = queue.shift();
      this.#queues.delete(party);
      if (queue.length > 0) this.#queues.set(party, queue);
      if (waiter === undefined) continue;
      this.#waiting -= 1;
      return waiter;
    }
    throw new Error('RateLimiter: a slot was handed out with nobody waiting');
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

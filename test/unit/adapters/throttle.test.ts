import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEFAULT_SEVERA_RATE_PER_SECOND,
  RateLimiter,
  realSleep,
  sharedRateLimiter,
  systemClock,
} from '../../../shared/adapters/throttle.js';
import type { Clock, Sleep } from '../../../shared/ports/index.js';

/** A clock that only moves when the limiter sleeps (or the test says so). */
function fakeTime(startMs = 1_000_000): {
  clock: Clock;
  sleep: Sleep;
  waits: number[];
  advance(ms: number): void;
} {
  let now = startMs;
  const waits: number[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    waits,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** The most requests found in any window of `windowMs` (sliding, half-open like Severa's "per 1s"). */
function maxInWindow(instants: readonly number[], windowMs: number): number {
  let max = 0;
  for (const t of instants) max = Math.max(max, instants.filter((u) => u >= t && u < t + windowMs).length);
  return max;
}

describe('RateLimiter (SPEC §6: ≤ 8 requests/s against Severa, which admits 10)', () => {
  it('defaults to 8 per second: 125 ms apart, never more than 8 in any second', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    assert.equal(limiter.ratePerSecond, DEFAULT_SEVERA_RATE_PER_SECOND);
    assert.equal(DEFAULT_SEVERA_RATE_PER_SECOND, 8);
    const at: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      await limiter.acquire();
      at.push(t.clock.now().getTime());
    }
    const gaps = at.slice(1).map((ms, i) => ms - (at[i] ?? 0));
    assert.ok(
      gaps.every((g) => g === 125),
      JSON.stringify(gaps),
    );
    assert.equal(maxInWindow(at, 1000), 8);
    assert.equal(t.waits[0], 125, 'the first request goes at once, the second waits');
    assert.equal(t.waits.length, 29);
  });

  it('hands concurrent callers distinct slots, in call order', async () => {
    const t = fakeTime();
    // The clock stands still while everyone waits: each caller's wait shows the slot it was given.
    const waits: number[] = [];
    const limiter = new RateLimiter({
      clock: t.clock,
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        limiter.acquire().then(() => {
          order.push(i);
        }),
      ),
    );
    assert.deepEqual(waits, [125, 250, 375, 500, 625, 750, 875, 1000, 1125]);
    assert.equal(order.length, 10);
  });

  it('does not save up idle time for a burst', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep, ratePerSecond: 4 });
    await limiter.acquire();
    t.advance(10_000);
    await limiter.acquire();
    assert.deepEqual(t.waits, [], 'after a pause the next request goes at once');
    await limiter.acquire();
    await limiter.acquire();
    assert.deepEqual(t.waits, [250, 250], 'and the ones after it are paced again');
  });

  it('can be disabled with an infinite rate and refuses a rate that is not positive', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter({
      clock: t.clock,
      sleep: t.sleep,
      ratePerSecond: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 5; i += 1) await limiter.acquire();
    assert.deepEqual(t.waits, []);
    assert.throws(() => new RateLimiter({ ratePerSecond: 0 }), RangeError);
    assert.throws(() => new RateLimiter({ ratePerSecond: -1 }), RangeError);
  });

  it('shares one limiter per key in the process', () => {
    const a = sharedRateLimiter('severa https://x org-1');
    const b = sharedRateLimiter('severa https://x org-1', { ratePerSecond: 1 });
    const c = sharedRateLimiter('severa https://x org-2');
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.equal(b.ratePerSecond, DEFAULT_SEVERA_RATE_PER_SECOND, 'options apply only on creation');
  });

  it('spaces requests in real time with the real clock and sleep', async () => {
    const limiter = new RateLimiter({ ratePerSecond: 200, clock: systemClock, sleep: realSleep });
    const started = performance.now();
    const at: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      await limiter.acquire();
      at.push(performance.now());
    }
    // 5 ms slots: the sixth request cannot start before 25 ms (allowing 3 ms for timer and clock rounding).
    assert.ok((at.at(-1) ?? 0) - started >= 22, `took ${(at.at(-1) ?? 0) - started} ms`);
    assert.ok((at[1] ?? 0) - started >= 3, 'the second request waited for its slot');
  });
});

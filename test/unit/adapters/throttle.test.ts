import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';

import {
  currentParty,
  DEFAULT_SEVERA_RATE_PER_SECOND,
  onBehalfOf,
  RateLimiter,
  sharedRateLimiter,
} from '../../../shared/adapters/throttle.js';
import { realSleep, systemClock } from '../../../shared/adapters/system-time.js';
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

/**
 * A manual clock whose sleeps are timers that fire only when the test runs them, one at a time and in time order,
 * with every promise chain settled in between. Unlike `fakeTime` (which moves the clock as soon as the limiter
 * sleeps), a granted caller here reads the instant of its own slot, so the log below holds true grant times.
 */
function manualTime(startMs = 1_000_000): {
  clock: Clock;
  sleep: Sleep;
  now(): number;
  advance(ms: number): void;
  run(until?: () => boolean): Promise<void>;
} {
  let now = startMs;
  const timers: { readonly at: number; readonly fire: () => void }[] = [];
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms) =>
      new Promise<void>((fire) => {
        timers.push({ at: now + ms, fire });
      }),
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    run: async (until = () => false) => {
      await setImmediate();
      while (!until()) {
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (next === undefined) return;
        now = Math.max(now, next.at);
        next.fire();
        await setImmediate();
      }
    },
  };
}

/** One event in the order it happened: a request made, or a slot given. `label` names the caller. */
interface Event {
  readonly kind: 'ask' | 'grant';
  readonly label: string;
  readonly at: number;
}

/**
 * `count` concurrent requests by the caller `label`, made on behalf of `party` (none: on nobody's behalf); each
 * request and each grant is logged as it happens. Resolves when all have been granted.
 */
function ask(
  limiter: RateLimiter,
  clock: Clock,
  log: Event[],
  request: { readonly label: string; readonly party?: string; readonly count: number },
): Promise<unknown> {
  const make = (): Promise<unknown> =>
    Promise.all(
      Array.from({ length: request.count }, () => {
        log.push({ kind: 'ask', label: request.label, at: clock.now().getTime() });
        return limiter.acquire().then(() => {
          log.push({ kind: 'grant', label: request.label, at: clock.now().getTime() });
        });
      }),
    );
  return request.party === undefined ? make() : onBehalfOf(request.party, make);
}

const grants = (log: readonly Event[]): Event[] => log.filter((e) => e.kind === 'grant');
/** Who got the slots, in order, one letter per grant (e.g. "ABAB"). */
const order = (log: readonly Event[]): string =>
  grants(log)
    .map((e) => e.label)
    .join('');
const gapsOf = (instants: readonly number[]): number[] =>
  instants.slice(1).map((ms, i) => ms - (instants[i] ?? 0));

describe('RateLimiter fairness: one person never takes more than a fair share of the Severa pace', () => {
  it('a party that queues 3 requests behind another party’s 40 is done within 6 slots, not after the 40', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep }); // 8/s: a slot every 125 ms
    const log: Event[] = [];
    const big = ask(limiter, t.clock, log, { label: 'A', party: 'person-a', count: 40 });
    await t.run(() => grants(log).length >= 5);
    const arrived = t.now();
    const small = ask(limiter, t.clock, log, { label: 'B', party: 'person-b', count: 3 });
    await t.run();
    await Promise.all([big, small]);

    assert.equal(order(log).slice(5, 11), 'ABABAB', order(log));
    const smallDone = Math.max(
      ...grants(log)
        .filter((e) => e.label === 'B')
        .map((e) => e.at),
    );
    assert.ok(smallDone - arrived <= 6 * 125, `B done ${smallDone - arrived} ms after it asked`);
    assert.equal(order(log).replace(/B/g, ''), 'A'.repeat(40), 'A loses none of its requests');
    assert.deepEqual(
      [...new Set(gapsOf(grants(log).map((e) => e.at)))],
      [125],
      'no slot is left idle, before, while or after B waits',
    );
  });

  it('takes turns round-robin among three parties, first come first served within each', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    const log: Event[] = [];
    const done = Promise.all(
      ['A', 'B', 'C'].map((label) =>
        ask(limiter, t.clock, log, { label, party: `person-${label}`, count: 10 }),
      ),
    );
    await t.run();
    await done;
    // A's first request finds the limiter idle and goes at once; from then on the three alternate until A is done.
    assert.equal(order(log), `A${'ABC'.repeat(9)}BC`);
  });

  it('gives a party that waits alone every slot, back to back', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep, ratePerSecond: 4 });
    const log: Event[] = [];
    const started = t.now();
    const done = ask(limiter, t.clock, log, { label: 'A', party: 'person-a', count: 20 });
    await t.run();
    await done;
    const at = grants(log).map((e) => e.at);
    assert.equal(at.length, 20);
    assert.equal(at[0], started, 'the first request goes at once');
    assert.deepEqual([...new Set(gapsOf(at))], [250], 'every next slot, no gap');
  });

  for (const rate of [8, 3]) {
    it(`keeps to ${rate} per second in any 1 s window, and to one turn per party, as parties come and go`, async () => {
      const t = manualTime();
      const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep, ratePerSecond: rate });
      const log: Event[] = [];
      const parties = [
        { label: 'A', party: 'person-a' },
        { label: 'B', party: 'person-b' },
        { label: 'C', party: 'person-c' },
        { label: 'P' }, // the org-wide poll: on nobody's behalf
      ] as const;
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 48_271) % 2_147_483_647; // Park–Miller: exact in doubles, so the same run every time
        return seed % n;
      };
      const pending: Promise<unknown>[] = [];
      let asked = 0;
      for (let round = 0; round < 60; round += 1) {
        const who = parties[random(parties.length)] ?? parties[0];
        const count = 1 + random(15);
        asked += count;
        pending.push(ask(limiter, t.clock, log, { ...who, count }));
        // Now and then everything is granted and the limiter stands idle for a while before the next request.
        const drain = random(5) === 0;
        const target = drain ? asked : grants(log).length + random(8);
        await t.run(() => grants(log).length >= target);
        if (drain) t.advance(random(3 * (1000 / rate)));
      }
      await t.run();
      await Promise.all(pending);

      const at = grants(log).map((e) => e.at);
      assert.equal(at.length, asked, 'every request was granted');
      assert.ok(maxInWindow(at, 1000) <= rate, `${maxInWindow(at, 1000)} grants in one second`);
      const tightest = Math.min(...gapsOf(at));
      assert.ok(tightest >= 1000 / rate - 1e-6, `two grants ${tightest} ms apart`);
      // While a party waits, the others get at most one slot each before its next one.
      let mostPassed = 0;
      const waiting = new Map<string, number>();
      const othersSince = new Map<string, number>();
      for (const e of log) {
        const mine = waiting.get(e.label) ?? 0;
        if (e.kind === 'ask') {
          if (mine === 0) othersSince.set(e.label, 0);
          waiting.set(e.label, mine + 1);
          continue;
        }
        waiting.set(e.label, mine - 1);
        othersSince.set(e.label, 0);
        for (const [label, count] of waiting) {
          if (label === e.label || count === 0) continue;
          const passed = (othersSince.get(label) ?? 0) + 1;
          othersSince.set(label, passed);
          mostPassed = Math.max(mostPassed, passed);
          assert.ok(passed <= parties.length - 1, `${label} waited while ${passed} others went first`);
        }
      }
      // The scenario must exercise both: three parties waiting at once, and idle time between busy spells.
      assert.equal(mostPassed, parties.length - 1);
      assert.ok(
        gapsOf(at).some((gap) => gap > 1000 / rate + 1),
        'the limiter stood idle at some point',
      );
    });
  }

  it('keeps the spacing when its timer fires late: a request arriving meanwhile queues, and slots do not bunch', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    const log: Event[] = [];
    const started = t.now();
    const a = ask(limiter, t.clock, log, { label: 'A', party: 'person-a', count: 2 });
    await t.run(() => grants(log).length >= 1);
    t.advance(200); // A's second slot fell due at 125 ms, but the event loop was busy until 200 ms
    const b = ask(limiter, t.clock, log, { label: 'B', party: 'person-b', count: 1 });
    await t.run();
    await Promise.all([a, b]);
    assert.deepEqual(
      grants(log).map((e) => `${e.label}+${e.at - started}`),
      ['A+0', 'A+200', 'B+325'],
    );
  });

  it('counts every request made on nobody’s behalf as one shared party', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    const log: Event[] = [];
    const done = Promise.all([
      ask(limiter, t.clock, log, { label: 'x', count: 6 }), // e.g. the org-wide poll
      ask(limiter, t.clock, log, { label: 'y', count: 6 }), // another caller with no party
      ask(limiter, t.clock, log, { label: 'A', party: 'person-a', count: 6 }),
    ]);
    await t.run();
    await done;
    // x and y take turns with A as one party (first come first served between them), not as two.
    assert.equal(order(log), `x${'xA'.repeat(5)}yA${'y'.repeat(5)}`);
  });

  it('lets an explicit party override the one from the context', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    const log: string[] = [];
    const done = onBehalfOf('person-a', () =>
      Promise.all([
        ...Array.from({ length: 4 }, () => limiter.acquire().then(() => log.push('A'))),
        ...Array.from({ length: 2 }, () => limiter.acquire('person-b').then(() => log.push('B'))),
      ]),
    );
    await t.run();
    await done;
    assert.equal(log.join(''), 'AABABA');
  });

  it('fails the waiting requests instead of leaving them hanging when sleep fails', async () => {
    const limiter = new RateLimiter({
      clock: { now: () => new Date(0) },
      sleep: () => Promise.reject(new Error('timer broke')),
    });
    await limiter.acquire();
    const waiting = [limiter.acquire('person-a'), limiter.acquire('person-b'), limiter.acquire()];
    for (const request of waiting) await assert.rejects(request, /timer broke/);
  });

  it('is still disabled by an infinite rate, whatever the party', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter({
      clock: t.clock,
      sleep: t.sleep,
      ratePerSecond: Number.POSITIVE_INFINITY,
    });
    await onBehalfOf('person-a', () => Promise.all(Array.from({ length: 5 }, () => limiter.acquire())));
    await Promise.all(Array.from({ length: 5 }, () => limiter.acquire()));
    assert.deepEqual(t.waits, []);
  });
});

describe('onBehalfOf: the party a request is made for', () => {
  it('nests: the innermost party wins, and the outer one is back once the inner call returns or throws', async () => {
    assert.equal(currentParty(), undefined);
    const seen = await onBehalfOf('person-a', async () => {
      const before = currentParty();
      const inner = await onBehalfOf('person-b', async () => {
        await setImmediate();
        return currentParty();
      });
      const after = currentParty();
      await assert.rejects(
        onBehalfOf('person-c', () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      return [before, inner, after, currentParty()];
    });
    assert.deepEqual(seen, ['person-a', 'person-b', 'person-a', 'person-a']);
    assert.equal(currentParty(), undefined, 'nothing is left behind outside');
  });

  it('keeps concurrent runs apart across interleaved awaits', async () => {
    const trace: string[] = [];
    const run = (party: string): Promise<void> =>
      onBehalfOf(party, async () => {
        for (let step = 0; step < 5; step += 1) {
          await setImmediate();
          trace.push(`${party}=${currentParty() ?? 'none'}`);
        }
      });
    await Promise.all([run('x'), run('y'), run('z')]);
    assert.deepEqual(trace.slice(0, 3), ['x=x', 'y=y', 'z=z'], 'the runs did interleave');
    assert.ok(
      trace.every((step) => step[0] === step[2]),
      trace.join(' '),
    );
  });

  it('queues a nested party’s requests as that party, and resumes each caller in its own context', async () => {
    const t = manualTime();
    const limiter = new RateLimiter({ clock: t.clock, sleep: t.sleep });
    const log: string[] = [];
    const resumedIn: (string | undefined)[] = [];
    const done = onBehalfOf('person-a', () => {
      // A's requests start the limiter's loop, so B's slots are handed out from code running on A's behalf.
      const a = Array.from({ length: 10 }, () => limiter.acquire().then(() => log.push('A')));
      const b = onBehalfOf('person-b', () =>
        Promise.all(
          Array.from({ length: 2 }, () =>
            limiter.acquire().then(() => {
              log.push('B');
              resumedIn.push(currentParty());
            }),
          ),
        ),
      );
      return Promise.all([...a, b]);
    });
    await t.run();
    await done;
    assert.equal(log.join(''), 'AABAB' + 'A'.repeat(7));
    assert.deepEqual(resumedIn, ['person-b', 'person-b']);
  });
});

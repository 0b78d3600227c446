/**
 * The real clock and the real delay: the one implementation of the `Clock` and `Sleep` ports outside tests, which
 * inject their own (manual clocks, instant sleeps).
 */
import type { Clock, Sleep } from '../ports/index.js';

export const systemClock: Clock = { now: () => new Date() };

export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, ms));
  });

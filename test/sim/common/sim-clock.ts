/** Time for a simulator: the real clock by default, or a test's clock (SPEC §8: "an injectable clock"). */
export interface SimClock {
  now(): number;
}

export const systemClock: SimClock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class SteppedClock implements SimClock {
  #ms: number;
  constructor(start: string | number) {
    this.#ms = typeof start === 'number' ? start : Date.parse(start);
  }
  now(): number {
    return this.#ms;
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

/** A small seeded PRNG (mulberry32) so fault injection is reproducible when given a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

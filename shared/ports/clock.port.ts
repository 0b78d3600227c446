/** The only source of "now" outside the pure core (which takes `now` as an argument). */
export interface Clock {
  now(): Date;
}

/** Waiting, injected so that no test sleeps for real. */
export type Sleep = (ms: number) => Promise<void>;

/**
 * Mutual exclusion per key (one sync of a user at a time, SPEC §5), taken in a transaction. A lease expires so a
 * crashed holder does not block the user forever.
 */
export interface LeaseStore {
  /** True when `holder` now holds the lease (free, expired, or already its own) until `now + ttlMs`. */
  acquire(key: string, holder: string, now: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease if `holder` still holds it. */
  release(key: string, holder: string): Promise<void>;
}

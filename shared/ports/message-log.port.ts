/** Idempotency records of processed messages (Pub/Sub delivers at least once). */
export interface MessageLog {
  /** True when the message was recorded as processed. */
  wasProcessed(messageId: string): Promise<boolean>;
  /** Records the message as processed; `expiresAt` feeds the store's TTL policy. */
  markProcessed(messageId: string, at: string, expiresAt: string): Promise<void>;
  /**
   * Records `key` unless it is recorded already, atomically across instances: true for the first claim, false for
   * every later one until the record expires (replay protection of signed notices).
   */
  claim(key: string, at: string, expiresAt: string): Promise<boolean>;
  /** Drops a claim (the claimed work failed and may be tried again). */
  forget(key: string): Promise<void>;
}

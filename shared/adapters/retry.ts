import { RateLimitedError, TransientError } from '../domain/index.js';
import type { Sleep } from '../ports/index.js';

/**
 * How hard an adapter retries one call before giving up (SPEC §6 "Retries"). Giving up rethrows the typed error, so
 * a transient failure still reaches Pub/Sub as a redelivery: the retry here only spares a whole run for a blip.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Cap of the first backoff step; each further step doubles it (full jitter picks a delay below the cap). */
  readonly baseDelayMs: number;
  /** Upper bound of one backoff step. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error is rethrown for a later redelivery. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 16_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryInfo {
  /** 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: TransientError | RateLimitedError;
}

export interface RetryOptions {
  readonly policy?: RetryPolicy;
  readonly sleep: Sleep;
  /** In [0, 1); injected so tests are deterministic. */
  readonly random?: () => number;
  readonly onRetry?: (info: RetryInfo) => void;
}

/** Only these are retried: 429 and rate-limit 403s, 5xx and network errors (typed by each adapter's classifier). */
export function isRetryable(error: unknown): error is TransientError | RateLimitedError {
  return error instanceof TransientError || error instanceof RateLimitedError;
}

/**
 * The wait before attempt `attempt + 1`: exponential backoff with full jitter, never shorter than the server's
 * `Retry-After`. Null when the server asks for longer than the policy waits.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterSeconds: number | null,
  random: () => number,
): number | null {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * cap);
  if (retryAfterSeconds === null) return jittered;
  const asked = Math.ceil(retryAfterSeconds * 1000);
  if (asked > policy.maxRetryAfterMs) return null;
  return Math.max(asked, jittered);
}

/** Runs `operation`, retrying retryable failures per the policy; anything else is rethrown at once. */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.maxAttempts) throw error;
      const delayMs = backoffDelay(policy, attempt, error.retryAfterSeconds, random);
      if (delayMs === null) throw error;
      options.onRetry?.({ attempt, delayMs, error });
      await options.sleep(delayMs);
    }
  }
}

/** `Retry-After` in seconds from its delta-seconds or HTTP-date form; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, (at - nowMs) / 1000);
}

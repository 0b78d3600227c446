/**
 * Typed errors. Each carries a stable `code`, never a token, key or personal content, and says whether retrying
 * can help. They are mapped to transport outcomes (redeliver / ack and record / HTTP status) in one place at the edge.
 */
export const ERROR_CODES = [
  'transient',
  'rate-limited',
  'quota-exceeded',
  'precondition-failed',
  'not-found',
  'already-exists',
  'sync-token-expired',
  'bad-credentials',
  'missing-scope',
  'delegation-denied',
  'validation',
  'configuration',
  'deletion-held',
  /** Only tests raise it (test/support/crash.ts): the runner and worker let it through, as a process death. */
  'crash-injected',
  'deferred',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class SyncError extends Error {
  abstract readonly code: ErrorCode;
  /** True when the same call may succeed later (retry with backoff / redeliver). */
  abstract readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** 5xx, network failures, timeouts: retry with backoff. */
export class TransientError extends SyncError {
  readonly code = 'transient';
  readonly transient = true;
  /** Seconds the server asked us to wait (`Retry-After`), when it said. */
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** 429, Google 403 rate-limit reasons, Severa's "API calls quota exceeded". */
export class RateLimitedError extends SyncError {
  readonly code = 'rate-limited';
  readonly transient = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Google's "Calendar usage limits exceeded" (403 `quotaExceeded`, google-calendar.md §4): the calendar stays
 * read-only for hours. Retrying soon only prolongs it: the person's sync pauses with a long, growing delay.
 */
export class QuotaExceededError extends SyncError {
  readonly code = 'quota-exceeded';
  readonly transient = true;
}

/** The item changed under us (Google 412 on If-Match; Severa `lastUpdatedDateTime` moved): re-read and re-plan. */
export class PreconditionFailedError extends SyncError {
  readonly code = 'precondition-failed';
  readonly transient = true;
}

/** The item does not exist (any more). */
export class NotFoundError extends SyncError {
  readonly code = 'not-found';
  readonly transient = false;
}

/** A create with a deterministic id found the id taken (Google 409 `duplicate`). */
export class AlreadyExistsError extends SyncError {
  readonly code = 'already-exists';
  readonly transient = false;
}

/** Google 410 on a sync token: a full resync is needed (google-calendar.md §1). */
export class SyncTokenExpiredError extends SyncError {
  readonly code = 'sync-token-expired';
  readonly transient = true;
}

/**
 * Something only a person can fix: wrong credentials, a missing API scope, delegation not granted, invalid data.
 * `userMessage` says what to do, in words for the person who reads the status.
 */
export class PermanentError extends SyncError {
  readonly transient = false;
  constructor(
    readonly code: 'bad-credentials' | 'missing-scope' | 'delegation-denied' | 'validation' | 'configuration',
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
  }
}

/** An item waits for another user's run (a shared meeting another attendee is creating, B5): retried later. */
export class DeferredError extends SyncError {
  readonly code = 'deferred';
  readonly transient = true;
}

export function isTransient(error: unknown): boolean {
  return error instanceof SyncError ? error.transient : true;
}

/**
 * Any error thrown by a Google Calendar call (a gaxios error from the API or from the OAuth token endpoint, a network
 * failure, a timeout) → the typed errors of shared/domain/errors.ts, per reference/google-calendar.md §4 (API) and §5
 * (token endpoint). Messages are built from status, reason and Google's own message only: never from the request
 * (headers carry the access token, the token request's body carries the signed assertion).
 */
import {
  AlreadyExistsError,
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  QuotaExceededError,
  RateLimitedError,
  SyncTokenExpiredError,
  SyncError,
  TransientError,
} from '../../domain/index.js';
import { redactString } from '../../observability/logger.js';
import { parseRetryAfter } from '../retry.js';
import { CALENDAR_SCOPE } from './google.auth.js';

/** Which call failed: a 410 means "sync token expired" on a listing and "already deleted" elsewhere (§4). */
export type GoogleOperation = 'list' | 'delete' | 'other';

export interface ClassifyContext {
  readonly operation?: GoogleOperation;
  /** For an HTTP-date `Retry-After`. */
  readonly nowMs?: number;
}

/**
 * 403 reasons that mean "slow down" (§4; `usageLimits` is also the domain of every quota error). `quotaExceeded` is
 * not one of them: it is classified first, as {@link QuotaExceededError}.
 */
const RATE_LIMIT_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'usageLimits',
  'dailyLimitExceeded',
]);

/** Error codes of failed connections (Node, undici, node-fetch) and gaxios' timeout/abort codes. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'TimeoutError',
  'AbortError',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

const DELEGATION_HELP =
  "In the Google Workspace Admin console (Security → Access and data control → API controls → Domain-wide delegation), authorise the service account's client ID for the scope " +
  `${CALENDAR_SCOPE}.`;

/** What a failed call tells us, read defensively from a gaxios error (or anything shaped like one). */
export interface GoogleFailure {
  readonly status: number | null;
  /** `error.errors[0].reason` of an API error. */
  readonly reason: string | null;
  readonly domain: string | null;
  /** The OAuth `error` of a token-endpoint response (`invalid_grant`, `unauthorized_client`, …). */
  readonly oauthError: string | null;
  /** Google's own message (API `error.message` or OAuth `error_description`), redacted. */
  readonly message: string;
  readonly retryAfter: string | null;
  /** A network error code (`ECONNRESET`, `TimeoutError`, …). */
  readonly code: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function headerOf(headers: unknown, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  if (!isRecord(headers)) return null;
  if (typeof headers.get === 'function') {
    const v: unknown = (headers.get as (n: string) => unknown).call(headers, name);
    return str(v);
  }
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return str(v);
  return null;
}

function codeOf(error: Record<string, unknown>): string | null {
  const own = error.code;
  if (typeof own === 'string' && own !== '') return own;
  const cause = error.cause;
  if (isRecord(cause)) {
    if (typeof cause.code === 'string' && cause.code !== '') return cause.code;
    if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return cause.name;
    const inner = cause.cause;
    if (isRecord(inner) && typeof inner.code === 'string' && inner.code !== '') return inner.code;
  }
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return error.name;
  return null;
}

/** Reads status, reason, OAuth error, Retry-After and network code out of whatever was thrown. */
export function describeGoogleFailure(error: unknown): GoogleFailure {
  if (!isRecord(error)) {
    return {
      status: null,
      reason: null,
      domain: null,
      oauthError: null,
      message: '',
      retryAfter: null,
      code: null,
    };
  }
  const response = isRecord(error.response) ? error.response : null;
  const statusValue = response?.status ?? error.status;
  const status = typeof statusValue === 'number' ? statusValue : null;
  const data = response?.data;
  let reason: string | null = null;
  let domain: string | null = null;
  let oauthError: string | null = null;
  let message = '';
  if (isRecord(data)) {
    const e = data.error;
    if (typeof e === 'string') {
      oauthError = e;
      message = str(data.error_description) ?? '';
    } else if (isRecord(e)) {
      message = str(e.message) ?? '';
      const first: unknown = Array.isArray(e.errors) ? e.errors[0] : undefined;
      if (isRecord(first)) {
        reason = str(first.reason);
        domain = str(first.domain);
      }
      reason ??= str(e.status);
    }
  }
  return {
    status,
    reason,
    domain,
    oauthError,
    message: redactString(message).slice(0, 300),
    retryAfter: headerOf(response?.headers, 'retry-after'),
    code: status === null ? codeOf(error) : null,
  };
}

function detail(f: GoogleFailure): string {
  const parts = [f.status === null ? null : String(f.status), f.reason ?? f.oauthError].filter(
    (p) => p !== null,
  );
  const head = parts.join(' ');
  if (f.message === '') return head;
  return head === '' ? f.message : `${head}: ${f.message}`;
}

/** A token-endpoint refusal (§5) → what the admin must fix. */
function tokenError(f: GoogleFailure): SyncError {
  const oauth = f.oauthError ?? '';
  const description = f.message;
  if (f.status !== null && (f.status >= 500 || f.status === 408)) {
    return new TransientError(`Google's token endpoint failed (${detail(f)}).`);
  }
  if (f.status === 429) {
    return new RateLimitedError(`Google's token endpoint is rate limiting (${detail(f)}).`);
  }
  if (oauth === 'unauthorized_client') {
    return new PermanentError(
      'delegation-denied',
      `Google refused to let the service account act for this user: domain-wide delegation is not authorised for the calendar scope (${oauth}). ${DELEGATION_HELP}`,
    );
  }
  if (oauth === 'invalid_client' || /signature/i.test(description)) {
    return new PermanentError(
      'bad-credentials',
      `Google rejected the service account's credentials (${oauth}${description === '' ? '' : `: ${description}`}): check the service account e-mail and upload its current .p12 key; a deleted or disabled key or service account gives this error.`,
    );
  }
  if (oauth === 'invalid_grant' && /short-lived|timeframe|iat|exp/i.test(description)) {
    return new PermanentError(
      'configuration',
      `Google rejected the token request as outside its validity window (${oauth}: ${description}): the server's clock is probably wrong.`,
    );
  }
  if (oauth === 'invalid_grant' && /audience/i.test(description)) {
    return new PermanentError(
      'configuration',
      `Google rejected the token request's audience (${oauth}: ${description}): check the configured token endpoint URL.`,
    );
  }
  if (oauth === 'invalid_grant') {
    return new PermanentError(
      'delegation-denied',
      `Google refused to issue a token for this user (${oauth}${description === '' ? '' : `: ${description}`}): the user must be an active account of the Workspace domain, and the service account needs domain-wide delegation. ${DELEGATION_HELP}`,
    );
  }
  if (oauth === 'invalid_scope') {
    return new PermanentError(
      'configuration',
      `Google rejected the requested scope (${oauth}): the sync requests ${CALENDAR_SCOPE}.`,
    );
  }
  return new PermanentError(
    'configuration',
    `Google's token endpoint refused the request (${detail(f)}): check the service account settings.`,
  );
}

/** True when the failure came from the OAuth token endpoint rather than the Calendar API. */
export function isTokenEndpointFailure(error: unknown): boolean {
  return describeGoogleFailure(error).oauthError !== null;
}

/**
 * Classifies any thrown error (table in reference/google-calendar.md §4, token errors §5). A `SyncError` passes
 * through unchanged. A 401 reaching here means a fresh token was refused too (the adapter refreshes once first).
 */
export function classifyGoogleError(error: unknown, context: ClassifyContext = {}): SyncError {
  if (error instanceof SyncError) return error;
  const f = describeGoogleFailure(error);
  const nowMs = context.nowMs ?? Date.now();
  const operation = context.operation ?? 'other';
  if (f.oauthError !== null) return tokenError(f);
  const status = f.status;
  if (status === null) {
    if (f.code !== null && NETWORK_CODES.has(f.code)) {
      return new TransientError(`Google Calendar could not be reached (${f.code}).`);
    }
    const message = error instanceof Error ? redactString(error.message).slice(0, 200) : 'unknown failure';
    return new TransientError(`Google Calendar request failed: ${message}`);
  }
  const retryAfter = parseRetryAfter(f.retryAfter, nowMs);
  const reason = f.reason ?? '';
  switch (true) {
    case status === 401:
      return new PermanentError(
        'bad-credentials',
        `Google Calendar rejected the service account's access token even after a fresh one (${detail(f)}): check that the service account and its key are still active.`,
      );
    case status === 403 && reason === 'quotaExceeded':
      // "Calendar usage limits exceeded" (§4): not a per-minute rate but a Workspace limit that lasts hours, so no
      // retry within the run (the retry policy retries rate limits only); the worker pauses the person instead.
      return new QuotaExceededError(
        `Google Calendar usage limits exceeded for this user (${detail(f)}): Google keeps the calendar from taking changes for a while, often hours; the sync pauses and tries again later.`,
      );
    case status === 403 && (RATE_LIMIT_REASONS.has(reason) || f.domain === 'usageLimits'):
      return new RateLimitedError(`Google Calendar rate limit (${detail(f)}).`, retryAfter);
    case status === 403 && reason === 'forbiddenForNonOrganizer':
      // An attendee's copy of someone else's meeting (§3 `organizer`): about this one entry, the rest syncs on.
      return new PermanentError(
        'validation',
        `This entry is a meeting someone else organises, and Google Calendar lets only the organiser change it (${detail(f)}). Ask the organiser to make the change, or make it in the organiser's calendar; the sync leaves this entry as it is in Google and goes on with your other entries.`,
      );
    case status === 403 && reason === 'notACalendarUser':
      return new PermanentError(
        'configuration',
        `This user has no Google Calendar (${detail(f)}): turn on the Calendar service for the user in the Google Workspace Admin console.`,
      );
    case status === 403 &&
      (reason === 'insufficientPermissions' || reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT'):
      return new PermanentError(
        'missing-scope',
        `The access token lacks the calendar scope (${detail(f)}). ${DELEGATION_HELP}`,
      );
    case status === 403 && (reason === 'accessNotConfigured' || reason === 'SERVICE_DISABLED'):
      return new PermanentError(
        'configuration',
        `The Google Calendar API is not enabled in the service account's Google Cloud project (${detail(f)}): enable it in the Cloud console (APIs & Services).`,
      );
    case status === 403:
      return new PermanentError(
        'configuration',
        `Google Calendar refused access (${detail(f)}): check that the service account has domain-wide delegation for ${CALENDAR_SCOPE} and that the user's calendar exists.`,
      );
    case status === 404:
      return new NotFoundError(`Google Calendar: not found (${detail(f)}).`);
    case status === 409:
      return new AlreadyExistsError(`Google Calendar: the id already exists (${detail(f)}).`);
    case status === 410 && operation === 'list':
      return new SyncTokenExpiredError(`Google Calendar: a full sync is required (${detail(f)}).`);
    case status === 410:
      // "Already deleted" (delete of a deleted event, §4): callers that delete count it as done.
      return new NotFoundError(`Google Calendar: already deleted (${detail(f)}).`);
    case status === 412:
      return new PreconditionFailedError(`Google Calendar: the event changed meanwhile (${detail(f)}).`);
    case status === 429:
      return new RateLimitedError(`Google Calendar rate limit (${detail(f)}).`, retryAfter);
    case status === 408 || status >= 500:
      return new TransientError(`Google Calendar failed (${detail(f)}).`, retryAfter);
    default:
      return new PermanentError('validation', `Google Calendar refused the request (${detail(f)}).`);
  }
}

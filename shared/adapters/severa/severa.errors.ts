/**
 * Severa's error answers in the domain's words: an `ExceptionModel` (or any other body) and its status become a typed
 * error a person can act on (reference/severa-api.md §4), with every secret cut out of any text Severa sent back.
 * Pure: the transport (severa.client.ts) hands it one failed response.
 */
import type { SyncError } from '../../domain/index.js';
import { NotFoundError, PermanentError, RateLimitedError, TransientError } from '../../domain/index.js';
import { parseRetryAfter } from '../retry.js';
import { exceptionModelSchema } from './severa.wire.js';

/** Where an administrator manages the credential (§2, doc S3 guide). */
export const CREDENTIALS_PLACE = 'Severa → Settings → Integrations → REST API';

/** The scopes the sync needs (§2): activities read/write/delete, users read, settings read (activity types). */
export const SEVERA_SYNC_SCOPES = [
  'activities:read',
  'activities:write',
  'activities:delete',
  'users:read',
  'settings:read',
] as const;

/** Input of {@link severaErrorFor}: one failed response. */
export interface FailedResponse {
  readonly status: number;
  readonly body: unknown;
  /** `Retry-After` header value, when sent. */
  readonly retryAfter: string | null;
  /** Whether this was the token call (`POST /v1/token`). */
  readonly tokenCall: boolean;
  /** The scope the route needs, when known. */
  readonly scope?: string;
  /** e.g. `GET /v1/activities/{guid}`: for messages only (ids, never query values). */
  readonly operation: string;
  readonly nowMs: number;
  /** Strings to cut out of any text taken from the body (the client secret, tokens). */
  readonly secrets?: readonly string[];
}

const SCOPE_RE = /\b[a-z]+:(?:read|write|delete)\b/g;
const QUOTA_RE = /quota exceeded/i;

/** `ExceptionModel` → its type and detail messages (scrubbed); tolerant of any other body. */
export function readExceptionModel(
  body: unknown,
  secrets: readonly string[] = [],
): { readonly type: string | null; readonly messages: readonly string[] } {
  const parsed = exceptionModelSchema.safeParse(body);
  if (!parsed.success || parsed.data.error === null || parsed.data.error === undefined) {
    const text = typeof body === 'string' ? body.trim().slice(0, 300) : '';
    return { type: null, messages: text === '' ? [] : [scrub(text, secrets)] };
  }
  const error = parsed.data.error;
  const messages = (error.details ?? [])
    .map((d) => (d.message ?? '').trim())
    .filter((m) => m !== '')
    .map((m) => scrub(m.slice(0, 300), secrets));
  return { type: error.type ?? null, messages };
}

/** Replaces each secret (non-empty) in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

function detailsText(messages: readonly string[]): string {
  return messages.length === 0 ? '' : ` Severa says: ${messages.join('; ')}`;
}

export function missingScopeMessage(scopes: readonly string[]): string {
  const list = scopes.length === 0 ? 'a scope the sync needs' : scopes.map((s) => `"${s}"`).join(', ');
  return (
    `The Severa API credential lacks the API scope ${list}. An administrator adds it in ${CREDENTIALS_PLACE}: ` +
    `edit this integration's client credential and tick the scope (the sync needs ${SEVERA_SYNC_SCOPES.join(', ')}).`
  );
}

function badCredentialsMessage(): string {
  return (
    `Severa refused the API credential. Check the client id and client secret in ${CREDENTIALS_PLACE} ` +
    `(create a new secret there if it was lost or rotated) and enter them again in the sync's settings.`
  );
}

/**
 * The typed error for a failed Severa response (§4). Pure: the table the unit tests check.
 * - token call 401/400/403 → `bad-credentials` (or `missing-scope` when Severa names a scope);
 * - 401 on an API call (after one renewal, see the client) → `bad-credentials`;
 * - 403 `InsufficientApiScope` (or a message naming a scope) → `missing-scope`; other 403 → `configuration`;
 * - 400 → `validation` with Severa's detail messages;
 * - 404 → {@link NotFoundError};
 * - 429, or any 4xx saying "quota exceeded" → {@link RateLimitedError} with `Retry-After` when sent;
 * - 408 and 5xx → {@link TransientError};
 * - anything else → `configuration`, naming the status.
 */
export function severaErrorFor(failed: FailedResponse): SyncError {
  const secrets = failed.secrets ?? [];
  const { type, messages } = readExceptionModel(failed.body, secrets);
  const said = detailsText(messages);
  const status = failed.status;
  const retryAfter = parseRetryAfter(failed.retryAfter, failed.nowMs);
  const where = `${failed.operation} → HTTP ${status}${type === null ? '' : ` ${type}`}`;
  const namedScopes = [...new Set(messages.flatMap((m) => m.match(SCOPE_RE) ?? []))];

  if (status === 429 || (status >= 400 && status < 500 && messages.some((m) => QUOTA_RE.test(m)))) {
    return new RateLimitedError(`Severa rate limit (${where}).${said}`, retryAfter);
  }
  if (status === 408 || status >= 500) {
    return new TransientError(`Severa is unavailable (${where}).${said}`, retryAfter);
  }
  if (failed.tokenCall && (status === 400 || status === 401 || status === 403)) {
    if (namedScopes.length > 0) return new PermanentError('missing-scope', missingScopeMessage(namedScopes));
    return new PermanentError('bad-credentials', `${badCredentialsMessage()} (${where})${said}`);
  }
  if (status === 401) {
    return new PermanentError('bad-credentials', `${badCredentialsMessage()} (${where})${said}`);
  }
  if (status === 403) {
    if (type === 'InsufficientApiScope' || namedScopes.length > 0) {
      const scopes = namedScopes.length > 0 ? namedScopes : failed.scope === undefined ? [] : [failed.scope];
      return new PermanentError('missing-scope', missingScopeMessage(scopes));
    }
    return new PermanentError(
      'configuration',
      `Severa refused the request (${where}): the organisation's Severa settings do not allow it ` +
        `(REST API add-on, licence or permissions).${said}`,
    );
  }
  if (status === 400) {
    return new PermanentError('validation', `Severa rejected the request as invalid (${where}).${said}`);
  }
  if (status === 404) return new NotFoundError(`Severa: not found (${where}).${said}`);
  return new PermanentError(
    'configuration',
    `Severa answered an unexpected HTTP ${status} (${where}).${said}`,
  );
}

/**
 * The wire level of a Severa call (reference/severa-api.md, cited as §n): the request and response shapes, the query
 * string, a response's body, a network failure named without its message, and the token answer's fields. The client
 * (severa.client.ts) sends the requests.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | readonly string[] | null | undefined;

export interface SeveraRequest {
  readonly method: HttpMethod;
  /** Path under the base URL, e.g. `/v1/activities/{guid}` with the guid already filled in. */
  readonly path: string;
  /** Array values become repeated keys (§3, OpenAPI form/explode); null/undefined values are left out. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The API scope the route needs (§6, §9, §10), named in the error when Severa refuses it without saying. */
  readonly scope?: string;
  /**
   * Whether repeating the request after an ambiguous failure (5xx, timeout, network error: it may have taken
   * effect) is safe. Default: every method but POST. A non-idempotent request is retried only after a 429, which
   * Severa answers before doing anything (§4); otherwise the TransientError goes up, so a create is repeated only
   * by the runner's redelivery, which first looks for the activity a lost response created (no idempotency key).
   */
  readonly idempotent?: boolean;
}

export interface SeveraResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, the text of a non-JSON body, or undefined for an empty one. */
  readonly body: unknown;
}

/** `GET /v1/activities/0f3…` → `GET /v1/activities/{id}`: log and message text without ids' variety or queries. */
export function operationOf(method: string, path: string): string {
  const route = path
    .split('/')
    .map((segment) => (/^[0-9a-f]{8}-[0-9a-f]{4}-|^[0-9a-f-]{20,}$/i.test(segment) ? '{guid}' : segment))
    .join('/');
  return `${method} ${route}`;
}

export function buildQuery(query: SeveraRequest['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') params.append(key, value);
    else if (typeof value === 'number' || typeof value === 'boolean') params.append(key, String(value));
    else for (const item of value) params.append(key, item);
  }
  // URLSearchParams encodes `+` as %2B and `:` as %3A, as §3 asks for offsets (`…T13%3A20%3A00%2b02%3A00`).
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json') || /^\s*[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/** A network-level failure's code (`ECONNREFUSED`, …) without its message, which may carry a URL. */
export function networkCode(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : error instanceof Error ? error.name : 'unknown';
}

/**
 * `PublicAuthenticationOutputModel` (§2): the fields used; the refresh token is ignored (see the client's
 * `#newToken`).
 */
export function readTokenBody(
  body: unknown,
): { accessToken: string; expiresInS: number; scope: string | null } | null {
  if (typeof body !== 'object' || body === null) return null;
  const record = body as Record<string, unknown>;
  const accessToken = record.access_token;
  const expires = record.access_token_expires_in;
  if (typeof accessToken !== 'string' || accessToken === '') return null;
  const expiresInS = typeof expires === 'number' && expires > 0 ? expires : 3600;
  const scope = typeof record.scope === 'string' ? record.scope : null;
  return { accessToken, expiresInS, scope };
}

export function splitScopes(value: string | null): string[] {
  return value === null ? [] : value.split(/[\s,]+/).filter((s) => s !== '');
}

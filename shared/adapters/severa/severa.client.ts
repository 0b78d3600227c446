/**
 * Severa REST transport: client-credentials tokens, the two auth headers, pacing, retries and token paging
 * (reference/severa-api.md, cited as §n); a failed response becomes a typed error in severa.errors.ts. The wire
 * level (the request and response shapes, the query string, reading a body) is severa.http.ts.
 *
 * Secrets: the client secret and the tokens live only in this module's private fields and in request headers/bodies.
 * No log line, error message or error cause built here contains them; text that comes back from Severa is scrubbed
 * of them as well before it goes into a message.
 */
import { PermanentError, SyncError, TransientError } from '../../domain/index.js';
import type { Clock, Logger, Sleep } from '../../ports/index.js';
import { nullLogger } from '../../observability/logger.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from '../retry.js';
import { realSleep, systemClock } from '../system-time.js';
import { sharedRateLimiter, type RateLimiter } from '../throttle.js';
import {
  CREDENTIALS_PLACE,
  SEVERA_SYNC_SCOPES,
  missingScopeMessage,
  severaErrorFor,
} from './severa.errors.js';
import {
  buildQuery,
  isAbort,
  networkCode,
  operationOf,
  readBody,
  readTokenBody,
  splitScopes,
  type HttpMethod,
  type SeveraRequest,
  type SeveraResponse,
} from './severa.http.js';

export type { HttpMethod, QueryValue, SeveraRequest, SeveraResponse } from './severa.http.js';

/** Production base URL (§1; the OpenAPI `servers` entry). Resource paths are `/v1/...`. */
export const SEVERA_PRODUCTION_BASE_URL = 'https://api.severa.visma.com/rest-api';

/** Rows per page: the documented maximum (§3 "spec: default 20, max 100"; larger values are [UNCONFIRMED]). */
export const SEVERA_PAGE_SIZE = 100;

/** Renew the access token this long before `access_token_expires_in` runs out (§15, generoi's 300 s buffer). */
export const TOKEN_RENEW_MARGIN_MS = 5 * 60_000;

/** A request that gets no answer within this time counts as a network failure (transient). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** A listing stops with an error after this many pages rather than loop on a misbehaving page token. */
export const MAX_PAGES = 10_000;

export interface SeveraHttpClientOptions {
  readonly clientId: string;
  /** Never logged, never put in an error message. */
  readonly clientSecret: string;
  /** Default {@link SEVERA_PRODUCTION_BASE_URL}; the simulator's URL in tests and locally. */
  readonly baseUrl?: string;
  /** Scopes asked for on the token call; default {@link SEVERA_SYNC_SCOPES}. */
  readonly scopes?: readonly string[];
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /**
   * Pacing for every request, token calls included. Default: the process-wide limiter of this base URL and client
   * id at 8 requests/s (see throttle.ts), paced with `clock` and `sleep`.
   */
  readonly rateLimiter?: RateLimiter;
  readonly retryPolicy?: RetryPolicy;
  /** Jitter source for the backoff, in [0, 1). */
  readonly random?: () => number;
  /** Per-request timeout; default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  readonly tokenRenewMarginMs?: number;
  readonly logger?: Logger;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

interface CachedToken {
  readonly accessToken: string;
  /** When to stop using it (expiry minus the renewal margin), clock ms. */
  readonly renewAtMs: number;
  readonly scopes: readonly string[];
}

/** Carries a transient failure of a non-idempotent request past `withRetry` (which would repeat it). */
class DoNotRepeat extends Error {
  constructor(readonly error: TransientError) {
    super(error.message);
  }
}

/** Result of {@link SeveraHttpClient.checkAccess}. */
export interface SeveraAccess {
  /** The scopes the token grants (as Severa reports them). */
  readonly grantedScopes: readonly string[];
}

/**
 * One Severa API credential. Thread-safe in the Node sense: concurrent calls share one token request and one pace.
 */
export class SeveraHttpClient {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly #clientSecret: string;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #limiter: RateLimiter;
  readonly #retryPolicy: RetryPolicy;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  readonly #renewMarginMs: number;
  readonly #logger: Logger;
  readonly #fetch: typeof fetch;
  #token: CachedToken | null = null;
  #pendingToken: Promise<CachedToken> | null = null;
  /** Tokens seen in this process, scrubbed from any text that goes into a message. */
  readonly #seenTokens: string[] = [];

  constructor(options: SeveraHttpClientOptions) {
    if (options.clientId.trim() === '' || options.clientSecret === '') {
      throw new PermanentError(
        'configuration',
        `The Severa client id and client secret are required (from ${CREDENTIALS_PLACE}).`,
      );
    }
    this.baseUrl = (options.baseUrl ?? SEVERA_PRODUCTION_BASE_URL).replace(/\/+$/, '');
    this.clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.scopes = [...(options.scopes ?? SEVERA_SYNC_SCOPES)];
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.#limiter =
      options.rateLimiter ??
      sharedRateLimiter(`severa ${this.baseUrl} ${this.clientId}`, {
        clock: this.#clock,
        sleep: this.#sleep,
      });
    this.#retryPolicy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#renewMarginMs = options.tokenRenewMarginMs ?? TOKEN_RENEW_MARGIN_MS;
    this.#logger = (options.logger ?? nullLogger).child({ component: 'severa-http' });
    this.#fetch = options.fetch ?? fetch;
  }

  /**
   * One API call: paced, authenticated (a 401 drops the token and the call is repeated once with a new one),
   * retried on 429/5xx/network errors with backoff (honouring `Retry-After`), errors typed by {@link severaErrorFor}.
   */
  async request(req: SeveraRequest): Promise<SeveraResponse> {
    const operation = operationOf(req.method, req.path);
    const idempotent = req.idempotent ?? req.method !== 'POST';
    /** Sends the request itself; an ambiguous failure of a non-idempotent one must not be repeated here. */
    const send = async (attempt: number, accessToken: string): Promise<SeveraResponse> => {
      try {
        return await this.#send(req, operation, attempt, accessToken);
      } catch (error) {
        if (!idempotent && error instanceof TransientError) throw new DoNotRepeat(error);
        throw error;
      }
    };
    try {
      return await withRetry(
        async (attempt) => {
          let token = await this.#accessToken();
          let response = await send(attempt, token.accessToken);
          if (response.status === 401) {
            // §15: renew on any 401 and repeat the call once (the token may have been revoked or expired early).
            this.#logger.info('severa token refused; renewing', { operation });
            this.#dropToken(token);
            token = await this.#accessToken();
            response = await send(attempt, token.accessToken);
          }
          if (response.status >= 200 && response.status < 300) return response;
          const error = this.#errorFor(response, operation, req.scope);
          if (!idempotent && error instanceof TransientError) throw new DoNotRepeat(error);
          throw error;
        },
        {
          policy: this.#retryPolicy,
          sleep: this.#sleep,
          random: this.#random,
          onRetry: ({ attempt, delayMs, error }) => {
            this.#logger.warn('severa call retried', {
              operation,
              attempt,
              delayMs,
              errorCode: error.code,
              retryAfterSeconds: error.retryAfterSeconds,
            });
          },
        },
      );
    } catch (error) {
      if (error instanceof DoNotRepeat) throw error.error;
      throw error;
    }
  }

  /** A GET's JSON body. */
  async getJson(path: string, query?: SeveraRequest['query'], scope?: string): Promise<unknown> {
    const response = await this.request({
      method: 'GET',
      path,
      ...(query === undefined ? {} : { query }),
      ...(scope === undefined ? {} : { scope }),
    });
    return response.body;
  }

  /**
   * Every row of a token-paged listing (§3): `rowCount` = 100, then `pageToken` = the `NextPageToken` header of
   * the previous page until it is missing or empty. A page that fails after its retries fails the whole listing:
   * a partial listing must never pass for a complete one (B3).
   */
  async getAllPages(path: string, query: SeveraRequest['query'] = {}, scope?: string): Promise<unknown[]> {
    const rows: unknown[] = [];
    const seen = new Set<string>();
    let pageToken: string | null = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const response = await this.request({
        method: 'GET',
        path,
        query: { ...query, rowCount: SEVERA_PAGE_SIZE, pageToken },
        ...(scope === undefined ? {} : { scope }),
      });
      if (!Array.isArray(response.body)) {
        throw new TransientError(`Severa answered ${operationOf('GET', path)} without a JSON array`);
      }
      rows.push(...(response.body as unknown[]));
      const next = response.headers.get('NextPageToken')?.trim() ?? '';
      if (next === '') return rows;
      if (seen.has(next))
        throw new TransientError(`Severa repeated a page token on ${operationOf('GET', path)}`);
      seen.add(next);
      pageToken = next;
    }
    throw new TransientError(`Severa listing ${operationOf('GET', path)} exceeded ${MAX_PAGES} pages`);
  }

  /**
   * For setup (S1): a fresh token for the configured scopes and `GET /heartbeat/authorized` (204 when token and
   * headers are valid, §1). Throws `bad-credentials` / `missing-scope` (naming the scopes) / transient errors.
   */
  async checkAccess(): Promise<SeveraAccess> {
    this.#token = null;
    await this.request({ method: 'GET', path: '/heartbeat/authorized' });
    return { grantedScopes: this.grantedScopes() };
  }

  /** Scopes of the cached token (empty before the first call). */
  grantedScopes(): readonly string[] {
    return this.#token === null ? [] : [...this.#token.scopes];
  }

  /** Forgets the cached token (the next call asks for a new one). */
  invalidateToken(): void {
    this.#token = null;
  }

  // ---- internals

  #secrets(): string[] {
    return [this.#clientSecret, ...this.#seenTokens];
  }

  #errorFor(response: SeveraResponse, operation: string, scope: string | undefined): SyncError {
    return severaErrorFor({
      status: response.status,
      body: response.body,
      retryAfter: response.headers.get('Retry-After'),
      tokenCall: false,
      ...(scope === undefined ? {} : { scope }),
      operation,
      nowMs: this.#clock.now().getTime(),
      secrets: this.#secrets(),
    });
  }

  #dropToken(token: CachedToken): void {
    if (this.#token === token) this.#token = null;
  }

  async #accessToken(): Promise<CachedToken> {
    const now = this.#clock.now().getTime();
    if (this.#token !== null && now < this.#token.renewAtMs) return this.#token;
    this.#pendingToken ??= this.#newToken().finally(() => {
      this.#pendingToken = null;
    });
    return this.#pendingToken;
  }

  /**
   * `POST /v1/token` with client credentials (§2). On expiry or a 401 a new client-credentials token is asked for
   * rather than using `/v1/refreshtoken` (§2 "simplest robust approach"), so no refresh token is ever kept.
   */
  async #newToken(): Promise<CachedToken> {
    const startedMs = this.#clock.now().getTime();
    const first = await this.#tokenCall(this.scopes.join(','));
    if (first.status === 200) {
      const token = this.#cache(first.body, startedMs);
      this.#logger.info('severa token obtained', { scopes: token.scopes.length });
      return token;
    }
    if (first.status === 400 || first.status === 401 || first.status === 403) {
      const error = this.#tokenError(first);
      if (error.code !== 'bad-credentials') throw error;
      // §2: asking for a scope the credential lacks is also "unauthorized". Ask without scopes: if that works,
      // the credential is fine and the answer's `scope` says which of ours are missing ([UNCONFIRMED] that an
      // empty scope means "all of the credential's", as the simulator and generoi's client assume).
      const probe = await this.#tokenCall('');
      const granted = probe.status === 200 ? splitScopes(readTokenBody(probe.body)?.scope ?? null) : null;
      if (granted !== null) {
        const missing = this.scopes.filter((s) => !granted.includes(s));
        if (missing.length > 0) throw new PermanentError('missing-scope', missingScopeMessage(missing));
      }
      throw error;
    }
    throw this.#tokenError(first);
  }

  #tokenError(response: SeveraResponse): SyncError {
    return severaErrorFor({
      status: response.status,
      body: response.body,
      retryAfter: response.headers.get('Retry-After'),
      tokenCall: true,
      operation: 'POST /v1/token',
      nowMs: this.#clock.now().getTime(),
      secrets: this.#secrets(),
    });
  }

  #cache(body: unknown, startedMs: number): CachedToken {
    const parsed = readTokenBody(body);
    if (parsed === null) {
      throw new TransientError('Severa answered the token call without an access token');
    }
    this.#seenTokens.push(parsed.accessToken);
    if (this.#seenTokens.length > 20) this.#seenTokens.shift();
    const lifetimeMs = parsed.expiresInS * 1000;
    // Renew 5 min before expiry; for a short-lived token, half-way through its life.
    const margin = Math.min(this.#renewMarginMs, lifetimeMs / 2);
    const granted = splitScopes(parsed.scope);
    const token: CachedToken = {
      accessToken: parsed.accessToken,
      renewAtMs: startedMs + lifetimeMs - margin,
      scopes: granted.length > 0 ? granted : this.scopes,
    };
    this.#token = token;
    return token;
  }

  async #tokenCall(scope: string): Promise<SeveraResponse> {
    return this.#exchange(
      'POST',
      '/v1/token',
      'POST /v1/token',
      1,
      { 'content-type': 'application/json' },
      // §2: the spec's keys are client_id/client_secret; `scope` is one comma-separated string.
      JSON.stringify({
        client_id: this.clientId,
        client_secret: this.#clientSecret,
        scope,
        grant_type: 'client_credentials',
      }),
    );
  }

  async #send(
    req: SeveraRequest,
    operation: string,
    attempt: number,
    accessToken: string,
  ): Promise<SeveraResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      // §2: both headers on every call.
      authorization: `Bearer ${accessToken}`,
      client_id: this.clientId,
    };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.body);
    }
    return this.#exchange(
      req.method,
      `${req.path}${buildQuery(req.query)}`,
      operation,
      attempt,
      headers,
      body,
    );
  }

  /** One HTTP exchange: paced, timed out, network failures typed as transient. */
  async #exchange(
    method: HttpMethod,
    pathAndQuery: string,
    operation: string,
    attempt: number,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<SeveraResponse> {
    await this.#limiter.acquire();
    const started = performance.now();
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#fetch(`${this.baseUrl}${pathAndQuery}`, {
        method,
        headers,
        signal,
        ...(body === undefined ? {} : { body }),
      });
      const parsed = await readBody(response);
      this.#logger.debug('severa call', {
        operation,
        status: response.status,
        attempt,
        durationMs: Math.round(performance.now() - started),
      });
      return { status: response.status, headers: response.headers, body: parsed };
    } catch (error) {
      if (error instanceof SyncError) throw error;
      const reason = isAbort(error)
        ? `no answer within ${this.#timeoutMs} ms`
        : `network error ${networkCode(error)}`;
      this.#logger.debug('severa call failed', { operation, attempt, reason });
      throw new TransientError(`Severa could not be reached (${operation}): ${reason}`);
    }
  }
}

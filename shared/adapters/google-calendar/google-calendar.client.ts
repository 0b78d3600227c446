/**
 * The I/O of the Google Calendar adapter: `@googleapis/calendar` calls on the impersonated user's primary calendar
 * (domain-wide delegation, google.auth.ts), each validated on the way in and run under the retry policy.
 *
 * - Every call goes through `withRetry` (429, 403 rate-limit reasons, 5xx, network errors; `Retry-After` honoured);
 *   gaxios' own retries are off. A 401 gets one fresh token before it counts as bad credentials.
 * - `quotaUser` = the user's e-mail (reference/google-calendar.md §4); calendar `primary` of the impersonated user.
 * - `If-Match` is sent when a write names an etag (412 → `PreconditionFailedError`, google.errors.ts).
 */
import { createHash } from 'node:crypto';

import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { JWT } from 'google-auth-library';

import {
  NotFoundError,
  PermanentError,
  TransientError,
  canonicalInstant,
  type SyncUser,
} from '../../domain/index.js';
import { nullLogger } from '../../observability/logger.js';
import type { Clock, Logger, Sleep, WatchChannel, WatchRequest } from '../../ports/index.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from '../retry.js';
import { systemClock } from '../system-time.js';
import { DEFAULT_TIMEOUT_MS, DelegatedAuth } from './google.auth.js';
import { classifyGoogleError, describeGoogleFailure, type GoogleOperation } from './google.errors.js';
import { eventSchema, type Event } from './google-calendar.wire.js';

/** `maxResults` ceiling of events.list (google-calendar.md §1). */
export const MAX_PAGE_SIZE = 2500;
/** Google's limit on `quotaUser` ("must not exceed 40 characters", discovery StandardParameters). */
const QUOTA_USER_MAX = 40;
const CALENDAR_ID = 'primary';

export interface GoogleCalendarClientOptions {
  readonly serviceAccountEmail: string;
  /** The service account's private key (PEM), e.g. from `privateKeyPemFromP12`. */
  readonly privateKeyPem: string;
  /** API root, `https://www.googleapis.com/` by default; the simulator's base URL locally. */
  readonly rootUrl?: string;
  /** Token endpoint, Google's by default; the simulator's `/token` locally. */
  readonly tokenUrl?: string;
  readonly retryPolicy?: RetryPolicy;
  readonly sleep: Sleep;
  /** In [0, 1), for backoff jitter. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** For HTTP-date `Retry-After` values. */
  readonly clock?: Clock;
  /** `maxResults` per page, at most 2500 (the default). */
  readonly pageSize?: number;
  readonly timeoutMs?: number;
  /** A shared token cache; one is made from the key otherwise. */
  readonly auth?: DelegatedAuth;
}

/** `sendUpdates` of a write (§3): `all` tells a meeting's guests, `none` tells nobody. */
export type SendUpdates = 'all' | 'none';

/** What one `events.list` listing is scoped by (§1): a sync token, a start, or an iCalUID. */
export type ListScope = { syncToken: string } | { timeMin: string } | { iCalUID: string; showDeleted: true };

interface CallInfo {
  readonly call: string;
  readonly method: string;
  readonly path: string;
  readonly eventId?: string;
  readonly operation?: GoogleOperation;
}

/** `all` for a meeting the user organises (its guests hear of the change), else `none` (SPEC §6). */
export function sendUpdatesFor(notifyGuests: boolean | undefined): SendUpdates {
  return notifyGuests === true ? 'all' : 'none';
}

/** `quotaUser` = the user's e-mail (§4), or a stable digest of it when longer than Google's 40 characters. */
export function quotaUserFor(email: string): string {
  const lower = email.toLowerCase();
  if (lower.length <= QUOTA_USER_MAX) return lower;
  return createHash('sha256').update(lower).digest('hex').slice(0, QUOTA_USER_MAX);
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function ifMatchHeader(ifMatch: string | null): { headers?: { 'If-Match': string } } {
  return ifMatch === null ? {} : { headers: { 'If-Match': ifMatch } };
}

export class GoogleCalendarClient {
  readonly #api: calendar_v3.Calendar;
  readonly #auth: DelegatedAuth;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pageSize: number;

  constructor(options: GoogleCalendarClientOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#auth =
      options.auth ??
      new DelegatedAuth({
        serviceAccountEmail: options.serviceAccountEmail,
        privateKeyPem: options.privateKeyPem,
        timeoutMs,
        ...(options.tokenUrl === undefined ? {} : { tokenUrl: options.tokenUrl }),
      });
    // `retry: false`: googleapis-common turns gaxios retries on by default; withRetry is the only policy here.
    this.#api = calendar({
      version: 'v3',
      retry: false,
      timeout: timeoutMs,
      ...(options.rootUrl === undefined ? {} : { rootUrl: withSlash(options.rootUrl) }),
    });
    this.#policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#sleep = options.sleep;
    this.#random = options.random ?? Math.random;
    this.#log = (options.logger ?? nullLogger).child({ component: 'google-calendar' });
    this.#clock = options.clock ?? systemClock;
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw new RangeError(`pageSize must be an integer in [1, ${MAX_PAGE_SIZE}]`);
    this.#pageSize = pageSize;
  }

  // ---- events ----------------------------------------------------------------------------------------------

  /** All pages of a listing; only the last page carries `nextSyncToken` (§1). */
  async list(
    user: SyncUser,
    phase: string,
    scope: ListScope,
  ): Promise<{ items: Event[]; nextSyncToken: string | null }> {
    const items: Event[] = [];
    let pageToken: string | undefined;
    let nextSyncToken: string | null = null;
    let page = 0;
    do {
      page += 1;
      const data = await this.#request(
        user,
        {
          call: `events.list(${phase})`,
          method: 'GET',
          path: '/calendars/primary/events',
          operation: 'syncToken' in scope ? 'list' : 'other',
        },
        (auth) =>
          this.#api.events.list({
            auth,
            calendarId: CALENDAR_ID,
            quotaUser: quotaUserFor(user.email),
            singleEvents: false,
            maxResults: this.#pageSize,
            ...scope,
            ...(pageToken === undefined ? {} : { pageToken }),
          }),
      );
      for (const raw of data.items ?? []) {
        const parsed = eventSchema.safeParse(raw);
        if (parsed.success) items.push(parsed.data);
        else
          this.#log.warn('skipped an event Google returned in a shape the sync cannot read', {
            user: user.severaUserGuid,
            eventId: typeof raw.id === 'string' ? raw.id : null,
            issues: parsed.error.issues.map((i) => i.path.join('.')),
          });
      }
      pageToken = data.nextPageToken ?? undefined;
      if (pageToken === undefined) nextSyncToken = data.nextSyncToken ?? null;
    } while (pageToken !== undefined && page < 10_000);
    return { items, nextSyncToken };
  }

  /** `events.get`: the stored event (a tombstone when cancelled); 404/410 throw {@link NotFoundError}. */
  get(user: SyncUser, id: string): Promise<Event> {
    return this.#event(
      user,
      { call: 'events.get', method: 'GET', path: '/calendars/primary/events/{eventId}', eventId: id },
      (auth) =>
        this.#api.events.get({
          auth,
          calendarId: CALENDAR_ID,
          eventId: id,
          quotaUser: quotaUserFor(user.email),
        }),
    );
  }

  /** `events.insert` of `body` (which carries the id); a 409 throws `AlreadyExistsError`. */
  insert(
    user: SyncUser,
    id: string,
    body: calendar_v3.Schema$Event,
    sendUpdates: SendUpdates,
  ): Promise<Event> {
    return this.#event(
      user,
      { call: 'events.insert', method: 'POST', path: '/calendars/primary/events', eventId: id },
      (auth) =>
        this.#api.events.insert({
          auth,
          calendarId: CALENDAR_ID,
          sendUpdates,
          quotaUser: quotaUserFor(user.email),
          requestBody: body,
        }),
    );
  }

  /** `events.patch` of a master or an exception instance, with `If-Match` when `ifMatch` is given. */
  patch(
    user: SyncUser,
    eventId: string,
    body: calendar_v3.Schema$Event,
    sendUpdates: SendUpdates,
    ifMatch: string | null,
  ): Promise<Event> {
    return this.#event(
      user,
      { call: 'events.patch', method: 'PATCH', path: '/calendars/primary/events/{eventId}', eventId },
      (auth) =>
        this.#api.events.patch(
          {
            auth,
            calendarId: CALENDAR_ID,
            eventId,
            sendUpdates,
            quotaUser: quotaUserFor(user.email),
            requestBody: body,
          },
          ifMatchHeader(ifMatch),
        ),
    );
  }

  /** `events.delete` with `If-Match`; 404 and 410 mean it is already gone (§4). */
  async delete(user: SyncUser, id: string, ifMatch: string | null, sendUpdates: SendUpdates): Promise<void> {
    try {
      await this.#request(
        user,
        {
          call: 'events.delete',
          method: 'DELETE',
          path: '/calendars/primary/events/{eventId}',
          eventId: id,
          operation: 'delete',
        },
        (auth) =>
          this.#api.events.delete(
            {
              auth,
              calendarId: CALENDAR_ID,
              eventId: id,
              sendUpdates,
              quotaUser: quotaUserFor(user.email),
            },
            ifMatchHeader(ifMatch),
          ),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  // ---- channels and delegation -----------------------------------------------------------------------------

  async watch(user: SyncUser, request: WatchRequest): Promise<WatchChannel> {
    const channel = await this.#request(
      user,
      { call: 'events.watch', method: 'POST', path: '/calendars/primary/events/watch' },
      (auth) =>
        this.#api.events.watch({
          auth,
          calendarId: CALENDAR_ID,
          quotaUser: quotaUserFor(user.email),
          requestBody: {
            id: request.id,
            type: 'web_hook',
            address: request.address,
            token: request.token,
            params: { ttl: String(request.ttlSeconds) },
          },
        }),
    );
    const expirationMs = Number(channel.expiration);
    if (typeof channel.resourceId !== 'string' || channel.resourceId === '' || !Number.isFinite(expirationMs))
      throw new TransientError('Google returned a watch channel without resourceId or expiration.');
    return {
      id: channel.id ?? request.id,
      resourceId: channel.resourceId,
      expiration: canonicalInstant(new Date(expirationMs).toISOString()),
      token: request.token,
      address: request.address,
    };
  }

  async stop(user: SyncUser, channel: Pick<WatchChannel, 'id' | 'resourceId'>): Promise<void> {
    try {
      await this.#request(user, { call: 'channels.stop', method: 'POST', path: '/channels/stop' }, (auth) =>
        this.#api.channels.stop({
          auth,
          quotaUser: quotaUserFor(user.email),
          requestBody: { id: channel.id, resourceId: channel.resourceId },
        }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return; // already stopped or expired (§2)
      throw error;
    }
  }

  /**
   * Obtains an access token for `email` now (S1's "a token can be obtained for a test user"): resolves when domain-
   * wide delegation works, else throws the typed error (`delegation-denied`, `bad-credentials`, …).
   */
  async checkDelegation(email: string): Promise<void> {
    this.#auth.forget(email);
    await withRetry(
      async () => {
        try {
          await this.#auth.clientFor(email).getAccessToken();
        } catch (error) {
          throw classifyGoogleError(error, { nowMs: this.#clock.now().getTime() });
        }
      },
      { policy: this.#policy, sleep: this.#sleep, random: this.#random },
    );
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  /** A call answering one event, validated on the way in. */
  async #event(
    user: SyncUser,
    info: CallInfo,
    run: (auth: JWT) => Promise<{ readonly data: calendar_v3.Schema$Event; readonly status: number }>,
  ): Promise<Event> {
    const data = await this.#request(user, info, run);
    const parsed = eventSchema.safeParse(data);
    if (!parsed.success) {
      throw new PermanentError(
        'validation',
        `Google returned event ${info.eventId ?? ''} in a shape the sync cannot read (${parsed.error.issues
          .map((i) => i.path.join('.'))
          .join(', ')}).`,
      );
    }
    return parsed.data;
  }

  /**
   * One API call under the retry policy. Each attempt is one HTTP request (plus a token request when the user's
   * token is missing or expiring); a 401 gets one fresh token within the same attempt.
   */
  async #request<T>(
    user: SyncUser,
    info: CallInfo,
    run: (auth: JWT) => Promise<{ readonly data: T; readonly status: number }>,
  ): Promise<T> {
    const fields = {
      user: user.severaUserGuid,
      call: info.call,
      method: info.method,
      path: info.path,
      ...(info.eventId === undefined ? {} : { eventId: info.eventId }),
    };
    return withRetry(
      async (attempt) => {
        let refreshed = false;
        for (;;) {
          try {
            const response = await run(this.#auth.clientFor(user.email));
            this.#log.debug('google calendar request', { ...fields, status: response.status, attempt });
            return response.data;
          } catch (error) {
            const failure = describeGoogleFailure(error);
            this.#log.debug('google calendar request failed', {
              ...fields,
              status: failure.status,
              reason: failure.reason ?? failure.oauthError ?? failure.code,
              attempt,
            });
            if (failure.status === 401 && failure.oauthError === null && !refreshed) {
              // An access token can be revoked before its expiry: one fresh token, then 401 means bad credentials.
              refreshed = true;
              this.#auth.forget(user.email);
              continue;
            }
            throw classifyGoogleError(error, {
              operation: info.operation ?? 'other',
              nowMs: this.#clock.now().getTime(),
            });
          }
        }
      },
      {
        policy: this.#policy,
        sleep: this.#sleep,
        random: this.#random,
        onRetry: ({ attempt, delayMs, error }) => {
          this.#log.warn('google calendar request retried', {
            ...fields,
            attempt,
            delayMs,
            code: error.code,
            retryAfterSeconds: error.retryAfterSeconds,
          });
        },
      },
    );
  }
}

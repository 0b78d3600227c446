/**
 * Google Calendar API v3 simulator: the OAuth token endpoint (JWT-bearer grant, google-calendar.md §5), the events
 * methods the sync uses (§1, §3), watch channels that POST notifications (§2), Google's error envelope and quota
 * errors (§4), plus a control surface under `/_sim/` (no auth) for seeding, faults, stats and UI-like actions.
 * It also plays Google's identity provider for the console's sign-in: ID tokens for the seeded users and the
 * certificates to verify them (identity.ts).
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';

import {
  Faults,
  RequestStats,
  faultsBodySchema,
  listen,
  matchRoute,
  seededRandom,
  systemClock,
  type FaultRule,
  type ResponseHook,
  type RunningServer,
  type SimClock,
  type SimRequest,
  type SimResponse,
  type SimRoute,
} from '../common/index.js';
import { canonicalInstant, isDate } from '../../../shared/domain/timing.js';
import { instanceId } from '../../../shared/sync/recurrence/index.js';
import { simActionSchema, type SimAction } from './actions.js';
import { GoogleApiError, OAuthError, invalid, notFound, quotaError } from './errors.js';
import { seedSchema, type Seed } from './fixture.js';
import {
  CERTS_CACHE_CONTROL,
  CERTS_V1_PATH,
  CERTS_V3_PATH,
  certsV1,
  certsV3,
  createIdTokenSigningKey,
  idTokenRequestSchema,
  signIdToken,
  type IdTokenRequest,
  type IdTokenSigningKey,
} from './identity.js';
import {
  AUTHORIZE_CHOOSE_PATH,
  AUTHORIZE_PATH,
  chooserPage,
  errorPage,
  parseAuthorizeRequest,
  redirectWith,
} from './authorize.js';
import { ACCESS_TOKEN_SECONDS, GOOGLE_TOKEN_URL, JWT_BEARER, publicKeyOf, verifyAssertion } from './oauth.js';
import {
  CalendarStore,
  DEFAULT_MAX_RESULTS,
  MAX_MAX_RESULTS,
  isObject,
  type Json,
  type ListParams,
  type Window,
} from './store.js';

/** Default channel lifetime, 7 days (google-calendar.md §2, `params.ttl` default 604800 s), also the maximum. */
export const DEFAULT_CHANNEL_TTL_SECONDS = 604_800;
/** Per-user quota per minute over a sliding window (google-calendar.md §4). */
export const DEFAULT_PER_USER_RATE_PER_MINUTE = 600;
const API = '/calendar/v3';
/** Parameters that cannot accompany `syncToken` (google-calendar.md §1). */
const NOT_WITH_SYNC_TOKEN = [
  'timeMin',
  'timeMax',
  'updatedMin',
  'orderBy',
  'q',
  'iCalUID',
  'privateExtendedProperty',
  'sharedExtendedProperty',
] as const;

export interface CalendarSimOptions {
  readonly clock?: SimClock;
  /** Seeds ids and fault decisions so runs repeat. */
  readonly seed?: number;
  readonly onResponse?: ResponseHook;
  readonly perUserRatePerMinute?: number;
}

export interface ChannelInfo {
  readonly id: string;
  readonly resourceId: string;
  readonly resourceUri: string;
  readonly token: string | undefined;
  readonly address: string;
  readonly user: string;
  readonly expiration: number;
  readonly stopped: boolean;
  readonly messageNumber: number;
}

type Channel = { -readonly [K in keyof ChannelInfo]: ChannelInfo[K] };

/** The write log keeps this many latest entries, so a long local stack or benchmark run stays bounded. */
export const WRITE_LOG_LIMIT = 10_000;

/** `sendUpdates` values of insert/update/patch/delete (discovery `events.*.sendUpdates`, google-calendar.md §3). */
export const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;

/** One event write the API received (`GET /_sim/writes`), so tests can assert who would have been told of it. */
export interface WriteLogEntry {
  readonly method: string;
  readonly route: string;
  readonly eventId: string | null;
  readonly user: string | null;
  /** `sendUpdates` as sent; null when absent (Google's default: no notifications). */
  readonly sendUpdates: string | null;
  readonly status: number;
}

type Handler = (req: SimRequest, user: string) => SimResponse;

export interface CalendarSim {
  /** Base URL once started, e.g. `http://127.0.0.1:43123`. */
  readonly url: string;
  /** `<url>/token`, the audience of JWT assertions. */
  readonly tokenUrl: string;
  /** `<url>/oauth2/v1/certs`: the ID-token certificates as `{ kid: PEM }`, Google's v1 format. */
  readonly certsUrl: string;
  /** `<url>/oauth2/v3/certs`: the same keys as a JWKS. */
  readonly jwksUrl: string;
  /** `<url>/o/oauth2/v2/auth`: the OpenID Connect authorization endpoint with its account chooser (authorize.ts). */
  readonly authorizeUrl: string;
  readonly stats: RequestStats;
  start(port?: number): Promise<string>;
  stop(): Promise<void>;
  seed(seed: Seed): void;
  currentSeed(): Seed | null;
  reset(): void;
  act(action: SimAction): unknown;
  setFaults(rules: readonly FaultRule[]): void;
  clearFaults(): void;
  /** Every stored event of a user's calendar, tombstones included. */
  events(email: string): Json[];
  /** Event writes received since the last reset or seed, in order (the latest {@link WRITE_LOG_LIMIT}). */
  writes(): WriteLogEntry[];
  channels(): ChannelInfo[];
  /**
   * A Google ID token for a seeded user, as Google Identity Services gives the console (identity.ts); iat/exp come
   * from the simulator's clock. Throws a 404 {@link GoogleApiError} for an address that is not a seeded user.
   */
  issueIdToken(request: IdTokenRequest): string;
  /** Resolves when every notification sent so far has been delivered or failed. */
  flushNotifications(): Promise<void>;
}

const ok = (body: unknown, status = 200): SimResponse => ({ status, body });
const parseJson = (text: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

function jsonBody(req: SimRequest): Json {
  const body = parseJson(req.body);
  if (!isObject(body)) throw new GoogleApiError(400, 'parseError', 'Parse Error');
  return body;
}

function header(req: SimRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

function timeParam(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  if (v === null) return null;
  const ms = Date.parse(v);
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(v) || Number.isNaN(ms)) throw invalid(`Bad Request: invalid ${name}`);
  return ms;
}

function windowOf(q: URLSearchParams): Window {
  const w = { fromMs: timeParam(q, 'timeMin'), toMs: timeParam(q, 'timeMax') };
  if (w.fromMs !== null && w.toMs !== null && w.fromMs >= w.toMs)
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  return w;
}

/** Rejects a `sendUpdates` value Google does not know (400, as for any bad enum parameter). */
function checkSendUpdates(q: URLSearchParams): void {
  const value = q.get('sendUpdates');
  if (value !== null && !(SEND_UPDATES as readonly string[]).includes(value))
    throw invalid(`Invalid value for sendUpdates: ${value}`);
}

function boolParam(q: URLSearchParams, name: string): boolean {
  return q.get(name) === 'true';
}

function pairs(values: string[]): [string, string][] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw invalid(`Invalid extended property filter: ${v}`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

function maxResultsOf(q: URLSearchParams): number {
  const raw = q.get('maxResults');
  if (raw === null) return DEFAULT_MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw invalid(`Invalid value '${raw}'. Values must be within the range: [1, 2500]`);
  // "The page size can never be larger than 2500 events" (discovery, events.list maxResults).
  return Math.min(n, MAX_MAX_RESULTS);
}

export function createCalendarSim(options: CalendarSimOptions = {}): CalendarSim {
  const clock = options.clock ?? systemClock;
  const random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  const ratePerMinute = options.perUserRatePerMinute ?? DEFAULT_PER_USER_RATE_PER_MINUTE;
  const faults = new Faults(random);
  const stats = new RequestStats();
  const channels = new Map<string, Channel>();
  const tokens = new Map<string, { user: string; expiresAt: number }>();
  const recent = new Map<string, number[]>();
  const pending = new Set<Promise<void>>();
  const requestUser = new WeakMap<SimRequest, string>();
  const writeLog: WriteLogEntry[] = [];
  let server: RunningServer | null = null;
  let currentSeed: Seed | null = null;
  let saKey: KeyObject | null = null;
  let users = new Set<string>();
  // Made on first use and kept through reset and reseed, like Google's keys: tokens already issued still verify.
  let idTokenKey: IdTokenSigningKey | null = null;
  const signingKey = (): IdTokenSigningKey => (idTokenKey ??= createIdTokenSigningKey());

  const baseUrl = (): string => server?.url ?? 'http://127.0.0.1';
  const resourceIdOf = (email: string): string =>
    createHash('sha256').update(`events:${email}`).digest('base64url').slice(0, 27);

  // ---- push notifications (google-calendar.md §2) -----------------------------------------------------------
  function deliver(channel: Channel, state: 'sync' | 'exists'): void {
    if (channel.stopped || channel.expiration <= clock.now()) return;
    // Message numbers increase but need not be consecutive, so a dropped message still uses its number.
    channel.messageNumber += 1;
    if (faults.dropNotification()) return;
    const headers: Record<string, string> = {
      'X-Goog-Channel-ID': channel.id,
      'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
      'X-Goog-Resource-State': state,
      'X-Goog-Message-Number': String(channel.messageNumber),
      'X-Goog-Resource-ID': channel.resourceId,
      'X-Goog-Resource-URI': channel.resourceUri,
    };
    if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
    // Asynchronous, no body; a failed delivery is ignored (Google would retry with backoff).
    const p = fetch(channel.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) })
      .then(async (res) => {
        await res.body?.cancel();
      })
      .catch(() => undefined)
      .finally(() => pending.delete(p));
    pending.add(p);
  }

  const store = new CalendarStore(clock, random, (email) => {
    for (const channel of channels.values()) if (channel.user === email) deliver(channel, 'exists');
  });

  function reset(): void {
    store.reset();
    faults.clear();
    stats.reset();
    channels.clear();
    tokens.clear();
    recent.clear();
    writeLog.length = 0;
    currentSeed = null;
    saKey = null;
    users = new Set();
  }

  function seed(input: Seed): void {
    const parsed = seedSchema.parse(input);
    let key: KeyObject;
    try {
      key = publicKeyOf(parsed.serviceAccount);
    } catch (error) {
      throw new RangeError(
        `serviceAccount key does not parse: ${error instanceof Error ? error.message : ''}`,
        { cause: error },
      );
    }
    const owners = Object.keys(parsed.events ?? {});
    const emails = parsed.users.map((u) => u.email.toLowerCase());
    const stranger = owners.find((o) => !emails.includes(o.toLowerCase()));
    if (stranger !== undefined) throw new RangeError(`events for ${stranger}, who is not a seeded user`);
    reset();
    currentSeed = parsed;
    saKey = key;
    users = new Set(emails);
    for (const u of parsed.users) store.addUser(u.email, u.timeZone);
    for (const [owner, events] of Object.entries(parsed.events ?? {}))
      for (const ev of events) store.insert(owner, ev);
  }

  function originalStartKey(value: string): string {
    return isDate(value) ? value : canonicalInstant(value);
  }

  function act(a: SimAction): unknown {
    switch (a.action) {
      case 'create':
        return store.insert(a.as, {
          ...a.event,
          ...(a.attendees === undefined
            ? {}
            : {
                attendees: [a.as, ...a.attendees].map((email, i) => ({
                  email,
                  ...(i === 0
                    ? { organizer: true, responseStatus: 'accepted' }
                    : { responseStatus: 'needsAction' }),
                })),
              }),
        });
      case 'update':
        return store.update(a.as, a.id, a.changes, null, 'patch');
      case 'delete':
        store.remove(a.as, a.id, null, a.everyCopy ?? false);
        return { deleted: a.id };
      case 'touch':
        return store.touch(a.as, a.id);
      case 'importCancelledOccurrence':
        return store.importCancelledOccurrence(a.as, a.id, originalStartKey(a.originalStart));
      case 'cancelOccurrence':
        store.remove(a.as, instanceId(a.id, originalStartKey(a.originalStart)), null);
        return { cancelled: instanceId(a.id, originalStartKey(a.originalStart)) };
      case 'moveOccurrence':
        return store.update(
          a.as,
          instanceId(a.id, originalStartKey(a.originalStart)),
          {
            ...(a.start === undefined ? {} : { start: a.start }),
            ...(a.end === undefined ? {} : { end: a.end }),
          },
          null,
          'patch',
        );
      case 'invalidateSyncTokens':
        store.invalidateSyncTokens(a.as);
        return { invalidated: a.as };
    }
  }

  // ---- identity provider (identity.ts) ----------------------------------------------------------------------
  function issueIdToken(request: IdTokenRequest): string {
    const wanted = request.email.toLowerCase();
    const person = currentSeed?.users.find((u) => u.email.toLowerCase() === wanted);
    // Not a person of the directory: Google would never have signed them in. The address is not echoed.
    if (currentSeed === null || person === undefined)
      throw new GoogleApiError(404, 'notFound', 'No such user in the directory.');
    return signIdToken(
      signingKey(),
      { email: person.email, name: person.name, domain: currentSeed.domain },
      request,
      clock.now(),
    );
  }

  // ---- API handlers -----------------------------------------------------------------------------------------
  /** `primary` or the user's own address; another user's calendar is not visible to this token → 404. */
  function calendarOf(req: SimRequest, user: string): string {
    const id = req.params.calendarId ?? '';
    if (id === 'primary' || id.toLowerCase() === user) return user;
    throw notFound();
  }

  function eventsEnvelope(
    user: string,
    page: { items: Json[]; nextPageToken?: string; nextSyncToken?: string },
  ): Json {
    const cal = store.calendar(user);
    return {
      kind: 'calendar#events',
      etag: `"${clock.now()}"`,
      summary: user,
      description: '',
      updated: new Date(clock.now()).toISOString(),
      timeZone: cal?.timeZone ?? 'UTC',
      accessRole: 'owner',
      defaultReminders: [],
      ...page,
    };
  }

  function listParams(q: URLSearchParams): ListParams {
    const syncToken = q.get('syncToken');
    if (syncToken !== null) {
      const clash = NOT_WITH_SYNC_TOKEN.find((name) => q.has(name));
      if (clash !== undefined) throw invalid(`${clash} is not supported with syncToken.`);
    }
    const orderBy = q.get('orderBy');
    if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated')
      throw invalid(`Invalid value for orderBy: ${orderBy}`);
    const singleEvents = boolParam(q, 'singleEvents');
    if (orderBy === 'startTime' && !singleEvents)
      throw invalid('The requested ordering is not available for the particular query.');
    return {
      syncToken,
      pageToken: q.get('pageToken'),
      maxResults: maxResultsOf(q),
      window: windowOf(q),
      showDeleted: boolParam(q, 'showDeleted'),
      singleEvents,
      orderBy,
      q: q.get('q'),
      iCalUID: q.get('iCalUID'),
      updatedMin: timeParam(q, 'updatedMin'),
      privateProps: pairs(q.getAll('privateExtendedProperty')),
      sharedProps: pairs(q.getAll('sharedExtendedProperty')),
      eventTypes: q.getAll('eventTypes'),
    };
  }

  const eventsPath = `${API}/calendars/{calendarId}/events`;
  const eventPath = `${eventsPath}/{eventId}`;
  /** events.insert / update / patch / delete: the calls that take `sendUpdates`. */
  const isEventWrite = (method: string, pattern: string): boolean =>
    method !== 'GET' && (pattern === eventsPath || pattern === eventPath);

  function logWrite(req: SimRequest, pattern: string, response: SimResponse): void {
    const idOf = (body: unknown): string | null =>
      isObject(body) && typeof body.id === 'string' ? body.id : null;
    writeLog.push({
      method: req.method,
      route: pattern,
      eventId: req.params.eventId ?? idOf(response.body) ?? idOf(parseJson(req.body)),
      user: requestUser.get(req) ?? null,
      sendUpdates: req.query.get('sendUpdates'),
      status: response.status,
    });
    if (writeLog.length > WRITE_LOG_LIMIT) writeLog.splice(0, writeLog.length - WRITE_LOG_LIMIT);
  }

  const api: { method: string; pattern: string; handler: Handler }[] = [
    {
      method: 'GET',
      pattern: eventsPath,
      handler: (req, user) =>
        ok(eventsEnvelope(user, store.list(calendarOf(req, user), listParams(req.query)))),
    },
    {
      method: 'POST',
      pattern: eventsPath,
      handler: (req, user) => ok(store.insert(calendarOf(req, user), jsonBody(req))),
    },
    {
      method: 'POST',
      pattern: `${eventsPath}/watch`,
      handler: (req, user) => {
        const cal = calendarOf(req, user);
        const body = jsonBody(req);
        const id = typeof body.id === 'string' ? body.id : '';
        const address = typeof body.address === 'string' ? body.address : '';
        if (id === '' || id.length > 64) throw invalid('Invalid channel id.');
        if (body.type !== 'web_hook' && body.type !== 'webhook')
          throw invalid(`Unknown channel type: ${String(body.type)}`);
        if (!/^https?:\/\//.test(address)) throw invalid(`Invalid address: ${address}`);
        if (channels.has(id)) throw invalid(`Channel id ${id} not unique`);
        const params = isObject(body.params) ? body.params : {};
        const now = clock.now();
        const max = now + DEFAULT_CHANNEL_TTL_SECONDS * 1000;
        const ttl = Number(params.ttl ?? DEFAULT_CHANNEL_TTL_SECONDS);
        const asked = body.expiration === undefined ? now + ttl * 1000 : Number(body.expiration);
        const channel: Channel = {
          id,
          resourceId: resourceIdOf(cal),
          resourceUri: `https://www.googleapis.com${API}/calendars/${encodeURIComponent(req.params.calendarId ?? '')}/events?alt=json`,
          token: typeof body.token === 'string' ? body.token : undefined,
          address,
          user: cal,
          expiration: Math.min(Number.isFinite(asked) ? asked : max, max),
          stopped: false,
          messageNumber: 0,
        };
        channels.set(id, channel);
        // The handshake right after watch (google-calendar.md §2).
        deliver(channel, 'sync');
        return ok({
          kind: 'api#channel',
          id,
          resourceId: channel.resourceId,
          resourceUri: channel.resourceUri,
          ...(channel.token === undefined ? {} : { token: channel.token }),
          expiration: String(channel.expiration),
        });
      },
    },
    {
      method: 'GET',
      pattern: eventPath,
      handler: (req, user) => ok(store.get(calendarOf(req, user), req.params.eventId ?? '')),
    },
    {
      method: 'PUT',
      pattern: eventPath,
      handler: (req, user) =>
        ok(
          store.update(
            calendarOf(req, user),
            req.params.eventId ?? '',
            jsonBody(req),
            header(req, 'if-match'),
            'put',
          ),
        ),
    },
    {
      method: 'PATCH',
      pattern: eventPath,
      handler: (req, user) =>
        ok(
          store.update(
            calendarOf(req, user),
            req.params.eventId ?? '',
            jsonBody(req),
            header(req, 'if-match'),
            'patch',
          ),
        ),
    },
    {
      method: 'DELETE',
      pattern: eventPath,
      handler: (req, user) => {
        store.remove(calendarOf(req, user), req.params.eventId ?? '', header(req, 'if-match'));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: `${eventPath}/instances`,
      handler: (req, user) => {
        const cal = calendarOf(req, user);
        const items = store.instances(
          cal,
          req.params.eventId ?? '',
          windowOf(req.query),
          boolParam(req.query, 'showDeleted'),
        );
        const originalStart = req.query.get('originalStart');
        const filtered =
          originalStart === null
            ? items
            : items.filter((i) =>
                JSON.stringify(i.originalStartTime).includes(originalStartKey(originalStart)),
              );
        const max = maxResultsOf(req.query);
        const offset = Number(req.query.get('pageToken') ?? '0') || 0;
        const page = filtered.slice(offset, offset + max);
        return ok(
          eventsEnvelope(user, {
            items: page,
            ...(offset + max < filtered.length ? { nextPageToken: String(offset + max) } : {}),
          }),
        );
      },
    },
    {
      method: 'POST',
      pattern: `${API}/channels/stop`,
      handler: (req, user) => {
        const body = jsonBody(req);
        const channel = typeof body.id === 'string' ? channels.get(body.id) : undefined;
        if (
          channel === undefined ||
          channel.stopped ||
          channel.user !== user ||
          channel.resourceId !== body.resourceId
        )
          throw new GoogleApiError(404, 'notFound', `Channel '${String(body.id)}' not found`);
        channel.stopped = true;
        channels.delete(channel.id);
        return { status: 204 };
      },
    },
  ];

  function token(req: SimRequest): SimResponse {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== JWT_BEARER)
      throw new OAuthError(
        400,
        'unsupported_grant_type',
        `Invalid grant_type: ${form.get('grant_type') ?? ''}`,
      );
    const { user } = verifyAssertion(form.get('assertion') ?? '', {
      serviceAccount: currentSeed?.serviceAccount ?? null,
      publicKey: saKey,
      users,
      audiences: [`${baseUrl()}/token`, GOOGLE_TOKEN_URL],
      nowMs: clock.now(),
    });
    requestUser.set(req, user);
    const accessToken = `ya29.sim-${randomBytes(24).toString('base64url')}`;
    tokens.set(accessToken, { user, expiresAt: clock.now() + ACCESS_TOKEN_SECONDS * 1000 });
    return ok({ access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS });
  }

  function authenticate(req: SimRequest): string {
    const auth = header(req, 'authorization') ?? '';
    const entry = auth.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
    if (entry === undefined || entry.expiresAt <= clock.now()) {
      const e = new GoogleApiError(
        401,
        'authError',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
      throw e;
    }
    return entry.user;
  }

  /** Sliding one-minute window per user → 403 userRateLimitExceeded (google-calendar.md §4). */
  function checkRate(user: string): void {
    const now = clock.now();
    const times = (recent.get(user) ?? []).filter((t) => t > now - 60_000);
    if (times.length >= ratePerMinute) {
      recent.set(user, times);
      throw quotaError(403, 'userRateLimitExceeded');
    }
    times.push(now);
    recent.set(user, times);
  }

  // ---- control surface --------------------------------------------------------------------------------------
  const control: SimRoute[] = [
    { method: 'POST', pattern: '/_sim/reset', handler: () => (reset(), { status: 204 }) },
    {
      method: 'POST',
      pattern: '/_sim/seed',
      handler: (req) => {
        seed(seedSchema.parse(parseJson(req.body)));
        return ok({ users: currentSeed?.users.length ?? 0 });
      },
    },
    {
      method: 'GET',
      pattern: '/_sim/seed',
      handler: () =>
        currentSeed === null ? { status: 404, body: { error: 'not seeded' } } : ok(currentSeed),
    },
    {
      method: 'POST',
      pattern: '/_sim/faults',
      handler: (req) => {
        faults.set(faultsBodySchema.parse(parseJson(req.body)).rules);
        return ok({ rules: faults.list() });
      },
    },
    { method: 'DELETE', pattern: '/_sim/faults', handler: () => (faults.clear(), { status: 204 }) },
    { method: 'GET', pattern: '/_sim/stats', handler: () => ok({ rows: stats.rows() }) },
    { method: 'GET', pattern: '/_sim/writes', handler: () => ok({ writes: [...writeLog] }) },
    {
      method: 'POST',
      pattern: '/_sim/act',
      handler: (req) => ok({ result: act(simActionSchema.parse(parseJson(req.body))) }),
    },
    {
      method: 'POST',
      pattern: '/_sim/id-token',
      handler: (req) => ok({ idToken: issueIdToken(idTokenRequestSchema.parse(parseJson(req.body))) }),
    },
  ];

  /** Published like Google's (no auth); reached by the console's verifier, so faults apply to them. */
  const certsRoutes: SimRoute[] = [
    {
      method: 'GET',
      pattern: CERTS_V1_PATH,
      handler: () => ({ ...ok(certsV1(signingKey())), headers: { 'cache-control': CERTS_CACHE_CONTROL } }),
    },
    {
      method: 'GET',
      pattern: CERTS_V3_PATH,
      handler: () => ({ ...ok(certsV3(signingKey())), headers: { 'cache-control': CERTS_CACHE_CONTROL } }),
    },
  ];

  /** Google's authorization endpoint (authorize.ts): the account chooser, and the way back with the ID token. */
  const html = (status: number, body: string): SimResponse => ({
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body,
  });
  const authorizeRoutes: SimRoute[] = [
    {
      method: 'GET',
      pattern: AUTHORIZE_PATH,
      handler: (req) => {
        const parsed = parseAuthorizeRequest(req.query);
        if (!parsed.ok) return html(400, errorPage(parsed.problem));
        const people = (currentSeed?.users ?? []).map((u) => ({ email: u.email, name: u.name }));
        return html(200, chooserPage(parsed.request, people, currentSeed?.domain ?? ''));
      },
    },
    {
      method: 'GET',
      pattern: AUTHORIZE_CHOOSE_PATH,
      handler: (req) => {
        const parsed = parseAuthorizeRequest(req.query);
        if (!parsed.ok) return html(400, errorPage(parsed.problem));
        const request = parsed.request;
        const domain = currentSeed?.domain;
        if (request.hd !== undefined && request.hd !== domain)
          return html(400, errorPage(`the account is not of the domain ${request.hd}`));
        let idToken: string;
        try {
          idToken = issueIdToken({
            email: req.query.get('account') ?? '',
            audience: request.client_id,
            nonce: request.nonce,
          });
        } catch {
          return html(400, errorPage('no such account'));
        }
        const answer = { id_token: idToken, authuser: '0', ...(domain === undefined ? {} : { hd: domain }) };
        return {
          status: 302,
          headers: { location: redirectWith(request, answer), 'cache-control': 'no-store' },
        };
      },
    },
  ];

  const tokenRoute: SimRoute = { method: 'POST', pattern: '/token', handler: token };
  const unauthenticated = new Set([
    tokenRoute.pattern,
    ...certsRoutes.map((r) => r.pattern),
    ...authorizeRoutes.map((r) => r.pattern),
  ]);
  const routes: SimRoute[] = [
    tokenRoute,
    ...certsRoutes,
    ...authorizeRoutes,
    ...control,
    ...api.map((r) => ({
      method: r.method,
      pattern: r.pattern,
      handler: (req: SimRequest) => {
        // Authenticated in dispatch, before faults, so stats attribute injected errors to the user.
        const user = requestUser.get(req) ?? authenticate(req);
        checkRate(user);
        if (isEventWrite(r.method, r.pattern)) checkSendUpdates(req.query);
        return r.handler(req, user);
      },
    })),
  ];

  function errorResponse(error: unknown): SimResponse {
    if (error instanceof GoogleApiError || error instanceof OAuthError)
      return { status: error.status, body: error.body() };
    if (error instanceof Error && error.name === 'ZodError')
      return { status: 400, body: { error: { code: 400, message: error.message } } };
    if (error instanceof RangeError)
      return { status: 400, body: { error: { code: 400, message: error.message } } };
    throw error;
  }

  async function dispatch(raw: Omit<SimRequest, 'params'>): Promise<SimResponse> {
    const found = matchRoute(routes, raw.method, raw.path);
    const pattern = found?.route.pattern ?? raw.path;
    const routeKey = `${raw.method} ${found === null ? '*' : pattern}`;
    const req: SimRequest = { ...raw, params: found?.params ?? {} };
    let response: SimResponse;
    if (found === null) response = { status: 404, body: notFound().body() };
    else {
      try {
        if (!pattern.startsWith('/_sim/')) {
          if (!unauthenticated.has(pattern)) requestUser.set(req, authenticate(req));
          const decision = faults.decide(routeKey);
          if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
          if (decision.fail !== null && !decision.fail.afterEffect)
            throw quotaError(decision.fail.status, decision.fail.reason);
          response = await found.route.handler(req);
          if (decision.fail !== null) throw quotaError(decision.fail.status, decision.fail.reason);
        } else {
          response = await found.route.handler(req);
        }
      } catch (error) {
        response = errorResponse(error);
      }
    }
    stats.record(
      raw.method,
      found === null ? raw.path : pattern,
      response.status,
      requestUser.get(req) ?? null,
    );
    if (found !== null && isEventWrite(raw.method, pattern)) logWrite(req, pattern, response);
    options.onResponse?.({
      sim: 'calendar',
      routeKey,
      status: response.status,
      requestBody: pattern === '/token' ? undefined : parseJson(raw.body),
      responseBody: response.body,
    });
    return response;
  }

  return {
    get url() {
      if (server === null) throw new RangeError('calendar simulator not started');
      return server.url;
    },
    get tokenUrl() {
      return `${baseUrl()}/token`;
    },
    get certsUrl() {
      return `${baseUrl()}${CERTS_V1_PATH}`;
    },
    get jwksUrl() {
      return `${baseUrl()}${CERTS_V3_PATH}`;
    },
    get authorizeUrl() {
      return `${baseUrl()}${AUTHORIZE_PATH}`;
    },
    stats,
    async start(port = 0) {
      server = await listen(dispatch, port);
      return server.url;
    },
    async stop() {
      await Promise.all([...pending]);
      await server?.close();
      server = null;
    },
    seed,
    currentSeed: () => currentSeed,
    reset,
    act: (a) => act(simActionSchema.parse(a)),
    setFaults: (rules) => {
      faults.set(faultsBodySchema.parse({ rules }).rules);
    },
    clearFaults: () => {
      faults.clear();
    },
    events: (email) => store.events(email),
    writes: () => [...writeLog],
    channels: () => [...channels.values()].map((c) => ({ ...c })),
    issueIdToken: (r) => issueIdToken(idTokenRequestSchema.parse(r)),
    flushNotifications: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

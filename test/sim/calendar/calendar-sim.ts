/**
 * Google Calendar API v3 simulator: the OAuth token endpoint (JWT-bearer grant, google-calendar.md §5), the events
 * methods the sync uses (§1, §3), watch channels that POST notifications (§2), Google's error envelope and quota
 * errors (§4), plus a control surface under `/_sim/` (no auth) for seeding, faults, stats and UI-like actions.
 * It also plays Google's identity provider for the console's sign-in: ID tokens for the seeded users and the
 * certificates to verify them (identity.ts).
 *
 * This file composes the parts: the event store (store.ts with listing.ts and series.ts), one route module per
 * resource (routes/), and the dispatcher (dispatch.ts), over one shared context (context.ts).
 */
import {
  Faults,
  RequestStats,
  faultsBodySchema,
  listen,
  seededRandom,
  systemClock,
  type FaultRule,
  type ResponseHook,
  type RunningServer,
  type SimClock,
} from '../common/index.js';
import { runAction, simActionSchema, type SimAction } from './actions.js';
import type { CalendarContext, ChannelInfo, WriteLogEntry } from './context.js';
import { createDispatcher } from './dispatch.js';
import type { Json } from './event-time.js';
import type { Seed } from './fixture.js';
import { createIdTokenSigningKey, idTokenRequestSchema, CERTS_V1_PATH, CERTS_V3_PATH } from './identity.js';
import type { IdTokenRequest, IdTokenSigningKey } from './identity.js';
import { AUTHORIZE_PATH } from './authorize.js';
import { tokenRoute } from './routes/auth.js';
import { channelRoutes, notifyWatchers } from './routes/channels.js';
import { controlRoutes } from './routes/control.js';
import { eventRoutes } from './routes/events.js';
import { authorizeRoutes, certsRoutes, issueIdToken } from './routes/identity.js';
import { seedCalendar } from './seeding.js';
import { CalendarStore } from './store.js';

/** Per-user quota per minute over a sliding window (google-calendar.md §4). */
export const DEFAULT_PER_USER_RATE_PER_MINUTE = 600;

export interface CalendarSimOptions {
  readonly clock?: SimClock;
  /** Seeds ids and fault decisions so runs repeat. */
  readonly seed?: number;
  readonly onResponse?: ResponseHook;
  readonly perUserRatePerMinute?: number;
}

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

/** The shared state of one simulator; `baseUrl` reads the server's address once it has started. */
function createContext(options: CalendarSimOptions, baseUrl: () => string): CalendarContext {
  const clock = options.clock ?? systemClock;
  const random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  // Made on first use and kept through reset and reseed, like Google's keys: tokens already issued still verify.
  let idTokenKey: IdTokenSigningKey | null = null;
  const ctx: CalendarContext = {
    clock,
    random,
    ratePerMinute: options.perUserRatePerMinute ?? DEFAULT_PER_USER_RATE_PER_MINUTE,
    faults: new Faults(random),
    stats: new RequestStats(),
    store: new CalendarStore(clock, random, (email) => {
      notifyWatchers(ctx, email);
    }),
    channels: new Map(),
    tokens: new Map(),
    recent: new Map(),
    pending: new Set(),
    requestUser: new WeakMap(),
    writeLog: [],
    seed: null,
    saKey: null,
    users: new Set(),
    baseUrl,
    signingKey: () => (idTokenKey ??= createIdTokenSigningKey()),
    reset: () => {
      ctx.store.reset();
      ctx.faults.clear();
      ctx.stats.reset();
      ctx.channels.clear();
      ctx.tokens.clear();
      ctx.recent.clear();
      ctx.writeLog.length = 0;
      ctx.seed = null;
      ctx.saKey = null;
      ctx.users = new Set();
    },
  };
  return ctx;
}

export function createCalendarSim(options: CalendarSimOptions = {}): CalendarSim {
  let server: RunningServer | null = null;
  const ctx = createContext(options, () => server?.url ?? 'http://127.0.0.1');
  const dispatch = createDispatcher(
    ctx,
    {
      open: [tokenRoute(ctx), ...certsRoutes(ctx), ...authorizeRoutes(ctx)],
      control: controlRoutes(ctx),
      api: [...eventRoutes(ctx), ...channelRoutes(ctx)],
    },
    options.onResponse,
  );

  return {
    get url() {
      if (server === null) throw new RangeError('calendar simulator not started');
      return server.url;
    },
    get tokenUrl() {
      return `${ctx.baseUrl()}/token`;
    },
    get certsUrl() {
      return `${ctx.baseUrl()}${CERTS_V1_PATH}`;
    },
    get jwksUrl() {
      return `${ctx.baseUrl()}${CERTS_V3_PATH}`;
    },
    get authorizeUrl() {
      return `${ctx.baseUrl()}${AUTHORIZE_PATH}`;
    },
    stats: ctx.stats,
    async start(port = 0) {
      server = await listen(dispatch, port);
      return server.url;
    },
    async stop() {
      await Promise.all([...ctx.pending]);
      await server?.close();
      server = null;
    },
    seed: (input) => {
      seedCalendar(ctx, input);
    },
    currentSeed: () => ctx.seed,
    reset: ctx.reset,
    act: (a) => runAction(ctx.store, simActionSchema.parse(a)),
    setFaults: (rules) => {
      ctx.faults.set(faultsBodySchema.parse({ rules }).rules);
    },
    clearFaults: () => {
      ctx.faults.clear();
    },
    events: (email) => ctx.store.events(email),
    writes: () => [...ctx.writeLog],
    channels: () => [...ctx.channels.values()].map((c) => ({ ...c })),
    issueIdToken: (r) => issueIdToken(ctx, idTokenRequestSchema.parse(r)),
    flushNotifications: async () => {
      while (ctx.pending.size > 0) await Promise.all([...ctx.pending]);
    },
  };
}

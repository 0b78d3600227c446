/**
 * A Visma Severa REST API simulator: a real HTTP server with in-memory state, following
 * ../shared/reference/severa-api.md beside the repository (cited as §n) and the official OpenAPI subset in contracts/.
 * Test and dev infrastructure only; production code never imports it.
 *
 * This file composes the parts: the store (store.ts), one route module per resource (routes/), the control surface
 * (routes/control.ts, act.ts, seeding.ts) and the dispatcher (dispatch.ts), over one shared context (context.ts).
 */
import { randomUUID } from 'node:crypto';

import {
  Faults,
  RequestStats,
  listen,
  seededRandom,
  systemClock,
  type ResponseHook,
  type RunningServer,
  type SimClock,
} from '../common/index.js';
import { act, type SeveraSimAction } from './act.js';
import type { SeveraContext, SeveraRoute } from './context.js';
import { DOCUMENTED_RATE_LIMIT, createDispatcher } from './dispatch.js';
import type { ParsedFixture, SeveraFixture } from './fixture.js';
import {
  activityModel,
  modelOf,
  participantModel,
  type ActivityModel,
  type ActivityParticipantModel,
} from './models.js';
import { activityRoutes } from './routes/activities.js';
import { activityTypeRoutes } from './routes/activity-types.js';
import { authRoutes, credentialOf, grant } from './routes/auth.js';
import { controlRoutes } from './routes/control.js';
import { heartbeatRoutes } from './routes/heartbeat.js';
import { participantRoutes } from './routes/participants.js';
import { userRoutes } from './routes/users.js';
import { seed } from './seeding.js';
import { SeveraStore } from './store.js';

export interface SeveraSimOptions {
  readonly clock?: SimClock;
  /** Makes guids, tokens and fault dice deterministic. */
  readonly seed?: number;
  readonly onResponse?: ResponseHook;
  /** Requests per organisation in any 1 s window before 429 (§4: 10). */
  readonly rateLimitPerSecond?: number;
}

export interface SeveraSim {
  start(port?: number): Promise<RunningServer>;
  stop(): Promise<void>;
  /** Base URL once started. */
  readonly url: string;
  /** Replaces all state with the fixture (throws a SeveraApiError 400 on a bad fixture). */
  seed(fixture: SeveraFixture): void;
  /** Empties all state, tokens, faults, stats and the rate-limit window. */
  reset(): void;
  /** Runs a `/_sim/act` action; returns the affected activity model when there is one. */
  act(action: SeveraSimAction): ActivityModel | null;
  /** The activity as `GET /v1/activities/{guid}` would return it, or null. */
  activity(guid: string): ActivityModel | null;
  /** Every visible row (incl. series masters and occurrences), unpaged. */
  allActivities(): ActivityModel[];
  participants(activityGuid: string): ActivityParticipantModel[];
  /** Mints a token without HTTP (for tests that do not test auth). */
  issueToken(clientId: string): string;
  readonly stats: RequestStats;
  readonly faults: Faults;
  readonly clock: SimClock;
  /** The loaded fixture (after defaults), or null. */
  readonly fixture: ParsedFixture | null;
}

/** Guids: random, or from the seeded generator so runs repeat. */
function guidSource(seed: number | undefined): () => string {
  if (seed === undefined) return randomUUID;
  const random = seededRandom(seed);
  return () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  };
}

export function createSeveraSim(options: SeveraSimOptions = {}): SeveraSim {
  const clock = options.clock ?? systemClock;
  const faultRandom = options.seed === undefined ? Math.random : seededRandom(options.seed ^ 0x5eed);
  const ctx: SeveraContext = {
    store: new SeveraStore(() => clock.now()),
    clock,
    faults: new Faults(faultRandom),
    stats: new RequestStats(),
    tokens: new Map(),
    refreshTokens: new Map(),
    fixture: null,
    newGuid: guidSource(options.seed),
    reset: () => {
      ctx.store.clear();
      ctx.tokens.clear();
      ctx.refreshTokens.clear();
      ctx.faults.clear();
      ctx.stats.reset();
      dispatcher.clearRateWindow();
      ctx.fixture = null;
    },
  };
  const routes: SeveraRoute[] = [
    ...heartbeatRoutes(),
    ...authRoutes(ctx),
    ...activityRoutes(ctx),
    ...participantRoutes(ctx),
    ...activityTypeRoutes(ctx),
    ...userRoutes(ctx),
    ...controlRoutes(ctx),
  ].map((d) => ({ ...d, handler: (req) => d.run(req, null) }));
  const dispatcher = createDispatcher(ctx, routes, {
    rateLimit: options.rateLimitPerSecond ?? DOCUMENTED_RATE_LIMIT,
    onResponse: options.onResponse,
  });
  let server: RunningServer | null = null;

  return {
    async start(port = 0) {
      if (server !== null) return server;
      server = await listen(dispatcher.dispatch, port);
      return server;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
    get url() {
      if (server === null) throw new Error('the Severa simulator is not started');
      return server.url;
    },
    seed: (f) => {
      seed(ctx, f);
    },
    reset: ctx.reset,
    act: (action) => act(ctx, action),
    activity: (guid) => modelOf(ctx.store, guid),
    allActivities: () => ctx.store.rows().map((row) => activityModel(ctx.store, row)),
    participants: (guid) => {
      const row = ctx.store.find(guid);
      if (row === null) return [];
      return ctx.store
        .participantsOf(ctx.store.participantHost(row))
        .map((p) => participantModel(ctx.store, p));
    },
    issueToken(clientId) {
      const credential = credentialOf(ctx, clientId);
      if (credential === undefined) throw new Error(`unknown client id ${clientId}`);
      return String(grant(ctx, clientId, credential.scopes).access_token);
    },
    stats: ctx.stats,
    faults: ctx.faults,
    clock,
    get fixture() {
      return ctx.fixture;
    },
  };
}

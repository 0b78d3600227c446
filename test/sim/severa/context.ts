/**
 * What the Severa simulator's parts share: the store, the clock, faults and stats, the issued tokens, the loaded
 * fixture, and how a route is declared. `createSeveraSim` (severa-sim.ts) builds one context and hands it to each
 * route module (routes/), the dispatcher (dispatch.ts) and the control surface.
 */
import type { Faults, RequestStats, SimClock, SimRequest, SimResponse, SimRoute } from '../common/index.js';
import type { ParsedFixture } from './fixture.js';
import type { SeveraStore } from './store.js';

/** `public`: no token (heartbeats, token endpoints); `control`: `/_sim/*`; `api`: token and scope checked. */
export type Access = 'public' | 'control' | 'api';

export interface AuthContext {
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** The credential's API user: `createdBy` / `lastUpdatedBy` of API writes. */
  readonly userGuid: string;
}

export interface TokenGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresMs: number;
}

export interface SeveraRoute extends SimRoute {
  readonly access: Access;
  /** Scope required on `api` routes (§2, §6, §9, §10); null = any valid token. */
  readonly scope: string | null;
  readonly run: (req: SimRequest, auth: AuthContext | null) => SimResponse | Promise<SimResponse>;
}

/** A route as a route module declares it; the composition adds the plain `handler`. */
export type SeveraRouteDef = Omit<SeveraRoute, 'handler'>;

export interface SeveraContext {
  readonly store: SeveraStore;
  readonly clock: SimClock;
  readonly faults: Faults;
  readonly stats: RequestStats;
  /** Access tokens and refresh tokens issued (§2), by token. */
  readonly tokens: Map<string, TokenGrant>;
  readonly refreshTokens: Map<string, TokenGrant>;
  /** The loaded fixture (after defaults), or null. */
  fixture: ParsedFixture | null;
  /** A new guid: random, or from the seeded generator. */
  newGuid(): string;
  /** Empties all state, tokens, faults, stats and the rate-limit window. */
  readonly reset: () => void;
}

/** Who an API write is attributed to: the credential's API user. */
export function currentUser(auth: AuthContext | null): string {
  return auth?.userGuid ?? '';
}

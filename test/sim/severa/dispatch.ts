/**
 * How the Severa simulator answers a request: route match, then for API routes fault rules → rate limit →
 * auth/scope → handler (README "Control surface"); every answer is recorded in the stats (API routes only) and
 * reported to `onResponse`. Errors are always `ExceptionModel` bodies (severa-api.md §4).
 */
import { matchRoute, type ResponseHook, type SimRequest, type SimResponse } from '../common/index.js';
import type { AuthContext, SeveraContext, SeveraRoute } from './context.js';
import { SeveraApiError, exceptionBody, quotaMessage } from './errors.js';
import { authenticate, bearerToken } from './routes/auth.js';
import { header, json, safeJson } from './request.js';

/** The documented limit (§4); injected 429 faults quote it whatever the configured limit is. */
export const DOCUMENTED_RATE_LIMIT = 10;

export interface Dispatcher {
  readonly dispatch: (raw: Omit<SimRequest, 'params'>) => Promise<SimResponse>;
  /** Forgets the requests of the rate-limit window. */
  readonly clearRateWindow: () => void;
}

function errorResponse(error: unknown): SimResponse {
  if (error instanceof SeveraApiError)
    return json(error.status, exceptionBody(error.status, error.type, error.details));
  const message = error instanceof Error ? error.message : 'internal error';
  return json(500, exceptionBody(500, 'InternalSystemError', [{ message }]));
}

function faultResponse(status: number, reason: string | undefined): SimResponse {
  if (status === 429)
    return json(
      429,
      exceptionBody(429, 'InvalidRequest', [{ message: quotaMessage(DOCUMENTED_RATE_LIMIT) }]),
    );
  const type =
    reason ??
    (status === 401
      ? 'AuthenticationRequired'
      : status === 403
        ? 'PermissionDenied'
        : status >= 500
          ? 'InternalSystemError'
          : 'InvalidRequest');
  return json(status, exceptionBody(status, type, [{ message: `Injected fault (${status}).` }]));
}

/** Which credential a request belongs to, for stats (`user` = client id). */
function statsUser(ctx: SeveraContext, req: SimRequest, routeKey: string): string | null {
  if (routeKey === 'POST /v1/token') {
    try {
      const body = JSON.parse(req.body) as unknown;
      if (typeof body === 'object' && body !== null)
        for (const [k, v] of Object.entries(body))
          if (k.toLowerCase() === 'client_id' && typeof v === 'string') return v;
    } catch {
      return null;
    }
    return null;
  }
  const clientId = header(req, 'client_id');
  if (clientId !== null) return clientId;
  const token = bearerToken(req);
  return token === undefined ? null : (ctx.tokens.get(token)?.clientId ?? null);
}

async function controlResponse(route: SeveraRoute, req: SimRequest): Promise<SimResponse> {
  try {
    return await route.run(req, null);
  } catch (error) {
    return errorResponse(error);
  }
}

export function createDispatcher(
  ctx: SeveraContext,
  routes: readonly SeveraRoute[],
  options: { readonly rateLimit: number; readonly onResponse: ResponseHook | undefined },
): Dispatcher {
  let recent: number[] = [];

  /** Sliding 1 s window per organisation (§4). The sim holds one organisation, so one window. */
  function rateLimited(): boolean {
    const now = ctx.clock.now();
    recent = recent.filter((t) => t > now - 1000);
    if (recent.length >= options.rateLimit) return true;
    recent.push(now);
    return false;
  }

  async function apiResponse(route: SeveraRoute, req: SimRequest, routeKey: string): Promise<SimResponse> {
    const decision = ctx.faults.decide(routeKey);
    if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
    if (decision.fail !== null && !decision.fail.afterEffect)
      return faultResponse(decision.fail.status, decision.fail.reason);
    if (rateLimited())
      return json(429, exceptionBody(429, 'InvalidRequest', [{ message: quotaMessage(options.rateLimit) }]));
    try {
      let auth: AuthContext | null = null;
      if (route.access === 'api') {
        auth = authenticate(ctx, req);
        if (route.scope !== null && !auth.scopes.has(route.scope))
          throw new SeveraApiError(403, 'InsufficientApiScope', `The API scope ${route.scope} is required.`);
      }
      const response = await route.run(req, auth);
      if (decision.fail !== null) return faultResponse(decision.fail.status, decision.fail.reason);
      return response;
    } catch (error) {
      return errorResponse(error);
    }
  }

  async function dispatch(raw: Omit<SimRequest, 'params'>): Promise<SimResponse> {
    const matched = matchRoute(routes, raw.method, raw.path);
    const route = matched === null ? undefined : routes.find((r) => r === matched.route);
    const routeKey = route === undefined ? `${raw.method} ${raw.path}` : `${raw.method} ${route.pattern}`;
    const req: SimRequest = { ...raw, params: matched?.params ?? {} };
    const response =
      route === undefined
        ? json(404, exceptionBody(404, 'InvalidRequest', [{ message: `No route ${routeKey}.` }]))
        : route.access === 'control'
          ? await controlResponse(route, req)
          : await apiResponse(route, req, routeKey);
    // Control routes stay out of the stats so API cost assertions count only API calls.
    if (route?.access !== 'control')
      ctx.stats.record(
        raw.method,
        route?.pattern ?? raw.path,
        response.status,
        statsUser(ctx, req, routeKey),
      );
    options.onResponse?.({
      sim: 'severa',
      routeKey,
      status: response.status,
      requestBody: safeJson(raw.body),
      responseBody: response.body,
    });
    return response;
  }

  return {
    dispatch,
    clearRateWindow: () => {
      recent = [];
    },
  };
}

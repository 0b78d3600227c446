/**
 * How the calendar simulator answers a request: route match; outside `/_sim/`, the token first (so stats attribute
 * injected errors to the user), then fault rules, then the handler (which checks the rate and `sendUpdates`).
 * Every answer is counted, event writes are logged (`GET /_sim/writes`), and each is reported to `onResponse`.
 */
import {
  matchRoute,
  type ResponseHook,
  type SimRequest,
  type SimResponse,
  type SimRoute,
} from '../common/index.js';
import { isEventWrite, type ApiRoute, type CalendarContext, WRITE_LOG_LIMIT } from './context.js';
import { GoogleApiError, OAuthError, notFound, quotaError } from './errors.js';
import { isObject } from './event-time.js';
import { checkSendUpdates, parseJson } from './request.js';
import { authenticate, checkRate } from './routes/auth.js';

export interface CalendarRoutes {
  /** Reached without a token: the token endpoint, the certificates, the authorization endpoint. */
  readonly open: readonly SimRoute[];
  readonly control: readonly SimRoute[];
  readonly api: readonly ApiRoute[];
}

function errorResponse(error: unknown): SimResponse {
  if (error instanceof GoogleApiError || error instanceof OAuthError)
    return { status: error.status, body: error.body() };
  if (error instanceof Error && error.name === 'ZodError')
    return { status: 400, body: { error: { code: 400, message: error.message } } };
  if (error instanceof RangeError)
    return { status: 400, body: { error: { code: 400, message: error.message } } };
  throw error;
}

function logWrite(ctx: CalendarContext, req: SimRequest, pattern: string, response: SimResponse): void {
  const idOf = (body: unknown): string | null =>
    isObject(body) && typeof body.id === 'string' ? body.id : null;
  ctx.writeLog.push({
    method: req.method,
    route: pattern,
    eventId: req.params.eventId ?? idOf(response.body) ?? idOf(parseJson(req.body)),
    user: ctx.requestUser.get(req) ?? null,
    sendUpdates: req.query.get('sendUpdates'),
    status: response.status,
  });
  if (ctx.writeLog.length > WRITE_LOG_LIMIT) ctx.writeLog.splice(0, ctx.writeLog.length - WRITE_LOG_LIMIT);
}

/** The API routes as plain routes: each checks the rate and `sendUpdates` for the request's user first. */
function guarded(ctx: CalendarContext, api: readonly ApiRoute[]): SimRoute[] {
  return api.map((r) => ({
    method: r.method,
    pattern: r.pattern,
    handler: (req: SimRequest) => {
      // Authenticated in dispatch, before faults, so stats attribute injected errors to the user.
      const user = ctx.requestUser.get(req) ?? authenticate(ctx, req);
      checkRate(ctx, user);
      if (isEventWrite(r.method, r.pattern)) checkSendUpdates(req.query);
      return r.handler(req, user);
    },
  }));
}

export function createDispatcher(
  ctx: CalendarContext,
  parts: CalendarRoutes,
  onResponse: ResponseHook | undefined,
): (raw: Omit<SimRequest, 'params'>) => Promise<SimResponse> {
  const routes: SimRoute[] = [...parts.open, ...parts.control, ...guarded(ctx, parts.api)];
  const unauthenticated = new Set(parts.open.map((r) => r.pattern));

  async function answer(
    route: SimRoute,
    req: SimRequest,
    pattern: string,
    routeKey: string,
  ): Promise<SimResponse> {
    if (pattern.startsWith('/_sim/')) return route.handler(req);
    if (!unauthenticated.has(pattern)) ctx.requestUser.set(req, authenticate(ctx, req));
    const decision = ctx.faults.decide(routeKey);
    if (decision.latencyMs > 0) await new Promise((r) => setTimeout(r, decision.latencyMs));
    if (decision.fail !== null && !decision.fail.afterEffect)
      throw quotaError(decision.fail.status, decision.fail.reason);
    const response = await route.handler(req);
    if (decision.fail !== null) throw quotaError(decision.fail.status, decision.fail.reason);
    return response;
  }

  return async (raw) => {
    const found = matchRoute(routes, raw.method, raw.path);
    const pattern = found?.route.pattern ?? raw.path;
    const routeKey = `${raw.method} ${found === null ? '*' : pattern}`;
    const req: SimRequest = { ...raw, params: found?.params ?? {} };
    let response: SimResponse;
    if (found === null) response = { status: 404, body: notFound().body() };
    else {
      try {
        response = await answer(found.route, req, pattern, routeKey);
      } catch (error) {
        response = errorResponse(error);
      }
    }
    ctx.stats.record(
      raw.method,
      found === null ? raw.path : pattern,
      response.status,
      ctx.requestUser.get(req) ?? null,
    );
    if (found !== null && isEventWrite(raw.method, pattern)) logWrite(ctx, req, pattern, response);
    onResponse?.({
      sim: 'calendar',
      routeKey,
      status: response.status,
      requestBody: pattern === '/token' ? undefined : parseJson(raw.body),
      responseBody: response.body,
    });
    return response;
  };
}

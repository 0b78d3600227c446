/**
 * The OAuth token endpoint (google-calendar.md §5: JWT-bearer grant, oauth.ts checks the assertion), the Bearer
 * check of every API call, and the per-user quota window (§4).
 */
import { randomBytes } from 'node:crypto';

import type { SimRequest, SimResponse, SimRoute } from '../../common/index.js';
import type { CalendarContext } from '../context.js';
import { GoogleApiError, OAuthError, quotaError } from '../errors.js';
import { ACCESS_TOKEN_SECONDS, GOOGLE_TOKEN_URL, JWT_BEARER, verifyAssertion } from '../oauth.js';
import { header, ok } from '../request.js';

function token(ctx: CalendarContext, req: SimRequest): SimResponse {
  const form = new URLSearchParams(req.body);
  if (form.get('grant_type') !== JWT_BEARER)
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      `Invalid grant_type: ${form.get('grant_type') ?? ''}`,
    );
  const { user } = verifyAssertion(form.get('assertion') ?? '', {
    serviceAccount: ctx.seed?.serviceAccount ?? null,
    publicKey: ctx.saKey,
    users: ctx.users,
    audiences: [`${ctx.baseUrl()}/token`, GOOGLE_TOKEN_URL],
    nowMs: ctx.clock.now(),
  });
  ctx.requestUser.set(req, user);
  const accessToken = `ya29.sim-${randomBytes(24).toString('base64url')}`;
  ctx.tokens.set(accessToken, { user, expiresAt: ctx.clock.now() + ACCESS_TOKEN_SECONDS * 1000 });
  return ok({ access_token: accessToken, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS });
}

export function tokenRoute(ctx: CalendarContext): SimRoute {
  return { method: 'POST', pattern: '/token', handler: (req) => token(ctx, req) };
}

/** The user a request's access token was issued for; 401 `authError` otherwise. */
export function authenticate(ctx: CalendarContext, req: SimRequest): string {
  const auth = header(req, 'authorization') ?? '';
  const entry = auth.startsWith('Bearer ') ? ctx.tokens.get(auth.slice(7)) : undefined;
  if (entry === undefined || entry.expiresAt <= ctx.clock.now())
    throw new GoogleApiError(
      401,
      'authError',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    );
  return entry.user;
}

/** Sliding one-minute window per user → 403 userRateLimitExceeded (google-calendar.md §4). */
export function checkRate(ctx: CalendarContext, user: string): void {
  const now = ctx.clock.now();
  const times = (ctx.recent.get(user) ?? []).filter((t) => t > now - 60_000);
  if (times.length >= ctx.ratePerMinute) {
    ctx.recent.set(user, times);
    throw quotaError(403, 'userRateLimitExceeded');
  }
  times.push(now);
  ctx.recent.set(user, times);
}

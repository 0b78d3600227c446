/**
 * Severa's authentication (severa-api.md §2): `POST /v1/token` (client credentials), `POST /v1/refreshtoken`
 * (single-use refresh tokens), and the Bearer + `Client_Id` check every API route makes.
 */
import type { SimRequest, SimResponse } from '../../common/index.js';
import type { AuthContext, SeveraContext, SeveraRouteDef } from '../context.js';
import { SeveraApiError } from '../errors.js';
import type { ParsedFixture } from '../fixture.js';
import { header, parseJson } from '../request.js';
import { formatStamp } from '../store.js';

/** Access tokens live an hour (severa-api.md §2: not documented; generoi's stubs use 3600 s). */
export const ACCESS_TOKEN_SECONDS = 3600;
/** Refresh tokens: not documented (§14.1); a day is long enough for any test or demo session. */
export const REFRESH_TOKEN_SECONDS = 86_400;

type Credential = ParsedFixture['credentials'][number];

export function credentialOf(ctx: SeveraContext, clientId: string): Credential | undefined {
  return ctx.fixture?.credentials.find((c) => c.clientId === clientId);
}

function newSecret(ctx: SeveraContext): string {
  return (ctx.newGuid() + ctx.newGuid()).replaceAll('-', '');
}

/** Issues an access and a refresh token (`PublicAuthenticationOutputModel`, §14.2). */
export function grant(
  ctx: SeveraContext,
  clientId: string,
  scopes: readonly string[],
): Record<string, unknown> {
  const now = ctx.clock.now();
  const access = newSecret(ctx);
  const refresh = newSecret(ctx);
  ctx.tokens.set(access, { clientId, scopes, expiresMs: now + ACCESS_TOKEN_SECONDS * 1000 });
  ctx.refreshTokens.set(refresh, { clientId, scopes, expiresMs: now + REFRESH_TOKEN_SECONDS * 1000 });
  return {
    access_token: access,
    access_token_type: 'Bearer',
    access_token_expires_in: ACCESS_TOKEN_SECONDS,
    access_token_expires_utc: formatStamp(now + ACCESS_TOKEN_SECONDS * 1000),
    refresh_token: refresh,
    refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
    refresh_token_expires_utc: formatStamp(now + REFRESH_TOKEN_SECONDS * 1000),
    scope: scopes.join(','),
  };
}

/** The bearer token of a request, if it has one. */
export function bearerToken(req: SimRequest): string | undefined {
  const auth = header(req, 'authorization');
  return auth === null ? undefined : /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
}

export function authenticate(ctx: SeveraContext, req: SimRequest): AuthContext {
  // §2: Authorization: Bearer <token> and Client_Id on every call.
  const token = bearerToken(req);
  const grantRow = token === undefined ? undefined : ctx.tokens.get(token);
  if (grantRow === undefined || grantRow.expiresMs <= ctx.clock.now())
    throw new SeveraApiError(401, 'AuthenticationRequired', [
      {
        message: 'A valid access token is required.',
        location: { name: 'Authorization', type: 'RequestHeader' },
      },
    ]);
  const clientId = header(req, 'client_id');
  if (clientId === null || clientId !== grantRow.clientId)
    throw new SeveraApiError(401, 'AuthenticationRequired', [
      {
        message:
          clientId === null
            ? 'The Client_Id header is required.'
            : 'The Client_Id header does not match the token.',
        location: { name: 'Client_Id', type: 'RequestHeader' },
      },
    ]);
  const credential = credentialOf(ctx, grantRow.clientId);
  if (credential === undefined)
    throw new SeveraApiError(401, 'AuthenticationRequired', 'The credential no longer exists.');
  return {
    clientId: grantRow.clientId,
    scopes: new Set(grantRow.scopes),
    userGuid: credential.apiUserGuid,
  };
}

function tokenRoute(ctx: SeveraContext, req: SimRequest): SimResponse {
  const body = parseJson(req.body);
  if (typeof body !== 'object' || body === null)
    throw new SeveraApiError(400, 'InvalidRequest', 'Expected client credentials.');
  // §2: the spec says client_id/client_secret; working clients send client_Id/client_Secret, so match any casing.
  const fields = new Map<string, unknown>(
    Object.entries(body as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const clientId = fields.get('client_id');
  const secret = fields.get('client_secret');
  const scope = fields.get('scope');
  const credential = typeof clientId === 'string' ? credentialOf(ctx, clientId) : undefined;
  if (credential === undefined || secret !== credential.clientSecret)
    throw new SeveraApiError(401, 'AuthenticationRequired', 'Invalid client credentials.');
  // §2: comma- or space-separated; missing = everything the credential has.
  const requested =
    typeof scope === 'string' && scope.trim() !== ''
      ? scope.split(/[\s,]+/).filter(Boolean)
      : credential.scopes;
  const missing = requested.filter((s) => !credential.scopes.includes(s));
  if (missing.length > 0)
    throw new SeveraApiError(
      401,
      'AuthenticationRequired',
      `The credential does not have the scope(s): ${missing.join(', ')}`,
    );
  return { status: 200, body: grant(ctx, credential.clientId, requested) };
}

function refreshRoute(ctx: SeveraContext, req: SimRequest): SimResponse {
  const body = parseJson(req.body);
  const token = typeof body === 'string' ? body : null;
  const row = token === null ? undefined : ctx.refreshTokens.get(token);
  if (
    token === null ||
    row === undefined ||
    row.expiresMs <= ctx.clock.now() ||
    credentialOf(ctx, row.clientId) === undefined
  )
    throw new SeveraApiError(401, 'AuthenticationRequired', 'Invalid or expired refresh token.');
  ctx.refreshTokens.delete(token);
  return { status: 200, body: grant(ctx, row.clientId, row.scopes) };
}

export function authRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  return [
    {
      method: 'POST',
      pattern: '/v1/token',
      access: 'public',
      scope: null,
      run: (req) => tokenRoute(ctx, req),
    },
    {
      method: 'POST',
      pattern: '/v1/refreshtoken',
      access: 'public',
      scope: null,
      run: (req) => refreshRoute(ctx, req),
    },
  ];
}

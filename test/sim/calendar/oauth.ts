/**
 * The JWT-bearer grant of Google's token endpoint as a service account with domain-wide delegation uses it
 * (google-calendar.md §5): an RS256 assertion signed with the account's key, `iss` = account e-mail, `aud` = token
 * URL, `scope` = the requested scopes, `sub` = the impersonated user, valid for at most an hour.
 */
import { X509Certificate, createPublicKey, verify, type KeyObject } from 'node:crypto';

import { OAuthError } from './errors.js';
import type { ServiceAccount } from './fixture.js';

/** Google's fixed audience; accepted besides the simulator's own token URL so real client libraries work unchanged. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Token lifetime Google reports (`expires_in`). */
export const ACCESS_TOKEN_SECONDS = 3599;

const UNAUTHORIZED_CLIENT =
  'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.';
const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

export function publicKeyOf(sa: ServiceAccount): KeyObject {
  if (sa.certificatePem !== undefined) return new X509Certificate(sa.certificatePem).publicKey;
  return createPublicKey(sa.publicKeyPem ?? '');
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export interface GrantContext {
  readonly serviceAccount: ServiceAccount | null;
  readonly publicKey: KeyObject | null;
  readonly users: ReadonlySet<string>;
  readonly audiences: readonly string[];
  readonly nowMs: number;
}

/** Checks one assertion; returns the impersonated user and scopes or throws the error Google would give. */
export function verifyAssertion(assertion: string, ctx: GrantContext): { user: string; scopes: string[] } {
  const parts = assertion.split('.');
  const [h, p, s] = parts;
  const header = h === undefined ? null : decodeJson(h);
  const claims = p === undefined ? null : decodeJson(p);
  if (parts.length !== 3 || header === null || claims === null || s === undefined)
    throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Malformed assertion.');
  if (header.alg !== 'RS256') throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
  const sa = ctx.serviceAccount;
  if (sa === null || ctx.publicKey === null || claims.iss !== sa.email)
    throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
  const signed = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), ctx.publicKey, Buffer.from(s, 'base64url'));
  if (!signed) throw new OAuthError(400, 'invalid_grant', 'Invalid JWT Signature.');
  if (typeof claims.aud !== 'string' || !ctx.audiences.includes(claims.aud))
    throw new OAuthError(400, 'invalid_grant', 'Invalid JWT: Failed audience check.');
  const { exp, iat } = claims;
  const nowS = Math.floor(ctx.nowMs / 1000);
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    exp <= nowS ||
    exp - iat > 3600 ||
    iat > nowS + 300
  )
    throw new OAuthError(400, 'invalid_grant', SHORT_LIVED);
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  if (scopes.length === 0)
    throw new OAuthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
  // Without `sub` the account acts as itself; the sync always impersonates (google-calendar.md §5 "Gotcha").
  const sub = claims.sub;
  if (typeof sub !== 'string' || !ctx.users.has(sub.toLowerCase()))
    throw new OAuthError(400, 'invalid_grant', 'Invalid email or User ID');
  if (!scopes.every((scope) => sa.delegatedScopes.includes(scope)))
    throw new OAuthError(401, 'unauthorized_client', UNAUTHORIZED_CLIENT);
  return { user: sub.toLowerCase(), scopes };
}

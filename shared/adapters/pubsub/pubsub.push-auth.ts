/**
 * Who may call `syncTick` and `syncWorker` (issue 10 #3): only Pub/Sub's authenticated push. A push subscription
 * with an OIDC token sends `Authorization: Bearer <ID token>` signed by Google for the subscription's service
 * account, with the audience the subscription names. This checks, on every request: the token (signature against
 * the issuer's published certificates — Google's; locally the stack's own stand-in, published the same way —
 * issuer, expiry, audience: identity/id-token.verifier.ts), and that it is the configured service account's, with
 * a verified e-mail.
 *
 * Deployed, the two functions are private: Cloud Run lets only the push subscriptions' service account invoke them,
 * checking the token's signature itself, and then hands the token on with its signature replaced by
 * `SIGNATURE_REMOVED_BY_GOOGLE` (docs/deploy.md). With `verifiedByCloudRun` the code checks everything it can still
 * check (issuer, audience, expiry, the account and its verified e-mail) and requires that marker: a token that still
 * carries a signature means Cloud Run did not check the caller (the function was made public), and is refused.
 */
import { GOOGLE_CERTS_URL, GOOGLE_ISSUERS, createIdTokenVerifier } from '../identity/id-token.verifier.js';

export { GOOGLE_CERTS_URL, GOOGLE_ISSUERS };

export interface PushAuthConfig {
  /** The audience the push subscription puts in its tokens. */
  readonly audience: string;
  /** The e-mail of the service account the push subscription signs as. */
  readonly serviceAccount: string;
  /** Where the issuer publishes its certificates (`{ kid: PEM }`, as Google's `oauth2/v1/certs`). */
  readonly certsUrl: string;
  readonly issuers: readonly string[];
  /** Cloud Run's IAM checked the token's signature and removed it (see above); false: the code checks it. */
  readonly verifiedByCloudRun: boolean;
}

/** What Cloud Run puts in place of a token's signature once it has checked it. */
export const SIGNATURE_REMOVED_BY_GOOGLE = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Leeway for the token's times, as google-auth-library allows. */
const CLOCK_SKEW_S = 300;
const MAX_TOKEN_LENGTH = 4096;

export type PushAuthCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export type PushVerifier = (authorization: string | undefined) => Promise<PushAuthCheck>;

/**
 * A verifier for `config`, or one that refuses everything with a reason an operator can act on when push
 * authentication is not configured (a function that trusts any caller is never the default).
 */
export function createPushVerifier(
  config: PushAuthConfig | null,
  fetchJson?: (url: string) => Promise<unknown>,
  nowMs?: () => number,
): PushVerifier {
  if (config === null) {
    return () =>
      Promise.resolve({
        ok: false,
        reason: 'push authentication is not configured (PUSH_AUTH_AUDIENCE, PUSH_AUTH_SERVICE_ACCOUNT)',
      });
  }
  if (config.verifiedByCloudRun) return cloudRunVerified(config, nowMs ?? Date.now);
  const verify = createIdTokenVerifier(config, fetchJson, nowMs);
  return async (authorization) => {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match?.[1]) return { ok: false, reason: 'no push token' };
    const check = await verify(match[1]);
    if (!check.ok) return { ok: false, reason: `push ${check.reason}` };
    if (check.payload.email !== config.serviceAccount || check.payload.email_verified !== true) {
      return { ok: false, reason: 'push token of another account' };
    }
    return { ok: true };
  };
}

/** The claims of a token whose signature Cloud Run checked and removed; everything else is checked here. */
function cloudRunVerified(config: PushAuthConfig, nowMs: () => number): PushVerifier {
  const decode = (part: string): unknown => {
    try {
      return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
  };
  return (authorization) => {
    const refuse = (reason: string) => Promise.resolve({ ok: false as const, reason });
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    const token = match?.[1];
    if (!token || token.length > MAX_TOKEN_LENGTH) return refuse('no push token');
    const [head, body, signature, ...rest] = token.split('.');
    if (head === undefined || body === undefined || signature === undefined || rest.length > 0)
      return refuse('push token malformed');
    if (signature !== SIGNATURE_REMOVED_BY_GOOGLE) {
      // Cloud Run removes the signature of every token it has checked: one still signed did not pass its IAM check.
      return refuse('push token not checked by Cloud Run (is the function public?)');
    }
    const header = decode(head) as { alg?: unknown } | null;
    const claims = decode(body) as Record<string, unknown> | null;
    if (header === null || typeof header !== 'object' || header.alg !== 'RS256' || claims === null) {
      return refuse('push token malformed');
    }
    const now = nowMs() / 1000;
    if (typeof claims.iss !== 'string' || !config.issuers.includes(claims.iss))
      return refuse('push token issuer');
    if (claims.aud !== config.audience) return refuse('push token audience');
    if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_S < now)
      return refuse('push token expired');
    if (typeof claims.iat === 'number' && claims.iat - CLOCK_SKEW_S > now)
      return refuse('push token from the future');
    if (claims.email !== config.serviceAccount || claims.email_verified !== true) {
      return refuse('push token of another account');
    }
    return Promise.resolve({ ok: true as const });
  };
}

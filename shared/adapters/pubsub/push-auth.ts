/**
 * Who may call `syncTick` and `syncWorker` (issue 10 #3): only Pub/Sub's authenticated push. A push subscription
 * with an OIDC token sends `Authorization: Bearer <ID token>` signed by Google for the subscription's service
 * account, with the audience the subscription names. This checks, on every request: the token (signature against
 * the issuer's published certificates — Google's; locally the stack's own stand-in, published the same way —
 * issuer, expiry, audience: identity/id-token-verifier.ts), and that it is the configured service account's, with
 * a verified e-mail.
 */
import { GOOGLE_CERTS_URL, GOOGLE_ISSUERS, createIdTokenVerifier } from '../identity/id-token-verifier.js';

export { GOOGLE_CERTS_URL, GOOGLE_ISSUERS };

export interface PushAuthConfig {
  /** The audience the push subscription puts in its tokens. */
  readonly audience: string;
  /** The e-mail of the service account the push subscription signs as. */
  readonly serviceAccount: string;
  /** Where the issuer publishes its certificates (`{ kid: PEM }`, as Google's `oauth2/v1/certs`). */
  readonly certsUrl: string;
  readonly issuers: readonly string[];
}

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

/**
 * Who may call `syncTick` and `syncWorker` (issue 10 #3): only Pub/Sub's authenticated push. A push subscription
 * with an OIDC token sends `Authorization: Bearer <ID token>` signed by Google for the subscription's service
 * account, with the audience the subscription names. This checks, on every request: the signature against the
 * issuer's published certificates (Google's `oauth2/v1/certs`; locally the stack's own issuer, published the same
 * way), the issuer, the expiry, the audience, and that the token is the configured service account's with a
 * verified e-mail. Verification uses `google-auth-library`, the same code path in both places.
 */
import { OAuth2Client, type LoginTicket } from 'google-auth-library';

export interface PushAuthConfig {
  /** The audience the push subscription puts in its tokens. */
  readonly audience: string;
  /** The e-mail of the service account the push subscription signs as. */
  readonly serviceAccount: string;
  /** Where the issuer publishes its certificates (`{ kid: PEM }`, as Google's `oauth2/v1/certs`). */
  readonly certsUrl: string;
  readonly issuers: readonly string[];
}

export const GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'] as const;

export type PushAuthCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export type PushVerifier = (authorization: string | undefined) => Promise<PushAuthCheck>;

/** How long fetched certificates are trusted before they are fetched again (Google rotates them over days). */
const CERTS_TTL_MS = 60 * 60_000;
/** An unknown key id fetches again at most this often (a forged `kid` must not make us hammer the issuer). */
const REFETCH_MIN_MS = 60_000;
const MAX_TOKEN_LENGTH = 4096;

/**
 * A verifier for `config`, or one that refuses everything with a reason an operator can act on when push
 * authentication is not configured (a function that trusts any caller is never the default).
 */
export function createPushVerifier(
  config: PushAuthConfig | null,
  fetchJson: (url: string) => Promise<unknown> = defaultFetchJson,
  nowMs: () => number = Date.now,
): PushVerifier {
  if (config === null) {
    return () =>
      Promise.resolve({
        ok: false,
        reason: 'push authentication is not configured (PUSH_AUTH_AUDIENCE, PUSH_AUTH_SERVICE_ACCOUNT)',
      });
  }
  const client = new OAuth2Client();
  let certs: Record<string, string> | null = null;
  let fetchedAt = 0;
  const load = async (force: boolean): Promise<Record<string, string>> => {
    const age = nowMs() - fetchedAt;
    if (certs !== null && age < CERTS_TTL_MS && !(force && age >= REFETCH_MIN_MS)) return certs;
    const body = await fetchJson(config.certsUrl);
    if (body === null || typeof body !== 'object') throw new Error('the issuer certificates are not JSON');
    certs = Object.fromEntries(
      Object.entries(body as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    fetchedAt = nowMs();
    return certs;
  };
  return async (authorization) => {
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!match?.[1] || match[1].length > MAX_TOKEN_LENGTH) {
      return { ok: false, reason: 'no push token' };
    }
    const token = match[1];
    let ticket: LoginTicket;
    try {
      const kid = keyIdOf(token);
      let keys = await load(false);
      if (kid !== null && !(kid in keys)) keys = await load(true);
      ticket = await client.verifySignedJwtWithCertsAsync(token, keys, config.audience, [...config.issuers]);
    } catch {
      // The library's message may quote the token's payload: only our own words are returned and logged.
      return { ok: false, reason: 'push token not valid (signature, issuer, audience or expiry)' };
    }
    const payload = ticket.getPayload();
    if (payload?.email !== config.serviceAccount || payload.email_verified !== true) {
      return { ok: false, reason: 'push token of another account' };
    }
    return { ok: true };
  };
}

function keyIdOf(token: string): string | null {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      kid?: unknown;
    };
    return typeof header.kid === 'string' ? header.kid : null;
  } catch {
    return null;
  }
}

async function defaultFetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`the issuer certificates answered ${res.status}`);
  return res.json();
}

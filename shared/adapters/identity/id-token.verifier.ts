/**
 * Verifies Google-style ID tokens (RS256 JWTs) with `google-auth-library`: the signature against the issuer's
 * published certificates (`{ kid: PEM }`, as Google's `oauth2/v1/certs`), the issuer, the expiry and the audience.
 * What the claims must then say (whose token, which domain) is the caller's business: Pub/Sub's authenticated push
 * (pubsub.push-auth.ts) and the console's sign-in each check their own. The same code path runs against Google in
 * production and against a local stand-in issuer, which publishes its certificates the same way.
 */
import type { OAuth2Client, TokenPayload } from 'google-auth-library';

export interface IdTokenVerifierConfig {
  readonly audience: string;
  readonly issuers: readonly string[];
  /** Where the issuer publishes its certificates (`{ kid: PEM }`). */
  readonly certsUrl: string;
}

export const GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';
export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'] as const;

export type IdTokenCheck =
  { readonly ok: true; readonly payload: TokenPayload } | { readonly ok: false; readonly reason: string };

export type IdTokenVerifier = (token: string) => Promise<IdTokenCheck>;

/** How long fetched certificates are trusted before they are fetched again (Google rotates them over days). */
const CERTS_TTL_MS = 60 * 60_000;
/** An unknown key id fetches again at most this often (a forged `kid` must not make us hammer the issuer). */
const REFETCH_MIN_MS = 60_000;
const MAX_TOKEN_LENGTH = 4096;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function createIdTokenVerifier(
  config: IdTokenVerifierConfig,
  fetchJson: (url: string) => Promise<unknown> = defaultFetchJson,
  nowMs: () => number = Date.now,
): IdTokenVerifier {
  // The library is loaded on the first token, not when the module is: an instance that never checks a signature
  // itself (Cloud Run checks the push tokens) never loads it.
  let client: Promise<OAuth2Client> | null = null;
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
  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH || !JWT.test(token)) return { ok: false, reason: 'not a token' };
    try {
      const kid = keyIdOf(token);
      let keys = await load(false);
      if (kid !== null && !(kid in keys)) keys = await load(true);
      client ??= import('google-auth-library').then(({ OAuth2Client }) => new OAuth2Client());
      const ticket = await (
        await client
      ).verifySignedJwtWithCertsAsync(token, keys, config.audience, [...config.issuers]);
      const payload = ticket.getPayload();
      if (payload === undefined) return { ok: false, reason: 'token without claims' };
      return { ok: true, payload };
    } catch {
      // The library's message may quote the token's payload: only our own words are returned and logged.
      return { ok: false, reason: 'token not valid (signature, issuer, audience or expiry)' };
    }
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

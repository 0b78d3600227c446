/**
 * Google as the console's identity provider (identity.ts, authorize.ts): ID tokens for the seeded users, the
 * certificates to verify them (no auth, like Google's; faults apply, since the console's verifier reaches them) and
 * the authorization endpoint with its account chooser.
 */
import type { SimResponse, SimRoute } from '../../common/index.js';
import {
  AUTHORIZE_CHOOSE_PATH,
  AUTHORIZE_PATH,
  chooserPage,
  errorPage,
  parseAuthorizeRequest,
  redirectWith,
} from '../authorize.js';
import type { CalendarContext } from '../context.js';
import { GoogleApiError } from '../errors.js';
import {
  CERTS_CACHE_CONTROL,
  CERTS_V1_PATH,
  CERTS_V3_PATH,
  certsV1,
  certsV3,
  signIdToken,
  type IdTokenRequest,
} from '../identity.js';
import { ok } from '../request.js';

/** A Google ID token for a seeded user; iat/exp from the simulator's clock. 404 for anyone else. */
export function issueIdToken(ctx: CalendarContext, request: IdTokenRequest): string {
  const wanted = request.email.toLowerCase();
  const seed = ctx.seed;
  const person = seed?.users.find((u) => u.email.toLowerCase() === wanted);
  // Not a person of the directory: Google would never have signed them in. The address is not echoed.
  if (seed === null || person === undefined)
    throw new GoogleApiError(404, 'notFound', 'No such user in the directory.');
  return signIdToken(
    ctx.signingKey(),
    { email: person.email, name: person.name, domain: seed.domain },
    request,
    ctx.clock.now(),
  );
}

export function certsRoutes(ctx: CalendarContext): SimRoute[] {
  return [
    {
      method: 'GET',
      pattern: CERTS_V1_PATH,
      handler: () => ({
        ...ok(certsV1(ctx.signingKey())),
        headers: { 'cache-control': CERTS_CACHE_CONTROL },
      }),
    },
    {
      method: 'GET',
      pattern: CERTS_V3_PATH,
      handler: () => ({
        ...ok(certsV3(ctx.signingKey())),
        headers: { 'cache-control': CERTS_CACHE_CONTROL },
      }),
    },
  ];
}

const html = (status: number, body: string): SimResponse => ({
  status,
  headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  body,
});

/** Google's authorization endpoint (authorize.ts): the account chooser, and the way back with the ID token. */
export function authorizeRoutes(ctx: CalendarContext): SimRoute[] {
  return [
    {
      method: 'GET',
      pattern: AUTHORIZE_PATH,
      handler: (req) => {
        const parsed = parseAuthorizeRequest(req.query);
        if (!parsed.ok) return html(400, errorPage(parsed.problem));
        const people = (ctx.seed?.users ?? []).map((u) => ({ email: u.email, name: u.name }));
        return html(200, chooserPage(parsed.request, people, ctx.seed?.domain ?? ''));
      },
    },
    {
      method: 'GET',
      pattern: AUTHORIZE_CHOOSE_PATH,
      handler: (req) => {
        const parsed = parseAuthorizeRequest(req.query);
        if (!parsed.ok) return html(400, errorPage(parsed.problem));
        const request = parsed.request;
        const domain = ctx.seed?.domain;
        if (request.hd !== undefined && request.hd !== domain)
          return html(400, errorPage(`the account is not of the domain ${request.hd}`));
        let idToken: string;
        try {
          idToken = issueIdToken(ctx, {
            email: req.query.get('account') ?? '',
            audience: request.client_id,
            nonce: request.nonce,
          });
        } catch {
          return html(400, errorPage('no such account'));
        }
        const answer = { id_token: idToken, authuser: '0', ...(domain === undefined ? {} : { hd: domain }) };
        return {
          status: 302,
          headers: { location: redirectWith(request, answer), 'cache-control': 'no-store' },
        };
      },
    },
  ];
}

import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import { OAuth2Client } from 'google-auth-library';

import { createCalendarSim } from './calendar-sim.js';
import { DEMO_DOMAIN, DEMO_USERS, demoFixture } from './demo-fixture.js';
import { GoogleApiError } from './errors.js';
import { googleAccountId } from './identity.js';
import { startDemo, type Harness } from './test-support.js';

/** An OAuth client id as Google Identity Services uses it (the token's `aud` and `azp`). */
const CLIENT_ID = '123456789012-console.apps.googleusercontent.com';
/** What google-auth-library's `verifyIdToken` accepts by default. */
const ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];

interface Jwks {
  keys: { kid: string; kty: string; alg: string; use: string; n: string; e: string }[];
}

const decode = (part: string | undefined): Record<string, unknown> =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

describe('calendar sim: Google sign-in ID tokens and certificates', () => {
  let h: Harness;
  const client = new OAuth2Client();
  before(async () => {
    h = await startDemo();
  });
  after(async () => {
    await h.sim.stop();
  });

  async function certs(): Promise<Record<string, string>> {
    const res = await fetch(h.sim.certsUrl);
    assert.equal(res.status, 200);
    return (await res.json()) as Record<string, string>;
  }

  async function idToken(body: unknown): Promise<Response> {
    return fetch(`${h.sim.url}/_sim/id-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function issued(email: string, expiresInSeconds?: number): Promise<string> {
    const res = await idToken({
      email,
      audience: CLIENT_ID,
      ...(expiresInSeconds === undefined ? {} : { expiresInSeconds }),
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { idToken: string }).idToken;
  }

  it('publishes one key without authentication: v1 as { kid: certificate }, v3 as a JWKS of the same key', async () => {
    const res = await fetch(h.sim.certsUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    const v1 = (await res.json()) as Record<string, string>;
    const entries = Object.entries(v1);
    assert.equal(entries.length, 1);
    const [kid, pem] = entries[0] ?? ['', ''];
    assert.match(kid, /^[0-9a-f]{40}$/);
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n/);
    const fromCert = new X509Certificate(pem).publicKey;

    const jwks = (await (await fetch(h.sim.jwksUrl)).json()) as Jwks;
    assert.equal(jwks.keys.length, 1);
    const jwk = jwks.keys[0];
    assert.ok(jwk !== undefined);
    assert.deepEqual(
      { kid: jwk.kid, kty: jwk.kty, alg: jwk.alg, use: jwk.use },
      { kid, kty: 'RSA', alg: 'RS256', use: 'sig' },
    );
    const fromJwk = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
    assert.ok(fromJwk.equals(fromCert));
    // Never the service account's key: a sign-in and the sync's delegation are separate trusts.
    assert.ok(!new X509Certificate(h.key.certificatePem).publicKey.equals(fromCert));
  });

  it('issues a token that google-auth-library verifies against the v1 certificates, with Google-like claims', async () => {
    const token = await issued(DEMO_USERS.aino);
    const ticket = await client.verifySignedJwtWithCertsAsync(token, await certs(), CLIENT_ID, ISSUERS);
    const payload = ticket.getPayload();
    assert.ok(payload !== undefined);
    assert.equal(payload.iss, 'https://accounts.google.com');
    assert.equal(payload.aud, CLIENT_ID);
    assert.equal(payload.azp, CLIENT_ID);
    assert.match(payload.sub, /^1\d{20}$/);
    assert.equal(payload.sub, googleAccountId(DEMO_USERS.aino));
    assert.equal(payload.email, DEMO_USERS.aino);
    assert.equal(payload.email_verified, true);
    assert.equal(payload.hd, DEMO_DOMAIN);
    assert.equal(payload.name, 'Aino Aalto');
    assert.equal(payload.exp - payload.iat, 3600);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60);
    const [header] = token.split('.');
    assert.deepEqual(decode(header), { alg: 'RS256', kid: Object.keys(await certs())[0], typ: 'JWT' });
  });

  it('is what OAuth2Client.verifyIdToken accepts when pointed at the simulator', async () => {
    const consoleClient = new OAuth2Client({
      clientId: CLIENT_ID,
      endpoints: { oauth2FederatedSignonPemCertsUrl: h.sim.certsUrl },
    });
    const ticket = await consoleClient.verifyIdToken({
      idToken: await issued(DEMO_USERS.cecilia),
      audience: CLIENT_ID,
    });
    assert.equal(ticket.getPayload()?.email, DEMO_USERS.cecilia);
  });

  it('keeps one sub per person, matches the address case-insensitively and answers with the directory spelling', async () => {
    const first = decode((await issued('Ben@Demo.example')).split('.')[1]);
    const second = decode(h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: CLIENT_ID }).split('.')[1]);
    assert.equal(first.email, DEMO_USERS.ben);
    assert.equal(first.sub, second.sub);
    assert.notEqual(first.jti, second.jti);
    assert.notEqual(first.sub, googleAccountId(DEMO_USERS.aino));
  });

  it('fails verification for another audience, another issuer list, after expiry and when tampered with', async () => {
    const keys = await certs();
    const token = await issued(DEMO_USERS.aino);
    await assert.rejects(
      client.verifySignedJwtWithCertsAsync(token, keys, 'someone-else.apps.googleusercontent.com', ISSUERS),
      /Wrong recipient/,
    );
    await assert.rejects(
      client.verifySignedJwtWithCertsAsync(token, keys, CLIENT_ID, ['https://issuer.example']),
      /Invalid issuer/,
    );
    // google-auth-library allows 300 s of clock skew, so the token must have expired longer ago than that.
    const expired = h.sim.issueIdToken({
      email: DEMO_USERS.aino,
      audience: CLIENT_ID,
      expiresInSeconds: -600,
    });
    await assert.rejects(
      client.verifySignedJwtWithCertsAsync(expired, keys, CLIENT_ID, ISSUERS),
      /Token used too late/,
    );
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...decode(payload), email: DEMO_USERS.ben })).toString(
      'base64url',
    );
    await assert.rejects(
      client.verifySignedJwtWithCertsAsync(
        `${header ?? ''}.${forged}.${signature ?? ''}`,
        keys,
        CLIENT_ID,
        ISSUERS,
      ),
      /Invalid token signature/,
    );
  });

  it('refuses an address that is not in the directory with 404, without echoing it, and a bad body with 400', async () => {
    const res = await idToken({ email: 'mallory@demo.example', audience: CLIENT_ID });
    assert.equal(res.status, 404);
    const body = (await res.json()) as { error: { code: number; errors: { reason: string }[] } };
    assert.equal(body.error.code, 404);
    assert.equal(body.error.errors[0]?.reason, 'notFound');
    assert.ok(!JSON.stringify(body).includes('mallory'));
    assert.throws(
      () => h.sim.issueIdToken({ email: 'mallory@demo.example', audience: CLIENT_ID }),
      (e: unknown) => e instanceof GoogleApiError && e.status === 404,
    );
    assert.equal((await idToken({ email: DEMO_USERS.aino })).status, 400);
    assert.equal(
      (await idToken({ email: DEMO_USERS.aino, audience: CLIENT_ID, expiresInSeconds: 1.5 })).status,
      400,
    );
  });

  it('refuses every address before a seed', () => {
    const unseeded = createCalendarSim();
    assert.throws(
      () => unseeded.issueIdToken({ email: DEMO_USERS.aino, audience: CLIENT_ID }),
      (e: unknown) => e instanceof GoogleApiError && e.status === 404,
    );
  });

  it('keeps its key through reset and reseed, so a token issued before still verifies', async () => {
    const published = await certs();
    const token = await issued(DEMO_USERS.aino);
    h.sim.reset();
    h.sim.seed(demoFixture(h.key));
    assert.deepEqual(await certs(), published);
    await client.verifySignedJwtWithCertsAsync(token, await certs(), CLIENT_ID, ISSUERS);
  });

  describe('the authorization endpoint (OpenID Connect implicit flow, authorize.ts)', () => {
    const REDIRECT = 'http://127.0.0.1:8080/console/';
    const query = (overrides: Record<string, string | null> = {}): string => {
      const base = new Map<string, string>(
        Object.entries({
          client_id: CLIENT_ID,
          redirect_uri: REDIRECT,
          response_type: 'id_token',
          scope: 'openid email profile',
          nonce: 'n-0S6_WzA2Mj',
          state: 'af0ifjsldkj',
          hd: DEMO_DOMAIN,
          prompt: 'select_account',
        }),
      );
      for (const [k, v] of Object.entries(overrides)) {
        if (v === null) base.delete(k);
        else base.set(k, v);
      }
      return new URLSearchParams([...base]).toString();
    };
    const get = (path: string) => fetch(`${h.sim.url}${path}`, { redirect: 'manual' });
    const links = (html: string) =>
      [...html.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replace(/&amp;/g, '&'));

    it('shows an account chooser of the directory without authentication, and a Cancel that says access_denied', async () => {
      const res = await get(`${new URL(h.sim.authorizeUrl).pathname}?${query()}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      const html = await res.text();
      assert.match(html, /<h1>Choose an account<\/h1>/);
      const found = links(html);
      for (const email of [DEMO_USERS.aino, DEMO_USERS.ben, DEMO_USERS.cecilia]) {
        assert.ok(
          found.some((l) => new URL(l, h.sim.url).searchParams.get('account') === email),
          email,
        );
      }
      const cancel = found.find((l) => l.startsWith(REDIRECT));
      assert.equal(cancel, `${REDIRECT}#error=access_denied&state=af0ifjsldkj`);
      const other = await (await get(`/o/oauth2/v2/auth?${query({ hd: 'elsewhere.example' })}`)).text();
      assert.match(other, /No account of elsewhere\.example signs in here/);
    });

    it('sends the browser back with an ID token that carries the nonce and verifies like any other', async () => {
      const res = await get(`/o/oauth2/v2/auth/choose?${query({ account: DEMO_USERS.ben })}`);
      assert.equal(res.status, 302);
      const location = new URL(res.headers.get('location') ?? '');
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
      assert.equal(location.search, '', 'the answer is in the fragment only');
      const answer = new URLSearchParams(location.hash.slice(1));
      assert.equal(answer.get('state'), 'af0ifjsldkj');
      assert.equal(answer.get('hd'), DEMO_DOMAIN);
      const token = answer.get('id_token') ?? '';
      const ticket = await new OAuth2Client({
        clientId: CLIENT_ID,
        endpoints: { oauth2FederatedSignonPemCertsUrl: h.sim.certsUrl },
      }).verifyIdToken({ idToken: token, audience: CLIENT_ID });
      const payload = ticket.getPayload();
      assert.equal(payload?.email, DEMO_USERS.ben);
      assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
      assert.equal(payload.hd, DEMO_DOMAIN);
    });

    it('answers a wrong request with an error page and never redirects it', async () => {
      const cases: [Record<string, string | null>, RegExp][] = [
        [{ redirect_uri: 'https://attacker.example/console/' }, /redirect_uri_mismatch/],
        [{ redirect_uri: 'http://127.0.0.1:8080/console/#x' }, /redirect_uri_mismatch/],
        [{ redirect_uri: null }, /redirect_uri/],
        [{ response_type: 'code' }, /unsupported_response_type/],
        [{ scope: 'email' }, /invalid_scope/],
        [{ nonce: null }, /nonce/],
        [{ client_id: null }, /client_id/],
      ];
      for (const [overrides, problem] of cases) {
        for (const path of ['/o/oauth2/v2/auth', '/o/oauth2/v2/auth/choose']) {
          const res = await get(`${path}?${query({ ...overrides, account: DEMO_USERS.aino })}`);
          assert.equal(res.status, 400, `${path} ${JSON.stringify(overrides)}`);
          assert.equal(res.headers.get('location'), null);
          assert.match(await res.text(), problem);
        }
      }
      const stranger = await get(`/o/oauth2/v2/auth/choose?${query({ account: 'eve@demo.example' })}`);
      assert.equal(stranger.status, 400);
      assert.doesNotMatch(await stranger.text(), /eve@/);
      const otherDomain = await get(
        `/o/oauth2/v2/auth/choose?${query({ account: DEMO_USERS.aino, hd: 'elsewhere.example' })}`,
      );
      assert.equal(otherDomain.status, 400);
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { DEMO_CREDENTIALS, DEMO_USERS, demoFixture } from './demo-fixture.js';
import { errorOf, startHarness, type Harness } from './test-helpers.js';

interface TokenJson {
  access_token: string;
  access_token_type: string;
  access_token_expires_in: number;
  access_token_expires_utc: string;
  refresh_token: string;
  refresh_token_expires_in: number;
  refresh_token_expires_utc: string;
  scope: string;
}

describe('Severa sim: authentication (severa-api.md §2)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('issues a PublicAuthenticationOutputModel for snake_case credentials and comma scopes', async () => {
    const res = await post('/v1/token', {
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      scope: 'activities:read,users:read',
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as TokenJson;
    assert.equal(body.access_token_type, 'Bearer');
    assert.equal(body.access_token_expires_in, 3600);
    assert.equal(body.access_token_expires_utc, '2026-11-20T13:00:00.000+00:00');
    assert.ok(body.access_token.length > 16);
    assert.ok(body.refresh_token.length > 16);
    assert.ok(body.refresh_token_expires_in > 3600);
    assert.ok(body.refresh_token_expires_utc.startsWith('2026-11-2'));
    assert.equal(body.scope, 'activities:read,users:read');
  });

  it('accepts client_Id/client_Secret casing and space-separated scopes', async () => {
    const res = await post('/v1/token', {
      client_Id: DEMO_CREDENTIALS.clientId,
      client_Secret: DEMO_CREDENTIALS.clientSecret,
      scope: 'activities:read users:read',
    });
    assert.equal(res.status, 200);
  });

  it('answers 401 ExceptionModel for a wrong secret or a scope the credential lacks', async () => {
    const bad = await post('/v1/token', {
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: 'nope',
      scope: '',
    });
    assert.equal(bad.status, 401);
    const err = await errorOf(bad);
    assert.equal(err.error.httpStatusCode, 401);
    assert.equal(err.error.type, 'AuthenticationRequired');
    assert.ok((err.error.details[0]?.message ?? '').length > 0);
    const scope = await post('/v1/token', {
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      scope: 'invoices:write',
    });
    assert.equal(scope.status, 401);
    assert.match((await errorOf(scope)).error.details[0]?.message ?? '', /invoices:write/);
  });

  it('refreshes with the refresh token as a JSON string, once', async () => {
    const first = (await (
      await post('/v1/token', {
        client_id: DEMO_CREDENTIALS.clientId,
        client_secret: DEMO_CREDENTIALS.clientSecret,
      })
    ).json()) as TokenJson;
    const refreshed = await post('/v1/refreshtoken', first.refresh_token);
    assert.equal(refreshed.status, 200);
    const body = (await refreshed.json()) as TokenJson;
    assert.notEqual(body.access_token, first.access_token);
    assert.equal((await post('/v1/refreshtoken', first.refresh_token)).status, 401);
  });

  it('requires the Client_Id header, matching the token', async () => {
    const missing = await fetch(`${h.url}/v1/users`, { headers: { authorization: `Bearer ${h.token}` } });
    assert.equal(missing.status, 401);
    assert.match((await errorOf(missing)).error.details[0]?.message ?? '', /Client_Id/);
    const wrong = await h.api('GET', '/v1/users', undefined, { client_id: 'someone-else' });
    assert.equal(wrong.status, 401);
  });

  it('answers 401 AuthenticationRequired without a token, with an unknown one, and after expiry', async () => {
    const none = await fetch(`${h.url}/v1/users`, { headers: { client_id: DEMO_CREDENTIALS.clientId } });
    assert.equal(none.status, 401);
    assert.equal((await errorOf(none)).error.type, 'AuthenticationRequired');
    const unknown = await h.api('GET', '/v1/users', undefined, { authorization: 'Bearer nope' });
    assert.equal(unknown.status, 401);
    const token = h.sim.issueToken(DEMO_CREDENTIALS.clientId);
    const ok = await h.api('GET', '/heartbeat/authorized', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 204);
    h.clock.advance(3600_000);
    const expired = await h.api('GET', '/heartbeat/authorized', undefined, {
      authorization: `Bearer ${token}`,
    });
    assert.equal(expired.status, 401);
    h.token = h.sim.issueToken(DEMO_CREDENTIALS.clientId);
  });

  it('enforces scopes per route with 403 InsufficientApiScope naming the scope', async () => {
    const res = await post('/v1/token', {
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      scope: 'users:read',
    });
    const { access_token } = (await res.json()) as TokenJson;
    const auth = { authorization: `Bearer ${access_token}` };
    assert.equal((await h.api('GET', `/v1/users/${DEMO_USERS.helsinki}`, undefined, auth)).status, 200);
    const cases: [string, string, string][] = [
      ['GET', '/v1/activities', 'activities:read'],
      ['POST', '/v1/activities', 'activities:write'],
      ['DELETE', '/v1/activities/x', 'activities:delete'],
      ['GET', '/v1/activitytypes', 'settings:read'],
    ];
    for (const [method, path, scope] of cases) {
      const denied = await h.api(method, path, method === 'POST' ? {} : undefined, auth);
      assert.equal(denied.status, 403, `${method} ${path}`);
      const err = await errorOf(denied);
      assert.equal(err.error.type, 'InsufficientApiScope');
      assert.match(err.error.details[0]?.message ?? '', new RegExp(scope));
    }
  });

  it('serves the unauthenticated heartbeats as text', async () => {
    for (const path of ['/heartbeat/server', '/heartbeat/database']) {
      const res = await fetch(`${h.url}${path}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /alive/);
    }
    assert.equal((await fetch(`${h.url}/heartbeat/authorized`)).status, 401);
  });

  it('keeps credentials from the fixture visible on GET /_sim/seed', async () => {
    const res = await fetch(`${h.url}/_sim/seed`);
    const body = (await res.json()) as { credentials: { clientId: string }[]; users: { email: string }[] };
    assert.equal(body.credentials[0]?.clientId, DEMO_CREDENTIALS.clientId);
    assert.equal(body.users.length, demoFixture.users.length);
  });
});

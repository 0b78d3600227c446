import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { CALENDAR_SCOPE, DEMO_USERS } from './demo-fixture.js';
import { generateServiceAccountKey, privateKeyPemFromP12 } from './keys.js';
import { requestToken, signAssertion, startDemo, type Harness } from './test-support.js';

describe('calendar sim: OAuth JWT-bearer grant (google-calendar.md §5)', () => {
  let h: Harness;
  let pem: string;
  before(async () => {
    h = await startDemo();
    pem = privateKeyPemFromP12(h.key.p12);
  });
  after(async () => {
    await h.sim.stop();
  });

  it('issues a Bearer token bound to the impersonated user', async () => {
    const res = await requestToken(h.sim, signAssertion(pem, { sub: DEMO_USERS.ben, aud: h.sim.tokenUrl }));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    const list = await fetch(`${h.sim.url}/calendar/v3/calendars/primary/events`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(list.status, 200);
    const events = (await list.json()) as { summary: string; timeZone: string };
    assert.equal(events.summary, DEMO_USERS.ben);
    assert.equal(events.timeZone, 'America/New_York');
    // ben's token cannot read aino's calendar.
    const other = await fetch(`${h.sim.url}/calendar/v3/calendars/${DEMO_USERS.aino}/events`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(other.status, 404);
  });

  it('rejects a signature made with another key', async () => {
    const wrong = generateServiceAccountKey('other@x.iam.gserviceaccount.com');
    const res = await requestToken(
      h.sim,
      signAssertion(wrong.privateKeyPem, { sub: DEMO_USERS.aino, aud: h.sim.tokenUrl }),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: 'invalid_grant',
      error_description: 'Invalid JWT Signature.',
    });
  });

  it('answers 401 unauthorized_client when delegation does not allow the scope', async () => {
    const res = await requestToken(
      h.sim,
      signAssertion(pem, {
        sub: DEMO_USERS.aino,
        aud: h.sim.tokenUrl,
        scope: `${CALENDAR_SCOPE} https://www.googleapis.com/auth/gmail.readonly`,
      }),
    );
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'unauthorized_client');
    assert.match(body.error_description, /not authorized for any of the scopes requested/);
  });

  it('rejects an unknown sub, an expired or too long-lived assertion, a wrong audience', async () => {
    const now = Date.now();
    const cases = [
      signAssertion(pem, { sub: 'mallory@demo.example', aud: h.sim.tokenUrl }),
      signAssertion(pem, {
        sub: DEMO_USERS.aino,
        aud: h.sim.tokenUrl,
        iat: Math.floor(now / 1000) - 7200,
        exp: Math.floor(now / 1000) - 3600,
      }),
      signAssertion(pem, { sub: DEMO_USERS.aino, aud: h.sim.tokenUrl, exp: Math.floor(now / 1000) + 7200 }),
      signAssertion(pem, { sub: DEMO_USERS.aino, aud: 'https://example.com/token' }),
    ];
    for (const assertion of cases) {
      const res = await requestToken(h.sim, assertion);
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
    }
  });

  it('answers 401 authError for a missing or unknown access token', async () => {
    const res = await fetch(`${h.sim.url}/calendar/v3/calendars/primary/events`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { code: number; errors: { reason: string }[] } };
    assert.equal(body.error.code, 401);
    assert.equal(body.error.errors[0]?.reason, 'authError');
  });
});

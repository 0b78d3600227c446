/**
 * The console's sign-in on the production code path (issue 11): ID tokens from the calendar simulator (the local
 * stand-in for Google's identity provider) pass the console's check when the configuration names the simulator's
 * certificates, and a production configuration — Google's certificates — refuses them; demo sign-in cannot be
 * switched on with Google as the issuer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { consoleAuthenticator } from '../../../shared/app/console-api.js';
import {
  GOOGLE_CERTS_URL,
  GOOGLE_ISSUERS,
  createIdTokenVerifier,
} from '../../../shared/adapters/identity/id-token.verifier.js';
import { ConfigError, parseConfig } from '../../../shared/config.js';
import { DEMO_DOMAIN, DEMO_USERS } from '../../sim/calendar/demo-fixture.js';
import { startDemo, type Harness } from '../../sim/calendar/test-support.js';

const CLIENT_ID = 'console-test.apps.googleusercontent.com';

describe('console sign-in against the simulated identity provider', () => {
  let h: Harness;

  before(async () => {
    h = await startDemo();
  });

  after(async () => {
    await h.sim.stop();
  });

  const local = () =>
    consoleAuthenticator(
      createIdTokenVerifier({ audience: CLIENT_ID, issuers: [...GOOGLE_ISSUERS], certsUrl: h.sim.certsUrl }),
      { domain: DEMO_DOMAIN, admins: [DEMO_USERS.aino] },
    );

  it('signs in a demo person with a token for the console, and knows the administrator', async () => {
    const signIn = local();
    const ben = await signIn(`Bearer ${h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: CLIENT_ID })}`);
    assert.deepEqual(ben, { ok: true, identity: { email: DEMO_USERS.ben, admin: false } });
    const aino = await signIn(
      `Bearer ${h.sim.issueIdToken({ email: DEMO_USERS.aino, audience: CLIENT_ID })}`,
    );
    assert.deepEqual(aino, { ok: true, identity: { email: DEMO_USERS.aino, admin: true } });
  });

  it('refuses expired tokens, tokens for another client, forged signatures and another domain', async () => {
    const signIn = local();
    const token = h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: CLIENT_ID });
    const [head, body] = token.split('.');
    const cases = [
      h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: CLIENT_ID, expiresInSeconds: -600 }),
      h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: 'another-client.apps.googleusercontent.com' }),
      `${head ?? ''}.${body ?? ''}.${Buffer.from('not the signature').toString('base64url')}`,
    ];
    for (const t of cases) assert.equal((await signIn(`Bearer ${t}`)).ok, false);
    const otherDomain = consoleAuthenticator(
      createIdTokenVerifier({ audience: CLIENT_ID, issuers: [...GOOGLE_ISSUERS], certsUrl: h.sim.certsUrl }),
      { domain: 'other.example', admins: [] },
    );
    const check = await otherDomain(`Bearer ${token}`);
    assert.deepEqual(check, { ok: false, reason: 'not of the organisation' });
  });

  it("a production configuration (Google as the issuer) refuses the simulator's tokens", async () => {
    const production = consoleAuthenticator(
      createIdTokenVerifier(
        { audience: CLIENT_ID, issuers: [...GOOGLE_ISSUERS], certsUrl: GOOGLE_CERTS_URL },
        // Google's certificates cannot be fetched here; whatever they hold, it is not the simulator's key.
        () =>
          Promise.resolve({
            'google-key-id': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
          }),
      ),
      { domain: DEMO_DOMAIN, admins: [] },
    );
    const check = await production(
      `Bearer ${h.sim.issueIdToken({ email: DEMO_USERS.ben, audience: CLIENT_ID })}`,
    );
    assert.equal(check.ok, false);
  });

  it('demo sign-in cannot be configured with Google as the issuer', () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'p', CONSOLE_CLIENT_ID: CLIENT_ID, WORKSPACE_DOMAIN: 'example.com' };
    assert.throws(() => parseConfig({ ...base, CONSOLE_DEMO_SIGN_IN: 'true' }), ConfigError);
    const local = parseConfig({ ...base, CONSOLE_DEMO_SIGN_IN: 'true', CONSOLE_CERTS_URL: h.sim.certsUrl });
    assert.equal(local.console?.demoSignIn, true);
    assert.equal(parseConfig(base).console?.demoSignIn, false);
  });

  it("sends people to Google's authorization endpoint unless configured otherwise, and refuses a non-URL", () => {
    const base = { GOOGLE_CLOUD_PROJECT: 'p', CONSOLE_CLIENT_ID: CLIENT_ID, WORKSPACE_DOMAIN: 'example.com' };
    assert.equal(parseConfig(base).console?.authorizeUrl, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(
      parseConfig({ ...base, CONSOLE_AUTHORIZE_URL: h.sim.authorizeUrl }).console?.authorizeUrl,
      h.sim.authorizeUrl,
    );
    assert.throws(() => parseConfig({ ...base, CONSOLE_AUTHORIZE_URL: 'accounts.google.com' }), ConfigError);
  });
});

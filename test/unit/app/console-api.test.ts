/**
 * The console API's authentication and authorization (issue 11): every route refuses a caller without a valid
 * sign-in (401), a person reaches only their own sync, an administrator everyone's — but nobody switches sync on
 * for someone else (S2); bad bodies and other origins change nothing.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  consoleAuthenticator,
  handleConsoleApi,
  type ConsoleApiDeps,
  type ConsoleRequest,
} from '../../../shared/app/console-api.js';
import {
  OperatorError,
  SetupValidationError,
  type Operator,
  type UserStatusView,
} from '../../../shared/app/operator/index.js';
import { createMemoryLogger } from '../../../shared/observability/logger.js';

const DOMAIN = 'example.com';
const ORIGIN = 'https://console.example.com';
const TOKENS: Record<string, { email: string; email_verified: boolean; hd?: string }> = {
  'tok-aino': { email: 'aino@example.com', email_verified: true, hd: DOMAIN },
  'tok-ben': { email: 'Ben@example.com', email_verified: true, hd: DOMAIN },
  'tok-admin': { email: 'admin@example.com', email_verified: true, hd: DOMAIN },
  'tok-outsider': { email: 'eve@other.example', email_verified: true, hd: 'other.example' },
  'tok-gmail': { email: 'eve@gmail.com', email_verified: true },
  'tok-unverified': { email: 'aino@example.com', email_verified: false, hd: DOMAIN },
};

function status(email: string): UserStatusView {
  return {
    email,
    severaUserGuid: `guid-${email}`,
    enabled: true,
    state: 'healthy',
    lastSuccessAt: null,
    message: null,
    pendingRetries: 0,
    channelExpiresAt: null,
    lastReconcileAt: null,
    hold: null,
    behindSince: null,
    progress: null,
  };
}

/** An operator that records what it was asked to do. */
function fakeOperator(calls: string[]): Operator {
  const record = (what: string) => {
    calls.push(what);
  };
  return {
    setupOrg: (input) => {
      record(`setupOrg ${input.p12.toString()} ${input.p12Password ?? '(default)'}`);
      if (input.p12Password === 'wrong') {
        return Promise.reject(
          new SetupValidationError(
            [{ check: 'p12', code: 'p12-unreadable', message: 'The .p12 password is wrong.' }],
            ['google', 'severa'],
          ),
        );
      }
      return Promise.resolve({ config: { enabled: true }, savedSecrets: ['google-sa-p12'] } as never);
    },
    showOrg: () => {
      record('showOrg');
      return Promise.resolve({ orgId: 'o', config: null, secrets: {}, syncedTypes: [] });
    },
    setOrgEnabled: (enabled) => {
      record(`setOrgEnabled ${String(enabled)}`);
      return Promise.resolve({} as never);
    },
    enableUser: (email) => {
      record(`enable ${email}`);
      return Promise.resolve({
        user: { severaUserGuid: `guid-${email}`, email } as never,
        alreadyEnabled: false,
        requestId: '1',
      });
    },
    disableUser: (email) => {
      record(`disable ${email}`);
      return Promise.resolve({ email, severaUserGuid: `guid-${email}`, wasEnabled: true });
    },
    userStatus: (email) => {
      record(`status ${email}`);
      if (email === 'nobody@example.com') {
        return Promise.reject(new OperatorError('user-not-found', 'No active Severa user has that e-mail.'));
      }
      return Promise.resolve(status(email));
    },
    listStatuses: () => {
      record('listStatuses');
      return Promise.resolve([status('aino@example.com'), { ...status('ben@example.com'), state: 'error' }]);
    },
    previewUser: (email) => {
      record(`preview ${email}`);
      return Promise.reject(new OperatorError('org-disabled', 'The integration is switched off.'));
    },
    resync: (email) => {
      record(`resync ${email}`);
      return Promise.resolve({ email, full: false, requestId: '2' } as never);
    },
    decideHold: (email, decision, by) => {
      record(`hold ${email} ${decision} ${by}`);
      return Promise.resolve({ email, decision } as never);
    },
    auditTrail: (email, reader) => {
      record(`audit ${email} ${reader}`);
      return Promise.resolve([]);
    },
  };
}

describe('console API', () => {
  let calls: string[];
  let deps: ConsoleApiDeps;
  const logger = createMemoryLogger();

  beforeEach(() => {
    calls = [];
    deps = {
      operator: fakeOperator(calls),
      authenticate: consoleAuthenticator(
        (token) => {
          const payload = TOKENS[token];
          return Promise.resolve(
            payload
              ? { ok: true, payload }
              : { ok: false, reason: 'token not valid (signature, issuer, audience or expiry)' },
          );
        },
        { domain: DOMAIN, admins: ['admin@example.com'] },
      ),
      logger,
      activityTypes: () => {
        calls.push('activityTypes');
        return Promise.resolve([
          { guid: 't1', name: 'Meeting', category: 'CalendarEntry', isActive: true, isDefault: true },
          { guid: 't2', name: 'Project work', category: 'Task', isActive: true, isDefault: false },
          { guid: 't3', name: 'Old', category: 'CalendarEntry', isActive: false, isDefault: false },
        ]);
      },
      signIn: {
        clientId: 'console.apps.googleusercontent.com',
        authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        domain: 'example.com',
        demo: null,
      },
    };
  });

  const call = (
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
    query: Record<string, string> = {},
  ) => {
    const request: ConsoleRequest = {
      method,
      path,
      query,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
      body,
      origin: ORIGIN,
    };
    return handleConsoleApi(deps, request);
  };

  const ROUTES: [string, string, unknown][] = [
    ['GET', '/api/me', undefined],
    ['PUT', '/api/me/sync', { enabled: true }],
    ['GET', '/api/me/preview', undefined],
    ['GET', '/api/me/audit', undefined],
    ['GET', '/api/admin/org', undefined],
    ['PUT', '/api/admin/org', { serviceAccountEmail: 'x' }],
    ['PUT', '/api/admin/org/enabled', { enabled: false }],
    ['GET', '/api/admin/activity-types', undefined],
    ['GET', '/api/admin/people', undefined],
    ['GET', '/api/admin/people/aino%40example.com/audit', undefined],
    ['POST', '/api/admin/people/aino%40example.com/resync', {}],
    ['POST', '/api/admin/people/aino%40example.com/hold', { decision: 'reject' }],
    ['POST', '/api/admin/people/aino%40example.com/sync-off', {}],
  ];

  it('answers 401 on every route without a valid sign-in, and does nothing', async () => {
    for (const [method, path, body] of ROUTES) {
      for (const token of [null, 'forged', 'tok-outsider', 'tok-gmail', 'tok-unverified']) {
        const answer = await call(method, path, token, body);
        assert.equal(answer.status, 401, `${method} ${path} with ${String(token)}`);
      }
      const malformed = await handleConsoleApi(deps, {
        method,
        path,
        query: {},
        headers: { authorization: 'Basic dXNlcjpwYXNz' },
        body,
        origin: ORIGIN,
      });
      assert.equal(malformed.status, 401);
    }
    assert.deepEqual(calls, []);
  });

  it('a person reaches only their own sync: admin routes are 403 for them', async () => {
    for (const [method, path, body] of ROUTES.filter(([, p]) => p.startsWith('/api/admin'))) {
      assert.equal((await call(method, path, 'tok-ben', body)).status, 403, `${method} ${path}`);
    }
    assert.deepEqual(calls, []);
    const me = await call('GET', '/api/me', 'tok-ben');
    assert.equal(me.status, 200);
    assert.equal(me.body.email, 'ben@example.com', 'the e-mail as the token says, lower-cased');
    assert.equal(me.body.admin, false);
    assert.deepEqual(calls, ['status ben@example.com', 'showOrg']);
  });

  it('a person switches their own sync on and off (S2)', async () => {
    assert.equal((await call('PUT', '/api/me/sync', 'tok-aino', { enabled: true })).status, 200);
    assert.equal((await call('PUT', '/api/me/sync', 'tok-aino', { enabled: false })).status, 200);
    assert.deepEqual(calls, ['enable aino@example.com', 'disable aino@example.com']);
  });

  it('an administrator sees everyone and can resync, decide a hold and switch sync off — never on', async () => {
    const people = await call('GET', '/api/admin/people', 'tok-admin', undefined, {}, { state: 'error' });
    assert.deepEqual(
      (people.body.people as UserStatusView[]).map((p) => p.email),
      ['ben@example.com'],
      'filtered by state',
    );
    assert.equal(
      (await call('POST', '/api/admin/people/aino%40example.com/resync', 'tok-admin', {})).status,
      200,
    );
    assert.equal(
      (await call('POST', '/api/admin/people/aino%40example.com/hold', 'tok-admin', { decision: 'confirm' }))
        .status,
      200,
    );
    assert.equal(
      (await call('POST', '/api/admin/people/aino%40example.com/sync-off', 'tok-admin', {})).status,
      200,
    );
    for (const action of ['sync-on', 'sync']) {
      const on = await call('POST', `/api/admin/people/aino%40example.com/${action}`, 'tok-admin', {
        enabled: true,
      });
      assert.equal(on.status, 403, action);
    }
    assert.deepEqual(calls, [
      'listStatuses',
      'resync aino@example.com',
      'hold aino@example.com confirm console:admin@example.com',
      'disable aino@example.com',
    ]);
  });

  it('bad bodies, wrong methods and other origins are refused and change nothing', async () => {
    const cases: [string, string, unknown, Record<string, string>, number][] = [
      ['PUT', '/api/me/sync', { enabled: 'yes' }, {}, 400],
      ['PUT', '/api/me/sync', { enabled: true, email: 'ben@example.com' }, {}, 400],
      ['PUT', '/api/me/sync', JSON.parse('{"enabled": true, "__proto__": {"admin": true}}'), {}, 400],
      ['POST', '/api/me/sync', { enabled: true }, {}, 405],
      ['PUT', '/api/me/sync', { enabled: true }, { origin: 'https://evil.example' }, 403],
      ['POST', '/api/admin/people/aino%40example.com/hold', { decision: 'maybe' }, {}, 400],
      ['POST', '/api/admin/people/not-an-email/resync', {}, {}, 400],
      ['GET', '/api/nothing', undefined, {}, 404],
      ['GET', '/elsewhere', undefined, {}, 404],
    ];
    for (const [method, path, body, headers, expected] of cases) {
      const token = path.startsWith('/api/admin') ? 'tok-admin' : 'tok-aino';
      const answer = await call(method, path, token, body, headers);
      assert.equal(answer.status, expected, `${method} ${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(calls, []);
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype pollution');
  });

  it("says why in the operator's own words, and reports a person who is not a Severa user", async () => {
    const preview = await call('GET', '/api/me/preview', 'tok-aino');
    assert.deepEqual([preview.status, preview.body.code], [409, 'org-disabled']);
    const unknown = await handleConsoleApi(
      {
        ...deps,
        authenticate: () =>
          Promise.resolve({ ok: true, identity: { email: 'nobody@example.com', admin: false } }),
      },
      { method: 'GET', path: '/api/me', query: {}, headers: {}, body: undefined, origin: ORIGIN },
    );
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body.person, null);
  });

  it('tells the page how to sign in; demo sign-in exists only when configured, for the demo people only', async () => {
    const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      ({ method, path, query: {}, headers, body, origin: ORIGIN }) satisfies ConsoleRequest;
    const config = await handleConsoleApi(deps, request('GET', '/api/config'));
    assert.deepEqual(config.body, {
      clientId: 'console.apps.googleusercontent.com',
      authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      domain: 'example.com',
      demoSignIn: false,
      demoPeople: [],
    });
    assert.equal(
      (await handleConsoleApi(deps, request('POST', '/api/demo/sign-in', { email: 'a@b' }))).status,
      404,
    );
    const issued: string[] = [];
    const demo = {
      ...deps,
      signIn: {
        clientId: 'local',
        authorizeUrl: 'http://127.0.0.1:1/o/oauth2/v2/auth',
        domain: 'example.com',
        demo: {
          people: ['aino@example.com'],
          issue: (email: string) => {
            issued.push(email);
            return Promise.resolve(`token-for-${email}`);
          },
        },
      },
    };
    assert.deepEqual((await handleConsoleApi(demo, request('GET', '/api/config'))).body, {
      clientId: 'local',
      authorizeUrl: 'http://127.0.0.1:1/o/oauth2/v2/auth',
      domain: 'example.com',
      demoSignIn: true,
      demoPeople: ['aino@example.com'],
    });
    const ok = await handleConsoleApi(
      demo,
      request('POST', '/api/demo/sign-in', { email: 'Aino@example.com' }),
    );
    assert.deepEqual(ok, { status: 200, body: { idToken: 'token-for-aino@example.com' } });
    const cases: [ConsoleRequest, number][] = [
      [request('POST', '/api/demo/sign-in', { email: 'eve@example.com' }), 404],
      [request('POST', '/api/demo/sign-in', { email: 'aino@example.com', admin: true }), 400],
      [request('GET', '/api/demo/sign-in'), 405],
      [
        request(
          'POST',
          '/api/demo/sign-in',
          { email: 'aino@example.com' },
          { origin: 'https://evil.example' },
        ),
        403,
      ],
    ];
    for (const [r, status] of cases) assert.equal((await handleConsoleApi(demo, r)).status, status);
    assert.deepEqual(issued, ['aino@example.com']);
  });

  it('an administrator sets the organisation up: each problem named, the .p12 as base64; types read live', async () => {
    const form = {
      serviceAccountEmail: 'sync@project.iam.gserviceaccount.com',
      p12Base64: Buffer.from('P12-BYTES').toString('base64'),
      p12Password: 'wrong',
      severaClientId: 'client',
      severaClientSecret: 'secret',
      syncedTypeNames: ['Meeting'],
      testUserEmail: 'aino@example.com',
    };
    const refused = await call('PUT', '/api/admin/org', 'tok-admin', form);
    assert.equal(refused.status, 422);
    assert.deepEqual(refused.body.problems, [
      { check: 'p12', code: 'p12-unreadable', message: 'The .p12 password is wrong.' },
    ]);
    assert.ok(!JSON.stringify(refused.body).includes('secret'), 'no secret in the answer');
    const saved = await call('PUT', '/api/admin/org', 'tok-admin', { ...form, p12Password: '' });
    assert.equal(saved.status, 200);
    const tooBig = await call('PUT', '/api/admin/org', 'tok-admin', {
      ...form,
      p12Base64: Buffer.alloc(20_000).toString('base64'),
    });
    assert.equal(tooBig.status, 400);
    assert.equal((await call('PUT', '/api/admin/org/enabled', 'tok-admin', { enabled: false })).status, 200);
    const types = await call('GET', '/api/admin/activity-types', 'tok-admin');
    assert.deepEqual(types.body.types, [
      { guid: 't1', name: 'Meeting', category: 'CalendarEntry', isProjectTask: false },
      { guid: 't2', name: 'Project work', category: 'Task', isProjectTask: true },
    ]);
    assert.deepEqual(calls, [
      'setupOrg P12-BYTES wrong',
      'setupOrg P12-BYTES (default)',
      'showOrg',
      'setOrgEnabled false',
      'showOrg',
      'activityTypes',
    ]);
  });

  it('reads an audit trail as its reader may see it: a person their own, an administrator as one', async () => {
    await call('GET', '/api/me/audit', 'tok-aino');
    await call('GET', '/api/admin/people/aino%40example.com/audit', 'tok-admin');
    await call('GET', '/api/admin/people/admin%40example.com/audit', 'tok-admin');
    assert.deepEqual(
      calls.filter((c) => c.startsWith('audit ')),
      ['audit aino@example.com own', 'audit aino@example.com administrator', 'audit admin@example.com own'],
    );
  });

  it('refuses everything when sign-in is not configured', async () => {
    const answer = await handleConsoleApi(
      { ...deps, authenticate: consoleAuthenticator(() => Promise.reject(new Error('unused')), null) },
      {
        method: 'GET',
        path: '/api/me',
        query: {},
        headers: { authorization: 'Bearer tok-aino' },
        body: undefined,
        origin: ORIGIN,
      },
    );
    assert.equal(answer.status, 401);
  });
});

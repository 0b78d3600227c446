/**
 * Severa failures → typed errors (reference/severa-api.md §4): the mapping table, the token-call diagnosis, network
 * failures, and that no message ever carries the client secret or a token.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RateLimiter } from '../../../../shared/adapters/throttle.js';
import {
  SeveraHttpClient,
  severaErrorFor,
  type FailedResponse,
  type SeveraHttpClientOptions,
} from '../../../../shared/adapters/severa/index.js';
import {
  NotFoundError,
  PermanentError,
  RateLimitedError,
  SyncError,
  TransientError,
} from '../../../../shared/domain/index.js';

const SECRET = 'client-secret-9d1e4b';
const TOKEN = 'access-token-77aa55cc33';
const NOW = Date.parse('2026-11-20T12:00:00Z');

function exceptionModel(status: number, type: string, ...messages: string[]) {
  return { error: { httpStatusCode: status, type, details: messages.map((message) => ({ message })) } };
}

type Expect =
  | { readonly kind: 'permanent'; readonly code: PermanentError['code']; readonly says: readonly RegExp[] }
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number | null }
  | { readonly kind: 'transient'; readonly retryAfterSeconds: number | null }
  | { readonly kind: 'not-found' };

const CASES: readonly [string, Partial<FailedResponse> & { status: number }, Expect][] = [
  [
    'token 401 → bad credentials, saying where to fix them',
    {
      status: 401,
      tokenCall: true,
      body: exceptionModel(401, 'AuthenticationRequired', 'Invalid client credentials.'),
    },
    {
      kind: 'permanent',
      code: 'bad-credentials',
      says: [
        /client id and client secret/,
        /Settings → Integrations → REST API/,
        /Invalid client credentials/,
      ],
    },
  ],
  [
    'token 400 → bad credentials',
    { status: 400, tokenCall: true, body: exceptionModel(400, 'InvalidRequest', 'client_id is required') },
    { kind: 'permanent', code: 'bad-credentials', says: [/client id and client secret/] },
  ],
  [
    'token 401 naming a scope → missing scope',
    {
      status: 401,
      tokenCall: true,
      body: exceptionModel(
        401,
        'AuthenticationRequired',
        'The credential does not have the scope(s): settings:read',
      ),
    },
    {
      kind: 'permanent',
      code: 'missing-scope',
      says: [/"settings:read"/, /Settings → Integrations → REST API/],
    },
  ],
  [
    'API 401 (after the renewal) → bad credentials',
    { status: 401, body: exceptionModel(401, 'AuthenticationRequired', 'A valid access token is required.') },
    { kind: 'permanent', code: 'bad-credentials', says: [/client id and client secret/] },
  ],
  [
    '403 InsufficientApiScope naming the scope',
    {
      status: 403,
      body: exceptionModel(403, 'InsufficientApiScope', 'The API scope activities:delete is required.'),
    },
    {
      kind: 'permanent',
      code: 'missing-scope',
      says: [/"activities:delete"/, /Settings → Integrations → REST API/],
    },
  ],
  [
    '403 InsufficientApiScope without details → the route’s scope',
    { status: 403, scope: 'users:read', body: exceptionModel(403, 'InsufficientApiScope') },
    { kind: 'permanent', code: 'missing-scope', says: [/"users:read"/] },
  ],
  [
    '403 PermissionDenied → configuration',
    { status: 403, body: exceptionModel(403, 'PermissionDenied', 'REST API add-on is not enabled') },
    { kind: 'permanent', code: 'configuration', says: [/PermissionDenied/, /add-on is not enabled/] },
  ],
  [
    '400 → validation with Severa’s details',
    {
      status: 400,
      body: exceptionModel(
        400,
        'InvalidParameter',
        'endDateTime: must not be before startDateTime',
        'name: required',
      ),
    },
    {
      kind: 'permanent',
      code: 'validation',
      says: [/endDateTime: must not be before startDateTime/, /name: required/],
    },
  ],
  [
    '404 → not found',
    { status: 404, body: exceptionModel(404, 'InvalidParameter', 'gone') },
    { kind: 'not-found' },
  ],
  [
    '429 quota message → rate limited, no Retry-After',
    {
      status: 429,
      body: exceptionModel(429, 'InvalidRequest', 'API calls quota exceeded! maximum admitted 10 per 1s.'),
    },
    { kind: 'rate-limited', retryAfterSeconds: null },
  ],
  [
    '429 with Retry-After seconds',
    { status: 429, retryAfter: '3', body: undefined },
    { kind: 'rate-limited', retryAfterSeconds: 3 },
  ],
  [
    'a 4xx whose body says the quota is exceeded → rate limited',
    {
      status: 403,
      body: exceptionModel(403, 'InvalidRequest', 'API calls quota exceeded! maximum admitted 10 per 1s.'),
    },
    { kind: 'rate-limited', retryAfterSeconds: null },
  ],
  [
    '500 → transient',
    { status: 500, body: exceptionModel(500, 'InternalSystemError', 'boom') },
    { kind: 'transient', retryAfterSeconds: null },
  ],
  [
    '503 with an HTTP-date Retry-After',
    { status: 503, retryAfter: new Date(NOW + 7000).toUTCString(), body: '<html>busy</html>' },
    { kind: 'transient', retryAfterSeconds: 7 },
  ],
  ['408 → transient', { status: 408, body: undefined }, { kind: 'transient', retryAfterSeconds: null }],
  [
    'another status → configuration naming it',
    { status: 405, body: exceptionModel(405, 'InvalidRequest', 'Method not allowed') },
    { kind: 'permanent', code: 'configuration', says: [/HTTP 405/] },
  ],
];

function failed(partial: Partial<FailedResponse> & { status: number }): FailedResponse {
  return {
    body: undefined,
    retryAfter: null,
    tokenCall: false,
    operation: 'GET /v1/activities/{guid}',
    nowMs: NOW,
    secrets: [SECRET, TOKEN],
    ...partial,
  };
}

describe('severaErrorFor: Severa responses → typed errors (severa-api.md §4)', () => {
  for (const [name, input, expected] of CASES) {
    it(name, () => {
      const error = severaErrorFor(failed(input));
      assert.ok(error instanceof SyncError);
      switch (expected.kind) {
        case 'permanent':
          assert.ok(error instanceof PermanentError, `${error.name}: ${error.message}`);
          assert.equal(error.code, expected.code);
          assert.equal(error.transient, false);
          for (const re of expected.says) assert.match(error.userMessage, re);
          break;
        case 'rate-limited':
          assert.ok(error instanceof RateLimitedError, `${error.name}: ${error.message}`);
          assert.equal(error.retryAfterSeconds, expected.retryAfterSeconds);
          break;
        case 'transient':
          assert.ok(error instanceof TransientError, `${error.name}: ${error.message}`);
          assert.equal(error.retryAfterSeconds, expected.retryAfterSeconds);
          break;
        case 'not-found':
          assert.ok(error instanceof NotFoundError, `${error.name}: ${error.message}`);
          break;
      }
    });
  }

  it('scrubs the secret and tokens from anything Severa echoes back', () => {
    for (const status of [400, 401, 403, 405, 500]) {
      const error = severaErrorFor(
        failed({
          status,
          tokenCall: status === 401,
          body: exceptionModel(
            status,
            'InvalidRequest',
            `bad client_secret ${SECRET}`,
            `token ${TOKEN} rejected`,
          ),
        }),
      );
      assert.ok(!error.message.includes(SECRET), error.message);
      assert.ok(!error.message.includes(TOKEN), error.message);
      assert.match(error.message, /\[redacted\]/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The client with a scripted fetch

interface Call {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: unknown;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function tokenBody(scope: string, token = TOKEN) {
  return {
    access_token: token,
    access_token_type: 'Bearer',
    access_token_expires_in: 3600,
    refresh_token: 'r-123456',
    scope,
  };
}

function scripted(
  answer: (call: Call) => Response | Promise<Response>,
  options: Partial<SeveraHttpClientOptions> = {},
): { client: SeveraHttpClient; calls: Call[]; waits: number[] } {
  const calls: Call[] = [];
  const waits: number[] = [];
  let now = NOW;
  const clock = { now: () => new Date(now) };
  const sleep = (ms: number) => {
    waits.push(ms);
    now += ms;
    return Promise.resolve();
  };
  const fake: typeof fetch = async (input, init) => {
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const call: Call = {
      url: new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : (JSON.parse(text) as unknown),
    };
    calls.push(call);
    return answer(call);
  };
  const client = new SeveraHttpClient({
    baseUrl: 'https://severa.test/rest-api/',
    clientId: 'client-1',
    clientSecret: SECRET,
    clock,
    sleep,
    rateLimiter: new RateLimiter({ clock, sleep, ratePerSecond: Number.POSITIVE_INFINITY }),
    random: () => 0.5,
    fetch: fake,
    ...options,
  });
  return { client, calls, waits };
}

describe('SeveraHttpClient with a scripted Severa', () => {
  it('asks for a client-credentials token with the sync’s scopes, then sends both auth headers', async () => {
    const { client, calls } = scripted((call) =>
      call.url.pathname.endsWith('/v1/token') ? json(200, tokenBody('activities:read')) : json(200, []),
    );
    await client.getJson('/v1/activities/abc');
    const [token, api] = calls;
    assert.equal(token?.url.href, 'https://severa.test/rest-api/v1/token');
    assert.deepEqual(token.body, {
      client_id: 'client-1',
      client_secret: SECRET,
      scope: 'activities:read,activities:write,activities:delete,users:read,settings:read',
      grant_type: 'client_credentials',
    });
    assert.equal(api?.headers.get('authorization'), `Bearer ${TOKEN}`);
    assert.equal(api.headers.get('client_id'), 'client-1');
  });

  it('writes array query values as repeated keys and encodes + in offsets (§3)', async () => {
    const { client, calls } = scripted((call) =>
      call.url.pathname.endsWith('/v1/token') ? json(200, tokenBody('')) : json(200, []),
    );
    await client.getAllPages('/v1/activities', {
      userGuids: ['u1', 'u2'],
      includeAsMember: true,
      changedSince: '2026-11-20T14:00:00.000+02:00',
      closed: null,
    });
    const list = calls[1];
    assert.ok(list);
    assert.deepEqual(list.url.searchParams.getAll('userGuids'), ['u1', 'u2']);
    assert.equal(list.url.searchParams.get('changedSince'), '2026-11-20T14:00:00.000+02:00');
    assert.match(list.url.search, /changedSince=2026-11-20T14%3A00%3A00\.000%2B02%3A00/);
    assert.equal(list.url.searchParams.has('closed'), false);
    assert.equal(list.url.searchParams.get('rowCount'), '100');
  });

  it('follows NextPageToken until it is absent or empty', async () => {
    for (const last of [undefined, '', '  ']) {
      const { client, calls } = scripted((call) => {
        if (call.url.pathname.endsWith('/v1/token')) return json(200, tokenBody(''));
        const page = call.url.searchParams.get('pageToken');
        if (page === null) return json(200, [1, 2], { NextPageToken: 'p2' });
        if (page === 'p2') return json(200, [3], { NextPageToken: 'p3' });
        return json(200, [4], last === undefined ? {} : { NextPageToken: last });
      });
      assert.deepEqual(await client.getAllPages('/v1/users'), [1, 2, 3, 4]);
      assert.equal(calls.length, 4);
    }
  });

  it('stops on a page token that repeats instead of looping', async () => {
    const { client } = scripted((call) =>
      call.url.pathname.endsWith('/v1/token')
        ? json(200, tokenBody(''))
        : json(200, [1], { NextPageToken: 'same' }),
    );
    await assert.rejects(client.getAllPages('/v1/users'), TransientError);
  });

  it('diagnoses a refused token: ask without scopes to tell a missing scope from bad credentials', async () => {
    const missing = scripted((call) => {
      const scope = (call.body as { scope?: string }).scope;
      return scope === ''
        ? json(200, tokenBody('activities:read,users:read,activities:write'))
        : json(401, exceptionModel(401, 'AuthenticationRequired', 'Unauthorized'));
    });
    await assert.rejects(missing.client.getJson('/v1/users'), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'missing-scope');
      assert.match(e.userMessage, /"activities:delete", "settings:read"/);
      return true;
    });
    assert.equal(missing.calls.length, 2, 'no retries of a permanent failure');

    const bad = scripted(() => json(401, exceptionModel(401, 'AuthenticationRequired', 'Unauthorized')));
    await assert.rejects(bad.client.getJson('/v1/users'), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'bad-credentials');
      assert.ok(!e.message.includes(SECRET));
      return true;
    });
  });

  it('retries network failures and reports them without the URL, query or secrets', async () => {
    const { client, calls, waits } = scripted((call) => {
      if (call.url.pathname.endsWith('/v1/token')) return json(200, tokenBody(''));
      throw new TypeError('fetch failed', {
        cause: { code: 'ECONNRESET', message: `https://x?email=a@b.c ${SECRET}` },
      });
    });
    const error = await client.getJson('/v1/users', { email: 'a@b.c' }).catch((e: unknown) => e);
    assert.ok(error instanceof TransientError);
    assert.match(error.message, /ECONNRESET/);
    assert.ok(!error.message.includes('a@b.c'));
    assert.ok(!error.message.includes(SECRET));
    assert.equal(calls.filter((c) => c.url.pathname.endsWith('/v1/users')).length, 5);
    assert.deepEqual(waits, [250, 500, 1000, 2000]);
  });

  it('honours Retry-After on 429 (never waiting less than asked)', async () => {
    let n = 0;
    const { client, waits } = scripted((call) => {
      if (call.url.pathname.endsWith('/v1/token')) return json(200, tokenBody(''));
      n += 1;
      return n === 1 ? json(429, undefined, { 'Retry-After': '4' }) : json(200, { ok: true });
    });
    assert.deepEqual(await client.getJson('/v1/users/u1'), { ok: true });
    assert.deepEqual(waits, [4000]);
  });

  it('keeps one token for concurrent calls and renews it only once', async () => {
    let tokens = 0;
    const { client, calls } = scripted(async (call) => {
      if (call.url.pathname.endsWith('/v1/token')) {
        tokens += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return json(200, tokenBody('', `token-${tokens}-abcdef`));
      }
      return json(200, []);
    });
    await Promise.all([client.getJson('/v1/a'), client.getJson('/v1/b'), client.getJson('/v1/c')]);
    assert.equal(tokens, 1);
    assert.ok(
      calls
        .filter((c) => !c.url.pathname.endsWith('/v1/token'))
        .every((c) => c.headers.get('authorization') === 'Bearer token-1-abcdef'),
    );
  });

  it('refuses to start without a client id or secret', () => {
    assert.throws(
      () => new SeveraHttpClient({ clientId: '', clientSecret: 'x' }),
      (e: unknown) => e instanceof PermanentError && e.code === 'configuration',
    );
    assert.throws(
      () => new SeveraHttpClient({ clientId: 'id', clientSecret: '' }),
      (e: unknown) => e instanceof PermanentError && e.code === 'configuration',
    );
  });
});

/**
 * The error classification table of reference/google-calendar.md §4 (API) and §5 (token endpoint). The errors are
 * real gaxios errors: a local server answers with Google's error envelopes and a gaxios client (retries off, as in
 * the adapter) makes the request, carrying a bearer token and an assertion that must never reach a message.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { gaxios } from 'google-auth-library';

import {
  classifyGoogleError,
  type GoogleOperation,
} from '../../../../shared/adapters/google-calendar/google.errors.js';
import { isRetryable } from '../../../../shared/adapters/retry.js';
import {
  AlreadyExistsError,
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  QuotaExceededError,
  RateLimitedError,
  SyncTokenExpiredError,
  TransientError,
  type SyncError,
} from '../../../../shared/domain/index.js';

const ACCESS_TOKEN = 'ya29.a0AfB_secret-access-token-0123456789';
const ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJzeW5jQGRlbW8ifQ.c2lnbmF0dXJlLXNlY3JldC0wMTIzNDU2Nzg5';

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** Each request's path names the answer to give: `/answer/<index>`. */
const answers: Answer[] = [];
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    req.resume();
    const index = Number(/\/answer\/(\d+)/.exec(req.url ?? '')?.[1]);
    const answer = answers[index];
    if (answer === undefined || req.url?.includes('/hang')) return; // never answers: a timeout
    if (req.url?.includes('/reset')) {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Google's API error envelope (discovery-based APIs, §4). */
function apiError(status: number, reason: string, message: string, domain = 'global'): unknown {
  return { error: { code: status, message, errors: [{ domain, reason, message }] } };
}

/** The error a real gaxios request gets for `answer`, made the way the adapter makes requests. */
async function failure(
  answer: Answer,
  options: { path?: string; timeout?: number; url?: string } = {},
): Promise<unknown> {
  answers.push(answer);
  const url = options.url ?? `${base}/answer/${answers.length - 1}${options.path ?? ''}`;
  try {
    await new gaxios.Gaxios({ retry: false }).request({
      url,
      method: 'POST',
      responseType: 'json',
      headers: { authorization: `Bearer ${ACCESS_TOKEN}` },
      data: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: ASSERTION,
      }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
  } catch (error) {
    return error;
  }
  throw new Error('expected the request to fail');
}

const NOW = Date.parse('2030-01-01T12:00:00Z');

async function classify(answer: Answer, operation: GoogleOperation = 'other'): Promise<SyncError> {
  const typed = classifyGoogleError(await failure(answer), { operation, nowMs: NOW });
  assertNoSecret(typed);
  return typed;
}

function assertNoSecret(error: SyncError): void {
  const text = `${error.message} ${error instanceof PermanentError ? error.userMessage : ''} ${JSON.stringify(error)}`;
  for (const secret of [ACCESS_TOKEN, ASSERTION, 'signature-secret', 'secret-access-token'])
    assert.ok(!text.includes(secret), `secret in: ${text}`);
}

type Expect = readonly [
  name: string,
  answer: Answer,
  type: abstract new (...args: never[]) => SyncError,
  code?: string,
  operation?: GoogleOperation,
];

const API_TABLE: readonly Expect[] = [
  [
    '401 authError (after the refresh)',
    { status: 401, body: apiError(401, 'authError', 'Invalid Credentials') },
    PermanentError,
    'bad-credentials',
  ],
  [
    '403 rateLimitExceeded',
    { status: 403, body: apiError(403, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits') },
    RateLimitedError,
  ],
  [
    '403 userRateLimitExceeded',
    { status: 403, body: apiError(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'usageLimits') },
    RateLimitedError,
  ],
  [
    '403 quotaExceeded (Calendar usage limits: hours, not a rate)',
    { status: 403, body: apiError(403, 'quotaExceeded', 'Calendar usage limits exceeded.', 'usageLimits') },
    QuotaExceededError,
    'quota-exceeded',
  ],
  ['403 usageLimits', { status: 403, body: apiError(403, 'usageLimits', 'Usage limits') }, RateLimitedError],
  [
    '403 in the usageLimits domain',
    { status: 403, body: apiError(403, 'dailyLimitExceeded', 'Daily Limit Exceeded', 'usageLimits') },
    RateLimitedError,
  ],
  [
    '403 forbiddenForNonOrganizer',
    {
      status: 403,
      body: apiError(
        403,
        'forbiddenForNonOrganizer',
        'Shared properties can only be changed by the organizer of the event.',
      ),
    },
    PermanentError,
    'validation',
  ],
  [
    '403 notACalendarUser',
    {
      status: 403,
      body: apiError(403, 'notACalendarUser', 'The user must be signed up for Google Calendar.'),
    },
    PermanentError,
    'configuration',
  ],
  [
    '403 forbidden',
    { status: 403, body: apiError(403, 'forbidden', 'Forbidden') },
    PermanentError,
    'configuration',
  ],
  [
    '403 insufficientPermissions',
    {
      status: 403,
      body: apiError(403, 'insufficientPermissions', 'Request had insufficient authentication scopes.'),
    },
    PermanentError,
    'missing-scope',
  ],
  ['404 notFound', { status: 404, body: apiError(404, 'notFound', 'Not Found') }, NotFoundError],
  [
    '409 duplicate',
    { status: 409, body: apiError(409, 'duplicate', 'The requested identifier already exists.') },
    AlreadyExistsError,
  ],
  [
    '410 on a listing',
    {
      status: 410,
      body: apiError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.'),
    },
    SyncTokenExpiredError,
    undefined,
    'list',
  ],
  [
    '410 on a delete (already deleted)',
    { status: 410, body: apiError(410, 'deleted', 'Resource has been deleted') },
    NotFoundError,
    undefined,
    'delete',
  ],
  [
    '412 conditionNotMet',
    { status: 412, body: apiError(412, 'conditionNotMet', 'Precondition Failed') },
    PreconditionFailedError,
  ],
  [
    '429',
    { status: 429, body: apiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits') },
    RateLimitedError,
  ],
  ['500 backendError', { status: 500, body: apiError(500, 'backendError', 'Backend Error') }, TransientError],
  ['502 with an HTML body', { status: 502, body: '<html>Bad Gateway</html>' }, TransientError],
  ['503', { status: 503, body: apiError(503, 'backendError', 'Service unavailable') }, TransientError],
  ['408', { status: 408 }, TransientError],
  [
    '400 invalid',
    { status: 400, body: apiError(400, 'invalid', 'Invalid resource id value.') },
    PermanentError,
    'validation',
  ],
  [
    '400 timeRangeEmpty',
    { status: 400, body: apiError(400, 'timeRangeEmpty', 'The specified time range is empty.') },
    PermanentError,
    'validation',
  ],
  [
    '400 required',
    { status: 400, body: apiError(400, 'required', 'Missing end time.') },
    PermanentError,
    'validation',
  ],
];

const TOKEN_TABLE: readonly Expect[] = [
  [
    'unauthorized_client (scope not delegated)',
    {
      status: 401,
      body: {
        error: 'unauthorized_client',
        error_description:
          'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      },
    },
    PermanentError,
    'delegation-denied',
  ],
  [
    'invalid_grant: user not in the domain',
    { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' } },
    PermanentError,
    'delegation-denied',
  ],
  [
    'invalid_grant: bad signature',
    { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } },
    PermanentError,
    'bad-credentials',
  ],
  [
    'invalid_client (unknown or deleted service account)',
    { status: 401, body: { error: 'invalid_client', error_description: 'The OAuth client was not found.' } },
    PermanentError,
    'bad-credentials',
  ],
  [
    'invalid_grant: clock skew',
    {
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description:
          'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      },
    },
    PermanentError,
    'configuration',
  ],
  [
    'invalid_scope',
    {
      status: 400,
      body: {
        error: 'invalid_scope',
        error_description: 'Invalid OAuth scope or ID token audience provided.',
      },
    },
    PermanentError,
    'configuration',
  ],
  [
    'token endpoint 503',
    { status: 503, body: { error: 'temporarily_unavailable', error_description: 'try later' } },
    TransientError,
  ],
];

describe('classifyGoogleError: Calendar API errors (google-calendar.md §4)', () => {
  for (const [name, answer, type, code, operation] of API_TABLE) {
    it(`${name} → ${type.name}${code === undefined ? '' : ` ${code}`}`, async () => {
      const typed = await classify(answer, operation);
      assert.ok(typed instanceof type, `${typed.name}: ${typed.message}`);
      if (code !== undefined) assert.equal(typed.code, code);
    });
  }

  it('keeps the retryable ones retryable and the others not', async () => {
    for (const [, answer, type, , operation] of API_TABLE) {
      const typed = await classify(answer, operation);
      const retryable = type === RateLimitedError || type === TransientError;
      assert.equal(isRetryable(typed), retryable, typed.message);
    }
  });

  it('quotaExceeded is not retried within a run, but is transient: the person’s sync pauses', async () => {
    const typed = await classify({
      status: 403,
      body: apiError(403, 'quotaExceeded', 'Calendar usage limits exceeded.', 'usageLimits'),
      headers: { 'retry-after': '5' },
    });
    assert.ok(typed instanceof QuotaExceededError);
    assert.equal(isRetryable(typed), false);
    assert.equal(typed.transient, true);
    assert.match(typed.message, /usage limits/);
    assert.match(typed.message, /hours/);
  });

  it('forbiddenForNonOrganizer says what a person can do about that one entry', async () => {
    const typed = await classify({
      status: 403,
      body: apiError(
        403,
        'forbiddenForNonOrganizer',
        'Shared properties can only be changed by the organizer of the event.',
      ),
    });
    assert.ok(typed instanceof PermanentError);
    assert.equal(typed.code, 'validation');
    assert.match(typed.userMessage, /meeting someone else organises/);
    assert.match(typed.userMessage, /Ask the organiser/);
    assert.match(typed.userMessage, /this entry/);
    assert.doesNotMatch(typed.userMessage, /delegation|Admin console/);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const seconds = await classify({
      status: 429,
      body: apiError(429, 'rateLimitExceeded', 'x'),
      headers: { 'retry-after': '12' },
    });
    assert.ok(seconds instanceof RateLimitedError);
    assert.equal(seconds.retryAfterSeconds, 12);
    const date = await classify({
      status: 429,
      body: apiError(429, 'rateLimitExceeded', 'x'),
      headers: { 'retry-after': new Date(NOW + 30_000).toUTCString() },
    });
    assert.ok(date instanceof RateLimitedError);
    assert.equal(date.retryAfterSeconds, 30);
    const unavailable = await classify({
      status: 503,
      body: apiError(503, 'backendError', 'x'),
      headers: { 'retry-after': '3' },
    });
    assert.ok(unavailable instanceof TransientError);
    assert.equal(unavailable.retryAfterSeconds, 3);
    const none = await classify({ status: 429, body: apiError(429, 'rateLimitExceeded', 'x') });
    assert.ok(none instanceof RateLimitedError);
    assert.equal(none.retryAfterSeconds, null);
  });

  it('keeps Google’s reason and message, but masks a token Google would echo', async () => {
    const typed = await classify({
      status: 400,
      body: apiError(400, 'invalid', `Bad header: Bearer ${ACCESS_TOKEN}`),
    });
    assert.match(typed.message, /400 invalid: Bad header: \[redacted\]/);
  });
});

describe('classifyGoogleError: token endpoint (google-calendar.md §5)', () => {
  for (const [name, answer, type, code] of TOKEN_TABLE) {
    it(`${name} → ${type.name}${code === undefined ? '' : ` ${code}`}`, async () => {
      const typed = await classify(answer);
      assert.ok(typed instanceof type, `${typed.name}: ${typed.message}`);
      if (code !== undefined) assert.equal(typed.code, code);
    });
  }

  it('tells the admin what to authorise when delegation is refused', async () => {
    const typed = await classify(TOKEN_TABLE[0]![1]);
    assert.ok(typed instanceof PermanentError);
    assert.match(typed.userMessage, /Admin console/);
    assert.match(typed.userMessage, /client ID/);
    assert.match(typed.userMessage, /https:\/\/www\.googleapis\.com\/auth\/calendar/);
  });
});

describe('classifyGoogleError: network failures and other throwables', () => {
  it('connection refused → TransientError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`;
    await new Promise((resolve) => closed.close(resolve));
    const typed = classifyGoogleError(await failure({ status: 200 }, { url }));
    assert.ok(typed instanceof TransientError);
    assert.match(typed.message, /ECONNREFUSED/);
    assertNoSecret(typed);
  });

  it('connection reset → TransientError', async () => {
    const typed = classifyGoogleError(await failure({ status: 200 }, { path: '/reset' }));
    assert.ok(typed instanceof TransientError, typed.message);
    assert.match(typed.message, /could not be reached \(ECONNRESET\)/);
    assertNoSecret(typed);
  });

  it('timeout → TransientError', async () => {
    const typed = classifyGoogleError(await failure({ status: 200 }, { path: '/hang', timeout: 30 }));
    assert.ok(typed instanceof TransientError, typed.message);
    assert.match(typed.message, /could not be reached \(TimeoutError\)/);
    assertNoSecret(typed);
  });

  it('passes typed errors through and treats anything unknown as transient', () => {
    const typed = new PreconditionFailedError('x');
    assert.equal(classifyGoogleError(typed), typed);
    const unknown = classifyGoogleError(new Error(`socket hang up, Bearer ${ACCESS_TOKEN}`));
    assert.ok(unknown instanceof TransientError);
    assertNoSecret(unknown);
    assert.ok(classifyGoogleError('a string') instanceof TransientError);
  });
});

/**
 * The redacting logger (issue 10 #6): which text and which fields are masked, which stay readable, and the shape of
 * a line. Each table row is one decision; a row that changes is a change of rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  createJsonLogger,
  createMemoryLogger,
  redact,
  redactString,
  REDACTED,
} from '../../../shared/observability/logger.js';

const R = REDACTED;
/** Random-looking test values (fixed so that a failure repeats). */
const B64URL_32 = 'q2Fh9vN3xZ0pL7tW4yB8sK1mR6dG5jH2cV9nX0aE3uQ'; // 32 bytes as base64url, like our channel tokens
const B64_40 = 'k2AVMMRvCW4zv17ifamTWVe73+NLlZ0szufG2Fw4ETk='; // 32 bytes as base64, with padding
const HEX_64 = 'dfc73806e286a96e8d82e7e091de3c8bad07f0f20d56c0036b5bed7430719bf5';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJzeW5jQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlLXBhcnQ';
const GUID = '3656c638-f49f-4ea2-b6c6-19b71ef6bc2d';
const EVENT_ID = 'sv00000000000040008000000000000002';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

/** [case, input, expected output of redactString] */
const TEXT_TABLE: readonly (readonly [string, string, string])[] = [
  // Masked: whole shapes.
  ['a PEM block', `key: ${PEM} end`, `key: ${R} end`],
  ['a PEM block cut short', '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA', R],
  ['a bearer token', 'Bad header: Bearer abc.def-123', `Bad header: ${R}`],
  ['a JWT', `assertion was ${JWT}`, `assertion was ${R}`],
  ['a Google access token', 'got ya29.a0AfH6SMBx-yz_12', `got ${R}`],
  ['a Google refresh token', 'refresh with 1//0gLmN0pQrStUvWxYz-abcdef_123', `refresh with ${R}`],
  ['a Google API key', 'key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', `key ${R}`],
  // Masked: the value of a secret-named query or form parameter; the other parameters stay.
  [
    'client_secret in a URL',
    'POST https://oauth2.googleapis.com/token?client_id=123.apps&client_secret=GOCSPX-abc failed',
    `POST https://oauth2.googleapis.com/token?client_id=123.apps&client_secret=${R} failed`,
  ],
  [
    'access_token in a URL',
    'GET /calendar/v3?access_token=opaque&maxResults=250',
    `GET /calendar/v3?access_token=${R}&maxResults=250`,
  ],
  [
    'a token request form body',
    'grant_type=refresh_token&refresh_token=opaque-1&client_id=abc',
    `grant_type=refresh_token&refresh_token=${R}&client_id=abc`,
  ],
  ['an OAuth code parameter', 'callback?code=4/0AbCd&state=xyz', `callback?code=${R}&state=xyz`],
  ['a form body starting with code', 'code=4/0AbCd&redirect_uri=x', `code=${R}&redirect_uri=x`],
  [
    'password, sig, key and token parameters',
    'password=p1&sig=s1&key=k1&token=t1&page=2',
    `password=${R}&sig=${R}&key=${R}&token=${R}&page=2`,
  ],
  [
    'a signed URL signature',
    'u?X-Goog-Signature=0a1b&X-Goog-Expires=900',
    `u?X-Goog-Signature=${R}&X-Goog-Expires=900`,
  ],
  ['a password in a URL', 'postgres://sync:pa55word@db.example/sync', `postgres://sync:${R}@db.example/sync`],
  // Masked: header text and quoted members (library errors often echo the request or the answer).
  [
    'an Authorization header, to the end of its line',
    'Authorization: Basic dXNlcjpwYXNz\nHost: x',
    `Authorization: ${R}\nHost: x`,
  ],
  ['a channel token header', 'x-goog-channel-token: per-channel-secret-token', `x-goog-channel-token: ${R}`],
  ['a cookie header', 'Set-Cookie: sid=abc; Path=/', `Set-Cookie: ${R}`],
  [
    'an inspected headers object',
    "{ authorization: 'Basic dXNlcg==', accept: 'json' }",
    `{ authorization: '${R}', accept: 'json' }`,
  ],
  [
    'a JSON token answer',
    '{"access_token":"opaque-value","token_type":"Bearer","expires_in":3599}',
    `{"access_token":"${R}","token_type":"Bearer","expires_in":3599}`,
  ],
  [
    'an inspected object with a password',
    "{ password: 'hunter2', user: 'aino' }",
    `{ password: '${R}', user: 'aino' }`,
  ],
  // Masked: long hex and random-looking base64 anywhere.
  ['64 hex digits', `hmac ${HEX_64} mismatch`, `hmac ${R} mismatch`],
  ['0x and 32 hex digits', 'id 0x0123456789ABCDEF0123456789ABCDEF', `id ${R}`],
  ['hex after a harmless name', `sha256=${HEX_64}`, `sha256=${R}`],
  ['a base64 key with padding', `secret ${B64_40} saved`, `secret ${R} saved`],
  ['a base64url token', `channel token ${B64URL_32}.`, `channel token ${R}.`],
  ['a random run inside a path (the whole run goes)', `GET /files/${B64URL_32} 404`, `GET ${R} 404`],
  // Kept: ids, times, addresses and readable names.
  ['an ISO timestamp', '2026-03-02T08:00:00.000Z', '2026-03-02T08:00:00.000Z'],
  ['a UUID (a Severa guid)', `activity ${GUID}`, `activity ${GUID}`],
  ['an upper-case UUID', GUID.toUpperCase(), GUID.toUpperCase()],
  ['our event id: sv + 32 hex', `event ${EVENT_ID}`, `event ${EVENT_ID}`],
  ['an instance id of our event', `${EVENT_ID}_20260302T080000Z`, `${EVENT_ID}_20260302T080000Z`],
  [
    'a path of guids and event ids',
    `orgs/demo/users/${GUID}/links/${EVENT_ID}`,
    `orgs/demo/users/${GUID}/links/${EVENT_ID}`,
  ],
  ['an e-mail address', 'aino.aalto@example.com', 'aino.aalto@example.com'],
  [
    'a Secret Manager resource name',
    'projects/my-project-123/secrets/severa-client-secret/versions/12',
    'projects/my-project-123/secrets/severa-client-secret/versions/12',
  ],
  [
    'a long camelCase name',
    'googleCalendarAdapterRequestFailedWithStatus',
    'googleCalendarAdapterRequestFailedWithStatus',
  ],
  ['31 hex digits', '0123456789abcdef0123456789abcde', '0123456789abcdef0123456789abcde'],
  ['a status code in prose', 'failed with status code=500', 'failed with status code=500'],
  [
    'harmless parameters',
    '?timeMin=2026-03-02T08:00:00Z&singleEvents=true',
    '?timeMin=2026-03-02T08:00:00Z&singleEvents=true',
  ],
  [
    'an OAuth error',
    'invalid_grant: Token has been expired or revoked.',
    'invalid_grant: Token has been expired or revoked.',
  ],
  [
    'a secret named in prose',
    'secret severa-client-secret: PERMISSION_DENIED',
    'secret severa-client-secret: PERMISSION_DENIED',
  ],
  ['a harmless header', 'x-goog-resource-state: exists', 'x-goog-resource-state: exists'],
];

/** [field name, masked?] — the value is always a plain string. */
const FIELD_TABLE: readonly (readonly [string, boolean])[] = [
  // Secret names.
  ['key', true],
  ['apiKey', true],
  ['api_key', true],
  ['apikey', true],
  ['x-goog-api-key', true],
  ['privateKey', true],
  ['private_key', true],
  ['pwd', true],
  ['passwd', true],
  ['password', true],
  ['passphrase', true],
  ['auth', true],
  ['authorization', true],
  ['Authorization', true],
  ['hmac', true],
  ['hmacKey', true],
  ['sig', true],
  ['signature', true],
  ['secret', true],
  ['client_secret', true],
  ['clientSecret', true],
  ['webhookSecret', true],
  ['token', true],
  ['accessToken', true],
  ['refresh_token', true],
  ['nextSyncToken', true],
  ['x-goog-channel-token', true],
  ['cookie', true],
  ['set-cookie', true],
  ['credential', true],
  ['credentials', true],
  ['assertion', true],
  ['p12', true],
  ['pem', true],
  // The fields this codebase logs, and names that only look like secrets.
  ['user', false],
  ['channelId', false],
  ['reason', false],
  ['code', false],
  ['errorCode', false],
  ['outcome', false],
  ['correlationId', false],
  ['function', false],
  ['org', false],
  ['component', false],
  ['messageId', false],
  ['eventId', false],
  ['activityGuid', false],
  ['scopes', false],
  ['keys', false], // a list of names, not a key
  ['linkKey', false], // an id of a link
  ['occurrenceKey', false],
  ['idempotencyKey', false],
  ['count', false],
  ['tokenCount', false],
  ['secretsSaved', false],
  ['secretName', false],
  ['tokenExpiresAt', false],
  ['author', false],
  ['signal', false],
];

describe('redactString', () => {
  for (const [name, input, expected] of TEXT_TABLE) {
    it(`${expected === input ? 'keeps' : 'masks'} ${name}`, () => {
      assert.equal(redactString(input), expected);
    });
  }
});

describe('redact: field names', () => {
  for (const [key, masked] of FIELD_TABLE) {
    it(`${masked ? 'masks' : 'keeps'} ${key}`, () => {
      assert.deepEqual(redact({ [key]: 'plain-value' }), { [key]: masked ? R : 'plain-value' });
    });
  }

  it('masks numbers and whole objects under a secret name, keeps booleans and null (they hold no secret)', () => {
    assert.deepEqual(
      redact({ pin: 1, password: 1234, credentials: { client_email: 'a@b.c' }, token: true, auth: null }),
      { pin: 1, password: R, credentials: R, token: true, auth: null },
    );
  });

  it('masks secret shapes in every string, also in keys, arrays and nested objects', () => {
    assert.deepEqual(
      redact({ request: { url: `/x?token=t`, headers: [`Authorization: Bearer ${B64URL_32}`] } }),
      {
        request: { url: `/x?token=${R}`, headers: [`Authorization: ${R}`] },
      },
    );
    assert.deepEqual(redact({ [HEX_64]: 1 }), { [R]: 1 });
  });

  it('keeps a field named __proto__ as a field', () => {
    const out = redact(JSON.parse('{"__proto__": "x"}')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});

describe('redact: errors and awkward values', () => {
  it('keeps name, masked message, code and masked cause; never the stack', () => {
    const inner = Object.assign(new TypeError(`fetch failed for ?client_secret=s1`), { code: 'ECONNRESET' });
    const outer = Object.assign(new Error(`token refresh failed: ${JWT}`, { cause: inner }), {
      code: 'auth-failed',
      config: { headers: { Authorization: 'Bearer b' } },
    });
    assert.deepEqual(redact(outer), {
      name: 'Error',
      message: `token refresh failed: ${R}`,
      code: 'auth-failed',
      cause: { name: 'TypeError', message: `fetch failed for ?client_secret=${R}`, code: 'ECONNRESET' },
    });
    assert.doesNotMatch(JSON.stringify(redact(outer)), /stack|at .*\.ts/);
  });

  it('redacts a cause that is not an Error, and the errors of an AggregateError', () => {
    const error = new AggregateError([new Error(`a ${HEX_64}`)], 'all failed', { cause: { token: 't' } });
    assert.deepEqual(redact(error), {
      name: 'AggregateError',
      message: 'all failed',
      cause: { token: R },
      errors: [{ name: 'Error', message: `a ${R}` }],
    });
  });

  it('bounds a long cause chain', () => {
    let error = new Error('root');
    for (let i = 0; i < 50; i += 1) error = new Error(`level ${i}`, { cause: error });
    const text = JSON.stringify(redact(error));
    assert.match(text, /\[…\]/);
    assert.ok(text.length < 2_000, text);
  });

  it('marks cycles instead of throwing, and still writes a value met twice without a cycle', () => {
    const loop: Record<string, unknown> = { name: 'a' };
    loop.self = loop;
    const error = new Error('again');
    (error as { cause?: unknown }).cause = error;
    const shared = { id: 1 };
    assert.deepEqual(redact({ loop, error, one: shared, two: shared }), {
      loop: { name: 'a', self: '[circular]' },
      error: { name: 'Error', message: 'again', cause: '[circular]' },
      one: { id: 1 },
      two: { id: 1 },
    });
  });

  it('cuts a long string after masking, with a marker, and shows no part of a secret at the cut', () => {
    const long = `${'a '.repeat(995)}${HEX_64}${' b'.repeat(2_000)}`;
    const out = redact(long) as string;
    assert.ok(out.startsWith(`${'a '.repeat(995)}${R}`), 'the secret at the cut is masked whole');
    assert.equal(out, `${redactString(long).slice(0, 2_000)}…[truncated from ${redactString(long).length}]`);
    assert.ok(!out.includes(HEX_64.slice(0, 8)));
    assert.equal(redact('x'.repeat(2_000)), 'x'.repeat(2_000));
  });

  it('writes dates, big integers, buffers, maps, sets and functions as JSON can carry them', () => {
    assert.deepEqual(
      redact({
        at: new Date('2026-03-02T08:00:00Z'),
        big: 10n,
        bytes: Buffer.from('secret'),
        map: new Map([['token', 't']]),
        set: new Set([`Bearer ${B64URL_32}`]),
        fn: () => 1,
      }),
      {
        at: '2026-03-02T08:00:00.000Z',
        big: '10',
        bytes: '[binary 6 bytes]',
        map: { token: R },
        set: [R],
        fn: '[function]',
      },
    );
  });

  it('keeps at most 50 items of an array', () => {
    const out = redact(Array.from({ length: 60 }, (_, i) => i)) as unknown[];
    assert.equal(out.length, 51);
    assert.equal(out[50], '[+10 more]');
  });

  it('writes [unreadable] for a value whose getter throws', () => {
    const hostile = {
      get boom(): never {
        throw new Error('no');
      },
    };
    assert.deepEqual(redact({ ok: 1, hostile }), { ok: 1, hostile: '[unreadable]' });
  });
});

describe('createJsonLogger', () => {
  const TIME = new Date('2026-03-02T08:00:00Z');
  const logger = (fields?: Record<string, unknown>) => {
    const lines: string[] = [];
    const log = createJsonLogger({
      level: 'debug',
      write: (l) => lines.push(l),
      now: () => TIME,
      ...(fields ? { fields } : {}),
    });
    return { log, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
  };

  it('writes severity, message and time first, then the redacted fields', () => {
    const { log, parsed } = logger();
    log.warn(`retrying ?access_token=${B64URL_32}`, { user: GUID, token: 't', attempt: 2 });
    assert.deepEqual(parsed(), [
      {
        severity: 'WARNING',
        message: `retrying ?access_token=${R}`,
        time: '2026-03-02T08:00:00.000Z',
        user: GUID,
        token: R,
        attempt: 2,
      },
    ]);
  });

  it('never lets a field replace the line’s own keys', () => {
    const { log, parsed } = logger({ time: 'base-time' });
    log.child({ severity: 'DEBUG' }).error('the real message', {
      message: 'caller message',
      field_message: 'already prefixed',
    });
    assert.deepEqual(parsed(), [
      {
        severity: 'ERROR',
        message: 'the real message',
        time: '2026-03-02T08:00:00.000Z',
        field_time: 'base-time',
        field_severity: 'DEBUG',
        field_message: 'already prefixed',
        field_field_message: 'caller message',
      },
    ]);
  });

  it('writes an error with its causes, masked, without a stack', () => {
    const { log, parsed } = logger();
    const cause = new Error(`Authorization: Bearer ${B64URL_32}`);
    log.error('sync failed', { error: Object.assign(new Error('outer', { cause }), { code: 'E1' }) });
    const [line] = parsed();
    assert.deepEqual(line?.error, {
      name: 'Error',
      message: 'outer',
      code: 'E1',
      cause: { name: 'Error', message: `Authorization: ${R}` },
    });
    assert.doesNotMatch(JSON.stringify(line), /stack|logger\.test/);
  });

  it('logs circular fields without throwing', () => {
    const { log, parsed } = logger();
    const a: Record<string, unknown> = { id: 'a' };
    a.again = { back: a };
    log.info('cycle', { a });
    assert.deepEqual(parsed()[0]?.a, { id: 'a', again: { back: '[circular]' } });
  });

  it('keeps no secret in any line of the memory logger (the way other tests search for leaks)', () => {
    const memory = createMemoryLogger();
    memory
      .child({ correlationId: GUID })
      .debug('call', { url: `/t?key=${B64_40}`, body: `{"client_secret":"${B64URL_32}"}` });
    assert.equal(memory.lines.length, 1);
    for (const secret of [B64_40, B64URL_32]) assert.ok(!memory.lines[0]?.includes(secret));
    assert.ok(memory.lines[0]?.includes(GUID));
  });

  it('writes nothing below its level', () => {
    const lines: string[] = [];
    const log = createJsonLogger({ level: 'warn', write: (l) => lines.push(l) });
    log.debug('d');
    log.info('i');
    log.warn('w');
    assert.equal(lines.length, 1);
  });
});

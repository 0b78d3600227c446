/**
 * The edge guard and the push verifier without emulators (issue 10 #1, #3, #5): a plain HTTP server with the guard
 * in front of a handler that records what reached it, and the verifier against the local stand-in issuer.
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  BODY_LIMITS,
  guardRequest,
  servedTarget,
  type FunctionName,
  type GuardedRequest,
} from '../../../functions/edge.js';
import {
  GOOGLE_CERTS_URL,
  GOOGLE_ISSUERS,
  createPushVerifier,
} from '../../../shared/adapters/pubsub/pubsub.push-auth.js';
import { createMemoryLogger } from '../../../shared/observability/logger.js';
import { startLocalIssuer, type LocalIssuer } from '../../sim/identity/local-issuer.js';

interface Answer {
  status: number;
  text: string;
}

function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: '127.0.0.1', port, path, method: options.method ?? 'POST', headers: options.headers ?? {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() });
        });
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') resolve({ status: 0, text: '' });
      else reject(error);
    });
    req.end(options.body);
  });
}

describe('edge guard', () => {
  let server: Server;
  let port = 0;
  const reached: { fn: string; body: unknown; raw: string | undefined }[] = [];
  const logger = createMemoryLogger();

  before(async () => {
    server = createServer((req, res) => {
      const fn = (req.url ?? '/').slice(1) as FunctionName;
      guardRequest(
        fn,
        req,
        res,
        () => {
          const guarded = req as GuardedRequest;
          reached.push({ fn, body: guarded.body, raw: guarded.rawBody?.toString() });
          res.writeHead(200).end('{"ok":true}');
        },
        logger,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('lets a well-formed request through with its body read and parsed', async () => {
    reached.length = 0;
    const body = JSON.stringify({ activityGuids: ['a'] });
    const answer = await send(port, '/severaWebhook', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    assert.equal(answer.status, 200);
    assert.deepEqual(reached, [{ fn: 'severaWebhook', body: { activityGuids: ['a'] }, raw: body }]);
    assert.equal((await send(port, '/calendarPush', {})).status, 200, 'a push without a body');
  });

  it('refuses before the handler: methods, encodings, sizes, types and malformed JSON', async () => {
    reached.length = 0;
    const json = { 'content-type': 'application/json' };
    const cases: [string, Parameters<typeof send>[2], number][] = [
      ['/severaWebhook', { method: 'GET' }, 405],
      ['/severaWebhook', { headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync('{}') }, 415],
      ['/severaWebhook', { headers: { ...json, 'content-encoding': 'deflate, gzip' }, body: 'x' }, 415],
      ['/severaWebhook', { headers: json, body: 'x'.repeat(BODY_LIMITS.severaWebhook + 1) }, 413],
      ['/severaWebhook', { headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
      ['/severaWebhook', { headers: json, body: '{"a": secret-text' }, 400],
      ['/severaWebhook', { headers: json, body: '['.repeat(50_000) }, 400],
      ['/calendarPush', { headers: json, body: '{}' }, 413],
      ['/syncWorker', { headers: json, body: 'x'.repeat(BODY_LIMITS.syncWorker + 1) }, 413],
    ];
    for (const [path, options, status] of cases) {
      const answer = await send(port, path, options);
      // 0: the connection was closed right after the answer, with the body still being sent.
      assert.ok(
        [status, 0].includes(answer.status),
        `${path} ${JSON.stringify(options.headers)}: ${String(answer.status)}`,
      );
      if (answer.status !== 0) {
        assert.doesNotThrow(() => JSON.parse(answer.text) as unknown, 'our own JSON');
        assert.ok(!answer.text.includes('secret-text'), 'never echoes the body');
      }
    }
    assert.deepEqual(reached, []);
    assert.ok(!logger.lines.join('\n').includes('secret-text'), 'the body is never logged');
  });

  it('knows which function a Functions Framework process serves', () => {
    assert.equal(servedTarget(['node', 'ff', '--target=syncWorker'], {}), 'syncWorker');
    assert.equal(servedTarget(['node', 'ff', '--target', 'calendarPush'], {}), 'calendarPush');
    assert.equal(servedTarget(['node', 'x'], { FUNCTION_TARGET: 'syncTick' }), 'syncTick');
    assert.equal(servedTarget(['node', 'x'], {}), undefined);
  });
});

describe('push verifier (Pub/Sub authenticated push)', () => {
  let issuer: LocalIssuer;
  const audience = 'https://sync.example/syncWorker';
  const account = 'push@project.iam.gserviceaccount.com';

  before(async () => {
    issuer = await startLocalIssuer({ target: 'http://127.0.0.1:9', audience, serviceAccount: account });
  });

  after(async () => {
    await issuer.close();
  });

  it("accepts the push account's token for the audience, and nothing else", async () => {
    const verify = createPushVerifier({
      audience,
      serviceAccount: account,
      certsUrl: issuer.certsUrl,
      issuers: [issuer.issuer],
      verifiedByCloudRun: false,
    });
    const bearer = (t: string) => `Bearer ${t}`;
    assert.deepEqual(await verify(bearer(issuer.sign({ aud: audience, email: account }))), { ok: true });
    const refused = [
      undefined,
      '',
      'Basic abc',
      'Bearer not-a-jwt',
      bearer(issuer.sign({ aud: 'https://elsewhere.example', email: account })),
      bearer(issuer.sign({ aud: audience, email: 'other@project.iam.gserviceaccount.com' })),
      bearer(issuer.sign({ aud: audience, email: account, expiresIn: -600 })),
      bearer(issuer.sign({ aud: audience, email: account, emailVerified: false })),
      // The payload of a valid token with another signature.
      (() => {
        const [h, p] = issuer.sign({ aud: audience, email: account }).split('.');
        return bearer(`${h ?? ''}.${p ?? ''}.${Buffer.from('forged').toString('base64url')}`);
      })(),
    ];
    for (const header of refused) {
      const check = await verify(header);
      assert.equal(check.ok, false, String(header).slice(0, 40));
    }
  });

  it("a production configuration (Google as issuer) refuses the local issuer's tokens", async () => {
    const verify = createPushVerifier(
      {
        audience,
        serviceAccount: account,
        certsUrl: GOOGLE_CERTS_URL,
        issuers: [...GOOGLE_ISSUERS],
        verifiedByCloudRun: false,
      },
      // Google's certificates are not reachable here; whatever they are, they are not the local key.
      () => Promise.resolve({}),
    );
    assert.equal((await verify(`Bearer ${issuer.sign({ aud: audience, email: account })}`)).ok, false);
  });

  it("behind Cloud Run's IAM: accepts the push account's token as Cloud Run hands it on, refuses a still-signed one", async () => {
    const now = Date.parse('2026-03-02T08:00:00Z');
    const verify = createPushVerifier(
      {
        audience,
        serviceAccount: account,
        certsUrl: GOOGLE_CERTS_URL,
        issuers: [...GOOGLE_ISSUERS],
        verifiedByCloudRun: true,
      },
      () => Promise.reject(new Error('no certificates are fetched: Cloud Run checked the signature')),
      () => now,
    );
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      iss: 'https://accounts.google.com',
      aud: audience,
      email: account,
      email_verified: true,
      iat: now / 1000 - 10,
      exp: now / 1000 + 3590,
    };
    const token = (over: Record<string, unknown> = {}, signature = 'SIGNATURE_REMOVED_BY_GOOGLE') =>
      `Bearer ${part({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${part({ ...claims, ...over })}.${signature}`;
    assert.deepEqual(await verify(token()), { ok: true });
    const refused: [string | undefined, string][] = [
      [undefined, 'no push token'],
      [
        token({}, Buffer.from('a real signature').toString('base64url')),
        'push token not checked by Cloud Run',
      ],
      [token({ aud: 'https://elsewhere.example' }), 'push token audience'],
      [token({ iss: 'https://evil.example' }), 'push token issuer'],
      [token({ exp: now / 1000 - 301 }), 'push token expired'],
      [token({ iat: now / 1000 + 301 }), 'push token from the future'],
      [token({ email: 'other@project.iam.gserviceaccount.com' }), 'push token of another account'],
      [token({ email_verified: false }), 'push token of another account'],
      ['Bearer a.b', 'push token malformed'],
      [`Bearer ${part({ alg: 'none' })}.${part(claims)}.SIGNATURE_REMOVED_BY_GOOGLE`, 'push token malformed'],
    ];
    for (const [header, reason] of refused) {
      const check = await verify(header);
      assert.equal(check.ok, false, String(header).slice(0, 60));
      assert.ok('reason' in check && check.reason.startsWith(reason), `${reason}: ${JSON.stringify(check)}`);
    }
  });

  it('refuses everything when push authentication is not configured', async () => {
    const check = await createPushVerifier(null)(`Bearer ${issuer.sign({ aud: audience, email: account })}`);
    assert.deepEqual(check, {
      ok: false,
      reason: 'push authentication is not configured (PUSH_AUTH_AUDIENCE, PUSH_AUTH_SERVICE_ACCOUNT)',
    });
  });
});

/**
 * P12 → PEM (google-calendar.md §5) and the per-user delegated clients: explicit scopes and subject, one cached
 * client per user, the token request sent to a configurable endpoint and never retried by gaxios itself.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, sign, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import forge from 'node-forge';

import {
  CALENDAR_SCOPE,
  DelegatedAuth,
  GOOGLE_TOKEN_URL,
  privateKeyPemFromP12,
} from '../../../../shared/adapters/google-calendar/google.auth.js';
import { PermanentError } from '../../../../shared/domain/index.js';
import { generateServiceAccountKey, type ServiceAccountKey } from '../../../sim/calendar/keys.js';

const SA = 'sync@demo-project.iam.gserviceaccount.com';
let key: ServiceAccountKey;

function configurationError(password: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof PermanentError, String(e));
    assert.equal(e.code, 'configuration');
    assert.ok(!e.userMessage.includes(password), `password in: ${e.userMessage}`);
    assert.ok(!e.message.includes(password));
    assert.equal(e.cause, undefined, 'no library error (with its bytes) rides along');
    return true;
  };
}

/** A P12 of `key` with other settings than Google's (own password, no friendlyName). */
function p12Of(pem: string, certificatePem: string, password: string, friendlyName?: string): Buffer {
  const asn1 = forge.pkcs12.toPkcs12Asn1(
    forge.pki.privateKeyFromPem(pem),
    [forge.pki.certificateFromPem(certificatePem)],
    password,
    { algorithm: '3des', ...(friendlyName === undefined ? {} : { friendlyName }) },
  );
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

before(() => {
  key = generateServiceAccountKey(SA);
});

describe('privateKeyPemFromP12', () => {
  it('reads the key of a Google-style P12 (password notasecret, friendlyName privatekey): it signs RS256 verifiably', () => {
    const pem = privateKeyPemFromP12(key.p12);
    assert.match(pem, /^-----BEGIN RSA PRIVATE KEY-----/);
    const data = Buffer.from('header.payload');
    const signature = sign('RSA-SHA256', data, createPrivateKey(pem));
    assert.ok(verify('RSA-SHA256', data, new X509Certificate(key.certificatePem).publicKey, signature));
    assert.equal(pem.replace(/\r/g, ''), key.privateKeyPem.replace(/\r/g, ''));
  });

  it('reads a P12 with another password and no friendlyName (the shrouded key bag)', () => {
    const pem = privateKeyPemFromP12(
      p12Of(key.privateKeyPem, key.certificatePem, 'Other-pass-42'),
      'Other-pass-42',
    );
    const data = Buffer.from('x');
    assert.ok(verify('RSA-SHA256', data, key.publicKeyPem, sign('RSA-SHA256', data, pem)));
  });

  it('refuses a wrong password with words an admin can act on, never echoing the password', () => {
    const wrong = 'Tr0ub4dor&3-wrong';
    assert.throws(() => privateKeyPemFromP12(key.p12, wrong), configurationError(wrong));
    try {
      privateKeyPemFromP12(key.p12, wrong);
    } catch (error) {
      assert.ok(error instanceof PermanentError);
      assert.match(error.userMessage, /password/);
      assert.match(
        error.userMessage,
        /notasecret/,
        'the default is named when the admin typed something else',
      );
    }
  });

  it('refuses a file that is not a P12, and never names the default password when that was the one given', () => {
    for (const input of [
      Buffer.from('hello, not a key'),
      Buffer.from(key.privateKeyPem),
      Buffer.from('3003020101', 'hex'),
    ]) {
      assert.throws(() => privateKeyPemFromP12(input, 'notasecret'), configurationError('notasecret'));
      try {
        privateKeyPemFromP12(input);
      } catch (error) {
        assert.ok(error instanceof PermanentError);
        assert.match(error.userMessage, /PKCS#12/);
      }
    }
  });
});

describe('DelegatedAuth', () => {
  let server: Server;
  let url = '';
  const requests: { path: string; body: string }[] = [];
  let status = 200;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          status === 200
            ? JSON.stringify({
                access_token: `ya29.local-${requests.length}`,
                token_type: 'Bearer',
                expires_in: 3599,
              })
            : JSON.stringify({ error: 'internal_failure', error_description: 'boom' }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('impersonates each user with explicit calendar scope, one cached client per user', () => {
    const auth = new DelegatedAuth({
      serviceAccountEmail: SA,
      privateKeyPem: key.privateKeyPem,
      tokenUrl: url,
    });
    const a = auth.clientFor('Aino@Demo.Example');
    assert.equal(a, auth.clientFor('aino@demo.example'), 'cached, case-insensitively');
    assert.notEqual(a, auth.clientFor('ben@demo.example'));
    assert.equal(a.subject, 'aino@demo.example');
    assert.deepEqual(a.scopes, [CALENDAR_SCOPE]);
    assert.equal(a.email, SA);
    assert.equal(auth.size, 2);
    auth.forget('aino@demo.example');
    assert.notEqual(
      auth.clientFor('aino@demo.example'),
      a,
      'a forgotten user gets a new client (a new token)',
    );
  });

  it('sends the JWT-bearer grant to the configured token URL, with sub, scope and Google’s audience', async () => {
    requests.length = 0;
    status = 200;
    const auth = new DelegatedAuth({
      serviceAccountEmail: SA,
      privateKeyPem: key.privateKeyPem,
      tokenUrl: url,
    });
    const client = auth.clientFor('aino@demo.example');
    const { token } = await client.getAccessToken();
    assert.equal(token, 'ya29.local-1');
    await client.getAccessToken();
    assert.equal(requests.length, 1, 'the token is cached');
    const form = new URLSearchParams(requests[0]?.body);
    assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    const [header, payload, signature] = (form.get('assertion') ?? '').split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    assert.equal(claims.iss, SA);
    assert.equal(claims.sub, 'aino@demo.example');
    assert.equal(claims.scope, CALENDAR_SCOPE);
    assert.equal(claims.aud, GOOGLE_TOKEN_URL);
    assert.ok(
      verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        key.publicKeyPem,
        Buffer.from(signature ?? '', 'base64url'),
      ),
    );
  });

  it('leaves retrying to the adapter: a failing token endpoint is asked once', async () => {
    requests.length = 0;
    status = 500;
    const auth = new DelegatedAuth({
      serviceAccountEmail: SA,
      privateKeyPem: key.privateKeyPem,
      tokenUrl: url,
    });
    await assert.rejects(auth.clientFor('aino@demo.example').getAccessToken());
    assert.equal(requests.length, 1);
    status = 200;
  });

  it('refuses a key that is not a PEM private key without echoing it', () => {
    const notAKey =
      '-----BEGIN RSA PRIVATE KEY-----\nTUlJRW93SUJBQUtDQVFFQXNlY3JldA==\n-----END RSA PRIVATE KEY-----';
    assert.throws(
      () => new DelegatedAuth({ serviceAccountEmail: SA, privateKeyPem: notAKey }),
      (e: unknown) =>
        e instanceof PermanentError && e.code === 'configuration' && !e.message.includes('TUlJRW93'),
    );
    assert.throws(
      () => new DelegatedAuth({ serviceAccountEmail: 'not an e-mail', privateKeyPem: key.privateKeyPem }),
      (e: unknown) => e instanceof PermanentError && e.code === 'configuration',
    );
    assert.throws(
      () => new DelegatedAuth({ serviceAccountEmail: SA, privateKeyPem: key.privateKeyPem, scopes: [] }),
      RangeError,
    );
  });
});

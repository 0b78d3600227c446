/**
 * A local stand-in for Google's token issuer and for Pub/Sub's authenticated push (issue 10 #3). The Pub/Sub emulator
 * pushes without a token; in production the push subscription adds `Authorization: Bearer <ID token>` signed by
 * Google for its service account. Locally the emulator pushes to this relay, which adds a token signed with its own
 * RSA key and forwards the request to the functions; the functions verify it exactly as in production, against the
 * certificates this server publishes the way Google does (`GET /oauth2/v1/certs` → `{ kid: PEM }`). A request sent
 * to the functions directly carries no token and is refused.
 */
import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';

export interface IdTokenClaims {
  readonly aud: string;
  readonly email: string;
  /** Seconds from now until expiry (default one hour); negative makes an expired token. */
  readonly expiresIn?: number;
  readonly emailVerified?: boolean;
}

export interface LocalIssuer {
  /** The `iss` of its tokens. */
  readonly issuer: string;
  readonly certsUrl: string;
  /** The relay's base URL: `<relay>/<path>` is forwarded to `<target>/<path>` with a fresh token. */
  readonly relayUrl: string;
  sign(claims: IdTokenClaims): string;
  close(): Promise<void>;
}

export interface LocalIssuerOptions {
  /** Where the relay forwards to (the functions' base URL). */
  readonly target: string;
  readonly audience: string;
  readonly serviceAccount: string;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export async function startLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let issuer = '';

  const sign = (claims: IdTokenClaims): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64({ alg: 'RS256', typ: 'JWT', kid });
    const payload = b64({
      iss: issuer,
      aud: claims.aud,
      azp: claims.email,
      sub: claims.email,
      email: claims.email,
      email_verified: claims.emailVerified ?? true,
      iat: now,
      exp: now + (claims.expiresIn ?? 3600),
    });
    const signer = createSign('RSA-SHA256');
    signer.update(`${header}.${payload}`);
    return `${header}.${payload}.${signer.sign(privateKey).toString('base64url')}`;
  };

  const target = new URL(options.target);
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/oauth2/v1/certs') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [kid]: publicPem }));
      return;
    }
    // The push relay: what Pub/Sub's authenticated push adds, nothing else.
    const headers = { ...req.headers, host: target.host };
    headers.authorization = `Bearer ${sign({ aud: options.audience, email: options.serviceAccount })}`;
    const forward = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname.replace(/\/$/, '')}${req.url ?? '/'}`,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${String(port)}`;
  issuer = base;
  return {
    issuer,
    certsUrl: `${base}/oauth2/v1/certs`,
    relayUrl: base,
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

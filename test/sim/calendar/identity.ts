/**
 * Google's identity provider as far as the console's sign-in needs it: ID tokens for the people of the directory,
 * signed RS256 with the simulator's own key, whose public half is published the way Google publishes its keys —
 * `GET /oauth2/v1/certs` (`{ kid: X.509 PEM }`, what google-auth-library fetches in Node) and `GET /oauth2/v3/certs`
 * (a JWKS, what it fetches in a browser). The claims are those of a Google Identity Services credential:
 * `iss`, `azp` and `aud` (the OAuth client id), `sub` (a stable numeric account id), `hd` (the Workspace domain),
 * `email`, `email_verified`, `name`, `iat`, `exp`, `jti`.
 *
 * The signing key is never the service account's: a person's sign-in and the sync's delegation are separate trusts.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

import forge from 'node-forge';
import { z } from 'zod';

/** The `iss` of Google's ID tokens; google-auth-library also accepts the bare `accounts.google.com`. */
export const GOOGLE_ID_TOKEN_ISSUER = 'https://accounts.google.com';
/** Google's ID tokens live an hour. */
export const DEFAULT_ID_TOKEN_SECONDS = 3600;
export const CERTS_V1_PATH = '/oauth2/v1/certs';
export const CERTS_V3_PATH = '/oauth2/v3/certs';
/**
 * Google serves its certificates with a `max-age` of hours; google-auth-library caches them that long and does not
 * refetch for an unknown `kid`. A simulator restarted with a new key must be picked up soon, hence five minutes.
 */
export const CERTS_CACHE_CONTROL = 'public, max-age=300, must-revalidate, no-transform';

/** `POST /_sim/id-token` and `sim.issueIdToken`. */
export const idTokenRequestSchema = z.strictObject({
  email: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'expected an e-mail address'),
  /** The OAuth client id the token is for (`aud` and `azp`). */
  audience: z.string().min(1),
  /** Lifetime from `iat`; negative gives a token that expired that long ago. Default one hour. */
  expiresInSeconds: z.number().int().optional(),
  /** The `nonce` of an OpenID Connect authentication request, returned as is in the token's `nonce` claim. */
  nonce: z.string().min(1).max(512).optional(),
});
export type IdTokenRequest = z.infer<typeof idTokenRequestSchema>;

/** One RS256 signing key with the forms it is published in. */
export interface IdTokenSigningKey {
  /** 40 hex digits, as Google's key ids look: the SHA-1 of the public key. */
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** A self-signed X.509 certificate of the public key (the v1 certs format). */
  readonly certificatePem: string;
  /** The JWKS entry (the v3 certs format). */
  readonly jwk: { kid: string; kty: 'RSA'; alg: 'RS256'; use: 'sig'; n: string; e: string };
}

export function createIdTokenSigningKey(): IdTokenSigningKey {
  // Node makes the key (much faster than node-forge); node-forge only wraps its public half in a certificate.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha1').update(spki).digest('hex');
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `0${kid.slice(0, 15)}`;
  cert.validity.notBefore = new Date(Date.UTC(2020, 0, 1));
  cert.validity.notAfter = new Date(Date.UTC(2099, 11, 31));
  const subject = [{ name: 'commonName', value: 'accounts.google.com (calendar simulator)' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  );
  const { n, e } = publicKey.export({ format: 'jwk' });
  if (n === undefined || e === undefined) throw new RangeError('the RSA key has no modulus or exponent');
  return {
    kid,
    privateKey,
    // node-forge ends lines with CRLF; Google's certificates use LF.
    certificatePem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'),
    jwk: { kid, kty: 'RSA', alg: 'RS256', use: 'sig', n, e },
  };
}

/** `GET /oauth2/v1/certs`: `{ kid: PEM certificate }`. */
export const certsV1 = (key: IdTokenSigningKey): Record<string, string> => ({
  [key.kid]: key.certificatePem,
});

/** `GET /oauth2/v3/certs`: a JWKS. */
export const certsV3 = (key: IdTokenSigningKey): { keys: IdTokenSigningKey['jwk'][] } => ({
  keys: [key.jwk],
});

/**
 * A Google account id for an address: 21 digits starting with 1, like Google's `sub`, the same in every run and
 * every simulator instance, so a test or the console can keep it.
 */
export function googleAccountId(email: string): string {
  const digest = createHash('sha256').update(`google-account:${email.toLowerCase()}`).digest();
  const digits = (BigInt(`0x${digest.toString('hex')}`) % 10n ** 20n).toString().padStart(20, '0');
  return `1${digits}`;
}

export interface IdTokenSubject {
  readonly email: string;
  readonly name: string | undefined;
  /** The Workspace domain (`hd`). */
  readonly domain: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs the ID token Google would hand to the console for `subject`; times are from `nowMs` (the sim's clock). */
export function signIdToken(
  key: IdTokenSigningKey,
  subject: IdTokenSubject,
  request: IdTokenRequest,
  nowMs: number,
): string {
  const iat = Math.floor(nowMs / 1000);
  const header = b64({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
  const payload = b64({
    iss: GOOGLE_ID_TOKEN_ISSUER,
    azp: request.audience,
    aud: request.audience,
    sub: googleAccountId(subject.email),
    hd: subject.domain,
    email: subject.email,
    email_verified: true,
    ...(subject.name === undefined ? {} : { name: subject.name }),
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
    iat,
    exp: iat + (request.expiresInSeconds ?? DEFAULT_ID_TOKEN_SECONDS),
    jti: randomBytes(20).toString('hex'),
  });
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

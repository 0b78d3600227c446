/**
 * Service-account authentication with domain-wide delegation (reference/google-calendar.md §5):
 * - the P12 key Google issues is converted to a PEM with node-forge (google-auth-library no longer reads `.p12`);
 * - one google-auth-library `JWT` per impersonated user, with **explicit scopes** (without them `subject` is silently
 *   ignored and calls run as the service account itself), cached per instance so a warm function reuses tokens;
 * - the token endpoint can be pointed elsewhere (the simulator): google-auth-library 11 hard-codes
 *   `https://oauth2.googleapis.com/token` in `gtoken/getToken.js`, so a request interceptor on the client's own
 *   `transporter` (a Gaxios instance) rewrites that URL. The assertion's `aud` stays Google's URL, which the
 *   simulator accepts as Google does.
 * Gaxios' own retries are switched off on that transporter: the adapter's `withRetry` is the single retry policy
 * (gtoken asks gaxios to retry token POSTs, googleapis-common asks it to retry API calls).
 * No key, token, assertion or password ever goes into an error message or a log line.
 */
import { createPrivateKey } from 'node:crypto';

import { JWT, gaxios } from 'google-auth-library';
import forge from 'node-forge';

import { PermanentError } from '../../domain/index.js';

/** The one scope the sync needs and the Workspace admin delegates (SPEC §2). */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
/** Google's OAuth token endpoint, hard-coded in google-auth-library 11 (`gtoken/getToken.js`). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** The password of every P12 key Google issues (google-calendar.md §5). */
export const DEFAULT_P12_PASSWORD = 'notasecret';
/** Per-request timeout; a hung connection becomes a retryable timeout rather than a stuck worker. */
export const DEFAULT_TIMEOUT_MS = 30_000;

const P12_FRIENDLY_NAME = 'privatekey';

function p12Error(reason: string, password: string): PermanentError {
  // The default password is named only when the admin typed something else: a message must never echo a password.
  const hint =
    password === DEFAULT_P12_PASSWORD
      ? ''
      : ` Keys downloaded from the Google Cloud console use Google's default password "${DEFAULT_P12_PASSWORD}".`;
  return new PermanentError('configuration', `${reason}${hint}`);
}

/**
 * The RSA private key of a Google service-account `.p12` file as a PKCS#1 PEM (an "RSA PRIVATE KEY" block), the form
 * `new JWT({ key })` takes. Throws {@link PermanentError} `configuration` with a message an admin can act on (wrong
 * password, not a P12 file, no key inside); the message never contains the password or key bytes.
 */
export function privateKeyPemFromP12(
  p12: Buffer | Uint8Array,
  password: string = DEFAULT_P12_PASSWORD,
): string {
  let asn1: forge.asn1.Asn1;
  try {
    asn1 = forge.asn1.fromDer(Buffer.from(p12).toString('binary'));
  } catch {
    throw p12Error(
      'The uploaded key is not a PKCS#12 (.p12) file: upload the .p12 key file of the service account as downloaded from the Google Cloud console.',
      password,
    );
  }
  let pfx: forge.pkcs12.Pkcs12Pfx;
  try {
    pfx = forge.pkcs12.pkcs12FromAsn1(asn1, password);
  } catch (error) {
    const mac = error instanceof Error && /MAC could not be verified|password/i.test(error.message);
    throw p12Error(
      mac
        ? 'The .p12 key could not be opened with the password given: check the password of the key file.'
        : 'The uploaded key is not a readable PKCS#12 (.p12) file: upload the .p12 key file of the service account as downloaded from the Google Cloud console.',
      password,
    );
  }
  const named = pfx.getBags({ friendlyName: P12_FRIENDLY_NAME }).friendlyName ?? [];
  const shroudedOid = forge.pki.oids.pkcs8ShroudedKeyBag ?? '1.2.840.113549.1.12.10.1.2';
  const plainOid = forge.pki.oids.keyBag ?? '1.2.840.113549.1.12.10.1.1';
  const shrouded = pfx.getBags({ bagType: shroudedOid })[shroudedOid] ?? [];
  const plain = pfx.getBags({ bagType: plainOid })[plainOid] ?? [];
  // forge leaves `key` null (not just undefined) on a bag it could not decrypt, whatever its typings say.
  const keyOf = (bag: forge.pkcs12.Bag) => (bag.key as forge.pki.rsa.PrivateKey | null | undefined) ?? null;
  const key = [...named, ...shrouded, ...plain].map(keyOf).find((k) => k !== null) ?? null;
  if (key === null) {
    throw p12Error(
      shrouded.length > 0
        ? 'The private key inside the .p12 file could not be decrypted with the password given: check the password of the key file.'
        : 'The .p12 file holds no private key: download a new P12 key for the service account in the Google Cloud console.',
      password,
    );
  }
  return forge.pki.privateKeyToPem(key);
}

export interface DelegatedAuthOptions {
  readonly serviceAccountEmail: string;
  /** PEM private key (PKCS#1 or PKCS#8), e.g. from {@link privateKeyPemFromP12}. */
  readonly privateKeyPem: string;
  /** Token endpoint; Google's by default, the simulator's `/token` locally. */
  readonly tokenUrl?: string;
  /** Defaults to the calendar scope; must be non-empty or delegation is silently skipped (§5 "Gotcha"). */
  readonly scopes?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * One {@link JWT} per impersonated user (`subject` = the user's e-mail), cached for the life of this instance. Each
 * JWT caches its own access token (about an hour, refreshed 5 minutes early by google-auth-library), so a warm
 * instance requests one token per user per hour.
 */
export class DelegatedAuth {
  readonly serviceAccountEmail: string;
  readonly tokenUrl: string;
  readonly #key: string;
  readonly #scopes: string[];
  readonly #timeoutMs: number;
  readonly #clients = new Map<string, JWT>();

  constructor(options: DelegatedAuthOptions) {
    if (!/^[^@\s]+@[^@\s]+$/.test(options.serviceAccountEmail)) {
      throw new PermanentError(
        'configuration',
        "The service account e-mail is not an e-mail address: enter the service account's e-mail (…@….iam.gserviceaccount.com).",
      );
    }
    try {
      createPrivateKey(options.privateKeyPem);
    } catch {
      throw new PermanentError(
        'configuration',
        "The service account private key is not a readable PEM key: upload the service account's .p12 key again.",
      );
    }
    const scopes = [...(options.scopes ?? [CALENDAR_SCOPE])];
    if (scopes.length === 0) {
      // Without scopes google-auth-library signs a self-signed JWT as the service account and ignores `subject`.
      throw new RangeError('DelegatedAuth needs at least one scope, or impersonation is silently skipped');
    }
    this.serviceAccountEmail = options.serviceAccountEmail;
    this.tokenUrl = options.tokenUrl ?? GOOGLE_TOKEN_URL;
    this.#key = options.privateKeyPem;
    this.#scopes = scopes;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The cached client impersonating `subject` (created on first use). */
  clientFor(subject: string): JWT {
    const key = subject.toLowerCase();
    let client = this.#clients.get(key);
    if (client === undefined) {
      client = new JWT({
        email: this.serviceAccountEmail,
        key: this.#key,
        scopes: this.#scopes,
        subject: key,
        transporter: singlePolicyTransporter(this.tokenUrl, this.#timeoutMs),
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Drops the cached client of `subject`, so the next call signs a new assertion and fetches a new token. */
  forget(subject: string): void {
    this.#clients.delete(subject.toLowerCase());
  }

  /** How many users have a cached client. */
  get size(): number {
    return this.#clients.size;
  }
}

/**
 * A Gaxios transporter that sends Google's token requests to `tokenUrl` and never retries by itself. Request
 * interceptors run on the prepared options, where `url` is a `URL`.
 */
function singlePolicyTransporter(tokenUrl: string, timeoutMs: number): gaxios.Gaxios {
  const transporter = new gaxios.Gaxios({ retry: false, timeout: timeoutMs });
  transporter.interceptors.request.add({
    resolved: (config) => {
      if (tokenUrl !== GOOGLE_TOKEN_URL && config.url.href === GOOGLE_TOKEN_URL)
        config.url = new URL(tokenUrl);
      config.retry = false;
      config.retryConfig = { ...config.retryConfig, retry: 0, noResponseRetries: 0 };
      config.timeout ??= timeoutMs;
      return Promise.resolve(config);
    },
  });
  return transporter;
}

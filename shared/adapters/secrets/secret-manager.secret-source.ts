/**
 * Secrets from Google Secret Manager (production, SPEC §11 "secrets only in Secret Manager"), read as
 * `projects/{project}/secrets/{name}/versions/latest` and kept in memory for a while: a function instance reads
 * each secret once per TTL, not once per invocation.
 *
 * Values are text. A binary value (a P12 added with `gcloud secrets versions add --data-file=key.p12`) is not valid
 * UTF-8 and comes back base64-encoded, as the {@link SecretSource} port promises; one saved as base64 text by
 * {@link SecretManagerSource.putSecret} comes back as that same text.
 *
 * The client's own retry is switched off for our calls (its default for AccessSecretVersion waits 2 s before the
 * first retry and up to 600 s in all); the repo's {@link withRetry} retries with injected sleep and clock instead,
 * then a {@link TransientError} reaches Pub/Sub as a redelivery.
 *
 * The SDK is imported on first use (its `require()` costs ~150 ms: local-emulators.md §5). No message, log line or
 * error quotes a secret value.
 */
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';

import { PermanentError, RateLimitedError, TransientError, type SyncError } from '../../domain/errors.js';
import { nullLogger } from '../../observability/logger.js';
import type { Clock, Sleep } from '../../ports/clock.port.js';
import type { Logger } from '../../ports/logger.port.js';
import type { SecretStore } from '../../ports/index.js';
import { withRetry, type RetryPolicy } from '../retry.js';
import { GRPC, grpcCode, grpcStatusName } from '../grpc-status.js';
import { realSleep, systemClock } from '../system-time.js';
import { SecretMissingError, assertSecretName } from './secret-name.js';

/** `SecretManagerServiceClient` options: `apiEndpoint`, `port` and `sslCreds` point it at a local fake. */
export type SecretManagerClientOptions = NonNullable<
  ConstructorParameters<typeof SecretManagerServiceClient>[0]
>;

/** The status name only: the server's detail text is left in `cause`, so no message can carry a request's value. */
const statusName = grpcStatusName;

/** Default {@link SecretManagerSourceOptions.ttlMs}: a rotated secret reaches every instance within 5 minutes. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/** A few quick attempts: a function instance would rather fail and be redelivered than hang on a secret. */
export const SECRET_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 0,
};

export interface SecretManagerSourceOptions {
  /** The Google Cloud project holding the secrets. */
  readonly projectId: string;
  /** How long a value read is served from memory; 0 reads on every `get`. */
  readonly ttlMs?: number;
  readonly clock?: Clock;
  /** Passed to the client, created on first use; e.g. `{ apiEndpoint, port, sslCreds }` for a local fake. */
  readonly clientOptions?: SecretManagerClientOptions;
  /** Deadline of one RPC. */
  readonly callTimeoutMs?: number;
  readonly retryPolicy?: RetryPolicy;
  readonly sleep?: Sleep;
  /** In [0, 1), for the backoff jitter. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

interface Cached {
  readonly value: string;
  readonly expiresAt: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class SecretManagerSource implements SecretStore {
  readonly #options: SecretManagerSourceOptions;
  readonly #projectId: string;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache = new Map<string, Cached>();
  /** One read per name at a time: concurrent cold `get`s share it. */
  readonly #reading = new Map<string, Promise<string>>();
  /** Saves per name by this instance: a read that started before a save must not cache the older value. */
  readonly #saves = new Map<string, number>();
  #client: Promise<SecretManagerServiceClient> | null = null;

  constructor(options: SecretManagerSourceOptions) {
    this.#options = options;
    this.#projectId = options.projectId;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? nullLogger;
  }

  async get(name: string): Promise<string> {
    assertSecretName(name);
    const cached = this.#cache.get(name);
    if (cached !== undefined && this.#clock.now().getTime() < cached.expiresAt) return cached.value;
    let reading = this.#reading.get(name);
    if (reading === undefined) {
      reading = this.#read(name).finally(() => this.#reading.delete(name));
      this.#reading.set(name, reading);
    }
    return reading;
  }

  /**
   * Stores `value` as the secret's newest version, creating the secret (automatic replication) if it is missing:
   * the org setup's save (S1). The version is added first and the secret created only when Google says it does not
   * exist, so an account that may add versions to existing secrets (Terraform makes them empty, infra/) needs no
   * right to create secrets. This instance serves the new value at once; others within their TTL.
   */
  async putSecret(name: string, value: string): Promise<void> {
    assertSecretName(name);
    const client = await this.#connect();
    const parent = `projects/${this.#projectId}`;
    const add = () =>
      this.#call(name, 'write', async () => {
        try {
          const [version] = await client.addSecretVersion(
            { parent: `${parent}/secrets/${name}`, payload: { data: Buffer.from(value, 'utf8') } },
            this.#callOptions(),
          );
          return version;
        } catch (error) {
          if (grpcCode(error) === GRPC.NOT_FOUND) return null;
          throw error;
        }
      });
    let created = false;
    let version = await add();
    if (version === null) {
      await this.#call(name, 'create', async () => {
        try {
          await client.createSecret(
            { parent, secretId: name, secret: { replication: { automatic: {} } } },
            this.#callOptions(),
          );
          created = true;
        } catch (error) {
          // Made meanwhile by another save: the version goes into that one.
          if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
        }
      });
      version = await add();
      if (version === null)
        throw new TransientError(`secret ${name} could not be written (NOT_FOUND after creating it)`);
    }
    this.#saves.set(name, (this.#saves.get(name) ?? 0) + 1);
    this.#remember(name, value);
    this.#logger.info('secret version added', { name, created, version: version.name ?? null });
  }

  /** Forgets cached values (e.g. after a failed login that a rotated credential may explain). */
  invalidate(name?: string): void {
    if (name === undefined) this.#cache.clear();
    else this.#cache.delete(name);
  }

  /** Closes the client (tests; function instances keep theirs for their lifetime). */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client !== null) await (await client).close();
  }

  async #read(name: string): Promise<string> {
    const saves = this.#saves.get(name);
    const client = await this.#connect();
    const [response] = await this.#call(name, 'read', () =>
      client.accessSecretVersion(
        { name: `projects/${this.#projectId}/secrets/${name}/versions/latest` },
        this.#callOptions(),
      ),
    );
    const data = response.payload?.data;
    const bytes =
      typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data ?? new Uint8Array());
    if (bytes.length === 0) {
      throw new PermanentError(
        'configuration',
        `Secret "${name}" in project ${this.#projectId} is empty: add a version that holds the value ` +
          `(gcloud secrets versions add ${name} --project=${this.#projectId} --data-file=FILE).`,
      );
    }
    let value: string;
    try {
      value = utf8.decode(bytes);
    } catch {
      value = bytes.toString('base64');
    }
    if (this.#saves.get(name) === saves) this.#remember(name, value);
    this.#logger.debug('secret read', { name, version: response.name ?? null });
    return value;
  }

  #remember(name: string, value: string): void {
    if (this.#ttlMs > 0) {
      this.#cache.set(name, { value, expiresAt: this.#clock.now().getTime() + this.#ttlMs });
    }
  }

  #callOptions(): { timeout: number; retry: null } {
    return { timeout: this.#options.callTimeoutMs ?? 10_000, retry: null };
  }

  /** Runs one RPC with the retry policy, its failures typed by {@link classifySecretManagerError}. */
  #call<T>(name: string, action: 'read' | 'write' | 'create', operation: () => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        try {
          return await operation();
        } catch (error) {
          throw classifySecretManagerError(error, { name, projectId: this.#projectId, action });
        }
      },
      {
        policy: this.#options.retryPolicy ?? SECRET_RETRY_POLICY,
        sleep: this.#options.sleep ?? realSleep,
        random: this.#options.random ?? Math.random,
        onRetry: ({ attempt, delayMs, error }) => {
          this.#logger.warn('secret manager call failed, retrying', {
            name,
            action,
            attempt,
            delayMs,
            code: error.code,
          });
        },
      },
    );
  }

  #connect(): Promise<SecretManagerServiceClient> {
    this.#client ??= (async () => {
      const sdk = await import('@google-cloud/secret-manager');
      return new sdk.SecretManagerServiceClient(this.#options.clientOptions);
    })();
    return this.#client;
  }
}

/**
 * The typed error for a failed Secret Manager call on secret `name`. Messages tell the operator what to do and
 * quote names only (the server's detail text stays in `cause`).
 */
export function classifySecretManagerError(
  error: unknown,
  context: {
    readonly name: string;
    readonly projectId: string;
    readonly action: 'read' | 'write' | 'create';
  },
): SyncError {
  const { name, projectId, action } = context;
  const options = { cause: error };
  const status = statusName(error);
  switch (grpcCode(error)) {
    case GRPC.NOT_FOUND:
      return action === 'read'
        ? new SecretMissingError(
            `Secret "${name}" was not found in project ${projectId} (or has no version yet). Create it: ` +
              `gcloud secrets create ${name} --project=${projectId} --replication-policy=automatic --data-file=FILE ` +
              `(FILE holding the value), or save the organisation settings again.`,
            options,
          )
        : new PermanentError(
            'configuration',
            `Secret "${name}" disappeared from project ${projectId} while it was being saved; save again.`,
            options,
          );
    case GRPC.FAILED_PRECONDITION:
      return new PermanentError(
        'configuration',
        `The latest version of secret "${name}" in project ${projectId} is disabled or destroyed: add a new one ` +
          `(gcloud secrets versions add ${name} --project=${projectId} --data-file=FILE).`,
        options,
      );
    case GRPC.PERMISSION_DENIED:
      return new PermanentError(
        'configuration',
        action === 'read'
          ? `The service account may not read secret "${name}" in project ${projectId}: grant it ` +
              `roles/secretmanager.secretAccessor on the secret (gcloud secrets add-iam-policy-binding ${name} ` +
              `--project=${projectId} --member=serviceAccount:EMAIL --role=roles/secretmanager.secretAccessor).`
          : `The service account may not ${action === 'create' ? 'create' : 'add a version to'} secret "${name}" ` +
              `in project ${projectId}: grant it ${action === 'create' ? 'roles/secretmanager.admin' : 'roles/secretmanager.secretVersionAdder'} ` +
              `(or create the secret once by hand: gcloud secrets create ${name} --project=${projectId}).`,
        options,
      );
    case GRPC.UNAUTHENTICATED:
      return new PermanentError(
        'configuration',
        `Secret Manager refused the credentials while ${action === 'read' ? 'reading' : 'saving'} secret "${name}" ` +
          `(${status}): check the service account ` +
          `the function runs as.`,
        options,
      );
    case GRPC.INVALID_ARGUMENT:
      return new PermanentError(
        'configuration',
        `Secret Manager rejected the request for secret "${name}" in project ${projectId} (${status}): ` +
          `check the project id and secret name.`,
        options,
      );
    case GRPC.RESOURCE_EXHAUSTED:
      return new RateLimitedError(
        `Secret Manager quota exceeded for secret "${name}" (${status}).`,
        null,
        options,
      );
    default:
      return new TransientError(
        `Secret Manager call for secret "${name}" failed (${status}); retry later.`,
        null,
        options,
      );
  }
}

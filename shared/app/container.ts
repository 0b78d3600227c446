/**
 * The composition root (SPEC §5): builds every adapter once per instance from the parsed configuration and the
 * secret source, and hands the worker and the tick their dependencies. The same code serves production (Secret
 * Manager, Google, Severa) and the local stack (env/file secrets, the simulators, the emulators): only configuration
 * differs.
 */
import { createHash, randomUUID } from 'node:crypto';

import { Firestore } from '@google-cloud/firestore';

import { firestoreStores, type FirestoreStores } from '../adapters/firestore/index.js';
import type { GoogleCalendarAdapter } from '../adapters/google-calendar/google-calendar.adapter.js';
import { PubSubSyncRequestPublisher } from '../adapters/pubsub/pubsub.publisher.js';
import { EnvSecretSource } from '../adapters/secrets/env.secret-source.js';
import { SecretManagerSource } from '../adapters/secrets/secret-manager.secret-source.js';
import { SecretMissingError } from '../adapters/secrets/secret-name.js';
import type { SeveraAdapter } from '../adapters/severa/severa.adapter.js';
import { realSleep, systemClock } from '../adapters/system-time.js';
import { sharedRateLimiter, type RateLimiter } from '../adapters/throttle.js';
import { SECRET_NAMES, type AppConfig } from '../config.js';
import { PermanentError } from '../domain/index.js';
import { createJsonLogger } from '../observability/logger.js';
import type { Clock, Logger, OrgConfig, SecretStore, Sleep, SyncRequestPublisher } from '../ports/index.js';
import { DEFAULT_TICK_OPTIONS, type TickDeps } from './sync-tick.js';
import { DEFAULT_WORKER_OPTIONS, type WorkerDeps } from './sync-worker.js';

export interface ContainerOverrides {
  readonly clock?: Clock;
  /** Backoff waits of the adapters' retries. */
  readonly sleep?: Sleep;
  /** Waits for a busy user's lease (real time by default, even when `sleep` is replaced). */
  readonly leaseSleep?: Sleep;
  readonly logger?: Logger;
  readonly firestore?: Firestore;
  readonly secrets?: SecretStore;
  readonly publisher?: SyncRequestPublisher;
  readonly severaRateLimiter?: RateLimiter;
  /** Fault injection for tests: called after every durable step of a run. */
  readonly onStep?: (step: string) => void;
}

/** A service account and its private key (PEM), as {@link AdapterFactories.openGoogleKey} opened it. */
export interface GoogleCredentials {
  readonly serviceAccountEmail: string;
  readonly privateKeyPem: string;
}

/** A Severa REST API client credential. */
export interface SeveraCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The one place the API clients are built, for given credentials: the stored ones ({@link Container.severa},
 * {@link Container.calendar}) and the org setup's candidates, checked before anything is saved. Each call builds a
 * new adapter (with this configuration's URLs, waits, clock, logger and Severa pacing); nothing is cached here.
 */
export interface AdapterFactories {
  /**
   * The private key (PEM) of a service account's `.p12` key file; Google's default password when none is given.
   * Throws {@link PermanentError} `configuration` in words an admin can act on; never echoes the key or password.
   */
  readonly openGoogleKey: (p12: Buffer, password?: string) => Promise<string>;
  readonly makeCalendar: (credentials: GoogleCredentials) => Promise<GoogleCalendarAdapter>;
  readonly makeSevera: (credentials: SeveraCredentials) => Promise<SeveraAdapter>;
}

export interface Container {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly stores: FirestoreStores;
  readonly secrets: SecretStore;
  readonly publisher: SyncRequestPublisher;
  /** Builds the API adapters for given credentials (the org setup checks its candidates with them). */
  readonly adapters: AdapterFactories;
  /** The Severa adapter (its client secret read from the secret source once). */
  severa(): Promise<SeveraAdapter>;
  /** The org's configuration as stored (the service account e-mail and the sync settings). */
  orgConfig(): Promise<OrgConfig>;
  /** The Google adapter for the configured service account (its key read from the secret source once). */
  calendar(): Promise<GoogleCalendarAdapter>;
  workerDeps(): Promise<WorkerDeps>;
  tickDeps(): Promise<TickDeps>;
  /** Closes the clients (Firestore, Pub/Sub) so a process can exit. */
  close(): Promise<void>;
}

/** How often an instance reads the organisation's credentials again to see whether they were rotated. */
export const CREDENTIALS_RECHECK_MS = 5 * 60_000;

export function createSecretStore(config: AppConfig, logger: Logger): SecretStore {
  if (config.secrets.source === 'env') {
    return new EnvSecretSource({
      env: process.env,
      ...(config.secrets.file ? { file: config.secrets.file } : {}),
    });
  }
  if (config.projectId === null) {
    throw new PermanentError('configuration', 'GOOGLE_CLOUD_PROJECT is required to read Secret Manager.');
  }
  return new SecretManagerSource({ projectId: config.projectId, logger });
}

/** Reads an optional secret: null when it is not set (any other failure is thrown). */
async function optionalSecret(secrets: SecretStore, name: string): Promise<string | null> {
  try {
    return await secrets.get(name);
  } catch (error) {
    if (error instanceof SecretMissingError) return null;
    throw error;
  }
}

export function createContainer(config: AppConfig, overrides: ContainerOverrides = {}): Container {
  const clock = overrides.clock ?? systemClock;
  const sleep = overrides.sleep ?? realSleep;
  const logger =
    overrides.logger ?? createJsonLogger({ level: config.logLevel, fields: { org: config.orgId } });
  const firestore =
    overrides.firestore ?? new Firestore({ ...(config.projectId ? { projectId: config.projectId } : {}) });
  const stores = firestoreStores({ firestore, orgId: config.orgId });
  const secrets = overrides.secrets ?? createSecretStore(config, logger);
  const publisher = overrides.publisher ?? createPublisher(config, logger);
  const adapters = adapterFactories(config, { clock, sleep, logger }, overrides.severaRateLimiter);
  const stored: StoredCredentials = { config, stores, secrets, adapters };
  const rotation = { clock, logger };

  const container: Container = {
    config,
    logger,
    clock,
    stores,
    secrets,
    publisher,
    adapters,
    orgConfig: () => storedOrgConfig(stores),
    severa: rebuiltOnRotation('Severa', rotation, () => storedSeveraCredentials(stored)),
    calendar: rebuiltOnRotation('Google', rotation, () => storedGoogleCredentials(stored)),
    workerDeps: () => workerDeps(container, overrides),
    tickDeps: () => tickDeps(container),
    async close() {
      await firestore.terminate();
      const closable = publisher as SyncRequestPublisher & { close?: () => Promise<void> };
      if (typeof closable.close === 'function') await closable.close();
    },
  };
  return container;
}

function createPublisher(config: AppConfig, logger: Logger): SyncRequestPublisher {
  return new PubSubSyncRequestPublisher({
    topic: config.syncRequestsTopic,
    logger,
    orgId: config.orgId,
    ...(config.projectId ? { clientConfig: { projectId: config.projectId } } : {}),
  });
}

/** What every API adapter is built with besides its credentials. */
interface AdapterBasics {
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly logger: Logger;
}

function adapterFactories(
  config: AppConfig,
  { clock, sleep, logger }: AdapterBasics,
  severaRateLimiter: RateLimiter | undefined,
): AdapterFactories {
  // The API clients are imported on first use: a function that never calls an API does not load them.
  const makeSevera = async ({ clientId, clientSecret }: SeveraCredentials): Promise<SeveraAdapter> => {
    const [{ SeveraHttpClient }, { SeveraAdapter }] = await Promise.all([
      import('../adapters/severa/severa.client.js'),
      import('../adapters/severa/severa.adapter.js'),
    ]);
    const client = new SeveraHttpClient({
      clientId,
      clientSecret,
      baseUrl: config.severa.apiUrl,
      clock,
      sleep,
      logger,
      rateLimiter:
        severaRateLimiter ??
        sharedRateLimiter(`${config.severa.apiUrl}|${clientId}`, {
          ratePerSecond: config.severa.ratePerSecond,
          clock,
          sleep,
        }),
    });
    return new SeveraAdapter({ client, clock, logger });
  };
  const openGoogleKey = async (p12: Buffer, password?: string): Promise<string> => {
    const { privateKeyPemFromP12 } = await import('../adapters/google-calendar/google.auth.js');
    return privateKeyPemFromP12(p12, password);
  };
  const makeCalendar = async ({
    serviceAccountEmail,
    privateKeyPem,
  }: GoogleCredentials): Promise<GoogleCalendarAdapter> => {
    const { GoogleCalendarAdapter } = await import('../adapters/google-calendar/google-calendar.adapter.js');
    return new GoogleCalendarAdapter({
      serviceAccountEmail,
      privateKeyPem,
      rootUrl: config.google.rootUrl,
      tokenUrl: config.google.tokenUrl,
      sleep,
      clock,
      logger,
    });
  };
  return { openGoogleKey, makeCalendar, makeSevera };
}

/** Credentials as read now, and how to build an adapter from them. */
interface ReadCredentials<T> {
  /** Which credentials these are, without keeping them: see {@link fingerprintOf}. */
  readonly fingerprint: string;
  readonly build: () => Promise<T>;
}

/**
 * An API adapter built from the organisation's credentials, kept for the instance and rebuilt when they change: they
 * are read again at most every {@link CREDENTIALS_RECHECK_MS}, so a key or secret rotated in the console reaches
 * every running instance within minutes (the secret source caches values for as long again), with no redeploy. A
 * re-read that fails keeps the adapter in use; only an instance with none yet fails.
 */
function rebuiltOnRotation<T>(
  what: string,
  { clock, logger }: { readonly clock: Clock; readonly logger: Logger },
  read: () => Promise<ReadCredentials<T>>,
): () => Promise<T> {
  let current: { adapter: Promise<T>; fingerprint: string; checkedAt: number } | null = null;
  let checking: Promise<T> | null = null;
  return () => {
    const now = clock.now().getTime();
    if (current !== null && now - current.checkedAt < CREDENTIALS_RECHECK_MS) return current.adapter;
    checking ??= (async () => {
      const kept = current;
      let credentials;
      try {
        credentials = await read();
      } catch (error) {
        if (kept === null) throw error;
        logger.warn(`${what} credentials could not be read again; the current ones are kept`, { error });
        kept.checkedAt = now;
        return kept.adapter;
      }
      if (kept !== null && kept.fingerprint === credentials.fingerprint) {
        kept.checkedAt = now;
        return kept.adapter;
      }
      const adapter = credentials.build();
      current = { adapter, fingerprint: credentials.fingerprint, checkedAt: now };
      if (kept !== null) logger.info(`${what} credentials changed: the adapter is rebuilt`);
      try {
        return await adapter;
      } catch (error) {
        current = kept;
        throw error;
      }
    })().finally(() => {
      checking = null;
    });
    return checking;
  };
}

/** Which credentials an adapter was built from, without keeping them: a hash of each value. */
function fingerprintOf(...values: readonly string[]): string {
  return values.map((v) => createHash('sha256').update(v).digest('hex')).join(':');
}

/** Where the organisation's credentials are read from, and what builds an adapter from them. */
interface StoredCredentials {
  readonly config: AppConfig;
  readonly stores: FirestoreStores;
  readonly secrets: SecretStore;
  readonly adapters: AdapterFactories;
}

async function storedSeveraCredentials({
  config,
  stores,
  secrets,
  adapters,
}: StoredCredentials): Promise<ReadCredentials<SeveraAdapter>> {
  const stored = await stores.orgConfig.getOrgConfig();
  const clientId = stored?.severaClientId ?? config.severa.clientId;
  const clientSecret = await secrets.get(SECRET_NAMES.severaClientSecret);
  return {
    fingerprint: fingerprintOf(clientId, clientSecret),
    build: () => adapters.makeSevera({ clientId, clientSecret }),
  };
}

async function storedGoogleCredentials({
  stores,
  secrets,
  adapters,
}: StoredCredentials): Promise<ReadCredentials<GoogleCalendarAdapter>> {
  const { serviceAccountEmail } = await storedOrgConfig(stores);
  const p12 = await secrets.get(SECRET_NAMES.googleP12);
  const password = (await optionalSecret(secrets, SECRET_NAMES.googleP12Password)) ?? undefined;
  return {
    fingerprint: fingerprintOf(serviceAccountEmail, p12, password ?? ''),
    build: async () =>
      adapters.makeCalendar({
        serviceAccountEmail,
        privateKeyPem: await adapters.openGoogleKey(Buffer.from(p12, 'base64'), password),
      }),
  };
}

async function storedOrgConfig(stores: FirestoreStores): Promise<OrgConfig> {
  const stored = await stores.orgConfig.getOrgConfig();
  if (!stored) {
    throw new PermanentError(
      'configuration',
      'The organisation is not set up yet: run the org setup (npm run cli -- org setup) first.',
    );
  }
  return stored;
}

async function workerDeps(container: Container, overrides: ContainerOverrides): Promise<WorkerDeps> {
  const { config, stores, clock, logger } = container;
  return {
    severa: await container.severa(),
    calendar: await container.calendar(),
    ...stores,
    clock,
    sleep: overrides.leaseSleep ?? realSleep,
    logger,
    options: {
      ...DEFAULT_WORKER_OPTIONS,
      leaseTtlMs: config.intervals.leaseTtlMs,
      maxMessageAgeMs: config.intervals.maxMessageAgeMs,
      instanceId: INSTANCE_ID,
    },
    ...(overrides.onStep ? { onStep: overrides.onStep } : {}),
  };
}

async function tickDeps(container: Container): Promise<TickDeps> {
  const { config, stores, publisher, clock, logger } = container;
  return {
    severa: await container.severa(),
    channels: await container.calendar(),
    store: stores.store,
    users: stores.users,
    orgConfig: stores.orgConfig,
    publisher,
    clock,
    logger,
    options: {
      ...DEFAULT_TICK_OPTIONS,
      safetySyncIntervalMs: config.intervals.safetySyncMs,
      reconcileIntervalMs: config.intervals.reconcileMs,
      pushAddress: config.pushAddress,
    },
  };
}

/** Identifies this instance in lease records. */
const INSTANCE_ID = randomUUID().slice(0, 8);

/**
 * The whole system on one machine (SPEC §8): the official Firestore and Pub/Sub emulators, both API simulators with
 * the demo organisation, the four functions served by the Functions Framework behind one local HTTP server, real
 * Pub/Sub push subscriptions from the emulator to `syncWorker` and `syncTick`, a stand-in for Cloud Scheduler, and
 * the calendar simulator's push channels pointing at `calendarPush`. Used by `npm start` (scripts/start.ts) and by
 * the end-to-end tests, which start their own stack.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import { PubSub } from '@google-cloud/pubsub';

import { createContainer, type Container } from '../shared/app/container.js';
import { createOperator, type Operator } from '../shared/app/operator/index.js';
import { maintain } from '../shared/app/sync-tick.js';
import { sendSeveraNotice } from '../shared/app/webhook-signature.js';
import {
  deliveryPolicies,
  ensureDeadLetterTopic,
  ensurePushSubscription,
  ensureTopic,
} from '../shared/adapters/pubsub/pubsub.publisher.js';
import { EnvSecretSource } from '../shared/adapters/secrets/env.secret-source.js';
import { SECRET_NAMES, parseConfig } from '../shared/config.js';
import { createJsonLogger, type LogLevel } from '../shared/observability/logger.js';
import type { Logger } from '../shared/ports/index.js';
import {
  DEMO_DOMAIN,
  DEMO_SERVICE_ACCOUNT,
  createCalendarSim,
  createDemoKey,
  demoFixture as calendarDemo,
  type CalendarSim,
} from '../test/sim/calendar/index.js';
import { startLocalIssuer, type IdTokenClaims } from '../test/sim/identity/index.js';
import {
  DEMO_CREDENTIALS,
  DEMO_USERS,
  createSeveraSim,
  demoFixture as severaDemo,
  type SeveraSim,
} from '../test/sim/severa/index.js';
import {
  EMULATOR_PROJECT,
  emulatorStatus,
  freePort,
  startEmulator,
  type EmulatorHandle,
} from './emulators.js';

export interface LocalStackOptions {
  /** Names this stack's org, topics and files (`npm start` uses "local"; tests a random one). */
  readonly id?: string;
  /** Port of the functions' HTTP server (0: a free one). */
  readonly functionsPort?: number;
  readonly severaPort?: number;
  readonly calendarPort?: number;
  /** The Cloud Scheduler stand-in's period (production: 60 s). */
  readonly tickIntervalMs?: number;
  /** The tick's second poll (production: 30 s; 0 polls once per tick). */
  readonly secondPollDelayMs?: number;
  /** Where the demo secrets file and the CLI's env file go. */
  readonly stateDir?: string;
  /** Who has sync on at start (the demo's Aino and Ben by default; Cecilia stays off to show S5). */
  readonly syncing?: readonly string[];
  readonly logLevel?: LogLevel;
  /** Log lines go here (default stdout). */
  readonly writeLog?: (line: string) => void;
  /** Extra configuration (e.g. `SAFETY_SYNC_INTERVAL_MS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Simulated latency of every API call of both simulators (SPEC §10 measures with 100 ms). */
  readonly apiLatencyMs?: number;
}

export interface LocalStack {
  readonly functionsUrl: string;
  readonly severaSim: SeveraSim;
  readonly calendarSim: CalendarSim;
  readonly container: Container;
  /** What the operator CLI does (org setup, user disable/status/preview/resync). */
  readonly operator: Operator;
  readonly projectId: string;
  readonly topics: { readonly syncRequests: string; readonly syncTick: string };
  /** Env file with this stack's configuration, for `npm run cli -- --env-file <it>`. */
  readonly envFile: string;
  readonly demoUsers: readonly { readonly name: string; readonly email: string; readonly syncing: boolean }[];
  /** Posts a signed change notice to `severaWebhook`, as a relay watching Severa would. */
  notifySevera(activityGuids: readonly string[]): Promise<number>;
  /** Publishes one scheduler tick now. */
  tick(): Promise<void>;
  /**
   * An ID token from the stack's stand-in issuer, by default exactly what its authenticated push presents (tests
   * forge the rest: another audience or account, expired).
   */
  pushToken(claims?: Partial<IdTokenClaims>): string;
  stop(): Promise<void>;
}

/** The OAuth client id the local console's sign-in tokens are for, and the demo administrator. */
export const LOCAL_CONSOLE_CLIENT_ID = 'local-console.apps.googleusercontent.com';
const DEMO_ADMIN = 'aino@demo.example';

const DEMO_PEOPLE = [
  { name: 'Aino Aalto', email: 'aino@demo.example', guid: DEMO_USERS.helsinki },
  { name: 'Ben Brown', email: 'ben@demo.example', guid: DEMO_USERS.newYork },
  { name: 'Cecilia Carlsson', email: 'cecilia@demo.example', guid: DEMO_USERS.london },
] as const;

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // One process stands in for Cloud Run's front end, which queues a burst rather than refusing connections: a
    // deep accept queue (Linux caps it at net.core.somaxconn) keeps a burst's connections from timing out while
    // the event loop is busy (Node's default is 511).
    server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/**
 * Mounts each registered function under `/<name>` on one server (the framework serves one per process), each behind
 * the same edge guard a deployed function has in front of the framework (functions/edge.ts).
 */
async function functionsServer(): Promise<Server> {
  await import('../functions/index.js');
  const { FUNCTION_NAMES, guardRequest, isFunctionName } = await import('../functions/edge.js');
  const { invocationLogger } = await import('../functions/runtime.js');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const servers = new Map<string, Server>(FUNCTION_NAMES.map((n) => [n, getTestServer(n)]));
  return createServer((req, res) => {
    const [, name = '', ...rest] = (req.url ?? '/').split('/');
    const target = servers.get(name);
    if (!target || !isFunctionName(name)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such function"}');
      return;
    }
    req.url = `/${rest.join('/')}`;
    guardRequest(
      name,
      req,
      res,
      () => {
        target.emit('request', req, res);
      },
      invocationLogger('edge', undefined),
    );
  });
}

/** Starts the official Firestore and Pub/Sub emulators unless the environment already names running ones. */
export async function ensureEmulators(cleanups: (() => Promise<void>)[]): Promise<void> {
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  for (const name of ['firestore', 'pubsub'] as const) {
    const variable = name === 'firestore' ? 'FIRESTORE_EMULATOR_HOST' : 'PUBSUB_EMULATOR_HOST';
    if (process.env[variable]) continue;
    const status = emulatorStatus(name);
    if (!status.ok) throw new Error(`${status.reason}. See docs/local-stack.md.`);
    const handle: EmulatorHandle = await startEmulator(name);
    // The variable goes with the emulator: a later stack in the same process starts its own instead of a dead one.
    cleanups.push(async () => {
      await handle.stop();
      if (process.env[variable] === handle.host) Reflect.deleteProperty(process.env, variable);
    });
    process.env[variable] = handle.host;
  }
}

/** Serves the four functions on one local port; returns its base URL. */
export async function serveFunctions(port: number, cleanups: (() => Promise<void>)[]): Promise<string> {
  const server = await functionsServer();
  const bound = await listen(server, port);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return `http://127.0.0.1:${String(bound)}`;
}

/**
 * The topics, and push subscriptions from them to `syncWorker` and `syncTick` (what Cloud Functions sets up), with
 * production's delivery policy (`DELIVERY_POLICY`): backoff between redeliveries, and after the last attempt the
 * message goes to `<topic>-dead-letter`, kept on the pull subscription of the same name for `npm run cli --
 * dead-letters list|replay`. The dead-letter topics and subscriptions outlive the stack, like the topics.
 */
export async function wirePubSub(
  projectId: string,
  functionsUrl: string,
  topics: { readonly syncRequests: string; readonly syncTick: string },
  cleanups: (() => Promise<void>)[],
): Promise<PubSub> {
  const pubsub = new PubSub({ projectId, apiEndpoint: process.env.PUBSUB_EMULATOR_HOST ?? '' });
  cleanups.push(() => pubsub.close());
  for (const [topic, fn] of [
    [topics.syncRequests, 'syncWorker'],
    [topics.syncTick, 'syncTick'],
  ] as const) {
    await ensureTopic(pubsub, topic);
    await ensureDeadLetterTopic(pubsub, topic);
    await ensurePushSubscription(pubsub, {
      topic,
      name: `${topic}-${fn}`,
      endpoint: `${functionsUrl}/${fn}/projects/${projectId}/topics/${topic}`,
      ackDeadlineSeconds: 60,
      ...deliveryPolicies(topic),
    });
    cleanups.push(async () => {
      await pubsub.subscription(`${topic}-${fn}`).delete();
    });
  }
  return pubsub;
}

/** Cloud Scheduler's stand-in: publishes a tick every `intervalMs`; returns "tick now". */
export function startScheduler(
  pubsub: PubSub,
  topic: string,
  intervalMs: number,
  logger: Logger,
  cleanups: (() => Promise<void>)[],
): () => Promise<void> {
  const tickTopic = pubsub.topic(topic);
  const tick = async () => {
    await tickTopic.publishMessage({ json: { at: new Date().toISOString() } });
  };
  const interval = setInterval(() => {
    void tick().catch((error: unknown) => {
      logger.warn('scheduler tick could not be published', { error });
    });
  }, intervalMs);
  cleanups.push(() => {
    clearInterval(interval);
    return Promise.resolve();
  });
  return tick;
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // keep stopping the rest
      }
    }
  };
  try {
    return await start(options, cleanups, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

async function start(
  options: LocalStackOptions,
  cleanups: (() => Promise<void>)[],
  stop: () => Promise<void>,
): Promise<LocalStack> {
  const stackId = options.id ?? randomUUID().slice(0, 8);

  // 1. The official emulators (reused when the environment already names them).
  await ensureEmulators(cleanups);
  const projectId = EMULATOR_PROJECT;

  // 2. The simulators with the demo organisation.
  const severaSim = createSeveraSim();
  severaSim.seed(severaDemo);
  await severaSim.start(options.severaPort ?? 0);
  cleanups.push(() => severaSim.stop());
  const key = createDemoKey();
  const calendarSim = createCalendarSim();
  calendarSim.seed(calendarDemo(key));
  await calendarSim.start(options.calendarPort ?? 0);
  cleanups.push(() => calendarSim.stop());
  if (options.apiLatencyMs) {
    severaSim.faults.set([{ route: '*', latencyMs: options.apiLatencyMs }]);
    calendarSim.setFaults([{ route: '*', latencyMs: options.apiLatencyMs }]);
  }

  // 3. The functions' server first: its address is where pushes go. Pub/Sub's pushes reach it through the stand-in
  // for its authenticated push, which signs each one as the push service account (test/sim/identity).
  const functionsUrl = await serveFunctions(options.functionsPort ?? (await freePort()), cleanups);
  const pushServiceAccount = `pubsub-push@${projectId}.iam.gserviceaccount.com`;
  const pushIssuer = await startLocalIssuer({
    target: functionsUrl,
    audience: functionsUrl,
    serviceAccount: pushServiceAccount,
  });
  cleanups.push(() => pushIssuer.close());

  // 4. Configuration and secrets, as a deployment would have them (env source instead of Secret Manager).
  const stateDir = options.stateDir ?? join(import.meta.dirname, '..', '.local');
  mkdirSync(stateDir, { recursive: true });
  const secretsFile = join(stateDir, `secrets-${stackId}.json`);
  const topics = { syncRequests: `sync-requests-${stackId}`, syncTick: `sync-tick-${stackId}` };
  const env: Record<string, string> = {
    GOOGLE_CLOUD_PROJECT: projectId,
    METADATA_SERVER_DETECTION: 'none',
    FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST ?? '',
    PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST ?? '',
    ORG_ID: `demo-${stackId}`,
    SECRET_SOURCE: 'env',
    SECRETS_FILE: secretsFile,
    SEVERA_API_URL: severaSim.url,
    SEVERA_CLIENT_ID: DEMO_CREDENTIALS.clientId,
    GOOGLE_API_ROOT_URL: calendarSim.url,
    GOOGLE_TOKEN_URL: calendarSim.tokenUrl,
    SYNC_REQUESTS_TOPIC: topics.syncRequests,
    PUSH_ADDRESS: `${functionsUrl}/calendarPush`,
    PUSH_AUTH_AUDIENCE: functionsUrl,
    PUSH_AUTH_SERVICE_ACCOUNT: pushServiceAccount,
    PUSH_AUTH_CERTS_URL: pushIssuer.certsUrl,
    PUSH_AUTH_ISSUERS: pushIssuer.issuer,
    // The console's sign-in: the calendar simulator plays Google's identity provider for the demo domain.
    CONSOLE_CLIENT_ID: LOCAL_CONSOLE_CLIENT_ID,
    WORKSPACE_DOMAIN: DEMO_DOMAIN,
    CONSOLE_ADMINS: DEMO_ADMIN,
    CONSOLE_CERTS_URL: calendarSim.certsUrl,
    CONSOLE_AUTHORIZE_URL: calendarSim.authorizeUrl,
    CONSOLE_ISSUERS: 'https://accounts.google.com',
    CONSOLE_DEMO_SIGN_IN: 'true',
    CONSOLE_DEMO_PEOPLE: DEMO_PEOPLE.map((p) => p.email).join(','),
    TICK_SECOND_POLL_DELAY_MS: String(options.secondPollDelayMs ?? 30_000),
    LOG_LEVEL: options.logLevel ?? 'info',
    ...options.env,
  };
  const config = parseConfig(env);
  const secrets = new EnvSecretSource({ env: {}, file: secretsFile });
  await secrets.putSecret(SECRET_NAMES.severaClientSecret, DEMO_CREDENTIALS.clientSecret);
  await secrets.putSecret(SECRET_NAMES.googleP12, key.p12.toString('base64'));
  await secrets.putSecret(SECRET_NAMES.webhookSecret, randomBytes(32).toString('base64url'));
  const envFile = join(stateDir, `local-stack-${stackId}.env`);
  if (options.id === undefined) {
    // A throwaway stack (tests) leaves no files behind.
    cleanups.push(() => {
      rmSync(secretsFile, { force: true });
      rmSync(envFile, { force: true });
      return Promise.resolve();
    });
  }
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  const logger: Logger = createJsonLogger({
    level: config.logLevel,
    fields: { org: config.orgId },
    ...(options.writeLog ? { write: options.writeLog } : {}),
  });
  const container = createContainer(config, { secrets, logger });
  const { installRuntime } = await import('../functions/runtime.js');
  installRuntime(container);
  cleanups.push(async () => {
    installRuntime(null);
    await container.close();
  });

  // 5. Pub/Sub: the topics, and authenticated push subscriptions to the functions (through the push stand-in).
  const pubsub = await wirePubSub(projectId, pushIssuer.relayUrl, topics, cleanups);

  // 6. The demo organisation's setup and the demo users' opt-in, through the operator's own service (S1, S2): the
  // key, the delegation and the Severa credential are validated before anything is saved.
  const operator = createOperator(container);
  await operator.setupOrg({
    serviceAccountEmail: DEMO_SERVICE_ACCOUNT,
    p12: key.p12,
    severaClientId: DEMO_CREDENTIALS.clientId,
    severaClientSecret: DEMO_CREDENTIALS.clientSecret,
    syncedTypeNames: ['Meeting', 'Personal', 'Customer visit'],
    testUserEmail: 'aino@demo.example',
    enable: true,
  });
  const syncing = new Set(options.syncing ?? ['aino@demo.example', 'ben@demo.example']);
  // Each demo person switches sync on for themselves, through the console API with their own sign-in (S2).
  for (const email of syncing) {
    const res = await fetch(`${functionsUrl}/console/api/me/sync`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${calendarSim.issueIdToken({ email, audience: LOCAL_CONSOLE_CLIENT_ID })}`,
      },
      body: JSON.stringify({ enabled: true }),
    });
    if (!res.ok) throw new Error(`${email} could not switch sync on: ${res.status} ${await res.text()}`);
  }
  // Push channels for the syncing users.
  await maintain(await container.tickDeps());

  // 7. Cloud Scheduler's stand-in.
  const tick = startScheduler(pubsub, topics.syncTick, options.tickIntervalMs ?? 60_000, logger, cleanups);

  const webhookSecret = await secrets.get(SECRET_NAMES.webhookSecret);
  return {
    functionsUrl,
    severaSim,
    calendarSim,
    container,
    operator,
    projectId,
    topics,
    envFile,
    demoUsers: DEMO_PEOPLE.map((p) => ({ name: p.name, email: p.email, syncing: syncing.has(p.email) })),
    notifySevera: (activityGuids) =>
      sendSeveraNotice(`${functionsUrl}/severaWebhook`, webhookSecret, activityGuids),
    tick,
    pushToken: (claims = {}) => pushIssuer.sign({ aud: functionsUrl, email: pushServiceAccount, ...claims }),
    stop,
  };
}

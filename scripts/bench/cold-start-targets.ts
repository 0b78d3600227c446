/**
 * What the cold-start bench starts and what it sends: the five functions of the deployable archive and two
 * reference functions (every production dependency imported eagerly, the anchors' way; the framework alone, the
 * floor), each with the production-like configuration of test/deploy/production-env.ts and the first request it
 * answers without calling Google.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';

import { FUNCTION_NAMES, type FunctionName } from '../../functions/edge.js';
import { signWebhook } from '../../shared/app/webhook-signature.js';
import { PRODUCTION_ENV } from '../../test/deploy/production-env.js';

/** The webhook's HMAC key, for this run only (the env secret source reads `SECRET_<NAME>`). */
const WEBHOOK_SECRET = randomBytes(24).toString('hex');

/**
 * Per function, beside the shared configuration: syncTick and syncWorker as infra/main.tf deploys them (Cloud Run
 * checks the push token's signature), and severaWebhook's key from the environment (Secret Manager cannot be reached
 * here; the env source is the one the local stack uses).
 */
const EXTRA_ENV: Readonly<Record<FunctionName, Readonly<Record<string, string>>>> = {
  calendarPush: {},
  severaWebhook: { SECRET_SOURCE: 'env', SECRET_SEVERA_WEBHOOK_SECRET: WEBHOOK_SECRET },
  syncTick: { PUSH_AUTH_VERIFIED_BY_CLOUD_RUN: 'true' },
  syncWorker: { PUSH_AUTH_VERIFIED_BY_CLOUD_RUN: 'true' },
  console: {},
};

export interface Probe {
  /** How the request reads in the notes and rows. */
  readonly what: string;
  /** A few words for the row: "handshake". */
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The status the function must answer; any other means something is broken. */
  readonly status: number;
}

export interface Target {
  /** The row's and plot's name. */
  readonly id: string;
  /** `--target`. */
  readonly target: string;
  /** `--source`, relative to the extracted folder; the archive's package.json `main` when absent. */
  readonly source?: string;
  readonly kind: 'function' | 'baseline' | 'floor';
  readonly env: Readonly<Record<string, string>>;
  /** The first request: built when sent (tokens and signatures carry the time). */
  readonly first: () => Probe;
  /** Sent right after the first where that one is answered before the container is built. */
  readonly deeper?: () => Probe;
}

/** Where the two reference functions are written inside the extracted folder. */
export const EAGER_DIR = 'bench-eager';
export const FLOOR_DIR = 'bench-floor';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * The token Cloud Run hands on to a private function after checking it: Pub/Sub's push ID token with its
 * signature replaced (shared/adapters/pubsub/pubsub.push-auth.ts, docs/deploy.md).
 */
function pushToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'https://accounts.google.com',
    aud: PRODUCTION_ENV.PUSH_AUTH_AUDIENCE,
    email: PRODUCTION_ENV.PUSH_AUTH_SERVICE_ACCOUNT,
    email_verified: true,
    iat: now,
    exp: now + 3600,
  };
  return `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}.SIGNATURE_REMOVED_BY_GOOGLE`;
}

/** A Pub/Sub push as Cloud Run forwards it: authenticated, JSON. */
function push(label: string, what: string, envelope: unknown, status: number): Probe {
  return {
    what,
    label,
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${pushToken()}` },
    body: JSON.stringify(envelope),
    status,
  };
}

/** A Severa notice signed with the webhook's key (shared/app/webhook-signature.ts), whose body is no notice. */
function signedNotice(): Probe {
  const body = '{}';
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    what: 'a correctly signed notice whose body is no notice (400 after the signature check)',
    label: 'signed non-notice',
    method: 'POST',
    path: '/',
    headers: {
      'content-type': 'application/json',
      'x-sync-timestamp': String(timestamp),
      'x-sync-signature': signWebhook(WEBHOOK_SECRET, timestamp, body),
    },
    body,
    status: 400,
  };
}

const get = (label: string, what: string, path: string, status: number): Probe => ({
  what,
  label,
  method: 'GET',
  path,
  headers: {},
  body: '',
  status,
});

function env(name: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    ...PRODUCTION_ENV,
    ...extra,
    // As Cloud Functions sets them for the framework, besides the flags.
    FUNCTION_TARGET: name,
    FUNCTION_SIGNATURE_TYPE: 'http',
    K_SERVICE: name,
  };
}

/** The environment of a bare `node` importing a module (no function target). */
export function importEnv(): Record<string, string> {
  const { FUNCTION_TARGET: _t, FUNCTION_SIGNATURE_TYPE: _s, K_SERVICE: _k, ...rest } = env('import', {});
  return rest;
}

/** The first requests per function: the earliest 2xx each answers without Google (severaWebhook has none). */
const PROBES: Readonly<Record<FunctionName, { first: () => Probe; deeper?: () => Probe }>> = {
  calendarPush: {
    first: () => ({
      what: 'the channel handshake (x-goog-resource-state: sync), answered before the container is built',
      label: 'handshake',
      method: 'POST',
      path: '/',
      headers: { 'x-goog-resource-state': 'sync' },
      body: '',
      status: 200,
    }),
    deeper: () => ({
      what: 'a POST that is no notification (400 after the container is built)',
      label: 'non-notification',
      method: 'POST',
      path: '/',
      headers: {},
      body: '',
      status: 400,
    }),
  },
  severaWebhook: { first: signedNotice },
  syncTick: {
    first: () =>
      push(
        'push ack',
        'an authenticated push without a message (acked 204 after the container is built)',
        {},
        204,
      ),
  },
  syncWorker: {
    first: () =>
      push(
        'push ack',
        'an authenticated push of a malformed sync request (acked 204 as undeliverable after the container is built)',
        { message: { data: 'e30=', messageId: '1' } },
        204,
      ),
  },
  console: {
    first: () => get('page', 'the page (GET /)', '/', 200),
    deeper: () =>
      get(
        'API without sign-in',
        'an API call without a sign-in (GET /api/me, 401 after the console modules load)',
        '/api/me',
        401,
      ),
  },
};

/** Every target of the bench: the five functions, then the baseline and the floor. */
export function targets(): Target[] {
  const hello = () => get('hello', 'GET / (the function answers 200 at once)', '/', 200);
  return [
    ...FUNCTION_NAMES.map((name): Target => ({
      id: name,
      target: name,
      kind: 'function',
      env: env(name, EXTRA_ENV[name]),
      ...PROBES[name],
    })),
    {
      id: 'baseline: every dependency eager',
      target: 'eager',
      source: EAGER_DIR,
      kind: 'baseline',
      env: env('eager', {}),
      first: hello,
    },
    {
      id: 'floor: the framework alone',
      target: 'floor',
      source: FLOOR_DIR,
      kind: 'floor',
      env: env('floor', {}),
      first: hello,
    },
  ];
}

/** The baseline: a tiny HTTP function whose module imports every production dependency at load. */
export function eagerModule(dependencies: readonly string[]): string {
  return [
    '// Written by scripts/bench/cold-start.ts: the way a function using the whole SDK loads.',
    ...dependencies.map((d) => `import ${JSON.stringify(d)};`),
    "import * as functions from '@google-cloud/functions-framework';",
    "functions.http('eager', (req, res) => { res.status(200).send('ok'); });",
    '',
  ].join('\n');
}

/** The floor: the same function importing nothing but the framework. */
export function floorModule(): string {
  return [
    '// Written by scripts/bench/cold-start.ts: what the framework alone costs.',
    "import * as functions from '@google-cloud/functions-framework';",
    "functions.http('floor', (req, res) => { res.status(200).send('ok'); });",
    '',
  ].join('\n');
}

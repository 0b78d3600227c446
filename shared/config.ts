/**
 * Runtime configuration, parsed once per instance from the environment (Cloud Functions sets it with
 * `--set-env-vars`; the local stack from `.env`). Secrets are not here: only the *names* under which the
 * {@link import('./ports/index.js').SecretSource} finds them.
 */
import { z } from 'zod';

import { LOG_LEVELS } from './observability/logger.js';

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? null : v))
  .pipe(z.url().nullable());

const positiveMs = z.coerce.number().int().positive();

const envSchema = z.object({
  ORG_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, "-" and "_" only, at most 64')
    .default('default'),
  GOOGLE_CLOUD_PROJECT: z.string().trim().min(1).optional(),
  GCLOUD_PROJECT: z.string().trim().min(1).optional(),
  SEVERA_API_URL: z.url().default('https://api.severa.visma.com/rest-api'),
  SEVERA_CLIENT_ID: z.string().trim().default(''),
  GOOGLE_API_ROOT_URL: z.url().default('https://www.googleapis.com/'),
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  SECRET_SOURCE: z.enum(['secret-manager', 'env']).default('secret-manager'),
  SECRETS_FILE: z.string().trim().optional(),
  SYNC_REQUESTS_TOPIC: z.string().trim().min(3).default('sync-requests'),
  PUSH_ADDRESS: optionalUrl.default(null),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  SAFETY_SYNC_INTERVAL_MS: positiveMs.default(15 * 60_000),
  RECONCILE_INTERVAL_MS: positiveMs.default(60 * 60_000),
  LEASE_TTL_MS: positiveMs.default(10 * 60_000),
  MAX_MESSAGE_AGE_MS: positiveMs.default(24 * 3_600_000),
  /**
   * Severa requests per second from one instance. Severa allows 10 per organisation: with N worker instances, set
   * 8 / N (or cap the worker at one instance).
   */
  SEVERA_RATE_PER_SECOND: z.coerce.number().positive().max(10).default(8),
  /** The tick's second org poll, this long after the first (0: one poll per tick). */
  TICK_SECOND_POLL_DELAY_MS: z.coerce.number().int().min(0).max(50_000).default(30_000),
  /** The tick's upkeep (safety syncs, reconciles, channels) runs every this many minutes (it reads every person). */
  TICK_MAINTENANCE_EVERY_MINUTES: z.coerce.number().int().min(1).max(15).default(5),
  /**
   * Pub/Sub's authenticated push to `syncTick` and `syncWorker` (issue 10 #3): the audience the push subscriptions
   * put in their OIDC tokens and the service account they sign as. Without both, every push is refused.
   */
  PUSH_AUTH_AUDIENCE: z.string().trim().max(2048).default(''),
  PUSH_AUTH_SERVICE_ACCOUNT: z.union([z.literal(''), z.email()]).default(''),
  /** Where the token issuer publishes its certificates (Google's; the local stack's own issuer locally). */
  PUSH_AUTH_CERTS_URL: z.url().default('https://www.googleapis.com/oauth2/v1/certs'),
  PUSH_AUTH_ISSUERS: z.string().trim().min(1).default('accounts.google.com,https://accounts.google.com'),
  /**
   * Deployed behind Cloud Run's IAM (the functions private, only the push account may invoke them): Cloud Run checks
   * the token's signature and hands it on without it (pubsub.push-auth.ts). Only for that deployment shape.
   */
  PUSH_AUTH_VERIFIED_BY_CLOUD_RUN: z
    .enum(['true', 'false', ''])
    .default('')
    .transform((v) => v === 'true'),
  /**
   * The console (issue 11): people sign in with Google. The OAuth client id their ID tokens are for, the Workspace
   * domain they must belong to (`hd`), and the e-mails of the administrators. Without a client id and a domain the
   * console refuses every call.
   */
  CONSOLE_CLIENT_ID: z.string().trim().max(256).default(''),
  WORKSPACE_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^(([a-z0-9-]+\.)+[a-z]{2,})?$/, 'a domain name such as example.com')
    .default(''),
  CONSOLE_ADMINS: z.string().trim().default(''),
  /** Where the sign-in tokens' issuer publishes its certificates (Google's; locally the calendar simulator's). */
  CONSOLE_CERTS_URL: z.url().default('https://www.googleapis.com/oauth2/v1/certs'),
  CONSOLE_ISSUERS: z.string().trim().min(1).default('accounts.google.com,https://accounts.google.com'),
  /**
   * The OpenID Connect authorization endpoint the page sends people to for their ID token (Google's; locally the
   * calendar simulator's account chooser). The page is its own redirect URI (docs/console.md).
   */
  CONSOLE_AUTHORIZE_URL: z.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  /**
   * Local stack only: the page offers "sign in as …" for the demo people, with tokens from the calendar simulator.
   * Refused together with Google's certificates (a production configuration).
   */
  CONSOLE_DEMO_SIGN_IN: z
    .enum(['true', 'false', ''])
    .default('')
    .transform((v) => v === 'true'),
  /** The people demo sign-in offers (local stack only). */
  CONSOLE_DEMO_PEOPLE: z.string().trim().default(''),
});

/** Names of the secrets in the secret source. */
export const SECRET_NAMES = {
  severaClientSecret: 'severa-client-secret',
  /** The service account's P12 key, base64. */
  googleP12: 'google-sa-p12',
  /** The P12's password (Google's default `notasecret` when the secret is absent). */
  googleP12Password: 'google-sa-p12-password',
  /** HMAC key of the Severa change webhook. */
  webhookSecret: 'severa-webhook-secret',
} as const;

export interface AppConfig {
  readonly orgId: string;
  readonly projectId: string | null;
  readonly severa: { readonly apiUrl: string; readonly clientId: string; readonly ratePerSecond: number };
  readonly google: { readonly rootUrl: string; readonly tokenUrl: string };
  readonly secrets: { readonly source: 'secret-manager' | 'env'; readonly file: string | null };
  readonly syncRequestsTopic: string;
  readonly pushAddress: string | null;
  /** Null when not configured: the Pub/Sub-pushed functions then refuse every call. */
  readonly pushAuth: {
    readonly audience: string;
    readonly serviceAccount: string;
    readonly certsUrl: string;
    readonly issuers: readonly string[];
    readonly verifiedByCloudRun: boolean;
  } | null;
  /** Null when not configured: the console then refuses every call. */
  readonly console: {
    readonly clientId: string;
    readonly domain: string;
    readonly admins: readonly string[];
    readonly certsUrl: string;
    readonly issuers: readonly string[];
    readonly authorizeUrl: string;
    readonly demoSignIn: boolean;
    readonly demoPeople: readonly string[];
  } | null;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly intervals: {
    readonly tickSecondPollDelayMs: number;
    readonly tickMaintenanceEveryMinutes: number;
    readonly safetySyncMs: number;
    readonly reconcileMs: number;
    readonly leaseTtlMs: number;
    readonly maxMessageAgeMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws {@link ConfigError} naming every bad variable (never echoing a value). */
export function parseConfig(env: NodeJS.ProcessEnv): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const projectId = e.GOOGLE_CLOUD_PROJECT ?? e.GCLOUD_PROJECT ?? null;
  if (e.SECRET_SOURCE === 'secret-manager' && projectId === null) {
    throw new ConfigError(['GOOGLE_CLOUD_PROJECT: required to read secrets from Secret Manager']);
  }
  if (e.CONSOLE_DEMO_SIGN_IN && e.CONSOLE_CERTS_URL === 'https://www.googleapis.com/oauth2/v1/certs') {
    throw new ConfigError([
      'CONSOLE_DEMO_SIGN_IN: demo sign-in is for the local stack only, never with Google as the issuer',
    ]);
  }
  const list = (value: string) =>
    value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  return {
    orgId: e.ORG_ID,
    projectId,
    severa: {
      apiUrl: e.SEVERA_API_URL,
      clientId: e.SEVERA_CLIENT_ID,
      ratePerSecond: e.SEVERA_RATE_PER_SECOND,
    },
    google: { rootUrl: e.GOOGLE_API_ROOT_URL, tokenUrl: e.GOOGLE_TOKEN_URL },
    secrets: { source: e.SECRET_SOURCE, file: e.SECRETS_FILE ?? null },
    syncRequestsTopic: e.SYNC_REQUESTS_TOPIC,
    pushAddress: e.PUSH_ADDRESS,
    pushAuth:
      e.PUSH_AUTH_AUDIENCE === '' || e.PUSH_AUTH_SERVICE_ACCOUNT === ''
        ? null
        : {
            audience: e.PUSH_AUTH_AUDIENCE,
            serviceAccount: e.PUSH_AUTH_SERVICE_ACCOUNT,
            certsUrl: e.PUSH_AUTH_CERTS_URL,
            issuers: e.PUSH_AUTH_ISSUERS.split(',')
              .map((i) => i.trim())
              .filter((i) => i !== ''),
            verifiedByCloudRun: e.PUSH_AUTH_VERIFIED_BY_CLOUD_RUN,
          },
    console:
      e.CONSOLE_CLIENT_ID === '' || e.WORKSPACE_DOMAIN === ''
        ? null
        : {
            clientId: e.CONSOLE_CLIENT_ID,
            domain: e.WORKSPACE_DOMAIN,
            admins: list(e.CONSOLE_ADMINS).map((a) => a.toLowerCase()),
            certsUrl: e.CONSOLE_CERTS_URL,
            issuers: list(e.CONSOLE_ISSUERS),
            authorizeUrl: e.CONSOLE_AUTHORIZE_URL,
            demoSignIn: e.CONSOLE_DEMO_SIGN_IN,
            demoPeople: e.CONSOLE_DEMO_SIGN_IN ? list(e.CONSOLE_DEMO_PEOPLE).map((p) => p.toLowerCase()) : [],
          },
    logLevel: e.LOG_LEVEL,
    intervals: {
      tickSecondPollDelayMs: e.TICK_SECOND_POLL_DELAY_MS,
      tickMaintenanceEveryMinutes: e.TICK_MAINTENANCE_EVERY_MINUTES,
      safetySyncMs: e.SAFETY_SYNC_INTERVAL_MS,
      reconcileMs: e.RECONCILE_INTERVAL_MS,
      leaseTtlMs: e.LEASE_TTL_MS,
      maxMessageAgeMs: e.MAX_MESSAGE_AGE_MS,
    },
  };
}

let cached: AppConfig | null = null;

/** The instance's configuration, parsed on first use. */
export function config(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/**
 * The operator's application service: what the CLI (`npm run cli -- …`) does today and the settings page will do
 * later. Every operation returns data and prints nothing; failures are typed ({@link OperatorError},
 * {@link SetupValidationError}, or the adapters' own `SyncError`s) with messages a person can act on.
 *
 * - S1 org setup: {@link Operator.setupOrg} checks everything before it saves anything (the P12 opens, a token for
 *   a test user by domain-wide delegation, the Severa credential and its scopes, the chosen activity types), then
 *   saves the secrets through the secret store and the OrgConfig (which never holds a secret).
 * - S2 opt-in: {@link Operator.enableUser} only while the organisation is switched on; the person is matched by
 *   e-mail (case-insensitively) in Severa and Google must issue a delegated token for them.
 * - B1 preview: {@link Operator.previewUser} plans a run with nothing written (the runner's dry run, over read-only
 *   views of the store and both APIs, so even a runner bug cannot write).
 * - B7 status and resync: {@link Operator.listStatuses}, {@link Operator.userStatus}, {@link Operator.resync}.
 *
 * No secret value (P12 bytes, its password, the Severa client secret, tokens, a push channel's token) is ever
 * returned, logged or put into a message.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { DEFAULT_P12_PASSWORD, privateKeyPemFromP12 } from '../adapters/google-calendar/google-auth.js';
import { GoogleCalendarAdapter } from '../adapters/google-calendar/google-calendar.adapter.js';
import { SEVERA_SYNC_SCOPES, SeveraHttpClient } from '../adapters/severa/severa-http.js';
import { SeveraAdapter, type SeveraUserLookup } from '../adapters/severa/severa.adapter.js';
import { realSleep, sharedRateLimiter, type RateLimiter } from '../adapters/throttle.js';
import { SecretMissingError } from '../adapters/secrets/secret-name.js';
import { SECRET_NAMES } from '../config.js';
import {
  PermanentError,
  SyncError,
  canonicalInstant,
  type ActivityType,
  type ActivityTypeRef,
  type SideVersion,
  type SyncUser,
} from '../domain/index.js';
import { DEFAULT_WORKER_OPTIONS, leaseKey } from './sync-worker.js';
import type {
  CalendarListRequest,
  CalendarListResult,
  CalendarPort,
  CalendarWrite,
  CreateIntent,
  InboxItem,
  OrgConfig,
  Refusal,
  DeletionHold,
  HeldDeletion,
  HoldReason,
  SeveraCreate,
  SeveraPort,
  SeveraUpdate,
  SeveraWindow,
  Sleep,
  SyncStore,
  UserRecord,
  UserSyncState,
  UserSyncStatus,
} from '../ports/index.js';
import { previewOf, type PlanPreview } from '../sync/preview.js';
import { syncUser } from '../sync/runner.js';
import { defaultSettings } from '../sync/settings.js';
import type { Container } from './container.js';
import { DEFAULT_TICK_OPTIONS, renewChannel } from './sync-tick.js';

// ---------------------------------------------------------------------------------------------------------------
// Errors

export const OPERATOR_ERROR_CODES = [
  /** A value given to the operation is malformed (an e-mail that is not one, …). */
  'invalid-input',
  /** The org setup found problems; see {@link SetupValidationError.problems}. */
  'setup-invalid',
  'org-not-set-up',
  'org-disabled',
  'user-not-found',
  'user-inactive',
  'user-not-enabled',
  /** Google refused to act for the person (delegation, no calendar …). */
  'google-access',
  /** Another run holds the person's lease right now. */
  'user-busy',
  /** Nothing is held for the person (B3), so there is nothing to confirm or reject. */
  'no-hold',
  /** The hold was decided the other way already; its run has not finished yet. */
  'hold-decided',
] as const;
export type OperatorErrorCode = (typeof OPERATOR_ERROR_CODES)[number];

/** A refusal of an operation, in words for the person who asked. Never carries a secret. */
export class OperatorError extends Error {
  constructor(
    readonly code: OperatorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Which part of the setup a problem is about. */
export const SETUP_CHECKS = ['input', 'p12', 'google', 'severa', 'activity-types'] as const;
export type SetupCheck = (typeof SETUP_CHECKS)[number];

export interface SetupProblem {
  readonly check: SetupCheck;
  /**
   * Stable code: `service-account-email`, `test-user-email`, `severa-client-id`, `severa-client-secret`,
   * `no-activity-types` (input); `p12-unreadable` (p12); the adapters' error codes for google and severa
   * (`delegation-denied`, `bad-credentials`, `missing-scope`, `configuration`, `transient`, …);
   * `unknown-activity-type`, `project-task-type` (activity-types).
   */
  readonly code: string;
  /** What is wrong and what to do, in plain words. */
  readonly message: string;
}

/** The org setup was refused: every problem found, nothing saved. */
export class SetupValidationError extends OperatorError {
  constructor(
    readonly problems: readonly SetupProblem[],
    /** Checks that could not run because an earlier one failed (e.g. activity types without Severa access). */
    readonly unchecked: readonly string[],
  ) {
    super(
      'setup-invalid',
      `The organisation settings were not saved: ${problems.length} problem${problems.length === 1 ? '' : 's'} found. ` +
        problems.map((p) => p.message).join(' '),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs and results

export interface OrgSetupInput {
  readonly serviceAccountEmail: string;
  /** The service account's `.p12` key file as downloaded from the Google Cloud console. */
  readonly p12: Buffer;
  /** The key's password; Google's default `notasecret` when absent. */
  readonly p12Password?: string;
  readonly severaClientId: string;
  readonly severaClientSecret: string;
  /** Activity types synced Severa → Google (S3), by name or guid, case-insensitively. */
  readonly syncedTypeNames: readonly string[];
  /** A Workspace user the delegation is checked with (any active user of the domain). */
  readonly testUserEmail: string;
  /** Switch the integration on / off; absent keeps the current state (off for a first setup). */
  readonly enable?: boolean;
}

export interface OrgSetupResult {
  /** The OrgConfig as saved (it holds no secret). */
  readonly config: OrgConfig;
  /** Names of the secrets saved (never their values). */
  readonly savedSecrets: readonly string[];
  readonly syncedTypes: readonly ActivityTypeRef[];
  /** The user a delegated Google token was obtained for. */
  readonly testUserEmail: string;
  /** Severa API scopes the credential's token carries. */
  readonly severaScopes: readonly string[];
}

export type SecretPresence = 'set' | 'missing' | 'unreadable';

export interface OrgView {
  readonly orgId: string;
  readonly config: OrgConfig | null;
  /** Each secret the sync reads: whether it is there (values are never read out). */
  readonly secrets: Readonly<Record<string, SecretPresence>>;
  readonly syncedTypes: readonly ActivityTypeRef[];
}

export interface EnableUserResult {
  readonly user: SyncUser;
  /** Sync was already on: nothing changed (a first sync still pending is requested again). */
  readonly alreadyEnabled: boolean;
  /** The sync request published, or null when none was needed. */
  readonly requestId: string | null;
}

export interface DisableUserResult {
  readonly email: string;
  readonly severaUserGuid: string | null;
  readonly wasEnabled: boolean;
}

/** One person's sync health (B7). No channel token or other secret. */
export interface UserStatusView {
  readonly email: string;
  /** Null when the person has never switched sync on. */
  readonly severaUserGuid: string | null;
  readonly enabled: boolean;
  /** `off` whenever sync is not on for the person, whatever the last run left. */
  readonly state: UserSyncState;
  readonly lastSuccessAt: string | null;
  readonly message: string | null;
  readonly pendingRetries: number;
  /** When the Google push channel expires (the tick renews it a day ahead), or null without one. */
  readonly channelExpiresAt: string | null;
  readonly lastReconcileAt: string | null;
  /** Deletions B3 holds for a decision (everything else keeps syncing), or null. */
  readonly hold: null | {
    readonly reason: HoldReason;
    readonly since: string;
    readonly deletions: number;
    readonly decision: DeletionHold['decision'];
  };
  /**
   * The last success is older than the cycle allows (every person is synced at least once per safety interval):
   * something keeps this person's sync from running or finishing. Null while it keeps up.
   */
  readonly behindSince: string | null;
  /** While a first sync runs: how many of its planned changes are done, of how many. */
  readonly progress: { readonly done: number; readonly total: number } | null;
}

export interface HoldDecisionResult {
  readonly user: SyncUser;
  readonly decision: 'confirm' | 'reject';
  /** How many held deletions the decision covers. */
  readonly deletions: number;
  readonly requestId: string;
}

export interface PreviewResult {
  readonly user: SyncUser;
  /** Sync is on for the person (the preview then shows what the next run would do). */
  readonly enabled: boolean;
  /** No run of the person has completed yet: this is what the first sync will do. */
  readonly firstSync: boolean;
  readonly preview: PlanPreview;
  /** What the planner could not do, in words (also shown on the status after a real run). */
  readonly problems: readonly string[];
}

export interface ResyncResult {
  readonly user: SyncUser;
  readonly full: boolean;
  readonly requestId: string;
}

// ---------------------------------------------------------------------------------------------------------------

/** What the operator needs from the composition root. */
export type OperatorContainer = Pick<
  Container,
  'config' | 'logger' | 'clock' | 'stores' | 'secrets' | 'publisher' | 'severa' | 'calendar'
>;

export interface OperatorOptions {
  /** Waits between retries of the setup checks (real waits by default). */
  readonly sleep?: Sleep;
  /** Pace of the setup's Severa calls (the process-wide limiter of the credential by default). */
  readonly severaRateLimiter?: RateLimiter;
  /** How long a full resync may hold the person's lease while it clears the sync token. */
  readonly resyncLeaseMs?: number;
}

export interface Operator {
  setupOrg(input: OrgSetupInput): Promise<OrgSetupResult>;
  showOrg(): Promise<OrgView>;
  /** Switches the integration on or off without touching credentials (on needs a completed setup). */
  setOrgEnabled(enabled: boolean): Promise<OrgConfig>;
  enableUser(email: string): Promise<EnableUserResult>;
  disableUser(email: string): Promise<DisableUserResult>;
  userStatus(email: string): Promise<UserStatusView>;
  listStatuses(): Promise<readonly UserStatusView[]>;
  previewUser(email: string): Promise<PreviewResult>;
  resync(email: string, options?: { readonly full?: boolean }): Promise<ResyncResult>;
  /**
   * Decides a B3 hold (audited): `confirm` lets the person's next run apply the held deletions, `reject` makes it
   * restore the deleted entries from the other side. `by` names who decided, for the audit trail.
   */
  decideHold(email: string, decision: 'confirm' | 'reject', by: string): Promise<HoldDecisionResult>;
}

const EMAIL_RE = /^[^@\s]+@[^@\s]+$/;
/** How long a full resync holds the person's lease while it clears the sync token. */
const DEFAULT_RESYNC_LEASE_MS = 60_000;
/** Beyond a safety interval: one tick and a long run, before a status counts as behind. */
const BEHIND_MARGIN_MS = 5 * 60_000;
const OFF_STATUS: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };
/** Secrets the sync reads; the webhook secret is optional until the webhook function exists. */
const SHOWN_SECRETS = [
  SECRET_NAMES.severaClientSecret,
  SECRET_NAMES.googleP12,
  SECRET_NAMES.googleP12Password,
  SECRET_NAMES.webhookSecret,
] as const;
const REQUIRED_SECRETS = [SECRET_NAMES.severaClientSecret, SECRET_NAMES.googleP12] as const;

function normaliseEmail(email: string, what = 'e-mail'): string {
  const address = email.trim().toLowerCase();
  if (!EMAIL_RE.test(address)) {
    // What was typed is not repeated: it may be a secret entered in the wrong place (issue 10 #7).
    throw new OperatorError('invalid-input', `That is not an ${what} address.`);
  }
  return address;
}

function typeRef(type: ActivityType): ActivityTypeRef {
  return { guid: type.guid, name: type.name, category: type.category };
}

export function createOperator(container: OperatorContainer, options: OperatorOptions = {}): Operator {
  const { config, logger, clock, stores, secrets, publisher } = container;
  const log = logger.child({ component: 'operator' });
  const sleep = options.sleep ?? realSleep;
  const nowIso = () => canonicalInstant(clock.now().toISOString());

  async function requireOrg(): Promise<OrgConfig> {
    const org = await stores.orgConfig.getOrgConfig();
    if (org === null) {
      throw new OperatorError(
        'org-not-set-up',
        'The organisation is not set up yet: an administrator runs the org setup first (npm run cli -- org setup …).',
      );
    }
    return org;
  }

  async function requireEnabledOrg(): Promise<OrgConfig> {
    const org = await requireOrg();
    if (!org.enabled) {
      throw new OperatorError(
        'org-disabled',
        'The integration is switched off for the organisation, so nobody can switch their sync on: an administrator switches it on first (npm run cli -- org enable).',
      );
    }
    return org;
  }

  /** The Severa user of an e-mail (S2), or the refusal in words. */
  async function activeSeveraUser(address: string): Promise<SyncUser> {
    const severa = await container.severa();
    const found: SeveraUserLookup = await severa.lookupUserByEmail(address);
    if (found.kind === 'not-found') {
      throw new OperatorError(
        'user-not-found',
        `No Severa user has the e-mail ${address}, so there is nobody to sync with. People are matched by e-mail: the Severa user's e-mail must be the same as the Google account's (letter case does not matter). Correct the e-mail in Severa (Settings → Users) and try again.`,
      );
    }
    if (found.kind === 'inactive') {
      throw new OperatorError(
        'user-inactive',
        `The Severa user with the e-mail ${address} is inactive, so nothing is synced for them. A Severa administrator reactivates the user first (Settings → Users).`,
      );
    }
    return found.user;
  }

  /** A person in the directory by e-mail (case-insensitive), or null. */
  async function directoryUser(address: string): Promise<UserRecord | null> {
    const all = await stores.users.listUsers();
    return all.find((u) => u.email.toLowerCase() === address) ?? null;
  }

  /** A status is behind when its last success is older than a safety interval and a tick (plus one run's time). */
  const behindAfterMs = config.intervals.safetySyncMs + BEHIND_MARGIN_MS;

  async function statusOf(email: string, user: UserRecord | null): Promise<UserStatusView> {
    if (user === null) return statusView(email, null, OFF_STATUS, null);
    const guid = user.severaUserGuid;
    const [status, hold] = await Promise.all([stores.store.getStatus(guid), stores.store.getHold(guid)]);
    return statusView(email, user, status, hold);
  }

  function statusView(
    email: string,
    user: UserRecord | null,
    status: UserSyncStatus,
    hold: DeletionHold | null,
  ): UserStatusView {
    const enabled = user?.enabled ?? false;
    const message =
      user === null
        ? 'Sync has never been switched on for this person.'
        : !enabled
          ? 'Sync is switched off. Links are kept: switching it on again resumes without duplicates.'
          : status.message;
    return {
      email: user?.email ?? email,
      severaUserGuid: user?.severaUserGuid ?? null,
      enabled,
      state: enabled ? status.state : 'off',
      lastSuccessAt: status.lastSuccessAt,
      message,
      pendingRetries: enabled ? status.pendingRetries : 0,
      channelExpiresAt: user?.channel?.expiration ?? null,
      lastReconcileAt: user?.lastReconcileAt ?? null,
      hold:
        hold === null
          ? null
          : { reason: hold.reason, since: hold.since, deletions: hold.deletions, decision: hold.decision },
      behindSince: enabled ? behindSince(status) : null,
      progress: enabled && status.state === 'initial' ? (status.progress ?? null) : null,
    };
  }

  function behindSince(status: UserSyncStatus): string | null {
    if (status.state === 'off' || status.state === 'initial') return null;
    const since = status.lastSuccessAt;
    if (since === null) return null;
    return clock.now().getTime() - Date.parse(since) > behindAfterMs ? since : null;
  }

  // ---- S1

  async function setupOrg(input: OrgSetupInput): Promise<OrgSetupResult> {
    const problems: SetupProblem[] = [];
    const unchecked: string[] = [];
    const problem = (check: SetupCheck, code: string, message: string) => {
      problems.push({ check, code, message });
    };
    /** A failed check → a problem: typed errors keep their actionable words, anything else is named only. */
    const failed = (check: 'p12' | 'google' | 'severa', error: unknown, code?: string) => {
      const label = check === 'severa' ? 'Severa' : 'Google';
      if (error instanceof PermanentError) {
        problem(check, code ?? error.code, error.userMessage);
      } else if (error instanceof SyncError && error.transient) {
        problem(
          check,
          error.code,
          `${label} could not be reached to check the settings (${error.message}); nothing was saved, try again.`,
        );
      } else {
        log.error('setup check failed unexpectedly', { check, error });
        const name = error instanceof Error ? error.name : typeof error;
        problem(
          check,
          'unexpected',
          `The ${label} check failed unexpectedly (${name}); nothing was saved. Run again with --debug for details.`,
        );
      }
    };

    const serviceAccountEmail = input.serviceAccountEmail.trim();
    const testUserEmail = input.testUserEmail.trim().toLowerCase();
    const severaClientId = input.severaClientId.trim();
    const password = input.p12Password ?? DEFAULT_P12_PASSWORD;
    const emailOk = EMAIL_RE.test(serviceAccountEmail);
    const testUserOk = EMAIL_RE.test(testUserEmail);
    if (!emailOk) {
      problem(
        'input',
        'service-account-email',
        "The service account e-mail is not an e-mail address: enter the service account's e-mail (…@….iam.gserviceaccount.com, shown in the Google Cloud console under IAM & Admin → Service accounts).",
      );
    }
    if (!testUserOk) {
      problem(
        'input',
        'test-user-email',
        'The test user is not an e-mail address: enter the e-mail of an active user of the Google Workspace domain, used to check domain-wide delegation.',
      );
    }
    if (severaClientId === '') {
      problem(
        'input',
        'severa-client-id',
        'The Severa client id is empty: copy it from Severa → Settings → Integrations → REST API.',
      );
    }
    if (input.severaClientSecret === '') {
      problem(
        'input',
        'severa-client-secret',
        'The Severa client secret is empty: copy it from Severa → Settings → Integrations → REST API (create a new one there if it was lost).',
      );
    }

    // The key opens with the password.
    let privateKeyPem: string | null = null;
    try {
      privateKeyPem = privateKeyPemFromP12(input.p12, password);
    } catch (error) {
      failed('p12', error, 'p12-unreadable');
    }

    // A token for the test user by domain-wide delegation.
    if (privateKeyPem !== null && emailOk && testUserOk) {
      try {
        const google = new GoogleCalendarAdapter({
          serviceAccountEmail,
          privateKeyPem,
          rootUrl: config.google.rootUrl,
          tokenUrl: config.google.tokenUrl,
          sleep,
          clock,
          logger,
        });
        await google.checkDelegation(testUserEmail);
      } catch (error) {
        failed('google', error);
      }
    } else {
      unchecked.push(
        'Domain-wide delegation: it is checked once the key opens and both e-mail addresses are valid.',
      );
    }

    // The Severa credential works, has the sync's scopes, and the activity types exist.
    let types: ActivityType[] | null = null;
    let severaScopes: readonly string[] = [];
    if (severaClientId !== '' && input.severaClientSecret !== '') {
      try {
        const client = new SeveraHttpClient({
          clientId: severaClientId,
          clientSecret: input.severaClientSecret,
          baseUrl: config.severa.apiUrl,
          clock,
          sleep,
          logger,
          rateLimiter:
            options.severaRateLimiter ??
            sharedRateLimiter(`${config.severa.apiUrl}|${severaClientId}`, {
              ratePerSecond: config.severa.ratePerSecond,
              clock,
              sleep,
            }),
        });
        const access = await client.checkAccess();
        severaScopes = access.grantedScopes;
        const missing = SEVERA_SYNC_SCOPES.filter((s) => !access.grantedScopes.includes(s));
        if (missing.length > 0) {
          problem(
            'severa',
            'missing-scope',
            `The Severa API credential lacks the API scope ${missing.map((s) => `"${s}"`).join(', ')}. An administrator adds it in Severa → Settings → Integrations → REST API: edit this integration's client credential and tick the scope (the sync needs ${SEVERA_SYNC_SCOPES.join(', ')}).`,
          );
        } else {
          types = await new SeveraAdapter({ client, clock, logger }).listActivityTypes();
        }
      } catch (error) {
        failed('severa', error);
      }
    }

    const syncedTypes: ActivityType[] = [];
    if (types === null) {
      unchecked.push('Activity types: they are checked once the Severa credential works.');
    } else {
      const available = types.filter((t) => t.isActive && t.category !== 'Task').map((t) => `"${t.name}"`);
      const availableText =
        available.length === 0
          ? 'Severa lists no activity type that can be synced.'
          : `Available: ${available.join(', ')}.`;
      const wanted = [
        ...new Map(
          input.syncedTypeNames.map((n) => n.trim()).flatMap((n) => (n === '' ? [] : [[n.toLowerCase(), n]])),
        ).values(),
      ];
      if (wanted.length === 0) {
        problem(
          'input',
          'no-activity-types',
          `No activity type was chosen: choose the Severa activity types to sync to Google. ${availableText}`,
        );
      }
      const byPreference = [...types].sort((a, b) => Number(b.isActive) - Number(a.isActive));
      for (const name of wanted) {
        const key = name.toLowerCase();
        const found =
          byPreference.find((t) => t.guid.toLowerCase() === key) ??
          byPreference.find((t) => t.name.trim().toLowerCase() === key);
        if (found === undefined) {
          problem(
            'activity-types',
            'unknown-activity-type',
            `Severa has no activity type "${name}". ${availableText}`,
          );
        } else if (found.category === 'Task') {
          problem(
            'activity-types',
            'project-task-type',
            `"${found.name}" is a project-task type (category Task): project tasks are never synced to Google. Leave it out. ${availableText}`,
          );
        } else if (!syncedTypes.some((t) => t.guid === found.guid)) {
          syncedTypes.push(found);
        }
      }
    }

    if (problems.length > 0) throw new SetupValidationError(problems, unchecked);

    // Everything checked: the secrets first (the config refers to them), then the OrgConfig.
    const saved: Array<readonly [string, string]> = [
      [SECRET_NAMES.severaClientSecret, input.severaClientSecret],
      [SECRET_NAMES.googleP12, input.p12.toString('base64')],
      // Always written, so a password left from an earlier key can never be used with this one.
      [SECRET_NAMES.googleP12Password, password],
    ];
    // The webhook's HMAC key is made once, when there is none: a relay is configured with it (S8).
    if ((await presence(SECRET_NAMES.webhookSecret)) === 'missing') {
      saved.push([SECRET_NAMES.webhookSecret, randomBytes(32).toString('base64url')]);
    }
    for (const [name, value] of saved) await secrets.putSecret(name, value);
    const previous = await stores.orgConfig.getOrgConfig();
    const orgConfig: OrgConfig = {
      enabled: input.enable ?? previous?.enabled ?? false,
      serviceAccountEmail,
      severaClientId,
      sync: defaultSettings({
        ...previous?.sync,
        activityTypes: types ?? [],
        syncedActivityTypeGuids: syncedTypes.map((t) => t.guid),
      }),
      updatedAt: nowIso(),
    };
    await stores.orgConfig.putOrgConfig(orgConfig);
    log.info('organisation settings saved', {
      enabled: orgConfig.enabled,
      syncedTypes: syncedTypes.length,
      secretsSaved: saved.length,
    });
    return {
      config: orgConfig,
      savedSecrets: saved.map(([name]) => name),
      syncedTypes: syncedTypes.map(typeRef),
      testUserEmail,
      severaScopes,
    };
  }

  async function presence(name: string): Promise<SecretPresence> {
    try {
      await secrets.get(name);
      return 'set';
    } catch (error) {
      if (error instanceof SecretMissingError) return 'missing';
      return 'unreadable';
    }
  }

  async function showOrg(): Promise<OrgView> {
    const org = await stores.orgConfig.getOrgConfig();
    const found: Record<string, SecretPresence> = {};
    for (const name of SHOWN_SECRETS) found[name] = await presence(name);
    const synced = new Set(org?.sync.syncedActivityTypeGuids ?? []);
    const types = org?.sync.activityTypes ?? [];
    return {
      orgId: config.orgId,
      config: org,
      secrets: found,
      syncedTypes: types.filter((t) => synced.has(t.guid)).map(typeRef),
    };
  }

  async function setOrgEnabled(enabled: boolean): Promise<OrgConfig> {
    const org = await requireOrg();
    if (enabled) {
      const missing: string[] = [];
      for (const name of REQUIRED_SECRETS) if ((await presence(name)) !== 'set') missing.push(name);
      if (missing.length > 0) {
        throw new OperatorError(
          'org-not-set-up',
          `The integration cannot be switched on: the secret${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Run the org setup again (npm run cli -- org setup …).`,
        );
      }
    }
    const next: OrgConfig = { ...org, enabled, updatedAt: nowIso() };
    await stores.orgConfig.putOrgConfig(next);
    log.info('organisation integration switched', { enabled });
    return next;
  }

  // ---- S2

  async function enableUser(email: string): Promise<EnableUserResult> {
    const address = normaliseEmail(email);
    await requireEnabledOrg();
    const user = await activeSeveraUser(address);
    const calendar = await container.calendar();
    try {
      await calendar.checkDelegation(user.email);
    } catch (error) {
      if (error instanceof PermanentError) {
        throw new OperatorError(
          'google-access',
          `Sync cannot be switched on for ${user.email}: ${error.userMessage}`,
          { cause: error },
        );
      }
      throw error;
    }
    const existing = await stores.users.getUser(user.severaUserGuid);
    const alreadyEnabled = existing?.enabled === true;
    const firstSyncPending = existing?.lastCompleteRunStartedAt == null;
    const record: UserRecord = {
      ...user,
      enabled: true,
      channel: existing?.channel ?? null,
      lastReconcileAt: existing?.lastReconcileAt ?? null,
      lastCompleteRunStartedAt: existing?.lastCompleteRunStartedAt ?? null,
      lastSafetyRequestAt: existing?.lastSafetyRequestAt ?? null,
    };
    await stores.users.putUser(record);
    // The push channel now, not at the next tick: changes in Google reach the sync from the first minute.
    if (config.pushAddress !== null && record.channel === null) {
      try {
        await renewChannel(
          {
            channels: calendar,
            users: stores.users,
            logger: log,
            options: { channelTtlSeconds: DEFAULT_TICK_OPTIONS.channelTtlSeconds },
          },
          record,
          config.pushAddress,
        );
      } catch (error) {
        log.warn('push channel not opened at opt-in; the next tick opens it', {
          user: user.severaUserGuid,
          error,
        });
      }
    }
    // Idempotent: a second enable asks for nothing more, unless the first sync has still not completed (its
    // request may have been lost, e.g. the publish after the first enable failed).
    if (alreadyEnabled && !firstSyncPending) {
      return { user, alreadyEnabled, requestId: null };
    }
    if (firstSyncPending) {
      const status = await stores.store.getStatus(user.severaUserGuid);
      await stores.store.setStatus(user.severaUserGuid, {
        state: 'initial',
        lastSuccessAt: status.lastSuccessAt,
        message:
          'The first sync is queued: entries on both sides are matched first, then the rest is copied both ways.',
        pendingRetries: 0,
      });
    }
    const requestId = await publisher.publish({
      user: user.severaUserGuid,
      reason: 'initial',
      requestedAt: nowIso(),
      reconcile: true,
    });
    log.info('user sync switched on', { user: user.severaUserGuid, alreadyEnabled });
    return { user, alreadyEnabled, requestId };
  }

  async function disableUser(email: string): Promise<DisableUserResult> {
    const address = normaliseEmail(email);
    const user = await directoryUser(address);
    if (user === null) return { email: address, severaUserGuid: null, wasEnabled: false };
    if (user.enabled) await stores.users.updateUser(user.severaUserGuid, { enabled: false });
    // Links and the sync token stay: switching on again resumes where it stopped, without duplicates. The tick
    // stops the person's push channel.
    const status = await stores.store.getStatus(user.severaUserGuid);
    await stores.store.setStatus(user.severaUserGuid, {
      state: 'off',
      lastSuccessAt: status.lastSuccessAt,
      message: null,
      pendingRetries: 0,
    });
    log.info('user sync switched off', { user: user.severaUserGuid, wasEnabled: user.enabled });
    return { email: user.email, severaUserGuid: user.severaUserGuid, wasEnabled: user.enabled };
  }

  // ---- B7

  async function userStatus(email: string): Promise<UserStatusView> {
    const address = normaliseEmail(email);
    return statusOf(address, await directoryUser(address));
  }

  async function listStatuses(): Promise<readonly UserStatusView[]> {
    const users = [...(await stores.users.listUsers())].sort((a, b) => a.email.localeCompare(b.email));
    const views: UserStatusView[] = [];
    for (const user of users) views.push(await statusOf(user.email, user));
    return views;
  }

  // ---- B1

  async function previewUser(email: string): Promise<PreviewResult> {
    const address = normaliseEmail(email);
    const org = await requireOrg();
    const user = await activeSeveraUser(address);
    const existing = await stores.users.getUser(user.severaUserGuid);
    const result = await syncUser(
      {
        severa: new ReadOnlySevera(await container.severa()),
        calendar: new ReadOnlyCalendar(await container.calendar()),
        store: new ReadOnlyStore(stores.store),
        clock,
        settings: org.sync,
      },
      user,
      { dryRun: true, reconcile: true },
    );
    return {
      user,
      enabled: existing?.enabled ?? false,
      firstSync: existing?.lastCompleteRunStartedAt == null,
      preview: previewOf(result.plan),
      problems: result.plan.problems,
    };
  }

  async function resync(
    email: string,
    resyncOptions: { readonly full?: boolean } = {},
  ): Promise<ResyncResult> {
    const address = normaliseEmail(email);
    await requireEnabledOrg();
    const record = await directoryUser(address);
    if (record === null || !record.enabled) {
      throw new OperatorError(
        'user-not-enabled',
        `Sync is not switched on for ${address}, so there is nothing to resync: only they can switch it on, in the console (My calendar sync, S2).`,
      );
    }
    const full = resyncOptions.full ?? false;
    const requestedAt = nowIso();
    if (full) {
      // Under the person's lease, so a run in progress cannot save its new token over the cleared one.
      const holder = `operator:${randomUUID()}`;
      const key = leaseKey(record.severaUserGuid);
      const ttl = options.resyncLeaseMs ?? DEFAULT_RESYNC_LEASE_MS;
      if (!(await stores.leases.acquire(key, holder, requestedAt, ttl))) {
        throw new OperatorError(
          'user-busy',
          `A sync of ${record.email} is running right now; try the full resync again in a minute.`,
        );
      }
      try {
        // Only the Google sync token: the links stay, so the full listing is matched against them (no duplicates).
        await stores.store.saveSyncToken(record.severaUserGuid, null);
      } finally {
        await stores.leases.release(key, holder);
      }
    }
    const requestId = await publisher.publish({
      user: record.severaUserGuid,
      reason: 'manual',
      requestedAt,
      reconcile: true,
    });
    log.info('resync requested', { user: record.severaUserGuid, full });
    const { severaUserGuid, email: userEmail, timeZone, defaultActivityTypeGuid } = record;
    return {
      user: { severaUserGuid, email: userEmail, timeZone, defaultActivityTypeGuid },
      full,
      requestId,
    };
  }

  // ---- B3

  async function decideHold(
    email: string,
    decision: 'confirm' | 'reject',
    by: string,
  ): Promise<HoldDecisionResult> {
    const address = normaliseEmail(email);
    await requireEnabledOrg();
    const record = await directoryUser(address);
    if (record === null || !record.enabled) {
      throw new OperatorError(
        'user-not-enabled',
        `Sync is not switched on for ${address}: a hold is applied by the person's next sync, and only they can switch it on, in the console (My calendar sync, S2).`,
      );
    }
    const guid = record.severaUserGuid;
    const decidedAt = nowIso();
    // Under the person's lease: a run in progress rewrites the hold, and must not write over the decision.
    const holder = `operator:${randomUUID()}`;
    const key = leaseKey(guid);
    if (
      !(await stores.leases.acquire(key, holder, decidedAt, options.resyncLeaseMs ?? DEFAULT_RESYNC_LEASE_MS))
    ) {
      throw new OperatorError(
        'user-busy',
        `A sync of ${record.email} is running right now; try again in a minute.`,
      );
    }
    let hold: DeletionHold | null;
    try {
      hold = await stores.store.getHold(guid);
      if (hold === null) {
        throw new OperatorError(
          'no-hold',
          `Nothing is held for ${record.email}: no deletion waits for a decision.`,
        );
      }
      if (hold.decision !== null && hold.decision.kind !== decision) {
        throw new OperatorError(
          'hold-decided',
          `The held deletions of ${record.email} were already ${hold.decision.kind === 'confirm' ? 'confirmed' : 'rejected'} by ${hold.decision.by} at ${hold.decision.at}; the person's next sync applies that.`,
        );
      }
      if (hold.decision === null) {
        hold = { ...hold, decision: { kind: decision, at: decidedAt, by } };
        await stores.store.setHold(guid, hold);
      }
    } finally {
      await stores.leases.release(key, holder);
    }
    const what = decision === 'confirm' ? 'confirmed' : 'rejected';
    try {
      await stores.audit.append([
        {
          user: guid,
          at: decidedAt,
          kind: `hold-${decision}`,
          severaGuid: null,
          googleId: null,
          why: `${by} ${what} ${hold.deletions} held deletions (${hold.reason}, held since ${hold.since})`,
          decisions: [],
          expiresAt: new Date(Date.parse(decidedAt) + DEFAULT_WORKER_OPTIONS.auditTtlMs).toISOString(),
        },
      ]);
    } catch (error) {
      // The decision stands (it is on the hold, with who and when); the audit line is logged instead.
      log.warn('hold decision could not be audited', { user: guid, decision, error });
    }
    const requestId = await publisher.publish({
      user: guid,
      reason: 'manual',
      requestedAt: decidedAt,
      reconcile: false,
    });
    log.info('hold decided', { user: guid, decision, deletions: hold.deletions });
    const { severaUserGuid, email: userEmail, timeZone, defaultActivityTypeGuid } = record;
    return {
      user: { severaUserGuid, email: userEmail, timeZone, defaultActivityTypeGuid },
      decision,
      deletions: hold.deletions,
      requestId,
    };
  }

  return {
    setupOrg,
    showOrg,
    setOrgEnabled,
    enableUser,
    disableUser,
    userStatus,
    listStatuses,
    previewUser,
    resync,
    decideHold,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Read-only views for the preview: the runner's dry run writes nothing by design; these make it so by construction.

function refuseWrite(what: string): Promise<never> {
  return Promise.reject(new Error(`a preview must not write (${what})`));
}

/** Reads pass through; every write is refused. */
export class ReadOnlySevera implements SeveraPort {
  constructor(readonly inner: SeveraPort) {}
  apiUserGuid(): Promise<string | null> {
    return this.inner.apiUserGuid();
  }
  listChangedSince(since: string) {
    return this.inner.listChangedSince(since);
  }
  listForUser(userGuid: string, window: SeveraWindow) {
    return this.inner.listForUser(userGuid, window);
  }
  get(guid: string) {
    return this.inner.get(guid);
  }
  create(_input: SeveraCreate): Promise<never> {
    return refuseWrite('Severa create');
  }
  update(_guid: string, _expected: SideVersion, _input: SeveraUpdate): Promise<never> {
    return refuseWrite('Severa update');
  }
  delete(_guid: string, _expected: SideVersion): Promise<never> {
    return refuseWrite('Severa delete');
  }
  addParticipant(_guid: string, _userGuid: string): Promise<never> {
    return refuseWrite('Severa addParticipant');
  }
  removeParticipant(_guid: string, _userGuid: string, _newOwnerGuid?: string): Promise<never> {
    return refuseWrite('Severa removeParticipant');
  }
}

/** Reads pass through; every write is refused. */
export class ReadOnlyCalendar implements CalendarPort {
  constructor(readonly inner: CalendarPort) {}
  list(user: SyncUser, request: CalendarListRequest): Promise<CalendarListResult> {
    return this.inner.list(user, request);
  }
  get(user: SyncUser, id: string) {
    return this.inner.get(user, id);
  }
  findByICalUID(user: SyncUser, iCalUID: string) {
    return this.inner.findByICalUID(user, iCalUID);
  }
  insert(_user: SyncUser, _id: string, _write: CalendarWrite): Promise<never> {
    return refuseWrite('Google insert');
  }
  update(_user: SyncUser, _id: string, _expectedEtag: string, _write: CalendarWrite): Promise<never> {
    return refuseWrite('Google update');
  }
  delete(_user: SyncUser, _id: string, _expectedEtag: string): Promise<never> {
    return refuseWrite('Google delete');
  }
}

/**
 * Reads pass through; writes are dropped (and counted). Dropped rather than refused: the runner's crash recovery
 * records a link it finds while collecting, even in a dry run, and the preview should still show the plan.
 */
export class ReadOnlyStore implements SyncStore {
  /** Writes that were dropped, by method name. */
  readonly dropped: string[] = [];
  constructor(readonly inner: SyncStore) {}

  #drop(what: string): Promise<void> {
    this.dropped.push(what);
    return Promise.resolve();
  }

  listLinks(user: string) {
    return this.inner.listLinks(user);
  }
  putLink(): Promise<void> {
    return this.#drop('putLink');
  }
  deleteLink(): Promise<void> {
    return this.#drop('deleteLink');
  }
  findLinksByICalUID(iCalUID: string) {
    return this.inner.findLinksByICalUID(iCalUID);
  }
  findLinksBySeveraGuid(severaGuid: string) {
    return this.inner.findLinksBySeveraGuid(severaGuid);
  }
  findLinksBySeveraGuids(severaGuids: readonly string[]) {
    return this.inner.findLinksBySeveraGuids(severaGuids);
  }
  getSyncToken(user: string) {
    return this.inner.getSyncToken(user);
  }
  saveSyncToken(): Promise<void> {
    return this.#drop('saveSyncToken');
  }
  addToInbox(): Promise<void> {
    return this.#drop('addToInbox');
  }
  readInbox(user: string): Promise<readonly InboxItem[]> {
    return this.inner.readInbox(user);
  }
  ackInbox(): Promise<void> {
    return this.#drop('ackInbox');
  }
  putIntent(): Promise<void> {
    return this.#drop('putIntent');
  }
  listRefusals(user: string): Promise<readonly Refusal[]> {
    return this.inner.listRefusals(user);
  }
  putRefusal(): Promise<void> {
    return this.#drop('putRefusal');
  }
  deleteRefusal(): Promise<void> {
    return this.#drop('deleteRefusal');
  }
  listIntents(user: string): Promise<readonly CreateIntent[]> {
    return this.inner.listIntents(user);
  }
  deleteIntent(): Promise<void> {
    return this.#drop('deleteIntent');
  }
  findIntentsByICalUID(iCalUID: string) {
    return this.inner.findIntentsByICalUID(iCalUID);
  }
  async claimMeeting(_iCalUID: string, user: string): Promise<string> {
    await this.#drop('claimMeeting');
    return user;
  }
  releaseMeeting(): Promise<void> {
    return this.#drop('releaseMeeting');
  }
  getWatermark() {
    return this.inner.getWatermark();
  }
  setWatermark(): Promise<void> {
    return this.#drop('setWatermark');
  }
  getStatus(user: string) {
    return this.inner.getStatus(user);
  }
  setStatus(): Promise<void> {
    return this.#drop('setStatus');
  }
  getHold(user: string): Promise<DeletionHold | null> {
    return this.inner.getHold(user);
  }
  setHold(): Promise<void> {
    return this.#drop('setHold');
  }
  listHeld(user: string): Promise<readonly HeldDeletion[]> {
    return this.inner.listHeld(user);
  }
  putHeld(): Promise<void> {
    return this.#drop('putHeld');
  }
  deleteHeld(): Promise<void> {
    return this.#drop('deleteHeld');
  }
}

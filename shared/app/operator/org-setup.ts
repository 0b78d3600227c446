/**
 * S1 org setup: {@link OrgSetupUseCases.setupOrg} checks everything before it saves anything (the P12 opens, a
 * token for a test user by domain-wide delegation, the Severa credential and its scopes, the chosen activity types),
 * then saves the secrets through the secret store and the OrgConfig (which never holds a secret). The candidate
 * key is opened and the candidate clients are built by the composition root's factories (`container.adapters`).
 * Also what the organisation's settings are, and switching the integration on or off.
 */
import { randomBytes } from 'node:crypto';

import { DEFAULT_P12_PASSWORD } from '../../adapters/google-calendar/google.auth.js';
import { SEVERA_SYNC_SCOPES, missingScopeMessage } from '../../adapters/severa/severa.errors.js';
import { SecretMissingError } from '../../adapters/secrets/secret-name.js';
import { SECRET_NAMES } from '../../config.js';
import { PermanentError, SyncError, type ActivityType, type ActivityTypeRef } from '../../domain/index.js';
import type { Logger, OrgConfig } from '../../ports/index.js';
import { defaultSettings } from '../../domain/settings.js';
import { OperatorError, SetupValidationError, type SetupCheck, type SetupProblem } from './errors.js';
import { EMAIL_RE, type OperatorContext } from './shared.js';

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

/** Secrets the sync reads; the webhook secret is optional until the webhook function exists. */
const SHOWN_SECRETS = [
  SECRET_NAMES.severaClientSecret,
  SECRET_NAMES.googleP12,
  SECRET_NAMES.googleP12Password,
  SECRET_NAMES.webhookSecret,
] as const;
const REQUIRED_SECRETS = [SECRET_NAMES.severaClientSecret, SECRET_NAMES.googleP12] as const;

function typeRef(type: ActivityType): ActivityTypeRef {
  return { guid: type.guid, name: type.name, category: type.category };
}

export interface OrgSetupUseCases {
  setupOrg(input: OrgSetupInput): Promise<OrgSetupResult>;
  showOrg(): Promise<OrgView>;
  /** Switches the integration on or off without touching credentials (on needs a completed setup). */
  setOrgEnabled(enabled: boolean): Promise<OrgConfig>;
}

type Report = (check: SetupCheck, code: string, message: string) => void;

/** The typed-in fields, trimmed, and a problem for each that cannot be right (S1: named next to its field). */
function checkInput(
  input: OrgSetupInput,
  problem: Report,
): {
  serviceAccountEmail: string;
  testUserEmail: string;
  severaClientId: string;
  emailOk: boolean;
  testUserOk: boolean;
} {
  const serviceAccountEmail = input.serviceAccountEmail.trim();
  const testUserEmail = input.testUserEmail.trim().toLowerCase();
  const severaClientId = input.severaClientId.trim();
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
  return { serviceAccountEmail, testUserEmail, severaClientId, emailOk, testUserOk };
}

/** The chosen activity types among Severa's (by guid or name, case-insensitive), or a problem for each that is not. */
function chooseTypes(
  types: readonly ActivityType[],
  names: readonly string[],
  problem: Report,
): ActivityType[] {
  const syncedTypes: ActivityType[] = [];
  const available = types.filter((t) => t.isActive && t.category !== 'Task').map((t) => `"${t.name}"`);
  const availableText =
    available.length === 0
      ? 'Severa lists no activity type that can be synced.'
      : `Available: ${available.join(', ')}.`;
  const wanted = [
    ...new Map(names.map((n) => n.trim()).flatMap((n) => (n === '' ? [] : [[n.toLowerCase(), n]]))).values(),
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
  return syncedTypes;
}

/** A failed check → a problem: typed errors keep their actionable words, anything else is named only. */
function reportFailure(
  problem: Report,
  log: Logger,
  check: 'p12' | 'google' | 'severa',
  error: unknown,
  code?: string,
): void {
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
}

export function orgSetupUseCases(ctx: OperatorContext): OrgSetupUseCases {
  const { container, log, nowIso, requireOrg } = ctx;
  const { config, stores, secrets, adapters } = container;

  async function setupOrg(input: OrgSetupInput): Promise<OrgSetupResult> {
    const problems: SetupProblem[] = [];
    const unchecked: string[] = [];
    const problem = (check: SetupCheck, code: string, message: string) => {
      problems.push({ check, code, message });
    };
    const failed = (check: 'p12' | 'google' | 'severa', error: unknown, code?: string) => {
      reportFailure(problem, log, check, error, code);
    };

    const { serviceAccountEmail, testUserEmail, severaClientId, emailOk, testUserOk } = checkInput(
      input,
      problem,
    );
    const password = input.p12Password ?? DEFAULT_P12_PASSWORD;

    // The key opens with the password.
    let privateKeyPem: string | null = null;
    try {
      privateKeyPem = await adapters.openGoogleKey(input.p12, password);
    } catch (error) {
      failed('p12', error, 'p12-unreadable');
    }

    // A token for the test user by domain-wide delegation.
    if (privateKeyPem !== null && emailOk && testUserOk) {
      try {
        const google = await adapters.makeCalendar({ serviceAccountEmail, privateKeyPem });
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
        const severa = await adapters.makeSevera({
          clientId: severaClientId,
          clientSecret: input.severaClientSecret,
        });
        const access = await severa.checkAccess();
        severaScopes = access.grantedScopes;
        const missing = SEVERA_SYNC_SCOPES.filter((s) => !access.grantedScopes.includes(s));
        if (missing.length > 0) {
          problem('severa', 'missing-scope', missingScopeMessage(missing));
        } else {
          types = await severa.listActivityTypes();
        }
      } catch (error) {
        failed('severa', error);
      }
    }

    const syncedTypes = types === null ? [] : chooseTypes(types, input.syncedTypeNames, problem);
    if (types === null) unchecked.push('Activity types: they are checked once the Severa credential works.');

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

  return { setupOrg, showOrg, setOrgEnabled };
}

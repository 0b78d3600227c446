/**
 * S1 org setup: {@link OrgSetupUseCases.setupOrg} checks everything before it saves anything (the P12 opens, a
 * token for a test user by domain-wide delegation, the Severa credential and its scopes, the chosen activity types),
 * then saves the secrets through the secret store and the OrgConfig (which never holds a secret). The candidate
 * key is opened and the candidate clients are built by the composition root's factories (`container.adapters`).
 * With what the organisation's settings are and switching the integration on or off (`org-settings.ts`), the
 * {@link OrgSetupUseCases}.
 */
import { randomBytes } from 'node:crypto';

import { DEFAULT_P12_PASSWORD } from '../../adapters/google-calendar/google.auth.js';
import { SEVERA_SYNC_SCOPES, missingScopeMessage } from '../../adapters/severa/severa.errors.js';
import { SECRET_NAMES } from '../../config.js';
import { PermanentError, SyncError, type ActivityType, type ActivityTypeRef } from '../../domain/index.js';
import type { Logger, OrgConfig } from '../../ports/index.js';
import { defaultSettings } from '../../domain/settings.js';
import type { GoogleCredentials, SeveraCredentials } from '../container.js';
import { SetupValidationError, type SetupCheck, type SetupProblem } from './errors.js';
import { secretPresence, setOrgEnabled, showOrg, typeRef, type OrgView } from './org-settings.js';
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
  return {
    setupOrg: (input) => setupOrg(ctx, input),
    showOrg: () => showOrg(ctx),
    setOrgEnabled: (enabled) => setOrgEnabled(ctx, enabled),
  };
}

/** Every check first, each problem collected (nothing is saved when there is one), then {@link save}. */
async function setupOrg(ctx: OperatorContext, input: OrgSetupInput): Promise<OrgSetupResult> {
  const problems: SetupProblem[] = [];
  const unchecked: string[] = [];
  const problem: Report = (check, code, message) => {
    problems.push({ check, code, message });
  };

  const { serviceAccountEmail, testUserEmail, severaClientId, emailOk, testUserOk } = checkInput(
    input,
    problem,
  );
  const password = input.p12Password ?? DEFAULT_P12_PASSWORD;
  const privateKeyPem = await openKey(ctx, input.p12, password, problem);

  // A token for the test user by domain-wide delegation.
  if (privateKeyPem !== null && emailOk && testUserOk) {
    await checkDelegation(ctx, { serviceAccountEmail, privateKeyPem }, testUserEmail, problem);
  } else {
    unchecked.push(
      'Domain-wide delegation: it is checked once the key opens and both e-mail addresses are valid.',
    );
  }

  // The Severa credential works, has the sync's scopes, and the activity types exist.
  const severa =
    severaClientId !== '' && input.severaClientSecret !== ''
      ? await checkSevera(ctx, { clientId: severaClientId, clientSecret: input.severaClientSecret }, problem)
      : NOT_CHECKED;
  const { types } = severa;
  const syncedTypes = types === null ? [] : chooseTypes(types, input.syncedTypeNames, problem);
  if (types === null) unchecked.push('Activity types: they are checked once the Severa credential works.');

  if (problems.length > 0) throw new SetupValidationError(problems, unchecked);

  const saved = await save(ctx, input, {
    serviceAccountEmail,
    severaClientId,
    password,
    activityTypes: types ?? [],
    syncedTypes,
  });
  return { ...saved, syncedTypes: syncedTypes.map(typeRef), testUserEmail, severaScopes: severa.scopes };
}

/** The key opens with the password: its private key (PEM), or null and the problem. */
async function openKey(
  ctx: OperatorContext,
  p12: Buffer,
  password: string,
  problem: Report,
): Promise<string | null> {
  try {
    return await ctx.container.adapters.openGoogleKey(p12, password);
  } catch (error) {
    reportFailure(problem, ctx.log, 'p12', error, 'p12-unreadable');
    return null;
  }
}

/** Google issues the service account a token for the test user (domain-wide delegation). */
async function checkDelegation(
  ctx: OperatorContext,
  credentials: GoogleCredentials,
  testUserEmail: string,
  problem: Report,
): Promise<void> {
  try {
    const google = await ctx.container.adapters.makeCalendar(credentials);
    await google.checkDelegation(testUserEmail);
  } catch (error) {
    reportFailure(problem, ctx.log, 'google', error);
  }
}

/** What the Severa check found: the token's scopes, and Severa's activity types once the credential works. */
interface SeveraCheck {
  readonly scopes: readonly string[];
  /** Null until the credential works with every scope the sync needs. */
  readonly types: ActivityType[] | null;
}

const NOT_CHECKED: SeveraCheck = { scopes: [], types: null };

/** The Severa credential works and has the sync's scopes: then Severa's activity types. */
async function checkSevera(
  ctx: OperatorContext,
  credentials: SeveraCredentials,
  problem: Report,
): Promise<SeveraCheck> {
  let scopes: readonly string[] = [];
  try {
    const severa = await ctx.container.adapters.makeSevera(credentials);
    const access = await severa.checkAccess();
    scopes = access.grantedScopes;
    const missing = SEVERA_SYNC_SCOPES.filter((s) => !access.grantedScopes.includes(s));
    if (missing.length > 0) {
      problem('severa', 'missing-scope', missingScopeMessage(missing));
      return { scopes, types: null };
    }
    return { scopes, types: await severa.listActivityTypes() };
  } catch (error) {
    reportFailure(problem, ctx.log, 'severa', error);
    return { scopes, types: null };
  }
}

/** Everything checked: the secrets first (the config refers to them), then the OrgConfig. */
async function save(
  ctx: OperatorContext,
  input: OrgSetupInput,
  checked: {
    readonly serviceAccountEmail: string;
    readonly severaClientId: string;
    readonly password: string;
    readonly activityTypes: readonly ActivityType[];
    readonly syncedTypes: readonly ActivityType[];
  },
): Promise<Pick<OrgSetupResult, 'config' | 'savedSecrets'>> {
  const { stores, secrets } = ctx.container;
  const saved: Array<readonly [string, string]> = [
    [SECRET_NAMES.severaClientSecret, input.severaClientSecret],
    [SECRET_NAMES.googleP12, input.p12.toString('base64')],
    // Always written, so a password left from an earlier key can never be used with this one.
    [SECRET_NAMES.googleP12Password, checked.password],
  ];
  // The webhook's HMAC key is made once, when there is none: a relay is configured with it (S8).
  if ((await secretPresence(secrets, SECRET_NAMES.webhookSecret)) === 'missing') {
    saved.push([SECRET_NAMES.webhookSecret, randomBytes(32).toString('base64url')]);
  }
  for (const [name, value] of saved) await secrets.putSecret(name, value);
  const previous = await stores.orgConfig.getOrgConfig();
  const config: OrgConfig = {
    enabled: input.enable ?? previous?.enabled ?? false,
    serviceAccountEmail: checked.serviceAccountEmail,
    severaClientId: checked.severaClientId,
    sync: defaultSettings({
      ...previous?.sync,
      activityTypes: checked.activityTypes,
      syncedActivityTypeGuids: checked.syncedTypes.map((t) => t.guid),
    }),
    updatedAt: ctx.nowIso(),
  };
  await stores.orgConfig.putOrgConfig(config);
  ctx.log.info('organisation settings saved', {
    enabled: config.enabled,
    syncedTypes: checked.syncedTypes.length,
    secretsSaved: saved.length,
  });
  return { config, savedSecrets: saved.map(([name]) => name) };
}

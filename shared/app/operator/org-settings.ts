/**
 * The organisation's settings as they stand ({@link showOrg}: the OrgConfig, which secrets are set, never their
 * values), and switching the integration on or off ({@link setOrgEnabled}) without touching credentials.
 */
import { SecretMissingError } from '../../adapters/secrets/secret-name.js';
import { SECRET_NAMES } from '../../config.js';
import type { ActivityType, ActivityTypeRef } from '../../domain/index.js';
import type { OrgConfig, SecretStore } from '../../ports/index.js';
import { OperatorError } from './errors.js';
import type { OperatorContext } from './shared.js';

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

export function typeRef(type: ActivityType): ActivityTypeRef {
  return { guid: type.guid, name: type.name, category: type.category };
}

/** Whether a secret is there: it is read, never shown. */
export async function secretPresence(secrets: SecretStore, name: string): Promise<SecretPresence> {
  try {
    await secrets.get(name);
    return 'set';
  } catch (error) {
    if (error instanceof SecretMissingError) return 'missing';
    return 'unreadable';
  }
}

export async function showOrg(ctx: OperatorContext): Promise<OrgView> {
  const { config, stores, secrets } = ctx.container;
  const org = await stores.orgConfig.getOrgConfig();
  const found: Record<string, SecretPresence> = {};
  for (const name of SHOWN_SECRETS) found[name] = await secretPresence(secrets, name);
  const synced = new Set(org?.sync.syncedActivityTypeGuids ?? []);
  const types = org?.sync.activityTypes ?? [];
  return {
    orgId: config.orgId,
    config: org,
    secrets: found,
    syncedTypes: types.filter((t) => synced.has(t.guid)).map(typeRef),
  };
}

/** Switches the integration on or off without touching credentials (on needs a completed setup). */
export async function setOrgEnabled(ctx: OperatorContext, enabled: boolean): Promise<OrgConfig> {
  const { stores, secrets } = ctx.container;
  const org = await ctx.requireOrg();
  if (enabled) {
    const missing: string[] = [];
    for (const name of REQUIRED_SECRETS)
      if ((await secretPresence(secrets, name)) !== 'set') missing.push(name);
    if (missing.length > 0) {
      throw new OperatorError(
        'org-not-set-up',
        `The integration cannot be switched on: the secret${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. Run the org setup again (npm run cli -- org setup …).`,
      );
    }
  }
  const next: OrgConfig = { ...org, enabled, updatedAt: ctx.nowIso() };
  await stores.orgConfig.putOrgConfig(next);
  ctx.log.info('organisation integration switched', { enabled });
  return next;
}

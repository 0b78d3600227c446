/**
 * What the operator's use cases share: what they take from the composition root, their options, the lookups
 * several of them make (the organisation's configuration, a person in Severa and in the directory), and the
 * person's lease they take to change what a run of theirs would otherwise write over.
 */
import { randomUUID } from 'node:crypto';

import type { SeveraUserLookup } from '../../adapters/severa/severa.directory-cache.js';
import { canonicalInstant, type SyncUser } from '../../domain/index.js';
import type { Logger, OrgConfig, UserRecord } from '../../ports/index.js';
import type { Container } from '../container.js';
import { leaseKey } from '../sync-worker.js';
import { OperatorError } from './errors.js';

/** What the operator needs from the composition root. */
export type OperatorContainer = Pick<
  Container,
  'config' | 'logger' | 'clock' | 'stores' | 'secrets' | 'publisher' | 'adapters' | 'severa' | 'calendar'
>;

export interface OperatorOptions {
  /** How long a full resync may hold the person's lease while it clears the sync token. */
  readonly resyncLeaseMs?: number;
}

export const EMAIL_RE = /^[^@\s]+@[^@\s]+$/;
/** How long a full resync holds the person's lease while it clears the sync token. */
export const DEFAULT_RESYNC_LEASE_MS = 60_000;

export function normaliseEmail(email: string, what = 'e-mail'): string {
  const address = email.trim().toLowerCase();
  if (!EMAIL_RE.test(address)) {
    // What was typed is not repeated: it may be a secret entered in the wrong place (issue 10 #7).
    throw new OperatorError('invalid-input', `That is not an ${what} address.`);
  }
  return address;
}

/** The composition root's parts with the operator's own logger, and the lookups the use cases share. */
export interface OperatorContext {
  readonly container: OperatorContainer;
  readonly options: OperatorOptions;
  /** The operator's logger (`component: operator`). */
  readonly log: Logger;
  /** The clock's now as a canonical instant. */
  readonly nowIso: () => string;
  /** The organisation's configuration, or the refusal: it is not set up yet. */
  readonly requireOrg: () => Promise<OrgConfig>;
  /** The organisation's configuration, or the refusal: it is not set up, or switched off. */
  readonly requireEnabledOrg: () => Promise<OrgConfig>;
  /** The Severa user of an e-mail (S2), or the refusal in words. */
  readonly activeSeveraUser: (address: string) => Promise<SyncUser>;
  /** A person in the directory by e-mail (case-insensitive), or null. */
  readonly directoryUser: (address: string) => Promise<UserRecord | null>;
  /**
   * A person whose sync is on, in an organisation that is switched on, or the refusal in words: `why` says what that
   * means for the operator's request (", so there is nothing to resync:"), before "only they can switch it on".
   */
  readonly enabledPerson: (address: string, why: string) => Promise<UserRecord>;
}

export function operatorContext(container: OperatorContainer, options: OperatorOptions): OperatorContext {
  const { logger, clock, stores } = container;
  return {
    container,
    options,
    log: logger.child({ component: 'operator' }),
    nowIso: () => canonicalInstant(clock.now().toISOString()),
    requireOrg: () => requireOrg(stores),
    requireEnabledOrg: () => requireEnabledOrg(stores),
    activeSeveraUser: (address) => activeSeveraUser(container, address),
    directoryUser: (address) => directoryUser(stores, address),
    enabledPerson: (address, why) => enabledPerson(stores, address, why),
  };
}

type Stores = OperatorContainer['stores'];

async function requireOrg(stores: Stores): Promise<OrgConfig> {
  const org = await stores.orgConfig.getOrgConfig();
  if (org === null) {
    throw new OperatorError(
      'org-not-set-up',
      'The organisation is not set up yet: an administrator runs the org setup first (npm run cli -- org setup …).',
    );
  }
  return org;
}

async function requireEnabledOrg(stores: Stores): Promise<OrgConfig> {
  const org = await requireOrg(stores);
  if (!org.enabled) {
    throw new OperatorError(
      'org-disabled',
      'The integration is switched off for the organisation, so nobody can switch their sync on: an administrator switches it on first (npm run cli -- org enable).',
    );
  }
  return org;
}

/** The Severa user of an e-mail (S2), or the refusal in words. */
async function activeSeveraUser(container: OperatorContainer, address: string): Promise<SyncUser> {
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
async function directoryUser(stores: Stores, address: string): Promise<UserRecord | null> {
  const all = await stores.users.listUsers();
  return all.find((u) => u.email.toLowerCase() === address) ?? null;
}

async function enabledPerson(stores: Stores, address: string, why: string): Promise<UserRecord> {
  await requireEnabledOrg(stores);
  const record = await directoryUser(stores, address);
  if (record === null || !record.enabled) {
    throw new OperatorError(
      'user-not-enabled',
      `Sync is not switched on for ${address}${why} only they can switch it on, in the console (My calendar sync, S2).`,
    );
  }
  return record;
}

/** The person as the sync knows them, from their directory record. */
export function syncUserOf(record: UserRecord): SyncUser {
  const { severaUserGuid, email, timeZone, defaultActivityTypeGuid } = record;
  return { severaUserGuid, email, timeZone, defaultActivityTypeGuid };
}

/**
 * Does `work` under the person's lease (the one their runs take, held at most {@link OperatorOptions.resyncLeaseMs}),
 * so a run in progress cannot write over it; refuses as `user-busy` with the words `busy` while a run holds it.
 */
export async function underPersonLease<T>(
  ctx: OperatorContext,
  severaUserGuid: string,
  at: string,
  busy: string,
  work: () => Promise<T>,
): Promise<T> {
  const { leases } = ctx.container.stores;
  const holder = `operator:${randomUUID()}`;
  const key = leaseKey(severaUserGuid);
  const ttl = ctx.options.resyncLeaseMs ?? DEFAULT_RESYNC_LEASE_MS;
  if (!(await leases.acquire(key, holder, at, ttl))) throw new OperatorError('user-busy', busy);
  try {
    return await work();
  } finally {
    await leases.release(key, holder);
  }
}

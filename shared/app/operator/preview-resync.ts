/**
 * B1 preview and B7 resync. {@link PreviewResyncUseCases.previewUser} plans a run with nothing written (the runner's
 * dry run, over read-only views of the store and both APIs, so even a runner bug cannot write);
 * {@link PreviewResyncUseCases.resync} asks for a run now, a full one after clearing the Google sync token.
 */
import { randomUUID } from 'node:crypto';

import type { SideVersion, SyncUser } from '../../domain/index.js';
import type {
  CalendarListRequest,
  CalendarListResult,
  CalendarPort,
  CalendarWrite,
  CreateIntent,
  DeletionHold,
  HeldDeletion,
  InboxItem,
  Refusal,
  SeveraCreate,
  SeveraPort,
  SeveraUpdate,
  SeveraWindow,
  SyncStore,
} from '../../ports/index.js';
import { previewOf, type PlanPreview } from '../../sync/preview.js';
import { syncUser } from '../../sync/runner.js';
import { leaseKey } from '../sync-worker.js';
import { OperatorError } from './errors.js';
import { DEFAULT_RESYNC_LEASE_MS, normaliseEmail, type OperatorContext } from './shared.js';

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

export interface PreviewResyncUseCases {
  previewUser(email: string): Promise<PreviewResult>;
  resync(email: string, options?: { readonly full?: boolean }): Promise<ResyncResult>;
}

export function previewResyncUseCases(ctx: OperatorContext): PreviewResyncUseCases {
  const { container, options, log, nowIso, requireOrg, requireEnabledOrg, activeSeveraUser, directoryUser } =
    ctx;
  const { clock, stores, publisher } = container;

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

  return { previewUser, resync };
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
  getSeveraPoll() {
    return this.inner.getSeveraPoll();
  }
  setSeveraPoll(): Promise<void> {
    return this.#drop('setSeveraPoll');
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

/**
 * People: S2 opt-in ({@link PeopleUseCases.enableUser}, only while the organisation is switched on; the person is
 * matched by e-mail, case-insensitively, in Severa and Google must issue a delegated token for them) and opt-out,
 * B7 status, and B3 hold decisions (audited).
 */
import { randomUUID } from 'node:crypto';

import { PermanentError, type SyncUser } from '../../domain/index.js';
import type {
  DeletionHold,
  HeldDeletion,
  HoldReason,
  UserRecord,
  UserSyncState,
  UserSyncStatus,
} from '../../ports/index.js';
import { about } from '../../sync/audit-summary.js';
import { DEFAULT_TICK_OPTIONS, renewChannel } from '../sync-tick.js';
import { DEFAULT_WORKER_OPTIONS, leaseKey } from '../sync-worker.js';
import { OperatorError } from './errors.js';
import { DEFAULT_RESYNC_LEASE_MS, normaliseEmail, type OperatorContext } from './shared.js';

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

/** What a person sees between switching sync on and their first sync's first progress (B7). */
export function firstSyncQueued(previous: UserSyncStatus): UserSyncStatus {
  return {
    state: 'initial',
    lastSuccessAt: previous.lastSuccessAt,
    message:
      'The first sync is queued: entries on both sides are matched first, then the rest is copied both ways.',
    pendingRetries: 0,
  };
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
    /**
     * What would be deleted (the first {@link HELD_ITEMS_SHOWN}): each entry's title as last synced ("Private entry"
     * for a private one), its day, and the calendar it would go from.
     */
    readonly items: readonly HeldItemView[];
  };
  /**
   * The last success is older than the cycle allows (every person is synced at least once per safety interval):
   * something keeps this person's sync from running or finishing. Null while it keeps up.
   */
  readonly behindSince: string | null;
  /** While a first sync runs: how many of its planned changes are done, of how many. */
  readonly progress: { readonly done: number; readonly total: number } | null;
}

/** One held deletion as a status shows it. */
export interface HeldItemView {
  readonly title: string;
  /** `YYYY-MM-DD`, the entry's first day. */
  readonly date: string | null;
  /** Where the entry would be deleted: its Google event (`google`) or its Severa activity (`severa`). */
  readonly from: 'google' | 'severa';
}

/** A status lists this many held deletions; the count says how many there are in all. */
export const HELD_ITEMS_SHOWN = 50;

export interface HoldDecisionResult {
  readonly user: SyncUser;
  readonly decision: 'confirm' | 'reject';
  /** How many held deletions the decision covers. */
  readonly deletions: number;
  readonly requestId: string;
}

/** Beyond a safety interval: one tick and a long run, before a status counts as behind. */
const BEHIND_MARGIN_MS = 5 * 60_000;
const OFF_STATUS: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };

export interface PeopleUseCases {
  enableUser(email: string): Promise<EnableUserResult>;
  disableUser(email: string): Promise<DisableUserResult>;
  userStatus(email: string): Promise<UserStatusView>;
  listStatuses(): Promise<readonly UserStatusView[]>;
  /**
   * Decides a B3 hold (audited): `confirm` lets the person's next run apply the held deletions, `reject` makes it
   * restore the deleted entries from the other side. `by` names who decided, for the audit trail.
   */
  decideHold(email: string, decision: 'confirm' | 'reject', by: string): Promise<HoldDecisionResult>;
}

export function peopleUseCases(ctx: OperatorContext): PeopleUseCases {
  const {
    container,
    options,
    log,
    nowIso,
    requireEnabledOrg,
    activeSeveraUser,
    directoryUser,
    enabledPerson,
  } = ctx;
  const { config, clock, stores, publisher } = container;

  /** A status is behind when its last success is older than a safety interval and a tick (plus one run's time). */
  const behindAfterMs = config.intervals.safetySyncMs + BEHIND_MARGIN_MS;

  async function statusOf(email: string, user: UserRecord | null): Promise<UserStatusView> {
    if (user === null) return statusView(email, null, OFF_STATUS, null, []);
    const guid = user.severaUserGuid;
    const [status, hold] = await Promise.all([stores.store.getStatus(guid), stores.store.getHold(guid)]);
    const items = hold === null ? [] : heldItems(await stores.store.listHeld(guid));
    return statusView(email, user, status, hold, items);
  }

  function heldItems(held: readonly HeldDeletion[]): HeldItemView[] {
    return held.slice(0, HELD_ITEMS_SHOWN).map((h) => {
      const entry = about(h.link.base);
      return { title: entry.isPrivate ? 'Private entry' : entry.title, date: entry.date, from: h.side };
    });
  }

  function statusView(
    email: string,
    user: UserRecord | null,
    status: UserSyncStatus,
    hold: DeletionHold | null,
    items: readonly HeldItemView[],
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
          : {
              reason: hold.reason,
              since: hold.since,
              deletions: hold.deletions,
              decision: hold.decision,
              items,
            },
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
      await stores.store.setStatus(user.severaUserGuid, firstSyncQueued(status));
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

  // ---- B3

  async function decideHold(
    email: string,
    decision: 'confirm' | 'reject',
    by: string,
  ): Promise<HoldDecisionResult> {
    const address = normaliseEmail(email);
    const record = await enabledPerson(address, ": a hold is applied by the person's next sync, and");
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
          title: '',
          date: null,
          private: false,
          changes: [],
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

  return { enableUser, disableUser, userStatus, listStatuses, decideHold };
}

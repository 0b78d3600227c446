import type { SyncUser } from '../domain/index.js';
import type { WatchChannel } from './calendar.port.js';

/**
 * A person who may sync: who they are on both sides, whether they opted in, and the bookkeeping the org-level
 * functions need (SPEC §5 `…/users/{severaUserGuid}`). The sync token, status, links and inbox live in
 * {@link import('./sync-store.port.js').SyncStore}.
 */
export interface UserRecord extends SyncUser {
  /** Opted in (S2): only these users are synced, routed to and watched. */
  readonly enabled: boolean;
  /** The current push channel on the user's primary calendar, if any. */
  readonly channel: WatchChannel | null;
  /** Canonical instant of the last windowed Severa reconcile (deletion detection, SPEC §6). */
  readonly lastReconcileAt: string | null;
  /** Start of the last run that completed without failures: a sync request older than this is already served. */
  readonly lastCompleteRunStartedAt: string | null;
  /** Canonical instant the scheduler last asked for a safety sync of this user (so a failing user is not asked every tick). */
  readonly lastSafetyRequestAt: string | null;
}

export interface UserDirectory {
  listUsers(): Promise<readonly UserRecord[]>;
  getUser(severaUserGuid: string): Promise<UserRecord | null>;
  /** Creates or replaces the user. */
  putUser(user: UserRecord): Promise<void>;
  /** Updates only the given bookkeeping fields (a missing user is an error). */
  updateUser(
    severaUserGuid: string,
    patch: Partial<
      Pick<
        UserRecord,
        'enabled' | 'channel' | 'lastReconcileAt' | 'lastCompleteRunStartedAt' | 'lastSafetyRequestAt'
      >
    >,
  ): Promise<void>;
  /** The user a push channel belongs to (calendarPush looks channels up by id). */
  findUserByChannelId(channelId: string): Promise<UserRecord | null>;
}

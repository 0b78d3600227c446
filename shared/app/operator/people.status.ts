/**
 * B7: one person's sync health, and everyone's. What a status shows of a B3 hold (how many deletions wait, and the
 * first of them in words) is read here too; deciding it is `people.hold.ts`.
 */
import type {
  DeletionHold,
  HeldDeletion,
  HoldReason,
  UserRecord,
  UserSyncState,
  UserSyncStatus,
} from '../../ports/index.js';
import { about } from '../../sync/audit-summary.js';
import { normaliseEmail, type OperatorContext } from './shared.js';

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

/** Beyond a safety interval: one tick and a long run, before a status counts as behind. */
const BEHIND_MARGIN_MS = 5 * 60_000;
const OFF_STATUS: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };

export async function userStatus(ctx: OperatorContext, email: string): Promise<UserStatusView> {
  const address = normaliseEmail(email);
  return statusOf(ctx, address, await ctx.directoryUser(address));
}

export async function listStatuses(ctx: OperatorContext): Promise<readonly UserStatusView[]> {
  const users = [...(await ctx.container.stores.users.listUsers())].sort((a, b) =>
    a.email.localeCompare(b.email),
  );
  const views: UserStatusView[] = [];
  for (const user of users) views.push(await statusOf(ctx, user.email, user));
  return views;
}

async function statusOf(
  ctx: OperatorContext,
  email: string,
  user: UserRecord | null,
): Promise<UserStatusView> {
  if (user === null) return statusView(email, null, OFF_STATUS, null, [], null);
  const { store } = ctx.container.stores;
  const guid = user.severaUserGuid;
  const [status, hold] = await Promise.all([store.getStatus(guid), store.getHold(guid)]);
  const items = hold === null ? [] : heldItems(await store.listHeld(guid));
  return statusView(email, user, status, hold, items, user.enabled ? behindSince(ctx, status) : null);
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
  /** {@link behindSince} for a person whose sync is on, else null. */
  behind: string | null,
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
    behindSince: behind,
    progress: enabled && status.state === 'initial' ? (status.progress ?? null) : null,
  };
}

/** A status is behind when its last success is older than a safety interval and a tick (plus one run's time). */
function behindSince(ctx: OperatorContext, status: UserSyncStatus): string | null {
  if (status.state === 'off' || status.state === 'initial') return null;
  const since = status.lastSuccessAt;
  if (since === null) return null;
  const { config, clock } = ctx.container;
  const behindAfterMs = config.intervals.safetySyncMs + BEHIND_MARGIN_MS;
  return clock.now().getTime() - Date.parse(since) > behindAfterMs ? since : null;
}

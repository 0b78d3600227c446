/**
 * The org-level cycle (SPEC §5 `syncTick`): one org-wide Severa change poll, sync requests for the users it concerns,
 * safety syncs and Severa reconciles on a slower cadence, and renewal of Google push channels before they expire.
 * Every step is safe to repeat: the watermark moves only after the changes are in the users' inboxes, and a renewed
 * channel is stored before the old one is stopped.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { canonicalInstant } from '../domain/index.js';
import type {
  CalendarChannelsPort,
  Clock,
  Logger,
  OrgConfigStore,
  SeveraPort,
  SyncRequest,
  SyncRequestPublisher,
  SyncStore,
  UserDirectory,
  UserRecord,
} from '../ports/index.js';
import { pollSeveraChanges } from '../sync/org-poll.js';
import { hashChannelToken } from './webhook-signature.js';

export interface TickOptions {
  /** How far each poll reaches back before the watermark (`changedSince` is ≥ and rows may land late). */
  readonly pollOverlapMs: number;
  /** Where the very first poll starts. */
  readonly initialLookbackMs: number;
  /** A user not fully synced for this long gets a safety sync (lost push notifications, SPEC §10: ≤ 4 per hour). */
  readonly safetySyncIntervalMs: number;
  /** A user's Severa window is re-listed this often to find deletions (confirmed by 404 before acting). */
  readonly reconcileIntervalMs: number;
  /** Channels expiring within this are renewed. */
  readonly channelRenewBeforeMs: number;
  readonly channelTtlSeconds: number;
  /** Where Google posts notifications (`calendarPush`); null runs on polling and safety syncs only. */
  readonly pushAddress: string | null;
}

export const DEFAULT_TICK_OPTIONS: TickOptions = {
  pollOverlapMs: 2 * 60_000,
  initialLookbackMs: 60 * 60_000,
  safetySyncIntervalMs: 15 * 60_000,
  reconcileIntervalMs: 60 * 60_000,
  channelRenewBeforeMs: 24 * 3_600_000,
  channelTtlSeconds: 7 * 24 * 3600,
  pushAddress: null,
};

export interface TickDeps {
  readonly severa: SeveraPort;
  readonly channels: CalendarChannelsPort;
  readonly store: SyncStore;
  readonly users: UserDirectory;
  readonly orgConfig: OrgConfigStore;
  readonly publisher: SyncRequestPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: TickOptions;
}

export interface PollSummary {
  readonly changed: number;
  readonly requested: readonly string[];
  /** Guids of the changed activities the poll saw. */
  readonly guids: readonly string[];
}

export interface MaintenanceSummary {
  readonly safetySyncs: readonly string[];
  readonly reconciles: readonly string[];
  readonly renewedChannels: readonly string[];
  readonly stoppedChannels: readonly string[];
  readonly failures: number;
}

function request(user: string, reason: SyncRequest['reason'], now: string, reconcile = false): SyncRequest {
  return { user, reason, requestedAt: now, reconcile };
}

/** Past this many people, one listing of the directory is cheaper than looking each one up. */
const LOOKUPS_BEFORE_LISTING = 50;

/** Which of these users have sync on: each looked up, or the directory listed once when they are many. */
async function syncingAmong(users: UserDirectory, guids: readonly string[]): Promise<Set<string>> {
  if (guids.length > LOOKUPS_BEFORE_LISTING) {
    const wanted = new Set(guids);
    return new Set(
      (await users.listUsers())
        .filter((u) => u.enabled && wanted.has(u.severaUserGuid))
        .map((u) => u.severaUserGuid),
    );
  }
  const found = await Promise.all(guids.map((guid) => users.getUser(guid)));
  return new Set(found.filter((u) => u?.enabled === true).map((u) => u?.severaUserGuid ?? ''));
}

/**
 * One org-wide `changedSince` poll (1 Severa call per idle cycle, whatever the number of users) and a sync request
 * for every user a change concerns.
 */
export async function pollAndRoute(deps: TickDeps): Promise<PollSummary> {
  const config = await deps.orgConfig.getOrgConfig();
  if (!config?.enabled) return { changed: 0, requested: [], guids: [] };
  const result = await pollSeveraChanges(
    { severa: deps.severa, store: deps.store, clock: deps.clock },
    {
      syncingAmong: (guids) => syncingAmong(deps.users, guids),
      overlapMs: deps.options.pollOverlapMs,
      initialLookbackMs: deps.options.initialLookbackMs,
    },
  );
  const now = canonicalInstant(deps.clock.now().toISOString());
  // The changes are in the inboxes already: a failed publish is caught up by the user's next safety sync.
  await Promise.all(result.users.map((u) => deps.publisher.publish(request(u, 'severa-change', now))));
  if (result.changed > 0) {
    deps.logger.info('severa changes routed', { changed: result.changed, users: result.users.length });
  }
  return { changed: result.changed, requested: result.users, guids: result.guids };
}

/** Safety syncs, reconciles and channel upkeep for every user that is due. */
export async function maintain(deps: TickDeps): Promise<MaintenanceSummary> {
  const { options, logger } = deps;
  const nowMs = deps.clock.now().getTime();
  const now = canonicalInstant(new Date(nowMs).toISOString());
  const summary = {
    safetySyncs: [] as string[],
    reconciles: [] as string[],
    renewedChannels: [] as string[],
    stoppedChannels: [] as string[],
    failures: 0,
  };
  const config = await deps.orgConfig.getOrgConfig();
  const all = await deps.users.listUsers();
  const orgOn = config?.enabled === true;

  for (const user of all) {
    const guid = user.severaUserGuid;
    try {
      if (!orgOn || !user.enabled) {
        // Opted out (or the org switched off): stop Google from notifying us about this calendar.
        if (user.channel) {
          await deps.channels.stop(user, user.channel);
          await deps.users.updateUser(guid, { channel: null });
          summary.stoppedChannels.push(guid);
        }
        continue;
      }
      const older = (at: string | null, ms: number) => at === null || nowMs - Date.parse(at) >= ms;
      const reconcileDue = older(user.lastReconcileAt, options.reconcileIntervalMs);
      const safetyDue = older(user.lastCompleteRunStartedAt, options.safetySyncIntervalMs);
      // A user whose runs keep failing is asked again only at the shorter cadence, not on every tick.
      const askedRecently = !older(
        user.lastSafetyRequestAt,
        Math.min(options.safetySyncIntervalMs, options.reconcileIntervalMs),
      );
      if ((safetyDue || reconcileDue) && !askedRecently) {
        await deps.users.updateUser(guid, { lastSafetyRequestAt: now });
        await deps.publisher.publish(request(guid, 'reconcile', now, reconcileDue));
        summary.safetySyncs.push(guid);
        if (reconcileDue) summary.reconciles.push(guid);
      }
      if (options.pushAddress !== null) {
        const expiring =
          user.channel === null ||
          Date.parse(user.channel.expiration) - nowMs <= options.channelRenewBeforeMs;
        if (expiring) {
          await renewChannel(deps, user, options.pushAddress);
          summary.renewedChannels.push(guid);
        }
      }
    } catch (error) {
      summary.failures += 1;
      logger.warn('user upkeep failed; retried on the next tick', { user: guid, error });
    }
  }
  return summary;
}

/**
 * A new channel with a new id and secret; stored before the old one is stopped, so there is never a moment without
 * a channel we know (both may notify for a short while; the worker's coalescing absorbs the duplicate).
 */
export async function renewChannel(
  deps: Pick<TickDeps, 'channels' | 'users' | 'logger'> & {
    readonly options: Pick<TickOptions, 'channelTtlSeconds'>;
  },
  user: UserRecord,
  address: string,
): Promise<void> {
  const channel = await deps.channels.watch(user, {
    id: randomUUID(),
    address,
    token: randomBytes(32).toString('base64url'),
    ttlSeconds: deps.options.channelTtlSeconds,
  });
  // Only the token's hash is stored: a leaked Firestore export cannot be used to forge notifications.
  await deps.users.updateUser(user.severaUserGuid, {
    channel: { ...channel, token: hashChannelToken(channel.token) },
  });
  if (user.channel) {
    try {
      await deps.channels.stop(user, user.channel);
    } catch (error) {
      // It expires on its own; its notifications only cause a harmless extra sync.
      deps.logger.warn('old push channel could not be stopped', { user: user.severaUserGuid, error });
    }
  }
  deps.logger.info('push channel renewed', { user: user.severaUserGuid, expiration: channel.expiration });
}

export interface TickCycleSummary {
  readonly polls: readonly PollSummary[];
  readonly maintenance: MaintenanceSummary;
}

export interface TickCycleOptions {
  /** The second poll, this long after the first (0: one poll per tick). */
  readonly secondPollDelayMs: number;
  /**
   * The upkeep runs in the ticks of every n-th minute of the clock, not in every tick: it reads every person's record,
   * and its cadences (15-min safety syncs, hourly reconciles, channels renewed a day ahead) need no finer step.
   */
  readonly maintenanceEveryMinutes: number;
}

const NO_MAINTENANCE: MaintenanceSummary = {
  safetySyncs: [],
  reconciles: [],
  renewedChannels: [],
  stoppedChannels: [],
  failures: 0,
};

/** Whether the tick at `now` is one that does the upkeep (minute of the clock divisible by `every`). */
export function isMaintenanceMinute(now: Date, every: number): boolean {
  return Math.floor(now.getTime() / 60_000) % Math.max(1, every) === 0;
}

/**
 * One Cloud Scheduler tick (every minute): a poll, the upkeep when its minute has come, and a second poll
 * `secondPollDelayMs` later, so Severa changes are seen about every 30 s (SPEC §3 S8) with one scheduler job.
 */
export async function runTickCycle(
  deps: TickDeps,
  sleep: (ms: number) => Promise<void>,
  options: TickCycleOptions,
): Promise<TickCycleSummary> {
  const { secondPollDelayMs } = options;
  const polls = [await pollAndRoute(deps)];
  const maintenance = isMaintenanceMinute(deps.clock.now(), options.maintenanceEveryMinutes)
    ? await maintain(deps)
    : NO_MAINTENANCE;
  if (secondPollDelayMs > 0) {
    await sleep(secondPollDelayMs);
    polls.push(await pollAndRoute(deps));
  }
  return { polls, maintenance };
}

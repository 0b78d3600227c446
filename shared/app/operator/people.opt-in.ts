/**
 * S2: a person switches their sync on (only while the organisation is switched on; the person is matched by e-mail,
 * case-insensitively, in Severa and Google must issue a delegated token for them), and off again.
 */
import { PermanentError, type SyncUser } from '../../domain/index.js';
import type { UserRecord, UserSyncStatus } from '../../ports/index.js';
import { DEFAULT_TICK_OPTIONS, renewChannel } from '../sync-tick.js';
import { OperatorError } from './errors.js';
import { normaliseEmail, type OperatorContainer, type OperatorContext } from './shared.js';

type Calendar = Awaited<ReturnType<OperatorContainer['calendar']>>;

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

export async function enableUser(ctx: OperatorContext, email: string): Promise<EnableUserResult> {
  const { container, log, nowIso } = ctx;
  const { config, stores, publisher } = container;
  const address = normaliseEmail(email);
  await ctx.requireEnabledOrg();
  const user = await ctx.activeSeveraUser(address);
  const calendar = await container.calendar();
  await checkDelegation(calendar, user);
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
    await openChannel(ctx, calendar, record, config.pushAddress);
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

export async function disableUser(ctx: OperatorContext, email: string): Promise<DisableUserResult> {
  const { stores } = ctx.container;
  const address = normaliseEmail(email);
  const user = await ctx.directoryUser(address);
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
  ctx.log.info('user sync switched off', { user: user.severaUserGuid, wasEnabled: user.enabled });
  return { email: user.email, severaUserGuid: user.severaUserGuid, wasEnabled: user.enabled };
}

/** Google issues a delegated token for the person, or the refusal in words (`google-access`). */
async function checkDelegation(calendar: Calendar, user: SyncUser): Promise<void> {
  try {
    await calendar.checkDelegation(user.email);
  } catch (error) {
    if (error instanceof PermanentError) {
      throw new OperatorError(
        'google-access',
        `Sync cannot be switched on for ${user.email}: ${error.userMessage}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

/** Opens the person's push channel; a failure is only logged (the next tick opens it). */
async function openChannel(
  ctx: OperatorContext,
  calendar: Calendar,
  record: UserRecord,
  pushAddress: string,
): Promise<void> {
  try {
    await renewChannel(
      {
        channels: calendar,
        users: ctx.container.stores.users,
        logger: ctx.log,
        options: { channelTtlSeconds: DEFAULT_TICK_OPTIONS.channelTtlSeconds },
      },
      record,
      pushAddress,
    );
  } catch (error) {
    ctx.log.warn('push channel not opened at opt-in; the next tick opens it', {
      user: record.severaUserGuid,
      error,
    });
  }
}

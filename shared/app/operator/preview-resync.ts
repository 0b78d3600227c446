/**
 * B1 preview and B7 resync. {@link PreviewResyncUseCases.previewUser} plans a run with nothing written (the runner's
 * dry run, over read-only views of the store and both APIs: shared/sync/runner/dry-run.ts, so even a runner bug
 * cannot write);
 * {@link PreviewResyncUseCases.resync} asks for a run now, a full one after clearing the Google sync token.
 */
import { randomUUID } from 'node:crypto';

import type { SyncUser } from '../../domain/index.js';
import { previewOf, type PlanPreview } from '../../sync/preview.js';
import { syncUser } from '../../sync/runner/index.js';
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
  const { container, options, log, nowIso, requireOrg, activeSeveraUser, enabledPerson } = ctx;
  const { clock, stores, publisher } = container;

  // ---- B1

  async function previewUser(email: string): Promise<PreviewResult> {
    const address = normaliseEmail(email);
    const org = await requireOrg();
    const user = await activeSeveraUser(address);
    const existing = await stores.users.getUser(user.severaUserGuid);
    // A dry run reads through read-only views of both APIs and the store (dry-run.ts): nothing can be written.
    const result = await syncUser(
      {
        severa: await container.severa(),
        calendar: await container.calendar(),
        store: stores.store,
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
    const record = await enabledPerson(address, ', so there is nothing to resync:');
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

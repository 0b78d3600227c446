/**
 * B1 preview and B7 resync. {@link PreviewResyncUseCases.previewUser} plans a run with nothing written (the runner's
 * dry run, over read-only views of the store and both APIs: shared/sync/runner/dry-run.ts, so even a runner bug
 * cannot write);
 * {@link PreviewResyncUseCases.resync} asks for a run now, a full one after clearing the Google sync token.
 */
import type { SyncUser } from '../../domain/index.js';
import { previewOf, type PlanPreview } from '../../sync/preview.js';
import { syncUser } from '../../sync/runner/index.js';
import { normaliseEmail, syncUserOf, underPersonLease, type OperatorContext } from './shared.js';

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
  return {
    previewUser: (email) => previewUser(ctx, email),
    resync: (email, options) => resync(ctx, email, options),
  };
}

// ---- B1

async function previewUser(ctx: OperatorContext, email: string): Promise<PreviewResult> {
  const { container } = ctx;
  const { clock, stores } = container;
  const address = normaliseEmail(email);
  const org = await ctx.requireOrg();
  const user = await ctx.activeSeveraUser(address);
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

// ---- B7

async function resync(
  ctx: OperatorContext,
  email: string,
  resyncOptions: { readonly full?: boolean } = {},
): Promise<ResyncResult> {
  const address = normaliseEmail(email);
  const record = await ctx.enabledPerson(address, ', so there is nothing to resync:');
  const full = resyncOptions.full ?? false;
  const requestedAt = ctx.nowIso();
  if (full) {
    // Under the person's lease, so a run in progress cannot save its new token over the cleared one.
    await underPersonLease(
      ctx,
      record.severaUserGuid,
      requestedAt,
      `A sync of ${record.email} is running right now; try the full resync again in a minute.`,
      // Only the Google sync token: the links stay, so the full listing is matched against them (no duplicates).
      () => ctx.container.stores.store.saveSyncToken(record.severaUserGuid, null),
    );
  }
  const requestId = await ctx.container.publisher.publish({
    user: record.severaUserGuid,
    reason: 'manual',
    requestedAt,
    reconcile: true,
  });
  ctx.log.info('resync requested', { user: record.severaUserGuid, full });
  return { user: syncUserOf(record), full, requestId };
}

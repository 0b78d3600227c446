/**
 * B3: an administrator decides a person's hold (audited). `confirm` lets the person's next run apply the held
 * deletions, `reject` makes it restore the deleted entries from the other side.
 */
import type { SyncUser } from '../../domain/index.js';
import type { DeletionHold, UserRecord } from '../../ports/index.js';
import { DEFAULT_WORKER_OPTIONS } from '../sync-worker.js';
import { OperatorError } from './errors.js';
import { normaliseEmail, syncUserOf, underPersonLease, type OperatorContext } from './shared.js';

export interface HoldDecisionResult {
  readonly user: SyncUser;
  readonly decision: 'confirm' | 'reject';
  /** How many held deletions the decision covers. */
  readonly deletions: number;
  readonly requestId: string;
}

type Decision = NonNullable<DeletionHold['decision']>;

export async function decideHold(
  ctx: OperatorContext,
  email: string,
  decision: 'confirm' | 'reject',
  by: string,
): Promise<HoldDecisionResult> {
  const address = normaliseEmail(email);
  const record = await ctx.enabledPerson(address, ": a hold is applied by the person's next sync, and");
  const guid = record.severaUserGuid;
  const decidedAt = ctx.nowIso();
  // Under the person's lease: a run in progress rewrites the hold, and must not write over the decision.
  const hold = await underPersonLease(
    ctx,
    guid,
    decidedAt,
    `A sync of ${record.email} is running right now; try again in a minute.`,
    () => recordDecision(ctx, record, { kind: decision, at: decidedAt, by }),
  );
  await auditDecision(ctx, guid, hold, { kind: decision, at: decidedAt, by });
  const requestId = await ctx.container.publisher.publish({
    user: guid,
    reason: 'manual',
    requestedAt: decidedAt,
    reconcile: false,
  });
  ctx.log.info('hold decided', { user: guid, decision, deletions: hold.deletions });
  return { user: syncUserOf(record), decision, deletions: hold.deletions, requestId };
}

/**
 * Puts the decision on the person's hold, or refuses: nothing is held, or it was decided the other way. The same
 * decision again changes nothing (who and when stay those of the first).
 */
async function recordDecision(
  ctx: OperatorContext,
  record: UserRecord,
  decision: Decision,
): Promise<DeletionHold> {
  const { store } = ctx.container.stores;
  const hold = await store.getHold(record.severaUserGuid);
  if (hold === null) {
    throw new OperatorError(
      'no-hold',
      `Nothing is held for ${record.email}: no deletion waits for a decision.`,
    );
  }
  if (hold.decision !== null && hold.decision.kind !== decision.kind) {
    throw new OperatorError(
      'hold-decided',
      `The held deletions of ${record.email} were already ${hold.decision.kind === 'confirm' ? 'confirmed' : 'rejected'} by ${hold.decision.by} at ${hold.decision.at}; the person's next sync applies that.`,
    );
  }
  if (hold.decision !== null) return hold;
  const decided = { ...hold, decision };
  await store.setHold(record.severaUserGuid, decided);
  return decided;
}

/** The decision's line in the person's audit trail. */
async function auditDecision(
  ctx: OperatorContext,
  guid: string,
  hold: DeletionHold,
  { kind, at, by }: Decision,
): Promise<void> {
  const what = kind === 'confirm' ? 'confirmed' : 'rejected';
  try {
    await ctx.container.stores.audit.append([
      {
        user: guid,
        at,
        kind: `hold-${kind}`,
        severaGuid: null,
        googleId: null,
        why: `${by} ${what} ${hold.deletions} held deletions (${hold.reason}, held since ${hold.since})`,
        decisions: [],
        title: '',
        date: null,
        private: false,
        changes: [],
        expiresAt: new Date(Date.parse(at) + DEFAULT_WORKER_OPTIONS.auditTtlMs).toISOString(),
      },
    ]);
  } catch (error) {
    // The decision stands (it is on the hold, with who and when); the audit line is logged instead.
    ctx.log.warn('hold decision could not be audited', { user: guid, decision: kind, error });
  }
}

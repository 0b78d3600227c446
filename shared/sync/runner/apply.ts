/**
 * Apply (the runner's third phase): one function per action kind. Each writes remotely first and updates its link
 * only after that write succeeded, each step durable before the next; a failure affects that item alone and the next
 * run retries it. Decisions apply needs on what only a write reveals come from the pure pair rule (plan/pair.ts), the one the planner uses.
 */
import type { SyncUser } from '../../domain/index.js';
import { auditSummary } from '../audit-summary.js';
import type { FieldDecision } from '../merge.js';
import type {
  Action,
  DeleteGoogleAction,
  DeleteSeveraAction,
  ReleaseAction,
  UnlinkAction,
  UpdateAction,
} from '../plan/index.js';
import { applyCreateGoogle, applyCreateSevera, applyJoinSevera, applyMatch } from './apply-create.js';
import { applyUpdate } from './apply-update.js';
import { step, type RunnerDeps } from './deps.js';

/** What applying any action needs: who, when, and where the audit trail (B2) is told. */
export interface ApplyContext {
  readonly deps: RunnerDeps;
  readonly user: SyncUser;
  readonly now: string;
  /** Other attendees' links the plan was made with (`user|severaGuid`): a meeting claim does not count them (B5). */
  readonly seenPeers: ReadonlySet<string>;
  /** Records the action as applied to this activity and event, with the field decisions it took. */
  readonly audit: (
    severaGuid: string | null,
    googleId: string | null,
    decisions?: readonly FieldDecision[],
  ) => void;
}

/** Applies one action: the remote write(s) first, then the link, each step durable before the next. */
export async function apply(
  deps: RunnerDeps,
  user: SyncUser,
  action: Action,
  now: string,
  seenPeers: ReadonlySet<string>,
): Promise<void> {
  const ctx: ApplyContext = { deps, user, now, seenPeers, audit: auditOf(deps, user, action) };
  switch (action.kind) {
    case 'update':
      return applyUpdateAction(ctx, action);
    case 'create-google':
      return applyCreateGoogle(ctx, action);
    case 'create-severa':
      return applyCreateSevera(ctx, action);
    case 'join-severa':
      return applyJoinSevera(ctx, action);
    case 'delete-google':
      return applyDeleteGoogle(ctx, action);
    case 'delete-severa':
      return applyDeleteSevera(ctx, action);
    case 'release':
      return applyRelease(ctx, action);
    case 'unlink':
      return applyUnlink(ctx, action);
  }
}

function auditOf(deps: RunnerDeps, user: SyncUser, action: Action): ApplyContext['audit'] {
  return (severaGuid, googleId, decisions = []) => {
    // An update that wrote to neither calendar (a new version with the same content) is no change to record.
    const summary = auditSummary(action);
    if (summary === null) return;
    deps.onApplied?.({
      user: user.severaUserGuid,
      kind: action.kind,
      severaGuid,
      googleId,
      why: action.why,
      decisions,
      summary,
    });
  };
}

async function applyUpdateAction(ctx: ApplyContext, action: UpdateAction): Promise<void> {
  // A new pair by content (S6) may be a meeting another attendee is bringing to Severa right now (B5).
  const { iCalUID } = action;
  if (action.link === null && action.origin === 'matched' && iCalUID !== null)
    return applyMatch(ctx, { ...action, iCalUID });
  await applyUpdate(ctx.deps, ctx.user, action, ctx.now);
  ctx.audit(action.severaGuid, action.googleId, action.decisions);
}

async function applyDeleteGoogle(ctx: ApplyContext, action: DeleteGoogleAction): Promise<void> {
  const { deps } = ctx;
  await deps.calendar.delete(ctx.user, action.googleId, action.etag, { notifyGuests: action.notifyGuests });
  step(deps, 'calendar.delete');
  if (action.link) await deps.store.deleteLink(action.link);
  // The audit entry belongs to the link write (one Firestore batch in production), before any later step.
  ctx.audit(action.link?.severaGuid ?? null, action.googleId);
  if (action.link) step(deps, 'store.deleteLink');
}

async function applyDeleteSevera(ctx: ApplyContext, action: DeleteSeveraAction): Promise<void> {
  const { deps } = ctx;
  const guid = action.link.severaGuid;
  if (action.mode === 'activity') await deps.severa.delete(guid, action.expected);
  else await deps.severa.removeParticipant(guid, ctx.user.severaUserGuid, action.newOwnerGuid);
  step(deps, 'severa.delete');
  await deps.store.deleteLink(action.link);
  ctx.audit(action.link.severaGuid, action.link.googleId);
  step(deps, 'store.deleteLink');
}

async function applyRelease(ctx: ApplyContext, action: ReleaseAction): Promise<void> {
  // A released pair is no longer being joined or adopted: it waits, dormant, and resumes through SPEC §6's table.
  const { pendingPair: _pending, ...released } = action.link;
  await ctx.deps.store.putLink({ ...released, dormant: true, syncedAt: ctx.now });
  ctx.audit(action.link.severaGuid, action.link.googleId);
  step(ctx.deps, 'store.putLink');
}

async function applyUnlink(ctx: ApplyContext, action: UnlinkAction): Promise<void> {
  await ctx.deps.store.deleteLink(action.link);
  ctx.audit(action.link.severaGuid, action.link.googleId);
  step(ctx.deps, 'store.deleteLink');
}

/** The Google event and Severa activity an action reads or writes. */
export function itemsOf(action: Action): { googleId: string | null; severaGuid: string | null } {
  switch (action.kind) {
    case 'update':
      return { googleId: action.googleId, severaGuid: action.severaGuid };
    case 'create-google':
      return { googleId: action.googleId, severaGuid: action.severa.guid };
    case 'create-severa':
      return { googleId: action.google.id, severaGuid: null };
    case 'join-severa':
      return { googleId: action.google.id, severaGuid: action.severaGuid };
    case 'delete-google':
      return { googleId: action.googleId, severaGuid: action.link?.severaGuid ?? null };
    case 'delete-severa':
    case 'release':
    case 'unlink':
      return { googleId: action.link.googleId, severaGuid: action.link.severaGuid };
  }
}

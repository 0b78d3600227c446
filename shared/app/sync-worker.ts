/**
 * One user's sync request, as the `syncWorker` function handles it (SPEC §5): idempotent under Pub/Sub's
 * at-least-once delivery and concurrent workers. Returning acks the message; throwing a transient error makes Pub/Sub
 * redeliver it. Everything here is I/O through ports; the decisions stay in the pure planner.
 */
import { onBehalfOf } from '../adapters/throttle.js';
import {
  PermanentError,
  QuotaExceededError,
  SyncError,
  TransientError,
  canonicalInstant,
} from '../domain/index.js';
import type {
  AuditEntry,
  CalendarPort,
  Clock,
  Logger,
  OrgStores,
  SeveraPort,
  SyncRequest,
  UserRecord,
  UserSyncStatus,
} from '../ports/index.js';
import { describeErrors, syncUser, type AppliedAction, type SyncRunResult } from '../sync/runner/index.js';

export interface WorkerOptions {
  /** How long a run may hold a user's lease; longer than the function's timeout, so a live run never loses it. */
  readonly leaseTtlMs: number;
  /**
   * How long a request waits for another run of the same user to finish before it is handed back to Pub/Sub. A short
   * wait serves a burst of notifications at once instead of after a redelivery backoff.
   */
  readonly leaseWaitMs: number;
  /** Requests older than this are dropped with a log line (a newer request or the safety sync covers the user). */
  readonly maxMessageAgeMs: number;
  /** A request is served by a complete run that started at least this long after it (clock skew, SPEC §11). */
  readonly coalesceMarginMs: number;
  /** How long processed-message records and audit entries are kept (Firestore TTL field). */
  readonly messageTtlMs: number;
  readonly auditTtlMs: number;
  /** Identifies this instance in lease records (diagnostics only). */
  readonly instanceId: string;
  /** The first pause after Google's "Calendar usage limits exceeded"; each pause in a row doubles it, up to the max. */
  readonly quotaPauseMs: number;
  readonly quotaPauseMaxMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  leaseTtlMs: 10 * 60_000,
  leaseWaitMs: 10_000,
  maxMessageAgeMs: 24 * 3_600_000,
  coalesceMarginMs: 5_000,
  messageTtlMs: 7 * 24 * 3_600_000,
  auditTtlMs: 30 * 24 * 3_600_000,
  instanceId: 'local',
  // Google lifts the limit "after a few hours" at most: 30 min, 1 h, 2 h, … up to 12 h.
  quotaPauseMs: 30 * 60_000,
  quotaPauseMaxMs: 12 * 3_600_000,
};

export interface WorkerDeps extends OrgStores {
  readonly severa: SeveraPort;
  readonly calendar: CalendarPort;
  readonly clock: Clock;
  /** Waiting for a busy user's lease; without it the request is handed back at once. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly logger: Logger;
  readonly options: WorkerOptions;
  /** Fault injection for tests: called after every durable step of the run. */
  readonly onStep?: (step: string) => void;
}

/** A delivered sync request: what the function got from Pub/Sub. */
export interface SyncDelivery {
  readonly request: SyncRequest;
  readonly messageId: string;
  /** When Pub/Sub accepted the message (canonical instant). */
  readonly publishTime: string;
}

export type WorkerOutcome =
  | { readonly kind: 'synced'; readonly result: SyncRunResult }
  | { readonly kind: 'skipped'; readonly reason: SkipReason }
  | { readonly kind: 'failed'; readonly status: UserSyncStatus };

export type SkipReason =
  | 'paused'
  | 'already-processed'
  | 'too-old'
  | 'unknown-user'
  | 'user-disabled'
  | 'org-disabled'
  | 'covered-by-later-run';

export class UserBusyError extends TransientError {
  constructor() {
    super('another sync of this user is running; the request is redelivered');
  }
}

/** The lease that keeps one user's runs apart (the operator's resync takes it too). */
export const leaseKey = (user: string) => `sync:${user}`;

/**
 * Handles one delivery. Acks (returns) when the request is done or can never succeed (the reason is on the user's
 * status); throws a transient error when a retry can help: another run holds the user, or a service was busy.
 */
export async function handleSyncRequest(deps: WorkerDeps, delivery: SyncDelivery): Promise<WorkerOutcome> {
  const { request, messageId } = delivery;
  const log = deps.logger.child({ messageId, user: request.user, reason: request.reason });
  const now = deps.clock.now();
  const nowIso = canonicalInstant(now.toISOString());

  const age = now.getTime() - Date.parse(delivery.publishTime);
  if (age > deps.options.maxMessageAgeMs) {
    log.warn('sync request dropped: older than the maximum age', { ageMs: age });
    return { kind: 'skipped', reason: 'too-old' };
  }
  if (await deps.messages.wasProcessed(messageId)) {
    log.info('sync request already processed');
    return { kind: 'skipped', reason: 'already-processed' };
  }
  const config = await deps.orgConfig.getOrgConfig();
  if (!config?.enabled) return done(deps, delivery, nowIso, log, 'org-disabled');
  const user = await deps.users.getUser(request.user);
  if (!user) return done(deps, delivery, nowIso, log, 'unknown-user');
  if (!user.enabled) return done(deps, delivery, nowIso, log, 'user-disabled');
  if (isCovered(user, request, deps.options.coalesceMarginMs)) {
    return done(deps, delivery, nowIso, log, 'covered-by-later-run');
  }

  const holder = `${deps.options.instanceId}:${messageId}:${Math.random().toString(36).slice(2, 10)}`;
  if (!(await acquireLease(deps, user.severaUserGuid, holder))) {
    log.info('user busy: another run holds the lease');
    throw new UserBusyError();
  }
  try {
    // Read again under the lease: the run that held it may have served this request meanwhile.
    const fresh = (await deps.users.getUser(user.severaUserGuid)) ?? user;
    if (isCovered(fresh, request, deps.options.coalesceMarginMs)) {
      return await done(deps, delivery, nowIso, log, 'covered-by-later-run');
    }
    // Paused after Google's usage limit: nothing is lost by waiting (the changes stay behind the sync token and in
    // the inbox), and the tick asks for a sync once the pause is over.
    const { pausedUntil, quotaPauses = 0 } = await deps.store.getStatus(user.severaUserGuid);
    if (pausedUntil !== undefined && Date.parse(pausedUntil) > now.getTime()) {
      return await done(deps, delivery, nowIso, log, 'paused');
    }
    return await run(deps, delivery, fresh, config.sync, nowIso, log, quotaPauses);
  } finally {
    await deps.leases.release(leaseKey(user.severaUserGuid), holder);
  }
}

/** Takes the user's lease, waiting up to `leaseWaitMs` for a run in progress to release it. */
async function acquireLease(deps: WorkerDeps, user: string, holder: string): Promise<boolean> {
  const started = deps.clock.now().getTime();
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const now = canonicalInstant(deps.clock.now().toISOString());
    if (await deps.leases.acquire(leaseKey(user), holder, now, deps.options.leaseTtlMs)) return true;
    if (!deps.sleep || deps.clock.now().getTime() - started + wait > deps.options.leaseWaitMs) return false;
    await deps.sleep(wait);
  }
}

function isCovered(user: UserRecord, request: SyncRequest, marginMs: number): boolean {
  const served = (at: string | null) =>
    at !== null && Date.parse(at) >= Date.parse(request.requestedAt) + marginMs;
  return served(user.lastCompleteRunStartedAt) && (!request.reconcile || served(user.lastReconcileAt));
}

async function done(
  deps: WorkerDeps,
  delivery: SyncDelivery,
  nowIso: string,
  log: Logger,
  reason: SkipReason,
): Promise<WorkerOutcome> {
  log.info('sync request skipped', { skip: reason });
  await markProcessed(deps, delivery.messageId, nowIso);
  return { kind: 'skipped', reason };
}

async function markProcessed(deps: WorkerDeps, messageId: string, nowIso: string): Promise<void> {
  const expiresAt = new Date(Date.parse(nowIso) + deps.options.messageTtlMs).toISOString();
  await deps.messages.markProcessed(messageId, nowIso, expiresAt);
}

async function run(
  deps: WorkerDeps,
  delivery: SyncDelivery,
  user: UserRecord,
  settings: Parameters<typeof syncUser>[0]['settings'],
  startedAt: string,
  log: Logger,
  quotaPauses: number,
): Promise<WorkerOutcome> {
  const reconcile = delivery.request.reconcile || user.lastReconcileAt === null;
  const applied: AppliedAction[] = [];
  let result: SyncRunResult;
  try {
    // Every Severa request of the run counts towards this person's fair share of the org's budget (throttle.ts).
    result = await onBehalfOf(user.severaUserGuid, () =>
      syncUser(
        {
          severa: deps.severa,
          calendar: deps.calendar,
          store: deps.store,
          clock: deps.clock,
          settings,
          onStep: deps.onStep,
          onApplied: (entry) => applied.push(entry),
          // A first sync shows how far it has got from the moment it starts (B7): "initial sync: n of m".
          ...(user.lastCompleteRunStartedAt === null
            ? { onProgress: (done: number, total: number) => showProgress(deps, user, done, total) }
            : {}),
        },
        user,
        { reconcile },
      ),
    );
  } catch (error) {
    await recordAudit(deps, user.severaUserGuid, applied, startedAt);
    return failedRun(deps, delivery, user, error, startedAt, log, quotaPauses);
  }
  await recordAudit(deps, user.severaUserGuid, applied, startedAt);

  const quota = result.errors.find((e) => e instanceof QuotaExceededError);
  if (quota !== undefined) return pauseForQuota(deps, delivery, user, startedAt, log, quotaPauses);
  const transient = result.errors.filter((e) => e.transient);
  log.info('sync run finished', {
    actions: result.plan.actions.length,
    applied: result.applied,
    failed: result.failed,
    held: result.plan.held !== null,
    state: result.status.state,
  });
  if (transient.length > 0) {
    // Some items failed for a reason that passes: redeliver so they are retried soon (nothing was lost: their
    // changes are still ahead of the saved token and inbox).
    throw new TransientError(`${transient.length} item(s) failed transiently: ${transient[0]?.code ?? ''}`);
  }
  // Held deletions (B3) wait for a decision; the run itself completed (its markers moved).
  if (result.failed === 0) {
    await deps.users.updateUser(user.severaUserGuid, {
      lastCompleteRunStartedAt: startedAt,
      ...(reconcile ? { lastReconcileAt: startedAt } : {}),
    });
  }
  await markProcessed(deps, delivery.messageId, startedAt);
  return { kind: 'synced', result };
}

async function failedRun(
  deps: WorkerDeps,
  delivery: SyncDelivery,
  user: UserRecord,
  error: unknown,
  startedAt: string,
  log: Logger,
  quotaPauses: number,
): Promise<WorkerOutcome> {
  if (error instanceof QuotaExceededError) {
    return pauseForQuota(deps, delivery, user, startedAt, log, quotaPauses);
  }
  const previous = await deps.store.getStatus(user.severaUserGuid);
  const typed = error instanceof SyncError ? error : null;
  if (typed?.code === 'crash-injected') throw error;
  const permanent = typed !== null && !typed.transient;
  const status: UserSyncStatus = {
    state: 'error',
    lastSuccessAt: previous.lastSuccessAt,
    message: permanent ? userWords(typed) : describeErrors([typed ?? new TransientError('unexpected error')]),
    pendingRetries: permanent ? 0 : Math.max(1, previous.pendingRetries),
  };
  await deps.store.setStatus(user.severaUserGuid, status);
  if (!permanent) {
    log.warn('sync run failed; the request is redelivered', { error });
    throw typed ?? new TransientError('unexpected error during the sync run', null, { cause: error });
  }
  log.error('sync run failed permanently; recorded on the user status', { error, code: typed.code });
  await markProcessed(deps, delivery.messageId, startedAt);
  return { kind: 'failed', status };
}

/** The status of a first sync under way, with its progress. */
async function showProgress(deps: WorkerDeps, user: UserRecord, done: number, total: number): Promise<void> {
  const previous = await deps.store.getStatus(user.severaUserGuid);
  await deps.store.setStatus(user.severaUserGuid, {
    state: 'initial',
    lastSuccessAt: previous.lastSuccessAt,
    message: `Initial sync: ${String(done)} of ${String(total)} changes made.`,
    pendingRetries: 0,
    progress: { done, total },
  });
}

/**
 * Google's "Calendar usage limits exceeded" made the person's calendar read-only for a while: the person's sync
 * pauses (a growing delay), the status says so and until when, and the request is acked rather than redelivered
 * (retrying soon only prolongs the limit). What did not sync waits behind the sync token and in the inbox.
 */
async function pauseForQuota(
  deps: WorkerDeps,
  delivery: SyncDelivery,
  user: UserRecord,
  startedAt: string,
  log: Logger,
  pausesBefore: number,
): Promise<WorkerOutcome> {
  const previous = await deps.store.getStatus(user.severaUserGuid);
  const pauses = pausesBefore + 1;
  const delayMs = Math.min(deps.options.quotaPauseMs * 2 ** (pauses - 1), deps.options.quotaPauseMaxMs);
  const pausedUntil = canonicalInstant(new Date(Date.parse(startedAt) + delayMs).toISOString());
  const status: UserSyncStatus = {
    state: 'error',
    lastSuccessAt: previous.lastSuccessAt,
    message:
      `Google Calendar has made ${user.email}'s calendar read-only for a while ("Calendar usage limits ` +
      'exceeded": too many changes in a short time, often by another app or a flood of invitations). The sync ' +
      `pauses for this person until ${pausedUntil} and then tries again; nothing is lost meanwhile.`,
    pendingRetries: Math.max(1, previous.pendingRetries),
    pausedUntil,
    quotaPauses: pauses,
  };
  await deps.store.setStatus(user.severaUserGuid, status);
  log.warn('google usage limit: the person is paused', { pausedUntil, pauses });
  await markProcessed(deps, delivery.messageId, startedAt);
  return { kind: 'failed', status };
}

function userWords(error: SyncError): string {
  if (error instanceof PermanentError) return error.userMessage;
  if (error.code === 'not-found')
    return 'An entry the sync needed no longer exists; it will be re-read on the next sync.';
  return 'The sync stopped on an error it cannot retry. An administrator can see the details in the logs.';
}

async function recordAudit(
  deps: WorkerDeps,
  user: string,
  applied: readonly AppliedAction[],
  at: string,
): Promise<void> {
  if (applied.length === 0) return;
  const expiresAt = new Date(Date.parse(at) + deps.options.auditTtlMs).toISOString();
  const entries: AuditEntry[] = applied.map((a) => ({
    user,
    at,
    kind: a.kind,
    severaGuid: a.severaGuid,
    googleId: a.googleId,
    why: a.why,
    decisions: a.decisions.map((d) => `${d.field}: ${d.winner} (${d.reason})`),
    title: a.summary.title,
    date: a.summary.date,
    private: a.summary.isPrivate,
    changes: a.summary.changes,
    expiresAt,
  }));
  try {
    await deps.audit.append(entries);
  } catch (error) {
    // The audit is a record, not part of the sync: losing an entry must not redo the writes it describes.
    deps.logger.warn('audit entries could not be stored', { error, count: entries.length });
  }
}

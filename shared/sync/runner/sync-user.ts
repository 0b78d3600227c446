/**
 * One user's sync (SPEC §5 syncWorker): collect → plan (pure) → apply, and the passes and reads between them.
 */
import {
  canonicalInstant,
  linkKey,
  NotFoundError,
  PreconditionFailedError,
  QuotaExceededError,
  SyncError,
  TransientError,
  type GoogleChange,
  type Link,
  type SeveraChange,
  type SyncUser,
} from '../../domain/index.js';
import type { HeldDeletion, Refusal } from '../../ports/index.js';
import { planSync, refusalOf, type Plan } from '../plan/index.js';
import { parseInstanceId } from '../recurrence/index.js';
import { apply, itemsOf } from './apply.js';
import { collect, readGoogle, readSevera, type Collected } from './collect.js';
import type { RunnerDeps, SyncRunOptions, SyncRunResult } from './deps.js';
import { dryRunDeps } from './dry-run.js';
import { keepHold, readHold, releaseHeld, type HoldDecision } from './holds.js';
import { peerLinks } from './peers.js';
import { currentRefusals, isRefusal, refusalRecord, withSnapshots } from './refusals.js';
import { finish } from './status.js';

/** Rounds of re-read and re-plan after a write found the item changed under it (412 / moved lastUpdatedDateTime). */
const MAX_PASSES = 3;
/** Rounds of reads the planner may ask for before it decides (fresh activities, events, attendees). */
const MAX_READ_ROUNDS = 3;
/** Progress is reported every this many actions (a status write each time). */
const PROGRESS_EVERY = 25;

const NO_PLAN: Plan = {
  actions: [],
  held: null,
  heldDeletions: [],
  problems: [],
  notes: [],
  needsRead: { severa: [], google: [], peers: [] },
  leftOut: {},
};

/** What a pass plans with: the links and both sides' changes. */
interface PassInput {
  readonly links: readonly Link[];
  readonly complete: boolean;
  readonly google: readonly GoogleChange[];
  readonly severa: readonly SeveraChange[];
  /** Links whose Google event is gone (B5 hand-over). */
  readonly gone: readonly Link[];
}

/** What stays the same for every pass of a run, and what the passes learn along the way. */
interface Run {
  readonly deps: RunnerDeps;
  readonly user: SyncUser;
  readonly now: string;
  readonly decision: HoldDecision;
  /** B3: pairs (link keys) whose deletion is held and stays held. */
  readonly frozen: ReadonlySet<string>;
  readonly restore: ReadonlyMap<string, HeldDeletion['side']>;
  readonly holdOpen: boolean;
  /** Activities read from Severa in this run; the planner asks for a read of any it must copy or delete on. */
  readonly fresh: Set<string>;
  /** Activities whose other attendees' links the planner asked for (before it deletes one others take part in). */
  readonly askedPeers: Set<string>;
  /** Refusals by key → fingerprint (issue 9 #8). */
  readonly refused: Map<string, string>;
}

/**
 * One user's sync (SPEC §5 syncWorker): collect → plan (pure) → apply. Each action saves its link right after its
 * remote write succeeded; a failing action affects only its item. The Google sync token and the Severa inbox are
 * saved last, and only when every action succeeded, so whatever failed is seen again by the next run.
 */
export async function syncUser(
  deps: RunnerDeps,
  user: SyncUser,
  options: SyncRunOptions = {},
): Promise<SyncRunResult> {
  if (options.dryRun) deps = dryRunDeps(deps);
  const now = canonicalInstant(deps.clock.now().toISOString());
  // B3: deletions held for a person's decision. Undecided, their pairs are frozen: not read, not planned.
  const { hold, decision, heldItems, frozen } = await readHold(deps, user, options);
  const collected = await collect(deps, user, options, now, new Set(frozen.keys()));
  const released = await releaseHeld(deps, user, collected, heldItems, frozen, decision);
  // Entries refused for good (issue 9 #8), forgotten for items that are gone. A refused update of a pair is seen
  // again as it was refused (its sides' snapshots) unless newer news of a side came in.
  const { current: refusals, superseded } = await currentRefusals(deps, user, collected);
  const run: Run = {
    deps,
    user,
    now,
    decision,
    frozen: new Set(frozen.keys()),
    restore: released.restore,
    holdOpen: hold !== null && decision === null,
    fresh: new Set(collected.fresh),
    askedPeers: new Set(),
    refused: new Map([...refusals.values()].map((r) => [r.key, r.fingerprint])),
  };
  // Snapshots stand for a side without newer news; a side's newer news replaces its snapshot (withSnapshots).
  let input = firstInput(collected, released, [...refusals.values(), ...superseded]);
  let plan = NO_PLAN;
  let applied = 0;
  let errors: SyncError[] = [];
  const newlyHeld = new Map<string, HeldDeletion>();
  // The first pass plans everything collected; a later pass only the items a write found changed under it
  // (412 / 404), freshly re-read: the rest of the collected changes are older than the links pass 1 saved.
  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    const planned = await planWithReads(run, input);
    plan = planned.plan;
    for (const h of plan.heldDeletions) newlyHeld.set(linkKey(h.link.user, h.link.severaGuid), h);
    if (options.dryRun) break;
    const outcome = await applyPlan(run, planned);
    applied += outcome.applied;
    errors = outcome.errors;
    if (errors.length === 0 || !errors.every(isStale)) break;
    input = await rereadStale(run, outcome.stale);
  }

  if (options.dryRun) {
    return {
      plan,
      applied: 0,
      failed: 0,
      errors: [],
      status: await deps.store.getStatus(user.severaUserGuid),
    };
  }
  const holdNow = await keepHold(deps, user, {
    hold,
    decision,
    heldItems,
    frozen,
    newlyHeld: [...newlyHeld.values()],
    reason: plan.held?.reason ?? 'too-many-deletions',
    links: collected.links.length,
    settled: errors.length === 0,
    now,
  });
  const status = await finish(deps, user, collected, plan, errors, now, holdNow);
  return { plan, applied, failed: errors.length, errors, status };
}

/** What the first pass plans with: everything collected and released, and refused entries' snapshots. */
function firstInput(
  collected: Collected,
  released: { readonly google: readonly GoogleChange[]; readonly severa: readonly SeveraChange[] },
  snapshots: readonly Refusal[],
): PassInput {
  return {
    links: collected.links,
    complete: collected.google.complete,
    google: withSnapshots(
      [...collected.google.changes, ...released.google],
      snapshots.flatMap((r) => (r.google ? [r.google] : [])),
      (c) => (c.kind === 'deleted' ? c.id : c.record.id),
      (record) => ({ kind: 'upsert' as const, record }),
      (record) => record.id,
    ),
    severa: withSnapshots(
      [...collected.severa.values(), ...released.severa],
      snapshots.flatMap((r) => (r.severa ? [r.severa] : [])),
      (c) => (c.kind === 'deleted' ? c.guid : c.record.guid),
      (record) => ({ kind: 'upsert' as const, record }),
      (record) => record.guid,
    ),
    gone: collected.goneFromGoogle,
  };
}

/** A pass's plan, and what it was made with. */
interface Planned {
  readonly plan: Plan;
  readonly input: PassInput;
  /** Other attendees' links the plan was made with (`user|severaGuid`). */
  readonly seenPeers: ReadonlySet<string>;
  /** The planner still asked for reads after the last round: what is unread stays unplanned. */
  readonly unresolved: boolean;
}

/**
 * Plans, and plans again with what the planner asks to see before it decides (a deletion on a fresh read of the
 * activity, a kept-apart series' dates, who else syncs an activity), up to {@link MAX_READ_ROUNDS} rounds of reads.
 */
async function planWithReads(run: Run, start: PassInput): Promise<Planned> {
  const { deps, user, now, fresh, askedPeers } = run;
  let input = start;
  for (let reads = 0; ; reads += 1) {
    const severaMap = new Map(input.severa.map((c) => [c.kind === 'deleted' ? c.guid : c.record.guid, c]));
    const peers = await peerLinks(
      deps,
      now,
      user,
      input.links,
      input.google,
      severaMap,
      input.gone,
      askedPeers,
    );
    const seenPeers = new Set(peers.links.map((l) => `${l.user}|${l.severaGuid}`));
    const plan = planSync({
      user,
      links: input.links,
      google: { complete: input.complete, changes: input.google },
      severa: { changes: input.severa },
      peerLinks: peers.links,
      peersKnown: peers.of,
      settings: deps.settings,
      now,
      confirmDeletions: run.decision === 'confirm',
      freshSevera: fresh,
      refused: run.refused,
      frozen: run.frozen,
      restore: run.restore,
      holdOpen: run.holdOpen,
    });
    const missing = unread(plan.needsRead, input, fresh);
    const morePeers = plan.needsRead.peers.filter((g) => !peers.of.has(g));
    const nothingMissing =
      missing.severa.length === 0 && missing.google.length === 0 && morePeers.length === 0;
    if (nothingMissing) return { plan, input, seenPeers, unresolved: false };
    // What is still unread stays unplanned: the run must not move its markers past it (applyPlan).
    if (reads >= MAX_READ_ROUNDS) return { plan, input, seenPeers, unresolved: true };
    for (const guid of morePeers) askedPeers.add(guid);
    const severaReads = await readSevera(deps, missing.severa);
    for (const guid of missing.severa) fresh.add(guid);
    const googleReads = await readGoogle(deps, user, missing.google);
    const reread = new Set(missing.severa);
    input = {
      ...input,
      // A fresh read replaces what the inbox said.
      severa: [
        ...input.severa.filter((c) => !reread.has(c.kind === 'deleted' ? c.guid : c.record.guid)),
        ...severaReads,
      ],
      google: [...input.google, ...googleReads],
      gone: [
        ...input.gone,
        ...input.links.filter((l) => googleReads.some((c) => c.kind === 'deleted' && c.id === l.googleId)),
      ],
    };
  }
}

/** What `needs` asks for that was not read in this run yet. */
function unread(
  needs: Plan['needsRead'],
  input: { readonly google: readonly GoogleChange[] },
  fresh: ReadonlySet<string>,
): { severa: string[]; google: string[] } {
  const haveGoogle = new Set(input.google.map((c) => (c.kind === 'deleted' ? c.id : c.record.id)));
  return {
    severa: [...new Set(needs.severa)].filter((g) => !fresh.has(g)),
    google: [...new Set(needs.google)].filter((id) => !haveGoogle.has(id)),
  };
}

/** The items a write found changed under it (412) or gone (404): re-read and planned again. */
interface Stale {
  readonly google: Set<string>;
  readonly severa: Set<string>;
}

/** Applies a pass's plan, action by action; a failure affects only its item. */
async function applyPlan(
  run: Run,
  planned: Planned,
): Promise<{ applied: number; errors: SyncError[]; stale: Stale }> {
  const { deps, user, now, refused } = run;
  const { plan, input } = planned;
  const stale: Stale = { google: new Set<string>(), severa: new Set<string>() };
  const errors: SyncError[] = [];
  if (planned.unresolved) {
    // Items the planner could not decide yet are left for the next run: the sync token and inbox stay where they
    // are, so they are seen again (a lost change is worse than a second look).
    errors.push(new TransientError('some entries need another read before they are synced'));
  }
  let applied = 0;
  let tried = 0;
  await deps.onProgress?.(0, plan.actions.length);
  for (const action of plan.actions) {
    tried += 1;
    if (tried % PROGRESS_EVERY === 0) await deps.onProgress?.(tried, plan.actions.length);
    const refusal = refusalOf(action);
    try {
      await apply(deps, user, action, now, planned.seenPeers);
      applied += 1;
      await forgetSettled(run, itemsOf(action));
    } catch (error) {
      if (refusal !== null && isRefusal(error)) {
        // Refused for good (a 400 on what was sent): noted on the entry, not retried until it changes, and no
        // reason to hold the whole sync back (issue 9 #8).
        const record = refusalRecord(action, refusal, error, input, now);
        await deps.store.putRefusal(user.severaUserGuid, record);
        refused.set(record.key, record.fingerprint);
        continue;
      }
      // A 412 or a 404 means what we read is out of date: re-read those items and plan again.
      if (isStale(error)) {
        const touched = itemsOf(action);
        if (touched.googleId !== null) stale.google.add(touched.googleId);
        if (touched.severaGuid !== null) stale.severa.add(touched.severaGuid);
      }
      if (error instanceof SyncError && error.code === 'crash-injected') throw error;
      errors.push(error instanceof SyncError ? error : wrapUnknown(error));
      // Google made the calendar read-only for a while: every further write would only prolong it.
      if (error instanceof QuotaExceededError) break;
    }
  }
  return { applied, errors, stale };
}

/** Whatever an applied action settled of a refused entry (sent at last, deleted, unlinked) is no longer refused. */
async function forgetSettled(run: Run, touched: ReturnType<typeof itemsOf>): Promise<void> {
  const settled = [
    touched.googleId === null ? null : `google:${touched.googleId}`,
    touched.severaGuid === null ? null : `severa:${touched.severaGuid}`,
    touched.severaGuid === null ? null : `pair:${touched.severaGuid}`,
  ];
  for (const key of settled) {
    if (key === null || !run.refused.has(key)) continue;
    await run.deps.store.deleteRefusal(run.user.severaUserGuid, key);
    run.refused.delete(key);
  }
}

/** The stale items re-read, and the occurrences of a re-read series (their fate is decided with it, S9 fallback). */
async function rereadStale(run: Run, stale: Stale): Promise<PassInput> {
  const { deps, user } = run;
  const links = (await deps.store.listLinks(user.severaUserGuid)).filter(
    (l) =>
      stale.google.has(l.googleId) ||
      stale.severa.has(l.severaGuid) ||
      stale.google.has(parseInstanceId(l.googleId)?.masterId ?? ''),
  );
  for (const l of links) {
    stale.google.add(l.googleId);
    stale.severa.add(l.severaGuid);
  }
  const google = await readGoogle(deps, user, [...stale.google]);
  const severa = await readSevera(deps, [...stale.severa]);
  for (const guid of stale.severa) run.fresh.add(guid);
  return {
    links,
    complete: false,
    google,
    severa,
    gone: links.filter((l) => !google.some((c) => c.kind === 'upsert' && c.record.id === l.googleId)),
  };
}

function isStale(error: unknown): boolean {
  return error instanceof PreconditionFailedError || error instanceof NotFoundError;
}

class UnexpectedError extends SyncError {
  readonly code = 'transient';
  readonly transient = true;
}

function wrapUnknown(error: unknown): SyncError {
  return new UnexpectedError('unexpected error while applying a sync action', { cause: error });
}

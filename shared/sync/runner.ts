import {
  DeferredError,
  TransientError,
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  QuotaExceededError,
  SyncError,
  SyncTokenExpiredError,
  canonicalInstant,
  contentHash,
  linkKey,
  sameContent,
  sideVersionOf,
  timingEndMs,
  timingStartMs,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type Link,
  type LinkOrigin,
  type PendingPair,
  type SeveraChange,
  type SeveraRecord,
  type SideVersion,
  type SyncUser,
} from '../domain/index.js';
import type {
  CalendarPort,
  Clock,
  CreateIntent,
  DeletionHold,
  EntryNote,
  HeldDeletion,
  HoldReason,
  InboxItem,
  Refusal,
  SeveraPort,
  SyncStore,
  UserSyncStatus,
} from '../ports/index.js';
import { matchKey } from './matching.js';
import type { FieldDecision } from './merge.js';
import { parseInstanceId } from './recurrence/index.js';
import { auditSummary, type AuditSummary } from './audit-summary.js';
import { pairAction, planSync, refusalOf, type Action, type Plan, type UpdateAction } from './plan/index.js';
import type { SyncSettings } from './settings.js';
import { occurrencePrivacy } from './google-side.js';
import { severaView } from './severa-view.js';

const DAY_MS = 86_400_000;
/** A meeting claim older than this is taken over: its holder's run died and never came back (B5). */
const MEETING_CLAIM_TTL_MS = 10 * 60_000;
/** Clocks of Severa and of our functions may differ by a few seconds (SPEC §11). */
const CLOCK_SKEW_MS = 60_000;
/** Rounds of re-read and re-plan after a write found the item changed under it (412 / moved lastUpdatedDateTime). */
const MAX_PASSES = 3;
/** Rounds of reads the planner may ask for before it decides (fresh activities, events, attendees). */
const MAX_READ_ROUNDS = 3;

export interface RunnerDeps {
  readonly severa: SeveraPort;
  readonly calendar: CalendarPort;
  readonly store: SyncStore;
  readonly clock: Clock;
  readonly settings: SyncSettings;
  /** Called after every durable step (a remote write, a store write); tests throw from it to simulate a crash. */
  readonly onStep?: (step: string) => void;
  /** Receives each applied action with its field decisions (the audit trail, B2). */
  readonly onApplied?: (entry: AppliedAction) => void;
  /** How far the run's plan has got: `done` of `total` actions tried (a first sync shows it to the person). */
  readonly onProgress?: (done: number, total: number) => Promise<void>;
}

export interface AppliedAction {
  readonly user: string;
  readonly kind: Action['kind'];
  readonly severaGuid: string | null;
  readonly googleId: string | null;
  readonly why: string;
  readonly decisions: readonly FieldDecision[];
  /** The entry it was about and each change applied (audit-summary.ts). */
  readonly summary: AuditSummary;
}

export interface SyncRunOptions {
  /** Also list the user's Severa window to find deletions, confirmed by a 404 (SPEC §6). */
  readonly reconcile?: boolean;
  /** Apply a held mass deletion the user confirmed (B3). */
  readonly confirmDeletions?: boolean;
  /** Plan only (B1 preview): nothing is written, not even the link store. */
  readonly dryRun?: boolean;
}

export interface SyncRunResult {
  readonly plan: Plan;
  readonly applied: number;
  /** Actions that failed; their items are retried by the next run (no token or inbox progress was saved). */
  readonly failed: number;
  readonly errors: readonly SyncError[];
  readonly status: UserSyncStatus;
}

interface Collected {
  readonly links: readonly Link[];
  /** Activities read from Severa in this run (the inbox holds what a poll saw, which may be stale by now). */
  readonly fresh: ReadonlySet<string>;
  /** Links whose Google event is gone: their activity was read fresh, and peers are looked up (B5 hand-over). */
  readonly goneFromGoogle: readonly Link[];
  readonly google: { readonly complete: boolean; readonly changes: GoogleChange[] };
  readonly nextSyncToken: string;
  readonly severa: Map<string, SeveraChange>;
  readonly inbox: readonly InboxItem[];
  readonly intents: number;
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
  if (options.dryRun) deps = { ...deps, store: withoutWrites(deps.store) };
  const now = canonicalInstant(deps.clock.now().toISOString());
  // B3: deletions held for a person's decision. Undecided, their pairs are frozen: not read, not planned.
  const hold = await deps.store.getHold(user.severaUserGuid);
  const decision = options.confirmDeletions === true ? 'confirm' : (hold?.decision?.kind ?? null);
  const heldItems = hold === null ? [] : await deps.store.listHeld(user.severaUserGuid);
  const frozen = new Map(
    decision === null ? heldItems.map((h) => [linkKey(h.link.user, h.link.severaGuid), h] as const) : [],
  );
  const collected = await collect(deps, user, options, now, new Set(frozen.keys()));
  const released = await releaseHeld(deps, user, collected, heldItems, frozen, decision);
  const errors: SyncError[] = [];
  let applied = 0;
  let plan: Plan = {
    actions: [],
    held: null,
    heldDeletions: [],
    problems: [],
    notes: [],
    needsRead: { severa: [], google: [], peers: [] },
    leftOut: {},
  };
  const newlyHeld = new Map<string, HeldDeletion>();
  // The first pass plans everything collected; a later pass only the items a write found changed under it
  // (412 / 404), freshly re-read: the rest of the collected changes are older than the links pass 1 saved.
  // Entries refused for good (issue 9 #8), forgotten for items that are gone. A refused update of a pair is seen
  // again as it was refused (its sides' snapshots) unless newer news of a side came in.
  const { current: refusals, superseded } = await currentRefusals(deps, user, collected);
  const refused = new Map([...refusals.values()].map((r) => [r.key, r.fingerprint]));
  // Snapshots stand for a side without newer news; a side's newer news replaces its snapshot (withSnapshots).
  const snapshots = [...refusals.values(), ...superseded];
  let input = {
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
  // Activities read from Severa in this run; the planner asks for a read of any it must copy or delete on.
  const fresh = new Set(collected.fresh);
  // Activities whose other attendees' links the planner asked for (before it deletes one others take part in).
  const askedPeers = new Set<string>();

  for (let pass = 0; pass < MAX_PASSES; pass += 1) {
    let seenPeers: ReadonlySet<string>;
    let unresolved = false;
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
      seenPeers = new Set(peers.links.map((l) => `${l.user}|${l.severaGuid}`));
      plan = planSync({
        user,
        links: input.links,
        google: { complete: input.complete, changes: input.google },
        severa: { changes: input.severa },
        peerLinks: peers.links,
        peersKnown: peers.of,
        settings: deps.settings,
        now,
        confirmDeletions: decision === 'confirm',
        freshSevera: fresh,
        refused,
        frozen: new Set(frozen.keys()),
        restore: released.restore,
        holdOpen: hold !== null && decision === null,
      });
      // The planner asks for what it must see before it decides (a deletion on a fresh read of the activity, a
      // kept-apart series' dates, who else syncs an activity): read it, then plan again with it.
      const missing = unread(plan.needsRead, input, fresh);
      const morePeers = plan.needsRead.peers.filter((g) => !peers.of.has(g));
      const nothingMissing =
        missing.severa.length === 0 && missing.google.length === 0 && morePeers.length === 0;
      if (nothingMissing) break;
      if (reads >= MAX_READ_ROUNDS) {
        // What is still unread stays unplanned: the run must not move its markers past it (see below).
        unresolved = true;
        break;
      }
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
    for (const h of plan.heldDeletions) newlyHeld.set(linkKey(h.link.user, h.link.severaGuid), h);
    if (options.dryRun) break;

    const stale = { google: new Set<string>(), severa: new Set<string>() };
    errors.length = 0;
    if (unresolved) {
      // Items the planner could not decide yet are left for the next run: the sync token and inbox stay where they
      // are, so they are seen again (a lost change is worse than a second look).
      errors.push(new TransientError('some entries need another read before they are synced'));
    }
    let tried = 0;
    await deps.onProgress?.(0, plan.actions.length);
    for (const action of plan.actions) {
      tried += 1;
      if (tried % PROGRESS_EVERY === 0) await deps.onProgress?.(tried, plan.actions.length);
      const refusal = refusalOf(action);
      try {
        await apply(deps, user, action, now, seenPeers);
        applied += 1;
        // Whatever this settled of a refused entry (sent at last, deleted, unlinked) is no longer refused.
        const touched = itemsOf(action);
        const settled = [
          touched.googleId === null ? null : `google:${touched.googleId}`,
          touched.severaGuid === null ? null : `severa:${touched.severaGuid}`,
          touched.severaGuid === null ? null : `pair:${touched.severaGuid}`,
        ];
        for (const key of settled) {
          if (key === null || !refused.has(key)) continue;
          await deps.store.deleteRefusal(user.severaUserGuid, key);
          refused.delete(key);
        }
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
    if (errors.length === 0 || !errors.every(isStale)) break;

    // The items re-read, and the occurrences of a re-read series (their fate is decided with it, S9 fallback).
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
    for (const guid of stale.severa) fresh.add(guid);
    input = {
      links,
      complete: false,
      google,
      severa,
      gone: links.filter((l) => !google.some((c) => c.kind === 'upsert' && c.record.id === l.googleId)),
    };
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

/**
 * The user's refusals by key, after forgetting those of entries this run saw deleted; and those superseded by newer
 * news of one side, whose snapshots still stand for the other side (its change was seen once, when refused: the
 * markers have moved past it, so the snapshot is the only place it is still known).
 */
async function currentRefusals(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
): Promise<{ current: Map<string, Refusal>; superseded: Refusal[] }> {
  const goneEvents = new Set<string>();
  const gone = new Set<string>();
  for (const c of collected.google.changes) {
    if (c.kind !== 'deleted') continue;
    goneEvents.add(c.id);
    gone.add(`google:${c.id}`);
  }
  for (const c of collected.severa.values()) {
    if (c.kind === 'deleted') gone.add(`severa:${c.guid}`).add(`pair:${c.guid}`);
  }
  // Newer news of a refused entry supersedes its refusal: the entry changed, and is tried again.
  const newerGoogle = new Map<string, string>();
  for (const c of collected.google.changes)
    if (c.kind === 'upsert') newerGoogle.set(c.record.id, contentHash(c.record.content));
  const newerSevera = new Map<string, string>();
  for (const c of collected.severa.values())
    if (c.kind === 'upsert') newerSevera.set(c.record.guid, contentHash(c.record.content));
  // An occurrence of a series synced by the fallback (S9) goes, or changes, with its series.
  const seriesOf = (id: string) => parseInstanceId(id)?.masterId ?? null;
  const newer = (ids: ReadonlySet<string> | ReadonlyMap<string, string>, id: string) => {
    const series = seriesOf(id);
    return series !== null && ids.has(series);
  };
  const changed = (r: Refusal) =>
    (r.google !== undefined &&
      ((newerGoogle.get(r.google.id) ?? contentHash(r.google.content)) !== contentHash(r.google.content) ||
        newer(newerGoogle, r.google.id))) ||
    (r.severa !== undefined &&
      (newerSevera.get(r.severa.guid) ?? contentHash(r.severa.content)) !== contentHash(r.severa.content));
  // A full listing says nothing of deleted events: one that no longer lists a refused event (or its series) is
  // asked about it, so a snapshot never brings a deleted event back.
  const listed = new Set(collected.google.changes.flatMap((c) => (c.kind === 'upsert' ? [c.record.id] : [])));
  const refusals = new Map<string, Refusal>();
  const superseded: Refusal[] = [];
  for (const r of await deps.store.listRefusals(user.severaUserGuid)) {
    if (
      collected.google.complete &&
      r.google !== undefined &&
      !listed.has(r.google.id) &&
      !listed.has(seriesOf(r.google.id) ?? r.google.id) &&
      (await deps.calendar.get(user, r.google.id)) === null
    ) {
      goneEvents.add(r.google.id);
    }
    const goneEvent =
      r.google !== undefined && (goneEvents.has(r.google.id) || newer(goneEvents, r.google.id));
    if (gone.has(r.key) || goneEvent || changed(r)) {
      await deps.store.deleteRefusal(user.severaUserGuid, r.key);
      // A pair's update superseded by news of one side: the other side's snapshot, unless it has news too (of
      // itself, or of its series: an occurrence's snapshot never outlives its series' news).
      if (r.key.startsWith('pair:') && !gone.has(r.key) && !goneEvent) {
        const google =
          r.google !== undefined && !newerGoogle.has(r.google.id) && !newer(newerGoogle, r.google.id)
            ? r.google
            : undefined;
        const severa = r.severa !== undefined && !newerSevera.has(r.severa.guid) ? r.severa : undefined;
        superseded.push({
          ...r,
          ...(google === undefined ? { google: undefined } : { google }),
          ...(severa === undefined ? { severa: undefined } : { severa }),
        });
      }
    } else refusals.set(r.key, r);
  }
  return { current: refusals, superseded };
}

/**
 * What is remembered of a refusal. For an update of a pair: both sides as they stood (the activity as written when
 * Google refused after Severa took its part), so that later runs see the same entry, and the fingerprint of that.
 */
function refusalRecord(
  action: Action,
  refusal: NonNullable<ReturnType<typeof refusalOf>>,
  error: PermanentError,
  input: { readonly google: readonly GoogleChange[]; readonly severa: readonly SeveraChange[] },
  now: string,
): Refusal {
  const base = {
    ...refusal,
    ...(error instanceof RefusedByGoogle ? { side: 'google' as const } : {}),
    message: error.userMessage,
    at: now,
  };
  // The entry as it was sent: seen again from here by later runs (the token and inbox have moved past it).
  if (action.kind === 'create-severa' || action.kind === 'join-severa')
    return { ...base, google: action.google };
  if (action.kind === 'create-google') return { ...base, severa: action.severa };
  if (action.kind !== 'update') return base;
  const google = input.google.find((c) => c.kind === 'upsert' && c.record.id === action.googleId);
  const severa =
    error instanceof RefusedAfterWrite
      ? error.severa
      : input.severa.flatMap((c) =>
          c.kind === 'upsert' && c.record.guid === action.severaGuid ? [c.record] : [],
        )[0];
  const googleHash = google?.kind === 'upsert' ? contentHash(google.record.content) : action.google.hash;
  const severaHash = severa === undefined ? action.severa.hash : contentHash(severa.content);
  // An occurrence of a series synced by the fallback (S9) is seen through its series: that is what is kept.
  const masterId = parseInstanceId(action.googleId)?.masterId;
  const series =
    google === undefined && masterId !== undefined
      ? input.google.find((c) => c.kind === 'upsert' && c.record.id === masterId)
      : undefined;
  const snapshot = google ?? series;
  return {
    ...base,
    fingerprint: `${googleHash}|${severaHash}`,
    ...(snapshot?.kind === 'upsert' ? { google: snapshot.record } : {}),
    ...(severa === undefined ? {} : { severa }),
  };
}

/** `changes` plus a change for each snapshot whose item has none (newer news wins). */
function withSnapshots<C, R>(
  changes: readonly C[],
  snapshots: readonly R[],
  idOfChange: (c: C) => string,
  change: (r: R) => C,
  idOfRecord: (r: R) => string,
): C[] {
  const have = new Set(changes.map(idOfChange));
  return [...changes, ...snapshots.filter((r) => !have.has(idOfRecord(r))).map(change)];
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

async function readSevera(deps: RunnerDeps, guids: readonly string[]): Promise<SeveraChange[]> {
  const changes: SeveraChange[] = [];
  for (const guid of guids) {
    const record = await deps.severa.get(guid);
    changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', guid });
  }
  return changes;
}

async function readGoogle(deps: RunnerDeps, user: SyncUser, ids: readonly string[]): Promise<GoogleChange[]> {
  const changes: GoogleChange[] = [];
  for (const id of ids) {
    const record = await deps.calendar.get(user, id);
    changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id });
  }
  return changes;
}

async function collect(
  deps: RunnerDeps,
  user: SyncUser,
  options: SyncRunOptions,
  now: string,
  frozen: ReadonlySet<string>,
): Promise<Collected> {
  const { store, calendar, severa, settings } = deps;
  const userGuid = user.severaUserGuid;
  const nowMs = Date.parse(now);
  const timeMin = new Date(nowMs - settings.pastDays * DAY_MS).toISOString();

  // Google: the delta since the saved token; a full listing of the window on the first run or after a 410.
  // A Severa create may have happened before a crash (Severa has no idempotency key): find the activity each
  // intent describes and record the link it would have got, so the decision table treats it as ours.
  const intents = await store.listIntents(userGuid);
  const recovered: SeveraRecord[] = [];
  for (const intent of intents) {
    const record = await resolveIntent(deps, userGuid, intent, now);
    if (record) recovered.push(record);
  }
  const links = await store.listLinks(userGuid);
  // Pairs whose deletion is held (B3) cost nothing while they wait: none of the reads below is made for them.
  const active = frozen.size === 0 ? links : links.filter((l) => !frozen.has(linkKey(l.user, l.severaGuid)));

  const token = await store.getSyncToken(userGuid);
  let googleResult;
  let complete = false;
  try {
    if (token === null) throw new SyncTokenExpiredError('no sync token yet');
    googleResult = await calendar.list(user, { syncToken: token });
  } catch (error) {
    if (!(error instanceof SyncTokenExpiredError)) throw error;
    googleResult = await calendar.list(user, { timeMin });
    complete = true;
  }
  const googleChanges = [...googleResult.changes];

  // Severa: what the org poll routed to this user, plus the reconcile window and crash-recovery look-ups.
  const severaChanges = new Map<string, SeveraChange>();
  const upsert = (record: SeveraRecord) => {
    const current = severaChanges.get(record.guid);
    if (current?.kind === 'upsert' && Date.parse(current.record.version) > Date.parse(record.version)) return;
    severaChanges.set(record.guid, { kind: 'upsert', record });
  };
  const inbox = await store.readInbox(userGuid);
  for (const item of inbox) upsert(item.record);
  for (const record of recovered) upsert(record);
  // Activities read from Severa in this run (the inbox holds what a poll saw, which may be stale by now).
  const fresh = new Set(recovered.map((r) => r.guid));
  const confirmFresh = async (guid: string) => {
    await confirm(severa, guid, severaChanges);
    fresh.add(guid);
  };

  if (options.reconcile) {
    const window = { from: timeMin, to: new Date(nowMs + settings.futureDays * DAY_MS).toISOString() };
    const listed = await severa.listForUser(userGuid, window);
    for (const record of listed) upsert(record);
    const listedGuids = new Set(listed.map((r) => r.guid));
    for (const guid of listedGuids) fresh.add(guid);
    // Absent from the listing is only a hint: Severa deletions are confirmed by a 404 before anyone acts on them.
    for (const link of active) {
      if (listedGuids.has(link.severaGuid) || !overlaps(link, window)) continue;
      await confirmFresh(link.severaGuid);
    }
  }

  // The planner decides with both sides in view. Behind a linked event that is gone from Google (a cancelled
  // event, or one absent from a full listing) it needs the activity as it is now (owner or participant? changed?),
  // read fresh; behind an unlinked event that names an activity, that activity (our copy, its link lost).
  const listed = new Set(googleChanges.flatMap((c) => (c.kind === 'upsert' ? [c.record.id] : [])));
  const present = (id: string) => listed.has(id) || listed.has(parseInstanceId(id)?.masterId ?? id);
  if (complete && listed.size > 0) {
    // Absence from a full listing is only a hint (B3): a linked event missing from it is read by id, and only a
    // 404 makes it a deletion. (An empty listing is left to the planner, which holds the run.)
    for (const l of active) {
      if (present(l.googleId)) continue;
      const record = await calendar.get(user, l.googleId);
      googleChanges.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id: l.googleId });
      if (record) listed.add(record.id);
    }
  }
  const cancelled = new Set(googleChanges.flatMap((c) => (c.kind === 'deleted' ? [c.id] : [])));
  const goneFromGoogle = active.filter(
    (l) =>
      cancelled.has(l.googleId) ||
      cancelled.has(parseInstanceId(l.googleId)?.masterId ?? '') ||
      (complete && !present(l.googleId)),
  );
  for (const l of goneFromGoogle) await confirmFresh(l.severaGuid);
  const linkedGoogle = new Set(links.map((l) => l.googleId));
  for (const change of googleChanges) {
    if (change.kind !== 'upsert' || linkedGoogle.has(change.record.id)) continue;
    const guid = change.record.severaGuid;
    if (guid !== null && !severaChanges.has(guid)) await confirmFresh(guid);
  }
  // A copy whose creation was not confirmed (the insert's answer was lost): whether it exists, and as what.
  for (const l of active) {
    if (l.pendingInsert !== true || listed.has(l.googleId) || cancelled.has(l.googleId)) continue;
    const record = await calendar.get(user, l.googleId);
    googleChanges.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id: l.googleId });
  }
  // A released pair whose activity changed may resume: it needs the event as it is now, since its changes made
  // while released were passed over.
  for (const l of active) {
    if (
      l.dormant !== true ||
      !severaChanges.has(l.severaGuid) ||
      listed.has(l.googleId) ||
      cancelled.has(l.googleId)
    ) {
      continue;
    }
    const record = await calendar.get(user, l.googleId);
    googleChanges.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id: l.googleId });
  }
  // Initial-sync matching (S6) pairs unlinked items: an inbox record that would be paired is read fresh first, so a
  // deleted or changed activity never takes the place of a live one. (Copies and deletions ask for fresh reads
  // themselves: plan.needsRead.)
  const unlinkedKeys = new Set(
    googleChanges.flatMap((c) =>
      c.kind === 'upsert' && !linkedGoogle.has(c.record.id) ? [matchKey(c.record.content)] : [],
    ),
  );
  const linkedSevera = new Set(links.map((l) => l.severaGuid));
  for (const item of inbox) {
    const r = item.record;
    if (!linkedSevera.has(r.guid) && !fresh.has(r.guid) && unlinkedKeys.has(matchKey(r.content)))
      await confirmFresh(r.guid);
  }

  return {
    links,
    goneFromGoogle,
    fresh,
    google: { complete, changes: googleChanges },
    nextSyncToken: googleResult.nextSyncToken,
    severa: severaChanges,
    inbox,
    intents: intents.length,
  };
}

/**
 * Looks for the activity a create intent may have produced before its run died; when found, saves the link that
 * run would have saved. Safe to call from any user's run (another attendee's intent, B5) and to repeat.
 */
async function resolveIntent(
  deps: RunnerDeps,
  user: string,
  intent: CreateIntent,
  now: string,
): Promise<SeveraRecord | null> {
  const { store, severa, settings } = deps;
  const links = await store.listLinks(user);
  // A link of the event to another activity than the one this create replaces: the create's link was saved.
  const previous = links.find((l) => l.googleId === intent.googleId);
  if (previous && previous.severaGuid !== (intent.replaces ?? null)) return null;
  const linked = new Set((await store.findLinksByICalUID(intent.iCalUID)).map((l) => l.severaGuid));
  for (const l of links) linked.add(l.severaGuid);
  const nowMs = Date.parse(now);
  const window = {
    from: new Date(Math.min(Date.parse(intent.from), nowMs - settings.pastDays * DAY_MS)).toISOString(),
    to: new Date(Math.max(Date.parse(intent.to), nowMs + settings.futureDays * DAY_MS)).toISOString(),
  };
  // The activity we created is an unlinked one of the owner, created by our API user since the intent was written,
  // with exactly the intended content. Nothing looser is safe: a person's own activity must never be taken for
  // ours. (A person who edits it between a crash and the redelivery leaves one duplicate: docs/sync-engine.md.)
  const since = Date.parse(intent.at) - CLOCK_SKEW_MS;
  const apiUser = await severa.apiUserGuid();
  const key = matchKey(intent.content);
  const ours = (rows: readonly SeveraRecord[]) =>
    rows
      .filter(
        (r) =>
          !linked.has(r.guid) &&
          r.ownerGuid === intent.ownerGuid &&
          r.createdAt !== null &&
          Date.parse(r.createdAt) >= since &&
          (apiUser === null || r.createdBy === apiUser) &&
          matchKey(r.content) === key,
      )
      .sort((a, b) => (a.guid < b.guid ? -1 : 1))[0];
  // The window listing shows a series only by its occurrences: one whose every occurrence is cancelled (a Google
  // series emptied by exceptions) is found among what changed since the intent instead.
  const created =
    ours(await severa.listForUser(intent.ownerGuid, window)) ??
    ours(await severa.listChangedSince(new Date(since).toISOString()));
  if (created === undefined) return null;
  await store.putLink(
    {
      user,
      severaGuid: created.guid,
      googleId: intent.googleId,
      iCalUID: intent.iCalUID,
      origin: 'google',
      // What we created, not what it is now: a person's edit since then must show as a change to sync.
      severa: { version: '', hash: contentHash(intent.content) },
      // The event's etag at the time is unknown: the next listing shows it as churn, or as the change it is.
      google: { version: '', hash: contentHash(intent.content) },
      base: intent.content,
      syncedAt: now,
      activityType: created.activityType.guid,
    },
    previous,
  );
  step(deps, 'store.putLink');
  await store.deleteIntent(user, intent.googleId);
  await store.releaseMeeting(intent.iCalUID, user);
  return created;
}

async function confirm(severa: SeveraPort, guid: string, into: Map<string, SeveraChange>): Promise<void> {
  const record = await severa.get(guid);
  into.set(guid, record ? { kind: 'upsert', record } : { kind: 'deleted', guid });
}

function overlaps(link: Link, window: { from: string; to: string }): boolean {
  const timing = link.base.timing;
  if (timingStartMs(timing) > Date.parse(window.to)) return false;
  return link.base.recurrence !== null || timingEndMs(timing) > Date.parse(window.from);
}

async function peerLinks(
  deps: RunnerDeps,
  now: string,
  user: SyncUser,
  links: readonly Link[],
  google: readonly GoogleChange[],
  severa: ReadonlyMap<string, SeveraChange>,
  gone: readonly Link[],
  asked: ReadonlySet<string>,
): Promise<{ readonly links: Link[]; readonly of: Set<string> }> {
  const { store } = deps;
  const linkedGoogle = new Set(links.map((l) => l.googleId));
  const linkedSevera = new Set(links.map((l) => l.severaGuid));
  const found = new Map<string, Link>();
  const of = new Set<string>();
  const add = (list: readonly Link[]) => {
    for (const l of list) if (l.user !== user.severaUserGuid) found.set(`${l.user}|${l.severaGuid}`, l);
  };
  const bySevera = async (guid: string) => {
    if (of.has(guid)) return;
    of.add(guid);
    add(await store.findLinksBySeveraGuid(guid));
  };
  const linkByGoogle = new Map(links.map((l) => [l.googleId, l]));
  for (const c of google) {
    if (c.kind !== 'upsert') continue;
    // Unlinked events may be meetings another attendee brought in; so may linked ones whose activity was deleted.
    const link = linkByGoogle.get(c.record.id);
    if (!linkedGoogle.has(c.record.id) || (link && severa.get(link.severaGuid)?.kind === 'deleted')) {
      // Another attendee's run may have created the meeting's activity and died before linking it: finish that.
      for (const other of await store.findIntentsByICalUID(c.record.iCalUID)) {
        if (other.user !== user.severaUserGuid) await resolveIntent(deps, other.user, other.intent, now);
      }
      add(await store.findLinksByICalUID(c.record.iCalUID));
    }
  }
  for (const [guid, c] of severa) {
    if (c.kind === 'upsert' && !linkedSevera.has(guid)) await bySevera(guid);
  }
  // A Google copy of a shared meeting is gone: do other syncing attendees still have it? (Also what the planner asked
  // about: an activity it would delete that others take part in.)
  for (const link of gone) await bySevera(link.severaGuid);
  for (const guid of asked) await bySevera(guid);
  return { links: [...found.values()], of };
}

/** The Google event and Severa activity an action reads or writes. */
function itemsOf(action: Action): { googleId: string | null; severaGuid: string | null } {
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

function isStale(error: unknown): boolean {
  return error instanceof PreconditionFailedError || error instanceof NotFoundError;
}

/** Progress is reported every this many actions (a status write each time). */
const PROGRESS_EVERY = 25;

function step(deps: RunnerDeps, name: string): void {
  deps.onStep?.(name);
}

function newLink(
  user: SyncUser,
  severa: SeveraRecord,
  google: GoogleRecord,
  origin: LinkOrigin,
  base: SeveraRecord['content'],
  now: string,
): Link {
  return {
    user: user.severaUserGuid,
    severaGuid: severa.guid,
    googleId: google.id,
    iCalUID: google.iCalUID,
    origin,
    severa: { version: severa.version, hash: contentHash(severa.content) },
    google: { version: google.etag, hash: contentHash(google.content) },
    base,
    syncedAt: now,
    activityType: severa.activityType.guid,
  };
}

/** Applies one action: the remote write(s) first, then the link, each step durable before the next. */
async function apply(
  deps: RunnerDeps,
  user: SyncUser,
  action: Action,
  now: string,
  seenPeers: ReadonlySet<string>,
): Promise<void> {
  const { severa, calendar, store } = deps;
  const audit = (
    severaGuid: string | null,
    googleId: string | null,
    decisions: readonly FieldDecision[] = [],
  ) => {
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
  switch (action.kind) {
    case 'update': {
      await applyUpdate(deps, user, action, now);
      audit(action.severaGuid, action.googleId, action.decisions);
      return;
    }
    case 'create-google': {
      const s = action.severa;
      const write = { content: s.content, severaGuid: s.guid };
      if (action.adoptICalUID !== null) {
        // B5: this user may already hold the meeting the activity came from; pair with it instead of copying.
        const existing = await calendar.findByICalUID(user, action.adoptICalUID);
        if (existing) {
          await pendingPair(deps, user, s.guid, existing, 'adopt', now, action.replaces ?? undefined);
          await applyUpdate(
            deps,
            user,
            pairAction(s, existing, 'google', action.why, user, deps.settings),
            now,
          );
          audit(s.guid, existing.id);
          return;
        }
      }
      // The link first, marked pending with what is about to be written: a lost answer leaves a link that knows it.
      const pending: Link = {
        user: user.severaUserGuid,
        severaGuid: s.guid,
        googleId: action.googleId,
        iCalUID: null,
        origin: 'severa',
        severa: sideVersionOf(s),
        google: { version: '', hash: contentHash(s.content) },
        base: s.content,
        syncedAt: now,
        activityType: s.activityType.guid,
        pendingInsert: true,
      };
      await store.putLink(pending, action.replaces ?? undefined);
      step(deps, 'store.putLink');
      let inserted;
      try {
        inserted = await calendar.insert(user, action.googleId, write);
      } catch (error) {
        // Refused (a 4xx): nothing was created, and the pending link has nothing to wait for.
        if (error instanceof PermanentError) await store.deleteLink(pending);
        throw error;
      }
      let record = inserted.record;
      step(deps, 'calendar.insert');
      if (!inserted.created && !sameContent(record.content, s.content)) {
        // 409: an earlier attempt's event is there, with older content or with the person's edits since (its
        // response was lost before the link was saved). Without a common history the two merge field by field, the
        // later change winning, privacy the more private (B6): a person's edit is not overwritten.
        const merge = pairAction(s, record, 'severa', action.why, user, deps.settings);
        await applyUpdate(deps, user, merge, now, action.replaces ?? undefined);
        audit(s.guid, record.id, merge.decisions);
        return;
      }
      if (!sameContent(record.content, s.content)) {
        record = await calendar.update(user, action.googleId, record.etag, write);
        step(deps, 'calendar.update');
      }
      await store.putLink(newLink(user, s, record, 'severa', s.content, now));
      audit(s.guid, record.id);
      step(deps, 'store.putLink');
      return;
    }
    case 'create-severa': {
      const g = action.google;
      const span = spanOf(g);
      // Severa has no idempotency key: leave a note first, so a crash after the create is recovered by matching.
      await store.putIntent(user.severaUserGuid, {
        googleId: g.id,
        iCalUID: g.iCalUID,
        content: g.content,
        ownerGuid: user.severaUserGuid,
        from: span.from,
        to: span.to,
        at: now,
        replaces: action.replaces?.severaGuid ?? null,
      });
      step(deps, 'store.putIntent');
      await claimMeeting(deps, user, g, now, seenPeers);
      let created: SeveraRecord;
      try {
        created = await severa.create({
          content: g.content,
          activityTypeGuid: action.activityTypeGuid,
          ownerGuid: user.severaUserGuid,
        });
      } catch (error) {
        if (error instanceof PermanentError) {
          // Refused (a 4xx): nothing was created, so there is nothing to look for later. A pair this was to
          // re-create ends (its activity is gone): the event waits as the person's own, its refusal noted.
          await store.deleteIntent(user.severaUserGuid, g.id);
          await store.releaseMeeting(g.iCalUID, user.severaUserGuid);
          if (action.replaces) await store.deleteLink(action.replaces);
          throw error;
        }
        // A lost response may hide a successful create: look for it now, before anyone can edit it.
        const intent = (await store.listIntents(user.severaUserGuid)).find((i) => i.googleId === g.id);
        if (intent) await resolveIntent(deps, user.severaUserGuid, intent, now);
        throw error;
      }
      step(deps, 'severa.create');
      await store.putLink(newLink(user, created, g, 'google', g.content, now), action.replaces ?? undefined);
      audit(created.guid, g.id);
      step(deps, 'store.putLink');
      await store.deleteIntent(user.severaUserGuid, g.id);
      await store.releaseMeeting(g.iCalUID, user.severaUserGuid);
      return;
    }
    case 'join-severa': {
      // The link first, marked pending: a run that stops after the join leaves a link that knows to look.
      const pending = await pendingPair(
        deps,
        user,
        action.severaGuid,
        action.google,
        'join',
        now,
        action.replaces ?? undefined,
      );
      let joined;
      try {
        joined = await severa.addParticipant(action.severaGuid, user.severaUserGuid);
      } catch (error) {
        // Refused (a 4xx), or the activity is gone: the user was not added, and the pending link has nothing to
        // wait for.
        if (error instanceof PermanentError || error instanceof NotFoundError)
          await store.deleteLink(pending);
        throw error;
      }
      step(deps, 'severa.addParticipant');
      const pairing = pairAction(joined, action.google, 'google', action.why, user, deps.settings);
      await applyUpdate(deps, user, pairing, now);
      audit(action.severaGuid, action.google.id);
      return;
    }
    case 'delete-google': {
      await calendar.delete(user, action.googleId, action.etag, { notifyGuests: action.notifyGuests });
      step(deps, 'calendar.delete');
      if (action.link) await store.deleteLink(action.link);
      // The audit entry belongs to the link write (one Firestore batch in production), before any later step.
      audit(action.link?.severaGuid ?? null, action.googleId);
      if (action.link) step(deps, 'store.deleteLink');
      return;
    }
    case 'delete-severa': {
      if (action.mode === 'activity') await severa.delete(action.link.severaGuid, action.expected);
      else await severa.removeParticipant(action.link.severaGuid, user.severaUserGuid, action.newOwnerGuid);
      step(deps, 'severa.delete');
      await store.deleteLink(action.link);
      audit(action.link.severaGuid, action.link.googleId);
      step(deps, 'store.deleteLink');
      return;
    }
    case 'release': {
      // A released pair is no longer being joined or adopted: it waits, dormant, and resumes through SPEC §6's table.
      const { pendingPair: _pending, ...released } = action.link;
      await store.putLink({ ...released, dormant: true, syncedAt: now });
      audit(action.link.severaGuid, action.link.googleId);
      step(deps, 'store.putLink');
      return;
    }
    case 'unlink': {
      await store.deleteLink(action.link);
      audit(action.link.severaGuid, action.link.googleId);
      step(deps, 'store.deleteLink');
      return;
    }
  }
}

/**
 * Links an event to an activity it was not made from before anything is written for the pair (Link.pendingPair).
 * The store keeps one link per user and event, so this also ends the event's old pair: if the run dies before the
 * merge completes, the next run must not judge the event by its old (perhaps deleted) activity, nor either side by
 * the other's old state; it merges them again as first planned.
 */
async function pendingPair(
  deps: RunnerDeps,
  user: SyncUser,
  severaGuid: string,
  google: GoogleRecord,
  kind: PendingPair,
  now: string,
  replaces?: Link,
): Promise<Link> {
  const link: Link = {
    user: user.severaUserGuid,
    severaGuid,
    googleId: google.id,
    iCalUID: google.iCalUID,
    origin: 'google',
    severa: { version: '', hash: '' },
    google: { version: '', hash: '' },
    base: google.content,
    syncedAt: now,
    pendingPair: kind,
  };
  await deps.store.putLink(link, replaces);
  step(deps, 'store.putLink');
  return link;
}

async function applyUpdate(
  deps: RunnerDeps,
  user: SyncUser,
  action: UpdateAction,
  now: string,
  replaces?: Link,
): Promise<void> {
  const expected = { version: action.severa.version, hash: action.severa.hash };
  let severaSide: SideVersion = expected;
  let googleSide: SideVersion = { version: action.google.version, hash: action.google.hash };
  let activityType = action.severa.activityType;
  if (action.link === null && !action.severa.write) {
    // A new pair rests on the activity as the inbox last saw it: make sure it still is (a conditional write checks
    // this by itself), or a deleted activity would take a person's event down with it.
    const current = await deps.severa.get(action.severaGuid);
    if (current === null) throw new NotFoundError(`activity ${action.severaGuid} is gone`);
    const now = sideVersionOf(current);
    if (now.version !== expected.version || now.hash !== expected.hash) {
      throw new PreconditionFailedError(`activity ${action.severaGuid} changed meanwhile`);
    }
  }
  let writtenSevera: SeveraRecord | null = null;
  if (action.severa.write) {
    const written = await deps.severa.update(action.severaGuid, expected, {
      content: action.content,
      ...action.severa.write,
    });
    step(deps, 'severa.update');
    writtenSevera = written;
    activityType = written.activityType.guid;
    const seen = severaView(written, { base: action.content, activityType }, deps.settings);
    severaSide = writtenSide(written.version, written.content, seen, action.content);
  }
  if (action.google.write !== null) {
    let written: GoogleRecord;
    try {
      written = await deps.calendar.update(user, action.googleId, action.google.version, {
        content: action.google.write,
        // Only our own copies carry the Severa guid; a person's own event stays theirs.
        severaGuid: action.origin === 'severa' ? action.severaGuid : null,
        ...(action.google.current === null ? {} : { current: action.google.current }),
        notifyGuests: action.google.notifyGuests,
      });
    } catch (error) {
      // Google refused what Severa took: the refusal remembers the activity as written (issue 9 #8).
      if (isRefusal(error)) {
        throw writtenSevera === null
          ? new RefusedByGoogle(error)
          : new RefusedAfterWrite(error, writtenSevera);
      }
      if (action.link !== null && activityType !== action.severa.activityType) {
        // Severa took the write, Google did not: the next run finds Severa changed and sends it on. Only the type
        // our write set is learnt, so it is not taken for a person's (privacy is the type, severa-view.ts).
        await deps.store.putLink({
          ...action.link,
          activityType,
          typeBeforePrivate: action.severa.typeBeforePrivate,
        });
        step(deps, 'store.putLink');
      }
      throw error;
    }
    step(deps, 'calendar.update');
    const seen = occurrencePrivacy(written.content, action.googleId, action.content);
    googleSide = writtenSide(written.etag, written.content, seen, action.google.write);
  }
  await deps.store.putLink(
    {
      user: user.severaUserGuid,
      severaGuid: action.severaGuid,
      googleId: action.googleId,
      iCalUID: action.iCalUID,
      origin: action.origin,
      severa: severaSide,
      google: googleSide,
      base: action.content,
      syncedAt: now,
      ...(activityType === undefined ? {} : { activityType }),
      ...(action.severa.typeBeforePrivate === undefined
        ? {}
        : { typeBeforePrivate: action.severa.typeBeforePrivate }),
      ...(action.google.apart ? { datesApart: true } : {}),
    },
    replaces,
  );
  step(deps, 'store.putLink');
}

/** A permanent refusal of what was sent (a 4xx about this entry), as opposed to a failure of the sync itself. */
function isRefusal(error: unknown): error is PermanentError {
  return error instanceof PermanentError && error.code === 'validation';
}

/** Google refused the calendar write of a pairing or update: the refusal is Google's, whatever the action. */
class RefusedByGoogle extends PermanentError {
  constructor(refusal: PermanentError) {
    super('validation', refusal.userMessage, { cause: refusal });
  }
}

/** Google refused a write after Severa took its part of the same update: what Severa holds now. */
class RefusedAfterWrite extends RefusedByGoogle {
  constructor(
    refusal: PermanentError,
    readonly severa: SeveraRecord,
  ) {
    super(refusal);
  }
}

/**
 * What a link remembers of a side after our write. The write's result may already hold someone else's edit made
 * between our write and its read-back (Severa answers a PATCH, but an adapter may read the activity again): then it
 * must not be taken for our echo, or that edit would never be synced. Its hash is then what we meant to write, which
 * differs from what the side holds, so the next run sees the side as changed and merges it. `seen` is the written
 * record as the pair sees it (severa-view.ts), `raw` as read.
 */
function writtenSide(
  version: string,
  raw: EntryContent,
  seen: EntryContent,
  intended: EntryContent,
): SideVersion {
  return sameContent(seen, intended)
    ? { version, hash: contentHash(raw) }
    : { version: `${version}#not-synced`, hash: contentHash(intended) };
}

/**
 * B5: one activity per meeting, even when attendees' runs overlap. The claim is atomic; the loser waits and, on its
 * next run, joins the activity the winner created. A claim protects only while its holder has an open intent for the
 * meeting (written before the claim) and is younger than the TTL; otherwise it is taken over. One claim covers the
 * whole meeting, its occurrences too (a series Severa holds as occurrences): whoever brings the meeting to Severa
 * first decides how it is held, and nobody else brings it in meanwhile, as a series or as an occurrence.
 */
async function claimMeeting(
  deps: RunnerDeps,
  user: SyncUser,
  event: GoogleRecord,
  now: string,
  seenPeers: ReadonlySet<string>,
): Promise<void> {
  const { store } = deps;
  const iCalUID = event.iCalUID;
  const occurrence = parseInstanceId(event.id) !== null;
  const me = user.severaUserGuid;
  const staleBefore = new Date(Date.parse(now) - MEETING_CLAIM_TTL_MS).toISOString();
  let holder = await store.claimMeeting(iCalUID, me, now, staleBefore);
  if (holder !== me && !(await store.findIntentsByICalUID(iCalUID)).some((i) => i.user === holder)) {
    // The holder's run finished (or gave up) without creating it: nothing is in flight, take the claim over.
    holder = await store.claimMeeting(iCalUID, me, now, new Date(Date.parse(now) + 1).toISOString());
  }
  step(deps, 'store.claimMeeting');
  if (holder !== me) {
    throw new DeferredError(
      'another attendee is bringing this meeting to Severa; it is joined on the next run',
    );
  }
  // Checked again under the claim: another attendee's run may have created the activity and released its claim
  // after this run read the links it planned with (double-checked, so the meeting still gets one activity). Links
  // the planner saw and still chose to create past (e.g. to a deleted activity) do not count.
  // For an occurrence: another attendee's link to the same occurrence, or to the meeting as a series.
  const peers = (await store.findLinksByICalUID(iCalUID)).filter(
    (l) =>
      l.user !== me &&
      l.dormant !== true &&
      !seenPeers.has(`${l.user}|${l.severaGuid}`) &&
      (!occurrence || l.googleId === event.id || parseInstanceId(l.googleId) === null),
  );
  if (peers.length > 0) {
    await store.releaseMeeting(iCalUID, me);
    throw new DeferredError(
      'another attendee brought this meeting to Severa meanwhile; it is joined on the next run',
    );
  }
}

/** Where a Google entry sits in time, widened by a day each way: the window to look for a lost create in. */
function spanOf(g: GoogleRecord): { from: string; to: string } {
  const start = timingStartMs(g.content.timing);
  const end = timingEndMs(g.content.timing);
  return { from: new Date(start - DAY_MS).toISOString(), to: new Date(end + DAY_MS).toISOString() };
}

async function finish(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
  plan: Plan,
  errors: readonly SyncError[],
  now: string,
  hold: OpenHold | null,
): Promise<UserSyncStatus> {
  const { store } = deps;
  const userGuid = user.severaUserGuid;
  const previous = await store.getStatus(userGuid);
  const held = hold === null ? [] : [holdWords(user, hold)];
  let status: UserSyncStatus;
  if (errors.length > 0) {
    status = {
      state: 'error',
      lastSuccessAt: previous.lastSuccessAt,
      message: [describeErrors(errors), ...held].join(' '),
      pendingRetries: errors.length,
    };
  } else {
    // Everything applied: now, and only now, the progress markers move (tokens saved last, SPEC §6).
    await store.saveSyncToken(userGuid, collected.nextSyncToken);
    step(deps, 'store.saveSyncToken');
    await store.ackInbox(userGuid, collected.inbox);
    step(deps, 'store.ackInbox');
    if (collected.intents > 0) {
      for (const intent of await store.listIntents(userGuid))
        await store.deleteIntent(userGuid, intent.googleId);
    }
    const notes = [...plan.notes, ...refusalNotes(await store.listRefusals(userGuid))];
    const words =
      plan.problems.length > 0 ? [...plan.problems] : notes.length > 0 ? notes.map((n) => n.message) : [];
    // Held deletions wait for a decision, but the rest of the run counts: its markers moved, it succeeded.
    status = {
      state: hold !== null ? 'held' : plan.problems.length > 0 ? 'error' : 'healthy',
      lastSuccessAt: now,
      message: [...held, ...words].join(' ') || null,
      pendingRetries: 0,
      ...(notes.length > 0 ? { notes } : {}),
    };
  }
  await store.setStatus(userGuid, status);
  return status;
}

/** A hold as this run leaves it: what the status says of it. */
interface OpenHold {
  readonly reason: HoldReason;
  readonly since: string;
  readonly links: number;
  /** Deletions waiting. */
  readonly count: number;
}

/** What a person (and the administrator who decides) reads about a hold (B3, B7). */
function holdWords(user: SyncUser, hold: OpenHold): string {
  const decide =
    "An administrator confirms them, or releases them to restore the entries, on the console's Health page " +
    `(or with "npm run cli -- user hold confirm ${user.email}" or "… reject").`;
  const what =
    hold.reason === 'google-listing-empty'
      ? `Google returned an empty calendar for ${user.email} while ${hold.count} synced entries exist: their ` +
        'deletion is held.'
      : `${hold.count} deletions are held for ${user.email}: together they would delete ${hold.count} of ` +
        `${hold.links} synced entries at once.`;
  return `${what} Nothing was deleted, and everything else keeps syncing. ${decide}`;
}

/**
 * The held pairs this run lets go, with what their planning needs. On a decision every held pair goes back to the
 * planner: the deletion its hold saw is told again (an event merely missing from an empty listing is read first),
 * and a rejection asks for the entry to be made again. Undecided, a pair whose remaining side changed since is let
 * go too (a change wins over a deletion, SPEC §6), and one whose deleted side came back; the rest stay frozen.
 */
async function releaseHeld(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
  heldItems: readonly HeldDeletion[],
  frozen: Map<string, HeldDeletion>,
  decision: 'confirm' | 'reject' | null,
): Promise<{
  readonly google: GoogleChange[];
  readonly severa: SeveraChange[];
  readonly restore: Map<string, HeldDeletion['side']>;
}> {
  const google: GoogleChange[] = [];
  const severa: SeveraChange[] = [];
  const restore = new Map<string, HeldDeletion['side']>();
  const googleNews = new Map(
    collected.google.changes.map((c) => [c.kind === 'deleted' ? c.id : c.record.id, c] as const),
  );
  const told = (item: HeldDeletion) => {
    if (item.side === 'google') {
      if (!collected.severa.has(item.link.severaGuid))
        severa.push({ kind: 'deleted', guid: item.link.severaGuid });
    } else if (!googleNews.has(item.link.googleId)) google.push({ kind: 'deleted', id: item.link.googleId });
  };
  for (const item of heldItems) {
    const key = linkKey(item.link.user, item.link.severaGuid);
    const g = googleNews.get(item.link.googleId);
    const s = collected.severa.get(item.link.severaGuid);
    if (decision !== null) {
      let gone = item.confirmed;
      if (item.confirmed) told(item);
      else if (g === undefined) {
        const [read] = await readGoogle(deps, user, [item.link.googleId]);
        if (read) google.push(read);
        gone = read?.kind === 'deleted';
      } else gone = g.kind === 'deleted';
      if (decision === 'reject' && gone) restore.set(key, item.side);
      continue;
    }
    const changed = (c: GoogleChange | SeveraChange | undefined, hash: string) =>
      c?.kind === 'upsert' && contentHash(c.record.content) !== hash;
    const remainingChanged =
      item.side === 'severa' ? changed(s, item.link.severa.hash) : changed(g, item.link.google.hash);
    const cameBack = item.side === 'severa' ? g?.kind === 'upsert' : s?.kind === 'upsert' && !item.confirmed;
    if (!remainingChanged && !cameBack) continue;
    frozen.delete(key);
    if (remainingChanged && !cameBack && item.confirmed) told(item);
    else if (!item.confirmed && g === undefined) {
      // Merely missing from an empty listing: whether the event is there is read now, not assumed.
      google.push(...(await readGoogle(deps, user, [item.link.googleId])));
    }
  }
  return { google, severa, restore };
}

/**
 * Saves the hold as this run leaves it: decided holds end once their run settled every item; undecided, the pairs
 * let go leave it and this run's new held deletions join it. Returns what the status says, or null: no hold.
 */
async function keepHold(
  deps: RunnerDeps,
  user: SyncUser,
  run: {
    readonly hold: DeletionHold | null;
    readonly decision: 'confirm' | 'reject' | null;
    readonly heldItems: readonly HeldDeletion[];
    readonly frozen: ReadonlyMap<string, HeldDeletion>;
    readonly newlyHeld: readonly HeldDeletion[];
    readonly reason: HoldReason;
    readonly links: number;
    readonly settled: boolean;
    readonly now: string;
  },
): Promise<OpenHold | null> {
  const { store } = deps;
  const userGuid = user.severaUserGuid;
  const keyOf = (h: HeldDeletion) => linkKey(h.link.user, h.link.severaGuid);
  let hold = run.hold;
  let waiting = new Set(run.frozen.keys());
  if (run.decision !== null && hold !== null) {
    if (!run.settled) return { ...hold, count: hold.deletions };
    await store.deleteHeld(userGuid, run.heldItems.map(keyOf));
    step(deps, 'store.deleteHeld');
    await store.setHold(userGuid, null);
    step(deps, 'store.setHold');
    hold = null;
    waiting = new Set();
  } else if (run.decision === null) {
    const letGo = run.heldItems.map(keyOf).filter((k) => !waiting.has(k));
    if (letGo.length > 0) {
      await store.deleteHeld(userGuid, letGo);
      step(deps, 'store.deleteHeld');
    }
  }
  if (run.newlyHeld.length > 0) {
    await store.putHeld(userGuid, run.newlyHeld);
    step(deps, 'store.putHeld');
    for (const h of run.newlyHeld) waiting.add(keyOf(h));
  }
  if (waiting.size === 0) {
    if (hold !== null) {
      await store.setHold(userGuid, null);
      step(deps, 'store.setHold');
    }
    return null;
  }
  if (hold === null || hold.deletions !== waiting.size) {
    hold = {
      reason: hold?.reason ?? run.reason,
      since: hold?.since ?? run.now,
      links: hold?.links ?? run.links,
      deletions: waiting.size,
      decision: null,
    };
    await store.setHold(userGuid, hold);
    step(deps, 'store.setHold');
  }
  return { reason: hold.reason, since: hold.since, links: hold.links, count: waiting.size };
}

/**
 * The store as a dry run (B1 preview) sees it: reads pass through, writes are dropped (crash recovery would
 * otherwise save the links of create intents it resolves).
 */
function withoutWrites(store: SyncStore): SyncStore {
  const skip = () => Promise.resolve();
  return {
    listLinks: (u) => store.listLinks(u),
    findLinksByICalUID: (i) => store.findLinksByICalUID(i),
    findLinksBySeveraGuid: (g) => store.findLinksBySeveraGuid(g),
    findLinksBySeveraGuids: (g) => store.findLinksBySeveraGuids(g),
    getSyncToken: (u) => store.getSyncToken(u),
    readInbox: (u) => store.readInbox(u),
    listIntents: (u) => store.listIntents(u),
    listRefusals: (u) => store.listRefusals(u),
    putRefusal: skip,
    deleteRefusal: skip,
    findIntentsByICalUID: (i) => store.findIntentsByICalUID(i),
    getSeveraPoll: () => store.getSeveraPoll(),
    getStatus: (u) => store.getStatus(u),
    getHold: (u) => store.getHold(u),
    listHeld: (u) => store.listHeld(u),
    setHold: skip,
    putHeld: skip,
    deleteHeld: skip,
    putLink: skip,
    deleteLink: skip,
    saveSyncToken: skip,
    addToInbox: skip,
    ackInbox: skip,
    putIntent: skip,
    deleteIntent: skip,
    claimMeeting: (_iCalUID, user) => Promise.resolve(user),
    releaseMeeting: skip,
    setSeveraPoll: skip,
    setStatus: skip,
  };
}

/** The entries refused for good, as the person sees them on their status. */
function refusalNotes(refusals: readonly Refusal[]): EntryNote[] {
  return [...refusals]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((r) => {
      const colon = r.key.indexOf(':');
      const kind = r.key.slice(0, colon);
      const id = r.key.slice(colon + 1);
      const title = r.title === '' ? '(No title)' : r.title;
      return {
        kind: 'refused' as const,
        title,
        severaGuid: kind === 'google' ? null : id,
        googleId: kind === 'google' ? id : null,
        message:
          `"${title}" was refused by ${r.side === 'severa' ? 'Severa' : 'Google Calendar'}: ${r.message} ` +
          'It is tried again when the entry changes.',
      };
    });
}

/** The status words for a run's failed items (B7). */
export function describeErrors(errors: readonly SyncError[]): string {
  const transient = errors.filter((e) => e.transient).length;
  const permanent = errors.filter((e) => !e.transient);
  if (permanent.length > 0) {
    const first = permanent[0];
    const words =
      first && 'userMessage' in first ? String(first.userMessage) : 'An entry could not be synced.';
    return `${words}${errors.length > 1 ? ` (${errors.length} entries affected)` : ''}`;
  }
  const waiting = errors.filter((e) => e.code === 'deferred').length;
  const busy = transient - waiting;
  const parts: string[] = [];
  if (busy > 0)
    parts.push(
      `${busy} ${busy === 1 ? 'entry' : 'entries'} could not be synced yet because a service was busy or unreachable`,
    );
  if (waiting > 0)
    parts.push(
      `${waiting} shared ${waiting === 1 ? 'meeting waits' : 'meetings wait'} for another attendee's sync to bring ${waiting === 1 ? 'it' : 'them'} to Severa`,
    );
  return `${parts.join('; ')}. They will be retried automatically.`;
}

class UnexpectedError extends SyncError {
  readonly code = 'transient';
  readonly transient = true;
}

function wrapUnknown(error: unknown): SyncError {
  return new UnexpectedError('unexpected error while applying a sync action', { cause: error });
}

/**
 * Collect (the runner's first phase): only what changed since the last run, on both sides, plus the fresh reads the
 * decision table needs to decide with both sides in view. Nothing is written here but the links crash recovery
 * finds (intents.ts).
 */
import {
  linkKey,
  SyncTokenExpiredError,
  timingEndMs,
  timingStartMs,
  type GoogleChange,
  type Link,
  type SeveraChange,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import type { InboxItem, SeveraPort, SeveraWindow } from '../../ports/index.js';
import { matchKey } from '../matching.js';
import { parseInstanceId } from '../recurrence/index.js';
import type { RunnerDeps, SyncRunOptions } from './deps.js';
import { resolveIntent } from './intents.js';

const DAY_MS = 86_400_000;

export interface Collected {
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

/** What this run knows of Google: the changes listed (or read by id), and which events it saw. */
interface GoogleNews {
  /** A full listing of the window (first run or after a 410), not a delta. */
  readonly complete: boolean;
  readonly changes: GoogleChange[];
  readonly nextSyncToken: string;
  /** Events listed, or read by id: present in Google. */
  readonly listed: Set<string>;
}

/** What this run knows of Severa: the changes by guid, and which activities it read fresh. */
class SeveraNews {
  readonly changes = new Map<string, SeveraChange>();
  /** Activities read from Severa in this run (the inbox holds what a poll saw, which may be stale by now). */
  readonly fresh = new Set<string>();
  constructor(readonly severa: SeveraPort) {}

  /** Keeps the newer of two records of the same activity. */
  upsert(record: SeveraRecord): void {
    const current = this.changes.get(record.guid);
    if (current?.kind === 'upsert' && Date.parse(current.record.version) > Date.parse(record.version)) return;
    this.changes.set(record.guid, { kind: 'upsert', record });
  }

  /** Reads the activity now: what it is, or a deletion confirmed by the 404. */
  async confirm(guid: string): Promise<void> {
    const record = await this.severa.get(guid);
    this.changes.set(guid, record ? { kind: 'upsert', record } : { kind: 'deleted', guid });
    this.fresh.add(guid);
  }
}

export async function collect(
  deps: RunnerDeps,
  user: SyncUser,
  options: SyncRunOptions,
  now: string,
  frozen: ReadonlySet<string>,
): Promise<Collected> {
  const { store, settings } = deps;
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
  const google = await listGoogle(deps, user, timeMin);

  // Severa: what the org poll routed to this user, plus the reconcile window and crash-recovery look-ups.
  const severa = new SeveraNews(deps.severa);
  const inbox = await store.readInbox(userGuid);
  for (const item of inbox) severa.upsert(item.record);
  for (const record of recovered) severa.upsert(record);
  for (const record of recovered) severa.fresh.add(record.guid);
  if (options.reconcile) {
    const window = { from: timeMin, to: new Date(nowMs + settings.futureDays * DAY_MS).toISOString() };
    await reconcile(deps, userGuid, active, window, severa);
  }

  // The planner decides with both sides in view. Behind a linked event that is gone from Google (a cancelled
  // event, or one absent from a full listing) it needs the activity as it is now (owner or participant? changed?),
  // read fresh; behind an unlinked event that names an activity, that activity (our copy, its link lost).
  const goneFromGoogle = await readGone(deps, user, active, google, severa);
  await readBehind(deps, user, { links, active, inbox }, google, severa);

  return {
    links,
    goneFromGoogle,
    fresh: severa.fresh,
    google: { complete: google.complete, changes: google.changes },
    nextSyncToken: google.nextSyncToken,
    severa: severa.changes,
    inbox,
    intents: intents.length,
  };
}

/** Google's changes since the saved sync token; the whole window when there is none or it expired (a 410). */
async function listGoogle(deps: RunnerDeps, user: SyncUser, timeMin: string): Promise<GoogleNews> {
  const { store, calendar } = deps;
  const token = await store.getSyncToken(user.severaUserGuid);
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
  const changes = [...googleResult.changes];
  return {
    complete,
    changes,
    nextSyncToken: googleResult.nextSyncToken,
    listed: new Set(changes.flatMap((c) => (c.kind === 'upsert' ? [c.record.id] : []))),
  };
}

/** The user's Severa window, listed; a linked activity missing from it is read by id. */
async function reconcile(
  deps: RunnerDeps,
  userGuid: string,
  active: readonly Link[],
  window: SeveraWindow,
  severa: SeveraNews,
): Promise<void> {
  const listed = await deps.severa.listForUser(userGuid, window);
  for (const record of listed) severa.upsert(record);
  const listedGuids = new Set(listed.map((r) => r.guid));
  for (const guid of listedGuids) severa.fresh.add(guid);
  // Absent from the listing is only a hint: Severa deletions are confirmed by a 404 before anyone acts on them.
  for (const link of active) {
    if (listedGuids.has(link.severaGuid) || !overlaps(link, window)) continue;
    await severa.confirm(link.severaGuid);
  }
}

/** The links whose Google event is gone, their activities read fresh. */
async function readGone(
  deps: RunnerDeps,
  user: SyncUser,
  active: readonly Link[],
  google: GoogleNews,
  severa: SeveraNews,
): Promise<Link[]> {
  const { listed } = google;
  const present = (id: string) => listed.has(id) || listed.has(parseInstanceId(id)?.masterId ?? id);
  if (google.complete && listed.size > 0) {
    // Absence from a full listing is only a hint (B3): a linked event missing from it is read by id, and only a
    // 404 makes it a deletion. (An empty listing is left to the planner, which holds the run.)
    for (const l of active) {
      if (present(l.googleId)) continue;
      const record = await deps.calendar.get(user, l.googleId);
      google.changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id: l.googleId });
      if (record) listed.add(record.id);
    }
  }
  const cancelled = new Set(google.changes.flatMap((c) => (c.kind === 'deleted' ? [c.id] : [])));
  const goneFromGoogle = active.filter(
    (l) =>
      cancelled.has(l.googleId) ||
      cancelled.has(parseInstanceId(l.googleId)?.masterId ?? '') ||
      (google.complete && !present(l.googleId)),
  );
  for (const l of goneFromGoogle) await severa.confirm(l.severaGuid);
  return goneFromGoogle;
}

/**
 * The rest the planner needs read: the activity an unlinked event names, the events behind links that wait for
 * them, and inbox records initial-sync matching would pair.
 */
async function readBehind(
  deps: RunnerDeps,
  user: SyncUser,
  known: {
    readonly links: readonly Link[];
    readonly active: readonly Link[];
    readonly inbox: readonly InboxItem[];
  },
  google: GoogleNews,
  severa: SeveraNews,
): Promise<void> {
  const { links, active, inbox } = known;
  const { changes, listed } = google;
  const cancelled = new Set(changes.flatMap((c) => (c.kind === 'deleted' ? [c.id] : [])));
  const readEvent = async (id: string) => {
    const record = await deps.calendar.get(user, id);
    changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id });
  };
  const linkedGoogle = new Set(links.map((l) => l.googleId));
  // The inbox holds what a poll saw, which a run that failed may have left behind after reading the activity
  // gone: only a fresh read says what the copy's activity is now.
  for (const change of changes) {
    if (change.kind !== 'upsert' || linkedGoogle.has(change.record.id)) continue;
    const guid = change.record.severaGuid;
    if (guid !== null && !severa.fresh.has(guid)) await severa.confirm(guid);
  }
  // A copy whose creation was not confirmed (the insert's answer was lost): whether it exists, and as what.
  for (const l of active) {
    if (l.pendingInsert !== true || listed.has(l.googleId) || cancelled.has(l.googleId)) continue;
    await readEvent(l.googleId);
  }
  // A released pair whose activity changed may resume: it needs the event as it is now, since its changes made
  // while released were passed over.
  for (const l of active) {
    if (
      l.dormant !== true ||
      !severa.changes.has(l.severaGuid) ||
      listed.has(l.googleId) ||
      cancelled.has(l.googleId)
    ) {
      continue;
    }
    await readEvent(l.googleId);
  }
  // Initial-sync matching (S6) pairs unlinked items: an inbox record that would be paired is read fresh first, so a
  // deleted or changed activity never takes the place of a live one. (Copies and deletions ask for fresh reads
  // themselves: plan.needsRead.)
  const unlinkedKeys = new Set(
    changes.flatMap((c) =>
      c.kind === 'upsert' && !linkedGoogle.has(c.record.id) ? [matchKey(c.record.content)] : [],
    ),
  );
  const linkedSevera = new Set(links.map((l) => l.severaGuid));
  for (const item of inbox) {
    const r = item.record;
    if (!linkedSevera.has(r.guid) && !severa.fresh.has(r.guid) && unlinkedKeys.has(matchKey(r.content)))
      await severa.confirm(r.guid);
  }
}

function overlaps(link: Link, window: { from: string; to: string }): boolean {
  const timing = link.base.timing;
  if (timingStartMs(timing) > Date.parse(window.to)) return false;
  return link.base.recurrence !== null || timingEndMs(timing) > Date.parse(window.from);
}

export async function readSevera(deps: RunnerDeps, guids: readonly string[]): Promise<SeveraChange[]> {
  const changes: SeveraChange[] = [];
  for (const guid of guids) {
    const record = await deps.severa.get(guid);
    changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', guid });
  }
  return changes;
}

export async function readGoogle(
  deps: RunnerDeps,
  user: SyncUser,
  ids: readonly string[],
): Promise<GoogleChange[]> {
  const changes: GoogleChange[] = [];
  for (const id of ids) {
    const record = await deps.calendar.get(user, id);
    changes.push(record ? { kind: 'upsert', record } : { kind: 'deleted', id });
  }
  return changes;
}

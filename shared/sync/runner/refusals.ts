/**
 * Entries refused for good (issue 9 #8): a 400 on what was sent is noted on the entry, not retried until it changes,
 * and no reason to hold the whole sync back. What is remembered of a refusal, when it is forgotten, and what the
 * person reads of it.
 */
import {
  contentHash,
  PermanentError,
  type GoogleChange,
  type SeveraChange,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import type { EntryNote, Refusal } from '../../ports/index.js';
import type { Action, refusalOf } from '../plan/index.js';
import { parseInstanceId } from '../recurrence/index.js';
import type { Collected } from './collect.js';
import type { RunnerDeps } from './deps.js';

/** A permanent refusal of what was sent (a 4xx about this entry), as opposed to a failure of the sync itself. */
export function isRefusal(error: unknown): error is PermanentError {
  return error instanceof PermanentError && error.code === 'validation';
}

/** Google refused the calendar write of a pairing or update: the refusal is Google's, whatever the action. */
export class RefusedByGoogle extends PermanentError {
  constructor(refusal: PermanentError) {
    super('validation', refusal.userMessage, { cause: refusal });
  }
}

/** Google refused a write after Severa took its part of the same update: what Severa holds now. */
export class RefusedAfterWrite extends RefusedByGoogle {
  constructor(
    refusal: PermanentError,
    readonly severa: SeveraRecord,
  ) {
    super(refusal);
  }
}

/** Newer news of the entries of this run: their content hashes, and what is gone. */
interface News {
  /** `google:<id>`, `severa:<guid>` and `pair:<guid>` keys of entries this run saw deleted. */
  readonly gone: Set<string>;
  readonly goneEvents: Set<string>;
  readonly newerGoogle: Map<string, string>;
  readonly newerSevera: Map<string, string>;
  /** Events a full listing showed. */
  readonly listed: Set<string>;
}

function newsOf(collected: Collected): News {
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
  const listed = new Set(collected.google.changes.flatMap((c) => (c.kind === 'upsert' ? [c.record.id] : [])));
  return { gone, goneEvents, newerGoogle, newerSevera, listed };
}

// An occurrence of a series synced by the fallback (S9) goes, or changes, with its series.
const seriesOf = (id: string) => parseInstanceId(id)?.masterId ?? null;
const newer = (ids: ReadonlySet<string> | ReadonlyMap<string, string>, id: string) => {
  const series = seriesOf(id);
  return series !== null && ids.has(series);
};

/**
 * The user's refusals by key, after forgetting those of entries this run saw deleted; and those superseded by newer
 * news of one side, whose snapshots still stand for the other side (its change was seen once, when refused: the
 * markers have moved past it, so the snapshot is the only place it is still known).
 */
export async function currentRefusals(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
): Promise<{ current: Map<string, Refusal>; superseded: Refusal[] }> {
  const news = newsOf(collected);
  const { gone, goneEvents, newerGoogle, newerSevera, listed } = news;
  const changed = (r: Refusal) =>
    (r.google !== undefined &&
      ((newerGoogle.get(r.google.id) ?? contentHash(r.google.content)) !== contentHash(r.google.content) ||
        newer(newerGoogle, r.google.id))) ||
    (r.severa !== undefined &&
      (newerSevera.get(r.severa.guid) ?? contentHash(r.severa.content)) !== contentHash(r.severa.content));
  const refusals = new Map<string, Refusal>();
  const superseded: Refusal[] = [];
  for (const r of await deps.store.listRefusals(user.severaUserGuid)) {
    // A full listing says nothing of deleted events: one that no longer lists a refused event (or its series) is
    // asked about it, so a snapshot never brings a deleted event back.
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
      if (r.key.startsWith('pair:') && !gone.has(r.key) && !goneEvent) superseded.push(snapshotOf(r, news));
    } else refusals.set(r.key, r);
  }
  return { current: refusals, superseded };
}

/** A superseded pair refusal with only the snapshots of sides that have no newer news. */
function snapshotOf(r: Refusal, news: News): Refusal {
  const { newerGoogle, newerSevera } = news;
  const google =
    r.google !== undefined && !newerGoogle.has(r.google.id) && !newer(newerGoogle, r.google.id)
      ? r.google
      : undefined;
  const severa = r.severa !== undefined && !newerSevera.has(r.severa.guid) ? r.severa : undefined;
  return {
    ...r,
    ...(google === undefined ? { google: undefined } : { google }),
    ...(severa === undefined ? { severa: undefined } : { severa }),
  };
}

/**
 * What is remembered of a refusal. For an update of a pair: both sides as they stood (the activity as written when
 * Google refused after Severa took its part), so that later runs see the same entry, and the fingerprint of that.
 */
export function refusalRecord(
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
export function withSnapshots<C, R>(
  changes: readonly C[],
  snapshots: readonly R[],
  idOfChange: (c: C) => string,
  change: (r: R) => C,
  idOfRecord: (r: R) => string,
): C[] {
  const have = new Set(changes.map(idOfChange));
  return [...changes, ...snapshots.filter((r) => !have.has(idOfRecord(r))).map(change)];
}

/** The entries refused for good, as the person sees them on their status. */
export function refusalNotes(refusals: readonly Refusal[]): EntryNote[] {
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

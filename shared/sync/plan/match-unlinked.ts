/**
 * Items without a link: our own copies whose link was lost (B4), meetings another syncing attendee already brought
 * to Severa (B5), the same entry on both sides at initial sync (S6), and what is new on either side. One row per
 * case, each with its comment. Pure.
 */
import type { EntryContent, GoogleRecord, LinkOrigin, SeveraRecord } from '../../domain/index.js';
import { endsAfter, ourCopyOf } from '../google-side.js';
import { matchKey } from '../matching.js';
import { parseInstanceId } from '../recurrence/index.js';
import { severaExclusion } from '../rules.js';
import { createGoogle } from './actions.js';
import { act, createSevera, NOTHING, readFirst, type Decision, type PlanContext } from './decision.js';
import { pairAction } from './pair.js';

/** Why an initial-sync match pairs an event with an activity (S6). */
export const MATCHED = 'matched by name, start, end and recurrence (S6)';

/** The unlinked items still to be decided, taken one by one as rows pair them. */
interface Pool {
  /** Google ids and Severa guids already decided: linked, claimed by a decision, or paired here. */
  readonly takenGoogle: Set<string>;
  readonly takenSevera: Set<string>;
  readonly severaByGuid: ReadonlyMap<string, SeveraRecord>;
  /** Unlinked activities by their initial-sync match key (S6). */
  readonly severaByKey: Map<string, SeveraRecord[]>;
}

/**
 * Decides every unlinked item: Google events first (so an event pairs with its activity rather than a copy being
 * made of the activity), then Severa activities, each side in id order (the same input gives the same plan).
 */
export function matchUnlinked(
  ctx: PlanContext,
  taken: { readonly google: Iterable<string>; readonly severa: Iterable<string> },
): Decision[] {
  const { sides } = ctx;
  const takenGoogle = new Set(taken.google);
  const takenSevera = new Set(taken.severa);
  const unlinkedSevera = [...sides.severaLive.values()]
    .filter(
      (r) => !takenSevera.has(r.guid) && severaExclusion(r, ctx.user.severaUserGuid, ctx.settings) === null,
    )
    .sort((a, b) => (a.guid < b.guid ? -1 : 1));
  const unlinkedGoogle = [...sides.googleLive.values()]
    .filter((r) => !takenGoogle.has(r.id))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const severaByKey = new Map<string, SeveraRecord[]>();
  for (const r of unlinkedSevera) {
    const k = matchKey(r.content);
    severaByKey.set(k, [...(severaByKey.get(k) ?? []), r]);
  }
  const pool: Pool = {
    takenGoogle,
    takenSevera,
    severaByGuid: new Map(unlinkedSevera.map((r) => [r.guid, r])),
    severaByKey,
  };
  const events = unlinkedGoogle.map((g) => unlinkedEvent(ctx, pool, g));
  const activities = unlinkedSevera.map((s) => unlinkedActivity(ctx, pool, s));
  return [...events, ...activities];
}

/** Pairs an unlinked activity and event: both are taken. */
function pair(
  ctx: PlanContext,
  pool: Pool,
  s: SeveraRecord,
  g: GoogleRecord,
  origin: LinkOrigin,
  why: string,
  base: EntryContent | null = null,
): Decision {
  pool.takenSevera.add(s.guid);
  const k = matchKey(s.content);
  pool.severaByKey.set(
    k,
    (pool.severaByKey.get(k) ?? []).filter((x) => x.guid !== s.guid),
  );
  pool.takenGoogle.add(g.id);
  return act(pairAction(s, g, origin, why, ctx.user, ctx.settings, base));
}

/** An event without a link. */
function unlinkedEvent(ctx: PlanContext, pool: Pool, g: GoogleRecord): Decision {
  const own = ourCopyOf(g);
  const copy = own === null ? null : ourUnlinkedCopy(ctx, pool, g, own);
  if (copy !== null) return copy;
  // Another syncing attendee's link names the meeting (B5): the series, or this very occurrence of it.
  const { peers } = ctx.sides;
  const peer = parseInstanceId(g.id) !== null ? peers.byOccurrence.get(g.id) : peers.byICalUID.get(g.iCalUID);
  if (peer && peer.iCalUID === g.iCalUID) {
    const s = pool.severaByGuid.get(peer.severaGuid);
    // Case: the shared meeting's activity already lists this user → pair with it.
    if (s && !pool.takenSevera.has(s.guid))
      return pair(ctx, pool, s, g, 'google', 'meeting already in Severa (B5)');
    // Case: a meeting that another syncing attendee already brought to Severa → join it, don't copy it (B5).
    pool.takenGoogle.add(g.id);
    return act({
      kind: 'join-severa',
      google: g,
      severaGuid: peer.severaGuid,
      replaces: null,
      why: 'meeting already in Severa (B5)',
    });
  }
  const candidates = pool.severaByKey.get(matchKey(g.content)) ?? [];
  const match = candidates.find((s) => !pool.takenSevera.has(s.guid));
  // Case: the same entry exists on both sides without a link (initial sync, S6) → link them, don't duplicate.
  if (match) return pair(ctx, pool, match, g, 'matched', MATCHED);
  pool.takenGoogle.add(g.id);
  if (!endsAfter(g.content, ctx.cutoffMs)) return NOTHING; // Case: ended more than pastDays ago → not synced (S6).
  // Case: new in Google (a person's own event: also a split or duplicate of our copy) → create in Severa with the
  // type S4 prescribes.
  return createSevera(ctx, g, null, 'new in Google');
}

/** An event that is our copy of the activity `own` (B4), without a link; null when it is a person's own now. */
function ourUnlinkedCopy(ctx: PlanContext, pool: Pool, g: GoogleRecord, own: string): Decision | null {
  if (ctx.sides.severaLive.has(own) && !ctx.fresh(own)) {
    // Case: the activity is known only as a poll saw it (perhaps deleted since) → read it first: a copy is never
    // paired with, nor removed for, an activity that may be gone. Both wait for the read.
    pool.takenGoogle.add(g.id);
    pool.takenSevera.add(own);
    return readFirst('severa', own);
  }
  const s = pool.severaByGuid.get(own);
  if (s && !pool.takenSevera.has(s.guid)) {
    // Case: our own copy whose link was lost (crash between insert and link) → pair, never duplicate (B4).
    // The copy was written from Severa: what differs is Severa's news since, so Severa's side is the change.
    return pair(ctx, pool, s, g, 'severa', 'recovered our copy by its severaGuid', g.content);
  }
  const named = ctx.sides.severaLive.get(own);
  const why =
    named === undefined
      ? null
      : pool.takenSevera.has(named.guid)
        ? 'the activity is paired with another event'
        : severaExclusion(named, ctx.user.severaUserGuid, ctx.settings);
  if (why !== null) {
    // Case: our copy (its link lost) of an activity that no longer belongs in this calendar, or is already
    // paired with another event here → remove the copy; it never becomes an activity of its own.
    pool.takenGoogle.add(g.id);
    return act({
      kind: 'delete-google',
      link: null,
      googleId: g.id,
      etag: g.etag,
      notifyGuests: false,
      why: `stale copy: ${why}`,
    });
  }
  // Case: our copy of an activity that no longer exists, without a link: a copy whose creation was not
  // confirmed has a pending link (never this), so this one's pair ended with the person's change in it (a
  // series re-created as its occurrences) → it is the person's own event now, handled as such (unlinkedEvent).
  return null;
}

/** An activity without a link (it belongs in this calendar: excluded ones are not in the pool). */
function unlinkedActivity(ctx: PlanContext, pool: Pool, s: SeveraRecord): Decision {
  if (pool.takenSevera.has(s.guid)) return NOTHING;
  pool.takenSevera.add(s.guid);
  if (!endsAfter(s.content, ctx.cutoffMs)) return NOTHING; // Case: ended more than pastDays ago → not synced (S6).
  // Case: new in Severa as a poll saw it → read it first: a deleted activity is never brought back (B3).
  if (!ctx.fresh(s.guid)) return readFirst('severa', s.guid);
  // Case: new in Severa (or newly shared with this user, S5) → create the Google copy with a deterministic id.
  // Another syncing attendee's link names the meeting this activity is (B5); an occurrence of a fallback series
  // is not that meeting, so its iCalUID is not adopted.
  const peer = ctx.sides.peers.bySevera.get(s.guid);
  const adopt = peer !== undefined && parseInstanceId(peer.googleId) === null ? peer.iCalUID : null;
  return act(createGoogle(s, null, adopt, 'new in Severa'));
}

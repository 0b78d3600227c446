/**
 * The decision table of SPEC §6, per link: what each side did since the pair last synced (side-change.ts), and
 * what that asks for. One row per case, first match wins, each with its comment; the cases that need more than a
 * line have their own small table below. Pure.
 */
import {
  contentHash,
  deleteExpectationOf,
  linkKey,
  sideVersionOf,
  type EntryContent,
  type GoogleRecord,
  type Link,
  type SeveraRecord,
} from '../../domain/index.js';
import type { EntryNote } from '../../ports/index.js';
import { keepGoogleDates, occurrencePrivacy, withAgreedDates } from '../google-side.js';
import { mergeContent, type FieldDecision } from '../merge.js';
import { parseInstanceId } from '../recurrence/index.js';
import { severaExclusion, type Exclusion } from '../rules.js';
import { severaView, viewContextOf } from '../severa-view.js';
import { createGoogle, deleteGoogle, typeRef, updateAction } from './actions.js';
import { act, NOTHING, readFirst, recreateGoogle, recreateInSevera } from './decision.js';
import type { Decision, PlanContext } from './decision.js';
import { restoreHeld } from './deletion-hold.js';
import { resumePair } from './resume-pair.js';
import { changesOf, type SideChange } from './side-change.js';

/** Why a pair gone from both sides is unlinked: such unlinks go last in the plan (plan-sync.ts). */
export const GONE_FROM_BOTH_SIDES = 'deleted on both sides';

/** Per link: the decision table (SPEC §6). */
export function decideLink(ctx: PlanContext, link: Link): Decision {
  const { g, s } = changesOf(ctx.sides, link);
  const key = linkKey(link.user, link.severaGuid);
  if (ctx.sides.frozen.has(key)) return NOTHING; // Case: its deletion is held (B3) → nothing is read or planned for it.
  const restoring = ctx.restore?.get(key);
  const restored = restoring === undefined ? null : restoreHeld(ctx, link, g, s, restoring);
  if (restored !== null) return restored;
  if (link.pendingPair !== undefined) return resumePair(ctx, link, g, s);
  if (s.state === 'changed' && s.record.version === link.severa.version && !ctx.fresh(link.severaGuid)) {
    // Case: a routed record with the version of our last write but other content: older than that write, or a
    // second change within its second (whole-second versions, severa-api.md §5) → read it fresh to know which.
    return readFirst('severa', link.severaGuid);
  }
  const exclusion: Exclusion | null =
    'record' in s ? severaExclusion(s.record, ctx.user.severaUserGuid, ctx.settings, link) : null;
  if (link.dormant === true) {
    // Case: a released pair lost one side → forget it; the other side is a person's own and stays.
    if (g.state === 'deleted' || s.state === 'deleted')
      return act({ kind: 'unlink', link, why: 'released pair: one side deleted' });
    // Case: still released (or no news from Severa) → nothing flows either way.
    if (!('record' in s) || exclusion !== null) return NOTHING;
    // Case: the activity belongs in this calendar again → the pair resumes through the table below.
  }
  // Case: a filter newly excludes the activity → excluded() below. (A type not synced to Google does not end a
  // pair that came from Google: the person's event keeps syncing to its activity, S4.)
  if (exclusion !== null && !(exclusion === 'type-not-synced' && link.origin !== 'severa'))
    return excluded(link, g, exclusion);
  // Case: a person's own activity paired with an occurrence (S6) that went with a change to its whole series →
  // the activity stays, as an entry of its own with its own copy: a person's entry goes only by their deletion.
  if (ctx.sides.unpaired.has(link.googleId)) return unpaired(ctx, link, s);
  // Case: our copy's creation was not confirmed (its answer was lost) → read the event to know.
  if (link.pendingInsert === true && g.state === 'absent') return readFirst('google', link.googleId);
  if (link.pendingInsert === true && g.state === 'deleted' && s.state !== 'deleted') {
    // Case: our copy never came to be (the insert failed before Google took it) → create it again; this is no
    // deletion by the person.
    if ('record' in s && ctx.fresh(link.severaGuid))
      return act(createGoogle(s.record, link, null, 'an unconfirmed copy did not exist: created'));
    return readFirst('severa', link.severaGuid);
  }
  // Case: gone from both sides → drop the link.
  if (g.state === 'deleted' && s.state === 'deleted')
    return act({ kind: 'unlink', link, why: GONE_FROM_BOTH_SIDES });
  if (g.state === 'deleted') return deletedInGoogle(ctx, link, s, exclusion);
  if (s.state === 'deleted' && link.datesApart === true && !('record' in g)) {
    // Case: deleted in Severa while the series' dates are kept apart in Google → those dates are the person's own
    // change, which is re-created, never deleted: read the event to re-create it (google-side.ts).
    return readFirst('google', link.googleId);
  }
  if (s.state === 'deleted') {
    // Case: deleted in Severa but changed in Google → the change wins: re-create the Severa activity (or join the
    // activity another attendee already made again for the meeting, B5).
    if (g.state === 'changed')
      return recreateInSevera(ctx, g.record, link, 'deleted in Severa but changed in Google: re-created');
    // Case: deleted in Severa, unchanged in Google → delete the Google event.
    return act(deleteGoogle(link, g, 'deleted in Severa'));
  }
  return bothSides(ctx, link, g, s);
}

/** A person's own activity whose occurrence went with its series (google-side.ts `unpaired`). */
function unpaired(ctx: PlanContext, link: Link, s: SideChange<SeveraRecord>): Decision {
  const why = 'its occurrence went with a change to the series: the activity is kept as an entry of its own';
  if (s.state === 'deleted') return act({ kind: 'unlink', link, why: GONE_FROM_BOTH_SIDES });
  if (!('record' in s) || !ctx.fresh(link.severaGuid)) return readFirst('severa', link.severaGuid);
  return act(createGoogle(s.record, link, null, why));
}

/**
 * Case: a filter newly excludes the activity (user taken off it, it became a project task, its type was
 * deselected). Our own Google copy is removed. An event the person made in Google is left alone and the pair is
 * released: nothing flows while excluded, and it resumes if the activity comes back (no second copy).
 */
function excluded(link: Link, g: SideChange<GoogleRecord>, exclusion: Exclusion): Decision {
  const why = `excluded: ${exclusion}`;
  if (link.origin === 'severa' && g.state !== 'deleted') return act(deleteGoogle(link, g, why));
  if (link.origin === 'severa' || g.state === 'deleted') return act({ kind: 'unlink', link, why });
  return act({ kind: 'release', link, why });
}

/** The event was deleted in Google; the activity was not (as far as this run knows). */
function deletedInGoogle(
  ctx: PlanContext,
  link: Link,
  s: SideChange<SeveraRecord>,
  exclusion: Exclusion | null,
): Decision {
  const fresh = ctx.fresh(link.severaGuid);
  if (s.state === 'changed' && exclusion !== null) {
    // Case: deleted in Google, changed in Severa, but of a type that does not go to Google (the pair came from
    // Google): a new copy would not be made for it, so none is re-made; the pair ends.
    return act({ kind: 'unlink', link, why: `deleted in Google; not re-created (${exclusion})` });
  }
  // Case: deleted in Google, changed in Severa as a poll saw it → read it first: it may be gone since.
  if (s.state === 'changed' && !fresh) return readFirst('severa', link.severaGuid);
  if (s.state === 'changed' && (parseInstanceId(link.googleId) === null || link.origin === 'matched')) {
    // Case: deleted in Google but changed in Severa → the change wins: re-create the Google copy. (Not for an
    // occurrence of a series synced by the fallback: it belongs to its Google series, which holds it, moved,
    // under another id, or has cancelled it; a standalone copy would be a second one. Its single goes below. An
    // activity a person entered and matched with an occurrence is their own entry, though: it gets its copy.)
    // The new copy's id is taken: an earlier attempt's copy under it is this pair's, not a stale one.
    return recreateGoogle(s.record, link, 'deleted in Google but changed in Severa: re-created');
  }
  if (!('record' in s) || !fresh) {
    // Case: deleted in Google, the activity not read in this run → read it first: no activity is deleted on
    // what the sync last knew of it (a person may have changed it since).
    return readFirst('severa', link.severaGuid);
  }
  return deleteInSevera(ctx, link, s.record);
}

/**
 * Case: deleted in Google, unchanged in Severa → delete in Severa; but a person who only takes part leaves it, and
 * a shared Google meeting (B5) stays for the other syncing attendees, handed to one of them.
 */
function deleteInSevera(ctx: PlanContext, link: Link, record: SeveraRecord): Decision {
  const userGuid = ctx.user.severaUserGuid;
  const others = record.participantGuids.filter((p) => p !== userGuid);
  if (record.ownerGuid === userGuid && others.length > 0 && !ctx.peersKnown(link.severaGuid)) {
    // Case: deleted in Google, an activity others take part in → learn who of them syncs it first.
    return readFirst('peers', link.severaGuid);
  }
  // Who takes the meeting over: another syncing attendee who still takes part in it.
  const peer = ctx.peerLinks.find(
    (l) =>
      l.user !== userGuid &&
      l.severaGuid === link.severaGuid &&
      l.dormant !== true &&
      record.participantGuids.includes(l.user),
  );
  const owner = record.ownerGuid === userGuid;
  // A meeting (the pair came from a Google event, or matched one) that another syncing attendee holds too is handed
  // over: one attendee removing their copy never takes the others' events down. An activity our copy was made from
  // (origin `severa`) is its owner's entry: deleting the copy deletes it, with every participant's copy (S5).
  const handOver = owner && link.origin !== 'severa' && peer !== undefined;
  return act({
    kind: 'delete-severa',
    link,
    mode: owner && !handOver ? 'activity' : 'participation',
    ...(handOver ? { newOwnerGuid: peer.user } : {}),
    expected: deleteExpectationOf(record),
    why: handOver ? 'deleted in Google by one attendee of a shared meeting' : 'deleted in Google',
  });
}

/** Neither side was deleted: what changed flows to the other side. */
function bothSides(
  ctx: PlanContext,
  link: Link,
  g: SideChange<GoogleRecord>,
  s: SideChange<SeveraRecord>,
): Decision {
  const gRecord = 'record' in g ? g.record : null;
  // A kept-apart series (google-side.ts): Google's dates and rule are the person's and stay in Google; the pair's
  // agreed ones stand for them in the merge, and whatever else changed still flows both ways. (The runner reads
  // the event of such a pair whenever its activity changed, so a write never replaces the person's dates.)
  const apart = gRecord === null ? link.datesApart === true : ctx.sides.apart.has(gRecord.id);
  const decision = updatePair(ctx, link, g, s, apart);
  return apart
    ? { ...decision, note: keptApartNote(gRecord?.content.title ?? link.base.title, link) }
    : decision;
}

function updatePair(
  ctx: PlanContext,
  link: Link,
  g: SideChange<GoogleRecord>,
  s: SideChange<SeveraRecord>,
  apart: boolean,
): Decision {
  const { settings } = ctx;
  const gRecord = 'record' in g ? g.record : null;
  const sRecord = 'record' in s ? s.record : null;
  // Case: a kept-apart series changed in Severa → read the event first, so its dates are kept.
  if (apart && gRecord === null && s.state === 'changed') return readFirst('google', link.googleId);
  const gContent = googleView(gRecord, link, apart);
  const sContent = sRecord === null ? link.base : severaView(sRecord, viewContextOf(link), settings);
  const change = whatChanged(ctx, link, g, s, gContent, sContent);
  if (change === null) return NOTHING;
  if (sRecord === null && change.merged.isPrivate !== link.base.isPrivate) {
    // Privacy is the activity's type (S4): the type it has now decides the change, so read the activity first.
    return readFirst('severa', link.severaGuid);
  }
  const update = updateAction({
    link,
    origin: link.origin,
    severaGuid: link.severaGuid,
    googleId: link.googleId,
    iCalUID: gRecord?.iCalUID ?? link.iCalUID,
    merged: change.merged,
    severaState: sRecord ? sideVersionOf(sRecord) : link.severa,
    severaContent: sContent,
    severaType: sRecord?.activityType ?? typeRef(settings, link.activityType),
    typeBeforePrivate: link.typeBeforePrivate,
    googleState: gRecord ? { version: gRecord.etag, hash: contentHash(gRecord.content) } : link.google,
    googleContent:
      gRecord === null ? link.base : occurrencePrivacy(gRecord.content, link.googleId, link.base),
    googleCurrent: gRecord?.content ?? null,
    googleWrite: apart && gRecord ? keepGoogleDates(change.merged, gRecord.content) : change.merged,
    apart,
    notifyGuests: gRecord?.organizerOfMeeting ?? false,
    user: ctx.user,
    settings,
    linkOnly: change.linkOnly,
    decisions: change.decisions,
    why: change.why,
  });
  if (
    g.state === 'changed' &&
    (sRecord === null || !ctx.fresh(link.severaGuid)) &&
    update.severa.write === null
  ) {
    // Case: a Google change that writes nothing to Severa (dates kept apart, SPEC §11) would be taken as synced
    // without a look at the activity: read it first. It may be gone since, and then the change wins over the
    // deletion (SPEC §6) instead of being forgotten with it (found by the model: seed -2110112601).
    return readFirst('severa', link.severaGuid);
  }
  return act(update);
}

/** The pair's agreed content after this run, and why; null when nothing is to be done. */
interface Change {
  readonly merged: EntryContent;
  /** Only the link learns the new versions; neither side is written. */
  readonly linkOnly: boolean;
  readonly decisions: readonly FieldDecision[];
  readonly why: string;
}

function whatChanged(
  ctx: PlanContext,
  link: Link,
  g: SideChange<GoogleRecord>,
  s: SideChange<SeveraRecord>,
  gContent: EntryContent,
  sContent: EntryContent,
): Change | null {
  const flows = (merged: EntryContent, why: string): Change => ({
    merged,
    linkOnly: false,
    decisions: [],
    why,
  });
  const learns = (why: string): Change => ({ merged: link.base, linkOnly: true, decisions: [], why });
  if (g.state === 'changed' && s.state === 'changed') {
    // Case: changed on both sides → field-level three-way merge, conflicts by policy (B6).
    const result = mergeContent({
      base: link.base,
      google: gContent,
      severa: sContent,
      googleModified: g.record.updated,
      severaModified: s.record.version,
      policy: ctx.settings.conflictPolicy,
    });
    return { ...flows(result.content, 'changed on both sides: merged'), decisions: result.decisions };
  }
  // Case: changed in Google only → update Severa.
  if (g.state === 'changed') return flows(gContent, 'changed in Google');
  // Case: changed in Severa only → update Google.
  if (s.state === 'changed') return flows(sContent, 'changed in Severa');
  // Case: a new version with unchanged content (an echo of our own write) → only the link learns the version.
  // What the sides hold may still differ where one cannot express the other (e.g. per-occurrence privacy):
  // that difference was settled when it was synced, and is not re-sent.
  if (g.state === 'churn' || s.state === 'churn') return learns('new version, same content');
  // Case: a released pair whose activity belongs here again, nothing changed meanwhile → it resumes.
  if (link.dormant === true) return learns('released pair resumed');
  // Case: unchanged on both sides → nothing to do.
  return null;
}

/** The event as the pair sees it: with the pair's agreed dates for a kept-apart series, occurrence privacy. */
function googleView(gRecord: GoogleRecord | null, link: Link, apart: boolean): EntryContent {
  if (gRecord === null) return link.base;
  const content = apart ? withAgreedDates(gRecord.content, link.base) : gRecord.content;
  return occurrencePrivacy(content, link.googleId, link.base);
}

/** What the person is told about a series whose dates are kept apart (SPEC §11). */
function keptApartNote(entryTitle: string, link: Link): EntryNote {
  const title = entryTitle === '' ? '(No title)' : entryTitle;
  return {
    kind: 'dates-kept-apart',
    title,
    severaGuid: link.severaGuid,
    googleId: link.googleId,
    message:
      `"${title}": Severa cannot repeat an entry the way it now repeats in your Google calendar, so its dates stay ` +
      'as they are in Severa and your change stays in Google. Everything else about it still syncs both ways. ' +
      'Choose a rule Severa can hold (daily, weekly, monthly or yearly) to sync the dates again.',
  };
}

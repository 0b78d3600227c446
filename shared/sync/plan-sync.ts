import {
  contentHash,
  deleteExpectationOf,
  googleEventIdFor,
  linkKey,
  sameContent,
  sideVersionOf,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type Link,
  type LinkOrigin,
  type SeveraChange,
  type SeveraRecord,
  type SyncUser,
} from '../domain/index.js';
import type { EntryNote, HeldDeletion, HoldReason, SeveraDeleteExpected } from '../ports/index.js';
import {
  endsAfter,
  googleSide,
  keepGoogleDates,
  occurrencePrivacy,
  ourCopyOf,
  withAgreedDates,
  zoneOf,
} from './google-side.js';
import { matchKey } from './matching.js';
import { mergeContent, type FieldDecision } from './merge.js';
import { parseInstanceId, severaCanExpress } from './recurrence/index.js';
import {
  activityTypeForGoogleEntry,
  missingTypeMessage,
  severaExclusion,
  typeForPrivacy,
  type Exclusion,
} from './rules.js';
import type { SyncSettings } from './settings.js';
import { severaView, viewContextOf } from './severa-view.js';

const DAY_MS = 86_400_000;

/** Everything the planner knows for one user's run. No I/O happens inside {@link planSync}. */
export interface PlanInput {
  readonly user: SyncUser;
  /** This user's links. */
  readonly links: readonly Link[];
  /**
   * Google changes. `complete` means a full listing of the window (first sync or after a 410): then a linked event
   * that is absent was deleted. Otherwise (sync-token delta) absence means "unchanged".
   */
  readonly google: { readonly complete: boolean; readonly changes: readonly GoogleChange[] };
  /**
   * Severa changes routed to this user. Severa never reports deletions (severa-api.md §11): `deleted` entries are
   * only those the runner confirmed with a 404.
   */
  readonly severa: { readonly changes: readonly SeveraChange[] };
  /** Other users' links to the Severa activities and meetings (iCalUIDs) in this run: for B5. */
  readonly peerLinks: readonly Link[];
  readonly settings: SyncSettings;
  /** Canonical instant: the core reads no clock. */
  readonly now: string;
  /** The user confirmed a held mass deletion (B3). */
  readonly confirmDeletions: boolean;
  /**
   * Activities read from Severa in this run, as opposed to records a poll routed earlier (which may be stale by now).
   * Absent: every record is fresh. An activity is only copied to Google or deleted on a fresh read.
   */
  readonly freshSevera?: ReadonlySet<string>;
  /** Activities whose other attendees' links `peerLinks` holds, all of them (absent: all are known). */
  readonly peersKnown?: ReadonlySet<string>;
  /**
   * Entries a side refused for good (key → fingerprint, see {@link refusalOf}): not planned again while they are
   * unchanged (issue 9 #8).
   */
  readonly refused?: ReadonlyMap<string, string>;
  /** B3: pairs (link keys) whose deletion is held: left alone entirely until the hold is decided. */
  readonly frozen?: ReadonlySet<string>;
  /**
   * Held deletions a person rejected (link key → the side whose entry went): the entry is made again from the
   * other side instead of the deletion spreading.
   */
  readonly restore?: ReadonlyMap<string, HeldDeletion['side']>;
  /** A hold is open (B3): every further deletion waits with it for the person's decision. */
  readonly holdOpen?: boolean;
}

/** The state of one side of a pair, for {@link UpdateAction}: the version to write against and the stored hash. */
export interface SideState {
  readonly version: string;
  readonly hash: string;
}

/**
 * Write the merged content to the side(s) that differ, then save the link. With `link: null` this pairs two items
 * that were not linked (matched at initial sync, or recovered after a crash).
 */
export interface UpdateAction {
  readonly kind: 'update';
  readonly link: Link | null;
  readonly origin: LinkOrigin;
  readonly severaGuid: string;
  readonly googleId: string;
  readonly iCalUID: string | null;
  /** The merged content: the pair's agreed content after this action (the link's new `base`). */
  readonly content: EntryContent;
  readonly severa: SideState & {
    readonly write: null | { readonly activityTypeGuid?: string };
    /** The activity's type after the action, and the type privacy replaced (kept on the link). */
    readonly activityType: string | undefined;
    readonly typeBeforePrivate: string | undefined;
  };
  readonly google: SideState & {
    /** What to write to Google (the merged content, with the event's own dates for a kept-apart series), or null. */
    readonly write: null | EntryContent;
    /** The event as read (so a write leaves fields Google spells its own way alone), when it was read. */
    readonly current: EntryContent | null;
    /** The user organises the meeting: its guests hear of the change (sendUpdates=all). */
    readonly notifyGuests: boolean;
    /** The series' dates are kept apart (google-side.ts): remembered on the link. */
    readonly apart: boolean;
  };
  readonly decisions: readonly FieldDecision[];
  readonly why: string;
}

/** Create the Google copy of a Severa activity with a deterministic id (B4). */
export interface CreateGoogleAction {
  readonly kind: 'create-google';
  readonly severa: SeveraRecord;
  readonly googleId: string;
  /** A meeting copy with this iCalUID may already be in the calendar (B5): adopt it instead of inserting. */
  readonly adoptICalUID: string | null;
  /** The link this re-creates (deleted in Google while changed in Severa). */
  readonly replaces: Link | null;
  readonly why: string;
}

/** Create the Severa activity for a Google event. */
export interface CreateSeveraAction {
  readonly kind: 'create-severa';
  readonly google: GoogleRecord;
  readonly activityTypeGuid: string;
  readonly replaces: Link | null;
  readonly why: string;
}

/** Add the user as a participant of the Severa activity that already represents this meeting (B5). */
export interface JoinSeveraAction {
  readonly kind: 'join-severa';
  readonly google: GoogleRecord;
  readonly severaGuid: string;
  readonly replaces: Link | null;
  readonly why: string;
}

export interface DeleteGoogleAction {
  readonly kind: 'delete-google';
  readonly link: Link | null;
  readonly googleId: string;
  readonly etag: string;
  /** A meeting the user organises: its guests are told it was cancelled. */
  readonly notifyGuests: boolean;
  readonly why: string;
}

/**
 * Delete the Severa activity (the user owns it) or take the user off it (`participation`: the user removed a
 * meeting someone else owns from their own calendar, which must not delete it for everyone).
 */
export interface DeleteSeveraAction {
  readonly kind: 'delete-severa';
  readonly link: Link;
  readonly mode: 'activity' | 'participation';
  /** With `participation` by the owner: who keeps the activity. */
  readonly newOwnerGuid?: string;
  /** The activity as freshly read: a deletion is conditional on it (never planned on an activity not read). */
  readonly expected: SeveraDeleteExpected;
  readonly why: string;
}

/** Keep a pair but let nothing flow while its activity is excluded (S3): a person's own event is never removed. */
export interface ReleaseAction {
  readonly kind: 'release';
  readonly link: Link;
  readonly why: string;
}

/** Forget a pair without touching either side. */
export interface UnlinkAction {
  readonly kind: 'unlink';
  readonly link: Link;
  readonly why: string;
}

export type Action =
  | UpdateAction
  | CreateGoogleAction
  | CreateSeveraAction
  | JoinSeveraAction
  | DeleteGoogleAction
  | DeleteSeveraAction
  | ReleaseAction
  | UnlinkAction;

export interface NeedsRead {
  /** Severa activity guids. */
  readonly severa: readonly string[];
  /** Google event ids. */
  readonly google: readonly string[];
  /** Severa activity guids whose other syncing attendees' links are needed (B5 hand-over). */
  readonly peers: readonly string[];
}

export interface Plan {
  readonly actions: readonly Action[];
  /**
   * B3: set when this run holds deletions (it would delete too much at once, Google listed an empty calendar, or a
   * hold is open already). Only the deletions wait, in `heldDeletions`; every other action is in `actions`.
   */
  readonly held: null | { readonly reason: HoldReason; readonly deletions: number; readonly links: number };
  readonly heldDeletions: readonly HeldDeletion[];
  /** Things only a person can fix, in plain words (shown on the user's status). */
  readonly problems: readonly string[];
  /** Entries that sync with a difference the person should know of (shown on the status, with the entry). */
  readonly notes: readonly EntryNote[];
  /**
   * What to read before the plan is complete: a deletion is only planned on an activity freshly read, and a kept-apart
   * series is only written knowing the person's dates in Google. The runner reads them and plans again.
   */
  readonly needsRead: NeedsRead;
  /** Unlinked Google events left out, by `eventType` (working location, birthdays, …: rules.ts `googleEventKind`). */
  readonly leftOut: Readonly<Record<string, number>>;
}

type SideChange<T> =
  | { readonly state: 'absent' }
  | { readonly state: 'deleted' }
  | { readonly state: 'same' | 'churn' | 'changed'; readonly record: T };

function classify<T>(
  stored: SideState,
  record: T | undefined,
  deleted: boolean,
  version: (r: T) => string,
  content: (r: T) => EntryContent,
): SideChange<T> {
  if (deleted) return { state: 'deleted' };
  if (record === undefined) return { state: 'absent' };
  // SPEC §6: a new version with the same content is churn (our own write's echo, or an edit that changed nothing we
  // sync): the link just learns the new version. A content difference is a change even under the same version:
  // Severa's `lastUpdatedDateTime` has whole seconds, so a second write within one second keeps it.
  if (contentHash(content(record)) !== stored.hash) return { state: 'changed', record };
  return { state: version(record) === stored.version ? 'same' : 'churn', record };
}

/**
 * Plans one user's sync: the decision table of SPEC §6 over the user's links and the changes of both sides.
 * Pure: the same input always gives the same plan.
 */
export function planSync(input: PlanInput): Plan {
  const { user, settings } = input;
  const userGuid = user.severaUserGuid;
  const nowMs = Date.parse(input.now);
  const cutoffMs = nowMs - settings.pastDays * DAY_MS;
  const horizonMs = nowMs + settings.futureDays * DAY_MS;
  const actions: Action[] = [];
  const problems: string[] = [];
  const notes: EntryNote[] = [];
  const needsRead = { severa: [] as string[], google: [] as string[], peers: [] as string[] };
  const peersKnown = (guid: string) => input.peersKnown?.has(guid) ?? true;
  const fresh = (guid: string) => input.freshSevera?.has(guid) ?? true;

  // ---- Severa side.
  const severaLive = new Map<string, SeveraRecord>();
  const severaDeleted = new Set<string>();
  for (const change of input.severa.changes) {
    if (change.kind === 'deleted') severaDeleted.add(change.guid);
    else severaLive.set(change.record.guid, change.record);
  }

  // ---- Other attendees' links (B5): meetings by iCalUID, activities by guid, fallback occurrences by instance id.
  const peerByICalUID = new Map<string, Link>();
  const peerBySevera = new Map<string, Link>();
  const peerByOccurrence = new Map<string, Link>();
  const peerOccurrenceMasters = new Set<string>();
  for (const l of input.peerLinks) {
    // A peer's activity that is known to be gone is no meeting to join.
    if (l.user === userGuid || severaDeleted.has(l.severaGuid)) continue;
    const occurrence = parseInstanceId(l.googleId);
    if (occurrence !== null) {
      // A meeting Severa holds as occurrences: each is joined on its own (attendees share the event id).
      if (!peerByOccurrence.has(l.googleId)) peerByOccurrence.set(l.googleId, l);
      peerOccurrenceMasters.add(occurrence.masterId);
    } else if (l.iCalUID !== null && !peerByICalUID.has(l.iCalUID)) peerByICalUID.set(l.iCalUID, l);
    if (!peerBySevera.has(l.severaGuid)) peerBySevera.set(l.severaGuid, l);
  }

  // ---- B3: pairs whose deletion is held are left alone; more may join them below.
  const frozen = new Set(input.frozen ?? []);
  const emptyListingHeld: HeldDeletion[] = [];

  // ---- Google side: live records, deletions, series Severa cannot hold (google-side.ts).
  const google = googleSide({
    user,
    changes: input.google.changes,
    links: input.links,
    severaLive,
    severaDeleted,
    peerByICalUID,
    peerOccurrenceMasters,
    cutoffMs,
    horizonMs,
  });
  const googleLive = google.live;
  const googleDeleted = google.deleted;
  needsRead.severa.push(...google.readFirst);

  if (input.google.complete) {
    // A full listing covers every event ending after now − pastDays: a linked event inside that window and absent
    // from the listing was deleted. Outside the window, absence says nothing.
    const absent = input.links.filter(
      (l) =>
        !googleLive.has(l.googleId) &&
        !googleDeleted.has(l.googleId) &&
        !frozen.has(linkKey(l.user, l.severaGuid)) &&
        endsAfter(l.base, cutoffMs),
    );
    if (googleLive.size === 0 && absent.length > 0 && !input.confirmDeletions) {
      // B3: an empty listing is never taken as "everything was deleted": those pairs wait for a person's word.
      for (const l of absent) {
        emptyListingHeld.push({ link: l, side: 'severa', confirmed: false });
        frozen.add(linkKey(l.user, l.severaGuid));
      }
    } else for (const l of absent) googleDeleted.add(l.googleId);
  }

  const consumedGoogle = new Set<string>();
  const consumedSevera = new Set<string>();

  /**
   * The event of a pair whose activity is gone, brought to Severa anew (the pair's link is replaced). A meeting whose
   * activity another attendee already made again is joined instead: one activity per meeting (B5), whichever of its
   * attendees' runs comes first (found by the model: seed 386865164, a held deletion rejected).
   */
  const recreateInSevera = (record: GoogleRecord, link: Link, why: string): Action[] => {
    const peer =
      parseInstanceId(link.googleId) !== null
        ? peerByOccurrence.get(link.googleId)
        : peerByICalUID.get(record.iCalUID);
    if (peer && peer.severaGuid !== link.severaGuid && peer.iCalUID === record.iCalUID) {
      return [
        {
          kind: 'join-severa',
          google: record,
          severaGuid: peer.severaGuid,
          replaces: link,
          why: `${why}: joined the meeting's activity (B5)`,
        },
      ];
    }
    const type = activityTypeForGoogleEntry(record.content.isPrivate, user, settings, record.eventType);
    if (type === undefined) {
      if (!problems.includes(missingTypeMessage(user))) problems.push(missingTypeMessage(user));
      return [];
    }
    return [{ kind: 'create-severa', google: record, activityTypeGuid: type.guid, replaces: link, why }];
  };

  /**
   * A pairing the run did not finish (Link.pendingPair): whether a join happened is known only from the activity as
   * it is now, and the two are merged as strangers, as first planned. The event is the person's and is never dropped.
   */
  const resumePair = (link: Link, g: SideChange<GoogleRecord>, s: SideChange<SeveraRecord>): Action[] => {
    if (s.state === 'deleted') {
      if (g.state === 'deleted') return [{ kind: 'unlink', link, why: 'joining: gone from both sides' }];
      if (!('record' in g)) {
        needsRead.google.push(link.googleId);
        return [];
      }
      // Case: the meeting's activity went while this user was joining it → the event comes to Severa anew (or joins
      // the activity another attendee made again, B5).
      return recreateInSevera(g.record, link, 'joining a deleted activity: created anew');
    }
    if (!('record' in s) || !fresh(link.severaGuid)) {
      needsRead.severa.push(link.severaGuid);
      return [];
    }
    const record = s.record;
    const involved = record.ownerGuid === userGuid || record.participantGuids.includes(userGuid);
    if (severaExclusion(record, userGuid, settings, link) === 'project-task') {
      // Case: the activity became a project task while this user was joining it → project tasks never sync (S3): the
      // event stays the person's own and the pair is released, or forgotten if the event is gone too (found by the
      // model: seed -1166831662, the join's pairing refused by Google and waiting on it forever).
      return [
        g.state === 'deleted'
          ? { kind: 'unlink', link, why: 'joining: deleted in Google, and the activity is a project task' }
          : { kind: 'release', link, why: 'joining: the activity became a project task' },
      ];
    }
    if (g.state === 'deleted') {
      // Case: the person deleted the event while joining → leave the activity if the join happened. An activity
      // handed to this user meanwhile (B5) is not deleted: with no synced state, a change to it cannot be ruled
      // out, and a change wins over a deletion (SPEC §6) → its copy is made again.
      if (!involved) return [{ kind: 'unlink', link, why: 'joining: deleted in Google' }];
      if (record.ownerGuid === userGuid) {
        consumedGoogle.add(googleEventIdFor(record.guid));
        return [createGoogle(record, link, null, 'joining: deleted in Google, the activity is kept')];
      }
      return [
        {
          kind: 'delete-severa',
          link,
          mode: 'participation',
          expected: deleteExpectationOf(record),
          why: 'joining: deleted in Google',
        },
      ];
    }
    if (!('record' in g)) {
      needsRead.google.push(link.googleId);
      return [];
    }
    // Case: joined (or adopted) → pair; not joined yet → join again; taken off an adopted activity since → released.
    if (involved)
      return [pairAction(record, g.record, 'google', 'paired with the meeting (B5)', user, settings)];
    if (link.pendingPair === 'adopt')
      return [{ kind: 'release', link, why: 'adopting: no longer on the activity' }];
    const join: Action = {
      kind: 'join-severa',
      google: g.record,
      severaGuid: link.severaGuid,
      replaces: link,
      why: 'joining the meeting again (B5)',
    };
    const refusal = refusalOf(join);
    if (refusal !== null && input.refused?.get(refusal.key) === refusal.fingerprint) {
      // Case: Severa took the join but Google refused the pairing for good (a refused join leaves no pending link
      // otherwise), and a person has since taken this user off the activity → released: joining again would undo
      // their change, and the refused join would wait forever (found by the model: seed -1545046647).
      return [{ kind: 'release', link, why: 'joined, refused by Google, then taken off the activity' }];
    }
    return [join];
  };

  /**
   * A held deletion the person rejected (B3): the entry that went is made again from the other side. Null when
   * that entry is there after all (the pair is then planned as usual).
   */
  const restoreHeld = (
    link: Link,
    g: SideChange<GoogleRecord>,
    s: SideChange<SeveraRecord>,
    side: HeldDeletion['side'],
  ): Action[] | null => {
    if (side === 'severa') {
      // The event went; the activity stays and gets a new copy.
      if ('record' in g) return null;
      if (s.state === 'deleted')
        return [{ kind: 'unlink', link, why: 'held deletion rejected: gone on both sides' }];
      if (!('record' in s) || !fresh(link.severaGuid)) {
        needsRead.severa.push(link.severaGuid);
        return [];
      }
      consumedGoogle.add(googleEventIdFor(s.record.guid));
      return [createGoogle(s.record, link, null, 'held deletion rejected: the event is made again')];
    }
    // The activity went; the event stays and gets a new activity.
    if ('record' in s) return null;
    if (g.state === 'deleted')
      return [{ kind: 'unlink', link, why: 'held deletion rejected: gone on both sides' }];
    if (!('record' in g)) {
      needsRead.google.push(link.googleId);
      return [];
    }
    return recreateInSevera(g.record, link, 'held deletion rejected: the activity is made again');
  };

  // ---- Per link: the decision table (SPEC §6).
  for (const link of input.links) {
    consumedGoogle.add(link.googleId);
    consumedSevera.add(link.severaGuid);
    const g = classify(
      link.google,
      googleLive.get(link.googleId),
      googleDeleted.has(link.googleId),
      (r) => r.etag,
      (r) => r.content,
    );
    const s = classify(
      link.severa,
      severaLive.get(link.severaGuid),
      severaDeleted.has(link.severaGuid),
      (r) => r.version,
      (r) => r.content,
    );
    const key = linkKey(link.user, link.severaGuid);
    if (frozen.has(key)) continue; // Case: its deletion is held (B3) → nothing is read or planned for it.
    const restoring = input.restore?.get(key);
    const restored = restoring === undefined ? null : restoreHeld(link, g, s, restoring);
    if (restored !== null) {
      actions.push(...restored);
      continue;
    }
    if (link.pendingPair !== undefined) {
      actions.push(...resumePair(link, g, s));
      continue;
    }
    if (s.state === 'changed' && s.record.version === link.severa.version && !fresh(link.severaGuid)) {
      // Case: a routed record with the version of our last write but other content: older than that write, or a
      // second change within its second (whole-second versions, severa-api.md §5) → read it fresh to know which.
      needsRead.severa.push(link.severaGuid);
      continue;
    }
    const exclusion: Exclusion | null =
      'record' in s ? severaExclusion(s.record, userGuid, settings, link) : null;
    const gChanged = g.state === 'changed';
    const sChanged = s.state === 'changed';

    if (link.dormant === true) {
      if (g.state === 'deleted' || s.state === 'deleted') {
        // Case: a released pair lost one side → forget it; the other side is a person's own and stays.
        actions.push({ kind: 'unlink', link, why: 'released pair: one side deleted' });
        continue;
      }
      // Case: still released (or no news from Severa) → nothing flows either way.
      if (!('record' in s) || exclusion !== null) continue;
      // Case: the activity belongs in this calendar again → the pair resumes through the table below.
    }
    if (exclusion !== null && !(exclusion === 'type-not-synced' && link.origin !== 'severa')) {
      // Case: a filter newly excludes the activity (user taken off it, it became a project task, its type was
      // deselected). Our own Google copy is removed. An event the person made in Google is left alone and the pair
      // is released: nothing flows while excluded, and it resumes if the activity comes back (no second copy).
      if (link.origin === 'severa' && g.state !== 'deleted') {
        actions.push(deleteGoogle(link, g, `excluded: ${exclusion}`));
      } else if (link.origin === 'severa' || g.state === 'deleted') {
        actions.push({ kind: 'unlink', link, why: `excluded: ${exclusion}` });
      } else {
        actions.push({ kind: 'release', link, why: `excluded: ${exclusion}` });
      }
      continue;
    }
    if (link.pendingInsert === true && g.state === 'absent') {
      // Case: our copy's creation was not confirmed (its answer was lost) → read the event to know.
      needsRead.google.push(link.googleId);
      continue;
    }
    if (link.pendingInsert === true && g.state === 'deleted' && s.state !== 'deleted') {
      // Case: our copy never came to be (the insert failed before Google took it) → create it again; this is no
      // deletion by the person.
      if ('record' in s && fresh(link.severaGuid))
        actions.push(createGoogle(s.record, link, null, 'an unconfirmed copy did not exist: created'));
      else needsRead.severa.push(link.severaGuid);
      continue;
    }
    if (g.state === 'deleted' && s.state === 'deleted') {
      // Case: gone from both sides → drop the link.
      actions.push({ kind: 'unlink', link, why: 'deleted on both sides' });
      continue;
    }
    if (g.state === 'deleted') {
      if (sChanged && exclusion !== null) {
        // Case: deleted in Google, changed in Severa, but of a type that does not go to Google (the pair came from
        // Google): a new copy would not be made for it, so none is re-made; the pair ends.
        actions.push({ kind: 'unlink', link, why: `deleted in Google; not re-created (${exclusion})` });
      } else if (sChanged && !fresh(link.severaGuid)) {
        // Case: deleted in Google, changed in Severa as a poll saw it → read it first: it may be gone since.
        needsRead.severa.push(link.severaGuid);
      } else if (sChanged && parseInstanceId(link.googleId) === null) {
        // Case: deleted in Google but changed in Severa → the change wins: re-create the Google copy. (Not for an
        // occurrence of a series synced by the fallback: it belongs to its Google series, which holds it, moved,
        // under another id, or has cancelled it; a standalone copy would be a second one. Its single goes below.)
        actions.push(
          createGoogle(s.record, link, null, 'deleted in Google but changed in Severa: re-created'),
        );
        // The new copy's id is taken: an earlier attempt's copy under it is this pair's, not a stale one.
        consumedGoogle.add(googleEventIdFor(s.record.guid));
      } else if (!('record' in s) || !fresh(link.severaGuid)) {
        // Case: deleted in Google, the activity not read in this run → read it first: no activity is deleted on
        // what the sync last knew of it (a person may have changed it since).
        needsRead.severa.push(link.severaGuid);
      } else {
        // Case: deleted in Google, unchanged in Severa → delete in Severa; but a person who only takes part leaves
        // it, and a shared Google meeting (B5) stays for the other syncing attendees, handed to one of them.
        const record = s.record;
        const others = record.participantGuids.filter((p) => p !== userGuid);
        if (record.ownerGuid === userGuid && others.length > 0 && !peersKnown(link.severaGuid)) {
          // Case: deleted in Google, an activity others take part in → learn who of them syncs it first.
          needsRead.peers.push(link.severaGuid);
          continue;
        }
        // Who takes the meeting over: another syncing attendee who still takes part in it.
        const peer = input.peerLinks.find(
          (l) =>
            l.user !== userGuid &&
            l.severaGuid === link.severaGuid &&
            l.dormant !== true &&
            record.participantGuids.includes(l.user),
        );
        const owner = record.ownerGuid === userGuid;
        const handOver = owner && link.origin === 'google' && peer !== undefined;
        actions.push({
          kind: 'delete-severa',
          link,
          mode: owner && !handOver ? 'activity' : 'participation',
          ...(handOver ? { newOwnerGuid: peer.user } : {}),
          expected: deleteExpectationOf(record),
          why: handOver ? 'deleted in Google by one attendee of a shared meeting' : 'deleted in Google',
        });
      }
      continue;
    }
    if (s.state === 'deleted' && link.datesApart === true && !('record' in g)) {
      // Case: deleted in Severa while the series' dates are kept apart in Google → those dates are the person's own
      // change, which is re-created, never deleted: read the event to re-create it (google-side.ts).
      needsRead.google.push(link.googleId);
      continue;
    }
    if (s.state === 'deleted') {
      if (gChanged) {
        // Case: deleted in Severa but changed in Google → the change wins: re-create the Severa activity (or join the
        // activity another attendee already made again for the meeting, B5).
        actions.push(
          ...recreateInSevera(g.record, link, 'deleted in Severa but changed in Google: re-created'),
        );
      } else {
        // Case: deleted in Severa, unchanged in Google → delete the Google event.
        actions.push(deleteGoogle(link, g, 'deleted in Severa'));
      }
      continue;
    }

    const gRecord = 'record' in g ? g.record : null;
    const sRecord = 'record' in s ? s.record : null;
    // A kept-apart series (google-side.ts): Google's dates and rule are the person's and stay in Google; the pair's
    // agreed ones stand for them in the merge, and whatever else changed still flows both ways. (The runner reads
    // the event of such a pair whenever its activity changed, so a write never replaces the person's dates.)
    const apart = gRecord === null ? link.datesApart === true : google.apart.has(gRecord.id);
    if (apart) notes.push(keptApartNote(gRecord?.content.title ?? link.base.title, link));
    if (apart && gRecord === null && sChanged) {
      // Case: a kept-apart series changed in Severa → read the event first, so its dates are kept.
      needsRead.google.push(link.googleId);
      continue;
    }
    const gContent = googleView(gRecord, link, apart);
    const sContent = sRecord === null ? link.base : severaView(sRecord, viewContextOf(link), settings);
    let merged: EntryContent;
    let linkOnly = false;
    let decisions: readonly FieldDecision[] = [];
    let why: string;
    if (gChanged && sChanged) {
      // Case: changed on both sides → field-level three-way merge, conflicts by policy (B6).
      const result = mergeContent({
        base: link.base,
        google: gContent,
        severa: sContent,
        googleModified: g.record.updated,
        severaModified: s.record.version,
        policy: settings.conflictPolicy,
      });
      merged = result.content;
      decisions = result.decisions;
      why = 'changed on both sides: merged';
    } else if (gChanged) {
      // Case: changed in Google only → update Severa.
      merged = gContent;
      why = 'changed in Google';
    } else if (sChanged) {
      // Case: changed in Severa only → update Google.
      merged = sContent;
      why = 'changed in Severa';
    } else if (g.state === 'churn' || s.state === 'churn') {
      // Case: a new version with unchanged content (an echo of our own write) → only the link learns the version.
      // What the sides hold may still differ where one cannot express the other (e.g. per-occurrence privacy):
      // that difference was settled when it was synced, and is not re-sent.
      merged = link.base;
      why = 'new version, same content';
      linkOnly = true;
    } else if (link.dormant === true) {
      // Case: a released pair whose activity belongs here again, nothing changed meanwhile → it resumes.
      merged = link.base;
      why = 'released pair resumed';
      linkOnly = true;
    } else {
      // Case: unchanged on both sides → nothing to do.
      continue;
    }
    if (sRecord === null && merged.isPrivate !== link.base.isPrivate) {
      // Privacy is the activity's type (S4): the type it has now decides the change, so read the activity first.
      needsRead.severa.push(link.severaGuid);
      continue;
    }
    const update = updateAction({
      link,
      origin: link.origin,
      severaGuid: link.severaGuid,
      googleId: link.googleId,
      iCalUID: gRecord?.iCalUID ?? link.iCalUID,
      merged,
      severaState: sRecord ? sideVersionOf(sRecord) : link.severa,
      severaContent: sContent,
      severaType: sRecord?.activityType ?? typeRef(settings, link.activityType),
      typeBeforePrivate: link.typeBeforePrivate,
      googleState: gRecord ? { version: gRecord.etag, hash: contentHash(gRecord.content) } : link.google,
      googleContent:
        gRecord === null ? link.base : occurrencePrivacy(gRecord.content, link.googleId, link.base),
      googleCurrent: gRecord?.content ?? null,
      googleWrite: apart && gRecord ? keepGoogleDates(merged, gRecord.content) : merged,
      apart,
      notifyGuests: gRecord?.organizerOfMeeting ?? false,
      user,
      settings,
      linkOnly,
      decisions,
      why,
    });
    if (gChanged && (sRecord === null || !fresh(link.severaGuid)) && update.severa.write === null) {
      // Case: a Google change that writes nothing to Severa (dates kept apart, SPEC §11) would be taken as synced
      // without a look at the activity: read it first. It may be gone since, and then the change wins over the
      // deletion (SPEC §6) instead of being forgotten with it (found by the model: seed -2110112601).
      needsRead.severa.push(link.severaGuid);
      continue;
    }
    actions.push(update);
  }

  // ---- Items without a link.
  const unlinkedSevera = [...severaLive.values()]
    .filter((r) => !consumedSevera.has(r.guid) && severaExclusion(r, userGuid, settings) === null)
    .sort((a, b) => (a.guid < b.guid ? -1 : 1));
  const unlinkedGoogle = [...googleLive.values()]
    .filter((r) => !consumedGoogle.has(r.id))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const severaByGuid = new Map(unlinkedSevera.map((r) => [r.guid, r]));
  const severaByKey = new Map<string, SeveraRecord[]>();
  for (const r of unlinkedSevera) {
    const k = matchKey(r.content);
    severaByKey.set(k, [...(severaByKey.get(k) ?? []), r]);
  }
  const takeSevera = (r: SeveraRecord) => {
    consumedSevera.add(r.guid);
    const k = matchKey(r.content);
    severaByKey.set(
      k,
      (severaByKey.get(k) ?? []).filter((x) => x.guid !== r.guid),
    );
  };

  const pair = (
    s: SeveraRecord,
    g: GoogleRecord,
    origin: LinkOrigin,
    why: string,
    base: EntryContent | null = null,
  ) => {
    takeSevera(s);
    consumedGoogle.add(g.id);
    actions.push(pairAction(s, g, origin, why, user, settings, base));
  };

  for (const g of unlinkedGoogle) {
    const isInstance = parseInstanceId(g.id) !== null;
    const own = ourCopyOf(g);
    if (own !== null) {
      const s = severaByGuid.get(own);
      if (s && !consumedSevera.has(s.guid)) {
        // Case: our own copy whose link was lost (crash between insert and link) → pair, never duplicate (B4).
        // The copy was written from Severa: what differs is Severa's news since, so Severa's side is the change.
        pair(s, g, 'severa', 'recovered our copy by its severaGuid', g.content);
        continue;
      }
      const named = severaLive.get(own);
      const why =
        named === undefined
          ? null
          : consumedSevera.has(named.guid)
            ? 'the activity is paired with another event'
            : severaExclusion(named, userGuid, settings);
      if (why !== null) {
        // Case: our copy (its link lost) of an activity that no longer belongs in this calendar, or is already
        // paired with another event here → remove the copy; it never becomes an activity of its own.
        consumedGoogle.add(g.id);
        actions.push({
          kind: 'delete-google',
          link: null,
          googleId: g.id,
          etag: g.etag,
          notifyGuests: false,
          why: `stale copy: ${why}`,
        });
        continue;
      }
      // Case: our copy of an activity that no longer exists, without a link: a copy whose creation was not
      // confirmed has a pending link (never this), so this one's pair ended with the person's change in it (a
      // series re-created as its occurrences) → it is the person's own event now, handled as such below.
    }
    // Another syncing attendee's link names the meeting (B5): the series, or this very occurrence of it.
    const peer = isInstance ? peerByOccurrence.get(g.id) : peerByICalUID.get(g.iCalUID);
    if (peer && peer.iCalUID === g.iCalUID) {
      const s = severaByGuid.get(peer.severaGuid);
      if (s && !consumedSevera.has(s.guid)) {
        // Case: the shared meeting's activity already lists this user → pair with it.
        pair(s, g, 'google', 'meeting already in Severa (B5)');
      } else {
        // Case: a meeting that another syncing attendee already brought to Severa → join it, don't copy it (B5).
        consumedGoogle.add(g.id);
        actions.push({
          kind: 'join-severa',
          google: g,
          severaGuid: peer.severaGuid,
          replaces: null,
          why: 'meeting already in Severa (B5)',
        });
      }
      continue;
    }
    const candidates = severaByKey.get(matchKey(g.content)) ?? [];
    const match = candidates.find((s) => !consumedSevera.has(s.guid));
    if (match) {
      // Case: the same entry exists on both sides without a link (initial sync, S6) → link them, don't duplicate.
      pair(match, g, 'matched', 'matched by name, start, end and recurrence (S6)');
      continue;
    }
    consumedGoogle.add(g.id);
    if (!endsAfter(g.content, cutoffMs)) continue; // Case: ended more than pastDays ago → not synced (S6).
    // Case: new in Google (a person's own event: also a split or duplicate of our copy) → create in Severa with the
    // type S4 prescribes.
    const type = activityTypeForGoogleEntry(g.content.isPrivate, user, settings, g.eventType);
    if (type === undefined) {
      if (!problems.includes(missingTypeMessage(user))) problems.push(missingTypeMessage(user));
      continue;
    }
    actions.push({
      kind: 'create-severa',
      google: g,
      activityTypeGuid: type.guid,
      replaces: null,
      why: 'new in Google',
    });
  }

  for (const s of unlinkedSevera) {
    if (consumedSevera.has(s.guid)) continue;
    consumedSevera.add(s.guid);
    if (!endsAfter(s.content, cutoffMs)) continue; // Case: ended more than pastDays ago → not synced (S6).
    if (!fresh(s.guid)) {
      // Case: new in Severa as a poll saw it → read it first: a deleted activity is never brought back (B3).
      needsRead.severa.push(s.guid);
      continue;
    }
    // Case: new in Severa (or newly shared with this user, S5) → create the Google copy with a deterministic id.
    // Another syncing attendee's link names the meeting this activity is (B5); an occurrence of a fallback series
    // is not that meeting, so its iCalUID is not adopted.
    const peer = peerBySevera.get(s.guid);
    const adopt = peer !== undefined && parseInstanceId(peer.googleId) === null ? peer.iCalUID : null;
    actions.push(createGoogle(s, null, adopt, 'new in Severa'));
  }

  // A pair gone from both sides lets go of its link last: when its Google series is re-created as its occurrences
  // (its activity deleted while its dates were kept apart), that link is what says the copy is being re-created; a
  // run that dies after the unlink but before the creates would leave the copy as nobody's (found by the model).
  const goneBoth = actions.filter((a) => a.kind === 'unlink' && a.why === 'deleted on both sides');
  if (goneBoth.length > 0) {
    const rest = actions.filter((a) => !goneBoth.includes(a));
    actions.splice(0, actions.length, ...rest, ...goneBoth);
  }

  // ---- Entries a side refused for good, unchanged since: not tried again (they stay noted on the status).
  const refused = input.refused;
  if (refused !== undefined && refused.size > 0) {
    for (let i = actions.length - 1; i >= 0; i -= 1) {
      const action = actions[i] as Action;
      const r = refusalOf(action);
      if (r === null || refused.get(r.key) !== r.fingerprint) continue;
      // A refused re-creation still ends the pair it would have replaced (its activity is gone), as the refusal did.
      if (action.kind === 'create-severa' && action.replaces !== null)
        actions.splice(i, 1, {
          kind: 'unlink',
          link: action.replaces,
          why: 'refused for good: the pair ends',
        });
      else actions.splice(i, 1);
    }
  }

  // ---- B3: a run that would delete too much holds its deletions (only those: everything else goes on), and so does
  // every run while a hold is open.
  const deletions = actions.filter((a) => a.kind === 'delete-google' || a.kind === 'delete-severa').length;
  const { maxCount, maxShare, shareFloor } = settings.deletionSafety;
  const linkCount = Math.max(1, input.links.length);
  const tooMany = deletions > maxCount || (deletions >= shareFloor && deletions / linkCount > maxShare);
  const heldDeletions = [...emptyListingHeld];
  if ((tooMany || input.holdOpen === true) && !input.confirmDeletions) {
    for (let i = actions.length - 1; i >= 0; i -= 1) {
      const action = actions[i] as Action;
      // A stale copy of ours (no link) is no entry of the person's: its removal is not held.
      if (action.kind !== 'delete-google' && action.kind !== 'delete-severa') continue;
      if (action.link === null) continue;
      heldDeletions.push({
        link: action.link,
        side: action.kind === 'delete-google' ? 'google' : 'severa',
        confirmed: true,
      });
      actions.splice(i, 1);
    }
  }
  const held =
    heldDeletions.length === 0
      ? null
      : {
          reason:
            emptyListingHeld.length > 0 ? ('google-listing-empty' as const) : ('too-many-deletions' as const),
          deletions: heldDeletions.length,
          links: input.links.length,
        };
  return { actions, held, heldDeletions, problems, notes, needsRead, leftOut: google.leftOut };
}

/** The event as the pair sees it: with the pair's agreed dates for a kept-apart series, occurrence privacy. */
function googleView(gRecord: GoogleRecord | null, link: Link, apart: boolean): EntryContent {
  if (gRecord === null) return link.base;
  const content = apart ? withAgreedDates(gRecord.content, link.base) : gRecord.content;
  return occurrencePrivacy(content, link.googleId, link.base);
}

/**
 * Which entry an action writes on behalf of, and what it writes (its refusal key and fingerprint), so that a
 * permanent refusal is remembered on that entry (issue 9 #8); null for actions a refusal does not concern.
 */
export function refusalOf(action: Action): {
  readonly key: string;
  readonly fingerprint: string;
  readonly title: string;
  readonly side: 'severa' | 'google';
} | null {
  switch (action.kind) {
    case 'create-severa':
    case 'join-severa':
      return {
        key: `google:${action.google.id}`,
        // A join is refused for one activity: the same event brought to Severa otherwise is another attempt.
        fingerprint:
          action.kind === 'join-severa'
            ? `${contentHash(action.google.content)}|join:${action.severaGuid}`
            : contentHash(action.google.content),
        title: action.google.content.title,
        side: 'severa',
      };
    case 'create-google':
      return {
        key: `severa:${action.severa.guid}`,
        fingerprint: contentHash(action.severa.content),
        title: action.severa.content.title,
        side: 'google',
      };
    case 'update':
      return {
        key: `pair:${action.severaGuid}`,
        fingerprint: `${action.google.hash}|${action.severa.hash}`,
        title: action.content.title,
        side: action.severa.write === null ? 'google' : 'severa',
      };
    default:
      return null;
  }
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

function typeRef(
  settings: SyncSettings,
  guid: string | undefined,
): { readonly guid: string; readonly category: SeveraRecord['activityType']['category'] } | undefined {
  const type = guid === undefined ? undefined : settings.activityTypes.find((t) => t.guid === guid);
  return type === undefined ? undefined : { guid: type.guid, category: type.category };
}

/**
 * Links two items that had no link (matched at initial sync, a meeting joined, a copy recovered after a crash):
 * without a common history (`base`) every differing field is settled by the conflict policy, privacy by the more
 * private side.
 */
export function pairAction(
  s: SeveraRecord,
  g: GoogleRecord,
  origin: LinkOrigin,
  why: string,
  user: SyncUser,
  settings: SyncSettings,
  base: EntryContent | null = null,
): UpdateAction {
  // Severa is read against the event it is paired with: its zone, and a privacy Severa may not be able to say.
  const severa = severaView(
    s,
    base === null ? null : { base, activityType: s.activityType.guid },
    settings,
    g.content,
  );
  // A series Severa cannot hold (a meeting joined after its rule was reshaped): its dates stay apart from the start.
  const apart =
    g.content.recurrence !== null &&
    s.content.recurrence !== null &&
    !severaCanExpress(g.content, s.ownerTimeZone ?? zoneOf(s.content) ?? user.timeZone);
  const google = apart ? withAgreedDates(g.content, severa) : g.content;
  const result = mergeContent({
    base,
    google,
    severa,
    googleModified: g.updated,
    severaModified: s.version,
    policy: settings.conflictPolicy,
  });
  return updateAction({
    link: null,
    origin,
    severaGuid: s.guid,
    googleId: g.id,
    iCalUID: g.iCalUID,
    merged: result.content,
    severaState: sideVersionOf(s),
    severaContent: severa,
    severaType: s.activityType,
    typeBeforePrivate: undefined,
    googleState: { version: g.etag, hash: contentHash(g.content) },
    googleContent: g.content,
    googleCurrent: g.content,
    googleWrite: apart ? keepGoogleDates(result.content, g.content) : result.content,
    apart,
    notifyGuests: g.organizerOfMeeting,
    user,
    settings,
    decisions: result.decisions,
    why,
  });
}

function deleteGoogle(link: Link, g: SideChange<GoogleRecord>, why: string): DeleteGoogleAction {
  return {
    kind: 'delete-google',
    link,
    googleId: link.googleId,
    etag: 'record' in g ? g.record.etag : link.google.version,
    notifyGuests: 'record' in g ? g.record.organizerOfMeeting : false,
    why,
  };
}

function createGoogle(
  severa: SeveraRecord,
  replaces: Link | null,
  adoptICalUID: string | null,
  why: string,
): CreateGoogleAction {
  return {
    kind: 'create-google',
    severa,
    googleId: googleEventIdFor(severa.guid),
    adoptICalUID,
    replaces,
    why,
  };
}

interface UpdateParts {
  readonly link: Link | null;
  readonly origin: LinkOrigin;
  readonly severaGuid: string;
  readonly googleId: string;
  readonly iCalUID: string | null;
  readonly merged: EntryContent;
  readonly severaState: SideState;
  /** The activity as the pair sees it (severa-view.ts). */
  readonly severaContent: EntryContent;
  /** The activity's current type, when known. */
  readonly severaType:
    { readonly guid: string; readonly category: SeveraRecord['activityType']['category'] } | undefined;
  readonly typeBeforePrivate: string | undefined;
  readonly googleState: SideState;
  /** What Google holds: the event as read, else the pair's agreed content. */
  readonly googleContent: EntryContent;
  /** The event as read in this run, or null. */
  readonly googleCurrent: EntryContent | null;
  /** What Google should hold after the action. */
  readonly googleWrite: EntryContent;
  readonly apart: boolean;
  readonly notifyGuests: boolean;
  readonly user: SyncUser;
  readonly settings: SyncSettings;
  /** Only the link learns the new versions; neither side is written. */
  readonly linkOnly?: boolean;
  readonly decisions: readonly FieldDecision[];
  readonly why: string;
}

function updateAction(p: UpdateParts): UpdateAction {
  const privacy = p.linkOnly
    ? null
    : typeForPrivacy(p.merged.isPrivate, p.severaType, p.typeBeforePrivate, p.user, p.settings);
  // Severa holds privacy only as the activity type: a privacy difference is written as a type change, or not at all.
  const writeSevera =
    !p.linkOnly &&
    (!sameContent({ ...p.merged, isPrivate: p.severaContent.isPrivate }, p.severaContent) ||
      privacy !== null);
  const writeGoogle = !p.linkOnly && !sameContent(p.googleWrite, p.googleContent);
  // The type privacy replaced is remembered while the activity stays Personal, and forgotten once it is not.
  const typeAfter = privacy?.activityTypeGuid ?? p.severaType?.guid;
  const personalAfter =
    privacy !== null ? privacy.typeBeforePrivate !== undefined : p.severaType?.category === 'Personal';
  return {
    kind: 'update',
    link: p.link,
    origin: p.origin,
    severaGuid: p.severaGuid,
    googleId: p.googleId,
    iCalUID: p.iCalUID,
    content: p.merged,
    severa: {
      ...p.severaState,
      write: writeSevera ? (privacy === null ? {} : { activityTypeGuid: privacy.activityTypeGuid }) : null,
      activityType: typeAfter,
      typeBeforePrivate: personalAfter ? (privacy?.typeBeforePrivate ?? p.typeBeforePrivate) : undefined,
    },
    google: {
      ...p.googleState,
      write: writeGoogle ? p.googleWrite : null,
      current: p.googleCurrent,
      notifyGuests: p.notifyGuests,
      apart: p.apart,
    },
    decisions: p.decisions,
    why: p.why,
  };
}

/**
 * What a plan asks the runner to do: the {@link Action} union, one kind per write, and the constructors the
 * planner's tables build them with. Pure.
 */
import {
  googleEventIdFor,
  sameContent,
  type EntryContent,
  type GoogleRecord,
  type Link,
  type LinkOrigin,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import type { SeveraDeleteExpected } from '../../ports/index.js';
import type { FieldDecision } from '../merge.js';
import { typeForPrivacy } from '../rules.js';
import type { SyncSettings } from '../../domain/settings.js';
import type { SideChange } from './side-change.js';

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

export function deleteGoogle(link: Link, g: SideChange<GoogleRecord>, why: string): DeleteGoogleAction {
  return {
    kind: 'delete-google',
    link,
    googleId: link.googleId,
    etag: 'record' in g ? g.record.etag : link.google.version,
    notifyGuests: 'record' in g ? g.record.organizerOfMeeting : false,
    why,
  };
}

export function createGoogle(
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

/** The activity type of this guid as the settings know it (a type a link remembers), or undefined. */
export function typeRef(
  settings: SyncSettings,
  guid: string | undefined,
): { readonly guid: string; readonly category: SeveraRecord['activityType']['category'] } | undefined {
  const type = guid === undefined ? undefined : settings.activityTypes.find((t) => t.guid === guid);
  return type === undefined ? undefined : { guid: type.guid, category: type.category };
}

export interface UpdateParts {
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

export function updateAction(p: UpdateParts): UpdateAction {
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

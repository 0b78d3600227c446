/**
 * How a pair is settled: the {@link UpdateAction} that writes a pair's merged content to the side(s) that differ.
 * Pure, and shared by the planner (a pair it decides on) and the runner's apply (a pair only a write reveals: a
 * meeting copy adopted, an earlier attempt's event found by a 409, an activity joined), so both decide alike.
 */
import { contentHash, sameContent, sideVersionOf } from '../domain/index.js';
import type {
  EntryContent,
  GoogleRecord,
  Link,
  LinkOrigin,
  SeveraRecord,
  SyncUser,
} from '../domain/index.js';
import { keepGoogleDates, withAgreedDates, zoneOf } from './google-side.js';
import { mergeContent, type FieldDecision } from './merge.js';
import type { SideState, UpdateAction } from './plan-sync.js';
import { severaCanExpress } from './recurrence/index.js';
import { typeForPrivacy } from './rules.js';
import type { SyncSettings } from './settings.js';
import { severaView } from './severa-view.js';

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

import {
  contentHash,
  sideVersionOf,
  type EntryContent,
  type GoogleRecord,
  type LinkOrigin,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import { keepGoogleDates, withAgreedDates, zoneOf } from '../google-side.js';
import { mergeContent } from '../merge.js';
import { severaCanExpress } from '../recurrence/index.js';
import type { SyncSettings } from '../../domain/settings.js';
import { severaView } from '../severa-view.js';
import { updateAction, type UpdateAction } from './actions.js';

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

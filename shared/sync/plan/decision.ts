/**
 * The vocabulary of the planner's tables: what one row decides for one item ({@link Decision}), what every row may
 * read besides that item ({@link PlanContext}), and the outcomes rows share. Pure.
 */
import {
  googleEventIdFor,
  type GoogleRecord,
  type Link,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import type { EntryNote, HeldDeletion } from '../../ports/index.js';
import { parseInstanceId } from '../recurrence/index.js';
import { activityTypeForGoogleEntry, missingTypeMessage } from '../rules.js';
import type { SyncSettings } from '../../domain/settings.js';
import { createGoogle, type Action } from './actions.js';
import type { Sides } from './index-sides.js';

/** Which of the plan's `needsRead` lists a read goes to: activities, events, or an activity's syncing attendees. */
export type ReadSide = 'severa' | 'google' | 'peers';

/** What one row of a table decides for one item. */
export interface Decision {
  readonly actions: readonly Action[];
  /** Read this first: the item is decided on the next plan, once it is read. */
  readonly read?: { readonly side: ReadSide; readonly id: string };
  /** Google ids this decision creates a copy under: no unlinked event under them is taken for a stale copy. */
  readonly claims?: readonly string[];
  readonly note?: EntryNote;
  /** Something only a person can fix. */
  readonly problem?: string;
}

/** Everything a row may read besides its own item. */
export interface PlanContext {
  readonly user: SyncUser;
  readonly settings: SyncSettings;
  readonly sides: Sides;
  /** Other users' links to the activities and meetings in this run (B5). */
  readonly peerLinks: readonly Link[];
  /** Read from Severa in this run (not only routed by an earlier poll): only then copied or deleted. */
  readonly fresh: (guid: string) => boolean;
  /** Every other attendee's link to this activity is in `peerLinks`. */
  readonly peersKnown: (guid: string) => boolean;
  /** Entries a side refused for good (key → fingerprint, refusals.ts). */
  readonly refused: ReadonlyMap<string, string> | undefined;
  /** Held deletions a person rejected (link key → the side whose entry went). */
  readonly restore: ReadonlyMap<string, HeldDeletion['side']> | undefined;
  /** Entries that ended before this instant (ms) are not synced (S6). */
  readonly cutoffMs: number;
}

export const NOTHING: Decision = { actions: [] };

export function act(...actions: Action[]): Decision {
  return { actions };
}

export function readFirst(side: ReadSide, id: string): Decision {
  return { actions: [], read: { side, id } };
}

/** The Google copy of an activity made again for a pair: its id is the pair's, so an earlier attempt's copy is too. */
export function recreateGoogle(record: SeveraRecord, replaces: Link, why: string): Decision {
  return { actions: [createGoogle(record, replaces, null, why)], claims: [googleEventIdFor(record.guid)] };
}

/** A Severa activity for a Google event, of the type S4 prescribes; none, and a problem, when there is none. */
export function createSevera(
  ctx: PlanContext,
  record: GoogleRecord,
  replaces: Link | null,
  why: string,
): Decision {
  const type = activityTypeForGoogleEntry(record.content.isPrivate, ctx.user, ctx.settings, record.eventType);
  if (type === undefined) return { actions: [], problem: missingTypeMessage(ctx.user) };
  return act({ kind: 'create-severa', google: record, activityTypeGuid: type.guid, replaces, why });
}

/**
 * The event of a pair whose activity is gone, brought to Severa anew (the pair's link is replaced). A meeting whose
 * activity another attendee already made again is joined instead: one activity per meeting (B5), whichever of its
 * attendees' runs comes first (found by the model: seed 386865164, a held deletion rejected).
 */
export function recreateInSevera(ctx: PlanContext, record: GoogleRecord, link: Link, why: string): Decision {
  const peer =
    parseInstanceId(link.googleId) !== null
      ? ctx.sides.peers.byOccurrence.get(link.googleId)
      : ctx.sides.peers.byICalUID.get(record.iCalUID);
  if (peer && peer.severaGuid !== link.severaGuid && peer.iCalUID === record.iCalUID) {
    return act({
      kind: 'join-severa',
      google: record,
      severaGuid: peer.severaGuid,
      replaces: link,
      why: `${why}: joined the meeting's activity (B5)`,
    });
  }
  return createSevera(ctx, record, link, why);
}

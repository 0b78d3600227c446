import { contentHash } from './content-hash.js';
import type { EntryContent } from './entry.js';

/** Where a link's pair came from: created from Severa, created from Google, or matched at initial sync (S6). */
export const LINK_ORIGINS = ['severa', 'google', 'matched'] as const;
export type LinkOrigin = (typeof LINK_ORIGINS)[number];

/** How a pair not yet merged came to be (see {@link Link.pendingPair}). */
export const PENDING_PAIRS = ['join', 'adopt', 'match'] as const;
export type PendingPair = (typeof PENDING_PAIRS)[number];

/** A side's version stamp (Severa `lastUpdatedDateTime`, Google `etag`) and content hash as last synced. */
export interface SideVersion {
  readonly version: string;
  readonly hash: string;
}

/**
 * The sync's memory of one pair: a Severa activity ⇄ a Google event in one syncing user's calendar. Per side it keeps
 * the version and content hash of the last state we synced, so a change is "version differs **and** hash differs"
 * (SPEC §6) and our own writes' echoes are recognised. `base` is the last agreed content, the common ancestor for
 * the field-level three-way merge (B6).
 */
export interface Link {
  /** Severa guid of the syncing user whose calendar holds `googleId`. */
  readonly user: string;
  readonly severaGuid: string;
  readonly googleId: string;
  /** The Google event's `iCalUID`, indexed org-wide so a shared meeting maps to one activity (B5). */
  readonly iCalUID: string | null;
  readonly origin: LinkOrigin;
  /** Severa `lastUpdatedDateTime` and content hash of the activity as last synced. */
  readonly severa: SideVersion;
  /** Google `etag` and content hash of the event as last synced. */
  readonly google: SideVersion;
  readonly base: EntryContent;
  /** Canonical instant of the last successful sync of this pair. */
  readonly syncedAt: string;
  /**
   * Released: the activity left this user's sync (it became a project task, or the user was taken off it) while the
   * event is the person's own. Nothing flows; the pair resumes if the activity comes back.
   */
  readonly dormant?: boolean;
  /**
   * The activity's type guid as last synced. Severa says privacy only through its type (category Personal): a type
   * that left Personal since is a person lowering privacy, any other non-Personal type says nothing about it
   * (shared/sync/severa-view.ts).
   */
  readonly activityType?: string;
  /** The type the activity had before the sync made it Personal (S4); restored when the entry is public again. */
  readonly typeBeforePrivate?: string;
  /**
   * The Google series was reshaped so that Severa cannot hold it (a rule or zone Severa has no form for): its dates
   * and rule stay in Google, Severa keeps its own, everything else still flows (SPEC §11).
   */
  readonly datesApart?: boolean;
  /**
   * Written just before the sync inserts the Google copy, with the hash of what it is about to write: if the insert's
   * answer is lost, the next run reads the event and knows whether the person changed it since. An event that never
   * came to be is created again (never taken for a deletion).
   */
  readonly pendingInsert?: boolean;
  /**
   * Written just before the sync pairs an event with an activity it did not make from it: `join` adds the user to
   * another attendee's activity for the meeting (B5), `adopt` pairs an activity with the meeting already in the
   * calendar, `match` pairs an event with an activity of the same content (S6; it also tells another attendee's
   * create of the same meeting to wait). If the run stops before the pair is merged, the next one reads the activity
   * and merges the two as strangers again (the more private wins), never taking either for the other's old state.
   */
  readonly pendingPair?: PendingPair;
}

/**
 * The version and content hash of a record as read now: what a conditional write expects to find. Severa's
 * `lastUpdatedDateTime` has whole seconds (severa-api.md §5), so two writes within one second share a version and
 * only the content tells them apart (SPEC §6: "changed" is about content).
 */
export function sideVersionOf(record: {
  readonly version: string;
  readonly content: EntryContent;
}): SideVersion {
  return { version: record.version, hash: contentHash(record.content) };
}

/** {@link sideVersionOf} plus who is on the activity: what a conditional delete of it expects to find. */
export function deleteExpectationOf(record: {
  readonly version: string;
  readonly content: EntryContent;
  readonly ownerGuid: string;
  readonly participantGuids: readonly string[];
}): SideVersion & { readonly ownerGuid: string; readonly participantGuids: readonly string[] } {
  return {
    ...sideVersionOf(record),
    ownerGuid: record.ownerGuid,
    participantGuids: [...record.participantGuids].sort(),
  };
}

/** The store key of a link: one per (user, Severa activity). */
export function linkKey(user: string, severaGuid: string): string {
  return `${user}|${severaGuid}`;
}

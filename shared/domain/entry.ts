import type { Recurrence } from './recurrence.js';
import type { Timing } from './timing.js';

/**
 * The fields that sync, in one normalised shape that both sides map into (SPEC §7). The content hash covers exactly
 * these. Text is normalised by {@link normaliseTitle} / {@link normaliseNotes} on the way in, so the same text
 * written by either side compares equal.
 */
export interface EntryContent {
  readonly title: string;
  readonly notes: string;
  readonly location: string;
  readonly timing: Timing;
  readonly recurrence: Recurrence | null;
  /**
   * Google `visibility` private/confidential ⇔ a Severa activity type of category `Personal` (SPEC §7, S4).
   * "default" and "public" are both not private.
   */
  readonly isPrivate: boolean;
}

/** The merge fields of {@link EntryContent}, each merged on its own (B6). */
export const CONTENT_FIELDS = ['title', 'notes', 'location', 'timing', 'recurrence', 'isPrivate'] as const;
export type ContentField = (typeof CONTENT_FIELDS)[number];

export const ACTIVITY_CATEGORIES = ['CalendarEntry', 'Personal', 'Absences', 'SalesEvent', 'Task'] as const;
export type ActivityCategory = (typeof ACTIVITY_CATEGORIES)[number];

export function isActivityCategory(value: unknown): value is ActivityCategory {
  return typeof value === 'string' && (ACTIVITY_CATEGORIES as readonly string[]).includes(value);
}

/** A Severa activity type (`ActivityTypeModel`, severa-api.md §9). */
export interface ActivityType {
  readonly guid: string;
  readonly name: string;
  readonly category: ActivityCategory;
  readonly isActive: boolean;
  readonly isDefault: boolean;
}

export interface ActivityTypeRef {
  readonly guid: string;
  readonly name: string;
  readonly category: ActivityCategory;
}

/** A Severa activity as the core sees it: a single activity or a whole series (master + exceptions folded in). */
export interface SeveraRecord {
  readonly guid: string;
  /** `lastUpdatedDateTime`, canonical instant: Severa's only change stamp (no ETag exists, severa-api.md §4). */
  readonly version: string;
  readonly content: EntryContent;
  readonly activityType: ActivityTypeRef;
  /** `ownerUser.guid`. */
  readonly ownerGuid: string;
  /** User participants other than the owner (`ActivityParticipantModel` type User), sorted. */
  readonly participantGuids: readonly string[];
  /** Category `Task`, or `phase` / `projectTaskStatus` set: never synced (S3). */
  readonly isProjectTask: boolean;
  /** `createdDateTime`, canonical instant, when known: finds an activity a crashed run created (no idempotency key). */
  readonly createdAt: string | null;
  /** `createdBy.guid`, when known: tells the activities this integration created from people's own. */
  readonly createdBy: string | null;
  /**
   * The owner's Severa timezone, in which the record was read (Severa stores offsets, not zones: severa-api.md §5);
   * absent on records stored before it was kept.
   */
  readonly ownerTimeZone?: string;
}

/** A Google event in one user's primary calendar: a single event or a series (master + exceptions folded in). */
export interface GoogleRecord {
  readonly id: string;
  readonly etag: string;
  /** `updated`, canonical instant; used by the latest-modification-wins conflict policy. */
  readonly updated: string;
  /** Shared by every attendee's copy of the same meeting (B5). */
  readonly iCalUID: string;
  readonly content: EntryContent;
  /** `extendedProperties.private.severaGuid` when this event was written by the sync (B4). */
  readonly severaGuid: string | null;
  /**
   * Google's `eventType` (immutable): `default`, `outOfOffice`, `focusTime`, `workingLocation`, `birthday`,
   * `fromGmail`. Which of them sync is decided by the core (shared/sync/rules.ts `googleEventKind`).
   */
  readonly eventType: string;
  /**
   * The calendar's owner organises this event and has invited others (Google `organizer.self` and attendees other
   * than the owner): writes to it are sent with `sendUpdates=all`, so the guests hear of a move or a cancellation
   * made from Severa as they would from Google's own UI (docs/sync-engine.md "Meetings you organise").
   */
  readonly organizerOfMeeting: boolean;
}

/** A change seen in a listing: a live record, or a deletion (Google `status: cancelled`, Severa 404). */
export type GoogleChange =
  | { readonly kind: 'upsert'; readonly record: GoogleRecord }
  | { readonly kind: 'deleted'; readonly id: string };

export type SeveraChange =
  | { readonly kind: 'upsert'; readonly record: SeveraRecord }
  | { readonly kind: 'deleted'; readonly guid: string };

/** A person who switched sync on: matched across systems by e-mail (S2). */
export interface SyncUser {
  readonly severaUserGuid: string;
  /** Lower-case e-mail; also the Google calendar id (`primary` of the impersonated user). */
  readonly email: string;
  /** The user's Severa timezone (`UserOutputModel.timezone`), IANA name. */
  readonly timeZone: string;
  /** `UserOutputModel.defaultActivityType.guid`, when set. */
  readonly defaultActivityTypeGuid: string | null;
}

/** Titles and locations: trimmed, runs of white space folded to one space (UIs differ in what they keep). */
export function normaliseTitle(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * Notes: line endings unified to `\n`, trailing white space removed from each line, leading and trailing blank
 * lines removed. Inner spacing and blank lines between paragraphs are kept: they carry meaning in notes.
 */
export function normaliseNotes(value: string | null | undefined): string {
  return (value ?? '')
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+$/u, ''))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

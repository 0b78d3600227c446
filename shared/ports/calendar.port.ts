import type { EntryContent, GoogleChange, GoogleRecord, SyncUser } from '../domain/index.js';

/** A listing request: incremental from a saved sync token, or a full listing from `timeMin` (google-calendar.md §1). */
export type CalendarListRequest = { readonly syncToken: string } | { readonly timeMin: string };

export interface CalendarListResult {
  /** Masters and exceptions folded into series records; cancelled events as deletions. */
  readonly changes: readonly GoogleChange[];
  /** Present only after the last page: saved by the runner after every action succeeded. */
  readonly nextSyncToken: string;
}

/** What the sync writes on a Google event. */
export interface CalendarWrite {
  readonly content: EntryContent;
  /**
   * Stored in `extendedProperties.private.severaGuid` on the events we create (B4). Null leaves the property as it
   * is: a person's own event is never stamped, or it would later be taken for our copy.
   */
  readonly severaGuid: string | null;
  /**
   * The event's content as read at the etag the write is conditional on. Fields equal to it are left as Google
   * holds them, so a write never replaces Google's own spelling of an unchanged field (an HTML description read as
   * text, a `public` or `confidential` visibility read as "not private" / "private"). Absent: every synced field is
   * written.
   */
  readonly current?: EntryContent;
  /** Tell the event's guests (`sendUpdates=all`): set for meetings the user organises (`organizerOfMeeting`). */
  readonly notifyGuests?: boolean;
}

/** Options of a delete. */
export interface CalendarDeleteOptions {
  /** Tell the event's guests that it was cancelled (`sendUpdates=all`), as for {@link CalendarWrite.notifyGuests}. */
  readonly notifyGuests?: boolean;
}

/**
 * One user's primary Google calendar, impersonated through domain-wide delegation. Writes are conditional and
 * idempotent (SPEC §6 "Google").
 */
export interface CalendarPort {
  /**
   * Lists changes (`singleEvents=false`, all pages). Throws {@link SyncTokenExpiredError} on 410 so the runner can
   * fall back to a full listing.
   */
  list(user: SyncUser, request: CalendarListRequest): Promise<CalendarListResult>;
  /** The live event (series folded), or null when missing or cancelled. */
  get(user: SyncUser, id: string): Promise<GoogleRecord | null>;
  /** The live event with this iCalUID in the user's calendar (a meeting copy, B5), if any. */
  findByICalUID(user: SyncUser, iCalUID: string): Promise<GoogleRecord | null>;
  /**
   * Idempotent create with a deterministic id: a 409 means an earlier attempt created it, so the existing event is
   * returned (`created: false`), undeleted with `write` if it had been cancelled.
   */
  insert(
    user: SyncUser,
    id: string,
    write: CalendarWrite,
  ): Promise<{ readonly created: boolean; readonly record: GoogleRecord }>;
  /** Replaces the synced fields with `If-Match: expectedEtag`; throws {@link PreconditionFailedError} on 412. */
  update(user: SyncUser, id: string, expectedEtag: string, write: CalendarWrite): Promise<GoogleRecord>;
  /** Deletes with `If-Match`; an event already gone (404/410) counts as deleted. */
  delete(user: SyncUser, id: string, expectedEtag: string, options?: CalendarDeleteOptions): Promise<void>;
}

/** A Google push channel on a user's events (google-calendar.md §2): stored so it can be renewed and stopped. */
export interface WatchChannel {
  /** Our id for the channel (unique per channel, ≤ 64 characters); a renewal gets a new one. */
  readonly id: string;
  /** Google's opaque id of the watched collection; `channels.stop` needs it with `id`. */
  readonly resourceId: string;
  /** Canonical instant after which Google stops sending notifications. */
  readonly expiration: string;
  /** Per-channel secret echoed in `X-Goog-Channel-Token`, compared in constant time by `calendarPush`. */
  readonly token: string;
  readonly address: string;
}

export interface WatchRequest {
  readonly id: string;
  readonly address: string;
  readonly token: string;
  /** Requested lifetime; Google may grant less (at most about 7 days). */
  readonly ttlSeconds: number;
}

/** Push channels of users' calendars (`events.watch`, `channels.stop`). */
export interface CalendarChannelsPort {
  watch(user: SyncUser, request: WatchRequest): Promise<WatchChannel>;
  /** Stops a channel with the identity that created it; a channel already gone (404) counts as stopped. */
  stop(user: SyncUser, channel: Pick<WatchChannel, 'id' | 'resourceId'>): Promise<void>;
}

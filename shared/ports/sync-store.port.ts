import type { EntryContent, GoogleRecord, Link, SeveraRecord } from '../domain/index.js';

/** What a person sees about their sync (B7): one of these states plus progress and the last error in plain words. */
export const USER_SYNC_STATES = ['off', 'initial', 'healthy', 'error', 'held'] as const;
export type UserSyncState = (typeof USER_SYNC_STATES)[number];

export interface UserSyncStatus {
  readonly state: UserSyncState;
  /** Canonical instant of the last run that completed without failures. */
  readonly lastSuccessAt: string | null;
  /** Plain words a person can act on; null when there is nothing to say. */
  readonly message: string | null;
  /** Items that failed in the last run and will be retried. */
  readonly pendingRetries: number;
  /** Entries that sync with a difference, or not at all, and why (the sync itself stays healthy). */
  readonly notes?: readonly EntryNote[];
  /**
   * Google put the calendar into read-only mode for a while ("Calendar usage limits exceeded"): no run is made for
   * the person before this instant (retrying sooner only prolongs it). Cleared by the next successful run.
   */
  readonly pausedUntil?: string;
  /** Pauses in a row: each one waits twice as long as the one before. */
  readonly quotaPauses?: number;
  /** While a first sync runs: how many of its planned changes are done (state `initial`). */
  readonly progress?: { readonly done: number; readonly total: number };
}

export const ENTRY_NOTE_KINDS = [
  /** A linked series reshaped in Google so that Severa cannot hold it: the dates stay apart (SPEC §11). */
  'dates-kept-apart',
  /** One side refused the entry for good (a permanent 4xx): recorded on the entry, not retried until it changes. */
  'refused',
] as const;
export type EntryNoteKind = (typeof ENTRY_NOTE_KINDS)[number];

/** Something a person should know about one of their entries, in words they can act on. */
export interface EntryNote {
  readonly kind: EntryNoteKind;
  /** The entry's title as the person knows it (shown on the status page, never logged). */
  readonly title: string;
  readonly severaGuid: string | null;
  readonly googleId: string | null;
  readonly message: string;
}

/** A Severa change routed to a user by the org-wide poll, waiting for that user's next run. */
export interface InboxItem {
  readonly record: SeveraRecord;
}

/**
 * Written before a Severa create and removed when its link is saved: Severa has no idempotency key, so after a
 * crash between the create and the link the runner looks for the activity it may have created (no duplicates).
 */
export interface CreateIntent {
  readonly googleId: string;
  /** The Google event's iCalUID and content at the time: what the created activity will match. */
  readonly iCalUID: string;
  readonly content: EntryContent;
  readonly ownerGuid: string;
  /** Window around the entry to search in. */
  readonly from: string;
  readonly to: string;
  readonly at: string;
  /**
   * The activity of the pair this create re-creates (its link is still saved until the create's link replaces it),
   * or absent for a new pair: that old link does not mean the intent was resolved.
   */
  readonly replaces?: string | null;
}

/**
 * An entry one side refused for good (a permanent 4xx on what was sent: issue 9 #8). It is not retried, and does not
 * make the person's sync unhealthy, until the entry changes; it is shown with the entry.
 */
export interface Refusal {
  /** Which entry: `google:<eventId>`, `severa:<guid>` or `pair:<guid>` (an update of a linked pair). */
  readonly key: string;
  /** What was refused: the content hash(es) of the entry as it was then. */
  readonly fingerprint: string;
  /** The entry's title as the person knows it (status page only, never logged). */
  readonly title: string;
  /** Which side refused it. */
  readonly side: 'severa' | 'google';
  /** The reason, in words a person can act on. */
  readonly message: string;
  readonly at: string;
  /**
   * The entry as it was when refused (both sides, for an update of a linked pair). The sync token and the inbox
   * move on past it, so each run sees it again from here (unless newer news came) and finds it unchanged, never
   * taking its silence for "unchanged since the last sync" (which could delete it); a change on either side is
   * planned against the pair's last agreed content as usual.
   */
  readonly google?: GoogleRecord;
  readonly severa?: SeveraRecord;
}

/**
 * A deletion B3 keeps aside: the run would have deleted too much at once (or Google listed an empty calendar), so the
 * deletions wait for a person's decision while everything else keeps syncing. A held pair is frozen: no run reads
 * or plans it until the decision, or until one of its sides changes (a change wins over a deletion, SPEC §6).
 */
export interface HeldDeletion {
  readonly link: Link;
  /** Whose entry would go: `google` (the activity went, its event would be deleted) or `severa` (the other way). */
  readonly side: 'google' | 'severa';
  /** The other side's deletion was seen; false for an event merely absent from an empty listing. */
  readonly confirmed: boolean;
}

export const HOLD_REASONS = ['too-many-deletions', 'google-listing-empty'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

/** A user's open B3 hold: why, since when, and an administrator's decision once taken (audited). */
export interface DeletionHold {
  readonly reason: HoldReason;
  readonly since: string;
  /** How many synced entries the user had when the hold began. */
  readonly links: number;
  /** How many deletions wait (the held items, kept here so a status needs one read). */
  readonly deletions: number;
  /** Taken by an administrator; the next run applies the held deletions (`confirm`) or restores the entries. */
  readonly decision: null | {
    readonly kind: 'confirm' | 'reject';
    readonly at: string;
    readonly by: string;
  };
}

/** Durable state of the sync (Firestore in production, memory in tests and the local stack). */
/**
 * Where the org-wide `changedSince` poll stands. `watermark` is the newest server change stamp seen. `routed` holds a
 * fingerprint (version and content) of each activity already routed whose stamp the next query still reaches back to:
 * the overlap returns those rows again, and routing them again would re-sync their people on every poll of an idle
 * organisation. A row whose stamp is the same but whose content differs (two writes within one second leave the
 * same stamp) has another fingerprint and is routed.
 */
export interface SeveraPollState {
  readonly watermark: string | null;
  /** Activity guid → fingerprint. */
  readonly routed: Readonly<Record<string, string>>;
}

export interface SyncStore {
  listLinks(user: string): Promise<readonly Link[]>;
  /**
   * Saves `link`, in one atomic write with: removing `replaces` (a pair re-created on one side), and removing any
   * other link of the same user to the same Google event (one link per user and event, and per user and activity).
   */
  putLink(link: Link, replaces?: Link): Promise<void>;
  deleteLink(link: Link): Promise<void>;
  /** Links of every user to a meeting with this iCalUID (B5). */
  findLinksByICalUID(iCalUID: string): Promise<readonly Link[]>;
  /** Links of every user to this Severa activity (routing changes to users who are no longer participants). */
  findLinksBySeveraGuid(severaGuid: string): Promise<readonly Link[]>;
  /** Links of every user to any of these activities, in a few queries whatever their number (a notice, a poll). */
  findLinksBySeveraGuids(severaGuids: readonly string[]): Promise<readonly Link[]>;

  getSyncToken(user: string): Promise<string | null>;
  saveSyncToken(user: string, token: string | null): Promise<void>;

  /** Adds or replaces (by guid, newer version wins) routed Severa changes. */
  addToInbox(user: string, records: readonly SeveraRecord[]): Promise<void>;
  readInbox(user: string): Promise<readonly InboxItem[]>;
  /** Removes the processed items, unless a newer version of one arrived meanwhile. */
  ackInbox(user: string, processed: readonly InboxItem[]): Promise<void>;

  putIntent(user: string, intent: CreateIntent): Promise<void>;
  listIntents(user: string): Promise<readonly CreateIntent[]>;
  deleteIntent(user: string, googleId: string): Promise<void>;
  /** Every user's open intents for a meeting (B5: another attendee may have just created its activity). */
  findIntentsByICalUID(
    iCalUID: string,
  ): Promise<readonly { readonly user: string; readonly intent: CreateIntent }[]>;

  /**
   * Atomically claims the right to create the one Severa activity of a meeting (B5), unless another user holds a
   * claim made at or after `staleBefore`. Returns the holder after the call.
   */
  claimMeeting(iCalUID: string, user: string, at: string, staleBefore: string): Promise<string>;
  /** Drops the claim if `user` holds it (the meeting's link now answers for it). */
  releaseMeeting(iCalUID: string, user: string): Promise<void>;

  /** The org-wide Severa poll's state (null watermark and nothing routed before the first poll). */
  getSeveraPoll(): Promise<SeveraPollState>;
  setSeveraPoll(state: SeveraPollState): Promise<void>;

  getStatus(user: string): Promise<UserSyncStatus>;
  setStatus(user: string, status: UserSyncStatus): Promise<void>;

  listRefusals(user: string): Promise<readonly Refusal[]>;
  /** Adds or replaces (by key). */
  putRefusal(user: string, refusal: Refusal): Promise<void>;
  deleteRefusal(user: string, key: string): Promise<void>;

  getHold(user: string): Promise<DeletionHold | null>;
  setHold(user: string, hold: DeletionHold | null): Promise<void>;
  listHeld(user: string): Promise<readonly HeldDeletion[]>;
  /** Adds or replaces (by the link's key, `linkKey`). */
  putHeld(user: string, items: readonly HeldDeletion[]): Promise<void>;
  /** Removes the held deletions of these link keys. */
  deleteHeld(user: string, linkKeys: readonly string[]): Promise<void>;
}

import type { EntryContent, SeveraRecord, SideVersion } from '../domain/index.js';

export interface SeveraWindow {
  /** Activities ending after this instant (`startDateTime` filter semantics, severa-api.md §6). */
  readonly from: string;
  /** Activities starting on or before this instant (`endDateTime` filter semantics). */
  readonly to: string;
}

export interface SeveraCreate {
  readonly content: EntryContent;
  readonly activityTypeGuid: string;
  readonly ownerGuid: string;
}

/** What a delete expects to find: the activity as read, and its owner and participants. */
export interface SeveraDeleteExpected extends SideVersion {
  readonly ownerGuid: string;
  readonly participantGuids: readonly string[];
}

export interface SeveraUpdate {
  readonly content: EntryContent;
  /** Set when the activity type must change (privacy changed, S4). */
  readonly activityTypeGuid?: string;
}

/**
 * The organisation's Severa, through one API credential. Severa has no ETag: updates and deletes are
 * read-check-write on the activity as the caller saw it, its `lastUpdatedDateTime` **and** its content hash (SPEC §6
 * "Severa"): the timestamp has whole seconds, so a second write within the same second keeps it, and only the content
 * shows that someone else wrote (`sideVersionOf`).
 */
export interface SeveraPort {
  /**
   * The Severa user our API credential writes as (`createdBy` of what we create), when known. Used after a crash to
   * tell an activity we created from a person's own.
   */
  apiUserGuid(): Promise<string | null>;
  /** Every activity added or changed at or after `since` (`changedSince` is ≥; deleted rows never appear). */
  listChangedSince(since: string): Promise<readonly SeveraRecord[]>;
  /** The user's activities (owner or participant) overlapping the window: the reconcile listing. */
  listForUser(userGuid: string, window: SeveraWindow): Promise<readonly SeveraRecord[]>;
  /** The activity, or null on 404. */
  get(guid: string): Promise<SeveraRecord | null>;
  create(input: SeveraCreate): Promise<SeveraRecord>;
  /** Throws {@link PreconditionFailedError} when the activity's version or content is no longer `expected`. */
  update(guid: string, expected: SideVersion, input: SeveraUpdate): Promise<SeveraRecord>;
  /**
   * Read-check-write delete against `expected` as for {@link update}, and against who is on the activity: someone
   * who joined it meanwhile (B5) keeps it from being deleted under them. A 404 counts as deleted.
   */
  delete(guid: string, expected: SeveraDeleteExpected): Promise<void>;
  /** Adds a user participant; adding one who is already there is a no-op. */
  addParticipant(guid: string, userGuid: string): Promise<SeveraRecord>;
  /**
   * Takes a user off an activity: a participant is removed; an owner first hands the activity to `newOwnerGuid` (a
   * shared meeting stays for the others, B5), who must still be a participant ({@link PreconditionFailedError}
   * otherwise). Returns the activity after, or null if it is gone.
   */
  removeParticipant(guid: string, userGuid: string, newOwnerGuid?: string): Promise<SeveraRecord | null>;
}

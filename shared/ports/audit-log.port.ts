/** One applied sync action, kept for a while (B2). */
export interface AuditEntry {
  readonly user: string;
  readonly at: string;
  readonly kind: string;
  readonly severaGuid: string | null;
  readonly googleId: string | null;
  readonly why: string;
  /** Field-level decisions of a merge, in words (B6). */
  readonly decisions: readonly string[];
  /** The entry's title ('' when it has none, or for a decision that concerns no one entry). */
  readonly title: string;
  /** The entry's first day (`YYYY-MM-DD`), when known. */
  readonly date: string | null;
  /** A private entry: its title is shown to the person only. */
  readonly private: boolean;
  /** Each change applied, in words ("title: “A” → “B”", "written to Google"). */
  readonly changes: readonly string[];
  /** TTL field: the store deletes the entry after this instant. */
  readonly expiresAt: string;
}

export interface AuditLog {
  append(entries: readonly AuditEntry[]): Promise<void>;
  /** The user's newest entries first. */
  listForUser(user: string, limit: number): Promise<readonly AuditEntry[]>;
}

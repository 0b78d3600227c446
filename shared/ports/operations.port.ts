import type { SyncUser } from '../domain/index.js';
import type { SyncSettings } from '../domain/settings.js';
import type { WatchChannel } from './calendar.port.js';

/**
 * A person who may sync: who they are on both sides, whether they opted in, and the bookkeeping the org-level
 * functions need (SPEC §5 `…/users/{severaUserGuid}`). The sync token, status, links and inbox live in
 * {@link import('./sync-store.port.js').SyncStore}.
 */
export interface UserRecord extends SyncUser {
  /** Opted in (S2): only these users are synced, routed to and watched. */
  readonly enabled: boolean;
  /** The current push channel on the user's primary calendar, if any. */
  readonly channel: WatchChannel | null;
  /** Canonical instant of the last windowed Severa reconcile (deletion detection, SPEC §6). */
  readonly lastReconcileAt: string | null;
  /** Start of the last run that completed without failures: a sync request older than this is already served. */
  readonly lastCompleteRunStartedAt: string | null;
  /** Canonical instant the scheduler last asked for a safety sync of this user (so a failing user is not asked every tick). */
  readonly lastSafetyRequestAt: string | null;
}

export interface UserDirectory {
  listUsers(): Promise<readonly UserRecord[]>;
  getUser(severaUserGuid: string): Promise<UserRecord | null>;
  /** Creates or replaces the user. */
  putUser(user: UserRecord): Promise<void>;
  /** Updates only the given bookkeeping fields (a missing user is an error). */
  updateUser(
    severaUserGuid: string,
    patch: Partial<
      Pick<
        UserRecord,
        'enabled' | 'channel' | 'lastReconcileAt' | 'lastCompleteRunStartedAt' | 'lastSafetyRequestAt'
      >
    >,
  ): Promise<void>;
  /** The user a push channel belongs to (calendarPush looks channels up by id). */
  findUserByChannelId(channelId: string): Promise<UserRecord | null>;
}

/**
 * Mutual exclusion per key (one sync of a user at a time, SPEC §5), taken in a transaction. A lease expires so a
 * crashed holder does not block the user forever.
 */
export interface LeaseStore {
  /** True when `holder` now holds the lease (free, expired, or already its own) until `now + ttlMs`. */
  acquire(key: string, holder: string, now: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease if `holder` still holds it. */
  release(key: string, holder: string): Promise<void>;
}

/** Idempotency records of processed messages (Pub/Sub delivers at least once). */
export interface MessageLog {
  /** True when the message was recorded as processed. */
  wasProcessed(messageId: string): Promise<boolean>;
  /** Records the message as processed; `expiresAt` feeds the store's TTL policy. */
  markProcessed(messageId: string, at: string, expiresAt: string): Promise<void>;
  /**
   * Records `key` unless it is recorded already, atomically across instances: true for the first claim, false for
   * every later one until the record expires (replay protection of signed notices).
   */
  claim(key: string, at: string, expiresAt: string): Promise<boolean>;
  /** Drops a claim (the claimed work failed and may be tried again). */
  forget(key: string): Promise<void>;
}

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

/** The organisation's settings (S1, S3): what the operator configured. Secrets are never stored here. */
export interface OrgConfig {
  readonly enabled: boolean;
  readonly serviceAccountEmail: string;
  /** Severa REST API client id (not a secret; its secret is `severa-client-secret` in the secret source). */
  readonly severaClientId: string;
  readonly sync: SyncSettings;
  readonly updatedAt: string;
}

export interface OrgConfigStore {
  getOrgConfig(): Promise<OrgConfig | null>;
  putOrgConfig(config: OrgConfig): Promise<void>;
}

/** Why a user's sync was requested. */
export const SYNC_REASONS = ['push', 'severa-change', 'webhook', 'reconcile', 'manual', 'initial'] as const;
export type SyncReason = (typeof SYNC_REASONS)[number];

/** A request for one user's sync, published on the `sync-requests` topic. */
export interface SyncRequest {
  readonly user: string;
  readonly reason: SyncReason;
  /** Canonical instant the request was made: a run that started after it serves it (coalescing). */
  readonly requestedAt: string;
  /** Also list the user's Severa window to find deletions. */
  readonly reconcile: boolean;
}

export interface SyncRequestPublisher {
  /** Publishes the request; resolves with the message id once the broker has it. */
  publish(request: SyncRequest): Promise<string>;
}

/** Secrets by name (Secret Manager in production; env or a git-ignored file locally). Values are never logged. */
export interface SecretSource {
  /** The secret's bytes as a string (binary secrets such as a P12 come base64-encoded). Throws when missing. */
  get(name: string): Promise<string>;
}

/** A secret source that can also save (the operator's org setup writes the P12 and credentials through it). */
export interface SecretStore extends SecretSource {
  putSecret(name: string, value: string): Promise<void>;
}

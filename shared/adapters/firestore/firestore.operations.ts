/**
 * The operations ports in Firestore (layout: ./layout.ts): the user directory, leases, the processed-message log,
 * the audit log and the organisation's settings.
 *
 * - `LeaseStore.acquire` / `release` and `UserDirectory.updateUser` are transactions (read, decide, write).
 * - `AuditLog.append` is an atomic batch (no read needed), split into commits of at most 500 writes.
 * - The rest are single-document reads and writes.
 */
import type { DocumentSnapshot, Firestore, Transaction } from '@google-cloud/firestore';

import { NotFoundError } from '../../domain/index.js';
import { GRPC, grpcCode } from '../grpc-status.js';
import type {
  AuditEntry,
  AuditLog,
  LeaseStore,
  MessageLog,
  OrgConfig,
  OrgConfigStore,
  UserDirectory,
  UserRecord,
} from '../../ports/index.js';
import {
  decode,
  leaseSchema,
  orgConfigSchema,
  storedAuditSchema,
  timestampOf,
  toFirestore,
  USER_RECORD_FIELDS,
  userRecordSchema,
} from './codec.js';
import { DEFAULT_TRANSACTION_ATTEMPTS, OrgLayout, type FirestoreStoreOptions } from './layout.js';

/** Firestore's limit on writes in one commit. */
const MAX_BATCH_WRITES = 500;

abstract class OrgScoped {
  protected readonly layout: OrgLayout;
  readonly #attempts: number;

  constructor(options: FirestoreStoreOptions) {
    this.layout = new OrgLayout(options.firestore, options.orgId);
    this.#attempts = options.transactionAttempts ?? DEFAULT_TRANSACTION_ATTEMPTS;
  }

  protected get db(): Firestore {
    return this.layout.firestore;
  }

  protected transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.runTransaction(fn, { maxAttempts: this.#attempts });
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * `orgs/{org}/users/{user}`: the UserRecord's fields plus `inDirectory: true`. The same document carries the
 * user's sync token and status (written by the FirestoreSyncStore), which `putUser` leaves alone.
 */
export class FirestoreUserDirectory extends OrgScoped implements UserDirectory {
  async listUsers(): Promise<readonly UserRecord[]> {
    const snap = await this.layout.users.where('inDirectory', '==', true).get();
    return snap.docs.map(readUser);
  }

  async getUser(severaUserGuid: string): Promise<UserRecord | null> {
    const snap = await this.layout.user(severaUserGuid).get();
    return isInDirectory(snap) ? readUser(snap) : null;
  }

  async putUser(user: UserRecord): Promise<void> {
    // `mergeFields` replaces exactly the record's fields (a channel map as a whole) and keeps the sync state.
    await this.layout
      .user(user.severaUserGuid)
      .set(
        { ...toFirestore(user), inDirectory: true },
        { mergeFields: [...USER_RECORD_FIELDS, 'inDirectory'] },
      );
  }

  async updateUser(severaUserGuid: string, patch: Parameters<UserDirectory['updateUser']>[1]): Promise<void> {
    const ref = this.layout.user(severaUserGuid);
    const fields = toFirestore(patch);
    await this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!isInDirectory(snap)) throw new NotFoundError(`no user ${severaUserGuid} in the directory`);
      // Top-level field names: `update` replaces each named field as a whole (a channel map included).
      if (Object.keys(fields).length > 0) tx.update(ref, fields);
    });
  }

  async findUserByChannelId(channelId: string): Promise<UserRecord | null> {
    const snap = await this.layout.users.where('channel.id', '==', channelId).get();
    const doc = snap.docs.find(isInDirectory);
    return doc ? readUser(doc) : null;
  }
}

function isInDirectory(snap: DocumentSnapshot): boolean {
  return snap.exists && snap.get('inDirectory') === true;
}

function readUser(snap: DocumentSnapshot): UserRecord {
  return decode(userRecordSchema, snap.data(), snap.ref.path, 'user');
}

// ---------------------------------------------------------------------------------------------------------------

/** `orgs/{org}/leases/{key}`: `holder`, `until` (canonical instant). Time is the caller's `now`, not the server's. */
export class FirestoreLeaseStore extends OrgScoped implements LeaseStore {
  acquire(key: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    const ref = this.layout.lease(key);
    const nowMs = Date.parse(now);
    if (Number.isNaN(nowMs)) throw new RangeError(`not an instant: ${JSON.stringify(now)}`);
    const until = new Date(nowMs + ttlMs).toISOString();
    return this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.exists) {
        const lease = decode(leaseSchema, snap.data(), ref.path, 'lease');
        if (lease.holder !== holder && Date.parse(lease.until) > nowMs) return false;
      }
      tx.set(ref, { holder, until, key });
      return true;
    });
  }

  async release(key: string, holder: string): Promise<void> {
    const ref = this.layout.lease(key);
    await this.transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.exists && snap.get('holder') === holder) tx.delete(ref);
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * `orgs/{org}/messages/{messageId}`: `messageId`, `at`, and `expiresAt` as a Firestore Timestamp, the field of the
 * collection group's TTL policy (Firestore deletes the record some time after it; until then it still counts).
 */
export class FirestoreMessageLog extends OrgScoped implements MessageLog {
  async wasProcessed(messageId: string): Promise<boolean> {
    return (await this.layout.message(messageId).get()).exists;
  }

  async markProcessed(messageId: string, at: string, expiresAt: string): Promise<void> {
    await this.layout.message(messageId).set({ messageId, at, expiresAt: timestampOf(expiresAt) });
  }

  /**
   * A create that fails when the record exists: one instance wins, whichever gets the key first. A record past its
   * expiry that the TTL policy has not removed yet is taken over in a transaction.
   */
  async claim(key: string, at: string, expiresAt: string): Promise<boolean> {
    const ref = this.layout.message(key);
    const record = { messageId: key, at, expiresAt: timestampOf(expiresAt), expiresAtText: expiresAt };
    try {
      await ref.create(record);
      return true;
    } catch (error) {
      if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
    }
    return this.db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      const until = snap.get('expiresAtText') as unknown;
      if (snap.exists && (typeof until !== 'string' || Date.parse(until) > Date.parse(at))) return false;
      tx.set(ref, record);
      return true;
    });
  }

  async forget(key: string): Promise<void> {
    await this.layout.message(key).delete();
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * `orgs/{org}/users/{user}/audit/{auto-id}`: the entry's fields, `atMs` (the order of {@link listForUser}), and
 * `expiresAt` as a Firestore Timestamp: the field of the `audit` collection group's TTL policy. The instant as given
 * is kept in `expiresAtText`, so an entry reads back exactly.
 */
export class FirestoreAuditLog extends OrgScoped implements AuditLog {
  async append(entries: readonly AuditEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += MAX_BATCH_WRITES) {
      const batch = this.db.batch();
      for (const entry of entries.slice(i, i + MAX_BATCH_WRITES)) {
        const atMs = Date.parse(entry.at);
        if (Number.isNaN(atMs))
          throw new RangeError(`audit entry at is not an instant: ${JSON.stringify(entry.at)}`);
        batch.create(this.layout.audit(entry.user).doc(), {
          ...toFirestore(entry),
          atMs,
          expiresAt: timestampOf(entry.expiresAt),
          expiresAtText: entry.expiresAt,
        });
      }
      await batch.commit();
    }
  }

  async listForUser(user: string, limit: number): Promise<readonly AuditEntry[]> {
    if (limit <= 0) return [];
    const snap = await this.layout.audit(user).orderBy('atMs', 'desc').limit(limit).get();
    return snap.docs.map((doc) => decode(storedAuditSchema, doc.data(), doc.ref.path, 'audit entry'));
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** `orgs/{org}/config/settings`: the OrgConfig as-is. */
export class FirestoreOrgConfigStore extends OrgScoped implements OrgConfigStore {
  async getOrgConfig(): Promise<OrgConfig | null> {
    const snap = await this.layout.settings.get();
    return snap.exists ? decode(orgConfigSchema, snap.data(), snap.ref.path, 'organisation settings') : null;
  }

  async putOrgConfig(config: OrgConfig): Promise<void> {
    await this.layout.settings.set(toFirestore(config));
  }
}

/**
 * The sync's durable state in Firestore: the same contract as `MemorySyncStore` (the semantic reference), with the
 * atomicity the memory store gets from single-threaded JavaScript provided by Firestore transactions, so it holds
 * across concurrent workers. Layout: ./layout.ts.
 *
 * Transactions (read-then-write, retried by the client on contention; each callback recomputes everything from
 * what it reads, so a retry is idempotent):
 * - `putLink` / `deleteLink`: the link, the link it replaces, every other link of the user to the same Google event,
 *   and the `linkEvents/{user|googleId}` guard. The guard is the lock that serialises two writers of links to one
 *   event (both read and write it, so Firestore lets only one commit first and retries the other, which then sees
 *   the first's link); the query on `user` + `googleId` inside the transaction finds the links to remove. (The
 *   emulator also serialises on the query alone; production's locking of query ranges is not relied on.)
 * - `addToInbox` / `ackInbox`: newer (or equal, later-read) version wins / remove only the very item processed (its
 *   fingerprint: versions have whole seconds). Long lists are split into
 *   transactions of {@link INBOX_CHUNK} activities; the rule is per activity, so the split changes no outcome.
 * - `claimMeeting` / `releaseMeeting`.
 * Single-document writes (sync token, status, watermark, intents) are plain `set`/`delete`.
 */
import type { DocumentReference, DocumentSnapshot, Firestore, Transaction } from '@google-cloud/firestore';
import { z } from 'zod';

import { linkKey, severaRecordFingerprint, type Link, type SeveraRecord } from '../../domain/index.js';
import type {
  CreateIntent,
  DeletionHold,
  HeldDeletion,
  InboxItem,
  Refusal,
  SeveraPollState,
  SyncStore,
  UserSyncStatus,
} from '../../ports/index.js';
import {
  claimSchema,
  decode,
  deletionHoldSchema,
  heldDeletionSchema,
  linkSchema,
  refusalSchema,
  severaRecordSchema,
  storedIntentSchema,
  toFirestore,
  userSyncStatusSchema,
} from './codec.js';
import { DEFAULT_TRANSACTION_ATTEMPTS, OrgLayout, type FirestoreStoreOptions } from './layout.js';

const OFF: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };

/** Documents read and written per inbox transaction (Firestore allows 500 writes per commit). */
const INBOX_CHUNK = 200;

/** Writes per batch of held deletions (Firestore allows 500 writes per commit). */
const BATCH_LIMIT = 400;
/** Values of one `in` query (Firestore allows 30 disjunctions). */
const IN_QUERY_LIMIT = 30;

export class FirestoreSyncStore implements SyncStore {
  readonly #layout: OrgLayout;
  readonly #attempts: number;

  constructor(options: FirestoreStoreOptions) {
    this.#layout = new OrgLayout(options.firestore, options.orgId);
    this.#attempts = options.transactionAttempts ?? DEFAULT_TRANSACTION_ATTEMPTS;
  }

  get #db(): Firestore {
    return this.#layout.firestore;
  }

  #transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#db.runTransaction(fn, { maxAttempts: this.#attempts });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Links

  async listLinks(user: string): Promise<readonly Link[]> {
    const snap = await this.#layout.links.where('user', '==', user).get();
    return snap.docs.map(readLink);
  }

  async putLink(link: Link, replaces?: Link): Promise<void> {
    const layout = this.#layout;
    const linkRef = layout.link(link.user, link.severaGuid);
    const guardRef = layout.linkEvent(link.user, link.googleId);
    const replacesRef = replaces ? layout.link(replaces.user, replaces.severaGuid) : null;
    const data = toFirestore(link);
    const replacesOther = replacesRef !== null && replacesRef.path !== linkRef.path ? replacesRef : null;
    await this.#transaction(async (tx) => {
      // The guard is read only to take part in its conflict detection (see the file comment).
      const [current, , replaced] = await tx.getAll(
        linkRef,
        guardRef,
        ...(replacesOther ? [replacesOther] : []),
      );
      const sameEvent = await tx.get(
        layout.links.where('user', '==', link.user).where('googleId', '==', link.googleId),
      );
      // Links that go: the replaced one and every other link of this user to this event.
      const removed = new Map<string, DocumentReference>();
      if (replacesOther) removed.set(replacesOther.path, replacesOther);
      for (const doc of sameEvent.docs) if (doc.ref.path !== linkRef.path) removed.set(doc.ref.path, doc.ref);
      // Guards of other events that point at a link that goes, or that moves to this event.
      const leaving = new Map<string, { ref: DocumentReference; linkId: string }>();
      for (const snap of [current, replaced]) {
        const stored = storedEvent(snap);
        if (snap && stored && (stored.user !== link.user || stored.googleId !== link.googleId)) {
          const ref = layout.linkEvent(stored.user, stored.googleId);
          leaving.set(ref.path, { ref, linkId: snap.id });
        }
      }
      const guards = [...leaving.values()];
      const guardSnaps = guards.length > 0 ? await tx.getAll(...guards.map((g) => g.ref)) : [];

      for (const ref of removed.values()) tx.delete(ref);
      guardSnaps.forEach((snap, i) => {
        if (snap.exists && snap.get('linkId') === guards[i]?.linkId) tx.delete(snap.ref);
      });
      tx.set(linkRef, data);
      tx.set(guardRef, { user: link.user, googleId: link.googleId, linkId: linkRef.id });
    });
  }

  async deleteLink(link: Link): Promise<void> {
    const layout = this.#layout;
    const linkRef = layout.link(link.user, link.severaGuid);
    await this.#transaction(async (tx) => {
      const current = await tx.get(linkRef);
      const stored = storedEvent(current);
      if (!stored) {
        if (current.exists) tx.delete(linkRef);
        return;
      }
      const guardRef = layout.linkEvent(stored.user, stored.googleId);
      const guard = await tx.get(guardRef);
      tx.delete(linkRef);
      if (guard.exists && guard.get('linkId') === linkRef.id) tx.delete(guardRef);
    });
  }

  async findLinksByICalUID(iCalUID: string): Promise<readonly Link[]> {
    const snap = await this.#layout.links.where('iCalUID', '==', iCalUID).get();
    return snap.docs.map(readLink);
  }

  async findLinksBySeveraGuid(severaGuid: string): Promise<readonly Link[]> {
    const snap = await this.#layout.links.where('severaGuid', '==', severaGuid).get();
    return snap.docs.map(readLink);
  }

  /** `in` queries of up to 30 values (Firestore's limit), run together. */
  async findLinksBySeveraGuids(severaGuids: readonly string[]): Promise<readonly Link[]> {
    const unique = [...new Set(severaGuids)];
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += IN_QUERY_LIMIT) chunks.push(unique.slice(i, i + IN_QUERY_LIMIT));
    const snaps = await Promise.all(
      chunks.map((chunk) => this.#layout.links.where('severaGuid', 'in', chunk).get()),
    );
    return snaps.flatMap((snap) => snap.docs.map(readLink));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Per-user state on the user document

  async getSyncToken(user: string): Promise<string | null> {
    const snap = await this.#layout.user(user).get();
    return decode(optionalString, snap.get('syncToken'), `${snap.ref.path}.syncToken`, 'sync token') ?? null;
  }

  async saveSyncToken(user: string, token: string | null): Promise<void> {
    await this.#layout.user(user).set({ syncToken: token }, { mergeFields: ['syncToken'] });
  }

  async getStatus(user: string): Promise<UserSyncStatus> {
    const snap = await this.#layout.user(user).get();
    const status: unknown = snap.get('status');
    if (status === undefined) return OFF;
    return decode(userSyncStatusSchema, status, `${snap.ref.path}.status`, 'user sync status');
  }

  async setStatus(user: string, status: UserSyncStatus): Promise<void> {
    await this.#layout.user(user).set({ status: toFirestore(status) }, { mergeFields: ['status'] });
  }

  async listRefusals(user: string): Promise<readonly Refusal[]> {
    const snap = await this.#layout.refusals(user).get();
    return snap.docs.map((doc) => decode(refusalSchema, doc.data(), doc.ref.path, 'refusal'));
  }

  async putRefusal(user: string, refusal: Refusal): Promise<void> {
    await this.#layout.refusal(user, refusal.key).set(toFirestore(refusal));
  }

  async deleteRefusal(user: string, key: string): Promise<void> {
    await this.#layout.refusal(user, key).delete();
  }

  async getHold(user: string): Promise<DeletionHold | null> {
    const snap = await this.#layout.user(user).get();
    const hold: unknown = snap.get('hold');
    if (hold === undefined || hold === null) return null;
    return decode(deletionHoldSchema, hold, `${snap.ref.path}.hold`, 'deletion hold');
  }

  async setHold(user: string, hold: DeletionHold | null): Promise<void> {
    await this.#layout
      .user(user)
      .set({ hold: hold === null ? null : toFirestore(hold) }, { mergeFields: ['hold'] });
  }

  async listHeld(user: string): Promise<readonly HeldDeletion[]> {
    const snap = await this.#layout.heldDeletions(user).get();
    return snap.docs.map((doc) => decode(heldDeletionSchema, doc.data(), doc.ref.path, 'held deletion'));
  }

  async putHeld(user: string, items: readonly HeldDeletion[]): Promise<void> {
    for (const chunk of chunks(items, BATCH_LIMIT)) {
      const batch = this.#layout.firestore.batch();
      for (const item of chunk) {
        batch.set(
          this.#layout.heldDeletion(user, linkKey(item.link.user, item.link.severaGuid)),
          toFirestore(item),
        );
      }
      await batch.commit();
    }
  }

  async deleteHeld(user: string, linkKeys: readonly string[]): Promise<void> {
    for (const chunk of chunks(linkKeys, BATCH_LIMIT)) {
      const batch = this.#layout.firestore.batch();
      for (const key of chunk) batch.delete(this.#layout.heldDeletion(user, key));
      await batch.commit();
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Inbox

  async addToInbox(user: string, records: readonly SeveraRecord[]): Promise<void> {
    // Newest per guid within this call first (the order the memory store applies them in gives the same result).
    const newest = new Map<string, SeveraRecord>();
    for (const record of records) {
      const seen = newest.get(record.guid);
      if (!seen || notNewer(seen.version, record.version)) newest.set(record.guid, record);
    }
    for (const chunk of chunks([...newest.values()], INBOX_CHUNK)) {
      const refs = chunk.map((r) => this.#layout.inboxItem(user, r.guid));
      await this.#transaction(async (tx) => {
        const snaps = await tx.getAll(...refs);
        snaps.forEach((snap, i) => {
          const record = chunk[i];
          if (!record) return;
          const stored = snap.exists ? readInboxItem(snap).record : null;
          if (!stored || notNewer(stored.version, record.version))
            tx.set(snap.ref, { record: toFirestore(record) });
        });
      });
    }
  }

  async readInbox(user: string): Promise<readonly InboxItem[]> {
    const snap = await this.#layout.inbox(user).get();
    return snap.docs.map(readInboxItem);
  }

  async ackInbox(user: string, processed: readonly InboxItem[]): Promise<void> {
    // By fingerprint, not version: two changes within one second share a version (severa-api.md §5).
    const versions = new Map<string, Set<string>>();
    for (const item of processed) {
      const set = versions.get(item.record.guid) ?? new Set<string>();
      set.add(severaRecordFingerprint(item.record));
      versions.set(item.record.guid, set);
    }
    for (const chunk of chunks([...versions], INBOX_CHUNK)) {
      const refs = chunk.map(([guid]) => this.#layout.inboxItem(user, guid));
      await this.#transaction(async (tx) => {
        const snaps = await tx.getAll(...refs);
        snaps.forEach((snap, i) => {
          const acked = chunk[i]?.[1];
          if (!snap.exists || !acked) return;
          // A newer change that arrived after the run read the inbox stays for the next run.
          if (acked.has(severaRecordFingerprint(readInboxItem(snap).record))) tx.delete(snap.ref);
        });
      });
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Create intents

  async putIntent(user: string, intent: CreateIntent): Promise<void> {
    await this.#layout.intent(user, intent.googleId).set({ ...toFirestore(intent), user });
  }

  async listIntents(user: string): Promise<readonly CreateIntent[]> {
    const snap = await this.#layout.intents.where('user', '==', user).get();
    return snap.docs.map((doc) => readIntent(doc).intent);
  }

  async deleteIntent(user: string, googleId: string): Promise<void> {
    await this.#layout.intent(user, googleId).delete();
  }

  async findIntentsByICalUID(
    iCalUID: string,
  ): Promise<readonly { readonly user: string; readonly intent: CreateIntent }[]> {
    const snap = await this.#layout.intents.where('iCalUID', '==', iCalUID).get();
    return snap.docs.map(readIntent);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Meeting claims (B5)

  claimMeeting(iCalUID: string, user: string, at: string, staleBefore: string): Promise<string> {
    const ref = this.#layout.claim(iCalUID);
    return this.#transaction(async (tx) => {
      const snap = await tx.get(ref);
      const current = snap.exists ? decode(claimSchema, snap.data(), ref.path, 'meeting claim') : null;
      if (current === null || current.user === user || Date.parse(current.at) < Date.parse(staleBefore)) {
        tx.set(ref, { user, at, iCalUID });
        return user;
      }
      return current.user;
    });
  }

  async releaseMeeting(iCalUID: string, user: string): Promise<void> {
    const ref = this.#layout.claim(iCalUID);
    await this.#transaction(async (tx) => {
      const snap = await tx.get(ref);
      if (snap.exists && snap.get('user') === user) tx.delete(ref);
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Org-wide Severa watermark

  async getSeveraPoll(): Promise<SeveraPollState> {
    const snap = await this.#layout.severaPoll.get();
    const path = snap.ref.path;
    return {
      watermark: decode(optionalString, snap.get('watermark'), `${path}.watermark`, 'watermark') ?? null,
      routed: decode(routedSchema, snap.get('routed'), `${path}.routed`, 'routed') ?? {},
    };
  }

  async setSeveraPoll(state: SeveraPollState): Promise<void> {
    // A whole-document write: the map is replaced, never merged into (entries the overlap no longer reaches go).
    await this.#layout.severaPoll.set({ watermark: state.watermark, routed: state.routed });
  }
}

// ---------------------------------------------------------------------------------------------------------------

const optionalString = z.string().nullable().optional();
const routedSchema = z.record(z.string(), z.string()).optional();

function readLink(doc: DocumentSnapshot): Link {
  return decode(linkSchema, doc.data(), doc.ref.path, 'link');
}

function readInboxItem(doc: DocumentSnapshot): InboxItem {
  return { record: decode(severaRecordSchema, doc.get('record'), doc.ref.path, 'inbox item') };
}

function readIntent(doc: DocumentSnapshot): { user: string; intent: CreateIntent } {
  return decode(storedIntentSchema, doc.data(), doc.ref.path, 'create intent');
}

/** The user and Google event a stored link document is on, when it is readable. */
function storedEvent(snap: DocumentSnapshot | undefined): { user: string; googleId: string } | null {
  if (!snap?.exists) return null;
  const user: unknown = snap.get('user');
  const googleId: unknown = snap.get('googleId');
  return typeof user === 'string' && typeof googleId === 'string' ? { user, googleId } : null;
}

/** `a` is not newer than `b` (the memory store's rule: a replacement of the same or a newer version wins). */
function notNewer(a: string, b: string): boolean {
  return Date.parse(a) <= Date.parse(b);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

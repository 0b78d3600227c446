/**
 * The Firestore document layout of one organisation (SPEC §5, refined). Everything lives under `orgs/{orgId}`;
 * every id below is made with {@link docId} / {@link compositeId} (escaped, one-to-one).
 *
 * | Path                                     | Holds                                                              |
 * | ---------------------------------------- | ------------------------------------------------------------------ |
 * | `orgs/{org}/config/settings`             | the OrgConfig                                                      |
 * | `orgs/{org}/state/severaPoll`            | `watermark`: the org-wide Severa `changedSince` watermark;         |
 * |                                          | `routed`: guid → fingerprint of rows the overlap still returns     |
 * | `orgs/{org}/users/{user}`                | the UserRecord fields + `inDirectory: true` (written by putUser);  |
 * |                                          | `syncToken`; `status` (UserSyncStatus); `hold` (DeletionHold, when |
 * |                                          | B3 holds deletions). Sync state may exist for a                    |
 * |                                          | user who is not (yet) in the directory: such a doc has no          |
 * |                                          | `inDirectory` and is not listed as a user.                         |
 * | `orgs/{org}/users/{user}/inbox/{guid}`   | `record`: a routed SeveraRecord (the newest version per guid)      |
 * | `orgs/{org}/users/{user}/refusals/{key}` | a Refusal as-is: an entry one side refused for good                |
 * | `orgs/{org}/users/{user}/held/{linkKey}` | a HeldDeletion as-is: a deletion B3 keeps aside (the user doc's    |
 * |                                          | `hold` field says why, since when, and the decision once taken)    |
 * | `orgs/{org}/users/{user}/audit/{autoId}` | the AuditEntry's fields; `atMs` (the listing order); `expiresAt`   |
 * |                                          | as a Timestamp (TTL field) and `expiresAtText` (exact read-back)   |
 * | `orgs/{org}/links/{user|severaGuid}`     | a Link as-is: its fields `user`, `googleId`, `iCalUID` and         |
 * |                                          | `severaGuid` serve the lookups                                     |
 * | `orgs/{org}/linkEvents/{user|googleId}`  | `user`, `googleId`, `linkId`: the guard of "one link per user and  |
 * |                                          | Google event" (see firestore.sync-store.ts)                        |
 * | `orgs/{org}/intents/{user|googleId}`     | a CreateIntent's fields + `user`                                   |
 * | `orgs/{org}/claims/{iCalUID}`            | `user`, `at`, `iCalUID`: who may create the meeting's activity     |
 * | `orgs/{org}/leases/{key}`                | `holder`, `until` (canonical instant), `key`                       |
 * | `orgs/{org}/messages/{messageId}`        | `messageId`, `at`, `expiresAt` as a Timestamp (TTL field)          |
 *
 * Indexes: every query is equalities only (`links.user`, `links.iCalUID`, `links.severaGuid`, `links.user` +
 * `links.googleId`, `intents.user`, `intents.iCalUID`, `users.inDirectory`, `users.channel.id`) or one order inside
 * one user's subcollection (`audit` by `atMs`), so Firestore's automatic single-field indexes serve them all (two
 * equalities by merging two of them); no composite index is needed.
 *
 * TTL policies (configured outside the code, e.g. Terraform `google_firestore_field`): collection group `audit`,
 * field `expiresAt`; collection group `messages`, field `expiresAt`. Firestore deletes such documents some time
 * (typically within a day) after the instant, so readers must not rely on prompt deletion.
 */
import type { CollectionReference, DocumentReference, Firestore } from '@google-cloud/firestore';

import { compositeId, docId } from './codec.js';

/** How the Firestore adapters are built: a client and the organisation whose data they see. */
export interface FirestoreStoreOptions {
  readonly firestore: Firestore;
  readonly orgId: string;
  /** Attempts of a transaction under contention before it fails with ABORTED (client default 5). */
  readonly transactionAttempts?: number;
}

export const DEFAULT_TRANSACTION_ATTEMPTS = 10;

export class OrgLayout {
  readonly org: DocumentReference;

  constructor(
    readonly firestore: Firestore,
    orgId: string,
  ) {
    if (orgId === '') throw new RangeError('orgId must not be empty');
    this.org = firestore.collection('orgs').doc(docId(orgId));
  }

  get settings(): DocumentReference {
    return this.org.collection('config').doc('settings');
  }

  get severaPoll(): DocumentReference {
    return this.org.collection('state').doc('severaPoll');
  }

  get users(): CollectionReference {
    return this.org.collection('users');
  }

  user(severaUserGuid: string): DocumentReference {
    return this.users.doc(docId(severaUserGuid));
  }

  refusals(user: string): CollectionReference {
    return this.user(user).collection('refusals');
  }

  heldDeletions(user: string): CollectionReference {
    return this.user(user).collection('held');
  }

  heldDeletion(user: string, linkKey: string): DocumentReference {
    return this.heldDeletions(user).doc(docId(linkKey));
  }

  refusal(user: string, key: string): DocumentReference {
    return this.refusals(user).doc(docId(key));
  }

  inbox(user: string): CollectionReference {
    return this.user(user).collection('inbox');
  }

  inboxItem(user: string, severaGuid: string): DocumentReference {
    return this.inbox(user).doc(docId(severaGuid));
  }

  audit(user: string): CollectionReference {
    return this.user(user).collection('audit');
  }

  get links(): CollectionReference {
    return this.org.collection('links');
  }

  link(user: string, severaGuid: string): DocumentReference {
    return this.links.doc(compositeId(user, severaGuid));
  }

  linkEvent(user: string, googleId: string): DocumentReference {
    return this.org.collection('linkEvents').doc(compositeId(user, googleId));
  }

  get intents(): CollectionReference {
    return this.org.collection('intents');
  }

  intent(user: string, googleId: string): DocumentReference {
    return this.intents.doc(compositeId(user, googleId));
  }

  claim(iCalUID: string): DocumentReference {
    return this.org.collection('claims').doc(docId(iCalUID));
  }

  lease(key: string): DocumentReference {
    return this.org.collection('leases').doc(docId(key));
  }

  message(messageId: string): DocumentReference {
    return this.org.collection('messages').doc(docId(messageId));
  }
}

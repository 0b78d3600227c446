import type { OrgStores } from '../../ports/index.js';
import {
  FirestoreAuditLog,
  FirestoreLeaseStore,
  FirestoreMessageLog,
  FirestoreOrgConfigStore,
  FirestoreUserDirectory,
} from './firestore.operations.js';
import { FirestoreSyncStore } from './firestore.sync-store.js';
import type { FirestoreStoreOptions } from './layout.js';

export { compositeId, docId } from './codec.js';
export * from './firestore.operations.js';
export * from './firestore.sync-store.js';
export { DEFAULT_TRANSACTION_ATTEMPTS, OrgLayout, type FirestoreStoreOptions } from './layout.js';

/** Every state port of one organisation, on one Firestore client (for the composition root). */
export type FirestoreStores = OrgStores;

export function firestoreStores(options: FirestoreStoreOptions): FirestoreStores {
  return {
    store: new FirestoreSyncStore(options),
    users: new FirestoreUserDirectory(options),
    leases: new FirestoreLeaseStore(options),
    messages: new FirestoreMessageLog(options),
    audit: new FirestoreAuditLog(options),
    orgConfig: new FirestoreOrgConfigStore(options),
  };
}

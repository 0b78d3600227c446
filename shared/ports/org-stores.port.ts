import type { AuditLog } from './audit-log.port.js';
import type { LeaseStore } from './lease-store.port.js';
import type { MessageLog } from './message-log.port.js';
import type { OrgConfigStore } from './org-config.port.js';
import type { SyncStore } from './sync-store.port.js';
import type { UserDirectory } from './user-directory.port.js';

/** Every state port of one organisation (Firestore in production, memory in tests): what a sync run reads and writes. */
export interface OrgStores {
  readonly store: SyncStore;
  readonly users: UserDirectory;
  readonly leases: LeaseStore;
  readonly messages: MessageLog;
  readonly audit: AuditLog;
  readonly orgConfig: OrgConfigStore;
}

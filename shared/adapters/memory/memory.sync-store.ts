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
import { FaultQueue } from './faults.js';

const OFF: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };

/**
 * The sync's state in memory: the same contract as the Firestore store (one link per user and Severa activity, an
 * atomic replace, an inbox that keeps the newest version of each routed activity).
 */
export class MemorySyncStore implements SyncStore {
  readonly faults = new FaultQueue();
  readonly #links = new Map<string, Link>();
  /** (user, Google id) → the key of its one link, as Firestore's query by user and googleId finds it. */
  readonly #byGoogleId = new Map<string, string>();
  readonly #tokens = new Map<string, string>();
  readonly #inbox = new Map<string, Map<string, InboxItem>>();
  readonly #intents = new Map<string, Map<string, CreateIntent>>();
  readonly #status = new Map<string, UserSyncStatus>();
  readonly #claims = new Map<string, { user: string; at: string }>();
  readonly #refusals = new Map<string, Map<string, Refusal>>();
  readonly #holds = new Map<string, DeletionHold>();
  readonly #held = new Map<string, Map<string, HeldDeletion>>();
  #severaPoll: SeveraPollState = { watermark: null, routed: {} };

  async listLinks(user: string): Promise<readonly Link[]> {
    await Promise.resolve();
    return [...this.#links.values()].filter((l) => l.user === user);
  }

  putLink(link: Link, replaces?: Link): Promise<void> {
    return this.faults.run('store.putLink', () => {
      if (replaces) this.#removeLink(linkKey(replaces.user, replaces.severaGuid));
      // One Google event is linked once per user: a new pair for the same event supersedes the old one.
      const key = linkKey(link.user, link.severaGuid);
      const sameEvent = this.#byGoogleId.get(linkKey(link.user, link.googleId));
      if (sameEvent !== undefined && sameEvent !== key) this.#removeLink(sameEvent);
      this.#removeLink(key);
      this.#links.set(key, link);
      this.#byGoogleId.set(linkKey(link.user, link.googleId), key);
    });
  }

  deleteLink(link: Link): Promise<void> {
    return this.faults.run('store.deleteLink', () => {
      this.#removeLink(linkKey(link.user, link.severaGuid));
    });
  }

  #removeLink(key: string): void {
    const link = this.#links.get(key);
    if (link === undefined) return;
    this.#links.delete(key);
    const byGoogle = linkKey(link.user, link.googleId);
    if (this.#byGoogleId.get(byGoogle) === key) this.#byGoogleId.delete(byGoogle);
  }

  async findLinksByICalUID(iCalUID: string): Promise<readonly Link[]> {
    await Promise.resolve();
    return [...this.#links.values()].filter((l) => l.iCalUID === iCalUID);
  }

  async findLinksBySeveraGuid(severaGuid: string): Promise<readonly Link[]> {
    await Promise.resolve();
    return [...this.#links.values()].filter((l) => l.severaGuid === severaGuid);
  }

  async findLinksBySeveraGuids(severaGuids: readonly string[]): Promise<readonly Link[]> {
    await Promise.resolve();
    const wanted = new Set(severaGuids);
    return [...this.#links.values()].filter((l) => wanted.has(l.severaGuid));
  }

  async getSyncToken(user: string): Promise<string | null> {
    await Promise.resolve();
    return this.#tokens.get(user) ?? null;
  }

  saveSyncToken(user: string, token: string | null): Promise<void> {
    return this.faults.run('store.saveSyncToken', () => {
      if (token === null) this.#tokens.delete(user);
      else this.#tokens.set(user, token);
    });
  }

  async addToInbox(user: string, records: readonly SeveraRecord[]): Promise<void> {
    await Promise.resolve();
    const box = this.#inbox.get(user) ?? new Map<string, InboxItem>();
    for (const record of records) {
      const current = box.get(record.guid);
      if (!current || Date.parse(current.record.version) <= Date.parse(record.version))
        box.set(record.guid, { record });
    }
    this.#inbox.set(user, box);
  }

  async readInbox(user: string): Promise<readonly InboxItem[]> {
    await Promise.resolve();
    return [...(this.#inbox.get(user)?.values() ?? [])];
  }

  ackInbox(user: string, processed: readonly InboxItem[]): Promise<void> {
    return this.faults.run('store.ackInbox', () => {
      const box = this.#inbox.get(user);
      if (!box) return;
      for (const item of processed) {
        const stored = box.get(item.record.guid);
        if (stored && severaRecordFingerprint(stored.record) === severaRecordFingerprint(item.record))
          box.delete(item.record.guid);
      }
    });
  }

  async putIntent(user: string, intent: CreateIntent): Promise<void> {
    await Promise.resolve();
    const m = this.#intents.get(user) ?? new Map<string, CreateIntent>();
    m.set(intent.googleId, intent);
    this.#intents.set(user, m);
  }

  async listIntents(user: string): Promise<readonly CreateIntent[]> {
    await Promise.resolve();
    return [...(this.#intents.get(user)?.values() ?? [])];
  }

  async deleteIntent(user: string, googleId: string): Promise<void> {
    await Promise.resolve();
    this.#intents.get(user)?.delete(googleId);
  }

  async findIntentsByICalUID(iCalUID: string): Promise<readonly { user: string; intent: CreateIntent }[]> {
    await Promise.resolve();
    const found: { user: string; intent: CreateIntent }[] = [];
    for (const [user, intents] of this.#intents) {
      for (const intent of intents.values()) if (intent.iCalUID === iCalUID) found.push({ user, intent });
    }
    return found;
  }

  claimMeeting(iCalUID: string, user: string, at: string, staleBefore: string): Promise<string> {
    // One atomic step, as the Firestore transaction does it.
    return this.faults.run('store.claimMeeting', () => {
      const current = this.#claims.get(iCalUID);
      if (
        current === undefined ||
        current.user === user ||
        Date.parse(current.at) < Date.parse(staleBefore)
      ) {
        this.#claims.set(iCalUID, { user, at });
        return user;
      }
      return current.user;
    });
  }

  async releaseMeeting(iCalUID: string, user: string): Promise<void> {
    await Promise.resolve();
    if (this.#claims.get(iCalUID)?.user === user) this.#claims.delete(iCalUID);
  }

  async getSeveraPoll(): Promise<SeveraPollState> {
    await Promise.resolve();
    return structuredClone(this.#severaPoll);
  }

  async setSeveraPoll(state: SeveraPollState): Promise<void> {
    await Promise.resolve();
    this.#severaPoll = structuredClone(state);
  }

  async getStatus(user: string): Promise<UserSyncStatus> {
    await Promise.resolve();
    return this.#status.get(user) ?? OFF;
  }

  async setStatus(user: string, status: UserSyncStatus): Promise<void> {
    await Promise.resolve();
    this.#status.set(user, status);
  }

  async listRefusals(user: string): Promise<readonly Refusal[]> {
    await Promise.resolve();
    return [...(this.#refusals.get(user)?.values() ?? [])];
  }

  async putRefusal(user: string, refusal: Refusal): Promise<void> {
    await Promise.resolve();
    const m = this.#refusals.get(user) ?? new Map<string, Refusal>();
    m.set(refusal.key, refusal);
    this.#refusals.set(user, m);
  }

  async deleteRefusal(user: string, key: string): Promise<void> {
    await Promise.resolve();
    this.#refusals.get(user)?.delete(key);
  }

  async getHold(user: string): Promise<DeletionHold | null> {
    await Promise.resolve();
    return this.#holds.get(user) ?? null;
  }

  setHold(user: string, hold: DeletionHold | null): Promise<void> {
    return this.faults.run('store.setHold', () => {
      if (hold === null) this.#holds.delete(user);
      else this.#holds.set(user, hold);
    });
  }

  async listHeld(user: string): Promise<readonly HeldDeletion[]> {
    await Promise.resolve();
    return [...(this.#held.get(user)?.values() ?? [])];
  }

  putHeld(user: string, items: readonly HeldDeletion[]): Promise<void> {
    return this.faults.run('store.putHeld', () => {
      const m = this.#held.get(user) ?? new Map<string, HeldDeletion>();
      for (const item of items) m.set(linkKey(item.link.user, item.link.severaGuid), item);
      this.#held.set(user, m);
    });
  }

  deleteHeld(user: string, linkKeys: readonly string[]): Promise<void> {
    return this.faults.run('store.deleteHeld', () => {
      const m = this.#held.get(user);
      for (const key of linkKeys) m?.delete(key);
    });
  }

  /** A user's refusals and status, for the tests' oracle. */
  refusalsOf(user: string): Refusal[] {
    return [...(this.#refusals.get(user)?.values() ?? [])];
  }

  statusOf(user: string): UserSyncStatus {
    return this.#status.get(user) ?? OFF;
  }

  /** Every link, for the tests' oracle. */
  allLinks(): Link[] {
    return [...this.#links.values()];
  }
}

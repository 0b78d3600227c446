/**
 * The operations ports in memory, for tests and the local stack: the same contract as the Firestore adapters
 * (test/contract/sync-store.contract.ts runs against both). Values are copied on the way in and out, as a real store
 * would, so a caller cannot change stored state by mutating an object it passed or got back.
 */
import { NotFoundError } from '../../domain/index.js';
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

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Drops `undefined` properties, as the Firestore codec does (an absent and an undefined field mean the same). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class MemoryUserDirectory implements UserDirectory {
  readonly #users = new Map<string, UserRecord>();

  async listUsers(): Promise<readonly UserRecord[]> {
    await Promise.resolve();
    return [...this.#users.values()].map(copy);
  }

  async getUser(severaUserGuid: string): Promise<UserRecord | null> {
    await Promise.resolve();
    const user = this.#users.get(severaUserGuid);
    return user ? copy(user) : null;
  }

  async putUser(user: UserRecord): Promise<void> {
    await Promise.resolve();
    this.#users.set(user.severaUserGuid, copy(user));
  }

  async updateUser(severaUserGuid: string, patch: Parameters<UserDirectory['updateUser']>[1]): Promise<void> {
    await Promise.resolve();
    const user = this.#users.get(severaUserGuid);
    if (!user) throw new NotFoundError(`no user ${severaUserGuid} in the directory`);
    this.#users.set(severaUserGuid, { ...user, ...copy(defined(patch)) });
  }

  async findUserByChannelId(channelId: string): Promise<UserRecord | null> {
    await Promise.resolve();
    const user = [...this.#users.values()].find((u) => u.channel?.id === channelId);
    return user ? copy(user) : null;
  }
}

/** A lease is free when absent or when its `until` is at or before the caller's `now`. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<string, { holder: string; untilMs: number }>();

  async acquire(key: string, holder: string, now: string, ttlMs: number): Promise<boolean> {
    await Promise.resolve();
    const nowMs = Date.parse(now);
    if (Number.isNaN(nowMs)) throw new RangeError(`not an instant: ${JSON.stringify(now)}`);
    const lease = this.#leases.get(key);
    if (lease && lease.holder !== holder && lease.untilMs > nowMs) return false;
    this.#leases.set(key, { holder, untilMs: nowMs + ttlMs });
    return true;
  }

  async release(key: string, holder: string): Promise<void> {
    await Promise.resolve();
    if (this.#leases.get(key)?.holder === holder) this.#leases.delete(key);
  }
}

/** Records never expire here (the Firestore TTL policy deletes them lazily anyway; a kept record still counts). */
export class MemoryMessageLog implements MessageLog {
  readonly #processed = new Map<string, { at: string; expiresAt: string }>();

  async wasProcessed(messageId: string): Promise<boolean> {
    await Promise.resolve();
    return this.#processed.has(messageId);
  }

  async markProcessed(messageId: string, at: string, expiresAt: string): Promise<void> {
    await Promise.resolve();
    this.#processed.set(messageId, { at, expiresAt });
  }

  async claim(key: string, at: string, expiresAt: string): Promise<boolean> {
    await Promise.resolve();
    const held = this.#processed.get(key);
    if (held !== undefined && Date.parse(held.expiresAt) > Date.parse(at)) return false;
    this.#processed.set(key, { at, expiresAt });
    return true;
  }

  async forget(key: string): Promise<void> {
    await Promise.resolve();
    this.#processed.delete(key);
  }
}

export class MemoryAuditLog implements AuditLog {
  readonly #entries: AuditEntry[] = [];

  async append(entries: readonly AuditEntry[]): Promise<void> {
    await Promise.resolve();
    for (const entry of entries) {
      if (Number.isNaN(Date.parse(entry.at)))
        throw new RangeError(`audit entry at is not an instant: ${JSON.stringify(entry.at)}`);
      this.#entries.push(copy(defined(entry) as AuditEntry));
    }
  }

  /** Newest first by `at` (entries at the same instant: the later appended first). */
  async listForUser(user: string, limit: number): Promise<readonly AuditEntry[]> {
    await Promise.resolve();
    if (limit <= 0) return [];
    return this.#entries
      .map((entry, seq) => ({ entry, seq, ms: Date.parse(entry.at) }))
      .filter(({ entry }) => entry.user === user)
      .sort((a, b) => b.ms - a.ms || b.seq - a.seq)
      .slice(0, limit)
      .map(({ entry }) => copy(entry));
  }

  /** Every entry in append order, for tests. */
  all(): AuditEntry[] {
    return this.#entries.map(copy);
  }
}

export class MemoryOrgConfigStore implements OrgConfigStore {
  #config: OrgConfig | null;

  constructor(initial: OrgConfig | null = null) {
    this.#config = initial ? copy(initial) : null;
  }

  async getOrgConfig(): Promise<OrgConfig | null> {
    await Promise.resolve();
    return this.#config ? copy(this.#config) : null;
  }

  async putOrgConfig(config: OrgConfig): Promise<void> {
    await Promise.resolve();
    this.#config = copy(config);
  }
}

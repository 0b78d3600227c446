/**
 * The project's in-memory link store (MemorySyncStore), one instance per person, with an index for the few queries
 * that cross people (a meeting's links by iCalUID, an activity's links by guid, open intents by iCalUID), the way
 * Firestore answers them from its indexes.
 *
 * Why: a single MemorySyncStore answers every query by scanning every link of the organisation, so in a 10,000-person
 * org (about 60,000 links) each person's run costs O(organisation) and onboarding everyone is quadratic: measured on
 * this bench's org, 3,000 people took 96 s to onboard against 18 s for 1,000. That is the test double's cost, not
 * the product's (Firestore queries are indexed), and it would hide what the product's own code costs at scale.
 *
 * The semantics stay the store's own: every per-person call goes to that person's MemorySyncStore unchanged, and a
 * cross-person query asks exactly the stores of the people the index names (a superset: a link removed by a
 * replacing `putLink` may leave its person in the index, whose store then simply finds nothing).
 */
import { MemorySyncStore } from '../../shared/adapters/memory/memory.sync-store.js';
import type { Link, SeveraRecord } from '../../shared/domain/index.js';
import type {
  CreateIntent,
  DeletionHold,
  HeldDeletion,
  InboxItem,
  Refusal,
  SeveraPollState,
  SyncStore,
  UserSyncStatus,
} from '../../shared/ports/index.js';

type Index = Map<string, Set<string>>;

function note(index: Index, key: string | null, user: string): void {
  if (key === null) return;
  const users = index.get(key) ?? new Set<string>();
  users.add(user);
  index.set(key, users);
}

export class ShardedStore implements SyncStore {
  readonly #shards = new Map<string, MemorySyncStore>();
  /** Org-wide state: meeting claims and the org poll's watermark. */
  readonly #org = new MemorySyncStore();
  readonly #bySevera: Index = new Map();
  readonly #byICalUID: Index = new Map();
  readonly #intentsByICalUID: Index = new Map();

  #of(user: string): MemorySyncStore {
    let shard = this.#shards.get(user);
    if (!shard) {
      shard = new MemorySyncStore();
      this.#shards.set(user, shard);
    }
    return shard;
  }

  async #across<T>(
    index: Index,
    keys: readonly string[],
    ask: (s: MemorySyncStore) => Promise<readonly T[]>,
  ) {
    const users = new Set(keys.flatMap((k) => [...(index.get(k) ?? [])]));
    const found: T[] = [];
    for (const user of users) found.push(...(await ask(this.#of(user))));
    return found;
  }

  /** Every link, for the bench's checks. */
  allLinks(): Link[] {
    return [...this.#shards.values()].flatMap((s) => s.allLinks());
  }

  listLinks(user: string): Promise<readonly Link[]> {
    return this.#of(user).listLinks(user);
  }
  putLink(link: Link, replaces?: Link): Promise<void> {
    note(this.#bySevera, link.severaGuid, link.user);
    note(this.#byICalUID, link.iCalUID, link.user);
    return this.#of(link.user).putLink(link, replaces);
  }
  deleteLink(link: Link): Promise<void> {
    return this.#of(link.user).deleteLink(link);
  }
  findLinksByICalUID(iCalUID: string): Promise<readonly Link[]> {
    return this.#across(this.#byICalUID, [iCalUID], (s) => s.findLinksByICalUID(iCalUID));
  }
  findLinksBySeveraGuid(severaGuid: string): Promise<readonly Link[]> {
    return this.#across(this.#bySevera, [severaGuid], (s) => s.findLinksBySeveraGuid(severaGuid));
  }
  findLinksBySeveraGuids(severaGuids: readonly string[]): Promise<readonly Link[]> {
    return this.#across(this.#bySevera, severaGuids, (s) => s.findLinksBySeveraGuids(severaGuids));
  }

  getSyncToken(user: string): Promise<string | null> {
    return this.#of(user).getSyncToken(user);
  }
  saveSyncToken(user: string, token: string | null): Promise<void> {
    return this.#of(user).saveSyncToken(user, token);
  }

  addToInbox(user: string, records: readonly SeveraRecord[]): Promise<void> {
    return this.#of(user).addToInbox(user, records);
  }
  readInbox(user: string): Promise<readonly InboxItem[]> {
    return this.#of(user).readInbox(user);
  }
  ackInbox(user: string, processed: readonly InboxItem[]): Promise<void> {
    return this.#of(user).ackInbox(user, processed);
  }

  putIntent(user: string, intent: CreateIntent): Promise<void> {
    note(this.#intentsByICalUID, intent.iCalUID, user);
    return this.#of(user).putIntent(user, intent);
  }
  listIntents(user: string): Promise<readonly CreateIntent[]> {
    return this.#of(user).listIntents(user);
  }
  deleteIntent(user: string, googleId: string): Promise<void> {
    return this.#of(user).deleteIntent(user, googleId);
  }
  findIntentsByICalUID(iCalUID: string): Promise<readonly { user: string; intent: CreateIntent }[]> {
    return this.#across(this.#intentsByICalUID, [iCalUID], (s) => s.findIntentsByICalUID(iCalUID));
  }

  claimMeeting(iCalUID: string, user: string, at: string, staleBefore: string): Promise<string> {
    return this.#org.claimMeeting(iCalUID, user, at, staleBefore);
  }
  releaseMeeting(iCalUID: string, user: string): Promise<void> {
    return this.#org.releaseMeeting(iCalUID, user);
  }
  getSeveraPoll(): Promise<SeveraPollState> {
    return this.#org.getSeveraPoll();
  }
  setSeveraPoll(state: SeveraPollState): Promise<void> {
    return this.#org.setSeveraPoll(state);
  }

  getStatus(user: string): Promise<UserSyncStatus> {
    return this.#of(user).getStatus(user);
  }
  setStatus(user: string, status: UserSyncStatus): Promise<void> {
    return this.#of(user).setStatus(user, status);
  }

  listRefusals(user: string): Promise<readonly Refusal[]> {
    return this.#of(user).listRefusals(user);
  }
  putRefusal(user: string, refusal: Refusal): Promise<void> {
    return this.#of(user).putRefusal(user, refusal);
  }
  deleteRefusal(user: string, key: string): Promise<void> {
    return this.#of(user).deleteRefusal(user, key);
  }

  getHold(user: string): Promise<DeletionHold | null> {
    return this.#of(user).getHold(user);
  }
  setHold(user: string, hold: DeletionHold | null): Promise<void> {
    return this.#of(user).setHold(user, hold);
  }
  listHeld(user: string): Promise<readonly HeldDeletion[]> {
    return this.#of(user).listHeld(user);
  }
  putHeld(user: string, items: readonly HeldDeletion[]): Promise<void> {
    return this.#of(user).putHeld(user, items);
  }
  deleteHeld(user: string, linkKeys: readonly string[]): Promise<void> {
    return this.#of(user).deleteHeld(user, linkKeys);
  }
}

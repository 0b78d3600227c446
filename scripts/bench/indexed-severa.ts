/**
 * The project's in-memory Severa (MemorySevera) with an index for the per-person window listing (`listForUser`),
 * the way Severa's API filters by user on its side.
 *
 * Why: MemorySevera answers each person's listing by scanning every activity of the organisation. At 10,000 people
 * (about 55,000 activities) one listing took 6.4 ms against 0.12 ms at 1,000 people (measured on this bench's org:
 * memory-bound, more than linear), and every first sync, every hourly reconcile and every baseline cycle lists each
 * person: the test double alone made the 10,000-person run quadratic (the baseline's one cycle took 230 s).
 *
 * The answers stay MemorySevera's own: a listing reads, through MemorySevera, each activity the index names for the
 * person and keeps those the person is still on that overlap the window (MemorySevera's own filter). The index is a
 * superset: every person an activity was ever seen with (created by a person through {@link humanCreate}, or written
 * through this port). Calls are counted here, one per port call, as MemorySevera counts them (its own counters also
 * move with the reads a listing makes, and are not used).
 */
import type { MemorySevera } from '../../shared/adapters/memory/memory.severa.js';
import {
  timingEndMs,
  timingStartMs,
  type SeveraRecord,
  type SideVersion,
} from '../../shared/domain/index.js';
import type {
  SeveraCreate,
  SeveraDeleteExpected,
  SeveraPort,
  SeveraUpdate,
  SeveraWindow,
} from '../../shared/ports/index.js';
import { hasOccurrenceEndingAfter } from '../../shared/sync/recurrence/index.js';

export class IndexedSevera implements SeveraPort {
  readonly calls = { reads: 0, writes: 0 };
  readonly #byUser = new Map<string, Set<string>>();

  constructor(readonly inner: MemorySevera) {}

  #note(record: SeveraRecord | null): SeveraRecord | null {
    if (record === null) return null;
    for (const user of [record.ownerGuid, ...record.participantGuids]) {
      const guids = this.#byUser.get(user) ?? new Set<string>();
      guids.add(record.guid);
      this.#byUser.set(user, guids);
    }
    return record;
  }

  /** A person creates an activity in Severa's UI (MemorySevera.humanCreate), noted in the index. */
  humanCreate(input: Parameters<MemorySevera['humanCreate']>[0]): SeveraRecord {
    const record = this.inner.humanCreate(input);
    this.#note(record);
    return record;
  }

  apiUserGuid(): Promise<string | null> {
    return this.inner.apiUserGuid();
  }

  listChangedSince(since: string): Promise<readonly SeveraRecord[]> {
    this.calls.reads += 1;
    return this.inner.listChangedSince(since);
  }

  async listForUser(userGuid: string, window: SeveraWindow): Promise<readonly SeveraRecord[]> {
    this.calls.reads += 1;
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    const found: SeveraRecord[] = [];
    for (const guid of this.#byUser.get(userGuid) ?? []) {
      const record = await this.inner.get(guid);
      if (record === null) continue;
      if (record.ownerGuid !== userGuid && !record.participantGuids.includes(userGuid)) continue;
      const { content } = record;
      if (timingStartMs(content.timing) > to) continue;
      const overlaps =
        content.recurrence === null
          ? timingEndMs(content.timing) > from
          : hasOccurrenceEndingAfter(content, from);
      if (overlaps) found.push(record);
    }
    return found;
  }

  get(guid: string): Promise<SeveraRecord | null> {
    this.calls.reads += 1;
    return this.inner.get(guid);
  }

  async create(input: SeveraCreate): Promise<SeveraRecord> {
    this.calls.writes += 1;
    const record = await this.inner.create(input);
    this.#note(record);
    return record;
  }

  async update(guid: string, expected: SideVersion, input: SeveraUpdate): Promise<SeveraRecord> {
    this.calls.writes += 1;
    const record = await this.inner.update(guid, expected, input);
    this.#note(record);
    return record;
  }

  delete(guid: string, expected: SeveraDeleteExpected): Promise<void> {
    this.calls.writes += 1;
    return this.inner.delete(guid, expected);
  }

  async addParticipant(guid: string, userGuid: string): Promise<SeveraRecord> {
    this.calls.writes += 1;
    const record = await this.inner.addParticipant(guid, userGuid);
    this.#note(record);
    return record;
  }

  async removeParticipant(
    guid: string,
    userGuid: string,
    newOwnerGuid?: string,
  ): Promise<SeveraRecord | null> {
    this.calls.writes += 1;
    return this.#note(await this.inner.removeParticipant(guid, userGuid, newOwnerGuid));
  }
}

/** Throws unless the index answers as MemorySevera's own scan does, for these people (the bench checks itself). */
export async function checkIndex(
  severa: IndexedSevera,
  users: readonly string[],
  window: SeveraWindow,
): Promise<void> {
  for (const user of users) {
    const mine = (await severa.listForUser(user, window)).map((r) => r.guid).sort();
    const theirs = (await severa.inner.listForUser(user, window)).map((r) => r.guid).sort();
    if (mine.join() !== theirs.join()) {
      throw new Error(
        `the Severa index lists ${String(mine.length)} activities for ${user}, the scan ${String(theirs.length)}`,
      );
    }
  }
}

/**
 * Reads of the Google calendar adapter (google-calendar.adapter.ts): an event by id folded with all its exceptions,
 * one occurrence by instance id, and the fold itself, as the memory calendar derives them.
 */
import { Info } from 'luxon';

import { NotFoundError, type GoogleRecord, type SyncUser } from '../../domain/index.js';
import type { Logger } from '../../ports/index.js';
import { expandSeriesToInstances } from '../../sync/recurrence/index.js';
import type { GoogleCalendarClient } from './google-calendar.client.js';
import { foldRecord, isSeries } from './google-calendar.series.js';
import type { Event } from './google-calendar.wire.js';

/** The same expansion window the memory calendar uses to find one occurrence by its instance id. */
export const ALL_TIME = { fromMs: 0, toMs: 8.64e15 } as const;

/** A master as stored, its exceptions, and the folded record (null when the master is cancelled). */
export interface Loaded {
  readonly master: Event;
  readonly exceptions: readonly Event[];
  readonly record: GoogleRecord | null;
}

export class GoogleCalendarReader {
  readonly #client: GoogleCalendarClient;
  readonly #log: Logger;

  constructor(client: GoogleCalendarClient, log: Logger) {
    this.#client = client;
    this.#log = log;
  }

  async listByICalUID(user: SyncUser, iCalUID: string, phase: string): Promise<Event[]> {
    return (await this.#client.list(user, phase, { iCalUID, showDeleted: true })).items;
  }

  /**
   * Every exception (live or cancelled) of a recurring master: `listed` (the listing's own, preferred for the same
   * instance id) merged with those the iCalUID query finds. A cancelled stub carries no iCalUID (§3), and one that
   * has none server-side either (an import) only ever shows in a listing.
   */
  async exceptions(user: SyncUser, master: Event, listed: readonly Event[] = []): Promise<Event[]> {
    const iCalUID = master.iCalUID ?? `${master.id}@google.com`;
    const byId = new Map<string, Event>();
    for (const e of await this.listByICalUID(user, iCalUID, 'exceptions'))
      if (e.recurringEventId === master.id) byId.set(e.id, e);
    for (const e of listed) if (e.recurringEventId === master.id) byId.set(e.id, e);
    return [...byId.values()];
  }

  /**
   * The stored event by id (a tombstone when cancelled) folded with its exceptions (`listed` as for
   * {@link exceptions}); null on 404/410.
   */
  async load(user: SyncUser, id: string, listed: readonly Event[] = []): Promise<Loaded | null> {
    let master: Event;
    try {
      master = await this.#client.get(user, id);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    if (master.status === 'cancelled' || master.recurringEventId !== undefined)
      return { master, exceptions: [], record: null };
    const exceptions = isSeries(master) ? await this.exceptions(user, master, listed) : [];
    return { master, exceptions, record: this.fold(user, master, exceptions) };
  }

  /** One occurrence of a series by instance id, as the memory calendar derives it; null when there is none. */
  async instance(user: SyncUser, id: string, masterId: string): Promise<GoogleRecord | null> {
    const loaded = await this.load(user, masterId);
    if (loaded?.record == null || loaded.record.content.recurrence === null) return null;
    return expandSeriesToInstances(loaded.record, ALL_TIME).find((r) => r.id === id) ?? null;
  }

  /** Master + exceptions → a record (google-calendar.series.ts); null when cancelled. */
  fold(user: SyncUser, master: Event, exceptions: readonly Event[]): GoogleRecord | null {
    return foldRecord(master, exceptions, userZone(user));
  }

  /** {@link fold} for a listing: an event the mapper cannot read is logged and left out, not fatal. */
  safeRecord(user: SyncUser, master: Event, exceptions: readonly Event[]): GoogleRecord | null {
    try {
      return this.fold(user, master, exceptions);
    } catch (error) {
      this.#log.warn('skipped an event the sync cannot map', {
        user: user.severaUserGuid,
        eventId: master.id,
        error: error instanceof Error ? error.message : 'unknown',
      });
      return null;
    }
  }
}

/** The zone of timed events that name none: the user's (list and get must agree, or content hashes would differ). */
export function userZone(user: SyncUser): string {
  return Info.isValidIANAZone(user.timeZone) ? user.timeZone : 'UTC';
}

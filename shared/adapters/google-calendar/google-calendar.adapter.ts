/**
 * The production {@link CalendarPort}: each user's primary Google calendar through `@googleapis/calendar`, as the
 * service account impersonating the user (domain-wide delegation, google.auth.ts). It behaves, from the port's point
 * of view, like the in-memory calendar (shared/adapters/memory/memory.calendar.ts); how Google's shapes are turned
 * into that behaviour:
 *
 * - **Series.** With `singleEvents=false` Google returns masters and exception instances (reference/google-calendar.md
 *   §1, §3). A listing or page may hold a master without its exceptions (they did not change, or lie before
 *   `timeMin`) or an exception without its master, so every live recurring master is folded with *all* its
 *   exceptions: those the listing returned, plus those one `events.list?iCalUID=…&showDeleted=true` finds (exceptions
 *   share the master's iCalUID); an exception whose master is not in the listing brings the master in
 *   (`events.get`). The listing's own exceptions count first: a cancelled occurrence may come as a bare stub (only
 *   `id`, `status`, `recurringEventId`, `originalStartTime` are guaranteed, §3) that the iCalUID query cannot be
 *   relied on to find. A series record's `etag` combines the master's etag with every exception's (an exception edit
 *   does not move the master's etag in Google, but it does change the series), and its `updated` is the latest.
 * - **Instance ids** (`<masterId>_<basic UTC instant or date>`, shared/sync/recurrence `parseInstanceId`) name one
 *   occurrence, with the record and etag `expandSeriesToInstances` derives from the folded series, exactly as the
 *   memory calendar does. Writing one writes the exception instance (`events.patch` on the instance id); deleting one
 *   cancels it (`events.delete` on the instance id).
 * - **Updates never wipe unsynced fields**: `events.patch` sends only the synced fields (summary, description,
 *   location, start/end, recurrence, visibility, and `extendedProperties.private.severaGuid` when stamping), so
 *   attendees, reminders, conferenceData, colorId, attachments … stay as they are. With `CalendarWrite.current` it
 *   sends only those whose value changes (google-calendar.patch.ts), so Google's spelling of the others stays (an
 *   HTML description, `public`/`confidential`). Synced fields that became empty are sent as empty strings (or
 *   `recurrence: null` when a series became a single event) so they are cleared. A
 *   plain etag goes to Google as `If-Match` (412 → {@link PreconditionFailedError}); a series etag is checked against
 *   a fresh read, then the master is patched with `If-Match` on its own etag.
 * - `sendUpdates=none`, or `all` for a meeting the user organises (`notifyGuests`: its guests hear of a move or a
 *   cancellation as from Google's own UI, §3 `sendUpdates`).
 *
 * The calls themselves (retries, tokens, `quotaUser`, validation) are google-calendar.client.ts; the reads (an event
 * folded with its exceptions, one occurrence) google-calendar.reader.ts; the series arithmetic (folding, EXDATE
 * lines, exception-instance writes) google-calendar.series.ts.
 */
import type { calendar_v3 } from '@googleapis/calendar';

import {
  AlreadyExistsError,
  NotFoundError,
  PreconditionFailedError,
  TransientError,
  isValidGoogleEventId,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type SyncUser,
} from '../../domain/index.js';
import { nullLogger } from '../../observability/logger.js';
import type {
  CalendarChannelsPort,
  CalendarDeleteOptions,
  CalendarListRequest,
  CalendarListResult,
  CalendarPort,
  CalendarWrite,
  WatchChannel,
  WatchRequest,
} from '../../ports/index.js';
import { expandSeriesToInstances, instanceId, parseInstanceId } from '../../sync/recurrence/index.js';
import {
  GoogleCalendarClient,
  sendUpdatesFor,
  type GoogleCalendarClientOptions,
  type SendUpdates,
} from './google-calendar.client.js';
import { recordToEvent } from './google-calendar.mapper.js';
import { ALL_TIME, GoogleCalendarReader, userZone } from './google-calendar.reader.js';
import { changedPart } from './google-calendar.patch.js';
import {
  canonicalKey,
  exceptionsByKey,
  instanceBody,
  instanceOps,
  isSeries,
  lineExdatesOf,
  masterLevel,
  occurrenceOverride,
  sameMasterFields,
  type InstanceOp,
} from './google-calendar.series.js';
import type { Event, EventBody } from './google-calendar.wire.js';

/** Series etags are ours (Google's are `"<digits>"`), so a write can tell which kind it was given. */
const SERIES_ETAG = /^"s-[0-9a-f]{32}"$/;

/** The adapter is built from its client's options: it has no setting of its own. */
export type GoogleCalendarAdapterOptions = GoogleCalendarClientOptions;

export class GoogleCalendarAdapter implements CalendarPort, CalendarChannelsPort {
  readonly #client: GoogleCalendarClient;
  readonly #read: GoogleCalendarReader;

  constructor(options: GoogleCalendarAdapterOptions) {
    this.#client = new GoogleCalendarClient(options);
    this.#read = new GoogleCalendarReader(
      this.#client,
      (options.logger ?? nullLogger).child({ component: 'google-calendar' }),
    );
  }

  // ---- CalendarPort ----------------------------------------------------------------------------------------

  async list(user: SyncUser, request: CalendarListRequest): Promise<CalendarListResult> {
    const incremental = 'syncToken' in request;
    // Only `timeMin` xor `syncToken` varies between the two; every other parameter stays the same, as §1 requires.
    const scope = incremental ? { syncToken: request.syncToken } : { timeMin: request.timeMin };
    const { items, nextSyncToken } = await this.#client.list(
      user,
      incremental ? 'incremental' : 'full',
      scope,
    );
    if (nextSyncToken === null)
      throw new TransientError('Google returned no nextSyncToken on the last page.');

    const masters = new Map<string, Event>();
    /** Exception instances the listing returned, by master id (cancelled stubs included). */
    const listed = new Map<string, Event[]>();
    for (const e of items) {
      if (e.recurringEventId === undefined) masters.set(e.id, e);
      else listed.set(e.recurringEventId, [...(listed.get(e.recurringEventId) ?? []), e]);
    }
    const changes = new Map<string, GoogleChange>();
    for (const master of masters.values()) {
      if (master.status === 'cancelled') {
        // Deletions come only with a sync token (§1); a full listing holds live events only, as the port says.
        if (incremental) changes.set(master.id, { kind: 'deleted', id: master.id });
        continue;
      }
      const record = this.#read.safeRecord(
        user,
        master,
        isSeries(master) ? await this.#read.exceptions(user, master, listed.get(master.id)) : [],
      );
      if (record !== null) changes.set(master.id, { kind: 'upsert', record });
    }
    // An exception changed on its own: the series it belongs to changed (the memory calendar reports the master).
    for (const [masterId, own] of listed) {
      if (masters.has(masterId)) continue;
      const record = (await this.#read.load(user, masterId, own))?.record ?? null;
      if (record === null) {
        // The master is deleted (or was never in this calendar): nothing of the series is live here.
        if (incremental) changes.set(masterId, { kind: 'deleted', id: masterId });
        continue;
      }
      changes.set(masterId, { kind: 'upsert', record });
    }
    return { changes: [...changes.values()], nextSyncToken };
  }

  async get(user: SyncUser, id: string): Promise<GoogleRecord | null> {
    const instance = parseInstanceId(id);
    if (instance !== null) return this.#read.instance(user, id, instance.masterId);
    const loaded = await this.#read.load(user, id);
    if (loaded === null) return null;
    if (loaded.master.recurringEventId !== undefined)
      return this.#read.instance(user, id, loaded.master.recurringEventId);
    return loaded.record;
  }

  async findByICalUID(user: SyncUser, iCalUID: string): Promise<GoogleRecord | null> {
    // Without a time window this returns the master and all its exceptions (`showDeleted` for cancelled ones).
    const items = await this.#read.listByICalUID(user, iCalUID, 'iCalUID');
    for (const master of items) {
      if (master.recurringEventId !== undefined || master.status === 'cancelled') continue;
      const record = this.#read.safeRecord(
        user,
        master,
        items.filter((e) => e.recurringEventId === master.id),
      );
      if (record !== null) return record;
    }
    return null;
  }

  async insert(
    user: SyncUser,
    id: string,
    write: CalendarWrite,
  ): Promise<{ readonly created: boolean; readonly record: GoogleRecord }> {
    if (!isValidGoogleEventId(id)) throw new RangeError(`invalid event id ${id}`);
    // A new series has no exception instances yet: every cancelled occurrence travels as an EXDATE line.
    const masterContent = masterLevel(
      write.content,
      new Set(write.content.recurrence?.exdates.map(canonicalKey)),
    );
    const body = masterBody(id, masterContent, write.severaGuid, 'insert');
    let created: Event;
    try {
      created = await this.#client.insert(user, id, body, sendUpdatesFor(write.notifyGuests));
    } catch (error) {
      // 409 duplicate: an earlier attempt created it (or a deleted event holds the id, §3).
      if (!(error instanceof AlreadyExistsError)) throw error;
      return { created: false, record: await this.#existing(user, id, write) };
    }
    const record = await this.#finishSeries(user, id, write, created, []);
    return { created: true, record };
  }

  async update(
    user: SyncUser,
    id: string,
    expectedEtag: string,
    write: CalendarWrite,
  ): Promise<GoogleRecord> {
    const instance = parseInstanceId(id);
    if (instance !== null) return this.#updateInstance(user, id, instance, expectedEtag, write);
    if (!SERIES_ETAG.test(expectedEtag)) {
      // The caller saw a single event (series records carry series etags): Google checks the etag itself.
      try {
        return await this.#patchMaster(
          user,
          id,
          write,
          { master: null, exceptions: [] },
          expectedEtag,
          false,
        );
      } catch (error) {
        // Deleting an event moves its etag too: a deleted event is "not found", as for the memory calendar.
        if (error instanceof PreconditionFailedError && (await this.#read.load(user, id))?.record == null)
          throw new NotFoundError(`event ${id} not found`);
        throw error;
      }
    }
    const loaded = await this.#read.load(user, id);
    if (loaded === null || loaded.record === null) throw new NotFoundError(`event ${id} not found`);
    if (loaded.record.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    return this.#patchMaster(user, id, write, loaded, loaded.master.etag ?? null, false);
  }

  async delete(
    user: SyncUser,
    id: string,
    expectedEtag: string,
    options: CalendarDeleteOptions = {},
  ): Promise<void> {
    const sendUpdates = sendUpdatesFor(options.notifyGuests);
    const instance = parseInstanceId(id);
    if (instance !== null) {
      await this.#deleteInstance(user, id, instance.masterId, expectedEtag, sendUpdates);
      return;
    }
    let ifMatch = expectedEtag;
    if (SERIES_ETAG.test(expectedEtag)) {
      const loaded = await this.#read.load(user, id);
      if (loaded === null || loaded.record === null) return; // already deleted
      if (loaded.record.etag !== expectedEtag)
        throw new PreconditionFailedError(`event ${id}: etag mismatch`);
      ifMatch = loaded.master.etag ?? '*';
    }
    await this.#client.delete(user, id, ifMatch, sendUpdates);
  }

  // ---- CalendarChannelsPort --------------------------------------------------------------------------------

  watch(user: SyncUser, request: WatchRequest): Promise<WatchChannel> {
    return this.#client.watch(user, request);
  }

  stop(user: SyncUser, channel: Pick<WatchChannel, 'id' | 'resourceId'>): Promise<void> {
    return this.#client.stop(user, channel);
  }

  /**
   * Obtains an access token for `email` now (S1's "a token can be obtained for a test user"): resolves when domain-
   * wide delegation works, else throws the typed error (`delegation-denied`, `bad-credentials`, …).
   */
  checkDelegation(email: string): Promise<void> {
    return this.#client.checkDelegation(email);
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  /** After a 409: the event holding the id, brought back with `write` when it had been deleted. */
  async #existing(user: SyncUser, id: string, write: CalendarWrite): Promise<GoogleRecord> {
    const loaded = await this.#read.load(user, id);
    if (loaded === null)
      throw new TransientError(`event ${id}: Google reported a duplicate but has no such event`);
    if (loaded.master.status !== 'cancelled' && loaded.record !== null) return loaded.record;
    const exceptions = isSeries(loaded.master) ? await this.#read.exceptions(user, loaded.master) : [];
    return this.#patchMaster(
      user,
      id,
      write,
      { master: loaded.master, exceptions },
      loaded.master.etag ?? null,
      true,
    );
  }

  /**
   * Patches the master's synced fields (skipped for a series whose master fields already match), then brings the
   * exception instances in line with `write`'s overrides and exdates.
   */
  async #patchMaster(
    user: SyncUser,
    id: string,
    write: CalendarWrite,
    current: { readonly master: Event | null; readonly exceptions: readonly Event[] },
    ifMatch: string | null,
    undelete: boolean,
  ): Promise<GoogleRecord> {
    const content = write.content;
    const lineExdates = lineExdatesOf(content, id, current.master, current.exceptions, userZone(user));
    const masterContent = masterLevel(content, lineExdates);
    let master = current.master;
    const unchanged =
      !undelete &&
      master !== null &&
      content.recurrence !== null &&
      sameMasterFields(master, masterContent, write.severaGuid, userZone(user));
    if (!unchanged) {
      const body = changedPart(
        masterBody(id, masterContent, write.severaGuid, undelete ? 'undelete' : 'update'),
        content,
        write.current,
      );
      // A series that became a single event: its recurrence lines must go (null clears a field in a patch).
      if (content.recurrence === null && master !== null && isSeries(master)) body.recurrence = null;
      master = await this.#client.patch(user, id, body, sendUpdatesFor(write.notifyGuests), ifMatch);
      // A patch of a cancelled event (reached only if its etag still matched) leaves it cancelled: it is gone.
      if (master.status === 'cancelled') throw new NotFoundError(`event ${id} not found`);
    }
    if (master === null) throw new NotFoundError(`event ${id} not found`);
    return this.#finishSeries(user, id, write, master, current.exceptions);
  }

  /** Writes the exception instances `write` needs on top of `master`, then folds the result. */
  async #finishSeries(
    user: SyncUser,
    id: string,
    write: CalendarWrite,
    master: Event,
    exceptions: readonly Event[],
  ): Promise<GoogleRecord> {
    const content = write.content;
    const ops =
      content.recurrence === null
        ? []
        : instanceOps(id, content, exceptions, seriesZone(content, user), write.current !== undefined);
    for (const op of ops) await this.#applyInstanceOp(user, id, op, sendUpdatesFor(write.notifyGuests));
    // Any instance write changes etags we can only learn by reading (a delete answers 204 without a body).
    const after = ops.length > 0 ? await this.#read.exceptions(user, master) : exceptions;
    const record = this.#read.fold(user, master, isSeries(master) ? after : []);
    if (record === null) throw new NotFoundError(`event ${id} not found`);
    return record;
  }

  async #applyInstanceOp(
    user: SyncUser,
    masterId: string,
    op: InstanceOp,
    sendUpdates: SendUpdates,
  ): Promise<void> {
    const eventId = instanceId(masterId, op.key);
    if (op.kind === 'delete') {
      await this.#client.delete(user, eventId, op.ifMatch, sendUpdates);
      return;
    }
    await this.#client.patch(user, eventId, toSchema(op.body), sendUpdates, op.ifMatch);
  }

  async #updateInstance(
    user: SyncUser,
    id: string,
    instance: { readonly masterId: string; readonly originalStart: string },
    expectedEtag: string,
    write: CalendarWrite,
  ): Promise<GoogleRecord> {
    const loaded = await this.#read.load(user, instance.masterId);
    const series = loaded?.record;
    if (loaded == null || series == null || series.content.recurrence === null)
      throw new NotFoundError(`event ${id} not found`);
    const current = expandSeriesToInstances(series, ALL_TIME).find((r) => r.id === id);
    if (current === undefined) throw new NotFoundError(`event ${id} not found`);
    if (current.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    const key = canonicalKey(instance.originalStart);
    const zone = seriesZone(series.content, user);
    const override = occurrenceOverride(key, write.content);
    const existing = exceptionsByKey(instance.masterId, loaded.exceptions).live.get(key);
    await this.#applyInstanceOp(
      user,
      instance.masterId,
      {
        kind: 'patch',
        key,
        body: instanceBody(instance.masterId, override, zone, write.current),
        ifMatch: existing?.etag ?? null,
      },
      sendUpdatesFor(write.notifyGuests),
    );
    const record = this.#read.fold(user, loaded.master, await this.#read.exceptions(user, loaded.master));
    const written =
      record === null ? undefined : expandSeriesToInstances(record, ALL_TIME).find((r) => r.id === id);
    if (written === undefined) throw new NotFoundError(`event ${id} not found`);
    return written;
  }

  async #deleteInstance(
    user: SyncUser,
    id: string,
    masterId: string,
    expectedEtag: string,
    sendUpdates: SendUpdates,
  ): Promise<void> {
    const loaded = await this.#read.load(user, masterId);
    if (loaded?.record == null || loaded.record.content.recurrence === null) return; // the series is gone
    const current = expandSeriesToInstances(loaded.record, ALL_TIME).find((r) => r.id === id);
    if (current === undefined) return; // that occurrence is already cancelled
    if (current.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    const key = parseInstanceId(id)?.originalStart ?? '';
    const existing = exceptionsByKey(masterId, loaded.exceptions).live.get(canonicalKey(key));
    await this.#client.delete(user, id, existing?.etag ?? null, sendUpdates);
  }
}

// ---- pure helpers ------------------------------------------------------------------------------------------

/** The zone a series' occurrences are written in: its own, or the user's for an all-day series. */
function seriesZone(content: EntryContent, user: SyncUser): string {
  return content.timing.kind === 'timed' ? content.timing.timeZone : userZone(user);
}

/** The insert/patch body of a master: synced fields only; `severaGuid` null leaves the property untouched. */
function masterBody(
  id: string,
  content: EntryContent,
  severaGuid: string | null,
  mode: 'insert' | 'update' | 'undelete',
): calendar_v3.Schema$Event {
  const body = toSchema(recordToEvent({ id, content, severaGuid: severaGuid ?? '' }));
  if (severaGuid === null) delete body.extendedProperties;
  if (mode !== 'insert') delete body.id;
  // An update never revives a deleted event (the port's NotFound); only the 409 path of an insert does.
  if (mode === 'update') delete body.status;
  return body;
}

/** Our validated body as the generated client's request type (the same JSON shape; zod types are looser). */
function toSchema(body: EventBody): calendar_v3.Schema$Event {
  return { ...body };
}

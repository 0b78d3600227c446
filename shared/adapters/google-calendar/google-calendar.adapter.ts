/**
 * The production {@link CalendarPort}: each user's primary Google calendar through `@googleapis/calendar`, as the
 * service account impersonating the user (domain-wide delegation, google-auth.ts). It behaves, from the port's point
 * of view, like the in-memory calendar (shared/adapters/memory/memory-calendar.ts); how Google's shapes are turned
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
 * - Every call goes through `withRetry` (429, 403 rate-limit reasons, 5xx, network errors; `Retry-After` honoured);
 *   gaxios' own retries are off. A 401 gets one fresh token before it counts as bad credentials.
 * - `sendUpdates=none`, or `all` for a meeting the user organises (`notifyGuests`: its guests hear of a move or a
 *   cancellation as from Google's own UI, §3 `sendUpdates`); `quotaUser` = the user's e-mail (§4); calendar `primary`
 *   of the impersonated user.
 */
import { createHash } from 'node:crypto';

import { calendar, type calendar_v3 } from '@googleapis/calendar';
import type { JWT } from 'google-auth-library';
import { Info } from 'luxon';

import {
  AlreadyExistsError,
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  TransientError,
  canonicalInstant,
  isValidGoogleEventId,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type RecurrenceOverride,
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
  Clock,
  Logger,
  Sleep,
  WatchChannel,
  WatchRequest,
} from '../../ports/index.js';
import { expandSeriesToInstances, instanceId, parseInstanceId } from '../../sync/recurrence/index.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from '../retry.js';
import { DEFAULT_TIMEOUT_MS, DelegatedAuth } from './google-auth.js';
import { classifyGoogleError, describeGoogleFailure, type GoogleOperation } from './google-errors.js';
import { eventToRecord, recordToEvent } from './google-calendar.mapper.js';
import { changedPart } from './google-calendar.patch.js';
import {
  canonicalKey,
  currentLineExdates,
  exceptionsByKey,
  heldContent,
  instanceBody,
  isSeries,
  masterLevel,
  naturalTiming,
  sameMasterFields,
  sameOverride,
  seriesEtag,
  withoutNoOpOverrides,
} from './google-calendar.series.js';
import { eventSchema, type Event, type EventBody } from './google-calendar.wire.js';

/** `maxResults` ceiling of events.list (google-calendar.md §1). */
export const MAX_PAGE_SIZE = 2500;
/** Google's limit on `quotaUser` ("must not exceed 40 characters", discovery StandardParameters). */
const QUOTA_USER_MAX = 40;
const CALENDAR_ID = 'primary';
/** The same expansion window the memory calendar uses to find one occurrence by its instance id. */
const ALL_TIME = { fromMs: 0, toMs: 8.64e15 } as const;
/** Series etags are ours (Google's are `"<digits>"`), so a write can tell which kind it was given. */
const SERIES_ETAG = /^"s-[0-9a-f]{32}"$/;

export interface GoogleCalendarAdapterOptions {
  readonly serviceAccountEmail: string;
  /** The service account's private key (PEM), e.g. from `privateKeyPemFromP12`. */
  readonly privateKeyPem: string;
  /** API root, `https://www.googleapis.com/` by default; the simulator's base URL locally. */
  readonly rootUrl?: string;
  /** Token endpoint, Google's by default; the simulator's `/token` locally. */
  readonly tokenUrl?: string;
  readonly retryPolicy?: RetryPolicy;
  readonly sleep: Sleep;
  /** In [0, 1), for backoff jitter. */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** For HTTP-date `Retry-After` values. */
  readonly clock?: Clock;
  /** `maxResults` per page, at most 2500 (the default). */
  readonly pageSize?: number;
  readonly timeoutMs?: number;
  /** A shared token cache; one is made from the key otherwise. */
  readonly auth?: DelegatedAuth;
}

interface CallInfo {
  readonly call: string;
  readonly method: string;
  readonly path: string;
  readonly eventId?: string;
  readonly operation?: GoogleOperation;
}

/** A master as stored, its exceptions, and the folded record (null when the master is cancelled). */
interface Loaded {
  readonly master: Event;
  readonly exceptions: readonly Event[];
  readonly record: GoogleRecord | null;
}

/** `sendUpdates` of a write (§3): `all` tells a meeting's guests, `none` tells nobody. */
type SendUpdates = 'all' | 'none';

type InstanceOp =
  | {
      readonly kind: 'patch';
      readonly key: string;
      readonly body: EventBody;
      readonly ifMatch: string | null;
    }
  | { readonly kind: 'delete'; readonly key: string; readonly ifMatch: string | null };

const systemClock: Clock = { now: () => new Date() };

export class GoogleCalendarAdapter implements CalendarPort, CalendarChannelsPort {
  readonly #api: calendar_v3.Calendar;
  readonly #auth: DelegatedAuth;
  readonly #policy: RetryPolicy;
  readonly #sleep: Sleep;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #pageSize: number;

  constructor(options: GoogleCalendarAdapterOptions) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#auth =
      options.auth ??
      new DelegatedAuth({
        serviceAccountEmail: options.serviceAccountEmail,
        privateKeyPem: options.privateKeyPem,
        timeoutMs,
        ...(options.tokenUrl === undefined ? {} : { tokenUrl: options.tokenUrl }),
      });
    // `retry: false`: googleapis-common turns gaxios retries on by default; withRetry is the only policy here.
    this.#api = calendar({
      version: 'v3',
      retry: false,
      timeout: timeoutMs,
      ...(options.rootUrl === undefined ? {} : { rootUrl: withSlash(options.rootUrl) }),
    });
    this.#policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#sleep = options.sleep;
    this.#random = options.random ?? Math.random;
    this.#log = (options.logger ?? nullLogger).child({ component: 'google-calendar' });
    this.#clock = options.clock ?? systemClock;
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
      throw new RangeError(`pageSize must be an integer in [1, ${MAX_PAGE_SIZE}]`);
    this.#pageSize = pageSize;
  }

  // ---- CalendarPort ----------------------------------------------------------------------------------------

  async list(user: SyncUser, request: CalendarListRequest): Promise<CalendarListResult> {
    const incremental = 'syncToken' in request;
    // Only `timeMin` xor `syncToken` varies between the two; every other parameter stays the same, as §1 requires.
    const scope = incremental ? { syncToken: request.syncToken } : { timeMin: request.timeMin };
    const { items, nextSyncToken } = await this.#listAll(user, incremental ? 'incremental' : 'full', scope);
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
      const record = this.#safeRecord(
        user,
        master,
        isSeries(master) ? await this.#exceptions(user, master, listed.get(master.id)) : [],
      );
      if (record !== null) changes.set(master.id, { kind: 'upsert', record });
    }
    // An exception changed on its own: the series it belongs to changed (the memory calendar reports the master).
    for (const [masterId, own] of listed) {
      if (masters.has(masterId)) continue;
      const record = (await this.#load(user, masterId, own))?.record ?? null;
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
    if (instance !== null) return this.#instance(user, id, instance.masterId);
    const loaded = await this.#load(user, id);
    if (loaded === null) return null;
    if (loaded.master.recurringEventId !== undefined)
      return this.#instance(user, id, loaded.master.recurringEventId);
    return loaded.record;
  }

  async findByICalUID(user: SyncUser, iCalUID: string): Promise<GoogleRecord | null> {
    // Without a time window this returns the master and all its exceptions (`showDeleted` for cancelled ones).
    const items = await this.#listByICalUID(user, iCalUID, 'iCalUID');
    for (const master of items) {
      if (master.recurringEventId !== undefined || master.status === 'cancelled') continue;
      const record = this.#safeRecord(
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
      created = await this.#event(
        user,
        { call: 'events.insert', method: 'POST', path: '/calendars/primary/events', eventId: id },
        (auth) =>
          this.#api.events.insert({
            auth,
            calendarId: CALENDAR_ID,
            sendUpdates: sendUpdatesFor(write.notifyGuests),
            quotaUser: quotaUserFor(user.email),
            requestBody: body,
          }),
      );
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
        if (error instanceof PreconditionFailedError && (await this.#load(user, id))?.record == null)
          throw new NotFoundError(`event ${id} not found`);
        throw error;
      }
    }
    const loaded = await this.#load(user, id);
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
      const loaded = await this.#load(user, id);
      if (loaded === null || loaded.record === null) return; // already deleted
      if (loaded.record.etag !== expectedEtag)
        throw new PreconditionFailedError(`event ${id}: etag mismatch`);
      ifMatch = loaded.master.etag ?? '*';
    }
    await this.#deleteEvent(user, id, ifMatch, sendUpdates);
  }

  // ---- CalendarChannelsPort --------------------------------------------------------------------------------

  async watch(user: SyncUser, request: WatchRequest): Promise<WatchChannel> {
    const channel = await this.#request(
      user,
      { call: 'events.watch', method: 'POST', path: '/calendars/primary/events/watch' },
      (auth) =>
        this.#api.events.watch({
          auth,
          calendarId: CALENDAR_ID,
          quotaUser: quotaUserFor(user.email),
          requestBody: {
            id: request.id,
            type: 'web_hook',
            address: request.address,
            token: request.token,
            params: { ttl: String(request.ttlSeconds) },
          },
        }),
    );
    const expirationMs = Number(channel.expiration);
    if (typeof channel.resourceId !== 'string' || channel.resourceId === '' || !Number.isFinite(expirationMs))
      throw new TransientError('Google returned a watch channel without resourceId or expiration.');
    return {
      id: channel.id ?? request.id,
      resourceId: channel.resourceId,
      expiration: canonicalInstant(new Date(expirationMs).toISOString()),
      token: request.token,
      address: request.address,
    };
  }

  async stop(user: SyncUser, channel: Pick<WatchChannel, 'id' | 'resourceId'>): Promise<void> {
    try {
      await this.#request(user, { call: 'channels.stop', method: 'POST', path: '/channels/stop' }, (auth) =>
        this.#api.channels.stop({
          auth,
          quotaUser: quotaUserFor(user.email),
          requestBody: { id: channel.id, resourceId: channel.resourceId },
        }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return; // already stopped or expired (§2)
      throw error;
    }
  }

  /**
   * Obtains an access token for `email` now (S1's "a token can be obtained for a test user"): resolves when domain-
   * wide delegation works, else throws the typed error (`delegation-denied`, `bad-credentials`, …).
   */
  async checkDelegation(email: string): Promise<void> {
    this.#auth.forget(email);
    await withRetry(
      async () => {
        try {
          await this.#auth.clientFor(email).getAccessToken();
        } catch (error) {
          throw classifyGoogleError(error, { nowMs: this.#clock.now().getTime() });
        }
      },
      { policy: this.#policy, sleep: this.#sleep, random: this.#random },
    );
  }

  // ---- reads -----------------------------------------------------------------------------------------------

  /** All pages of a listing; only the last page carries `nextSyncToken` (§1). */
  async #listAll(
    user: SyncUser,
    phase: string,
    scope: { syncToken: string } | { timeMin: string } | { iCalUID: string; showDeleted: true },
  ): Promise<{ items: Event[]; nextSyncToken: string | null }> {
    const items: Event[] = [];
    let pageToken: string | undefined;
    let nextSyncToken: string | null = null;
    let page = 0;
    do {
      page += 1;
      const data = await this.#request(
        user,
        {
          call: `events.list(${phase})`,
          method: 'GET',
          path: '/calendars/primary/events',
          operation: 'syncToken' in scope ? 'list' : 'other',
        },
        (auth) =>
          this.#api.events.list({
            auth,
            calendarId: CALENDAR_ID,
            quotaUser: quotaUserFor(user.email),
            singleEvents: false,
            maxResults: this.#pageSize,
            ...scope,
            ...(pageToken === undefined ? {} : { pageToken }),
          }),
      );
      for (const raw of data.items ?? []) {
        const parsed = eventSchema.safeParse(raw);
        if (parsed.success) items.push(parsed.data);
        else
          this.#log.warn('skipped an event Google returned in a shape the sync cannot read', {
            user: user.severaUserGuid,
            eventId: typeof raw.id === 'string' ? raw.id : null,
            issues: parsed.error.issues.map((i) => i.path.join('.')),
          });
      }
      pageToken = data.nextPageToken ?? undefined;
      if (pageToken === undefined) nextSyncToken = data.nextSyncToken ?? null;
    } while (pageToken !== undefined && page < 10_000);
    return { items, nextSyncToken };
  }

  async #listByICalUID(user: SyncUser, iCalUID: string, phase: string): Promise<Event[]> {
    return (await this.#listAll(user, phase, { iCalUID, showDeleted: true })).items;
  }

  /**
   * Every exception (live or cancelled) of a recurring master: `listed` (the listing's own, preferred for the same
   * instance id) merged with those the iCalUID query finds. A cancelled stub carries no iCalUID (§3), and one that
   * has none server-side either (an import) only ever shows in a listing.
   */
  async #exceptions(user: SyncUser, master: Event, listed: readonly Event[] = []): Promise<Event[]> {
    const iCalUID = master.iCalUID ?? `${master.id}@google.com`;
    const byId = new Map<string, Event>();
    for (const e of await this.#listByICalUID(user, iCalUID, 'exceptions'))
      if (e.recurringEventId === master.id) byId.set(e.id, e);
    for (const e of listed) if (e.recurringEventId === master.id) byId.set(e.id, e);
    return [...byId.values()];
  }

  /**
   * The stored event by id (a tombstone when cancelled) folded with its exceptions (`listed` as for
   * {@link #exceptions}); null on 404/410.
   */
  async #load(user: SyncUser, id: string, listed: readonly Event[] = []): Promise<Loaded | null> {
    let master: Event;
    try {
      master = await this.#event(
        user,
        { call: 'events.get', method: 'GET', path: '/calendars/primary/events/{eventId}', eventId: id },
        (auth) =>
          this.#api.events.get({
            auth,
            calendarId: CALENDAR_ID,
            eventId: id,
            quotaUser: quotaUserFor(user.email),
          }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    if (master.status === 'cancelled' || master.recurringEventId !== undefined)
      return { master, exceptions: [], record: null };
    const exceptions = isSeries(master) ? await this.#exceptions(user, master, listed) : [];
    return { master, exceptions, record: this.#fold(user, master, exceptions) };
  }

  /** One occurrence of a series by instance id, as the memory calendar derives it; null when there is none. */
  async #instance(user: SyncUser, id: string, masterId: string): Promise<GoogleRecord | null> {
    const loaded = await this.#load(user, masterId);
    if (loaded?.record == null || loaded.record.content.recurrence === null) return null;
    return expandSeriesToInstances(loaded.record, ALL_TIME).find((r) => r.id === id) ?? null;
  }

  // ---- writes ----------------------------------------------------------------------------------------------

  /** After a 409: the event holding the id, brought back with `write` when it had been deleted. */
  async #existing(user: SyncUser, id: string, write: CalendarWrite): Promise<GoogleRecord> {
    const loaded = await this.#load(user, id);
    if (loaded === null)
      throw new TransientError(`event ${id}: Google reported a duplicate but has no such event`);
    if (loaded.master.status !== 'cancelled' && loaded.record !== null) return loaded.record;
    const exceptions = isSeries(loaded.master) ? await this.#exceptions(user, loaded.master) : [];
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
    const byKey = exceptionsByKey(id, current.exceptions);
    const lineExdates = new Set<string>();
    if (content.recurrence !== null) {
      const kept = new Set(currentLineExdates(current.master, this.#zone(user)));
      for (const key of content.recurrence.exdates.map(canonicalKey)) {
        // Occurrences that already have an exception instance are cancelled through it; others by EXDATE lines.
        if (!byKey.live.has(key) && !byKey.cancelled.has(key)) lineExdates.add(key);
        else if (kept.has(key)) lineExdates.add(key);
      }
    }
    const masterContent = masterLevel(content, lineExdates);
    let master = current.master;
    const unchanged =
      !undelete &&
      master !== null &&
      content.recurrence !== null &&
      sameMasterFields(master, masterContent, write.severaGuid, this.#zone(user));
    if (!unchanged) {
      const body = changedPart(
        masterBody(id, masterContent, write.severaGuid, undelete ? 'undelete' : 'update'),
        content,
        write.current,
      );
      // A series that became a single event: its recurrence lines must go (null clears a field in a patch).
      if (content.recurrence === null && master !== null && isSeries(master)) body.recurrence = null;
      master = await this.#event(
        user,
        { call: 'events.patch', method: 'PATCH', path: '/calendars/primary/events/{eventId}', eventId: id },
        (auth) =>
          this.#api.events.patch(
            {
              auth,
              calendarId: CALENDAR_ID,
              eventId: id,
              sendUpdates: sendUpdatesFor(write.notifyGuests),
              quotaUser: quotaUserFor(user.email),
              requestBody: body,
            },
            ifMatch === null ? {} : { headers: { 'If-Match': ifMatch } },
          ),
      );
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
        : this.#instanceOps(user, id, content, exceptions, write.current !== undefined);
    for (const op of ops) await this.#applyInstanceOp(user, id, op, sendUpdatesFor(write.notifyGuests));
    // Any instance write changes etags we can only learn by reading (a delete answers 204 without a body).
    const after = ops.length > 0 ? await this.#exceptions(user, master) : exceptions;
    const record = this.#fold(user, master, isSeries(master) ? after : []);
    if (record === null) throw new NotFoundError(`event ${id} not found`);
    return record;
  }

  /**
   * The exception-instance writes that turn `exceptions` into `content`'s overrides and exdates. `changedOnly`: a
   * patch leaves out the fields the occurrence already has (its live exception's, else the series' own).
   */
  #instanceOps(
    user: SyncUser,
    id: string,
    content: EntryContent,
    exceptions: readonly Event[],
    changedOnly: boolean,
  ): InstanceOp[] {
    const recurrence = content.recurrence;
    if (recurrence === null) return [];
    const zone = content.timing.kind === 'timed' ? content.timing.timeZone : this.#zone(user);
    const { live, cancelled } = exceptionsByKey(id, exceptions);
    const exdates = new Set(recurrence.exdates.map(canonicalKey));
    const overrides = new Map(recurrence.overrides.map((o) => [canonicalKey(o.originalStart), o]));
    const bare = masterLevel(content, new Set());
    const ops: InstanceOp[] = [];
    const patch = (key: string, override: RecurrenceOverride, currentEvent: Event | undefined) => {
      const held = changedOnly ? heldContent(content, bare, key, currentEvent, zone) : undefined;
      const body = instanceBody(id, override, zone, held);
      ops.push({ kind: 'patch', key, body, ifMatch: currentEvent?.etag ?? null });
    };
    for (const [key, override] of overrides) {
      if (exdates.has(key) || naturalTiming(bare, key) === null) continue; // cancelled, or not an occurrence
      const existing = live.get(key);
      if (existing !== undefined && sameOverride(existing, override, zone)) continue;
      patch(key, override, existing ?? cancelled.get(key));
    }
    for (const key of exdates) {
      const existing = live.get(key);
      if (existing !== undefined) ops.push({ kind: 'delete', key, ifMatch: existing.etag ?? null });
    }
    // Occurrences modified or cancelled in Google that `content` has as plain ones: back to the series' content.
    for (const [key, existing] of [...live, ...cancelled]) {
      if (overrides.has(key) || exdates.has(key)) continue;
      const timing = naturalTiming(bare, key);
      if (timing === null) continue;
      const natural: RecurrenceOverride = {
        originalStart: key,
        title: content.title,
        notes: content.notes,
        location: content.location,
        timing,
      };
      if (existing.status !== 'cancelled' && sameOverride(existing, natural, zone)) continue;
      patch(key, natural, existing);
    }
    return ops;
  }

  async #applyInstanceOp(
    user: SyncUser,
    masterId: string,
    op: InstanceOp,
    sendUpdates: SendUpdates,
  ): Promise<void> {
    const eventId = instanceId(masterId, op.key);
    const headers = op.ifMatch === null ? {} : { headers: { 'If-Match': op.ifMatch } };
    if (op.kind === 'delete') {
      await this.#deleteEvent(user, eventId, op.ifMatch, sendUpdates);
      return;
    }
    await this.#event(
      user,
      { call: 'events.patch', method: 'PATCH', path: '/calendars/primary/events/{eventId}', eventId },
      (auth) =>
        this.#api.events.patch(
          {
            auth,
            calendarId: CALENDAR_ID,
            eventId,
            sendUpdates,
            quotaUser: quotaUserFor(user.email),
            requestBody: toSchema(op.body),
          },
          headers,
        ),
    );
  }

  async #updateInstance(
    user: SyncUser,
    id: string,
    instance: { readonly masterId: string; readonly originalStart: string },
    expectedEtag: string,
    write: CalendarWrite,
  ): Promise<GoogleRecord> {
    const loaded = await this.#load(user, instance.masterId);
    const series = loaded?.record;
    if (loaded == null || series == null || series.content.recurrence === null)
      throw new NotFoundError(`event ${id} not found`);
    const current = expandSeriesToInstances(series, ALL_TIME).find((r) => r.id === id);
    if (current === undefined) throw new NotFoundError(`event ${id} not found`);
    if (current.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    const key = canonicalKey(instance.originalStart);
    const zone = series.content.timing.kind === 'timed' ? series.content.timing.timeZone : this.#zone(user);
    const override: RecurrenceOverride = {
      originalStart: key,
      title: write.content.title,
      notes: write.content.notes,
      location: write.content.location,
      timing: write.content.timing,
    };
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
    const record = this.#fold(user, loaded.master, await this.#exceptions(user, loaded.master));
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
    const loaded = await this.#load(user, masterId);
    if (loaded?.record == null || loaded.record.content.recurrence === null) return; // the series is gone
    const current = expandSeriesToInstances(loaded.record, ALL_TIME).find((r) => r.id === id);
    if (current === undefined) return; // that occurrence is already cancelled
    if (current.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    const key = parseInstanceId(id)?.originalStart ?? '';
    const existing = exceptionsByKey(masterId, loaded.exceptions).live.get(canonicalKey(key));
    await this.#deleteEvent(user, id, existing?.etag ?? null, sendUpdates);
  }

  /** `events.delete` with `If-Match`; 404 and 410 mean it is already gone (§4). */
  async #deleteEvent(
    user: SyncUser,
    id: string,
    ifMatch: string | null,
    sendUpdates: SendUpdates,
  ): Promise<void> {
    try {
      await this.#request(
        user,
        {
          call: 'events.delete',
          method: 'DELETE',
          path: '/calendars/primary/events/{eventId}',
          eventId: id,
          operation: 'delete',
        },
        (auth) =>
          this.#api.events.delete(
            {
              auth,
              calendarId: CALENDAR_ID,
              eventId: id,
              sendUpdates,
              quotaUser: quotaUserFor(user.email),
            },
            ifMatch === null ? {} : { headers: { 'If-Match': ifMatch } },
          ),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
  }

  // ---- plumbing --------------------------------------------------------------------------------------------

  /** A call answering one event, validated on the way in. */
  async #event(
    user: SyncUser,
    info: CallInfo,
    run: (auth: JWT) => Promise<{ readonly data: calendar_v3.Schema$Event; readonly status: number }>,
  ): Promise<Event> {
    const data = await this.#request(user, info, run);
    const parsed = eventSchema.safeParse(data);
    if (!parsed.success) {
      throw new PermanentError(
        'validation',
        `Google returned event ${info.eventId ?? ''} in a shape the sync cannot read (${parsed.error.issues
          .map((i) => i.path.join('.'))
          .join(', ')}).`,
      );
    }
    return parsed.data;
  }

  /**
   * One API call under the retry policy. Each attempt is one HTTP request (plus a token request when the user's
   * token is missing or expiring); a 401 gets one fresh token within the same attempt.
   */
  async #request<T>(
    user: SyncUser,
    info: CallInfo,
    run: (auth: JWT) => Promise<{ readonly data: T; readonly status: number }>,
  ): Promise<T> {
    const fields = {
      user: user.severaUserGuid,
      call: info.call,
      method: info.method,
      path: info.path,
      ...(info.eventId === undefined ? {} : { eventId: info.eventId }),
    };
    return withRetry(
      async (attempt) => {
        let refreshed = false;
        for (;;) {
          try {
            const response = await run(this.#auth.clientFor(user.email));
            this.#log.debug('google calendar request', { ...fields, status: response.status, attempt });
            return response.data;
          } catch (error) {
            const failure = describeGoogleFailure(error);
            this.#log.debug('google calendar request failed', {
              ...fields,
              status: failure.status,
              reason: failure.reason ?? failure.oauthError ?? failure.code,
              attempt,
            });
            if (failure.status === 401 && failure.oauthError === null && !refreshed) {
              // An access token can be revoked before its expiry: one fresh token, then 401 means bad credentials.
              refreshed = true;
              this.#auth.forget(user.email);
              continue;
            }
            throw classifyGoogleError(error, {
              operation: info.operation ?? 'other',
              nowMs: this.#clock.now().getTime(),
            });
          }
        }
      },
      {
        policy: this.#policy,
        sleep: this.#sleep,
        random: this.#random,
        onRetry: ({ attempt, delayMs, error }) => {
          this.#log.warn('google calendar request retried', {
            ...fields,
            attempt,
            delayMs,
            code: error.code,
            retryAfterSeconds: error.retryAfterSeconds,
          });
        },
      },
    );
  }

  /** Master + exceptions → a record (a series etag and latest `updated` for a series); null when cancelled. */
  #fold(user: SyncUser, master: Event, exceptions: readonly Event[]): GoogleRecord | null {
    const own = exceptions.filter((e) => e.recurringEventId === master.id);
    const record = eventToRecord(master, own, { defaultTimeZone: this.#zone(user) });
    if (record?.content.recurrence == null) return record;
    let updated = record.updated;
    for (const e of own) {
      const stamp = e.updated === undefined ? null : canonicalInstant(e.updated);
      if (stamp !== null && stamp > updated) updated = stamp;
    }
    return {
      ...record,
      etag: seriesEtag(master, own),
      updated,
      content: { ...record.content, recurrence: withoutNoOpOverrides(record.content) },
    };
  }

  /** {@link #fold} for a listing: an event the mapper cannot read is logged and left out, not fatal. */
  #safeRecord(user: SyncUser, master: Event, exceptions: readonly Event[]): GoogleRecord | null {
    try {
      return this.#fold(user, master, exceptions);
    } catch (error) {
      this.#log.warn('skipped an event the sync cannot map', {
        user: user.severaUserGuid,
        eventId: master.id,
        error: error instanceof Error ? error.message : 'unknown',
      });
      return null;
    }
  }

  /** The zone of timed events that name none: the user's (list and get must agree, or content hashes would differ). */
  #zone(user: SyncUser): string {
    return Info.isValidIANAZone(user.timeZone) ? user.timeZone : 'UTC';
  }
}

// ---- pure helpers ------------------------------------------------------------------------------------------

/** `all` for a meeting the user organises (its guests hear of the change), else `none` (SPEC §6). */
function sendUpdatesFor(notifyGuests: boolean | undefined): SendUpdates {
  return notifyGuests === true ? 'all' : 'none';
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** `quotaUser` = the user's e-mail (§4), or a stable digest of it when longer than Google's 40 characters. */
export function quotaUserFor(email: string): string {
  const lower = email.toLowerCase();
  if (lower.length <= QUOTA_USER_MAX) return lower;
  return createHash('sha256').update(lower).digest('hex').slice(0, QUOTA_USER_MAX);
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

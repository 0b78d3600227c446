import { createHash, randomBytes } from 'node:crypto';

import {
  NotFoundError,
  PreconditionFailedError,
  SyncTokenExpiredError,
  canonicalInstant,
  isValidGoogleEventId,
  timingEndMs,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type RecurrenceOverride,
  type SyncUser,
} from '../../domain/index.js';
import type {
  CalendarDeleteOptions,
  CalendarListRequest,
  CalendarListResult,
  CalendarPort,
  CalendarWrite,
  Clock,
} from '../../ports/index.js';
import {
  expandOccurrences,
  expandSeriesToInstances,
  hasOccurrenceEndingAfter,
  parseInstanceId,
} from '../../sync/recurrence/index.js';
import { FaultQueue } from './faults.js';

interface StoredEvent {
  readonly id: string;
  readonly iCalUID: string;
  status: 'confirmed' | 'cancelled';
  etag: string;
  updated: string;
  content: EntryContent;
  severaGuid: string | null;
  eventType: string;
  /** This calendar's owner organises the event and has invited others (a meeting they sent). */
  organizerOfMeeting: boolean;
  /** Position in the calendar's change log: what sync tokens count. */
  seq: number;
}

interface StoredCalendar {
  readonly events: Map<string, StoredEvent>;
  seq: number;
  /** Bumped to invalidate every token issued so far (410 Gone). */
  epoch: number;
}

export interface MemoryCalendarOptions {
  readonly clock: Clock;
  /** Deterministic ids for tests; defaults to random base32hex ids like Google's. */
  readonly newId?: () => string;
}

/**
 * Google Calendar in memory, faithful in what the sync relies on (reference/google-calendar.md): etags change on
 * every write, sync tokens return exactly the events changed since (deletions as `cancelled`), a token can be
 * invalidated (410), client-chosen ids must be base32hex and a second insert of one is a conflict (resolved here as
 * the real adapter does: read it, undelete it if cancelled), `If-Match` mismatches fail, deleted events stay as
 * tombstones, and occurrences of a series can be edited or cancelled through their instance ids.
 */
export class MemoryCalendar implements CalendarPort {
  readonly faults = new FaultQueue();
  /** `notified`: writes sent with `sendUpdates=all` (a meeting's guests were told). */
  readonly calls = { reads: 0, writes: 0, notified: 0 };
  readonly #calendars = new Map<string, StoredCalendar>();
  readonly #clock: Clock;
  readonly #newId: () => string;
  #etagCounter = 0;
  #lastUpdatedMs = 0;

  constructor(options: MemoryCalendarOptions) {
    this.#clock = options.clock;
    this.#newId = options.newId ?? (() => base32hex(randomBytes(16)));
  }

  // ---- CalendarPort

  async list(user: SyncUser, request: CalendarListRequest): Promise<CalendarListResult> {
    await Promise.resolve();
    this.calls.reads += 1;
    const cal = this.#calendar(user.email);
    const token = (seq: number) => `${cal.epoch}.${seq}`;
    if ('syncToken' in request) {
      const [epoch, seq] = request.syncToken.split('.').map(Number);
      if (epoch !== cal.epoch || seq === undefined || Number.isNaN(seq)) {
        throw new SyncTokenExpiredError('Sync token is no longer valid, a full sync is required.');
      }
      const changes: GoogleChange[] = [...cal.events.values()]
        .filter((e) => e.seq > seq)
        .map((e) =>
          e.status === 'cancelled' ? { kind: 'deleted', id: e.id } : { kind: 'upsert', record: toRecord(e) },
        );
      return { changes, nextSyncToken: token(cal.seq) };
    }
    // Full listing: live events ending after timeMin (Google's timeMin bounds the end time; series by occurrences).
    const timeMinMs = Date.parse(request.timeMin);
    const changes: GoogleChange[] = [...cal.events.values()]
      .filter((e) => e.status === 'confirmed')
      .filter((e) =>
        e.content.recurrence === null
          ? timingEndMs(e.content.timing) > timeMinMs
          : hasOccurrenceEndingAfter(e.content, timeMinMs),
      )
      .map((e) => ({ kind: 'upsert', record: toRecord(e) }));
    return { changes, nextSyncToken: token(cal.seq) };
  }

  async get(user: SyncUser, id: string): Promise<GoogleRecord | null> {
    await Promise.resolve();
    this.calls.reads += 1;
    return this.#live(user.email, id);
  }

  async findByICalUID(user: SyncUser, iCalUID: string): Promise<GoogleRecord | null> {
    await Promise.resolve();
    this.calls.reads += 1;
    const e = [...this.#calendar(user.email).events.values()].find(
      (x) => x.iCalUID === iCalUID && x.status === 'confirmed',
    );
    return e ? toRecord(e) : null;
  }

  insert(
    user: SyncUser,
    id: string,
    write: CalendarWrite,
  ): Promise<{ created: boolean; record: GoogleRecord }> {
    return this.faults.run('calendar.insert', () => {
      this.calls.writes += 1;
      if (!isValidGoogleEventId(id)) throw new RangeError(`invalid event id ${id}`);
      const cal = this.#calendar(user.email);
      const existing = cal.events.get(id);
      if (existing) {
        // 409 duplicate: an earlier attempt created it. A cancelled one is brought back with the new content.
        if (existing.status === 'cancelled') {
          existing.status = 'confirmed';
          existing.content = write.content;
          if (write.severaGuid !== null) existing.severaGuid = write.severaGuid;
          this.#touch(cal, existing);
        }
        return { created: false, record: toRecord(existing) };
      }
      const e = this.#store(cal, id, `${id}@google.com`, write.content, write.severaGuid);
      return { created: true, record: toRecord(e) };
    });
  }

  update(user: SyncUser, id: string, expectedEtag: string, write: CalendarWrite): Promise<GoogleRecord> {
    return this.faults.run('calendar.update', () => {
      this.calls.writes += 1;
      if (write.notifyGuests === true) this.calls.notified += 1;
      const cal = this.#calendar(user.email);
      const instance = this.#checkedInstance(cal, id, expectedEtag);
      if (instance) {
        setOverride(instance.master, instance.originalStart, write.content);
        this.#touch(cal, instance.master);
        return this.#instanceRecord(instance.master, id);
      }
      const e = cal.events.get(id);
      if (!e || e.status === 'cancelled') throw new NotFoundError(`event ${id} not found`);
      if (e.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
      e.content = write.content;
      if (write.severaGuid !== null) e.severaGuid = write.severaGuid;
      this.#touch(cal, e);
      return toRecord(e);
    });
  }

  delete(user: SyncUser, id: string, expectedEtag: string, options?: CalendarDeleteOptions): Promise<void> {
    return this.faults.run('calendar.delete', () => {
      this.calls.writes += 1;
      if (options?.notifyGuests === true) this.calls.notified += 1;
      const cal = this.#calendar(user.email);
      let instance;
      try {
        instance = this.#checkedInstance(cal, id, expectedEtag);
      } catch (error) {
        if (error instanceof NotFoundError) return; // an occurrence already cancelled: already deleted
        throw error;
      }
      if (instance) {
        cancelOccurrence(instance.master, instance.originalStart);
        this.#touch(cal, instance.master);
        return;
      }
      const e = cal.events.get(id);
      if (!e || e.status === 'cancelled') return; // 404 / 410: already deleted
      if (e.etag !== expectedEtag) throw new PreconditionFailedError(`event ${id}: etag mismatch`);
      e.status = 'cancelled';
      this.#touch(cal, e);
    });
  }

  // ---- What people do in Google Calendar's UI (tests, demo)

  humanCreate(email: string, content: EntryContent, eventType = 'default'): GoogleRecord {
    const id = this.#newId();
    const e = this.#store(this.#calendar(email), id, `${id}@google.com`, content, null);
    e.eventType = eventType;
    return toRecord(e);
  }

  /**
   * A meeting: the same event (same id and iCalUID) in the organizer's (the first e-mail's) and every attendee's
   * calendar.
   */
  humanCreateMeeting(emails: readonly string[], content: EntryContent): string {
    const id = this.#newId();
    emails.forEach((email, i) => {
      const e = this.#store(this.#calendar(email), id, `${id}@google.com`, content, null);
      e.organizerOfMeeting = i === 0 && emails.length > 1;
    });
    return id;
  }

  /**
   * "Duplicate" in Google's UI: a new event with a new id and the same content. `keepStamp`: whether the copy keeps
   * our `extendedProperties.private` stamp (what Google copies is not confirmed, google-calendar.md §3).
   */
  humanDuplicate(email: string, id: string, keepStamp: boolean): GoogleRecord | null {
    const cal = this.#calendar(email);
    const source = cal.events.get(id);
    if (!source || source.status !== 'confirmed') return null;
    const copyId = this.#newId();
    const e = this.#store(
      cal,
      copyId,
      `${copyId}@google.com`,
      source.content,
      keepStamp ? source.severaGuid : null,
    );
    return toRecord(e);
  }

  /**
   * "This and following events" in Google's UI: the series `id` ends before the occurrence starting at
   * `originalStart` (its rule gets an `until`), and a new series `<id>_R<start>` takes the rest with `tail`'s content.
   * `keepStamp`: whether the new series carries the old one's `extendedProperties.private` (not confirmed, §3).
   */
  humanSplit(
    email: string,
    id: string,
    originalStart: string,
    tail: EntryContent,
    keepStamp: boolean,
  ): GoogleRecord | null {
    const cal = this.#calendar(email);
    const e = cal.events.get(id);
    const recurrence = e?.content.recurrence;
    if (!e || e.status !== 'confirmed' || !recurrence || recurrence.pattern.kind !== 'rule') return null;
    const head = untilBefore(e.content, originalStart);
    if (head === null) return null;
    e.content = head;
    this.#touch(cal, e);
    const tailId = `${id}_R${splitStamp(originalStart)}`;
    if (cal.events.has(tailId)) return null;
    const t = this.#store(cal, tailId, `${tailId}@google.com`, tail, keepStamp ? e.severaGuid : null);
    return toRecord(t);
  }

  /** An edit; for a meeting it reaches every attendee's copy, as Google propagates the organizer's changes. */
  humanUpdate(emails: readonly string[], id: string, content: Partial<EntryContent>): void {
    for (const email of emails) {
      const cal = this.#calendar(email);
      const e = cal.events.get(id);
      if (!e || e.status === 'cancelled') continue;
      e.content = { ...e.content, ...content };
      this.#touch(cal, e);
    }
  }

  /** A change that does not touch synced fields (a reminder, a colour): only the etag moves. */
  humanTouch(email: string, id: string): void {
    const cal = this.#calendar(email);
    const e = cal.events.get(id);
    if (e && e.status === 'confirmed') this.#touch(cal, e);
  }

  humanDelete(emails: readonly string[], id: string): void {
    for (const email of emails) {
      const cal = this.#calendar(email);
      const e = cal.events.get(id);
      if (!e || e.status === 'cancelled') continue;
      e.status = 'cancelled';
      this.#touch(cal, e);
    }
  }

  /** Google may invalidate sync tokens at any time (410): the next incremental list must fall back to full. */
  invalidateSyncTokens(email: string): void {
    this.#calendar(email).epoch += 1;
  }

  /** One live occurrence of a series by its instance id (how the fallback's links name them). */
  liveInstance(email: string, id: string): GoogleRecord | null {
    const instance = this.#instanceTarget(this.#calendar(email), id);
    return instance ? this.#live(email, id) : null;
  }

  /** The live events of a calendar, as the tests' oracle sees them. */
  live(email: string): GoogleRecord[] {
    return [...this.#calendar(email).events.values()].filter((e) => e.status === 'confirmed').map(toRecord);
  }

  // ---- internals

  #calendar(email: string): StoredCalendar {
    let cal = this.#calendars.get(email);
    if (!cal) {
      cal = { events: new Map(), seq: 0, epoch: 1 };
      this.#calendars.set(email, cal);
    }
    return cal;
  }

  #live(email: string, id: string): GoogleRecord | null {
    const cal = this.#calendar(email);
    const instance = this.#instanceTarget(cal, id);
    if (instance) {
      return (
        expandSeriesToInstances(toRecord(instance.master), { fromMs: 0, toMs: 8.64e15 }).find(
          (r) => r.id === id,
        ) ?? null
      );
    }
    const e = cal.events.get(id);
    return e && e.status === 'confirmed' ? toRecord(e) : null;
  }

  #instanceTarget(cal: StoredCalendar, id: string): { master: StoredEvent; originalStart: string } | null {
    if (cal.events.has(id)) return null;
    const parsed = parseInstanceId(id);
    if (!parsed) return null;
    const master = cal.events.get(parsed.masterId);
    if (!master || master.status !== 'confirmed' || master.content.recurrence === null) return null;
    return { master, originalStart: parsed.originalStart };
  }

  /** An occurrence addressed by its instance id, with `If-Match` checked against its derived etag. */
  #checkedInstance(
    cal: StoredCalendar,
    id: string,
    expectedEtag: string,
  ): { master: StoredEvent; originalStart: string } | null {
    const instance = this.#instanceTarget(cal, id);
    if (instance && this.#instanceRecord(instance.master, id).etag !== expectedEtag) {
      throw new PreconditionFailedError(`event ${id}: etag mismatch`);
    }
    return instance;
  }

  #instanceRecord(master: StoredEvent, id: string): GoogleRecord {
    const record = expandSeriesToInstances(toRecord(master), { fromMs: 0, toMs: 8.64e15 }).find(
      (r) => r.id === id,
    );
    if (!record) throw new NotFoundError(`event ${id} not found`);
    return record;
  }

  #store(
    cal: StoredCalendar,
    id: string,
    iCalUID: string,
    content: EntryContent,
    severaGuid: string | null,
  ): StoredEvent {
    const e: StoredEvent = {
      id,
      iCalUID,
      status: 'confirmed',
      etag: '',
      updated: '',
      content,
      severaGuid,
      eventType: 'default',
      organizerOfMeeting: false,
      seq: 0,
    };
    cal.events.set(id, e);
    this.#touch(cal, e);
    return e;
  }

  #touch(cal: StoredCalendar, e: StoredEvent): void {
    this.#etagCounter += 1;
    cal.seq += 1;
    e.seq = cal.seq;
    e.etag = `"${createHash('sha1').update(`${e.id}:${this.#etagCounter}`).digest('hex').slice(0, 16)}"`;
    const ms = Math.max(this.#clock.now().getTime(), this.#lastUpdatedMs + 1);
    this.#lastUpdatedMs = ms;
    e.updated = new Date(ms).toISOString();
  }
}

function toRecord(e: StoredEvent): GoogleRecord {
  return {
    id: e.id,
    etag: e.etag,
    updated: e.updated,
    iCalUID: e.iCalUID,
    content: e.content,
    severaGuid: e.severaGuid,
    eventType: e.eventType,
    organizerOfMeeting: e.organizerOfMeeting,
  };
}

/** `YYYYMMDDTHHMMSSZ` (or `YYYYMMDD` for a date): how Google names the second half of a split series. */
function splitStamp(originalStart: string): string {
  return originalStart.length === 10
    ? originalStart.replace(/-/g, '')
    : canonicalInstant(originalStart).replace(/[-:]/g, '');
}

/**
 * The series ending on the last occurrence before `originalStart`: its rule's end becomes that occurrence's local
 * date (`until` is inclusive, a date in the series' zone). Null when no occurrence comes before it.
 */
function untilBefore(content: EntryContent, originalStart: string): EntryContent | null {
  const recurrence = content.recurrence;
  if (recurrence === null || recurrence.pattern.kind !== 'rule') return null;
  const cutMs = keyMs(originalStart);
  const bare: EntryContent = { ...content, recurrence: { ...recurrence, exdates: [], overrides: [] } };
  const last = expandOccurrences(bare, { fromMs: 0, toMs: cutMs })
    .filter((o) => keyMs(o.originalStart) < cutMs)
    .at(-1);
  if (last === undefined) return null;
  const zone = content.timing.kind === 'timed' ? content.timing.timeZone : 'UTC';
  const until =
    last.originalStart.length === 10
      ? last.originalStart
      : new Intl.DateTimeFormat('en-CA', {
          timeZone: zone,
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }).format(new Date(last.originalStart));
  const keep = (key: string) => keyMs(key) < cutMs;
  return {
    ...content,
    recurrence: {
      pattern: { kind: 'rule', rule: { ...recurrence.pattern.rule, end: { kind: 'until', until } } },
      exdates: recurrence.exdates.filter(keep),
      overrides: recurrence.overrides.filter((o) => keep(o.originalStart)),
    },
  };
}

function keyMs(key: string): number {
  return key.length === 10 ? Date.parse(`${key}T00:00:00Z`) : Date.parse(key);
}
function startKey(value: string): string {
  return value.length === 10 ? value : canonicalInstant(value);
}

function setOverride(master: StoredEvent, originalStart: string, content: EntryContent): void {
  const recurrence = master.content.recurrence;
  if (recurrence === null) return;
  const override: RecurrenceOverride = {
    originalStart,
    title: content.title,
    notes: content.notes,
    location: content.location,
    timing: content.timing,
  };
  const overrides = recurrence.overrides.filter((o) => startKey(o.originalStart) !== startKey(originalStart));
  master.content = { ...master.content, recurrence: { ...recurrence, overrides: [...overrides, override] } };
}

function cancelOccurrence(master: StoredEvent, originalStart: string): void {
  const recurrence = master.content.recurrence;
  if (recurrence === null) return;
  master.content = {
    ...master.content,
    recurrence: {
      ...recurrence,
      exdates: [...new Set([...recurrence.exdates, originalStart])].sort(),
      overrides: recurrence.overrides.filter((o) => startKey(o.originalStart) !== startKey(originalStart)),
    },
  };
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
function base32hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (BASE32HEX[b >> 3] ?? '0') + (BASE32HEX[b & 7] ?? '0');
  return out;
}

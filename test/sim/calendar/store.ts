/**
 * The events of every user's primary calendar, with Google's write rules (google-calendar.md §3). Pure state: no
 * HTTP, time from the clock. Listing and its tokens are in listing.ts, recurring series in series.ts.
 *
 * Every write gets the next value of one global change counter (listing.ts explains how sync tokens use it).
 */
import type { SimClock } from '../common/index.js';
import { isInstant } from '../common/wall-time.js';
import { GoogleApiError, invalid, notFound } from './errors.js';
import { edtMs, isObject, str, type Json, type Window } from './event-time.js';
import { listPage, type EventsPage, type ListParams } from './listing.js';
import { expandInstances, instanceId, instanceOf, occurrences, virtualInstance } from './series.js';
import { asReturned, exceptionsOf, type UserCalendar } from './user-calendar.js';

/** Google's client-supplied id rule: base32hex, 5–1024 characters (google-calendar.md §3). */
const ID_RE = /^[a-v0-9]{5,1024}$/;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
/** Fields the server owns: a client's value is ignored on insert/update/patch. */
const READ_ONLY = new Set([
  'kind',
  'etag',
  'id',
  'created',
  'updated',
  'htmlLink',
  'iCalUID',
  'creator',
  'organizer',
  'recurringEventId',
  'originalStartTime',
]);
const TIME_FIELDS = ['start', 'end', 'recurrence'] as const;

/**
 * `attendees` as the owner of `email`'s calendar sees them: `self` on their own entry only (a read-only field
 * Google computes per calendar, discovery `EventAttendee.self`).
 */
function attendeesSeenBy(attendees: unknown, email: string): unknown {
  if (!Array.isArray(attendees)) return attendees;
  return attendees.map((a: unknown) => {
    if (!isObject(a)) return a;
    const { self: _self, ...rest } = a;
    return str(a.email)?.toLowerCase() === email ? { ...rest, self: true } : rest;
  });
}

export class CalendarStore {
  readonly #clock: SimClock;
  readonly #random: () => number;
  readonly #onChange: (email: string) => void;
  readonly #calendars = new Map<string, UserCalendar>();
  #seq = 0;

  constructor(clock: SimClock, random: () => number, onChange: (email: string) => void) {
    this.#clock = clock;
    this.#random = random;
    this.#onChange = onChange;
  }

  /** Epochs are never reused, so a token from before a reset or reseed gets 410 rather than a wrong delta. */
  #epochs = 0;

  reset(): void {
    this.#calendars.clear();
  }

  addUser(email: string, timeZone: string): void {
    this.#calendars.set(email.toLowerCase(), {
      email: email.toLowerCase(),
      timeZone,
      events: new Map(),
      epoch: (this.#epochs += 1),
    });
  }

  calendar(email: string): UserCalendar | undefined {
    return this.#calendars.get(email.toLowerCase());
  }

  #cal(email: string): UserCalendar {
    const cal = this.calendar(email);
    if (cal === undefined) throw notFound();
    return cal;
  }

  /** Every stored event of a user (tombstones included), for tests. */
  events(email: string): Json[] {
    return [...(this.calendar(email)?.events.values() ?? [])].map((s) => structuredClone(s.ev));
  }

  invalidateSyncTokens(email: string): void {
    this.#cal(email).epoch = this.#epochs += 1;
  }

  #newId(): string {
    let id = '';
    for (let i = 0; i < 26; i += 1) id += BASE32HEX[Math.floor(this.#random() * 32)] ?? '0';
    return id;
  }

  /** Stores `ev` as a new version: etag, `updated` and the change counter move (google-calendar.md §3). */
  #write(cal: UserCalendar, ev: Json): Json {
    this.#seq += 1;
    const now = this.#clock.now();
    ev.etag = `"${now}${String(this.#seq).padStart(6, '0')}"`;
    ev.updated = new Date(now).toISOString();
    cal.events.set(String(ev.id), { ev, seq: this.#seq });
    this.#onChange(cal.email);
    return structuredClone(ev);
  }

  /**
   * A cancelled occurrence of series `masterId` stored as nothing but its stub, without an iCalUID: what an import
   * can leave (google-calendar.md §3 guarantees only `id`, `status`, `recurringEventId`, `originalStartTime`). An
   * `iCalUID` query cannot find it; only a listing (full or incremental) returns it.
   */
  importCancelledOccurrence(email: string, masterId: string, originalStart: string): Json {
    const cal = this.#cal(email);
    const master = cal.events.get(masterId)?.ev;
    if (master === undefined || !Array.isArray(master.recurrence)) throw notFound();
    const occurrence = occurrences(cal, master, { fromMs: null, toMs: null }, originalStart)[0];
    if (occurrence === undefined) throw invalid(`No occurrence of ${masterId} starts at ${originalStart}.`);
    const id = instanceId(masterId, originalStart);
    const stored = cal.events.get(id)?.ev;
    if (stored !== undefined && stored.status === 'cancelled')
      throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    const original = instanceOf(master, occurrence).originalStartTime;
    return asReturned(
      this.#write(cal, {
        kind: 'calendar#event',
        id,
        status: 'cancelled',
        recurringEventId: masterId,
        originalStartTime: original,
      }),
    );
  }

  touch(email: string, id: string): Json {
    const cal = this.#cal(email);
    const stored = cal.events.get(id);
    if (stored === undefined) throw notFound();
    return this.#write(cal, stored.ev);
  }

  // ---- reads ----------------------------------------------------------------------------------------------------

  /** A stored event, or an occurrence of a stored series computed on the fly (google-calendar.md §3). */
  get(email: string, id: string): Json {
    const cal = this.#cal(email);
    const stored = cal.events.get(id);
    if (stored !== undefined) return asReturned(structuredClone(stored.ev));
    const virtual = virtualInstance(cal, id);
    if (virtual === null) throw notFound();
    return virtual;
  }

  /** events.instances: the instances of a series inside a window, exceptions applied (google-calendar.md §1). */
  instances(email: string, id: string, w: Window, showDeleted: boolean): Json[] {
    const cal = this.#cal(email);
    const master = cal.events.get(id)?.ev;
    if (master === undefined) throw notFound();
    if (!Array.isArray(master.recurrence))
      throw new GoogleApiError(400, 'notRecurringEvent', 'Not a recurring event');
    if (master.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    return expandInstances(cal, master, w, showDeleted).map(asReturned);
  }

  /** events.list: one page, full or incremental (google-calendar.md §1, listing.ts). */
  list(email: string, p: ListParams): EventsPage {
    return listPage(this.#cal(email), p, this.#seq);
  }

  // ---- writes ---------------------------------------------------------------------------------------------------

  /** Rejects what Google rejects about times (google-calendar.md §3): missing, empty range, zone-less recurrence. */
  #validateTimes(cal: UserCalendar, ev: Json): void {
    if (ev.status === 'cancelled') return;
    if (!isObject(ev.start)) throw new GoogleApiError(400, 'required', 'Missing start time.');
    if (!isObject(ev.end)) throw new GoogleApiError(400, 'required', 'Missing end time.');
    for (const side of ['start', 'end'] as const) {
      const edt = ev[side] as Json;
      const dt = str(edt.dateTime);
      if (dt !== undefined && !isInstant(dt) && edt.timeZone === undefined)
        throw new GoogleApiError(400, 'required', `Missing time zone definition for ${side} time.`);
      if (edtMs(edt, cal.timeZone) === null) throw invalid(`Invalid ${side} time.`);
    }
    const s = edtMs(ev.start, cal.timeZone) ?? 0;
    const e = edtMs(ev.end, cal.timeZone) ?? 0;
    if (e < s) throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
    if (
      Array.isArray(ev.recurrence) &&
      typeof ev.start.dateTime === 'string' &&
      ev.start.timeZone === undefined
    )
      throw new GoogleApiError(400, 'required', 'Missing time zone definition for start time.');
  }

  #checkIfMatch(stored: Json, ifMatch: string | null): void {
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== stored.etag)
      throw new GoogleApiError(412, 'conditionNotMet', 'Precondition Failed', 'global');
  }

  /** events.insert (and seeding, act create). An instance id of a stored series writes its exception (§3). */
  insert(email: string, body: Json): Json {
    const cal = this.#cal(email);
    const requested = str(body.id);
    if (requested !== undefined) {
      if (cal.events.has(requested))
        throw new GoogleApiError(409, 'duplicate', 'The requested identifier already exists.');
      if (virtualInstance(cal, requested) !== null) return this.update(email, requested, body, null, 'patch');
      if (!ID_RE.test(requested)) throw invalid('Invalid resource id value.');
    }
    const id = requested ?? this.#newId();
    const now = new Date(this.#clock.now()).toISOString();
    const ev: Json = { kind: 'calendar#event', id, status: 'confirmed' };
    for (const [k, v] of Object.entries(body))
      if (!READ_ONLY.has(k) && v !== null) ev[k] = structuredClone(v);
    ev.status = str(body.status) ?? 'confirmed';
    ev.created = now;
    ev.iCalUID = str(body.iCalUID) ?? `${id}@google.com`;
    ev.sequence = typeof body.sequence === 'number' ? body.sequence : 0;
    ev.eventType = str(body.eventType) ?? 'default';
    ev.creator = { email: cal.email, self: true };
    ev.organizer = { email: cal.email, self: true };
    if (ev.attendees !== undefined) ev.attendees = attendeesSeenBy(ev.attendees, cal.email);
    ev.htmlLink = `https://www.google.com/calendar/event?eid=${Buffer.from(`${id} ${cal.email}`).toString('base64url')}`;
    ev.reminders ??= { useDefault: true };
    this.#validateTimes(cal, ev);
    const written = this.#write(cal, ev);
    this.#propagate(cal, written);
    return written;
  }

  /**
   * events.update (`put`: the body replaces every writable field) and events.patch (`patch`: given fields only,
   * `extendedProperties.*` merged per key, null deletes, google-calendar.md §3). `If-Match` → 412 when stale.
   */
  update(email: string, id: string, body: Json, ifMatch: string | null, mode: 'put' | 'patch'): Json {
    const cal = this.#cal(email);
    const current = cal.events.get(id)?.ev ?? virtualInstance(cal, id);
    if (current === null) throw notFound();
    this.#checkIfMatch(current, ifMatch);
    if (body.id !== undefined && body.id !== id) throw invalid('Invalid value for: id');
    if (body.eventType !== undefined && body.eventType !== (current.eventType ?? 'default'))
      throw invalid('Event type cannot be changed.');
    const next: Json = structuredClone(current);
    if (mode === 'put')
      for (const k of Object.keys(next))
        if (!READ_ONLY.has(k) && k !== 'eventType' && k !== 'sequence') Reflect.deleteProperty(next, k);
    for (const [k, v] of Object.entries(body)) {
      if (READ_ONLY.has(k)) continue;
      if (k === 'extendedProperties' && mode === 'patch' && isObject(v)) {
        next.extendedProperties = mergeExtended(current.extendedProperties, v);
        continue;
      }
      if (v === null) Reflect.deleteProperty(next, k);
      else next[k] = structuredClone(v);
    }
    // A PUT without status means confirmed; a patch keeps the status unless it sets one (restores when confirmed).
    next.status = str(body.status) ?? (mode === 'put' ? 'confirmed' : current.status);
    if (next.recurringEventId !== undefined) delete next.recurrence;
    if (next.attendees !== undefined) next.attendees = attendeesSeenBy(next.attendees, cal.email);
    // An occurrence stored without an iCalUID (an imported stub) takes its series' once it is live again.
    const seriesId = str(next.recurringEventId);
    if (seriesId !== undefined && next.iCalUID === undefined && next.status !== 'cancelled') {
      const master = cal.events.get(seriesId)?.ev;
      if (typeof master?.iCalUID === 'string') next.iCalUID = master.iCalUID;
    }
    if (TIME_FIELDS.some((f) => JSON.stringify(current[f]) !== JSON.stringify(next[f])))
      next.sequence = (typeof current.sequence === 'number' ? current.sequence : 0) + 1;
    this.#validateTimes(cal, next);
    const written = this.#write(cal, next);
    this.#propagate(cal, written);
    return written;
  }

  /** events.delete: a tombstone (`status: cancelled`); already deleted → 410 `deleted` (google-calendar.md §4). */
  remove(email: string, id: string, ifMatch: string | null, everyCopy = true): void {
    const cal = this.#cal(email);
    const stored = cal.events.get(id)?.ev ?? virtualInstance(cal, id);
    if (stored === null) throw notFound();
    if (stored.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    this.#checkIfMatch(stored, ifMatch);
    this.#cancel(cal, stored);
    if (everyCopy && isOrganiser(cal, stored))
      for (const copy of this.#copies(cal, stored)) {
        const theirs = copy.events.get(id)?.ev ?? virtualInstance(copy, id);
        if (theirs !== null && theirs.status !== 'cancelled') this.#cancel(copy, theirs);
      }
  }

  #cancel(cal: UserCalendar, ev: Json): void {
    ev.status = 'cancelled';
    this.#write(cal, ev);
    // Deleting a series deletes its exceptions with it.
    if (Array.isArray(ev.recurrence))
      for (const ex of exceptionsOf(cal, String(ev.id)))
        if (ex.status !== 'cancelled') {
          ex.status = 'cancelled';
          this.#write(cal, ex);
        }
  }

  /** Calendars of the other domain users among the attendees (a shared meeting has one copy each). */
  #copies(cal: UserCalendar, ev: Json): UserCalendar[] {
    const attendees = Array.isArray(ev.attendees) ? ev.attendees : [];
    const out: UserCalendar[] = [];
    for (const a of attendees) {
      const email = isObject(a) ? str(a.email)?.toLowerCase() : undefined;
      const other = email === undefined || email === cal.email ? undefined : this.calendar(email);
      if (other !== undefined && !out.includes(other)) out.push(other);
    }
    return out;
  }

  /**
   * An organiser's write reaches every attendee's copy: same id and iCalUID, their own `extendedProperties.private`
   * (stored per copy, google-calendar.md §3) and their own `self` flags.
   */
  #propagate(cal: UserCalendar, ev: Json): void {
    if (!isOrganiser(cal, ev)) return;
    for (const other of this.#copies(cal, ev)) {
      const existing = other.events.get(String(ev.id))?.ev;
      const copy = structuredClone(ev);
      const ext = isObject(copy.extendedProperties) ? copy.extendedProperties : {};
      const theirs = isObject(existing?.extendedProperties) ? existing.extendedProperties.private : undefined;
      copy.extendedProperties = {
        ...(isObject(ext.shared) ? { shared: ext.shared } : {}),
        ...(isObject(theirs) ? { private: theirs } : {}),
      };
      if (Object.keys(copy.extendedProperties as Json).length === 0) delete copy.extendedProperties;
      copy.organizer = { email: cal.email };
      copy.creator = { email: cal.email };
      copy.attendees = attendeesSeenBy(Array.isArray(ev.attendees) ? ev.attendees : [], other.email);
      if (existing !== undefined) copy.created = existing.created;
      this.#write(other, copy);
    }
  }
}

function isOrganiser(cal: UserCalendar, ev: Json): boolean {
  return isObject(ev.organizer) && str(ev.organizer.email)?.toLowerCase() === cal.email;
}

function mergeExtended(current: unknown, patch: Json): Json {
  const out: Json = isObject(current) ? structuredClone(current) : {};
  for (const scope of ['private', 'shared'] as const) {
    const changes = patch[scope];
    if (!isObject(changes)) continue;
    const map: Json = isObject(out[scope]) ? out[scope] : {};
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) Reflect.deleteProperty(map, k);
      else map[k] = v;
    }
    out[scope] = map;
  }
  return out;
}

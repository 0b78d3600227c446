/**
 * The events of every user's primary calendar, with Google's write rules (google-calendar.md §3), sync tokens and
 * paging (§1) and recurring series as masters plus exceptions (§1, §3). Pure state: no HTTP, time from the clock.
 *
 * Every write gets the next value of one global change counter; a sync token remembers the counter value at the
 * start of the full listing that produced it, so an incremental listing returns exactly the events written after it
 * (including deletions, which are kept as `status: cancelled` tombstones).
 */
import { canonicalInstant, isDate, isInstant, type Timing } from '../../../shared/domain/timing.js';
import {
  expandOccurrences,
  instanceId,
  parseGoogleRecurrence,
  parseInstanceId,
  type Occurrence,
} from '../../../shared/sync/recurrence/index.js';
import { instantString, wallToInstant } from '../../../shared/sync/recurrence/wall-time.js';
import type { SimClock } from '../common/index.js';
import { GoogleApiError, invalid, notFound } from './errors.js';

export type Json = Record<string, unknown>;

interface Stored {
  ev: Json;
  /** Change counter value of the last write. */
  seq: number;
}

export interface UserCalendar {
  readonly email: string;
  readonly timeZone: string;
  readonly events: Map<string, Stored>;
  /** Bumped by `invalidateSyncTokens`: tokens of an older epoch get 410 (google-calendar.md §1). */
  epoch: number;
}

/** Google's client-supplied id rule: base32hex, 5–1024 characters (google-calendar.md §3). */
const ID_RE = /^[a-v0-9]{5,1024}$/;
const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';
/** `maxResults` default and ceiling of events.list (google-calendar.md §1). */
export const DEFAULT_MAX_RESULTS = 250;
export const MAX_MAX_RESULTS = 2500;
/** Bounds of an unbounded expansion (singleEvents=true without a window). */
const FAR_PAST = Date.UTC(1970, 0, 1);
const FAR_FUTURE = Date.UTC(2100, 0, 1);
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
 * All a cancelled exception of a series is returned with: Google guarantees only `id`, `status`, `recurringEventId`
 * and `originalStartTime` (google-calendar.md §3). It is stored whole (a restore brings its fields back).
 */
const CANCELLED_OCCURRENCE_FIELDS = [
  'kind',
  'etag',
  'id',
  'status',
  'recurringEventId',
  'originalStartTime',
] as const;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A stored event as the API returns it: a cancelled occurrence of a series as its bare stub. */
export function asReturned(ev: Json): Json {
  if (ev.status !== 'cancelled' || ev.recurringEventId === undefined) return ev;
  const stub: Json = {};
  for (const field of CANCELLED_OCCURRENCE_FIELDS) if (ev[field] !== undefined) stub[field] = ev[field];
  return stub;
}

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

/** An `EventDateTime` as an instant; all-day dates count from UTC midnight, as shared/domain/timing.ts does. */
export function edtMs(edt: unknown, zone: string): number | null {
  if (!isObject(edt)) return null;
  const date = str(edt.date);
  if (date !== undefined) return isDate(date) ? Date.parse(`${date}T00:00:00Z`) : null;
  const dt = str(edt.dateTime);
  if (dt === undefined) return null;
  if (isInstant(dt)) return Date.parse(dt);
  const wall = Date.parse(`${dt}Z`);
  if (Number.isNaN(wall)) return null;
  return wallToInstant(wall, str(edt.timeZone) ?? zone);
}

/** The canonical original start of an occurrence (date or UTC instant), the key exceptions are matched on. */
function originalKey(edt: unknown, zone: string): string | null {
  if (isObject(edt) && typeof edt.date === 'string') return edt.date;
  const ms = edtMs(edt, zone);
  return ms === null ? null : canonicalInstant(new Date(ms).toISOString());
}

function timingOf(ev: Json, zone: string): Timing | null {
  const start = ev.start;
  const end = ev.end;
  if (isObject(start) && typeof start.date === 'string' && isObject(end) && typeof end.date === 'string')
    return { kind: 'allDay', startDate: start.date, endDate: end.date };
  const s = edtMs(start, zone);
  const e = edtMs(end, zone);
  if (s === null || e === null) return null;
  return {
    kind: 'timed',
    start: instantString(s),
    end: instantString(e),
    timeZone: (isObject(start) ? str(start.timeZone) : undefined) ?? zone,
  };
}

function edtOf(timing: Timing, side: 'start' | 'end'): Json {
  if (timing.kind === 'allDay') return { date: side === 'start' ? timing.startDate : timing.endDate };
  return { dateTime: side === 'start' ? timing.start : timing.end, timeZone: timing.timeZone };
}

export interface Window {
  readonly fromMs: number | null;
  readonly toMs: number | null;
}

function overlaps(startMs: number, endMs: number, w: Window): boolean {
  if (w.toMs !== null && startMs >= w.toMs) return false;
  if (w.fromMs !== null && !(endMs > w.fromMs || (endMs === startMs && startMs >= w.fromMs))) return false;
  return true;
}

export interface ListParams {
  readonly syncToken: string | null;
  readonly pageToken: string | null;
  readonly maxResults: number;
  readonly window: Window;
  readonly showDeleted: boolean;
  readonly singleEvents: boolean;
  readonly orderBy: 'startTime' | 'updated' | null;
  readonly q: string | null;
  readonly iCalUID: string | null;
  readonly updatedMin: number | null;
  readonly privateProps: readonly [string, string][];
  readonly sharedProps: readonly [string, string][];
  readonly eventTypes: readonly string[];
}

interface SyncTokenState {
  readonly c: string;
  readonly s: number;
  readonly e: number;
}
interface PageTokenState {
  /** Sort key of the last item of the previous page. */
  readonly k: string;
  /** Change counter at the first page: the next sync token's position. */
  readonly s: number;
}

const encode = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode(token: string): Json | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
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
    const occurrence = this.#occurrences(cal, master, { fromMs: null, toMs: null }, originalStart)[0];
    if (occurrence === undefined) throw invalid(`No occurrence of ${masterId} starts at ${originalStart}.`);
    const id = instanceId(masterId, originalStart);
    const stored = cal.events.get(id)?.ev;
    if (stored !== undefined && stored.status === 'cancelled')
      throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    const original = this.#instanceOf(master, occurrence).originalStartTime;
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
    const virtual = this.#virtualInstance(cal, id);
    if (virtual === null) throw notFound();
    return virtual;
  }

  #virtualInstance(cal: UserCalendar, id: string): Json | null {
    const parsed = parseInstanceId(id);
    if (parsed === null) return null;
    const master = cal.events.get(parsed.masterId)?.ev;
    if (master === undefined || !Array.isArray(master.recurrence) || master.status === 'cancelled')
      return null;
    const occ = this.#occurrences(cal, master, { fromMs: null, toMs: null }, parsed.originalStart);
    const hit = occ.find((o) => o.originalStart === parsed.originalStart);
    return hit === undefined ? null : this.#instanceOf(master, hit);
  }

  /** Occurrences of a master by its rule alone (exceptions are separate events). */
  #occurrences(cal: UserCalendar, master: Json, w: Window, near?: string): Occurrence[] {
    const timing = timingOf(master, cal.timeZone);
    const lines = Array.isArray(master.recurrence)
      ? master.recurrence.filter((l) => typeof l === 'string')
      : [];
    if (timing === null || lines.length === 0) return [];
    let fromMs = w.fromMs ?? FAR_PAST;
    let toMs = w.toMs ?? FAR_FUTURE;
    if (near !== undefined) {
      // Looking up one occurrence: a small window around it keeps the expansion short.
      const at = isDate(near) ? Date.parse(`${near}T00:00:00Z`) : Date.parse(near);
      fromMs = at - 1;
      toMs = at + 1;
    }
    const { pattern, exdates } = parseGoogleRecurrence(lines, timing);
    return expandOccurrences(
      {
        title: '',
        notes: '',
        location: '',
        timing,
        recurrence: { pattern, exdates, overrides: [] },
        isPrivate: false,
      },
      { fromMs, toMs },
      { maxOccurrences: MAX_MAX_RESULTS * 2 },
    ).filter((o) => near === undefined || o.originalStart === near);
  }

  #instanceOf(master: Json, occ: Occurrence): Json {
    const ev = structuredClone(master);
    delete ev.recurrence;
    ev.id = instanceId(String(master.id), occ.originalStart);
    ev.recurringEventId = master.id;
    ev.start = edtOf(occ.timing, 'start');
    ev.end = edtOf(occ.timing, 'end');
    ev.originalStartTime = isDate(occ.originalStart)
      ? { date: occ.originalStart }
      : {
          dateTime: occ.originalStart,
          timeZone: occ.timing.kind === 'timed' ? occ.timing.timeZone : undefined,
        };
    return ev;
  }

  #exceptionsOf(cal: UserCalendar, masterId: string): Json[] {
    return [...cal.events.values()].map((s) => s.ev).filter((ev) => ev.recurringEventId === masterId);
  }

  /** The instances of a series inside a window, exceptions applied (events.instances). */
  #expand(cal: UserCalendar, master: Json, w: Window, showDeleted: boolean): Json[] {
    const exceptions = new Map<string, Json>();
    for (const ex of this.#exceptionsOf(cal, String(master.id))) {
      const key = originalKey(ex.originalStartTime, cal.timeZone);
      if (key !== null) exceptions.set(key, ex);
    }
    const out: Json[] = [];
    for (const occ of this.#occurrences(cal, master, w)) {
      if (!exceptions.has(occ.originalStart)) out.push(this.#instanceOf(master, occ));
    }
    for (const ex of exceptions.values()) {
      if (ex.status === 'cancelled') {
        if (!showDeleted) continue;
        const at = edtMs(ex.originalStartTime, cal.timeZone);
        if (at !== null && overlaps(at, at, w)) out.push(structuredClone(ex));
        continue;
      }
      const s = edtMs(ex.start, cal.timeZone);
      const e = edtMs(ex.end, cal.timeZone);
      if (s !== null && e !== null && overlaps(s, e, w)) out.push(structuredClone(ex));
    }
    return out.sort((a, b) => this.#startMs(cal, a) - this.#startMs(cal, b));
  }

  #startMs(cal: UserCalendar, ev: Json): number {
    return edtMs(ev.start, cal.timeZone) ?? edtMs(ev.originalStartTime, cal.timeZone) ?? 0;
  }

  instances(email: string, id: string, w: Window, showDeleted: boolean): Json[] {
    const cal = this.#cal(email);
    const master = cal.events.get(id)?.ev;
    if (master === undefined) throw notFound();
    if (!Array.isArray(master.recurrence))
      throw new GoogleApiError(400, 'notRecurringEvent', 'Not a recurring event');
    if (master.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    return this.#expand(cal, master, w, showDeleted).map(asReturned);
  }

  /** events.list: one page, full or incremental (google-calendar.md §1). */
  list(email: string, p: ListParams): { items: Json[]; nextPageToken?: string; nextSyncToken?: string } {
    const cal = this.#cal(email);
    let since: number | null = null;
    if (p.syncToken !== null) {
      const t = decode(p.syncToken);
      if (t === null || typeof t.s !== 'number' || typeof t.e !== 'number' || typeof t.c !== 'string')
        throw invalid('Invalid sync token value.');
      const token = t as unknown as SyncTokenState;
      if (token.c !== cal.email || token.e !== cal.epoch)
        throw new GoogleApiError(
          410,
          'fullSyncRequired',
          'Sync token is no longer valid, a full sync is required.',
        );
      since = token.s;
    }
    let snapshot = this.#seq;
    let after: string | null = null;
    if (p.pageToken !== null) {
      const t = decode(p.pageToken);
      if (t === null || typeof t.k !== 'string' || typeof t.s !== 'number')
        throw invalid('Invalid page token value.');
      const page = t as unknown as PageTokenState;
      after = page.k;
      snapshot = page.s;
    }
    const items = this.#matching(cal, p, since);
    const keyed = items
      .map((ev) => ({ ev, key: this.#sortKey(cal, ev, p.orderBy) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rest = after === null ? keyed : keyed.filter((k) => k.key > after);
    const page = rest.slice(0, p.maxResults);
    const last = page[page.length - 1];
    // Filters and order apply to what is stored (an iCalUID query matches the server's iCalUID, not the stub's).
    const returned = page.map((k) => asReturned(k.ev));
    if (rest.length > page.length && last !== undefined)
      return { items: returned, nextPageToken: encode({ k: last.key, s: snapshot }) };
    // Only the last page carries nextSyncToken (google-calendar.md §1).
    return {
      items: returned,
      nextSyncToken: encode({ c: cal.email, s: snapshot, e: cal.epoch }),
    };
  }

  #sortKey(cal: UserCalendar, ev: Json, orderBy: ListParams['orderBy']): string {
    const id = String(ev.id);
    if (orderBy === 'updated') return `${String(ev.updated)}|${id}`;
    if (orderBy === 'startTime') return `${new Date(this.#startMs(cal, ev)).toISOString()}|${id}`;
    return id;
  }

  #matching(cal: UserCalendar, p: ListParams, since: number | null): Json[] {
    const incremental = since !== null;
    const stored = [...cal.events.values()].filter((s) => since === null || s.seq > since);
    const out: Json[] = [];
    for (const { ev } of stored) {
      const cancelled = ev.status === 'cancelled';
      const isMaster = Array.isArray(ev.recurrence);
      if (p.singleEvents && isMaster) {
        if (cancelled) {
          // A deleted series: its tombstone, so the client learns of the deletion (incremental) or asked for it.
          if (incremental) out.push(structuredClone(ev));
          continue;
        }
        const w = incremental ? { fromMs: null, toMs: null } : p.window;
        out.push(
          ...this.#expand(cal, ev, w, p.showDeleted || incremental).filter(
            (i) => i.recurringEventId !== undefined && !cal.events.has(String(i.id)),
          ),
        );
        continue;
      }
      if (cancelled && !incremental && !p.showDeleted) {
        // Cancelled instances of a live series still show when showDeleted and singleEvents are both false (§1).
        const masterId = str(ev.recurringEventId);
        const master = masterId === undefined ? undefined : cal.events.get(masterId)?.ev;
        if (p.singleEvents || master === undefined || master.status === 'cancelled') continue;
      }
      if (!incremental && !this.#inWindow(cal, ev, p.window)) continue;
      out.push(structuredClone(ev));
    }
    return out.filter((ev) => this.#filters(ev, p));
  }

  #inWindow(cal: UserCalendar, ev: Json, w: Window): boolean {
    if (w.fromMs === null && w.toMs === null) return true;
    if (Array.isArray(ev.recurrence)) {
      if (this.#occurrences(cal, ev, w).length > 0) return true;
      return this.#exceptionsOf(cal, String(ev.id)).some((ex) => this.#inWindow(cal, ex, w));
    }
    if (ev.status === 'cancelled' && ev.recurringEventId !== undefined) {
      const at = edtMs(ev.originalStartTime, cal.timeZone);
      return at !== null && overlaps(at, at, w);
    }
    const s = edtMs(ev.start, cal.timeZone);
    const e = edtMs(ev.end, cal.timeZone);
    return s !== null && e !== null && overlaps(s, e, w);
  }

  #filters(ev: Json, p: ListParams): boolean {
    if (p.iCalUID !== null && ev.iCalUID !== p.iCalUID) return false;
    if (p.updatedMin !== null && Date.parse(String(ev.updated)) < p.updatedMin) return false;
    if (p.eventTypes.length > 0 && !p.eventTypes.includes(str(ev.eventType) ?? 'default')) return false;
    if (p.q !== null) {
      const q = p.q.toLowerCase();
      const text = [ev.summary, ev.description, ev.location]
        .map((v) => str(v) ?? '')
        .join('\n')
        .toLowerCase();
      if (!text.includes(q)) return false;
    }
    const ext = isObject(ev.extendedProperties) ? ev.extendedProperties : {};
    const priv = isObject(ext.private) ? ext.private : {};
    const shared = isObject(ext.shared) ? ext.shared : {};
    if (!p.privateProps.every(([k, v]) => priv[k] === v)) return false;
    if (!p.sharedProps.every(([k, v]) => shared[k] === v)) return false;
    return true;
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
      if (this.#virtualInstance(cal, requested) !== null)
        return this.update(email, requested, body, null, 'patch');
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
    const current = cal.events.get(id)?.ev ?? this.#virtualInstance(cal, id);
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
    const stored = cal.events.get(id)?.ev ?? this.#virtualInstance(cal, id);
    if (stored === null) throw notFound();
    if (stored.status === 'cancelled') throw new GoogleApiError(410, 'deleted', 'Resource has been deleted');
    this.#checkIfMatch(stored, ifMatch);
    this.#cancel(cal, stored);
    if (everyCopy && isOrganiser(cal, stored))
      for (const copy of this.#copies(cal, stored)) {
        const theirs = copy.events.get(id)?.ev ?? this.#virtualInstance(copy, id);
        if (theirs !== null && theirs.status !== 'cancelled') this.#cancel(copy, theirs);
      }
  }

  #cancel(cal: UserCalendar, ev: Json): void {
    ev.status = 'cancelled';
    this.#write(cal, ev);
    // Deleting a series deletes its exceptions with it.
    if (Array.isArray(ev.recurrence))
      for (const ex of this.#exceptionsOf(cal, String(ev.id)))
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

/**
 * Recurring series in the calendar simulator (google-calendar.md §1, §3): a master holds `recurrence[]`, its
 * occurrences are computed on the fly with the simulator's own expander (common/recurrence.ts), and exceptions are
 * separate events whose `recurringEventId` is the master and whose `originalStartTime` names the occurrence.
 * Instance ids are Google's: `<masterId>_<YYYYMMDDTHHMMSSZ>` (timed) or `<masterId>_<YYYYMMDD>` (all-day).
 */
import { expandSeries, type SimOccurrence } from '../common/recurrence.js';
import { basicDateTime, instantString, isDate, isInstant } from '../common/wall-time.js';
import { edtMs, edtOf, originalKey, overlaps, timingOf, type Json, type Window } from './event-time.js';
import { exceptionsOf, type UserCalendar } from './user-calendar.js';

/** Bounds of an unbounded expansion (singleEvents=true without a window). */
const FAR_PAST = Date.UTC(1970, 0, 1);
const FAR_FUTURE = Date.UTC(2100, 0, 1);
/** Occurrences one expansion returns at most: twice the largest page of events.list (2500, §1). */
const MAX_OCCURRENCES = 5_000;

/** Google's id of the instance of series `masterId` that originally starts at `originalStart` (date or instant). */
export function instanceId(masterId: string, originalStart: string): string {
  if (isDate(originalStart)) return `${masterId}_${originalStart.replaceAll('-', '')}`;
  if (!isInstant(originalStart))
    throw new RangeError(`not an original start: ${JSON.stringify(originalStart)}`);
  return `${masterId}_${basicDateTime(Date.parse(originalStart))}Z`;
}

/** The master id and original start (date or canonical instant) of an instance id, or null. */
export function parseInstanceId(id: string): { masterId: string; originalStart: string } | null {
  const m = /^(.+)_(\d{8})(?:T(\d{6})Z)?$/.exec(id);
  const masterId = m?.[1];
  const day = m?.[2];
  if (masterId === undefined || day === undefined) return null;
  const date = `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
  if (!isDate(date)) return null;
  const time = m?.[3];
  if (time === undefined) return { masterId, originalStart: date };
  const [h, mi, s] = [time.slice(0, 2), time.slice(2, 4), time.slice(4, 6)];
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return { masterId, originalStart: instantString(Date.parse(`${date}T${h}:${mi}:${s}Z`)) };
}

/** Occurrences of a master by its rule alone (exceptions are separate events); `near` looks up one original start. */
export function occurrences(cal: UserCalendar, master: Json, w: Window, near?: string): SimOccurrence[] {
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
  return expandSeries(lines, timing, { fromMs, toMs }, MAX_OCCURRENCES).filter(
    (o) => near === undefined || o.originalStart === near,
  );
}

/** One occurrence as an event: the master's fields, the occurrence's times, Google's instance id. */
export function instanceOf(master: Json, occ: SimOccurrence): Json {
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

/** An occurrence of a stored, live series that is not stored itself (events.get on an instance id), or null. */
export function virtualInstance(cal: UserCalendar, id: string): Json | null {
  const parsed = parseInstanceId(id);
  if (parsed === null) return null;
  const master = cal.events.get(parsed.masterId)?.ev;
  if (master === undefined || !Array.isArray(master.recurrence) || master.status === 'cancelled') return null;
  const occ = occurrences(cal, master, { fromMs: null, toMs: null }, parsed.originalStart);
  const hit = occ.find((o) => o.originalStart === parsed.originalStart);
  return hit === undefined ? null : instanceOf(master, hit);
}

export function startMsOf(cal: UserCalendar, ev: Json): number {
  return edtMs(ev.start, cal.timeZone) ?? edtMs(ev.originalStartTime, cal.timeZone) ?? 0;
}

/** The instances of a series inside a window, exceptions applied (events.instances). */
export function expandInstances(cal: UserCalendar, master: Json, w: Window, showDeleted: boolean): Json[] {
  const exceptions = new Map<string, Json>();
  for (const ex of exceptionsOf(cal, String(master.id))) {
    const key = originalKey(ex.originalStartTime, cal.timeZone);
    if (key !== null) exceptions.set(key, ex);
  }
  const out: Json[] = [];
  for (const occ of occurrences(cal, master, w)) {
    if (!exceptions.has(occ.originalStart)) out.push(instanceOf(master, occ));
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
  return out.sort((a, b) => startMsOf(cal, a) - startMsOf(cal, b));
}

/** Whether an event (a series: any occurrence or exception) overlaps the window. */
export function inWindow(cal: UserCalendar, ev: Json, w: Window): boolean {
  if (w.fromMs === null && w.toMs === null) return true;
  if (Array.isArray(ev.recurrence)) {
    if (occurrences(cal, ev, w).length > 0) return true;
    return exceptionsOf(cal, String(ev.id)).some((ex) => inWindow(cal, ex, w));
  }
  if (ev.status === 'cancelled' && ev.recurringEventId !== undefined) {
    const at = edtMs(ev.originalStartTime, cal.timeZone);
    return at !== null && overlaps(at, at, w);
  }
  const s = edtMs(ev.start, cal.timeZone);
  const e = edtMs(ev.end, cal.timeZone);
  return s !== null && e !== null && overlaps(s, e, w);
}

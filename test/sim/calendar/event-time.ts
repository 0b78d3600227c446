/**
 * Event times as the calendar simulator reads them (google-calendar.md §3): an `EventDateTime` (`date`, or
 * `dateTime` with an offset or a `timeZone`) as an instant, an occurrence's original-start key, and window overlap.
 */
import type { SimTiming } from '../common/recurrence.js';
import { instantString, isDate, isInstant, wallToInstant } from '../common/wall-time.js';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** A time window of a listing (`timeMin`/`timeMax`); null = unbounded on that side. */
export interface Window {
  readonly fromMs: number | null;
  readonly toMs: number | null;
}

/** An `EventDateTime` as an instant; all-day dates count from UTC midnight. */
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
export function originalKey(edt: unknown, zone: string): string | null {
  if (isObject(edt) && typeof edt.date === 'string') return edt.date;
  const ms = edtMs(edt, zone);
  return ms === null ? null : instantString(ms);
}

/** A series' first occurrence from its `start`/`end`; a timed one lives in `start.timeZone` or the calendar's zone. */
export function timingOf(ev: Json, zone: string): SimTiming | null {
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

export function edtOf(timing: SimTiming, side: 'start' | 'end'): Json {
  if (timing.kind === 'allDay') return { date: side === 'start' ? timing.startDate : timing.endDate };
  return { dateTime: side === 'start' ? timing.start : timing.end, timeZone: timing.timeZone };
}

export function overlaps(startMs: number, endMs: number, w: Window): boolean {
  if (w.toMs !== null && startMs >= w.toMs) return false;
  if (w.fromMs !== null && !(endMs > w.fromMs || (endMs === startMs && startMs >= w.fromMs))) return false;
  return true;
}

/**
 * When an entry happens. Both APIs map into exactly one of two shapes:
 * - timed: two UTC instants plus the IANA zone the entry "lives in" (Google `start.timeZone`, or the user's Severa
 *   timezone for Severa activities, which carry only offsets: reference/severa-api.md §5);
 * - all-day: calendar dates with an **exclusive** end, the way Google stores them (reference/google-calendar.md §3).
 *   Severa stores all-day entries as local midnights in the user's timezone (severa-api.md §12); the mapper converts.
 */
export type Timing = TimedTiming | AllDayTiming;

export interface TimedTiming {
  readonly kind: 'timed';
  /** Canonical UTC instant, `YYYY-MM-DDTHH:mm:ssZ` (see {@link canonicalInstant}). */
  readonly start: string;
  /** Canonical UTC instant; never before `start`. */
  readonly end: string;
  /** IANA zone name, e.g. `Europe/Helsinki`. Meaningful for recurrence expansion and display. */
  readonly timeZone: string;
}

export interface AllDayTiming {
  readonly kind: 'allDay';
  /** `YYYY-MM-DD`, first day. */
  readonly startDate: string;
  /** `YYYY-MM-DD`, the day after the last day (exclusive), always after `startDate`. */
  readonly endDate: string;
}

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** True for an RFC 3339 date-time with an explicit offset. */
export function isInstant(value: string): boolean {
  return INSTANT_RE.test(value) && !Number.isNaN(Date.parse(value));
}

/** True for a `YYYY-MM-DD` calendar date that exists. */
export function isDate(value: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/**
 * One spelling per instant: UTC, second precision. `2026-05-04T09:00:00+03:00`, `2026-05-04T06:00:00.000Z` and
 * `2026-05-04T06:00Z` all become `2026-05-04T06:00:00Z`. Both APIs work at second precision.
 */
export function canonicalInstant(value: string): string {
  if (!isInstant(value))
    throw new RangeError(`not an RFC 3339 date-time with offset: ${JSON.stringify(value)}`);
  const ms = Date.parse(value);
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Milliseconds since the epoch of a canonical (or any RFC 3339) instant. */
export function instantMs(value: string): number {
  return Date.parse(value);
}

/** Adds whole days to a `YYYY-MM-DD` date (calendar arithmetic, no zone involved). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * The instant an entry ends, for window rules such as "ended more than 30 days ago" (S6). All-day entries end at
 * the start of their exclusive end date in `timeZone` (callers pass the user's zone); UTC is a safe fallback since
 * the 30-day rule is not sensitive to a few hours.
 */
export function timingEndMs(timing: Timing, offsetMinutesAt: (date: string) => number = () => 0): number {
  if (timing.kind === 'timed') return instantMs(timing.end);
  return Date.parse(`${timing.endDate}T00:00:00Z`) - offsetMinutesAt(timing.endDate) * 60_000;
}

/** The instant an entry starts (all-day: midnight UTC of the start date unless an offset function is given). */
export function timingStartMs(timing: Timing, offsetMinutesAt: (date: string) => number = () => 0): number {
  if (timing.kind === 'timed') return instantMs(timing.start);
  return Date.parse(`${timing.startDate}T00:00:00Z`) - offsetMinutesAt(timing.startDate) * 60_000;
}

/** The same timing, field by field (not by spelling: two objects built in a different key order are equal). */
export function sameTiming(a: Timing, b: Timing): boolean {
  if (a.kind === 'timed' && b.kind === 'timed')
    return a.start === b.start && a.end === b.end && a.timeZone === b.timeZone;
  if (a.kind === 'allDay' && b.kind === 'allDay')
    return a.startDate === b.startDate && a.endDate === b.endDate;
  return false;
}

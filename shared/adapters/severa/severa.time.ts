/**
 * Severa's times ⇄ the core's timings, with luxon: activities carry offsets but no zone, so the owner's zone
 * (`UserOutputModel.timezone`) places them (reference/severa-api.md §5). Pure: no I/O, no clock.
 */
import { DateTime, Info } from 'luxon';

import { addDays, canonicalInstant, type AllDayTiming, type Timing } from '../../domain/timing.js';
import type { ActivityExceptionFields, ActivityModel } from './severa.wire.js';

const OFFSET_FORMAT = "yyyy-MM-dd'T'HH:mm:ssZZ";
const UTC_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'";

export function assertZone(zone: string): void {
  if (!Info.isValidIANAZone(zone)) throw new RangeError(`not an IANA time zone: ${JSON.stringify(zone)}`);
}

export function parseIn(value: string, zone: string): DateTime {
  // An offset in the value fixes the instant; a value without one is read as wall-clock time in `zone`
  // (which zone Severa means then is [UNCONFIRMED], severa-api.md §14.7).
  const dt = DateTime.fromISO(value, { zone });
  if (!dt.isValid) throw new RangeError(`not an ISO 8601 date-time: ${JSON.stringify(value)}`);
  return dt;
}

/** The value as written: its own offset (or `zone` when it has none). */
function parseAsWritten(value: string, zone: string): DateTime {
  const dt = DateTime.fromISO(value, { zone, setZone: true });
  if (!dt.isValid) throw new RangeError(`not an ISO 8601 date-time: ${JSON.stringify(value)}`);
  return dt;
}

export function toCanonical(dt: DateTime): string {
  return canonicalInstant(dt.toUTC().toFormat(UTC_FORMAT));
}

export function isoDate(dt: DateTime): string {
  return dt.toFormat('yyyy-MM-dd');
}

/**
 * An instant as `YYYY-MM-DDTHH:mm:ss±hh:mm` in `zone`: the explicit-offset form Severa is written in (severa-api.md
 * §3 "Dates are DateTimeOffset", §15 "always send explicit offsets"). `2026-05-04T06:00:00Z` in Europe/Helsinki is
 * `2026-05-04T09:00:00+03:00`.
 */
export function toOffsetDateTime(instant: string, zone: string): string {
  assertZone(zone);
  return parseIn(instant, zone).startOf('second').toFormat(OFFSET_FORMAT);
}

/**
 * The first instant of a calendar date in `zone`, with its offset: how Severa stores all-day boundaries
 * (severa-api.md §12: 16 Dec 2013 in Finland = `2013-12-15T22:00Z` = `2013-12-16T00:00:00+02:00`). Where a DST jump
 * skips midnight, luxon moves forward to the first wall-clock time that exists, which is still on that date.
 */
export function localMidnight(date: string, zone: string): string {
  assertZone(zone);
  const dt = DateTime.fromISO(date, { zone });
  if (!dt.isValid || dt.toFormat('yyyy-MM-dd') !== date)
    throw new RangeError(`not a date: ${JSON.stringify(date)}`);
  return dt.toFormat(OFFSET_FORMAT);
}

/** A Severa date-time as a canonical UTC instant (offset-less values read in `zone`). */
export function severaInstant(value: string, zone: string): string {
  return toCanonical(parseIn(value, zone));
}

/**
 * The calendar date an all-day boundary names, and whether it sits at the start of that day. Rules, in order
 * (the REST encoding of all-day entries is [UNCONFIRMED], severa-api.md §14.7, so all plausible ones are read):
 * 1. the local midnight of a date in the user's zone (the §12 encoding, and what this project writes) → that date,
 *    at the start of the day;
 * 2. a value written at 00:00 in its own offset (date-only encoded as `…T00:00:00Z`) → its written date, at the start;
 * 3. otherwise it lies inside a day: written at 23:59 or later in its own offset → its written date; else its local
 *    date in the user's zone. Not at the start of the day.
 */
export function allDayBoundary(
  value: string,
  zone: string,
): { readonly date: string; readonly atStartOfDay: boolean } {
  const local = parseIn(value, zone);
  if (+local === +local.startOf('day')) return { date: isoDate(local), atStartOfDay: true };
  const written = parseAsWritten(value, zone);
  if (written.hour === 0 && written.minute === 0 && written.second === 0) {
    return { date: isoDate(written), atStartOfDay: true };
  }
  if (written.hour === 23 && written.minute === 59) return { date: isoDate(written), atStartOfDay: false };
  return { date: isoDate(local), atStartOfDay: false };
}

/**
 * All-day `startDateTime`/`endDateTime` → dates with an exclusive end.
 * - start: the date its boundary names (a start not exactly at midnight still names its local date);
 * - no end: one day (§12 "a missing end means one day");
 * - an end at the start of a day *after* the start date is the exclusive end (§12: 16–20 Dec = … → `2013-12-20T22:00Z`);
 * - an end at the start of the start date itself (zero length) is read as "midnight of the last day", inclusive:
 *   one day. (A midnight end after the start date cannot be told apart from an inclusive one; §12 says exclusive.)
 * - an end inside a day (`23:59:59` of the last day, or any other time) names the inclusive last day;
 * - the end is never before start + 1 day.
 */
function allDayTiming(
  startDateTime: string,
  endDateTime: string | null | undefined,
  zone: string,
): AllDayTiming {
  const startDate = allDayBoundary(startDateTime, zone).date;
  const minEnd = addDays(startDate, 1);
  if (endDateTime === null || endDateTime === undefined)
    return { kind: 'allDay', startDate, endDate: minEnd };
  const end = allDayBoundary(endDateTime, zone);
  const endDate = end.atStartOfDay ? end.date : addDays(end.date, 1);
  return { kind: 'allDay', startDate, endDate: endDate > startDate ? endDate : minEnd };
}

/** Timed: canonical instants in the owner's zone; a missing end (or one before the start) means end = start. */
export function severaTiming(
  row: Pick<ActivityModel, 'isAllDay' | 'startDateTime' | 'endDateTime'>,
  zone: string,
): Timing {
  if (row.isAllDay === true) return allDayTiming(row.startDateTime, row.endDateTime, zone);
  const start = severaInstant(row.startDateTime, zone);
  const endRaw = row.endDateTime;
  const end = endRaw === null || endRaw === undefined ? start : severaInstant(endRaw, zone);
  return { kind: 'timed', start, end: end < start ? start : end, timeZone: zone };
}

/** Timing → the three Severa fields: explicit offsets in `zone`; all-day as local midnights, exclusive end. */
export function timingToSevera(
  timing: Timing,
  zone: string,
): Pick<ActivityExceptionFields, 'startDateTime' | 'endDateTime' | 'isAllDay'> {
  if (timing.kind === 'allDay') {
    return {
      startDateTime: localMidnight(timing.startDate, zone),
      endDateTime: localMidnight(timing.endDate, zone),
      isAllDay: true,
    };
  }
  return {
    startDateTime: toOffsetDateTime(timing.start, zone),
    endDateTime: toOffsetDateTime(timing.end, zone),
    isAllDay: false,
  };
}

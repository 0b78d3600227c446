/**
 * Google `recurrence[]` ⇄ the canonical {@link Recurrence} (google-calendar.md §3; RFC 5545 §3.3.10, §3.8.5).
 *
 * Parsing accepts exactly the RRULEs Severa can express (rule-shape.ts) and reduces every spelling of one meaning to
 * one canonical rule (recurrence.ts). Everything else is kept verbatim as an `unsupported` pattern, so a Google
 * series is never rewritten by the sync, and is synced to Severa by the fallback (fallback.ts).
 *
 * Parts an RRULE leaves out (the weekday of a WEEKLY rule, the day of a MONTHLY one, month and day of a YEARLY one)
 * take RFC 5545's defaults from DTSTART, which Google leaves out of `recurrence[]`: the first occurrence is the
 * event's `start`, read in the series' zone.
 */
import {
  WEEKDAYS,
  isWeekday,
  type Recurrence,
  type RecurrencePattern,
  type RecurrenceRule,
  type Weekday,
} from '../../domain/recurrence.js';
import { addDays, isDate, isInstant, type Timing } from '../../domain/timing.js';
import { parseContentLine, type ContentLine } from './content-line.js';
import {
  SET_POSITIONS,
  dailyRule,
  normaliseWeekdays,
  seriesAnchor,
  setPosRule,
  severaProblem,
  weekdayIndex,
  weeklyRule,
  type SeriesAnchor,
} from './rule-shape.js';
import {
  DAY_MS,
  SECOND_MS,
  basicDate,
  basicDateTime,
  dateToWall,
  instantString,
  instantToWall,
  isTimeZone,
  parseIcalDateValue,
  wallDate,
  wallSecondOfDay,
  wallToInstant,
  type IcalDateValue,
} from './wall-time.js';

/**
 * Google `recurrence[]` lines (RRULE/EXRULE/RDATE/EXDATE, no DTSTART: the first occurrence is `start`) → the
 * normalised pattern plus exception dates (EXDATE values, canonical: UTC instant for timed series, date for all-day).
 * Anything Severa cannot express comes back as `{ kind: 'unsupported', lines }` (without the EXDATE lines).
 */
export function parseGoogleRecurrence(
  lines: readonly string[],
  start: Timing,
): { readonly pattern: RecurrencePattern; readonly exdates: readonly string[] } {
  const anchor = seriesAnchor(start);
  const exdates = new Set<string>();
  const others: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const parsed = parseContentLine(line);
    if (parsed?.name === 'EXDATE') {
      const keys = exdateKeys(parsed, anchor);
      if (keys !== null) {
        for (const key of keys) exdates.add(key);
        continue;
      }
    }
    // Kept verbatim, including an EXDATE we could not read: the expansion skips what it cannot read.
    others.push(line);
  }
  const only = others.length === 1 ? others[0] : undefined;
  const rule = only === undefined ? null : parseRRuleLine(only, anchor);
  return {
    pattern: rule === null ? { kind: 'unsupported', lines: others } : { kind: 'rule', rule },
    exdates: [...exdates].sort(),
  };
}

/** The normalised recurrence → Google `recurrence[]` lines (RRULE first, then EXDATE lines). */
export function formatGoogleRecurrence(recurrence: Recurrence, start: Timing): string[] {
  const anchor = seriesAnchor(start);
  const lines =
    recurrence.pattern.kind === 'rule'
      ? [formatRRule(recurrence.pattern.rule, anchor)]
      : [...recurrence.pattern.lines];
  for (const key of [...new Set(recurrence.exdates)].sort()) lines.push(formatExdate(key, anchor));
  return lines;
}

// ---- RRULE → canonical rule

const KNOWN_PARTS = new Set([
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'BYSETPOS',
  'BYMONTHDAY',
  'BYMONTH',
  'WKST',
]);
const FREQS: Readonly<Record<string, RecurrenceRule['freq']>> = {
  DAILY: 'daily',
  WEEKLY: 'weekly',
  MONTHLY: 'monthly',
  YEARLY: 'yearly',
};

interface ByDayItem {
  readonly ordinal: number | null;
  readonly day: Weekday;
}

function parseInteger(value: string | undefined, min: number, max: number): number | null {
  if (value === undefined || !/^[+-]?\d{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max && n !== 0 ? n : null;
}

/** A list part with a single value (Severa has one day, one month, one position), or null. */
function single(value: string | undefined, min: number, max: number): number | null | undefined {
  if (value === undefined) return undefined;
  return value.includes(',') ? null : parseInteger(value, min, max);
}

function parseByDay(value: string): ByDayItem[] | null {
  const items: ByDayItem[] = [];
  for (const raw of value.split(',')) {
    const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(raw);
    const day = m?.[2];
    if (m === null || !isWeekday(day)) return null;
    const ordinal = m[1] === undefined ? null : parseInteger(m[1], -53, 53);
    if (m[1] !== undefined && ordinal === null) return null;
    items.push({ ordinal, day });
  }
  return items;
}

/**
 * UNTIL → the inclusive local date of the last day an occurrence may start (RecurrenceEnd `until`). Google writes
 * an instant for timed series (`20261231T215959Z`) and a date for all-day ones (google-calendar.md §3). An instant
 * earlier in its local day than the series' time of day excludes that day's occurrence.
 */
function untilDate(value: string, anchor: SeriesAnchor): string | null {
  const parsed = parseIcalDateValue(value);
  if (parsed === null) return null;
  if (anchor.zone === null || parsed.kind === 'date') {
    return wallDate(parsed.kind === 'utc' ? parsed.instant : parsed.wall);
  }
  const wall = parsed.kind === 'utc' ? instantToWall(parsed.instant, anchor.zone) : parsed.wall;
  const date = wallDate(wall);
  return wallSecondOfDay(wall) < anchor.secondOfDay ? addDays(date, -1) : date;
}

/**
 * WKST only changes a rule that groups several weekdays into weeks of INTERVAL > 1: then the days on either side
 * of the week start fall into different weeks than with Monday (the default, and the start of a week in Severa's
 * Finnish-origin UI — an assumption: the contract does not say). Harmless when all days lie on one side.
 */
function wkstIsHarmless(wkst: Weekday, interval: number, days: readonly Weekday[]): boolean {
  if (interval === 1) return true;
  const w = weekdayIndex(wkst);
  return days.every((d) => weekdayIndex(d) < w) || days.every((d) => weekdayIndex(d) >= w);
}

function parseRRuleLine(line: string, anchor: SeriesAnchor): RecurrenceRule | null {
  const parsed = parseContentLine(line);
  if (parsed?.name !== 'RRULE' || parsed.params.size > 0) return null;
  const parts = new Map<string, string>();
  for (const item of parsed.value.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).toUpperCase();
    if (eq <= 0 || parts.has(key) || !KNOWN_PARTS.has(key)) return null;
    parts.set(key, item.slice(eq + 1).toUpperCase());
  }
  const freq = FREQS[parts.get('FREQ') ?? ''];
  if (freq === undefined) return null;
  const interval = parts.has('INTERVAL') ? parseInteger(parts.get('INTERVAL'), 1, 2_147_483_647) : 1;
  if (interval === null) return null;

  let end: RecurrenceRule['end'] = { kind: 'forever' };
  const countValue = parts.get('COUNT');
  const untilValue = parts.get('UNTIL');
  if (countValue !== undefined && untilValue !== undefined) return null;
  if (countValue !== undefined) {
    const count = parseInteger(countValue, 1, 2_147_483_647);
    if (count === null) return null;
    end = { kind: 'count', count };
  }
  if (untilValue !== undefined) {
    const until = untilDate(untilValue, anchor);
    if (until === null) return null;
    end = { kind: 'until', until };
  }

  const byDayValue = parts.get('BYDAY');
  const byDay = byDayValue === undefined ? null : parseByDay(byDayValue);
  if (byDayValue !== undefined && byDay === null) return null;
  const setPos = single(parts.get('BYSETPOS'), -366, 366);
  const monthDay = single(parts.get('BYMONTHDAY'), -31, 31);
  const month = single(parts.get('BYMONTH'), 1, 12);
  if (setPos === null || monthDay === null || month === null) return null;
  const wkstValue = parts.get('WKST');
  if (wkstValue !== undefined && !isWeekday(wkstValue)) return null;
  const wkst: Weekday = wkstValue ?? 'MO';

  const rule = canonicalRule({ freq, interval, end, byDay, setPos, monthDay, month, wkst }, anchor);
  return rule !== null && severaProblem(rule) === null ? rule : null;
}

interface RawRule {
  readonly freq: RecurrenceRule['freq'];
  readonly interval: number;
  readonly end: RecurrenceRule['end'];
  readonly byDay: readonly ByDayItem[] | null;
  readonly setPos: number | undefined;
  readonly monthDay: number | undefined;
  readonly month: number | undefined;
  readonly wkst: Weekday;
}

/** RFC 5545 semantics of the parts we accept, reduced to the one canonical spelling (recurrence.ts). */
function canonicalRule(raw: RawRule, anchor: SeriesAnchor): RecurrenceRule | null {
  const { freq, interval, end, byDay, setPos, monthDay, month } = raw;
  const plainDays = byDay?.every((d) => d.ordinal === null) === true ? byDay.map((d) => d.day) : null;
  switch (freq) {
    case 'daily':
      if (setPos !== undefined || monthDay !== undefined || month !== undefined) return null;
      if (byDay === null) return dailyRule(interval, end);
      // DAILY;BYDAY=MO,...,FR is "every weekday": the same occurrences as WEEKLY on those days, but only when
      // every day is a candidate (INTERVAL=1); every other day filtered by weekday is no weekly pattern.
      return plainDays !== null && interval === 1 ? weeklyRule(1, plainDays, end) : null;
    case 'weekly': {
      if (setPos !== undefined || monthDay !== undefined || month !== undefined) return null;
      // A weekly rule without BYDAY recurs on DTSTART's weekday (RFC 5545 §3.3.10), in the series' zone.
      const days = byDay === null ? [anchor.weekday] : plainDays;
      if (days === null || !wkstIsHarmless(raw.wkst, interval, normaliseWeekdays(days))) return null;
      return weeklyRule(interval, days, end);
    }
    case 'monthly':
      if (month !== undefined) return null;
      return monthDayPart('monthly', interval, null, raw, plainDays, anchor);
    case 'yearly': {
      if (interval !== 1) return null;
      // Without BYMONTH, BYDAY/BYMONTHDAY in a YEARLY rule range over the whole year (every month's 5th, the
      // 20th Sunday of the year): not Severa's "month + day" pattern.
      if (month === undefined && (byDay !== null || monthDay !== undefined || setPos !== undefined))
        return null;
      return monthDayPart('yearly', 1, month ?? anchor.month, raw, plainDays, anchor);
    }
  }
}

function monthDayPart(
  freq: 'monthly' | 'yearly',
  interval: number,
  byMonth: number | null,
  raw: RawRule,
  plainDays: readonly Weekday[] | null,
  anchor: SeriesAnchor,
): RecurrenceRule | null {
  const { end, byDay, setPos, monthDay } = raw;
  if (monthDay !== undefined) {
    if (byDay !== null || setPos !== undefined) return null;
    return { freq, interval, byWeekday: [], byMonthDay: monthDay, bySetPos: null, byMonth, end };
  }
  if (byDay === null) {
    if (setPos !== undefined) return null;
    // Neither BYMONTHDAY nor BYDAY: DTSTART's day of the month (RFC 5545 §3.3.10).
    return { freq, interval, byWeekday: [], byMonthDay: anchor.dayOfMonth, bySetPos: null, byMonth, end };
  }
  if (plainDays === null) {
    // Ordinal weekday (`2TU`, `-1FR`): the same as `BYDAY=TU;BYSETPOS=2` when it is the only one; a list with
    // ordinals (`1MO,3WE`) or ordinals combined with BYSETPOS is no Severa pattern.
    const [only, ...rest] = byDay;
    if (only === undefined || only.ordinal === null || rest.length > 0 || setPos !== undefined) return null;
    if (!(SET_POSITIONS as readonly number[]).includes(only.ordinal)) return null;
    return setPosRule(freq, interval, byMonth, [only.day], only.ordinal, end);
  }
  if (setPos === undefined) {
    // Every listed weekday of every month is a weekly rule when every month counts.
    return freq === 'monthly' && interval === 1 ? weeklyRule(1, plainDays, end) : null;
  }
  return setPosRule(freq, interval, byMonth, plainDays, setPos, end);
}

// ---- EXDATE

/** The canonical exdate key (UTC instant, or date for all-day series) an EXDATE value names. */
function exdateKey(value: IcalDateValue, tzid: string | undefined, anchor: SeriesAnchor): string {
  if (anchor.zone === null) {
    // All-day series: an occurrence is a date; a date-time names the day it falls on as written.
    return wallDate(value.kind === 'utc' ? value.instant : value.wall);
  }
  switch (value.kind) {
    case 'utc':
      return instantString(value.instant);
    case 'local':
      // No TZID: floating, read in the series' zone.
      return instantString(wallToInstant(value.wall, tzid ?? anchor.zone));
    case 'date':
      // A date on a timed series: that day's occurrence, at the series' time of day.
      return instantString(wallToInstant(value.wall + anchor.secondOfDay * SECOND_MS, anchor.zone));
  }
}

function exdateKeys(line: ContentLine, anchor: SeriesAnchor): string[] | null {
  const valueType = line.params.get('VALUE')?.toUpperCase();
  const tzid = line.params.get('TZID');
  if (valueType !== undefined && valueType !== 'DATE' && valueType !== 'DATE-TIME') return null;
  if (tzid !== undefined && !isTimeZone(tzid)) return null;
  const keys: string[] = [];
  for (const raw of line.value.split(',')) {
    const value = parseIcalDateValue(raw);
    if (value === null) return null;
    keys.push(exdateKey(value, tzid, anchor));
  }
  return keys;
}

// ---- canonical → lines

function formatUntil(until: string, anchor: SeriesAnchor): string {
  if (anchor.zone === null) return basicDate(dateToWall(until));
  // The end of the local until date (23:59:59) as a UTC instant, the form Google writes for timed series.
  const lastSecond = dateToWall(until) + DAY_MS - SECOND_MS;
  return `${basicDateTime(wallToInstant(lastSecond, anchor.zone))}Z`;
}

function formatRRule(rule: RecurrenceRule, anchor: SeriesAnchor): string {
  const parts = [`FREQ=${rule.freq.toUpperCase()}`];
  if (rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.byMonth !== null) parts.push(`BYMONTH=${rule.byMonth}`);
  if (rule.byMonthDay !== null) parts.push(`BYMONTHDAY=${rule.byMonthDay}`);
  const days = WEEKDAYS.filter((d) => rule.byWeekday.includes(d));
  // "The 2nd Tuesday" is written `BYDAY=2TU` (as Google's UI does); sets as `BYDAY=MO,...,FR;BYSETPOS=2`.
  const ordinal =
    (rule.freq === 'monthly' || rule.freq === 'yearly') && days.length === 1 ? rule.bySetPos : null;
  if (days.length > 0) parts.push(`BYDAY=${ordinal === null ? days.join() : `${ordinal}${days.join()}`}`);
  if (rule.bySetPos !== null && ordinal === null) parts.push(`BYSETPOS=${rule.bySetPos}`);
  if (rule.end.kind === 'count') parts.push(`COUNT=${rule.end.count}`);
  if (rule.end.kind === 'until') parts.push(`UNTIL=${formatUntil(rule.end.until, anchor)}`);
  return `RRULE:${parts.join(';')}`;
}

function formatExdate(key: string, anchor: SeriesAnchor): string {
  if (isDate(key)) return `EXDATE;VALUE=DATE:${basicDate(dateToWall(key))}`;
  if (!isInstant(key)) throw new RangeError(`not an exception date: ${JSON.stringify(key)}`);
  const instant = Date.parse(key);
  if (anchor.zone !== null) {
    const wall = instantToWall(instant, anchor.zone);
    // Local wall time in the series' zone, as Google writes it, unless that wall time is ambiguous and reads back
    // as the other instant (the second 01:30 of a DST-end night): then the UTC form, which is exact.
    if (wallToInstant(wall, anchor.zone) === instant)
      return `EXDATE;TZID=${anchor.zone}:${basicDateTime(wall)}`;
  }
  return `EXDATE:${basicDateTime(instant)}Z`;
}

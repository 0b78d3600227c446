/**
 * What Severa's `ActivityRecurrenceModel` can express, as a check on the canonical {@link RecurrenceRule}, plus the
 * series anchor (first occurrence in local terms) that both the RRULE and the Severa mappings fill defaults from.
 *
 * Severa's model (severa-api.md §7, contract schemas `DailyModel`, `WeeklyModel`, `MonthlyModel`, `YearlyModel`,
 * `RecurrenceRange`, `DayOrdinal`, `DayOrdinalOption`):
 * - daily `{interval, everyWeekday}`; weekly `{interval, monday..sunday}`;
 * - monthly `{interval, dayOfMonth | dayOrdinal (First..Fourth, Last) + dayOrdinalOption (a weekday, WeekDay,
 *   WeekendDay, Day)}`; yearly the same day choice plus `month`, and **no interval**;
 * - range `{maxOccurrences | recursUntilDate}` (a date), or neither (no end).
 * Interval and counts are `int32`.
 */
import { WEEKDAYS, isWeekday, type RecurrenceRule, type Weekday } from '../../domain/recurrence.js';
import { isDate, type Timing } from '../../domain/timing.js';
import { dateToWall, instantToWall, wallDate, wallSecondOfDay } from './wall-time.js';

const INT32_MAX = 2_147_483_647;

/** `DayOrdinal` First..Fourth, Last as BYSETPOS values. */
export const SET_POSITIONS = [1, 2, 3, 4, -1] as const;

export const WORK_WEEK: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR'];
export const WEEKEND: readonly Weekday[] = ['SA', 'SU'];

/** The first occurrence of a series in its own local terms. */
export interface SeriesAnchor {
  /** Wall time (see wall-time.ts) of the first occurrence's start. */
  readonly wall: number;
  readonly date: string;
  readonly weekday: Weekday;
  /** 1..12. */
  readonly month: number;
  readonly dayOfMonth: number;
  /** Seconds after local midnight (0 for all-day series). */
  readonly secondOfDay: number;
  /** The zone rules expand in; null for all-day series, which are plain dates. */
  readonly zone: string | null;
}

export function seriesAnchor(start: Timing): SeriesAnchor {
  const wall =
    start.kind === 'timed'
      ? instantToWall(Date.parse(start.start), start.timeZone)
      : dateToWall(start.startDate);
  const d = new Date(wall);
  return {
    wall,
    date: wallDate(wall),
    weekday: weekdayOfWall(wall),
    month: d.getUTCMonth() + 1,
    dayOfMonth: d.getUTCDate(),
    secondOfDay: wallSecondOfDay(wall),
    zone: start.kind === 'timed' ? start.timeZone : null,
  };
}

/** The weekday of a wall time. */
export function weekdayOfWall(wall: number): Weekday {
  // getUTCDay: 0 = Sunday; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(wall).getUTCDay() + 6) % 7] ?? 'MO';
}

export function weekdayIndex(day: Weekday): number {
  return WEEKDAYS.indexOf(day);
}

/** Sorted MO..SU, no duplicates: the canonical `byWeekday` (recurrence.ts). */
export function normaliseWeekdays(days: Iterable<Weekday>): Weekday[] {
  const set = new Set(days);
  return WEEKDAYS.filter((d) => set.has(d));
}

export type WeekdaySetKind = 'single' | 'workWeek' | 'weekend' | 'everyDay' | 'other';

/** Which `DayOrdinalOption` a (normalised) weekday set is, if any. */
export function weekdaySetKind(days: readonly Weekday[]): WeekdaySetKind {
  const set = normaliseWeekdays(days);
  if (set.length === 1) return 'single';
  if (set.length === 7) return 'everyDay';
  if (set.join() === WORK_WEEK.join()) return 'workWeek';
  if (set.join() === WEEKEND.join()) return 'weekend';
  return 'other';
}

/** Longest month length, leap years included: a yearly rule on a day its month never has never occurs. */
const MAX_DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isSetPosition(value: number | null): boolean {
  return value !== null && (SET_POSITIONS as readonly number[]).includes(value);
}

function isPositiveInt32(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= INT32_MAX;
}

/** The day-of-month part Severa's Monthly/Yearly models express: `dayOfMonth`, or ordinal + option. */
function dayPartProblem(rule: RecurrenceRule): string | null {
  if (rule.byMonthDay !== null) {
    if (rule.byWeekday.length > 0 || rule.bySetPos !== null) return 'BYMONTHDAY combined with BYDAY/BYSETPOS';
    const d = rule.byMonthDay;
    if (!Number.isInteger(d) || !((d >= 1 && d <= 31) || d === -1)) return `day of month ${d}`;
    return null;
  }
  if (!isSetPosition(rule.bySetPos)) return `set position ${String(rule.bySetPos)}`;
  const kind = weekdaySetKind(rule.byWeekday);
  // `Day` (every day) is spelled byMonthDay in the canonical rule, so it is not accepted here.
  if (kind !== 'single' && kind !== 'workWeek' && kind !== 'weekend') return 'weekday set';
  return null;
}

/**
 * Null when Severa can express `rule` exactly; otherwise a short reason. The rule need not be canonical in every
 * detail (e.g. weekday order), but its shape must be one of Severa's patterns.
 */
export function severaProblem(rule: RecurrenceRule): string | null {
  if (!isPositiveInt32(rule.interval)) return `interval ${rule.interval}`;
  if (!rule.byWeekday.every(isWeekday)) return 'unknown weekday';
  const end = rule.end;
  if (end.kind === 'count' && !isPositiveInt32(end.count)) return `count ${end.count}`;
  if (end.kind === 'until' && !isDate(end.until)) return `until ${end.until}`;
  switch (rule.freq) {
    case 'daily':
      if (
        rule.byWeekday.length > 0 ||
        rule.byMonthDay !== null ||
        rule.bySetPos !== null ||
        rule.byMonth !== null
      )
        return 'daily rule with BY parts';
      return null;
    case 'weekly':
      if (rule.byWeekday.length === 0) return 'weekly rule without weekdays';
      if (rule.byMonthDay !== null || rule.bySetPos !== null || rule.byMonth !== null)
        return 'weekly rule with month parts';
      return null;
    case 'monthly':
      if (rule.byMonth !== null) return 'monthly rule with BYMONTH';
      return dayPartProblem(rule);
    case 'yearly': {
      // YearlyModel has no interval.
      if (rule.interval !== 1) return 'yearly interval';
      const month = rule.byMonth;
      if (month === null || !Number.isInteger(month) || month < 1 || month > 12) return 'yearly month';
      if (rule.byMonthDay !== null && rule.byMonthDay > (MAX_DAYS_IN_MONTH[month - 1] ?? 31))
        return 'day the month never has';
      return dayPartProblem(rule);
    }
  }
}

/**
 * A weekly rule in canonical form: every day of every week is the daily rule (one spelling per meaning).
 */
export function weeklyRule(
  interval: number,
  days: Iterable<Weekday>,
  end: RecurrenceRule['end'],
): RecurrenceRule {
  const byWeekday = normaliseWeekdays(days);
  if (interval === 1 && byWeekday.length === 7) return dailyRule(1, end);
  return { freq: 'weekly', interval, byWeekday, byMonthDay: null, bySetPos: null, byMonth: null, end };
}

export function dailyRule(interval: number, end: RecurrenceRule['end']): RecurrenceRule {
  return { freq: 'daily', interval, byWeekday: [], byMonthDay: null, bySetPos: null, byMonth: null, end };
}

/**
 * A monthly/yearly rule on the `pos`-th of `days` in the month, canonical: "the n-th day" (all seven days) is
 * `byMonthDay`, so `BYDAY=MO,...,SU;BYSETPOS=2` and `BYMONTHDAY=2` are one rule. The result may still be
 * something Severa cannot express (e.g. the fifth Tuesday): check it with {@link severaProblem}.
 */
export function setPosRule(
  freq: 'monthly' | 'yearly',
  interval: number,
  byMonth: number | null,
  days: Iterable<Weekday>,
  pos: number,
  end: RecurrenceRule['end'],
): RecurrenceRule {
  const byWeekday = normaliseWeekdays(days);
  if (byWeekday.length === 7)
    return { freq, interval, byWeekday: [], byMonthDay: pos, bySetPos: null, byMonth, end };
  return { freq, interval, byWeekday, byMonthDay: null, bySetPos: pos, byMonth, end };
}

/**
 * Severa `ActivityRecurrenceModel` ⇄ the canonical {@link RecurrenceRule} (severa-api.md §7; contract schemas
 * `ActivityRecurrenceModel`, `RecurrencePattern`, `DailyModel`, `WeeklyModel`, `MonthlyModel`, `YearlyModel`,
 * `RecurrenceRange`).
 *
 * Severa → rule is exact. Rule → Severa writes the most natural Severa form; the canonical choices, which make
 * severa → rule → severa exact only up to them, are:
 * - daily `everyWeekday` becomes weekly Monday..Friday (interval 1): the canonical rule has one spelling for "every
 *   weekday" (recurrence.ts), and the weekly form states it without relying on how Severa treats `interval`
 *   together with `everyWeekday`;
 * - weekly on all seven days with interval 1 becomes daily, interval 1;
 * - `dayOrdinal` First..Fourth with option `Day` becomes `dayOfMonth` 1..4; Last + `Day` stays Last + `Day`
 *   (there is no `dayOfMonth` for "last day");
 * - absent parts are filled from the series start: weekly without days → the start's weekday, monthly without a
 *   day → the start's day of month, yearly without a month/day → the start's; `interval` null or < 1 → 1;
 * - range: `maxOccurrences` wins over `recursUntilDate` if both are set (the contract does not forbid it);
 *   `maxOccurrences` ≤ 0 means no count.
 */
import { WEEKDAYS, type RecurrenceRule, type Weekday } from '../../domain/recurrence.js';
import type { Timing } from '../../domain/timing.js';
import {
  WEEKEND,
  WORK_WEEK,
  dailyRule,
  seriesAnchor,
  setPosRule,
  severaProblem,
  weekdaySetKind,
  weeklyRule,
  type SeriesAnchor,
} from '../../sync/recurrence/rule-shape.js';
import {
  DAY_ORDINALS,
  DAY_ORDINAL_OPTIONS,
  MONTHS,
  SEVERA_FREQUENCIES,
  type DayOrdinal,
  type DayOrdinalOption,
  type Month,
  type SeveraMonthlyPattern,
  type SeveraRecurrence,
  type SeveraRecurrenceRange,
  type SeveraWeeklyPattern,
  type SeveraYearlyPattern,
} from './severa-recurrence.wire.js';

/** `WeeklyModel` day flags in canonical weekday order. */
const WEEKLY_FLAGS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** `DayOrdinalOption` names of single weekdays. */
const OPTION_BY_WEEKDAY: Readonly<Record<Weekday, DayOrdinalOption>> = {
  MO: 'Monday',
  TU: 'Tuesday',
  WE: 'Wednesday',
  TH: 'Thursday',
  FR: 'Friday',
  SA: 'Saturday',
  SU: 'Sunday',
};

/** `DayOrdinal` ⇄ BYSETPOS (Last = -1). */
const POSITION_BY_ORDINAL: Readonly<Record<DayOrdinal, number>> = {
  First: 1,
  Second: 2,
  Third: 3,
  Fourth: 4,
  Last: -1,
};

function ordinalOf(position: number): DayOrdinal {
  const found = DAY_ORDINALS.find((o) => POSITION_BY_ORDINAL[o] === position);
  if (found === undefined) throw new RangeError(`Severa has no day ordinal for set position ${position}`);
  return found;
}

function positiveInt(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : null;
}

// ---- Severa → rule

function rangeToEnd(range: SeveraRecurrenceRange | null | undefined): RecurrenceRule['end'] {
  const count = positiveInt(range?.maxOccurrences);
  if (count !== null) return { kind: 'count', count };
  const until = range?.recursUntilDate;
  if (until === null || until === undefined || until === '') return { kind: 'forever' };
  // `format: date`; tolerate a date-time spelling by its date part (the date is local, severa-api.md §7).
  const date = until.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`recursUntilDate is not a date: ${until}`);
  return { kind: 'until', until: date };
}

function weeklyDays(weekly: SeveraWeeklyPattern | null | undefined, anchor: SeriesAnchor): Weekday[] {
  const days = WEEKDAYS.filter((_, i) => {
    const flag = WEEKLY_FLAGS[i];
    return flag !== undefined && weekly?.[flag] === true;
  });
  return days.length > 0 ? days : [anchor.weekday];
}

/** Monthly/Yearly day choice: `dayOfMonth`, or `dayOrdinal` + `dayOrdinalOption`, else the start's day. */
function dayChoice(
  freq: 'monthly' | 'yearly',
  interval: number,
  byMonth: number | null,
  model: SeveraMonthlyPattern | SeveraYearlyPattern | null | undefined,
  anchor: SeriesAnchor,
  end: RecurrenceRule['end'],
): RecurrenceRule {
  const dayOfMonth = positiveInt(model?.dayOfMonth);
  const ordinal = model?.dayOrdinal ?? null;
  const option = model?.dayOrdinalOption ?? null;
  if (dayOfMonth === null && ordinal !== null && option !== null) {
    if (!DAY_ORDINALS.includes(ordinal)) throw new RangeError(`unknown dayOrdinal ${ordinal}`);
    if (!DAY_ORDINAL_OPTIONS.includes(option)) throw new RangeError(`unknown dayOrdinalOption ${option}`);
    const position = POSITION_BY_ORDINAL[ordinal];
    switch (option) {
      case 'Day':
        // "The n-th day" / "the last day" of the month: BYMONTHDAY n / -1.
        return { freq, interval, byWeekday: [], byMonthDay: position, bySetPos: null, byMonth, end };
      case 'WeekDay':
        return setPosRule(freq, interval, byMonth, WORK_WEEK, position, end);
      case 'WeekendDay':
        return setPosRule(freq, interval, byMonth, WEEKEND, position, end);
      default: {
        const day = WEEKDAYS.find((d) => OPTION_BY_WEEKDAY[d] === option) ?? 'MO';
        return setPosRule(freq, interval, byMonth, [day], position, end);
      }
    }
  }
  const day = dayOfMonth ?? anchor.dayOfMonth;
  return { freq, interval, byWeekday: [], byMonthDay: day, bySetPos: null, byMonth, end };
}

/** Severa `ActivityRecurrenceModel` (frequency, pattern, range) → the canonical rule, for a series starting at `start`. */
export function severaRecurrenceToRule(wire: SeveraRecurrence, start: Timing): RecurrenceRule {
  const rule = readRule(wire, start);
  // E.g. `dayOfMonth` 40 or 30 February: not a series any calendar holds.
  const problem = severaProblem(rule);
  if (problem !== null) throw new RangeError(`invalid Severa recurrence: ${problem}`);
  return rule;
}

function readRule(wire: SeveraRecurrence, start: Timing): RecurrenceRule {
  if (!SEVERA_FREQUENCIES.includes(wire.frequency))
    throw new RangeError(`unknown recurrence frequency ${wire.frequency}`);
  const anchor = seriesAnchor(start);
  const end = rangeToEnd(wire.range);
  const pattern = wire.pattern ?? {};
  switch (wire.frequency) {
    case 'Daily': {
      const daily = pattern.daily;
      if (daily?.everyWeekday === true) return weeklyRule(1, WORK_WEEK, end);
      return dailyRule(positiveInt(daily?.interval) ?? 1, end);
    }
    case 'Weekly': {
      const weekly = pattern.weekly;
      return weeklyRule(positiveInt(weekly?.interval) ?? 1, weeklyDays(weekly, anchor), end);
    }
    case 'Monthly': {
      const monthly = pattern.monthly;
      return dayChoice('monthly', positiveInt(monthly?.interval) ?? 1, null, monthly, anchor, end);
    }
    case 'Yearly': {
      const yearly = pattern.yearly;
      const month = yearly?.month;
      if (month !== undefined && !MONTHS.includes(month)) throw new RangeError(`unknown month ${month}`);
      const byMonth = month === undefined ? anchor.month : MONTHS.indexOf(month) + 1;
      return dayChoice('yearly', 1, byMonth, yearly, anchor, end);
    }
  }
}

// ---- rule → Severa

function endToRange(end: RecurrenceRule['end']): SeveraRecurrenceRange {
  switch (end.kind) {
    case 'forever':
      return { maxOccurrences: null, recursUntilDate: null };
    case 'count':
      return { maxOccurrences: end.count, recursUntilDate: null };
    case 'until':
      return { maxOccurrences: null, recursUntilDate: end.until };
  }
}

interface DayFields {
  readonly dayOfMonth: number | null;
  readonly dayOrdinal: DayOrdinal | null;
  readonly dayOrdinalOption: DayOrdinalOption | null;
}

function dayFields(rule: RecurrenceRule): DayFields {
  if (rule.byMonthDay === -1) return { dayOfMonth: null, dayOrdinal: 'Last', dayOrdinalOption: 'Day' };
  if (rule.byMonthDay !== null)
    return { dayOfMonth: rule.byMonthDay, dayOrdinal: null, dayOrdinalOption: null };
  const dayOrdinal = ordinalOf(rule.bySetPos ?? 0);
  const kind = weekdaySetKind(rule.byWeekday);
  const [first] = rule.byWeekday;
  const dayOrdinalOption =
    kind === 'workWeek'
      ? 'WeekDay'
      : kind === 'weekend'
        ? 'WeekendDay'
        : kind === 'single' && first !== undefined
          ? OPTION_BY_WEEKDAY[first]
          : null;
  if (dayOrdinalOption === null) throw new RangeError('Severa cannot express this weekday set');
  return { dayOfMonth: null, dayOrdinal, dayOrdinalOption };
}

/** The canonical rule → Severa's model (frequency, pattern, range). Throws a RangeError when Severa cannot express it. */
export function ruleToSeveraRecurrence(rule: RecurrenceRule, _start: Timing): SeveraRecurrence {
  const problem = severaProblem(rule);
  if (problem !== null) throw new RangeError(`Severa cannot express this recurrence: ${problem}`);
  const range = endToRange(rule.end);
  const none = { daily: null, weekly: null, monthly: null, yearly: null };
  switch (rule.freq) {
    case 'daily':
      return {
        frequency: 'Daily',
        pattern: { ...none, daily: { interval: rule.interval, everyWeekday: false } },
        range,
      };
    case 'weekly': {
      // Weekly Monday..Friday stays weekly (not daily `everyWeekday`): see the module comment.
      const on = (day: Weekday): boolean => rule.byWeekday.includes(day);
      const weekly: SeveraWeeklyPattern = {
        interval: rule.interval,
        monday: on('MO'),
        tuesday: on('TU'),
        wednesday: on('WE'),
        thursday: on('TH'),
        friday: on('FR'),
        saturday: on('SA'),
        sunday: on('SU'),
      };
      return { frequency: 'Weekly', pattern: { ...none, weekly }, range };
    }
    case 'monthly':
      return {
        frequency: 'Monthly',
        pattern: { ...none, monthly: { interval: rule.interval, ...dayFields(rule) } },
        range,
      };
    case 'yearly': {
      const month: Month = MONTHS[(rule.byMonth ?? 1) - 1] ?? 'January';
      return { frequency: 'Yearly', pattern: { ...none, yearly: { month, ...dayFields(rule) } }, range };
    }
  }
}

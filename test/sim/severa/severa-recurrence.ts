/**
 * Severa's recurrence model as the simulator reads it: the wire vocabulary of `ActivityRecurrenceModel`
 * (contracts/severa-openapi-v1.sync-subset.yaml: `RecurrencePattern`, `DailyModel`, `WeeklyModel`, `MonthlyModel`,
 * `YearlyModel`, `RecurrenceRange`, `DayOrdinal`, `DayOrdinalOption`, `Months`) and its meaning as iCalendar RRULE
 * lines, which the simulator's own expander (common/recurrence.ts) turns into Occurrence rows (severa-api.md §7).
 * Declared here, not imported: the simulator is checked against the official document, not against the sync's code.
 *
 * What the simulator decides where the document is silent ([UNCONFIRMED], severa-api.md §7):
 * - parts left out are the series start's: weekly without days → the start's weekday, monthly/yearly without a day
 *   → the start's day of the month, yearly without a month → the start's month; `interval` null or < 1 → 1;
 * - daily `everyWeekday` is Monday to Friday every week, whatever the interval;
 * - `dayOrdinal` + `dayOrdinalOption`: `Day` is the n-th (or last) day of the month, `WeekDay` the n-th of Monday to
 *   Friday, `WeekendDay` the n-th of Saturday and Sunday, a weekday its n-th occurrence in the month;
 * - `maxOccurrences` wins over `recursUntilDate` when both are set; `recursUntilDate` is the last local date an
 *   occurrence may start on;
 * - yearly series have no interval (YearlyModel has none);
 * - a series no calendar can hold (a yearly 30 February, an interval or count beyond int32) is refused.
 */
export const SEVERA_FREQUENCIES = ['Daily', 'Weekly', 'Monthly', 'Yearly'] as const;
export const DAY_ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
export const DAY_ORDINAL_OPTIONS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'WeekDay',
  'Saturday',
  'WeekendDay',
  'Day',
] as const;
export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** `WeeklyModel` flags, in the order of iCalendar's BYDAY codes. */
const WEEKLY_FLAGS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

type DayOrdinal = (typeof DAY_ORDINALS)[number];
type DayOrdinalOption = (typeof DAY_ORDINAL_OPTIONS)[number];

/** `MonthlyModel` / `YearlyModel` day choice. */
interface DayChoice {
  readonly dayOfMonth?: number | null;
  readonly dayOrdinal?: DayOrdinal | null;
  readonly dayOrdinalOption?: DayOrdinalOption | null;
}

/** `ActivityRecurrenceModel` without its read-only `exceptions` (severa-api.md §7). */
export interface SeveraRecurrence {
  readonly frequency: (typeof SEVERA_FREQUENCIES)[number];
  readonly pattern?: {
    readonly daily?: { readonly interval?: number | null; readonly everyWeekday?: boolean } | null;
    readonly weekly?:
      ({ readonly interval?: number } & Partial<Record<(typeof WEEKLY_FLAGS)[number], boolean>>) | null;
    readonly monthly?: ({ readonly interval?: number } & DayChoice) | null;
    readonly yearly?: ({ readonly month?: (typeof MONTHS)[number] } & DayChoice) | null;
  } | null;
  readonly range?: {
    readonly maxOccurrences?: number | null;
    readonly recursUntilDate?: string | null;
  } | null;
  readonly lastOccurrenceDateTime?: string | null;
}

const BYDAY = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const OPTION_DAYS: Partial<Record<DayOrdinalOption, string>> = {
  Monday: 'MO',
  Tuesday: 'TU',
  Wednesday: 'WE',
  Thursday: 'TH',
  Friday: 'FR',
  Saturday: 'SA',
  Sunday: 'SU',
  WeekDay: 'MO,TU,WE,TH,FR',
  WeekendDay: 'SA,SU',
};
const POSITIONS: Record<DayOrdinal, number> = { First: 1, Second: 2, Third: 3, Fourth: 4, Last: -1 };
/** The longest each month gets (29 February included): a yearly day beyond it never comes. */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const INT32_MAX = 2_147_483_647;

/** The series start in its owner's zone: what the parts a pattern leaves out are taken from. */
export interface SeriesStart {
  /** 1..12. */
  readonly month: number;
  readonly dayOfMonth: number;
  /** 0 = Monday .. 6 = Sunday. */
  readonly weekday: number;
}

/** The start of a series from its local wall time (common/wall-time.ts). */
export function seriesStartOf(wall: number): SeriesStart {
  const d = new Date(wall);
  return { month: d.getUTCMonth() + 1, dayOfMonth: d.getUTCDate(), weekday: (d.getUTCDay() + 6) % 7 };
}

function positive(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : null;
}

function isDate(value: string): boolean {
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

function refuse(problem: string): never {
  throw new RangeError(`invalid Severa recurrence: ${problem}`);
}

/** COUNT or UNTIL (the until date's last second, local: the expander reads a value without `Z` as local time). */
function rangeParts(range: SeveraRecurrence['range']): string[] {
  const count = positive(range?.maxOccurrences);
  if (count !== null) return count > INT32_MAX ? refuse(`count ${count}`) : [`COUNT=${count}`];
  const until = range?.recursUntilDate;
  if (until === null || until === undefined || until === '') return [];
  const date = until.slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`recursUntilDate is not a date: ${until}`);
  if (!isDate(date)) refuse(`until ${date}`);
  return [`UNTIL=${date.replaceAll('-', '')}T235959`];
}

/** The day of a monthly/yearly series: `dayOfMonth`, else ordinal + option, else the start's day. */
function dayParts(
  choice: DayChoice | null | undefined,
  start: SeriesStart,
): { parts: string[]; day: number | null } {
  const dayOfMonth = positive(choice?.dayOfMonth);
  const ordinal = choice?.dayOrdinal ?? null;
  const option = choice?.dayOrdinalOption ?? null;
  if (dayOfMonth === null && ordinal !== null && option !== null) {
    const position = POSITIONS[ordinal];
    if (option === 'Day') return { parts: [`BYMONTHDAY=${position}`], day: position };
    return { parts: [`BYDAY=${OPTION_DAYS[option] ?? 'MO'}`, `BYSETPOS=${position}`], day: null };
  }
  const day = dayOfMonth ?? start.dayOfMonth;
  return { parts: [`BYMONTHDAY=${day}`], day };
}

function interval(value: number | null | undefined): string[] {
  const n = positive(value) ?? 1;
  return n > INT32_MAX ? refuse(`interval ${n}`) : [`INTERVAL=${n}`];
}

/**
 * Severa's `recurrence` → the RRULE lines of the same series, for a series starting at `start`. Throws a RangeError
 * (which the simulator answers with 400) for a series no calendar can hold.
 */
export function severaRecurrenceLines(wire: SeveraRecurrence, start: SeriesStart): string[] {
  const pattern = wire.pattern ?? {};
  const range = rangeParts(wire.range);
  let parts: string[];
  switch (wire.frequency) {
    case 'Daily':
      parts =
        pattern.daily?.everyWeekday === true
          ? ['FREQ=WEEKLY', 'BYDAY=MO,TU,WE,TH,FR']
          : ['FREQ=DAILY', ...interval(pattern.daily?.interval)];
      break;
    case 'Weekly': {
      const weekly = pattern.weekly;
      const days = BYDAY.filter((_, i) => weekly?.[WEEKLY_FLAGS[i] ?? 'monday'] === true);
      const on = days.length > 0 ? days : [BYDAY[start.weekday] ?? 'MO'];
      parts = ['FREQ=WEEKLY', ...interval(weekly?.interval), `BYDAY=${on.join(',')}`];
      break;
    }
    case 'Monthly':
      parts = [
        'FREQ=MONTHLY',
        ...interval(pattern.monthly?.interval),
        ...dayParts(pattern.monthly, start).parts,
      ];
      break;
    case 'Yearly': {
      const yearly = pattern.yearly;
      const month = yearly?.month === undefined ? start.month : MONTHS.indexOf(yearly.month) + 1;
      if (month < 1) throw new RangeError(`unknown month ${String(yearly?.month)}`);
      const { parts: day, day: dayOfMonth } = dayParts(yearly, start);
      // E.g. 30 February: not a series any calendar holds.
      if (dayOfMonth !== null && dayOfMonth > (MONTH_DAYS[month - 1] ?? 31))
        refuse('day the month never has');
      parts = ['FREQ=YEARLY', `BYMONTH=${month}`, ...day];
      break;
    }
    default:
      throw new RangeError(
        `unknown recurrence frequency ${String((wire as { frequency: unknown }).frequency)}`,
      );
  }
  return [`RRULE:${[...parts, ...range].join(';')}`];
}

/**
 * Severa's recurrence vocabulary, spelled as in the official OpenAPI document (`ActivityRecurrenceModel`,
 * `RecurrencePattern`, `DailyModel`, `WeeklyModel`, `MonthlyModel`, `YearlyModel`, `RecurrenceRange`, `DayOrdinal`,
 * `DayOrdinalOption`, `Months`; contracts/severa-openapi-v1.sync-subset.yaml). Pure data:
 * severa-recurrence.mapper.ts converts it to and from the core's canonical `RecurrenceRule`; severa.wire.ts
 * validates it on the way in.
 */
export const SEVERA_FREQUENCIES = ['Daily', 'Weekly', 'Monthly', 'Yearly'] as const;
export type SeveraFrequency = (typeof SEVERA_FREQUENCIES)[number];

export const DAY_ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
export type DayOrdinal = (typeof DAY_ORDINALS)[number];

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
export type DayOrdinalOption = (typeof DAY_ORDINAL_OPTIONS)[number];

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
export type Month = (typeof MONTHS)[number];

export interface SeveraDailyPattern {
  readonly interval?: number | null;
  readonly everyWeekday?: boolean;
}
export interface SeveraWeeklyPattern {
  readonly interval?: number;
  readonly monday?: boolean;
  readonly tuesday?: boolean;
  readonly wednesday?: boolean;
  readonly thursday?: boolean;
  readonly friday?: boolean;
  readonly saturday?: boolean;
  readonly sunday?: boolean;
}
export interface SeveraMonthlyPattern {
  readonly interval?: number;
  readonly dayOfMonth?: number | null;
  readonly dayOrdinal?: DayOrdinal | null;
  readonly dayOrdinalOption?: DayOrdinalOption | null;
}
export interface SeveraYearlyPattern {
  readonly month?: Month;
  readonly dayOfMonth?: number | null;
  readonly dayOrdinal?: DayOrdinal | null;
  readonly dayOrdinalOption?: DayOrdinalOption | null;
}
export interface SeveraRecurrencePattern {
  readonly daily?: SeveraDailyPattern | null;
  readonly weekly?: SeveraWeeklyPattern | null;
  readonly monthly?: SeveraMonthlyPattern | null;
  readonly yearly?: SeveraYearlyPattern | null;
}
export interface SeveraRecurrenceRange {
  readonly maxOccurrences?: number | null;
  /** `format: date`. */
  readonly recursUntilDate?: string | null;
}

/** `ActivityRecurrenceModel`. `exceptions` is read-only (date-times of occurrences that are not as the rule says). */
export interface SeveraRecurrence {
  readonly frequency: SeveraFrequency;
  readonly pattern?: SeveraRecurrencePattern | null;
  readonly range?: SeveraRecurrenceRange | null;
  readonly exceptions?: readonly string[] | null;
  readonly lastOccurrenceDateTime?: string | null;
}

/**
 * Normalised recurrence: the part of an RRULE that both Severa's `ActivityRecurrenceModel` and Google's
 * `recurrence[]` can express (reference/severa-api.md §7, google-calendar.md §3), plus the exceptions of a series.
 *
 * A series is one entry: its rule, the occurrences that were cancelled and the occurrences that were modified.
 * Severa keeps these as a `Series` master plus `Exception` rows; Google as a master plus exception instances
 * (`recurringEventId` + `originalStartTime`). The adapters fold them into this shape and unfold them on write.
 */
import { sameTiming, type Timing } from './timing.js';

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export function isWeekday(value: unknown): value is Weekday {
  return typeof value === 'string' && (WEEKDAYS as readonly string[]).includes(value);
}

export const FREQUENCIES = ['daily', 'weekly', 'monthly', 'yearly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** How a series ends. `until` is inclusive and a local date in the series' zone (Severa `range.recursUntilDate`). */
export type RecurrenceEnd =
  | { readonly kind: 'forever' }
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'until'; readonly until: string };

/**
 * The canonical rule. Exactly one spelling per meaning, so equal rules hash equally:
 * - `byWeekday` sorted MO..SU, no duplicates; empty when not used;
 * - daily "every weekday" is `weekly` + MO..FR (what Google's UI writes);
 * - a monthly/yearly "n-th day of the month" is `byMonthDay` (1..31, or -1 for the last day);
 * - an ordinal weekday / weekday / weekend day is `byWeekday` + `bySetPos` (1..4 or -1).
 */
export interface RecurrenceRule {
  readonly freq: Frequency;
  readonly interval: number;
  readonly byWeekday: readonly Weekday[];
  readonly byMonthDay: number | null;
  readonly bySetPos: number | null;
  readonly byMonth: number | null;
  readonly end: RecurrenceEnd;
}

/**
 * Either a rule both sides express, or Google recurrence lines Severa cannot express (hourly, several BYMONTHDAY
 * values, BYWEEKNO, RDATE, …) kept verbatim so Google is never rewritten. Unsupported series are synced to Severa
 * by the documented fallback in shared/sync/recurrence (expanded occurrences inside the sync window).
 */
export type RecurrencePattern =
  | { readonly kind: 'rule'; readonly rule: RecurrenceRule }
  | { readonly kind: 'unsupported'; readonly lines: readonly string[] };

/** A modified occurrence of a series: the full content of that one instance. */
export interface RecurrenceOverride {
  /** The occurrence's original start: a canonical UTC instant (timed series) or `YYYY-MM-DD` (all-day series). */
  readonly originalStart: string;
  readonly title: string;
  readonly notes: string;
  readonly location: string;
  readonly timing: Timing;
}

export interface Recurrence {
  readonly pattern: RecurrencePattern;
  /** Original starts (same encoding as overrides) of cancelled occurrences; sorted, unique. */
  readonly exdates: readonly string[];
  /** Modified occurrences, sorted by `originalStart`, at most one per original start. */
  readonly overrides: readonly RecurrenceOverride[];
}

/** What an occurrence holds on its own: an override, or an entry read as one occurrence. */
export type OccurrenceFields = Pick<RecurrenceOverride, 'title' | 'notes' | 'location' | 'timing'>;

/**
 * Whether two occurrences hold the same synced fields. The one comparison both adapters use to decide that an
 * exception already is as a write wants it (and so is not written again).
 */
export function sameOverride(a: OccurrenceFields, b: OccurrenceFields): boolean {
  return (
    a.title === b.title && a.notes === b.notes && a.location === b.location && sameTiming(a.timing, b.timing)
  );
}

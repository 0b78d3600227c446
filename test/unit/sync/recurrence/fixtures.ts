/** Builders shared by the recurrence tests. */
import fc from 'fast-check';

import type { EntryContent } from '../../../../shared/domain/entry.js';
import type {
  Recurrence,
  RecurrenceOverride,
  RecurrencePattern,
  RecurrenceRule,
  Weekday,
} from '../../../../shared/domain/recurrence.js';
import type { AllDayTiming, TimedTiming, Timing } from '../../../../shared/domain/timing.js';

export function timed(start: string, end: string, timeZone: string): TimedTiming {
  return { kind: 'timed', start, end, timeZone };
}

export function allDay(startDate: string, endDate: string): AllDayTiming {
  return { kind: 'allDay', startDate, endDate };
}

export function rule(partial: Partial<RecurrenceRule> & Pick<RecurrenceRule, 'freq'>): RecurrenceRule {
  return {
    interval: 1,
    byWeekday: [],
    byMonthDay: null,
    bySetPos: null,
    byMonth: null,
    end: { kind: 'forever' },
    ...partial,
  };
}

export function series(
  timing: Timing,
  pattern: RecurrencePattern | RecurrenceRule,
  extra: Partial<Omit<Recurrence, 'pattern'>> = {},
): EntryContent {
  const p: RecurrencePattern = 'kind' in pattern ? pattern : { kind: 'rule', rule: pattern };
  return {
    title: 'Weekly sync',
    notes: 'Agenda',
    location: 'Helsinki office',
    timing,
    isPrivate: false,
    recurrence: { pattern: p, exdates: extra.exdates ?? [], overrides: extra.overrides ?? [] },
  };
}

export function unsupported(...lines: string[]): RecurrencePattern {
  return { kind: 'unsupported', lines };
}

export function override(originalStart: string, timing: Timing, title = 'Moved'): RecurrenceOverride {
  return { originalStart, title, notes: 'Moved notes', location: 'Elsewhere', timing };
}

export function window(from: string, to: string): { readonly fromMs: number; readonly toMs: number } {
  return { fromMs: Date.parse(from), toMs: Date.parse(to) };
}

/** Start instants of occurrences (timed) or start dates (all-day). */
export function starts(timings: readonly { readonly timing: Timing }[]): string[] {
  return timings.map(({ timing }) => (timing.kind === 'timed' ? timing.start : timing.startDate));
}

// ---- fast-check arbitraries of canonical, Severa-expressible rules and series starts

export const ZONES = ['Europe/Helsinki', 'America/New_York', 'UTC', 'Asia/Kolkata'] as const;
const ALL_DAYS: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export const dateArb = fc
  .integer({ min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2040, 11, 31) / 86_400_000 })
  .map((day) => isoDate(day * 86_400_000));

export const endArb: fc.Arbitrary<RecurrenceRule['end']> = fc.oneof(
  fc.constant({ kind: 'forever' as const }),
  fc.integer({ min: 1, max: 500 }).map((count) => ({ kind: 'count' as const, count })),
  dateArb.map((until) => ({ kind: 'until' as const, until })),
);

const weekdaySetArb = fc.subarray([...ALL_DAYS], { minLength: 1 });
const setPosArb = fc.constantFrom(1, 2, 3, 4, -1);
const ordinalDaysArb = fc.oneof(
  fc.constantFrom(...ALL_DAYS).map((d) => [d]),
  fc.constant<Weekday[]>(['MO', 'TU', 'WE', 'TH', 'FR']),
  fc.constant<Weekday[]>(['SA', 'SU']),
);

function dayPartArb(
  maxDay: number,
): fc.Arbitrary<Pick<RecurrenceRule, 'byWeekday' | 'byMonthDay' | 'bySetPos'>> {
  return fc.oneof(
    fc
      .oneof(fc.integer({ min: 1, max: maxDay }), fc.constant(-1))
      .map((byMonthDay) => ({ byWeekday: [], byMonthDay, bySetPos: null })),
    fc.record({ byWeekday: ordinalDaysArb, byMonthDay: fc.constant(null), bySetPos: setPosArb }),
  );
}

/** Every canonical rule Severa can express. */
export const expressibleRuleArb: fc.Arbitrary<RecurrenceRule> = fc.oneof(
  fc
    .record({ interval: fc.integer({ min: 1, max: 30 }), end: endArb })
    .map((r) => rule({ freq: 'daily', ...r })),
  fc
    .record({ interval: fc.integer({ min: 1, max: 8 }), byWeekday: weekdaySetArb, end: endArb })
    .filter((r) => !(r.interval === 1 && r.byWeekday.length === 7))
    .map((r) => rule({ freq: 'weekly', ...r })),
  fc
    .record({ interval: fc.integer({ min: 1, max: 24 }), day: dayPartArb(31), end: endArb })
    .map((r) => rule({ freq: 'monthly', interval: r.interval, end: r.end, ...r.day })),
  fc
    .integer({ min: 1, max: 12 })
    .chain((byMonth) =>
      fc
        .record({ day: dayPartArb(MAX_DAYS[byMonth - 1] ?? 28), end: endArb })
        .map((r) => rule({ freq: 'yearly', byMonth, end: r.end, ...r.day })),
    ),
);

/** Timed starts (second precision, in the test zones) and all-day starts (1–3 days). */
export const startArb: fc.Arbitrary<Timing> = fc.oneof(
  fc
    .record({
      second: fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2040, 0, 1) / 1000 }),
      minutes: fc.integer({ min: 0, max: 600 }),
      zone: fc.constantFrom(...ZONES),
    })
    .map(({ second, minutes, zone }) =>
      timed(
        `${new Date(second * 1000).toISOString().slice(0, 19)}Z`,
        `${new Date(second * 1000 + minutes * 60_000).toISOString().slice(0, 19)}Z`,
        zone,
      ),
    ),
  fc
    .record({ date: dateArb, days: fc.integer({ min: 1, max: 3 }) })
    .map(({ date, days }) => allDay(date, isoDate(Date.parse(date) + days * 86_400_000))),
);

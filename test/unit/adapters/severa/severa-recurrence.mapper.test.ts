import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { RecurrenceRule } from '../../../../shared/domain/recurrence.js';
import {
  ruleToSeveraRecurrence,
  severaRecurrenceToRule,
} from '../../../../shared/adapters/severa/severa-recurrence.mapper.js';
import {
  DAY_ORDINALS,
  DAY_ORDINAL_OPTIONS,
  MONTHS,
  type SeveraRecurrence,
} from '../../../../shared/adapters/severa/severa-recurrence.wire.js';
import { allDay, expressibleRuleArb, rule, startArb, timed } from '../../sync/recurrence/fixtures.js';

/** Monday 4 May 2026, 09:00 in Helsinki. */
const MAY_4 = timed('2026-05-04T06:00:00Z', '2026-05-04T07:00:00Z', 'Europe/Helsinki');

const NONE = { daily: null, weekly: null, monthly: null, yearly: null };
const FOREVER = { maxOccurrences: null, recursUntilDate: null };
const WEEK_OFF = {
  monday: false,
  tuesday: false,
  wednesday: false,
  thursday: false,
  friday: false,
  saturday: false,
  sunday: false,
};
const NO_DAY = { dayOfMonth: null, dayOrdinal: null, dayOrdinalOption: null };
const WORK_WEEK = ['MO', 'TU', 'WE', 'TH', 'FR'] as const;

/** Severa's natural form ⇄ the canonical rule: exact both ways. */
const exact: readonly {
  readonly name: string;
  readonly wire: SeveraRecurrence;
  readonly rule: RecurrenceRule;
}[] = [
  {
    name: 'daily every 2 days',
    wire: {
      frequency: 'Daily',
      pattern: { ...NONE, daily: { interval: 2, everyWeekday: false } },
      range: FOREVER,
    },
    rule: rule({ freq: 'daily', interval: 2 }),
  },
  {
    name: 'weekly on Monday and Wednesday every 2 weeks, 10 times',
    wire: {
      frequency: 'Weekly',
      pattern: { ...NONE, weekly: { ...WEEK_OFF, interval: 2, monday: true, wednesday: true } },
      range: { maxOccurrences: 10, recursUntilDate: null },
    },
    rule: rule({ freq: 'weekly', interval: 2, byWeekday: ['MO', 'WE'], end: { kind: 'count', count: 10 } }),
  },
  {
    name: 'weekly Monday..Friday stays weekly',
    wire: {
      frequency: 'Weekly',
      pattern: {
        ...NONE,
        weekly: {
          ...WEEK_OFF,
          interval: 1,
          monday: true,
          tuesday: true,
          wednesday: true,
          thursday: true,
          friday: true,
        },
      },
      range: { maxOccurrences: null, recursUntilDate: '2026-12-31' },
    },
    rule: rule({ freq: 'weekly', byWeekday: [...WORK_WEEK], end: { kind: 'until', until: '2026-12-31' } }),
  },
  {
    name: 'monthly on the 15th every 3 months',
    wire: {
      frequency: 'Monthly',
      pattern: { ...NONE, monthly: { ...NO_DAY, interval: 3, dayOfMonth: 15 } },
      range: FOREVER,
    },
    rule: rule({ freq: 'monthly', interval: 3, byMonthDay: 15 }),
  },
  {
    name: 'monthly on the last day',
    wire: {
      frequency: 'Monthly',
      pattern: {
        ...NONE,
        monthly: { interval: 1, dayOfMonth: null, dayOrdinal: 'Last', dayOrdinalOption: 'Day' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'monthly', byMonthDay: -1 }),
  },
  {
    name: 'monthly on the last Friday',
    wire: {
      frequency: 'Monthly',
      pattern: {
        ...NONE,
        monthly: { interval: 1, dayOfMonth: null, dayOrdinal: 'Last', dayOrdinalOption: 'Friday' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 }),
  },
  {
    name: 'monthly on the second weekday',
    wire: {
      frequency: 'Monthly',
      pattern: {
        ...NONE,
        monthly: { interval: 1, dayOfMonth: null, dayOrdinal: 'Second', dayOrdinalOption: 'WeekDay' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'monthly', byWeekday: [...WORK_WEEK], bySetPos: 2 }),
  },
  {
    name: 'every other month on the first weekend day',
    wire: {
      frequency: 'Monthly',
      pattern: {
        ...NONE,
        monthly: { interval: 2, dayOfMonth: null, dayOrdinal: 'First', dayOrdinalOption: 'WeekendDay' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'monthly', interval: 2, byWeekday: ['SA', 'SU'], bySetPos: 1 }),
  },
  {
    name: 'yearly on 24 December',
    wire: {
      frequency: 'Yearly',
      pattern: { ...NONE, yearly: { ...NO_DAY, month: 'December', dayOfMonth: 24 } },
      range: { maxOccurrences: 5, recursUntilDate: null },
    },
    rule: rule({ freq: 'yearly', byMonth: 12, byMonthDay: 24, end: { kind: 'count', count: 5 } }),
  },
  {
    name: 'yearly on the third Sunday of March',
    wire: {
      frequency: 'Yearly',
      pattern: {
        ...NONE,
        yearly: { month: 'March', dayOfMonth: null, dayOrdinal: 'Third', dayOrdinalOption: 'Sunday' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'yearly', byMonth: 3, byWeekday: ['SU'], bySetPos: 3 }),
  },
  {
    name: 'yearly on the last day of February',
    wire: {
      frequency: 'Yearly',
      pattern: {
        ...NONE,
        yearly: { month: 'February', dayOfMonth: null, dayOrdinal: 'Last', dayOrdinalOption: 'Day' },
      },
      range: FOREVER,
    },
    rule: rule({ freq: 'yearly', byMonth: 2, byMonthDay: -1 }),
  },
];

describe('Severa ⇄ rule, exact for Severa’s natural forms', () => {
  for (const c of exact) {
    it(`${c.name}: Severa → rule`, () => {
      assert.deepEqual(severaRecurrenceToRule(c.wire, MAY_4), c.rule);
    });
    it(`${c.name}: rule → Severa`, () => {
      assert.deepEqual(ruleToSeveraRecurrence(c.rule, MAY_4), c.wire);
    });
  }
});

describe('Severa → rule → Severa: the documented canonical choices', () => {
  const cases: readonly {
    readonly name: string;
    readonly wire: SeveraRecurrence;
    readonly rule: RecurrenceRule;
    readonly back: SeveraRecurrence;
  }[] = [
    {
      name: 'daily everyWeekday becomes weekly Monday..Friday',
      wire: { frequency: 'Daily', pattern: { daily: { interval: 1, everyWeekday: true } } },
      rule: rule({ freq: 'weekly', byWeekday: [...WORK_WEEK] }),
      back: {
        frequency: 'Weekly',
        pattern: {
          ...NONE,
          weekly: {
            ...WEEK_OFF,
            interval: 1,
            monday: true,
            tuesday: true,
            wednesday: true,
            thursday: true,
            friday: true,
          },
        },
        range: FOREVER,
      },
    },
    {
      name: 'weekly on all seven days becomes daily',
      wire: {
        frequency: 'Weekly',
        pattern: {
          weekly: {
            interval: 1,
            monday: true,
            tuesday: true,
            wednesday: true,
            thursday: true,
            friday: true,
            saturday: true,
            sunday: true,
          },
        },
      },
      rule: rule({ freq: 'daily' }),
      back: {
        frequency: 'Daily',
        pattern: { ...NONE, daily: { interval: 1, everyWeekday: false } },
        range: FOREVER,
      },
    },
    {
      name: 'the second "Day" becomes dayOfMonth 2',
      wire: {
        frequency: 'Monthly',
        pattern: { monthly: { interval: 1, dayOrdinal: 'Second', dayOrdinalOption: 'Day' } },
      },
      rule: rule({ freq: 'monthly', byMonthDay: 2 }),
      back: {
        frequency: 'Monthly',
        pattern: { ...NONE, monthly: { ...NO_DAY, interval: 1, dayOfMonth: 2 } },
        range: FOREVER,
      },
    },
    {
      name: 'weekly without days takes the start weekday; null interval is 1',
      wire: { frequency: 'Weekly', pattern: { weekly: {} }, range: null },
      rule: rule({ freq: 'weekly', byWeekday: ['MO'] }),
      back: {
        frequency: 'Weekly',
        pattern: { ...NONE, weekly: { ...WEEK_OFF, interval: 1, monday: true } },
        range: FOREVER,
      },
    },
    {
      name: 'monthly without a day takes the start day of month',
      wire: { frequency: 'Monthly', pattern: null },
      rule: rule({ freq: 'monthly', byMonthDay: 4 }),
      back: {
        frequency: 'Monthly',
        pattern: { ...NONE, monthly: { ...NO_DAY, interval: 1, dayOfMonth: 4 } },
        range: FOREVER,
      },
    },
    {
      name: 'yearly without month and day takes the start’s',
      wire: { frequency: 'Yearly' },
      rule: rule({ freq: 'yearly', byMonth: 5, byMonthDay: 4 }),
      back: {
        frequency: 'Yearly',
        pattern: { ...NONE, yearly: { ...NO_DAY, month: 'May', dayOfMonth: 4 } },
        range: FOREVER,
      },
    },
    {
      name: 'maxOccurrences wins over recursUntilDate; a date-time until is read by its date',
      wire: {
        frequency: 'Daily',
        pattern: { daily: { interval: 1 } },
        range: { maxOccurrences: 3, recursUntilDate: '2026-12-31T00:00:00' },
      },
      rule: rule({ freq: 'daily', end: { kind: 'count', count: 3 } }),
      back: {
        frequency: 'Daily',
        pattern: { ...NONE, daily: { interval: 1, everyWeekday: false } },
        range: { maxOccurrences: 3, recursUntilDate: null },
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = severaRecurrenceToRule(c.wire, MAY_4);
      assert.deepEqual(r, c.rule);
      assert.deepEqual(ruleToSeveraRecurrence(r, MAY_4), c.back);
    });
  }

  it('reads weekly defaults in the series zone: a Monday 01:00 in Helsinki is Sunday in UTC', () => {
    const start = timed('2026-05-03T22:00:00Z', '2026-05-03T23:00:00Z', 'Europe/Helsinki');
    assert.deepEqual(
      severaRecurrenceToRule({ frequency: 'Weekly' }, start),
      rule({ freq: 'weekly', byWeekday: ['MO'] }),
    );
  });

  it('reads defaults of an all-day series from its date', () => {
    assert.deepEqual(
      severaRecurrenceToRule({ frequency: 'Monthly' }, allDay('2026-01-31', '2026-02-01')),
      rule({ freq: 'monthly', byMonthDay: 31 }),
    );
  });

  it('rejects Severa values no calendar holds', () => {
    assert.throws(
      () => severaRecurrenceToRule({ frequency: 'Monthly', pattern: { monthly: { dayOfMonth: 40 } } }, MAY_4),
      RangeError,
    );
    assert.throws(
      () =>
        severaRecurrenceToRule(
          { frequency: 'Yearly', pattern: { yearly: { month: 'February', dayOfMonth: 30 } } },
          MAY_4,
        ),
      RangeError,
    );
    assert.throws(
      () => severaRecurrenceToRule({ frequency: 'Daily', range: { recursUntilDate: 'soon' } }, MAY_4),
      RangeError,
    );
  });
});

describe('ruleToSeveraRecurrence refuses what Severa cannot express', () => {
  const cases: readonly { readonly name: string; readonly rule: RecurrenceRule }[] = [
    {
      name: 'yearly with interval 2',
      rule: rule({ freq: 'yearly', interval: 2, byMonth: 3, byMonthDay: 1 }),
    },
    { name: 'yearly without month', rule: rule({ freq: 'yearly', byMonthDay: 1 }) },
    { name: 'fifth Tuesday', rule: rule({ freq: 'monthly', byWeekday: ['TU'], bySetPos: 5 }) },
    { name: 'second-to-last Friday', rule: rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -2 }) },
    {
      name: 'second Monday-or-Wednesday',
      rule: rule({ freq: 'monthly', byWeekday: ['MO', 'WE'], bySetPos: 2 }),
    },
    { name: 'second-to-last day', rule: rule({ freq: 'monthly', byMonthDay: -2 }) },
    { name: 'day 32', rule: rule({ freq: 'monthly', byMonthDay: 32 }) },
    { name: 'monthly without a day', rule: rule({ freq: 'monthly' }) },
    { name: 'monthly with BYMONTH', rule: rule({ freq: 'monthly', byMonth: 3, byMonthDay: 1 }) },
    { name: 'weekly without days', rule: rule({ freq: 'weekly' }) },
    { name: 'weekly with a set position', rule: rule({ freq: 'weekly', byWeekday: ['MO'], bySetPos: 1 }) },
    { name: 'daily with weekdays', rule: rule({ freq: 'daily', byWeekday: ['MO'] }) },
    { name: 'interval 0', rule: rule({ freq: 'daily', interval: 0 }) },
    { name: 'count 0', rule: rule({ freq: 'daily', end: { kind: 'count', count: 0 } }) },
    { name: 'until not a date', rule: rule({ freq: 'daily', end: { kind: 'until', until: '2026-02-30' } }) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.throws(() => ruleToSeveraRecurrence(c.rule, MAY_4), RangeError);
    });
  }
});

describe('round trips (property)', () => {
  it('rule → Severa → rule is exact for every expressible rule', () => {
    fc.assert(
      fc.property(expressibleRuleArb, startArb, (r, start) => {
        assert.deepEqual(severaRecurrenceToRule(ruleToSeveraRecurrence(r, start), start), r);
      }),
      { numRuns: 500 },
    );
  });

  it('Severa → rule → Severa keeps the meaning and reaches the natural form in one step', () => {
    const ordinal = fc.constantFrom(...DAY_ORDINALS);
    const option = fc.constantFrom(...DAY_ORDINAL_OPTIONS);
    const explicitDay = fc.oneof(
      fc.record({ dayOfMonth: fc.integer({ min: 1, max: 28 }) }),
      fc.record({ dayOrdinal: ordinal, dayOrdinalOption: option }),
    );
    // Monthly may leave the day out (the start's day of month is used); yearly gets one, since the start's day
    // need not exist in the month (30 February).
    const dayChoice = fc.oneof(explicitDay, fc.constant({}));
    const range = fc.oneof(
      fc.constant(null),
      fc.record({ maxOccurrences: fc.integer({ min: 1, max: 99 }) }),
      fc.record({ recursUntilDate: fc.constantFrom('2026-12-31', '2030-06-15') }),
    );
    const flags = fc.record({
      monday: fc.boolean(),
      tuesday: fc.boolean(),
      wednesday: fc.boolean(),
      thursday: fc.boolean(),
      friday: fc.boolean(),
      saturday: fc.boolean(),
      sunday: fc.boolean(),
    });
    const interval = fc.integer({ min: 1, max: 12 });
    const wireArb: fc.Arbitrary<SeveraRecurrence> = fc.oneof(
      fc.record({
        frequency: fc.constant('Daily' as const),
        pattern: fc.record({ daily: fc.record({ interval, everyWeekday: fc.boolean() }) }),
        range,
      }),
      fc.record({
        frequency: fc.constant('Weekly' as const),
        pattern: fc.record({ weekly: fc.tuple(interval, flags).map(([i, f]) => ({ interval: i, ...f })) }),
        range,
      }),
      fc.record({
        frequency: fc.constant('Monthly' as const),
        pattern: fc.record({
          monthly: fc.tuple(interval, dayChoice).map(([i, d]) => ({ interval: i, ...d })),
        }),
        range,
      }),
      fc.record({
        frequency: fc.constant('Yearly' as const),
        pattern: fc.record({
          yearly: fc.tuple(fc.constantFrom(...MONTHS), explicitDay).map(([month, d]) => ({ month, ...d })),
        }),
        range,
      }),
    );
    fc.assert(
      fc.property(wireArb, startArb, (wire, start) => {
        const r = severaRecurrenceToRule(wire, start);
        const natural = ruleToSeveraRecurrence(r, start);
        assert.deepEqual(severaRecurrenceToRule(natural, start), r);
        assert.deepEqual(ruleToSeveraRecurrence(severaRecurrenceToRule(natural, start), start), natural);
      }),
      { numRuns: 500 },
    );
  });
});

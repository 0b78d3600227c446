import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { RecurrenceRule } from '../../../../shared/domain/recurrence.js';
import type { Timing } from '../../../../shared/domain/timing.js';
import { formatGoogleRecurrence, parseGoogleRecurrence } from '../../../../shared/sync/recurrence/rrule.js';
import { allDay, expressibleRuleArb, rule, startArb, timed, unsupported } from './fixtures.js';

/** Monday 4 May 2026, 09:00–10:00 in Helsinki (EEST, +03:00). */
const MAY_4 = timed('2026-05-04T06:00:00Z', '2026-05-04T07:00:00Z', 'Europe/Helsinki');
const MAY_4_ALL_DAY = allDay('2026-05-04', '2026-05-05');

const WORK_WEEK = ['MO', 'TU', 'WE', 'TH', 'FR'] as const;

describe('parseGoogleRecurrence: canonical rules', () => {
  const cases: readonly { readonly name: string; readonly lines: string[]; readonly rule: RecurrenceRule }[] =
    [
      { name: 'daily', lines: ['RRULE:FREQ=DAILY'], rule: rule({ freq: 'daily' }) },
      {
        name: 'daily with interval and count',
        lines: ['RRULE:FREQ=DAILY;INTERVAL=3;COUNT=10'],
        rule: rule({ freq: 'daily', interval: 3, end: { kind: 'count', count: 10 } }),
      },
      {
        name: 'DAILY;BYDAY=MO..FR is weekly on weekdays',
        lines: ['RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR'],
        rule: rule({ freq: 'weekly', byWeekday: [...WORK_WEEK] }),
      },
      {
        name: 'WEEKLY;BYDAY=MO..FR',
        lines: ['RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'],
        rule: rule({ freq: 'weekly', byWeekday: [...WORK_WEEK] }),
      },
      {
        name: 'weekly without BYDAY takes the start weekday',
        lines: ['RRULE:FREQ=WEEKLY'],
        rule: rule({ freq: 'weekly', byWeekday: ['MO'] }),
      },
      {
        name: 'weekly days are sorted and de-duplicated',
        lines: ['RRULE:FREQ=WEEKLY;BYDAY=FR,MO,FR;INTERVAL=2'],
        rule: rule({ freq: 'weekly', interval: 2, byWeekday: ['MO', 'FR'] }),
      },
      {
        name: 'weekly on every day is daily',
        lines: ['RRULE:FREQ=WEEKLY;BYDAY=SU,MO,TU,WE,TH,FR,SA'],
        rule: rule({ freq: 'daily' }),
      },
      {
        name: 'harmless WKST is ignored',
        lines: ['RRULE:FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=MO,WE'],
        rule: rule({ freq: 'weekly', interval: 2, byWeekday: ['MO', 'WE'] }),
      },
      {
        name: 'WKST=MO is the default',
        lines: ['RRULE:FREQ=WEEKLY;WKST=MO;INTERVAL=2;BYDAY=SU,MO'],
        rule: rule({ freq: 'weekly', interval: 2, byWeekday: ['MO', 'SU'] }),
      },
      {
        name: 'monthly without day takes the start day of month',
        lines: ['RRULE:FREQ=MONTHLY'],
        rule: rule({ freq: 'monthly', byMonthDay: 4 }),
      },
      {
        name: 'second Tuesday, ordinal form',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=2TU'],
        rule: rule({ freq: 'monthly', byWeekday: ['TU'], bySetPos: 2 }),
      },
      {
        name: 'second Tuesday, BYSETPOS form',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2'],
        rule: rule({ freq: 'monthly', byWeekday: ['TU'], bySetPos: 2 }),
      },
      {
        name: 'last Friday',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=-1FR'],
        rule: rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 }),
      },
      {
        name: 'second weekday',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=2'],
        rule: rule({ freq: 'monthly', byWeekday: [...WORK_WEEK], bySetPos: 2 }),
      },
      {
        name: 'last weekend day',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=SU,SA;BYSETPOS=-1'],
        rule: rule({ freq: 'monthly', byWeekday: ['SA', 'SU'], bySetPos: -1 }),
      },
      {
        name: 'last day of the month',
        lines: ['RRULE:FREQ=MONTHLY;BYMONTHDAY=-1'],
        rule: rule({ freq: 'monthly', byMonthDay: -1 }),
      },
      {
        name: 'third day (every weekday + BYSETPOS) is BYMONTHDAY',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYSETPOS=3'],
        rule: rule({ freq: 'monthly', byMonthDay: 3 }),
      },
      {
        name: 'every Tuesday of every month is weekly',
        lines: ['RRULE:FREQ=MONTHLY;BYDAY=TU'],
        rule: rule({ freq: 'weekly', byWeekday: ['TU'] }),
      },
      {
        name: 'quarterly with until',
        lines: ['RRULE:FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15;UNTIL=20261231T215959Z'],
        rule: rule({
          freq: 'monthly',
          interval: 3,
          byMonthDay: 15,
          end: { kind: 'until', until: '2026-12-31' },
        }),
      },
      {
        name: 'yearly takes month and day from the start',
        lines: ['RRULE:FREQ=YEARLY'],
        rule: rule({ freq: 'yearly', byMonth: 5, byMonthDay: 4 }),
      },
      {
        name: 'yearly with BYMONTH only takes the start day',
        lines: ['RRULE:FREQ=YEARLY;BYMONTH=3'],
        rule: rule({ freq: 'yearly', byMonth: 3, byMonthDay: 4 }),
      },
      {
        name: 'third Sunday of March, ordinal form',
        lines: ['RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=3SU'],
        rule: rule({ freq: 'yearly', byMonth: 3, byWeekday: ['SU'], bySetPos: 3 }),
      },
      {
        name: 'third Sunday of March, BYSETPOS form',
        lines: ['RRULE:FREQ=YEARLY;BYDAY=SU;BYMONTH=3;BYSETPOS=3'],
        rule: rule({ freq: 'yearly', byMonth: 3, byWeekday: ['SU'], bySetPos: 3 }),
      },
      {
        name: 'yearly INTERVAL=1 is fine',
        lines: ['RRULE:FREQ=YEARLY;INTERVAL=1;BYMONTH=2;BYMONTHDAY=29'],
        rule: rule({ freq: 'yearly', byMonth: 2, byMonthDay: 29 }),
      },
      {
        name: 'names and values are case-insensitive, empty parts ignored',
        lines: ['rrule:freq=weekly;byday=mo;'],
        rule: rule({ freq: 'weekly', byWeekday: ['MO'] }),
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(parseGoogleRecurrence(c.lines, MAY_4), {
        pattern: { kind: 'rule', rule: c.rule },
        exdates: [],
      });
    });
  }
});

describe('parseGoogleRecurrence: UNTIL becomes the inclusive local date of the last occurrence', () => {
  const cases: readonly { readonly until: string; readonly start: Timing; readonly expected: string }[] = [
    // 23:59:59 Helsinki (EET) on 31 December, as Google writes it.
    { until: '20261231T215959Z', start: MAY_4, expected: '2026-12-31' },
    // Exactly the series' 09:00: that day's occurrence is included.
    { until: '20261231T070000Z', start: MAY_4, expected: '2026-12-31' },
    // 08:59:59 local, earlier than the 09:00 start time: that day's occurrence is not.
    { until: '20261231T065959Z', start: MAY_4, expected: '2026-12-30' },
    // 01:00 on 31 December local: still the 30th's occurrence at the latest.
    { until: '20261230T230000Z', start: MAY_4, expected: '2026-12-30' },
    { until: '20261231', start: MAY_4, expected: '2026-12-31' },
    // Local (floating) date-time, read in the series' zone.
    { until: '20261231T083000', start: MAY_4, expected: '2026-12-30' },
    // New York: 23:59:59 EST on 31 December is 04:59:59Z on 1 January.
    {
      until: '20270101T045959Z',
      start: timed('2026-05-04T13:00:00Z', '2026-05-04T14:00:00Z', 'America/New_York'),
      expected: '2026-12-31',
    },
    { until: '20261231', start: MAY_4_ALL_DAY, expected: '2026-12-31' },
    { until: '20261231T000000Z', start: MAY_4_ALL_DAY, expected: '2026-12-31' },
  ];
  for (const c of cases) {
    it(`${c.until} (${c.start.kind === 'timed' ? c.start.timeZone : 'all-day'}) → ${c.expected}`, () => {
      const parsed = parseGoogleRecurrence([`RRULE:FREQ=DAILY;UNTIL=${c.until}`], c.start);
      assert.deepEqual(parsed.pattern, {
        kind: 'rule',
        rule: rule({ freq: 'daily', end: { kind: 'until', until: c.expected } }),
      });
    });
  }
});

describe('parseGoogleRecurrence: EXDATE', () => {
  it('reads TZID, UTC, DATE and comma lists of a timed series as UTC instants', () => {
    const parsed = parseGoogleRecurrence(
      [
        'RRULE:FREQ=WEEKLY;BYDAY=MO',
        'EXDATE;TZID=Europe/Helsinki:20260511T090000',
        'EXDATE:20260518T060000Z',
        'EXDATE;VALUE=DATE:20260525',
        'EXDATE;TZID=America/New_York:20260601T020000',
        'EXDATE;TZID=Europe/Helsinki:20260608T090000,20260615T090000',
        // Winter: 09:00 EET is 07:00Z.
        'EXDATE;TZID=Europe/Helsinki:20261214T090000',
        // Duplicates collapse.
        'EXDATE:20260511T060000Z',
      ],
      MAY_4,
    );
    assert.deepEqual(parsed, {
      pattern: { kind: 'rule', rule: rule({ freq: 'weekly', byWeekday: ['MO'] }) },
      exdates: [
        '2026-05-11T06:00:00Z',
        '2026-05-18T06:00:00Z',
        '2026-05-25T06:00:00Z',
        '2026-06-01T06:00:00Z',
        '2026-06-08T06:00:00Z',
        '2026-06-15T06:00:00Z',
        '2026-12-14T07:00:00Z',
      ],
    });
  });

  it('reads the exdates of an all-day series as dates', () => {
    const parsed = parseGoogleRecurrence(
      ['EXDATE;VALUE=DATE:20260511,20260518', 'RRULE:FREQ=WEEKLY', 'EXDATE:20260525T000000Z'],
      MAY_4_ALL_DAY,
    );
    assert.deepEqual(parsed, {
      pattern: { kind: 'rule', rule: rule({ freq: 'weekly', byWeekday: ['MO'] }) },
      exdates: ['2026-05-11', '2026-05-18', '2026-05-25'],
    });
  });

  it('keeps an EXDATE it cannot read verbatim (and so the pattern is not rewritten)', () => {
    const lines = ['RRULE:FREQ=WEEKLY', 'EXDATE;TZID=Mars/Olympus_Mons:20260511T090000'];
    assert.deepEqual(parseGoogleRecurrence(lines, MAY_4), { pattern: unsupported(...lines), exdates: [] });
  });
});

describe('parseGoogleRecurrence: what Severa cannot express stays verbatim', () => {
  const cases: readonly (readonly string[])[] = [
    ['RRULE:FREQ=HOURLY;INTERVAL=4'],
    ['RRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=4'],
    ['RRULE:FREQ=SECONDLY'],
    ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'],
    ['RRULE:FREQ=MONTHLY;BYMONTHDAY=-2'],
    ['RRULE:FREQ=MONTHLY;BYMONTHDAY=0'],
    ['RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO'],
    ['RRULE:FREQ=YEARLY;BYYEARDAY=100'],
    ['RRULE:FREQ=DAILY;BYHOUR=9,15'],
    ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RDATE;TZID=Europe/Helsinki:20260507T090000'],
    ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=WEEKLY;BYDAY=SA,SU'],
    ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RRULE:FREQ=WEEKLY;BYDAY=TH'],
    ['RRULE:FREQ=MONTHLY;BYDAY=MO,WE;BYSETPOS=2'],
    ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1,-1'],
    ['RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=5'],
    ['RRULE:FREQ=MONTHLY;BYDAY=5TU'],
    ['RRULE:FREQ=MONTHLY;BYDAY=-2FR'],
    ['RRULE:FREQ=MONTHLY;BYDAY=1MO,3WE'],
    ['RRULE:FREQ=MONTHLY;BYDAY=1MO,1WE'],
    ['RRULE:FREQ=MONTHLY;BYDAY=2TU;BYSETPOS=1'],
    ['RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=TU'],
    ['RRULE:FREQ=MONTHLY;BYMONTH=3;BYMONTHDAY=5'],
    ['RRULE:FREQ=MONTHLY;BYMONTHDAY=5;BYDAY=MO'],
    ['RRULE:FREQ=YEARLY;INTERVAL=2'],
    ['RRULE:FREQ=YEARLY;BYMONTH=1,7'],
    ['RRULE:FREQ=YEARLY;BYDAY=20MO'],
    ['RRULE:FREQ=YEARLY;BYMONTHDAY=5'],
    ['RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=SU'],
    ['RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30'],
    ['RRULE:FREQ=WEEKLY;BYDAY=1MO'],
    ['RRULE:FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1'],
    ['RRULE:FREQ=WEEKLY;WKST=SU;INTERVAL=2;BYDAY=SU,MO'],
    ['RRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO,TU'],
    ['RRULE:FREQ=DAILY;BYMONTH=6'],
    ['RRULE:FREQ=DAILY;COUNT=5;UNTIL=20261231T215959Z'],
    ['RRULE:FREQ=DAILY;COUNT=0'],
    ['RRULE:FREQ=DAILY;INTERVAL=0'],
    ['RRULE:FREQ=DAILY;FREQ=WEEKLY'],
    ['RRULE:FREQ=DAILY;X-NAME=1'],
    ['RRULE:FREQ=YEARLY;RSCALE=GREGORIAN;SKIP=FORWARD'],
    ['RRULE;X-PARAM=1:FREQ=DAILY'],
    ['RDATE:20260507T060000Z'],
    ['not a content line'],
    [],
  ];
  for (const lines of cases) {
    it(lines.join(' + ') || '(no lines)', () => {
      assert.deepEqual(parseGoogleRecurrence(lines, MAY_4), { pattern: unsupported(...lines), exdates: [] });
    });
  }

  it('still moves EXDATEs of an unsupported series to exdates', () => {
    const parsed = parseGoogleRecurrence(
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15', 'EXDATE;TZID=Europe/Helsinki:20260515T090000'],
      MAY_4,
    );
    assert.deepEqual(parsed, {
      pattern: unsupported('RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'),
      exdates: ['2026-05-15T06:00:00Z'],
    });
  });
});

describe('formatGoogleRecurrence', () => {
  const cases: readonly {
    readonly name: string;
    readonly rule: RecurrenceRule;
    readonly start: Timing;
    readonly line: string;
  }[] = [
    {
      name: 'daily',
      rule: rule({ freq: 'daily', interval: 2 }),
      start: MAY_4,
      line: 'RRULE:FREQ=DAILY;INTERVAL=2',
    },
    {
      name: 'weekly always names its days',
      rule: rule({ freq: 'weekly', byWeekday: ['MO'] }),
      start: MAY_4,
      line: 'RRULE:FREQ=WEEKLY;BYDAY=MO',
    },
    {
      name: 'last Friday as an ordinal BYDAY',
      rule: rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 }),
      start: MAY_4,
      line: 'RRULE:FREQ=MONTHLY;BYDAY=-1FR',
    },
    {
      name: 'second weekday as a set with BYSETPOS',
      rule: rule({ freq: 'monthly', byWeekday: [...WORK_WEEK], bySetPos: 2 }),
      start: MAY_4,
      line: 'RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=2',
    },
    {
      name: 'last day of the month',
      rule: rule({ freq: 'monthly', byMonthDay: -1, end: { kind: 'count', count: 12 } }),
      start: MAY_4,
      line: 'RRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=12',
    },
    {
      name: 'third Sunday of March',
      rule: rule({ freq: 'yearly', byMonth: 3, byWeekday: ['SU'], bySetPos: 3 }),
      start: MAY_4,
      line: 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=3SU',
    },
    {
      name: 'until in winter: 23:59:59 EET',
      rule: rule({ freq: 'daily', end: { kind: 'until', until: '2026-12-31' } }),
      start: MAY_4,
      line: 'RRULE:FREQ=DAILY;UNTIL=20261231T215959Z',
    },
    {
      name: 'until in summer: 23:59:59 EEST',
      rule: rule({ freq: 'daily', end: { kind: 'until', until: '2026-06-30' } }),
      start: MAY_4,
      line: 'RRULE:FREQ=DAILY;UNTIL=20260630T205959Z',
    },
    {
      name: 'until in New York',
      rule: rule({ freq: 'daily', end: { kind: 'until', until: '2026-12-31' } }),
      start: timed('2026-05-04T13:00:00Z', '2026-05-04T14:00:00Z', 'America/New_York'),
      line: 'RRULE:FREQ=DAILY;UNTIL=20270101T045959Z',
    },
    {
      name: 'until of an all-day series is a date',
      rule: rule({ freq: 'daily', end: { kind: 'until', until: '2026-12-31' } }),
      start: MAY_4_ALL_DAY,
      line: 'RRULE:FREQ=DAILY;UNTIL=20261231',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const recurrence = { pattern: { kind: 'rule' as const, rule: c.rule }, exdates: [], overrides: [] };
      assert.deepEqual(formatGoogleRecurrence(recurrence, c.start), [c.line]);
    });
  }

  it('writes EXDATEs as local wall time in the series zone, sorted', () => {
    const recurrence = {
      pattern: { kind: 'rule' as const, rule: rule({ freq: 'weekly', byWeekday: ['MO'] }) },
      exdates: ['2026-12-14T07:00:00Z', '2026-05-11T06:00:00Z'],
      overrides: [],
    };
    assert.deepEqual(formatGoogleRecurrence(recurrence, MAY_4), [
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'EXDATE;TZID=Europe/Helsinki:20260511T090000',
      'EXDATE;TZID=Europe/Helsinki:20261214T090000',
    ]);
  });

  it('writes all-day EXDATEs as dates', () => {
    const recurrence = {
      pattern: { kind: 'rule' as const, rule: rule({ freq: 'weekly', byWeekday: ['MO'] }) },
      exdates: ['2026-05-11'],
      overrides: [],
    };
    assert.deepEqual(formatGoogleRecurrence(recurrence, MAY_4_ALL_DAY), [
      'RRULE:FREQ=WEEKLY;BYDAY=MO',
      'EXDATE;VALUE=DATE:20260511',
    ]);
  });

  it('writes the second 01:30 of a DST-end night in UTC, where local time would be ambiguous', () => {
    const start = timed('2026-10-25T05:30:00Z', '2026-10-25T06:00:00Z', 'America/New_York');
    const recurrence = {
      pattern: { kind: 'unsupported' as const, lines: ['RRULE:FREQ=HOURLY'] },
      // 1 November 2026: 01:30 EDT is 05:30Z, 01:30 EST is 06:30Z.
      exdates: ['2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z'],
      overrides: [],
    };
    const lines = formatGoogleRecurrence(recurrence, start);
    assert.deepEqual(lines, [
      'RRULE:FREQ=HOURLY',
      'EXDATE;TZID=America/New_York:20261101T013000',
      'EXDATE:20261101T063000Z',
    ]);
    assert.deepEqual(parseGoogleRecurrence(lines, start).exdates, recurrence.exdates);
  });

  it('writes unsupported lines back verbatim', () => {
    const lines = ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15', 'RDATE;VALUE=DATE:20260507'];
    const recurrence = { pattern: unsupported(...lines), exdates: ['2026-05-15'], overrides: [] };
    assert.deepEqual(formatGoogleRecurrence(recurrence, MAY_4_ALL_DAY), [
      ...lines,
      'EXDATE;VALUE=DATE:20260515',
    ]);
  });
});

describe('parse ∘ format is the identity', () => {
  it('for every rule Severa can express, with exdates, in several zones and all-day', () => {
    const caseArb = fc
      .record({ rule: expressibleRuleArb, start: startArb })
      .chain(({ rule: r, start }) =>
        fc
          .uniqueArray(
            start.kind === 'timed'
              ? fc
                  .integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2041, 0, 1) / 1000 })
                  .map((s) => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`)
              : fc
                  .integer({ min: Date.UTC(2000, 0, 1) / 86_400_000, max: Date.UTC(2041, 0, 1) / 86_400_000 })
                  .map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)),
            { maxLength: 4 },
          )
          .map((exdates) => ({ rule: r, start, exdates: [...exdates].sort() })),
      );
    fc.assert(
      fc.property(caseArb, ({ rule: r, start, exdates }) => {
        const recurrence = { pattern: { kind: 'rule' as const, rule: r }, exdates, overrides: [] };
        const lines = formatGoogleRecurrence(recurrence, start);
        assert.deepEqual(parseGoogleRecurrence(lines, start), { pattern: recurrence.pattern, exdates });
      }),
      { numRuns: 500 },
    );
  });

  it('for unsupported patterns', () => {
    const linesArb = fc.constantFrom(
      ['RRULE:FREQ=HOURLY;INTERVAL=4'],
      ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'],
      ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RDATE;TZID=Europe/Helsinki:20260507T090000'],
      ['RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO'],
    );
    fc.assert(
      fc.property(linesArb, startArb, (lines, start) => {
        const recurrence = { pattern: unsupported(...lines), exdates: [], overrides: [] };
        assert.deepEqual(parseGoogleRecurrence(formatGoogleRecurrence(recurrence, start), start), {
          pattern: recurrence.pattern,
          exdates: [],
        });
      }),
      { numRuns: 50 },
    );
  });
});

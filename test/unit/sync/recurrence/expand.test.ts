import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';
import { DateTime } from 'luxon';

import type { EntryContent } from '../../../../shared/domain/entry.js';
import type { RecurrenceOverride, RecurrenceRule, Weekday } from '../../../../shared/domain/recurrence.js';
import type { Timing } from '../../../../shared/domain/timing.js';
import {
  MAX_OCCURRENCES,
  expandOccurrences,
  hasOccurrenceEndingAfter,
} from '../../../../shared/sync/recurrence/expand.js';
import { parseGoogleRecurrence } from '../../../../shared/sync/recurrence/rrule.js';
import {
  ZONES,
  allDay,
  expressibleRuleArb,
  override,
  rule,
  series,
  starts,
  timed,
  unsupported,
  window,
} from './fixtures.js';

const HELSINKI = 'Europe/Helsinki';
const NEW_YORK = 'America/New_York';
const WORK_WEEK: Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR'];

/** Monday 4 May 2026, 09:00–10:00 Helsinki (06:00Z). */
const MAY_4 = timed('2026-05-04T06:00:00Z', '2026-05-04T07:00:00Z', HELSINKI);
const WEEKLY_MONDAY = rule({ freq: 'weekly', byWeekday: ['MO'] });

describe('expandOccurrences: DST', () => {
  it('keeps a 09:00 Helsinki weekly series at 09:00 local across spring forward (29 March 2026)', () => {
    const content = series(
      timed('2026-03-15T07:00:00Z', '2026-03-15T08:00:00Z', HELSINKI),
      rule({ freq: 'weekly', byWeekday: ['SU'] }),
    );
    const occurrences = expandOccurrences(content, window('2026-03-14T00:00:00Z', '2026-04-13T00:00:00Z'));
    assert.deepEqual(starts(occurrences), [
      '2026-03-15T07:00:00Z',
      '2026-03-22T07:00:00Z',
      '2026-03-29T06:00:00Z',
      '2026-04-05T06:00:00Z',
      '2026-04-12T06:00:00Z',
    ]);
    assert.deepEqual(
      occurrences.map((o) =>
        o.timing.kind === 'timed' ? [o.timing.end, o.timing.timeZone, o.overridden] : [],
      ),
      [
        ['2026-03-15T08:00:00Z', HELSINKI, false],
        ['2026-03-22T08:00:00Z', HELSINKI, false],
        ['2026-03-29T07:00:00Z', HELSINKI, false],
        ['2026-04-05T07:00:00Z', HELSINKI, false],
        ['2026-04-12T07:00:00Z', HELSINKI, false],
      ],
    );
  });

  it('and across fall back (25 October 2026)', () => {
    const content = series(
      timed('2026-03-15T07:00:00Z', '2026-03-15T08:00:00Z', HELSINKI),
      rule({ freq: 'weekly', byWeekday: ['SU'] }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-10-17T00:00:00Z', '2026-11-02T00:00:00Z'))),
      ['2026-10-18T06:00:00Z', '2026-10-25T07:00:00Z', '2026-11-01T07:00:00Z'],
    );
  });

  it('reads a 03:30 Helsinki occurrence that does not exist on spring-forward day as 04:30 EEST (RFC 5545)', () => {
    const content = series(
      timed('2026-03-27T01:30:00Z', '2026-03-27T02:00:00Z', HELSINKI),
      rule({ freq: 'daily' }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'))),
      ['2026-03-27T01:30:00Z', '2026-03-28T01:30:00Z', '2026-03-29T01:30:00Z', '2026-03-30T00:30:00Z'],
    );
  });

  it('keeps a 09:00 New York weekly series at 09:00 local across fall back (1 November 2026)', () => {
    const content = series(
      timed('2026-10-18T13:00:00Z', '2026-10-18T14:00:00Z', NEW_YORK),
      rule({ freq: 'weekly', byWeekday: ['SU'] }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-10-18T00:00:00Z', '2026-11-09T00:00:00Z'))),
      ['2026-10-18T13:00:00Z', '2026-10-25T13:00:00Z', '2026-11-01T14:00:00Z', '2026-11-08T14:00:00Z'],
    );
  });

  it('places a 01:30 New York occurrence on fall-back night at the first 01:30 (EDT)', () => {
    const content = series(
      timed('2026-10-31T05:30:00Z', '2026-10-31T06:00:00Z', NEW_YORK),
      rule({ freq: 'daily' }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z'))),
      ['2026-10-31T05:30:00Z', '2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
    );
  });

  it('places a 02:30 New York occurrence on spring-forward day at 03:30 EDT', () => {
    const content = series(
      timed('2026-03-07T07:30:00Z', '2026-03-07T08:00:00Z', NEW_YORK),
      rule({ freq: 'daily' }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'))),
      ['2026-03-07T07:30:00Z', '2026-03-08T07:30:00Z', '2026-03-09T06:30:00Z'],
    );
  });
});

describe('expandOccurrences: monthly and yearly patterns', () => {
  it('last Friday of the month', () => {
    const content = series(
      timed('2026-01-30T08:00:00Z', '2026-01-30T09:00:00Z', HELSINKI),
      rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-01-01T00:00:00Z', '2026-07-01T00:00:00Z'))),
      [
        '2026-01-30T08:00:00Z',
        '2026-02-27T08:00:00Z',
        '2026-03-27T08:00:00Z',
        '2026-04-24T07:00:00Z',
        '2026-05-29T07:00:00Z',
        '2026-06-26T07:00:00Z',
      ],
    );
  });

  it('second weekday of the month', () => {
    const content = series(
      timed('2026-01-02T07:00:00Z', '2026-01-02T08:00:00Z', HELSINKI),
      rule({ freq: 'monthly', byWeekday: WORK_WEEK, bySetPos: 2 }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-01-01T00:00:00Z', '2026-06-01T00:00:00Z'))),
      [
        '2026-01-02T07:00:00Z',
        '2026-02-03T07:00:00Z',
        '2026-03-03T07:00:00Z',
        '2026-04-02T06:00:00Z',
        '2026-05-04T06:00:00Z',
      ],
    );
  });

  it('last day of the month, leap February included (all-day)', () => {
    const content = series(allDay('2027-11-30', '2027-12-01'), rule({ freq: 'monthly', byMonthDay: -1 }));
    assert.deepEqual(
      starts(expandOccurrences(content, window('2027-11-01T00:00:00Z', '2028-04-01T00:00:00Z'))),
      ['2027-11-30', '2027-12-31', '2028-01-31', '2028-02-29', '2028-03-31'],
    );
  });

  it('third Sunday of March every year', () => {
    const content = series(
      timed('2026-03-15T14:00:00Z', '2026-03-15T15:00:00Z', NEW_YORK),
      rule({ freq: 'yearly', byMonth: 3, byWeekday: ['SU'], bySetPos: 3 }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z'))),
      ['2026-03-15T14:00:00Z', '2027-03-21T14:00:00Z', '2028-03-19T14:00:00Z'],
    );
  });
});

describe('expandOccurrences: ends, exdates and overrides', () => {
  const wide = window('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');

  it('stops after COUNT', () => {
    const content = series(MAY_4, { ...WEEKLY_MONDAY, end: { kind: 'count', count: 3 } });
    assert.deepEqual(starts(expandOccurrences(content, wide)), [
      '2026-05-04T06:00:00Z',
      '2026-05-11T06:00:00Z',
      '2026-05-18T06:00:00Z',
    ]);
  });

  it('stops after the until date, inclusive', () => {
    const content = series(MAY_4, rule({ freq: 'daily', end: { kind: 'until', until: '2026-05-06' } }));
    assert.deepEqual(starts(expandOccurrences(content, wide)), [
      '2026-05-04T06:00:00Z',
      '2026-05-05T06:00:00Z',
      '2026-05-06T06:00:00Z',
    ]);
  });

  it('counts DTSTART as the first occurrence even off the rule (RFC 5545)', () => {
    // Starts on a Monday, recurs on Wednesdays, three in all: Monday plus two Wednesdays.
    const content = series(
      MAY_4,
      rule({ freq: 'weekly', byWeekday: ['WE'], end: { kind: 'count', count: 3 } }),
    );
    assert.deepEqual(starts(expandOccurrences(content, wide)), [
      '2026-05-04T06:00:00Z',
      '2026-05-06T06:00:00Z',
      '2026-05-13T06:00:00Z',
    ]);
  });

  it('removes exdates; an exdate that is no occurrence changes nothing', () => {
    const content = series(
      MAY_4,
      { ...WEEKLY_MONDAY, end: { kind: 'count', count: 4 } },
      { exdates: ['2026-05-11T06:00:00Z', '2026-05-12T06:00:00Z'] },
    );
    assert.deepEqual(starts(expandOccurrences(content, wide)), [
      '2026-05-04T06:00:00Z',
      '2026-05-18T06:00:00Z',
      '2026-05-25T06:00:00Z',
    ]);
  });

  const moved = series(MAY_4, WEEKLY_MONDAY, {
    exdates: ['2026-06-08T06:00:00Z'],
    overrides: [
      // 11 May moved out of the window to 20 May.
      override('2026-05-11T06:00:00Z', timed('2026-05-20T06:00:00Z', '2026-05-20T07:00:00Z', HELSINKI)),
      // 25 May moved into the window, to Wednesday 13 May.
      override('2026-05-25T06:00:00Z', timed('2026-05-13T07:00:00Z', '2026-05-13T08:00:00Z', HELSINKI)),
      // 18 May: only the title changed.
      override(
        '2026-05-18T06:00:00Z',
        timed('2026-05-18T06:00:00Z', '2026-05-18T07:00:00Z', HELSINKI),
        'Renamed',
      ),
      // Not an occurrence (a Tuesday): stale, ignored.
      override('2026-05-12T06:00:00Z', timed('2026-05-14T06:00:00Z', '2026-05-14T07:00:00Z', HELSINKI)),
      // Cancelled and modified: cancelled wins.
      override('2026-06-08T06:00:00Z', timed('2026-05-15T06:00:00Z', '2026-05-15T07:00:00Z', HELSINKI)),
    ],
  });

  it('applies an override moved into the window and drops one moved out of it', () => {
    assert.deepEqual(expandOccurrences(moved, window('2026-05-10T00:00:00Z', '2026-05-17T00:00:00Z')), [
      {
        originalStart: '2026-05-25T06:00:00Z',
        timing: timed('2026-05-13T07:00:00Z', '2026-05-13T08:00:00Z', HELSINKI),
        overridden: true,
      },
    ]);
  });

  it('marks an override in place as overridden', () => {
    assert.deepEqual(expandOccurrences(moved, window('2026-05-17T00:00:00Z', '2026-05-19T00:00:00Z')), [
      {
        originalStart: '2026-05-18T06:00:00Z',
        timing: timed('2026-05-18T06:00:00Z', '2026-05-18T07:00:00Z', HELSINKI),
        overridden: true,
      },
    ]);
  });

  it('lists everything in order over a wider window', () => {
    const occurrences = expandOccurrences(moved, window('2026-05-01T00:00:00Z', '2026-06-16T00:00:00Z'));
    assert.deepEqual(
      occurrences.map((o) => [o.originalStart, o.overridden]),
      [
        ['2026-05-04T06:00:00Z', false],
        ['2026-05-25T06:00:00Z', true],
        ['2026-05-18T06:00:00Z', true],
        ['2026-05-11T06:00:00Z', true],
        ['2026-06-01T06:00:00Z', false],
        ['2026-06-15T06:00:00Z', false],
      ],
    );
  });

  it('counts occurrences that overlap the window edges: half-open [from, to)', () => {
    const content = series(MAY_4, WEEKLY_MONDAY);
    // Ends exactly at `from`: out. Starts exactly at `to`: out. Straddles `from`: in.
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-05-11T07:00:00Z', '2026-05-18T06:00:00Z'))),
      [],
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-05-11T06:30:00Z', '2026-05-18T06:00:00Z'))),
      ['2026-05-11T06:00:00Z'],
    );
  });
});

describe('expandOccurrences: all-day series', () => {
  // Friday..Sunday (end exclusive Monday), every week.
  const weekend = series(allDay('2026-05-01', '2026-05-04'), rule({ freq: 'weekly', byWeekday: ['FR'] }), {
    exdates: ['2026-05-15'],
    overrides: [override('2026-05-22', allDay('2026-05-23', '2026-05-24'))],
  });

  it('expands multi-day occurrences as dates, spanning as many days as the first', () => {
    assert.deepEqual(
      expandOccurrences(weekend, window('2026-05-01T00:00:00Z', '2026-05-30T00:00:00Z')).map((o) => [
        o.originalStart,
        o.timing,
        o.overridden,
      ]),
      [
        ['2026-05-01', allDay('2026-05-01', '2026-05-04'), false],
        ['2026-05-08', allDay('2026-05-08', '2026-05-11'), false],
        ['2026-05-22', allDay('2026-05-23', '2026-05-24'), true],
        ['2026-05-29', allDay('2026-05-29', '2026-06-01'), false],
      ],
    );
  });

  it('includes an occurrence of which only the last day is in the window', () => {
    assert.deepEqual(
      starts(expandOccurrences(weekend, window('2026-05-10T00:00:00Z', '2026-05-11T00:00:00Z'))),
      ['2026-05-08'],
    );
  });

  it('honours an until date', () => {
    const content = series(
      allDay('2026-05-01', '2026-05-02'),
      rule({ freq: 'daily', end: { kind: 'until', until: '2026-05-03' } }),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'))),
      ['2026-05-01', '2026-05-02', '2026-05-03'],
    );
  });
});

describe('expandOccurrences: unsupported patterns still expand', () => {
  const cases: readonly {
    readonly name: string;
    readonly lines: string[];
    readonly start: Timing;
    readonly window: { readonly fromMs: number; readonly toMs: number };
    readonly starts: string[];
  }[] = [
    {
      name: 'HOURLY every 6 hours, 5 times',
      lines: ['RRULE:FREQ=HOURLY;INTERVAL=6;COUNT=5'],
      start: MAY_4,
      window: window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      starts: [
        '2026-05-04T06:00:00Z',
        '2026-05-04T12:00:00Z',
        '2026-05-04T18:00:00Z',
        '2026-05-05T00:00:00Z',
        '2026-05-05T06:00:00Z',
      ],
    },
    {
      name: 'weekly plus an RDATE',
      lines: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2', 'RDATE;TZID=Europe/Helsinki:20260507T090000'],
      start: MAY_4,
      window: window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      starts: ['2026-05-04T06:00:00Z', '2026-05-07T06:00:00Z', '2026-05-11T06:00:00Z'],
    },
    {
      name: 'daily minus an EXRULE for weekends',
      lines: ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=WEEKLY;BYDAY=SA,SU'],
      start: MAY_4,
      window: window('2026-05-04T00:00:00Z', '2026-05-12T00:00:00Z'),
      starts: [
        '2026-05-04T06:00:00Z',
        '2026-05-05T06:00:00Z',
        '2026-05-06T06:00:00Z',
        '2026-05-07T06:00:00Z',
        '2026-05-08T06:00:00Z',
        '2026-05-11T06:00:00Z',
      ],
    },
    {
      name: 'Monday of ISO week 20',
      lines: ['RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO'],
      start: timed('2026-05-11T06:00:00Z', '2026-05-11T07:00:00Z', HELSINKI),
      window: window('2026-01-01T00:00:00Z', '2028-01-01T00:00:00Z'),
      starts: ['2026-05-11T06:00:00Z', '2027-05-17T06:00:00Z'],
    },
    {
      name: 'the 1st and 15th',
      lines: ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15'],
      start: timed('2026-05-15T06:00:00Z', '2026-05-15T07:00:00Z', HELSINKI),
      window: window('2026-05-01T00:00:00Z', '2026-07-01T00:00:00Z'),
      starts: ['2026-05-15T06:00:00Z', '2026-06-01T06:00:00Z', '2026-06-15T06:00:00Z'],
    },
    {
      name: 'fifth Friday (months that have one)',
      lines: ['RRULE:FREQ=MONTHLY;BYDAY=5FR'],
      start: timed('2026-01-30T08:00:00Z', '2026-01-30T09:00:00Z', HELSINKI),
      window: window('2026-01-01T00:00:00Z', '2026-08-01T00:00:00Z'),
      starts: ['2026-01-30T08:00:00Z', '2026-05-29T07:00:00Z', '2026-07-31T07:00:00Z'],
    },
    {
      name: 'yearly every other year',
      lines: ['RRULE:FREQ=YEARLY;INTERVAL=2'],
      start: allDay('2026-05-04', '2026-05-05'),
      window: window('2026-01-01T00:00:00Z', '2031-01-01T00:00:00Z'),
      starts: ['2026-05-04', '2028-05-04', '2030-05-04'],
    },
    {
      name: 'several BYMONTH values',
      lines: ['RRULE:FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1'],
      start: allDay('2026-01-01', '2026-01-02'),
      window: window('2026-01-01T00:00:00Z', '2027-02-01T00:00:00Z'),
      starts: ['2026-01-01', '2026-07-01', '2027-01-01'],
    },
    {
      name: 'a rule that never occurs leaves only the first occurrence',
      lines: ['RRULE:FREQ=HOURLY;INTERVAL=2;BYHOUR=10'],
      start: MAY_4,
      window: window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      starts: ['2026-05-04T06:00:00Z'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parsed = parseGoogleRecurrence(c.lines, c.start);
      assert.deepEqual(parsed.pattern, unsupported(...c.lines));
      const content = series(c.start, parsed.pattern, { exdates: parsed.exdates });
      assert.deepEqual(starts(expandOccurrences(content, c.window)), c.starts);
    });
  }

  it('applies exdates to an unsupported series', () => {
    const lines = ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15', 'EXDATE;TZID=Europe/Helsinki:20260601T090000'];
    const start = timed('2026-05-15T06:00:00Z', '2026-05-15T07:00:00Z', HELSINKI);
    const parsed = parseGoogleRecurrence(lines, start);
    const content = series(start, parsed.pattern, { exdates: parsed.exdates });
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-05-01T00:00:00Z', '2026-07-01T00:00:00Z'))),
      ['2026-05-15T06:00:00Z', '2026-06-15T06:00:00Z'],
    );
  });
});

describe('expandOccurrences: caps and single entries', () => {
  it(`returns at most ${MAX_OCCURRENCES} occurrences, the earliest, for FREQ=SECONDLY`, () => {
    const content = series(MAY_4, unsupported('RRULE:FREQ=SECONDLY'));
    const occurrences = expandOccurrences(content, window('2026-05-04T06:00:00Z', '2026-05-05T06:00:00Z'));
    assert.equal(occurrences.length, MAX_OCCURRENCES);
    assert.equal(occurrences[0]?.originalStart, '2026-05-04T06:00:00Z');
    assert.equal(occurrences[1]?.originalStart, '2026-05-04T06:00:01Z');
  });

  it('honours a smaller cap', () => {
    const content = series(MAY_4, rule({ freq: 'daily' }));
    const occurrences = expandOccurrences(content, window('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'), {
      maxOccurrences: 3,
    });
    assert.deepEqual(starts(occurrences), [
      '2026-05-04T06:00:00Z',
      '2026-05-05T06:00:00Z',
      '2026-05-06T06:00:00Z',
    ]);
  });

  it('finds occurrences decades after the start (the expansion restarts near the window)', () => {
    // Every 7 minutes since 1990-01-01T00:00Z, 5 minutes long: 19,112,040 minutes later is 06:00, ≡ 3 (mod 7).
    const content = series(
      timed('1990-01-01T00:00:00Z', '1990-01-01T00:05:00Z', 'UTC'),
      unsupported('RRULE:FREQ=MINUTELY;INTERVAL=7'),
    );
    assert.deepEqual(
      starts(expandOccurrences(content, window('2026-05-04T06:00:00Z', '2026-05-04T06:20:00Z'))),
      ['2026-05-04T05:57:00Z', '2026-05-04T06:04:00Z', '2026-05-04T06:11:00Z', '2026-05-04T06:18:00Z'],
    );
  });

  // The expansion restarts at the beginning of the period holding the window's start; an occurrence late on that
  // period's first day must survive it.
  const late: readonly {
    readonly freq: string;
    readonly r: RecurrenceRule;
    readonly start: string;
    readonly hit: string;
  }[] = [
    {
      freq: 'daily',
      r: rule({ freq: 'daily', interval: 3 }),
      start: '2020-01-01T23:00:00Z',
      hit: '2026-05-02T23:00:00Z',
    },
    {
      freq: 'weekly',
      r: rule({ freq: 'weekly', interval: 2, byWeekday: ['MO', 'FR'] }),
      start: '2020-01-03T23:00:00Z',
      hit: '2026-05-11T23:00:00Z',
    },
    {
      freq: 'monthly',
      r: rule({ freq: 'monthly', byMonthDay: 1 }),
      start: '2020-01-01T23:00:00Z',
      hit: '2026-05-01T23:00:00Z',
    },
    {
      freq: 'yearly',
      r: rule({ freq: 'yearly', byMonth: 1, byMonthDay: 1 }),
      start: '2020-01-01T23:00:00Z',
      hit: '2026-01-01T23:00:00Z',
    },
  ];
  for (const c of late) {
    it(`keeps an occurrence late on the first day of the restart period (${c.freq})`, () => {
      const content = series(timed(c.start, c.start, 'UTC'), c.r);
      const from = `${c.hit.slice(0, 10)}T12:00:00Z`;
      const to = `${c.hit.slice(0, 10)}T23:59:59Z`;
      assert.deepEqual(starts(expandOccurrences(content, window(from, to))), [c.hit]);
    });
  }

  it('treats a single entry as its own only occurrence', () => {
    const single: EntryContent = { ...series(MAY_4, WEEKLY_MONDAY), recurrence: null };
    assert.deepEqual(expandOccurrences(single, window('2026-05-04T00:00:00Z', '2026-05-05T00:00:00Z')), [
      { originalStart: '2026-05-04T06:00:00Z', timing: MAY_4, overridden: false },
    ]);
    assert.deepEqual(expandOccurrences(single, window('2026-05-05T00:00:00Z', '2026-05-06T00:00:00Z')), []);
  });
});

describe('hasOccurrenceEndingAfter', () => {
  const ms = (iso: string): number => Date.parse(iso);

  it('is true for a series without end, far in the future', () => {
    assert.equal(hasOccurrenceEndingAfter(series(MAY_4, WEEKLY_MONDAY), ms('2090-01-01T00:00:00Z')), true);
  });

  it('follows COUNT to the end of the last occurrence', () => {
    const content = series(MAY_4, { ...WEEKLY_MONDAY, end: { kind: 'count', count: 3 } });
    assert.equal(hasOccurrenceEndingAfter(content, ms('2026-05-18T06:59:59Z')), true);
    assert.equal(hasOccurrenceEndingAfter(content, ms('2026-05-18T07:00:00Z')), false);
  });

  it('is false when every later occurrence is cancelled, true when one was moved later', () => {
    const base = { ...WEEKLY_MONDAY, end: { kind: 'count' as const, count: 3 } };
    const cancelled = series(MAY_4, base, { exdates: ['2026-05-11T06:00:00Z', '2026-05-18T06:00:00Z'] });
    assert.equal(hasOccurrenceEndingAfter(cancelled, ms('2026-05-05T00:00:00Z')), false);
    const movedLater: RecurrenceOverride = override(
      '2026-05-11T06:00:00Z',
      timed('2026-07-01T06:00:00Z', '2026-07-01T07:00:00Z', HELSINKI),
    );
    const moved = series(MAY_4, base, { exdates: ['2026-05-18T06:00:00Z'], overrides: [movedLater] });
    assert.equal(hasOccurrenceEndingAfter(moved, ms('2026-06-01T00:00:00Z')), true);
  });

  it('is false for a series that ended, true for one still running (all-day, unsupported)', () => {
    const content = series(
      allDay('2026-05-01', '2026-05-02'),
      unsupported('RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=4'),
    );
    // 1 May, 15 May, 1 June, 15 June.
    assert.equal(hasOccurrenceEndingAfter(content, ms('2026-06-15T12:00:00Z')), true);
    assert.equal(hasOccurrenceEndingAfter(content, ms('2026-06-16T00:00:00Z')), false);
  });

  it('answers for single entries by their end', () => {
    const single: EntryContent = { ...series(MAY_4, WEEKLY_MONDAY), recurrence: null };
    assert.equal(hasOccurrenceEndingAfter(single, ms('2026-05-04T06:59:59Z')), true);
    assert.equal(hasOccurrenceEndingAfter(single, ms('2026-05-04T07:00:00Z')), false);
  });
});

// ---- An independent oracle: day-by-day matching of the canonical rule, placed in the zone with luxon.

const TIMES_OF_DAY = [
  [0, 0],
  [9, 0],
  [12, 30],
  [23, 15],
] as const; // never inside a DST change of the test zones

const LUXON_WEEKDAY: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function dayMatches(r: RecurrenceRule, d: DateTime): boolean {
  if (r.byMonthDay !== null) return r.byMonthDay === -1 ? d.day === d.daysInMonth : d.day === r.byMonthDay;
  const candidates: number[] = [];
  for (let day = 1; day <= (d.daysInMonth ?? 31); day += 1) {
    const weekday = LUXON_WEEKDAY[d.set({ day }).weekday - 1];
    if (weekday !== undefined && r.byWeekday.includes(weekday)) candidates.push(day);
  }
  const pick = r.bySetPos === -1 ? candidates.at(-1) : candidates[(r.bySetPos ?? 1) - 1];
  return pick === d.day;
}

function ruleMatches(r: RecurrenceRule, d: DateTime, first: DateTime): boolean {
  switch (r.freq) {
    case 'daily':
      return Math.round(d.diff(first, 'days').days) % r.interval === 0;
    case 'weekly': {
      const weeks = Math.round(d.startOf('week').diff(first.startOf('week'), 'days').days / 7);
      return weeks % r.interval === 0 && r.byWeekday.includes(LUXON_WEEKDAY[d.weekday - 1] ?? 'MO');
    }
    case 'monthly':
      return ((d.year - first.year) * 12 + d.month - first.month) % r.interval === 0 && dayMatches(r, d);
    case 'yearly':
      return d.month === r.byMonth && dayMatches(r, d);
  }
}

/** Original start dates (local) of the series up to `lastDate`, RFC 5545: DTSTART first, COUNT includes it. */
function oracleDates(r: RecurrenceRule, first: DateTime, lastDate: DateTime): DateTime[] {
  const dates: DateTime[] = [first];
  const max = r.end.kind === 'count' ? r.end.count : Infinity;
  const until = r.end.kind === 'until' ? DateTime.fromISO(r.end.until, { zone: 'UTC' }) : null;
  for (let d = first.plus({ days: 1 }); d <= lastDate && dates.length < max; d = d.plus({ days: 1 })) {
    if (until !== null && d > until) break;
    if (ruleMatches(r, d, first)) dates.push(d);
  }
  return dates;
}

const startMs = (t: Timing): number => Date.parse(t.kind === 'timed' ? t.start : `${t.startDate}T00:00:00Z`);
const endMs = (t: Timing): number => Date.parse(t.kind === 'timed' ? t.end : `${t.endDate}T00:00:00Z`);

const oracleEndArb: fc.Arbitrary<RecurrenceRule['end']> = fc.oneof(
  fc.constant({ kind: 'forever' as const }),
  fc.integer({ min: 1, max: 60 }).map((count) => ({ kind: 'count' as const, count })),
  fc.integer({ min: 0, max: 6 * 365 }).map((d) => ({
    kind: 'until' as const,
    until: DateTime.fromISO('2024-01-01', { zone: 'UTC' }).plus({ days: d }).toISODate() ?? '',
  })),
);

describe('expandOccurrences agrees with an independent day-by-day oracle (property)', () => {
  it('for every expressible rule, in four zones and all-day, with exdates and moved occurrences', () => {
    const caseArb = fc.record({
      rule: fc.tuple(expressibleRuleArb, oracleEndArb).map(([r, end]) => ({ ...r, end })),
      firstDay: fc.integer({ min: 0, max: 3 * 365 }),
      time: fc.constantFrom(...TIMES_OF_DAY),
      minutes: fc.integer({ min: 0, max: 180 }),
      zone: fc.option(fc.constantFrom(...ZONES), { nil: null }),
      allDayDays: fc.integer({ min: 1, max: 3 }),
      windowStartDay: fc.integer({ min: -30, max: 700 }),
      windowDays: fc.integer({ min: 1, max: 120 }),
      edits: fc.array(
        fc.record({ pick: fc.nat(), shiftDays: fc.integer({ min: -20, max: 20 }), cancel: fc.boolean() }),
        {
          maxLength: 4,
        },
      ),
    });
    fc.assert(
      fc.property(caseArb, (c) => {
        const r = c.rule;
        const firstDate = DateTime.fromISO('2024-01-01', { zone: 'UTC' }).plus({ days: c.firstDay });
        const windowFrom = firstDate.plus({ days: c.windowStartDay });
        const windowTo = windowFrom.plus({ days: c.windowDays });
        const w = { fromMs: windowFrom.toMillis(), toMs: windowTo.toMillis() };
        const dates = oracleDates(r, firstDate, windowTo.plus({ days: 40 }));

        const place = (d: DateTime): { key: string; timing: Timing } => {
          if (c.zone === null) {
            const startDate = d.toISODate() ?? '';
            return {
              key: startDate,
              timing: allDay(startDate, d.plus({ days: c.allDayDays }).toISODate() ?? ''),
            };
          }
          const local = DateTime.fromObject(
            { year: d.year, month: d.month, day: d.day, hour: c.time[0], minute: c.time[1] },
            { zone: c.zone },
          ).toUTC();
          const start = local.toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
          const end = local.plus({ minutes: c.minutes }).toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
          return { key: start, timing: timed(start, end, c.zone) };
        };
        const occurrences = dates.map(place);
        const first = occurrences[0];
        if (first === undefined) return;

        const exdates: string[] = [];
        const overrides = new Map<string, RecurrenceOverride>();
        for (const e of c.edits) {
          const target = occurrences[e.pick % occurrences.length];
          if (target === undefined || exdates.includes(target.key) || overrides.has(target.key)) continue;
          if (e.cancel) {
            exdates.push(target.key);
            continue;
          }
          const t = target.timing;
          const shifted =
            t.kind === 'timed'
              ? timed(
                  DateTime.fromISO(t.start)
                    .plus({ days: e.shiftDays })
                    .toUTC()
                    .toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                  DateTime.fromISO(t.end)
                    .plus({ days: e.shiftDays })
                    .toUTC()
                    .toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'"),
                  t.timeZone,
                )
              : allDay(
                  DateTime.fromISO(t.startDate).plus({ days: e.shiftDays }).toISODate() ?? '',
                  DateTime.fromISO(t.endDate).plus({ days: e.shiftDays }).toISODate() ?? '',
                );
          overrides.set(target.key, override(target.key, shifted));
        }

        const content = series(first.timing, r, {
          exdates: [...exdates].sort(),
          overrides: [...overrides.values()].sort((a, b) => (a.originalStart < b.originalStart ? -1 : 1)),
        });
        const overlaps = (t: Timing): boolean => {
          const s = startMs(t);
          const e = endMs(t);
          return s < w.toMs && (e > w.fromMs || (e === s && s >= w.fromMs));
        };
        const expected = occurrences
          .filter((o) => !exdates.includes(o.key))
          .map((o) => {
            const moved = overrides.get(o.key);
            return {
              originalStart: o.key,
              timing: moved?.timing ?? o.timing,
              overridden: moved !== undefined,
            };
          })
          .filter((o) => overlaps(o.timing))
          .sort(
            (a, b) => startMs(a.timing) - startMs(b.timing) || (a.originalStart < b.originalStart ? -1 : 1),
          );
        assert.deepEqual(expandOccurrences(content, w), expected);
      }),
      { numRuns: 300 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntryContent } from '../../../../shared/domain/entry.js';
import { severaCanExpress } from '../../../../shared/sync/recurrence/capability.js';
import { allDay, rule, series, timed, unsupported } from './fixtures.js';

const HELSINKI_9 = timed('2026-05-04T06:00:00Z', '2026-05-04T07:00:00Z', 'Europe/Helsinki');
const NEW_YORK_9 = timed('2026-05-04T13:00:00Z', '2026-05-04T14:00:00Z', 'America/New_York');
const WEEKLY = rule({ freq: 'weekly', byWeekday: ['MO'] });

describe('severaCanExpress', () => {
  const cases: readonly {
    readonly name: string;
    readonly content: EntryContent;
    readonly zone: string;
    readonly expected: boolean;
  }[] = [
    {
      name: 'a single entry',
      content: { ...series(NEW_YORK_9, WEEKLY), recurrence: null },
      zone: 'Europe/Helsinki',
      expected: true,
    },
    {
      name: 'a rule in the user’s zone',
      content: series(HELSINKI_9, WEEKLY),
      zone: 'Europe/Helsinki',
      expected: true,
    },
    {
      name: 'a rule in another zone whose days stay the same (09:00 New York is a Helsinki afternoon)',
      content: series(NEW_YORK_9, WEEKLY),
      zone: 'Europe/Helsinki',
      expected: true,
    },
    {
      name: 'a rule in another zone across the date line (20:00 New York is the next day in Helsinki)',
      content: series(timed('2026-05-05T00:00:00Z', '2026-05-05T01:00:00Z', 'America/New_York'), WEEKLY),
      zone: 'Europe/Helsinki',
      expected: false,
    },
    {
      name: 'a rule that crosses midnight in one DST state only (23:30 Helsinki in winter is 00:30 in Moscow)',
      content: series(timed('2026-01-05T21:30:00Z', '2026-01-05T22:00:00Z', 'Europe/Helsinki'), WEEKLY),
      zone: 'Europe/Moscow',
      expected: false,
    },
    {
      name: 'the same rule for a New York user',
      content: series(NEW_YORK_9, WEEKLY),
      zone: 'America/New_York',
      expected: true,
    },
    {
      name: 'zone aliases that name one zone (Etc/UTC and UTC)',
      content: series(timed('2026-05-04T09:00:00Z', '2026-05-04T10:00:00Z', 'Etc/UTC'), WEEKLY),
      zone: 'UTC',
      expected: true,
    },
    {
      name: 'an all-day series in any zone',
      content: series(
        allDay('2026-05-04', '2026-05-05'),
        rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 }),
      ),
      zone: 'Asia/Kolkata',
      expected: true,
    },
    {
      name: 'an unsupported pattern',
      content: series(HELSINKI_9, unsupported('RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15')),
      zone: 'Europe/Helsinki',
      expected: false,
    },
    {
      name: 'an unsupported all-day pattern',
      content: series(allDay('2026-05-04', '2026-05-05'), unsupported('RRULE:FREQ=YEARLY;INTERVAL=2')),
      zone: 'Europe/Helsinki',
      expected: false,
    },
    {
      name: 'a rule Severa has no form for',
      content: series(HELSINKI_9, rule({ freq: 'monthly', byWeekday: ['TU'], bySetPos: 5 })),
      zone: 'Europe/Helsinki',
      expected: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(severaCanExpress(c.content, c.zone), c.expected);
    });
  }
});

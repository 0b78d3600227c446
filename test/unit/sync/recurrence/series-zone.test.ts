import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sameContent } from '../../../../shared/domain/index.js';
import { expandOccurrences, seriesInZone, zonesKeepDates } from '../../../../shared/sync/recurrence/index.js';
import { override, rule, series, timed, window } from './fixtures.js';

// 09:00 New York on Monday 9 March 2026 (EDT since 8 March): 13:00Z, 15:00 in Helsinki (EET until 29 March).
const NY_9 = timed('2026-03-09T13:00:00Z', '2026-03-09T14:00:00Z', 'America/New_York');
const WEEKLY_MO = rule({ freq: 'weekly', byWeekday: ['MO'], end: { kind: 'count', count: 10 } });

describe('seriesInZone', () => {
  it('keeps the first occurrence and the rule, and re-keys exceptions to the nearest occurrence', () => {
    const ny = series(NY_9, WEEKLY_MO, {
      // 30 March: New York 09:00 EDT = 13:00Z; Helsinki has moved to EEST, so its 15:00 would be 12:00Z.
      exdates: ['2026-03-30T13:00:00Z'],
      overrides: [
        override(
          '2026-04-06T13:00:00Z',
          timed('2026-04-06T15:00:00Z', '2026-04-06T16:00:00Z', 'America/New_York'),
        ),
      ],
    });
    const helsinki = seriesInZone(ny, 'Europe/Helsinki');
    assert.equal(helsinki.timing.kind === 'timed' && helsinki.timing.timeZone, 'Europe/Helsinki');
    assert.deepEqual(
      helsinki.recurrence?.exdates,
      ['2026-03-30T12:00:00Z'],
      'the occurrence as Helsinki has it',
    );
    assert.deepEqual(
      helsinki.recurrence.overrides.map((o) => o.originalStart),
      ['2026-04-06T12:00:00Z'],
    );
    // Read back in New York: exactly the series it was.
    assert.ok(sameContent(seriesInZone(helsinki, 'America/New_York'), ny));
  });

  it('keeps an until end: a local date that is the same in both zones', () => {
    // 20:00 Helsinki on Sundays = 14:00 New York on Sundays (same dates); until 29 March.
    const hel = series(
      timed('2026-03-01T18:00:00Z', '2026-03-01T19:00:00Z', 'Europe/Helsinki'),
      rule({ freq: 'weekly', byWeekday: ['SU'], end: { kind: 'until', until: '2026-03-29' } }),
    );
    const ny = seriesInZone(hel, 'America/New_York');
    assert.deepEqual(ny.recurrence?.pattern, hel.recurrence?.pattern);
    const starts = (c: typeof hel) =>
      expandOccurrences(c, window('2026-02-01T00:00:00Z', '2026-06-01T00:00:00Z')).map(
        (o) => o.originalStart,
      );
    assert.equal(starts(ny).length, starts(hel).length);
  });

  it('is the identity in the same zone, and relabels single entries', () => {
    const ny = series(NY_9, WEEKLY_MO);
    assert.equal(seriesInZone(ny, 'America/New_York'), ny);
    const single = { ...ny, recurrence: null };
    assert.ok(sameContent(seriesInZone(single, 'Asia/Tokyo'), single));
  });
});

describe('zonesKeepDates', () => {
  it('holds for a New York morning read in Helsinki, not for a New York evening', () => {
    assert.equal(zonesKeepDates(series(NY_9, WEEKLY_MO), 'Europe/Helsinki'), true);
    const evening = timed('2026-03-10T00:00:00Z', '2026-03-10T01:00:00Z', 'America/New_York');
    assert.equal(zonesKeepDates(series(evening, WEEKLY_MO), 'Europe/Helsinki'), false);
  });
});

describe('zonesKeepDates both ways', () => {
  it('a Tokyo evening is a New York morning all year, but New York’s morning is a Tokyo midnight in winter', () => {
    // 23:00 Tokyo = 10:00 EDT / 09:00 EST the same day; Severa in New York keeps 10:00, which is 00:00 in Tokyo
    // while New York is on EST: Severa's occurrence would fall on the next Tokyo day.
    const tokyo = series(
      timed('2026-03-08T14:00:00Z', '2026-03-08T15:00:00Z', 'Asia/Tokyo'),
      rule({ freq: 'weekly', byWeekday: ['MO', 'WE'] }),
    );
    assert.equal(zonesKeepDates(tokyo, 'America/New_York'), false);
  });
});

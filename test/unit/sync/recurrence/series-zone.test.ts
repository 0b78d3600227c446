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
    assert.equal(helsinki.recurrence?.overrides[0]?.originalStart, '2026-04-06T12:00:00Z');
    // Read back in New York: exactly the series it was.
    assert.ok(sameContent(seriesInZone(helsinki, 'America/New_York'), ny));
  });

  it('moves an until end to the local date of the last occurrence', () => {
    // 20:00 Helsinki on Sundays = 14:00 New York on Sundays (same dates); until 29 March.
    const hel = series(
      timed('2026-03-01T18:00:00Z', '2026-03-01T19:00:00Z', 'Europe/Helsinki'),
      rule({ freq: 'weekly', byWeekday: ['SU'], end: { kind: 'until', until: '2026-03-29' } }),
    );
    const ny = seriesInZone(hel, 'America/New_York');
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

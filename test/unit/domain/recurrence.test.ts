/** The one occurrence comparison both adapters use (shared/domain/recurrence.ts, timing.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  sameOverride,
  sameTiming,
  type OccurrenceFields,
  type Timing,
} from '../../../shared/domain/index.js';

const HEL = 'Europe/Helsinki';
const timed: Timing = {
  kind: 'timed',
  start: '2030-06-10T07:00:00Z',
  end: '2030-06-10T07:30:00Z',
  timeZone: HEL,
};
const allDay: Timing = { kind: 'allDay', startDate: '2030-06-10', endDate: '2030-06-11' };

describe('sameTiming', () => {
  const cases: readonly [string, Timing, Timing, boolean][] = [
    ['the same timed timing', timed, { ...timed }, true],
    [
      'the same timed timing built in another key order',
      timed,
      { timeZone: HEL, end: '2030-06-10T07:30:00Z', start: '2030-06-10T07:00:00Z', kind: 'timed' },
      true,
    ],
    ['another start', timed, { ...timed, start: '2030-06-10T06:00:00Z' }, false],
    ['another end', timed, { ...timed, end: '2030-06-10T08:00:00Z' }, false],
    ['another zone', timed, { ...timed, timeZone: 'Europe/Stockholm' }, false],
    [
      'the same all-day timing',
      allDay,
      { endDate: '2030-06-11', startDate: '2030-06-10', kind: 'allDay' },
      true,
    ],
    ['another all-day end', allDay, { ...allDay, endDate: '2030-06-12' }, false],
    ['timed against all-day', timed, allDay, false],
    ['all-day against timed', allDay, timed, false],
  ];
  for (const [name, a, b, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(sameTiming(a, b), expected);
    });
  }
});

describe('sameOverride', () => {
  const base: OccurrenceFields = { title: 'Standup', notes: 'Notes', location: 'Room 1', timing: timed };
  const cases: readonly [string, OccurrenceFields, boolean][] = [
    ['the same fields', { ...base }, true],
    ['another title', { ...base, title: 'Retro' }, false],
    ['other notes', { ...base, notes: '' }, false],
    ['another location', { ...base, location: 'Room 2' }, false],
    ['another timing', { ...base, timing: allDay }, false],
  ];
  for (const [name, other, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(sameOverride(base, other), expected);
    });
  }

  it('compares only the synced fields: an entry and an override of the same occurrence are the same', () => {
    const override = { ...base, originalStart: '2030-06-10T06:00:00Z' };
    const entry = { ...base, recurrence: null, isPrivate: true };
    assert.equal(sameOverride(override, entry), true);
  });
});

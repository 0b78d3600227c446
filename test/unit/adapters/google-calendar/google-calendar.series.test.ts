/** The exception-instance bodies a series write sends (google-calendar.series.ts), without a simulator. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eventSchema } from '../../../../shared/adapters/google-calendar/google-calendar.wire.js';
import {
  heldContent,
  instanceBody,
} from '../../../../shared/adapters/google-calendar/google-calendar.series.js';
import type { EntryContent, RecurrenceOverride } from '../../../../shared/domain/index.js';

const HEL = 'Europe/Helsinki';
const KEY = '2030-06-10T06:00:00Z';

const series: EntryContent = {
  title: 'Standup',
  notes: 'Daily notes',
  location: 'Room 1',
  timing: { kind: 'timed', start: '2030-06-03T06:00:00Z', end: '2030-06-03T06:30:00Z', timeZone: HEL },
  recurrence: {
    pattern: {
      kind: 'rule',
      rule: {
        freq: 'weekly',
        interval: 1,
        byWeekday: ['MO'],
        byMonthDay: null,
        bySetPos: null,
        byMonth: null,
        end: { kind: 'count', count: 4 },
      },
    },
    exdates: [],
    overrides: [],
  },
  isPrivate: false,
};
const bare: EntryContent = { ...series };

const late: RecurrenceOverride = {
  originalStart: KEY,
  title: 'Standup (late)',
  notes: 'Daily notes',
  location: 'Room 1',
  timing: { kind: 'timed', start: '2030-06-10T07:00:00Z', end: '2030-06-10T07:30:00Z', timeZone: HEL },
};

describe('instanceBody', () => {
  it('without what the occurrence holds: every field, never recurringEventId nor originalStartTime', () => {
    assert.deepEqual(Object.keys(instanceBody('m', late, HEL, undefined)).sort(), [
      'description',
      'end',
      'location',
      'start',
      'status',
      'summary',
    ]);
  });

  it('a new exception of a plain occurrence: only what differs from the series', () => {
    const held = heldContent(series, bare, KEY, undefined, HEL);
    assert.deepEqual(held?.timing, {
      kind: 'timed',
      start: KEY,
      end: '2030-06-10T06:30:00Z',
      timeZone: HEL,
    });
    assert.deepEqual(Object.keys(instanceBody('m', late, HEL, held)).sort(), [
      'end',
      'start',
      'status',
      'summary',
    ]);
  });

  it('an existing exception with an HTML description: the description is not sent', () => {
    const existing = eventSchema.parse({
      id: `m_20300610T060000Z`,
      recurringEventId: 'm',
      status: 'confirmed',
      originalStartTime: { dateTime: KEY, timeZone: HEL },
      summary: 'Standup (moved)',
      description: '<b>Daily</b> notes',
      location: 'Room 1',
      start: { dateTime: '2030-06-10T07:00:00Z', timeZone: HEL },
      end: { dateTime: '2030-06-10T07:30:00Z', timeZone: HEL },
    });
    const held = heldContent(series, bare, KEY, existing, HEL);
    assert.equal(held?.notes, 'Daily notes');
    assert.deepEqual(instanceBody('m', late, HEL, held), { status: 'confirmed', summary: 'Standup (late)' });
  });

  it('a cancelled exception holds nothing known: restoring it sends every field', () => {
    const stub = eventSchema.parse({
      id: `m_20300610T060000Z`,
      status: 'cancelled',
      recurringEventId: 'm',
      originalStartTime: { dateTime: KEY, timeZone: HEL },
    });
    assert.equal(heldContent(series, bare, KEY, stub, HEL), undefined);
  });
});

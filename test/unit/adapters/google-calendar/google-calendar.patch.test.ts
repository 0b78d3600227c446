/** A write that knows what Google holds sends only the fields whose value changes (google-calendar.patch.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  SYNCED_EVENT_FIELDS,
  changedPart,
  unchangedEventFields,
  type SyncedEventField,
} from '../../../../shared/adapters/google-calendar/google-calendar.patch.js';
import type { EntryContent, Recurrence } from '../../../../shared/domain/index.js';

const HEL = 'Europe/Helsinki';

const base: EntryContent = {
  title: 'Workshop',
  notes: 'Agenda',
  location: 'Room 1',
  timing: { kind: 'timed', start: '2030-03-04T08:00:00Z', end: '2030-03-04T09:00:00Z', timeZone: HEL },
  recurrence: null,
  isPrivate: false,
};

const weekly: Recurrence = {
  pattern: {
    kind: 'rule',
    rule: {
      freq: 'weekly',
      interval: 1,
      byWeekday: ['MO'],
      byMonthDay: null,
      bySetPos: null,
      byMonth: null,
      end: { kind: 'count', count: 5 },
    },
  },
  exdates: [],
  overrides: [],
};

function changed(content: EntryContent, current: EntryContent): SyncedEventField[] {
  const unchanged = unchangedEventFields(content, current);
  return SYNCED_EVENT_FIELDS.filter((f) => !unchanged.has(f));
}

describe('unchangedEventFields', () => {
  const cases: readonly [string, Partial<EntryContent>, Partial<EntryContent>, SyncedEventField[]][] = [
    ['nothing changed', {}, {}, []],
    ['title', { title: 'Workshop (moved)' }, {}, ['summary']],
    ['text differing only in white space is the same', { title: ' Workshop  ', notes: 'Agenda\n' }, {}, []],
    ['notes', { notes: 'New agenda' }, {}, ['description']],
    ['location', { location: 'Room 2' }, {}, ['location']],
    [
      'times',
      {
        timing: { kind: 'timed', start: '2030-03-04T09:00:00Z', end: '2030-03-04T10:00:00Z', timeZone: HEL },
      },
      {},
      ['start', 'end'],
    ],
    [
      'a single event’s zone alone is not a change (the instants are the same)',
      {
        timing: {
          kind: 'timed',
          start: '2030-03-04T08:00:00Z',
          end: '2030-03-04T09:00:00Z',
          timeZone: 'UTC',
        },
      },
      {},
      [],
    ],
    ['privacy', { isPrivate: true }, {}, ['visibility']],
    ['a series’ rule', { recurrence: weekly }, { recurrence: { ...weekly, exdates: [] } }, []],
    [
      'an exdate changes the recurrence lines (sent with the start, the zone they expand in)',
      { recurrence: { ...weekly, exdates: ['2030-03-11T08:00:00Z'] } },
      { recurrence: weekly },
      ['start', 'end', 'recurrence'],
    ],
    [
      'a modified occurrence alone is no change of the master',
      {
        recurrence: {
          ...weekly,
          overrides: [
            {
              originalStart: '2030-03-11T08:00:00Z',
              title: 'x',
              notes: '',
              location: '',
              timing: base.timing,
            },
          ],
        },
      },
      { recurrence: weekly },
      [],
    ],
    [
      'a series that moves writes its lines again (EXDATE times follow the start)',
      {
        recurrence: weekly,
        timing: { kind: 'timed', start: '2030-03-04T09:00:00Z', end: '2030-03-04T10:00:00Z', timeZone: HEL },
      },
      { recurrence: weekly },
      ['start', 'end', 'recurrence'],
    ],
    ['a single event becoming a series', { recurrence: weekly }, {}, ['start', 'end', 'recurrence']],
  ];
  for (const [label, content, current, expected] of cases) {
    it(label, () => {
      assert.deepEqual(changed({ ...base, ...content }, { ...base, ...current }), expected);
    });
  }
});

describe('changedPart', () => {
  const body = {
    status: 'confirmed',
    summary: 'Workshop (moved)',
    description: 'Agenda',
    location: 'Room 1',
    visibility: 'default',
    extendedProperties: { private: { severaGuid: 'g' } },
  };

  it('keeps every field when the current content is unknown', () => {
    assert.deepEqual(changedPart(body, { ...base, title: 'Workshop (moved)' }, undefined), body);
  });

  it('drops the unchanged synced fields, keeps the rest of the body', () => {
    assert.deepEqual(changedPart(body, { ...base, title: 'Workshop (moved)' }, base), {
      status: 'confirmed',
      summary: 'Workshop (moved)',
      extendedProperties: { private: { severaGuid: 'g' } },
    });
  });
});

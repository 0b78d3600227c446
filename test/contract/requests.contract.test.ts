/**
 * Every request body the project's code builds is checked against the documented operation it is sent to:
 * Severa `POST /v1/activities` (ActivityModel) and `PATCH /v1/activities/{guid}` (PatchOperation[]), Google
 * `events.insert`/`events.update` (Event) and exception instances.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { EntryContent, Recurrence } from '../../shared/domain/index.js';
import { overrideToInstanceEvent, recordToEvent } from '../../shared/adapters/google-calendar/index.js';
import { contentToActivityCreate, contentToPatch } from '../../shared/adapters/severa/index.js';
import { allDay, timed } from '../support/world.js';
import { loadContracts } from './contracts.js';

const weekly: Recurrence = {
  pattern: {
    kind: 'rule',
    rule: {
      freq: 'weekly',
      interval: 1,
      byWeekday: ['MO', 'WE'],
      byMonthDay: null,
      bySetPos: null,
      byMonth: null,
      end: { kind: 'until', until: '2026-06-30' },
    },
  },
  exdates: ['2026-03-09T07:00:00Z'],
  overrides: [
    {
      originalStart: '2026-03-11T07:00:00Z',
      title: 'Moved',
      notes: '',
      location: 'Room 2',
      timing: {
        kind: 'timed',
        start: '2026-03-11T09:00:00Z',
        end: '2026-03-11T10:00:00Z',
        timeZone: 'Europe/Helsinki',
      },
    },
  ],
};

const contents: readonly EntryContent[] = [
  timed('Workshop', 2, 7),
  {
    ...timed('Doctor', 3, 12, 1, 'America/New_York'),
    isPrivate: true,
    notes: 'Bring card',
    location: 'Clinic',
  },
  allDay('Offsite', '2026-03-10', '2026-03-13'),
  { ...timed('Weekly', 0, 7), recurrence: weekly },
  {
    ...timed('Hourly', 0, 7),
    recurrence: {
      pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=HOURLY;COUNT=3'] },
      exdates: [],
      overrides: [],
    },
  },
];

test('request bodies the sync sends match the documented operations', (t) => {
  const contracts = loadContracts();
  if (!contracts) {
    console.log('skipped: contracts not found');
    t.skip('contracts not found');
    return;
  }
  const create = contracts.severaOperation('POST', '/v1/activities');
  const patch = contracts.severaOperation('PATCH', '/v1/activities/{guid}');
  const insert = contracts.googleOperation('POST', 'calendars/{calendarId}/events');
  const update = contracts.googleOperation('PUT', 'calendars/{calendarId}/events/{eventId}');
  assert.ok(create?.requestSchema && patch?.requestSchema && insert?.requestSchema && update?.requestSchema);

  const mismatches: string[] = [];
  let checked = 0;
  const check = (
    side: 'severa' | 'google',
    what: string,
    schema: Parameters<typeof contracts.validate>[1],
    body: unknown,
  ) => {
    checked += 1;
    for (const problem of contracts.validate(side, schema, body)) mismatches.push(`${what}: ${problem}`);
  };

  for (const content of contents) {
    if (content.recurrence?.pattern.kind !== 'unsupported') {
      const body = contentToActivityCreate({
        content,
        activityTypeGuid: 'type-meeting',
        ownerGuid: 'user-aino',
        timeZone: 'Europe/Helsinki',
      });
      check('severa', `POST /v1/activities (${content.title})`, create.requestSchema, body);
      const ops = contentToPatch(timed('Before', 1, 6), content, {
        timeZone: 'Europe/Helsinki',
        activityTypeGuid: 'type-personal',
      });
      check('severa', `PATCH /v1/activities/{guid} (${content.title})`, patch.requestSchema, ops);
    }
    const event = recordToEvent({ id: 'sv0123456789abcdef', content, severaGuid: 'guid-1' });
    check('google', `events.insert (${content.title})`, insert.requestSchema, event);
    check('google', `events.update (${content.title})`, update.requestSchema, event);
    for (const override of content.recurrence?.overrides ?? []) {
      check(
        'google',
        'exception instance',
        insert.requestSchema,
        overrideToInstanceEvent('sv0123456789abcdef', override, 'Europe/Helsinki'),
      );
    }
  }
  console.log(`requests: ${checked} validated, ${mismatches.length} mismatches`);
  assert.deepEqual(mismatches, []);
});

test('the contract check catches what the documents forbid (self-test)', (t) => {
  const contracts = loadContracts();
  if (!contracts) {
    console.log('skipped: contracts not found');
    t.skip('contracts not found');
    return;
  }
  const create = contracts.severaOperation('POST', '/v1/activities')?.requestSchema;
  const insert = contracts.googleOperation('POST', 'calendars/{calendarId}/events')?.requestSchema;
  assert.ok(create && insert);
  const body = contentToActivityCreate({
    content: timed('Workshop', 2, 7),
    activityTypeGuid: 'type-meeting',
    ownerGuid: 'user-aino',
    timeZone: 'Europe/Helsinki',
  });
  const { name: _name, ...nameless } = body;
  assert.ok(contracts.validate('severa', create, nameless).length > 0, 'ActivityModel requires name');
  assert.ok(
    contracts.validate('severa', create, { ...body, startDateTime: 'soon' }).length > 0,
    'date-time format',
  );
  assert.ok(contracts.validate('google', insert, { summary: 3 }).length > 0, 'summary is a string');
  assert.ok(contracts.validate('google', insert, { start: { dateTime: 'x' } }).length > 0, 'dateTime format');
  assert.deepEqual(contracts.validate('google', insert, { summary: 'ok', someNewerField: true }), []);
});

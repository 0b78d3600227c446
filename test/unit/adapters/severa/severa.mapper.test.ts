import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  activityModelSchema,
  activityToRecord,
  activityTypeFromModel,
  contentToActivityCreate,
  contentToPatch,
  localMidnight,
  overrideToExceptionFields,
  toOffsetDateTime,
  userParticipantGuids,
  userToSyncUser,
  type ActivityCreateBody,
  type ActivityModel,
} from '../../../../shared/adapters/severa/index.js';
import {
  activityTypeModelSchema,
  userOutputModelSchema,
} from '../../../../shared/adapters/severa/severa.wire.js';
import { contentHash } from '../../../../shared/domain/content-hash.js';
import type { ActivityCategory, ActivityType, EntryContent } from '../../../../shared/domain/entry.js';
import type { RecurrenceRule } from '../../../../shared/domain/recurrence.js';
import type { Timing } from '../../../../shared/domain/timing.js';

const HEL = 'Europe/Helsinki';
const NYC = 'America/New_York';

/** A validated activity: the §12 example with `overrides` applied. */
function activity(overrides: Record<string, unknown> = {}): ActivityModel {
  return activityModelSchema.parse({
    guid: 'act-1',
    name: 'Customer workshop',
    startDateTime: '2026-05-04T09:00:00+03:00',
    endDateTime: '2026-05-04T10:30:00+03:00',
    isAllDay: false,
    hasDuration: true,
    isClosed: false,
    notes: 'Agenda…',
    location: 'Helsinki office',
    activityType: { guid: 'type-meeting', name: 'Meeting', category: 'CalendarEntry' },
    ownerUser: { guid: 'owner', name: 'Tiia Tester' },
    phase: null,
    projectTaskStatus: null,
    recurrence: null,
    recurrenceType: 'None',
    createdDateTime: '2026-04-28T07:12:03+00:00',
    lastUpdatedDateTime: '2026-04-29T14:40:55+03:00',
    ...overrides,
  });
}

const ctx = { timeZone: HEL, participantGuids: [] as readonly string[] };

/** What Severa would hand back after storing a create body (the fields the server adds included). */
function stored(body: ActivityCreateBody, category: ActivityCategory = 'CalendarEntry'): ActivityModel {
  return activityModelSchema.parse({
    ...body,
    guid: 'act-stored',
    activityType: { guid: body.activityType.guid, name: 'T', category },
    recurrenceType: body.recurrence === undefined ? 'None' : 'Series',
    lastUpdatedDateTime: '2026-05-01T00:00:00Z',
  });
}

function timed(start: string, end: string, timeZone = HEL): Timing {
  return { kind: 'timed', start, end, timeZone };
}

function content(patch: Partial<EntryContent> = {}): EntryContent {
  return {
    title: 'Customer workshop',
    notes: 'Agenda…',
    location: 'Helsinki office',
    timing: timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
    recurrence: null,
    isPrivate: false,
    ...patch,
  };
}

const WEEKLY_MONDAY: RecurrenceRule = {
  freq: 'weekly',
  interval: 1,
  byWeekday: ['MO'],
  byMonthDay: null,
  bySetPos: null,
  byMonth: null,
  end: { kind: 'until', until: '2026-12-31' },
};

describe('time helpers', () => {
  const offsets: readonly [string, string, string][] = [
    ['2026-05-04T06:00:00Z', HEL, '2026-05-04T09:00:00+03:00'],
    ['2026-01-04T06:00:00Z', HEL, '2026-01-04T08:00:00+02:00'],
    ['2026-05-04T06:00:00.999Z', HEL, '2026-05-04T09:00:00+03:00'],
    ['2026-11-01T05:30:00Z', NYC, '2026-11-01T01:30:00-04:00'],
    ['2026-11-01T06:30:00Z', NYC, '2026-11-01T01:30:00-05:00'],
    ['2026-05-04T06:00:00Z', 'UTC', '2026-05-04T06:00:00+00:00'],
  ];
  for (const [instant, zone, expected] of offsets) {
    it(`toOffsetDateTime(${instant}, ${zone}) = ${expected}`, () => {
      assert.equal(toOffsetDateTime(instant, zone), expected);
    });
  }

  const midnights: readonly [string, string, string][] = [
    ['2013-12-16', HEL, '2013-12-16T00:00:00+02:00'],
    ['2026-03-29', HEL, '2026-03-29T00:00:00+02:00'],
    ['2026-03-30', HEL, '2026-03-30T00:00:00+03:00'],
    ['2026-11-01', NYC, '2026-11-01T00:00:00-04:00'],
    ['2026-11-02', NYC, '2026-11-02T00:00:00-05:00'],
    // No midnight that day (DST started at 00:00): the first wall-clock time that exists.
    ['2018-11-04', 'America/Sao_Paulo', '2018-11-04T01:00:00-02:00'],
  ];
  for (const [date, zone, expected] of midnights) {
    it(`localMidnight(${date}, ${zone}) = ${expected}`, () => {
      assert.equal(localMidnight(date, zone), expected);
    });
  }

  it('rejects unknown zones and bad dates', () => {
    assert.throws(() => toOffsetDateTime('2026-05-04T06:00:00Z', 'Mars/Olympus'), RangeError);
    assert.throws(() => localMidnight('2026-02-30', HEL), RangeError);
  });
});

describe('activityToRecord: every field', () => {
  it('maps the §12 example', () => {
    const record = activityToRecord(activity({ createdBy: { guid: 'u1', name: 'Tiia Tester' } }), {
      timeZone: HEL,
      participantGuids: ['p2', 'owner', 'p1', 'p2'],
    });
    assert.deepEqual(record, {
      guid: 'act-1',
      version: '2026-04-29T11:40:55Z',
      content: {
        title: 'Customer workshop',
        notes: 'Agenda…',
        location: 'Helsinki office',
        timing: { kind: 'timed', start: '2026-05-04T06:00:00Z', end: '2026-05-04T07:30:00Z', timeZone: HEL },
        recurrence: null,
        isPrivate: false,
      },
      activityType: { guid: 'type-meeting', name: 'Meeting', category: 'CalendarEntry' },
      ownerGuid: 'owner',
      participantGuids: ['p1', 'p2'],
      isProjectTask: false,
      createdAt: '2026-04-28T07:12:03Z',
      createdBy: 'u1',
      ownerTimeZone: HEL,
    });
  });

  const text: readonly [string, Record<string, unknown>, Partial<EntryContent>][] = [
    ['title white space folded', { name: '  Customer \t workshop ' }, { title: 'Customer workshop' }],
    ['placeholder title reads as empty', { name: '(No title)' }, { title: '' }],
    [
      'notes CRLF and trailing space',
      { notes: '\r\nline 1  \r\n\r\nline 2\r\n' },
      { notes: 'line 1\n\nline 2' },
    ],
    ['null notes and location', { notes: null, location: null }, { notes: '', location: '' }],
  ];
  for (const [label, patch, expected] of text) {
    it(`text: ${label}`, () => {
      const c = activityToRecord(activity(patch), ctx).content;
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual(c[key as keyof EntryContent], value);
    });
  }

  it('version falls back to createdDateTime', () => {
    assert.equal(
      activityToRecord(activity({ lastUpdatedDateTime: null }), ctx).version,
      '2026-04-28T07:12:03Z',
    );
  });

  it('needs a guid and a change stamp', () => {
    assert.throws(() => activityToRecord(activity({ guid: null }), ctx), RangeError);
    assert.throws(
      () => activityToRecord(activity({ lastUpdatedDateTime: null, createdDateTime: undefined }), ctx),
      RangeError,
    );
  });

  it('takes a missing category from the cached activity types, else refuses', () => {
    const a = activity({ activityType: { guid: 'type-personal' } });
    const types: readonly ActivityType[] = [
      { guid: 'type-personal', name: 'Personal', category: 'Personal', isActive: true, isDefault: false },
    ];
    const record = activityToRecord(a, { ...ctx, activityTypes: types });
    assert.deepEqual(record.activityType, { guid: 'type-personal', name: 'Personal', category: 'Personal' });
    assert.equal(record.content.isPrivate, true);
    assert.throws(() => activityToRecord(a, ctx), /has no category/);
  });
});

describe('activityToRecord: privacy and project tasks (S3, S4)', () => {
  const privacy: readonly [ActivityCategory, boolean][] = [
    ['Personal', true],
    ['CalendarEntry', false],
    ['SalesEvent', false],
    ['Absences', false],
    ['Task', false],
  ];
  for (const [category, isPrivate] of privacy) {
    it(`category ${category} → isPrivate ${isPrivate}`, () => {
      const a = activity({ activityType: { guid: 't', name: 'T', category } });
      assert.equal(activityToRecord(a, ctx).content.isPrivate, isPrivate);
    });
  }

  const tasks: readonly [string, Record<string, unknown>, boolean][] = [
    ['category Task', { activityType: { guid: 't', category: 'Task' } }, true],
    ['phase set', { phase: { guid: 'ph1', name: 'Design', projectGuid: 'pr1' } }, true],
    ['projectTaskStatus set', { projectTaskStatus: { guid: 's1', name: 'In progress' } }, true],
    ['none', {}, false],
    ['phase and status null', { phase: null, projectTaskStatus: null }, false],
    ['phase present but empty', { phase: { guid: null, name: null } }, false],
  ];
  for (const [label, patch, expected] of tasks) {
    it(`project task: ${label} → ${expected}`, () => {
      assert.equal(activityToRecord(activity(patch), ctx).isProjectTask, expected);
    });
  }
});

describe('activityToRecord: timed entries', () => {
  const cases: readonly [string, string, Record<string, unknown>, Timing][] = [
    [
      'offsets canonicalised, zone = owner zone',
      HEL,
      {},
      timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
    ],
    [
      'missing end → end = start',
      HEL,
      { endDateTime: null },
      timed('2026-05-04T06:00:00Z', '2026-05-04T06:00:00Z'),
    ],
    [
      'end before start → end = start',
      HEL,
      { endDateTime: '2026-05-04T08:00:00+03:00' },
      timed('2026-05-04T06:00:00Z', '2026-05-04T06:00:00Z'),
    ],
    [
      'offset-less values read in the owner zone',
      HEL,
      { startDateTime: '2026-05-04T09:00:00', endDateTime: '2026-05-04T10:30:00' },
      timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
    ],
    [
      'across the Helsinki spring-forward (01:30 EET → 05:00 EEST)',
      HEL,
      { startDateTime: '2026-03-29T01:30:00+02:00', endDateTime: '2026-03-29T05:00:00+03:00' },
      timed('2026-03-28T23:30:00Z', '2026-03-29T02:00:00Z'),
    ],
    [
      'across the New York fall-back (the repeated 01:30)',
      NYC,
      { startDateTime: '2026-11-01T01:30:00-04:00', endDateTime: '2026-11-01T01:30:00-05:00' },
      timed('2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', NYC),
    ],
  ];
  for (const [label, zone, patch, expected] of cases) {
    it(label, () => {
      assert.deepEqual(
        activityToRecord(activity(patch), { ...ctx, timeZone: zone }).content.timing,
        expected,
      );
    });
  }

  it('equivalent encodings (+03:00 vs Z) give the same hash', () => {
    const a = activityToRecord(activity(), ctx);
    const b = activityToRecord(
      activity({ startDateTime: '2026-05-04T06:00:00Z', endDateTime: '2026-05-04T07:30:00.000Z' }),
      ctx,
    );
    assert.equal(contentHash(a.content), contentHash(b.content));
  });
});

describe('activityToRecord: all-day entries', () => {
  const cases: readonly [string, string, string, string | null, string, string][] = [
    // label, zone, startDateTime, endDateTime, startDate, endDate (exclusive)
    ['§12: 16–20 Dec in Finland', HEL, '2013-12-15T22:00Z', '2013-12-20T22:00Z', '2013-12-16', '2013-12-21'],
    [
      '§12 spelled with the local offset',
      HEL,
      '2013-12-16T00:00:00+02:00',
      '2013-12-21T00:00:00+02:00',
      '2013-12-16',
      '2013-12-21',
    ],
    ['single day, end missing', HEL, '2026-05-04T00:00:00+03:00', null, '2026-05-04', '2026-05-05'],
    [
      'single day, exclusive end',
      HEL,
      '2026-05-03T21:00:00Z',
      '2026-05-04T21:00:00Z',
      '2026-05-04',
      '2026-05-05',
    ],
    [
      'end = midnight of the (only) last day',
      HEL,
      '2026-05-04T00:00:00+03:00',
      '2026-05-04T00:00:00+03:00',
      '2026-05-04',
      '2026-05-05',
    ],
    [
      'end = 23:59:59 of the last day',
      HEL,
      '2026-05-04T00:00:00+03:00',
      '2026-05-06T23:59:59+03:00',
      '2026-05-04',
      '2026-05-07',
    ],
    [
      'end = 23:59:59 of the last day in UTC spelling',
      HEL,
      '2026-05-04T00:00:00+03:00',
      '2026-05-06T20:59:59Z',
      '2026-05-04',
      '2026-05-07',
    ],
    [
      'start not at midnight: its local date',
      HEL,
      '2026-05-04T09:00:00+03:00',
      null,
      '2026-05-04',
      '2026-05-05',
    ],
    [
      'end before start → one day',
      HEL,
      '2026-05-04T00:00:00+03:00',
      '2026-05-01T00:00:00+03:00',
      '2026-05-04',
      '2026-05-05',
    ],
    ['across a month end', HEL, '2026-01-30T22:00:00Z', '2026-02-01T22:00:00Z', '2026-01-31', '2026-02-02'],
    ['last day of February', HEL, '2026-02-27T22:00:00Z', '2026-02-28T22:00:00Z', '2026-02-28', '2026-03-01'],
    ['across a year end', HEL, '2026-12-29T22:00:00Z', '2027-01-01T22:00:00Z', '2026-12-30', '2027-01-02'],
    [
      'Helsinki spring-forward day',
      HEL,
      '2026-03-28T22:00:00Z',
      '2026-03-29T21:00:00Z',
      '2026-03-29',
      '2026-03-30',
    ],
    [
      'Helsinki, spanning spring-forward',
      HEL,
      '2026-03-27T22:00:00Z',
      '2026-03-30T21:00:00Z',
      '2026-03-28',
      '2026-03-31',
    ],
    [
      'New York fall-back day',
      NYC,
      '2026-11-01T04:00:00Z',
      '2026-11-02T05:00:00Z',
      '2026-11-01',
      '2026-11-02',
    ],
    [
      'New York, date-only encoded as UTC midnight',
      NYC,
      '2026-05-04T00:00:00Z',
      '2026-05-05T00:00:00Z',
      '2026-05-04',
      '2026-05-05',
    ],
    [
      'Sao Paulo day without a midnight',
      'America/Sao_Paulo',
      '2018-11-04T01:00:00-02:00',
      '2018-11-05T00:00:00-02:00',
      '2018-11-04',
      '2018-11-05',
    ],
  ];
  for (const [label, zone, start, end, startDate, endDate] of cases) {
    it(label, () => {
      const a = activity({ isAllDay: true, startDateTime: start, endDateTime: end });
      assert.deepEqual(activityToRecord(a, { ...ctx, timeZone: zone }).content.timing, {
        kind: 'allDay',
        startDate,
        endDate,
      });
    });
  }
});

describe('contentToActivityCreate', () => {
  it('writes every field with explicit offsets in the owner zone', () => {
    const body = contentToActivityCreate({
      content: content({ title: '  Customer  workshop ', notes: 'Agenda…\r\n' }),
      activityTypeGuid: 'type-meeting',
      ownerGuid: 'owner',
      timeZone: HEL,
    });
    assert.deepEqual(body, {
      name: 'Customer workshop',
      startDateTime: '2026-05-04T09:00:00+03:00',
      endDateTime: '2026-05-04T10:30:00+03:00',
      isAllDay: false,
      hasDuration: true,
      notes: 'Agenda…',
      location: 'Helsinki office',
      activityType: { guid: 'type-meeting' },
      ownerUser: { guid: 'owner' },
    });
  });

  const allDay: readonly [string, string, string, string, string, string][] = [
    [
      '§12 example',
      HEL,
      '2013-12-16',
      '2013-12-21',
      '2013-12-16T00:00:00+02:00',
      '2013-12-21T00:00:00+02:00',
    ],
    [
      'spring-forward day',
      HEL,
      '2026-03-29',
      '2026-03-30',
      '2026-03-29T00:00:00+02:00',
      '2026-03-30T00:00:00+03:00',
    ],
    [
      'fall-back day',
      NYC,
      '2026-11-01',
      '2026-11-02',
      '2026-11-01T00:00:00-04:00',
      '2026-11-02T00:00:00-05:00',
    ],
    ['year end', HEL, '2026-12-31', '2027-01-01', '2026-12-31T00:00:00+02:00', '2027-01-01T00:00:00+02:00'],
  ];
  for (const [label, zone, startDate, endDate, start, end] of allDay) {
    it(`all-day as local midnights, exclusive end: ${label}`, () => {
      const body = contentToActivityCreate({
        content: content({ timing: { kind: 'allDay', startDate, endDate } }),
        activityTypeGuid: 't',
        ownerGuid: 'o',
        timeZone: zone,
      });
      assert.equal(body.startDateTime, start);
      assert.equal(body.endDateTime, end);
      assert.equal(body.isAllDay, true);
      assert.equal(body.hasDuration, true);
    });
  }

  it('an empty title becomes the placeholder name (name is required)', () => {
    const body = contentToActivityCreate({
      content: content({ title: ' ' }),
      activityTypeGuid: 't',
      ownerGuid: 'o',
      timeZone: HEL,
    });
    assert.equal(body.name, '(No title)');
  });

  it('refuses an unsupported recurrence with a RangeError', () => {
    const c = content({
      recurrence: {
        pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=HOURLY'] },
        exdates: [],
        overrides: [],
      },
    });
    assert.throws(
      () => contentToActivityCreate({ content: c, activityTypeGuid: 't', ownerGuid: 'o', timeZone: HEL }),
      RangeError,
    );
  });

  it('writes the rule of a series (exceptions are read-only)', () => {
    const c = content({
      recurrence: { pattern: { kind: 'rule', rule: WEEKLY_MONDAY }, exdates: [], overrides: [] },
    });
    const body = contentToActivityCreate({
      content: c,
      activityTypeGuid: 't',
      ownerGuid: 'o',
      timeZone: HEL,
    });
    assert.equal(body.recurrence?.frequency, 'Weekly');
    assert.equal(body.recurrence.pattern?.weekly?.monday, true);
    assert.equal('exceptions' in body.recurrence, false);
  });
});

describe('round trip activity → record → create body → record', () => {
  const activities: readonly [string, string, Record<string, unknown>][] = [
    ['timed', HEL, {}],
    ['timed, no end', HEL, { endDateTime: null }],
    [
      'timed across spring-forward',
      HEL,
      { startDateTime: '2026-03-29T01:30:00+02:00', endDateTime: '2026-03-29T05:00:00+03:00' },
    ],
    [
      'timed across fall-back',
      NYC,
      { startDateTime: '2026-11-01T01:30:00-04:00', endDateTime: '2026-11-01T01:30:00-05:00' },
    ],
    [
      'all-day §12',
      HEL,
      { isAllDay: true, startDateTime: '2013-12-15T22:00Z', endDateTime: '2013-12-20T22:00Z' },
    ],
    [
      'all-day, no end',
      HEL,
      { isAllDay: true, startDateTime: '2026-05-04T00:00:00+03:00', endDateTime: null },
    ],
    [
      'all-day 23:59:59 end',
      HEL,
      {
        isAllDay: true,
        startDateTime: '2026-05-04T00:00:00+03:00',
        endDateTime: '2026-05-06T23:59:59+03:00',
      },
    ],
    [
      'all-day spring-forward',
      HEL,
      { isAllDay: true, startDateTime: '2026-03-28T22:00:00Z', endDateTime: '2026-03-29T21:00:00Z' },
    ],
    [
      'all-day fall-back',
      NYC,
      { isAllDay: true, startDateTime: '2026-11-01T04:00:00Z', endDateTime: '2026-11-02T05:00:00Z' },
    ],
    ['private', HEL, { activityType: { guid: 'type-personal', name: 'Personal', category: 'Personal' } }],
    ['untitled', HEL, { name: '(No title)', notes: null, location: null }],
  ];
  for (const [label, zone, patch] of activities) {
    it(label, () => {
      const first = activityToRecord(activity(patch), { ...ctx, timeZone: zone });
      const body = contentToActivityCreate({
        content: first.content,
        activityTypeGuid: first.activityType.guid,
        ownerGuid: first.ownerGuid,
        timeZone: zone,
      });
      const second = activityToRecord(stored(body, first.activityType.category), { ...ctx, timeZone: zone });
      assert.equal(contentHash(second.content), contentHash(first.content));
      assert.deepEqual(second.content, first.content);
    });
  }

  it('weekly series (rule survives the create body)', () => {
    const master = activity({
      recurrenceType: 'Series',
      recurrence: {
        frequency: 'Weekly',
        pattern: { weekly: { interval: 1, monday: true } },
        range: { recursUntilDate: '2026-12-31' },
      },
    });
    const first = activityToRecord(master, ctx);
    const body = contentToActivityCreate({
      content: first.content,
      activityTypeGuid: 't',
      ownerGuid: 'o',
      timeZone: HEL,
    });
    const second = activityToRecord(stored(body), ctx);
    assert.equal(contentHash(second.content), contentHash(first.content));
  });
});

describe('activityToRecord: series, cancelled and modified occurrences', () => {
  /** Weekly on Mondays at 09:00 Helsinki from 2026-05-04. */
  function master(exceptions: readonly string[], patch: Record<string, unknown> = {}): ActivityModel {
    return activity({
      guid: 'series-1',
      recurrenceType: 'Series',
      recurrence: {
        frequency: 'Weekly',
        pattern: { weekly: { interval: 1, monday: true } },
        range: { recursUntilDate: '2026-12-31' },
        exceptions,
      },
      ...patch,
    });
  }
  function row(guid: string, start: string, end: string, patch: Record<string, unknown> = {}): ActivityModel {
    return activity({
      guid,
      name: `Moved ${guid}`,
      startDateTime: start,
      endDateTime: end,
      recurrenceType: 'Exception',
      recurrenceParentActivityGuid: 'series-1',
      ...patch,
    });
  }

  it('rule from severaRecurrenceToRule; exdates = exceptions without a row; rows → overrides', () => {
    const record = activityToRecord(
      master([
        '2026-06-01T09:00:00+03:00',
        '2026-06-08T09:00:00+03:00',
        '2026-06-15T09:00:00+03:00',
        '2026-06-22T09:00:00+03:00',
      ]),
      {
        ...ctx,
        exceptionRows: [
          row('same-day', '2026-06-08T11:00:00+03:00', '2026-06-08T12:00:00+03:00'),
          row('next-day', '2026-06-16T09:00:00+03:00', '2026-06-16T10:30:00+03:00'),
          row('text-only', '2026-06-22T09:00:00+03:00', '2026-06-22T10:30:00+03:00', { name: 'Renamed' }),
          row('other-series', '2026-06-01T09:00:00+03:00', '2026-06-01T10:00:00+03:00', {
            recurrenceParentActivityGuid: 'x',
          }),
          row('occurrence', '2026-06-01T09:00:00+03:00', '2026-06-01T10:00:00+03:00', {
            recurrenceType: 'Occurrence',
          }),
        ],
      },
    );
    const recurrence = record.content.recurrence;
    assert.ok(recurrence);
    assert.equal(recurrence.pattern.kind, 'rule');
    assert.equal(recurrence.pattern.rule.freq, 'weekly');
    assert.deepEqual(recurrence.pattern.rule.byWeekday, ['MO']);
    assert.deepEqual(recurrence.exdates, ['2026-06-01T06:00:00Z']);
    assert.deepEqual(
      recurrence.overrides.map((o) => [o.originalStart, o.title, o.timing]),
      [
        ['2026-06-08T06:00:00Z', 'Moved same-day', timed('2026-06-08T08:00:00Z', '2026-06-08T09:00:00Z')],
        ['2026-06-15T06:00:00Z', 'Moved next-day', timed('2026-06-16T06:00:00Z', '2026-06-16T07:30:00Z')],
        ['2026-06-22T06:00:00Z', 'Renamed', timed('2026-06-22T06:00:00Z', '2026-06-22T07:30:00Z')],
      ],
    );
  });

  it('exception dates keep the series wall-clock time across DST and may be spelled as local midnights', () => {
    // Series starts in winter time (09:00 = 07:00Z); occurrences after 29 March are at 09:00 = 06:00Z.
    const record = activityToRecord(
      master(['2026-03-30T00:00:00+03:00', '2026-04-06T09:00:00+03:00'], {
        startDateTime: '2026-03-23T09:00:00+02:00',
        endDateTime: '2026-03-23T10:00:00+02:00',
      }),
      ctx,
    );
    assert.deepEqual(record.content.recurrence?.exdates, ['2026-03-30T06:00:00Z', '2026-04-06T06:00:00Z']);
  });

  it('a row with no listed exception left keeps its own date as the original occurrence', () => {
    const record = activityToRecord(master([]), {
      ...ctx,
      exceptionRows: [row('orphan', '2026-06-08T11:00:00+03:00', '2026-06-08T12:00:00+03:00')],
    });
    assert.deepEqual(
      record.content.recurrence?.overrides.map((o) => o.originalStart),
      ['2026-06-08T06:00:00Z'],
    );
    assert.deepEqual(record.content.recurrence.exdates, []);
  });

  it('all-day series: exceptions and overrides keyed by date', () => {
    const record = activityToRecord(
      master(['2026-06-01T00:00:00+03:00', '2026-06-07T21:00:00Z'], {
        isAllDay: true,
        startDateTime: '2026-05-04T00:00:00+03:00',
        endDateTime: '2026-05-05T00:00:00+03:00',
      }),
      {
        ...ctx,
        exceptionRows: [
          row('allday', '2026-06-09T00:00:00+03:00', '2026-06-10T00:00:00+03:00', { isAllDay: true }),
        ],
      },
    );
    assert.deepEqual(record.content.recurrence?.exdates, ['2026-06-01']);
    assert.deepEqual(
      record.content.recurrence.overrides.map((o) => [o.originalStart, o.timing]),
      [['2026-06-08', { kind: 'allDay', startDate: '2026-06-09', endDate: '2026-06-10' }]],
    );
  });

  it('a Series row without recurrence, and Occurrence rows, are single entries', () => {
    assert.equal(
      activityToRecord(activity({ recurrenceType: 'Series', recurrence: null }), ctx).content.recurrence,
      null,
    );
    const occurrence = activity({
      recurrenceType: 'Occurrence',
      recurrenceParentActivityGuid: 'series-1',
      recurrence: { frequency: 'Daily' },
    });
    assert.equal(activityToRecord(occurrence, ctx).content.recurrence, null);
  });
});

describe('contentToPatch', () => {
  const opts = { timeZone: HEL };
  const cases: readonly [string, Partial<EntryContent>, unknown[]][] = [
    ['nothing changed', {}, []],
    ['title', { title: 'New title' }, [{ op: 'replace', path: '/name', value: 'New title' }]],
    ['title emptied → placeholder', { title: '' }, [{ op: 'replace', path: '/name', value: '(No title)' }]],
    ['title white space only', { title: ' Customer   workshop ' }, []],
    ['notes', { notes: 'Other' }, [{ op: 'replace', path: '/notes', value: 'Other' }]],
    ['location', { location: '' }, [{ op: 'replace', path: '/location', value: '' }]],
    [
      'same instants, another zone (single entry: same meaning)',
      { timing: timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z', NYC) },
      [],
    ],
    [
      'moved one hour',
      { timing: timed('2026-05-04T07:00:00Z', '2026-05-04T08:30:00Z') },
      [
        { op: 'replace', path: '/startDateTime', value: '2026-05-04T10:00:00+03:00' },
        { op: 'replace', path: '/endDateTime', value: '2026-05-04T11:30:00+03:00' },
      ],
    ],
    [
      'end only',
      { timing: timed('2026-05-04T06:00:00Z', '2026-05-04T08:00:00Z') },
      [{ op: 'replace', path: '/endDateTime', value: '2026-05-04T11:00:00+03:00' }],
    ],
    [
      'timed → all-day',
      { timing: { kind: 'allDay', startDate: '2026-05-04', endDate: '2026-05-05' } },
      [
        { op: 'replace', path: '/startDateTime', value: '2026-05-04T00:00:00+03:00' },
        { op: 'replace', path: '/endDateTime', value: '2026-05-05T00:00:00+03:00' },
        { op: 'replace', path: '/isAllDay', value: true },
      ],
    ],
    ['privacy alone (no type guid given) sends nothing', { isPrivate: true }, []],
  ];
  for (const [label, patch, expected] of cases) {
    it(label, () => {
      assert.deepEqual(contentToPatch(content(), content(patch), opts), expected);
    });
  }

  it('activity type: replaced whole with { guid } when given and different', () => {
    const op = { op: 'replace', path: '/activityType', value: { guid: 'type-personal' } };
    assert.deepEqual(contentToPatch(content(), content(), { ...opts, activityTypeGuid: 'type-personal' }), [
      op,
    ]);
    assert.deepEqual(
      contentToPatch(content(), content(), {
        ...opts,
        activityTypeGuid: 'type-personal',
        currentActivityTypeGuid: 'type-meeting',
      }),
      [op],
    );
    assert.deepEqual(
      contentToPatch(content(), content(), {
        ...opts,
        activityTypeGuid: 'type-personal',
        currentActivityTypeGuid: 'type-personal',
      }),
      [],
    );
  });

  it('recurrence: added, changed, removed', () => {
    const weekly = { pattern: { kind: 'rule', rule: WEEKLY_MONDAY }, exdates: [], overrides: [] } as const;
    const added = contentToPatch(content(), content({ recurrence: weekly }), opts);
    assert.deepEqual(
      added.map((o) => o.path),
      ['/recurrence'],
    );
    assert.equal((added[0]?.value as { frequency: string }).frequency, 'Weekly');

    const biweekly = {
      ...weekly,
      pattern: { kind: 'rule', rule: { ...WEEKLY_MONDAY, interval: 2 } },
    } as const;
    const changed = contentToPatch(content({ recurrence: weekly }), content({ recurrence: biweekly }), opts);
    assert.deepEqual(
      changed.map((o) => o.path),
      ['/recurrence'],
    );

    assert.deepEqual(contentToPatch(content({ recurrence: weekly }), content(), opts), [
      { op: 'replace', path: '/recurrence', value: null },
    ]);
    // Exdates alone are not a /recurrence change: `exceptions` is read-only.
    const withExdate = { ...weekly, exdates: ['2026-05-11T06:00:00Z'] };
    assert.deepEqual(
      contentToPatch(content({ recurrence: weekly }), content({ recurrence: withExdate }), opts),
      [],
    );
  });

  it('refuses to write an unsupported recurrence', () => {
    const unsupported = {
      pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=HOURLY'] },
      exdates: [],
      overrides: [],
    } as const;
    assert.throws(() => contentToPatch(content(), content({ recurrence: unsupported }), opts), RangeError);
  });
});

describe('overrideToExceptionFields', () => {
  it('timed override', () => {
    assert.deepEqual(
      overrideToExceptionFields(
        {
          originalStart: '2026-06-08T06:00:00Z',
          title: 'Moved',
          notes: 'n',
          location: 'Room 2',
          timing: timed('2026-06-08T08:00:00Z', '2026-06-08T09:00:00Z'),
        },
        HEL,
      ),
      {
        name: 'Moved',
        notes: 'n',
        location: 'Room 2',
        startDateTime: '2026-06-08T11:00:00+03:00',
        endDateTime: '2026-06-08T12:00:00+03:00',
        isAllDay: false,
      },
    );
  });

  it('all-day override', () => {
    assert.deepEqual(
      overrideToExceptionFields(
        {
          originalStart: '2026-11-01',
          title: '',
          notes: '',
          location: '',
          timing: { kind: 'allDay', startDate: '2026-11-01', endDate: '2026-11-02' },
        },
        NYC,
      ),
      {
        name: '(No title)',
        notes: '',
        location: '',
        startDateTime: '2026-11-01T00:00:00-04:00',
        endDateTime: '2026-11-02T00:00:00-05:00',
        isAllDay: true,
      },
    );
  });
});

describe('participants, types and users', () => {
  it('userParticipantGuids: users only, owner excluded, unique, sorted', () => {
    const participants = [
      { activityGuid: 'a', participantGuid: 'u3', type: 'User' },
      { activityGuid: 'a', participantGuid: 'owner', type: 'User' },
      { activityGuid: 'a', participantGuid: 'c1', type: 'Contact' },
      { activityGuid: 'a', participantGuid: 'u1', type: 'User' },
      { activityGuid: 'a', participantGuid: 'u3', type: 'User' },
      { activityGuid: 'a', participantGuid: 'r1', type: 'Resource' },
    ] as const;
    assert.deepEqual(userParticipantGuids(participants, 'owner'), ['u1', 'u3']);
  });

  it('activityTypeFromModel', () => {
    const model = activityTypeModelSchema.parse({
      guid: 'type-personal',
      name: 'Personal',
      category: 'Personal',
    });
    assert.deepEqual(activityTypeFromModel(model), {
      guid: 'type-personal',
      name: 'Personal',
      category: 'Personal',
      isActive: true,
      isDefault: false,
    });
    assert.equal(activityTypeFromModel({ ...model, guid: null }), null);
  });

  it('userToSyncUser: lower-case e-mail, IANA zone with fallback, default type', () => {
    const base = {
      guid: 'u1',
      email: ' Tiia@Example.COM ',
      firstName: 'Tiia',
      lastName: 'Tester',
      timezone: { ianaName: NYC },
      defaultActivityType: { guid: 'type-meeting' },
    };
    assert.deepEqual(userToSyncUser(userOutputModelSchema.parse(base), HEL), {
      severaUserGuid: 'u1',
      email: 'tiia@example.com',
      timeZone: NYC,
      defaultActivityTypeGuid: 'type-meeting',
    });
    const noZone = userToSyncUser(
      userOutputModelSchema.parse({ ...base, timezone: null, defaultActivityType: null }),
      HEL,
    );
    assert.equal(noZone?.timeZone, HEL);
    assert.equal(noZone.defaultActivityTypeGuid, null);
    assert.equal(userToSyncUser(userOutputModelSchema.parse({ ...base, email: null }), HEL), null);
  });
});

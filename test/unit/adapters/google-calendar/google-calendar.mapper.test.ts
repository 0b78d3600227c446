import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  eventSchema,
  eventToRecord,
  overrideToInstanceEvent,
  recordToEvent,
  type Event,
} from '../../../../shared/adapters/google-calendar/index.js';
import {
  activityModelSchema,
  activityToRecord,
  contentToActivityCreate,
} from '../../../../shared/adapters/severa/index.js';
import { contentHash } from '../../../../shared/domain/content-hash.js';
import type { EntryContent, GoogleRecord } from '../../../../shared/domain/entry.js';
import type { Timing } from '../../../../shared/domain/timing.js';

const HEL = 'Europe/Helsinki';
const NYC = 'America/New_York';
const ctx = { defaultTimeZone: HEL };

function event(overrides: Record<string, unknown> = {}): Event {
  return eventSchema.parse({
    id: 'ev1',
    etag: '"3181161784712000"',
    status: 'confirmed',
    created: '2026-04-28T07:12:03.000Z',
    updated: '2026-04-29T11:40:55.123Z',
    summary: 'Customer workshop',
    description: 'Agenda…',
    location: 'Helsinki office',
    start: { dateTime: '2026-05-04T09:00:00+03:00', timeZone: HEL },
    end: { dateTime: '2026-05-04T10:30:00+03:00', timeZone: HEL },
    iCalUID: 'ev1@google.com',
    visibility: 'default',
    eventType: 'default',
    extendedProperties: { private: { severaGuid: 'act-1' } },
    ...overrides,
  });
}

function record(e: Event, exceptions: readonly Event[] = [], zone = HEL): GoogleRecord {
  const r = eventToRecord(e, exceptions, { defaultTimeZone: zone });
  assert.ok(r);
  return r;
}

function timed(start: string, end: string, timeZone = HEL): Timing {
  return { kind: 'timed', start, end, timeZone };
}

/** What Google hands back after storing a written body (its own fields added). */
function stored(body: Event): Event {
  return eventSchema.parse({
    ...body,
    etag: '"2"',
    updated: '2026-05-01T00:00:00Z',
    iCalUID: `${body.id}@google.com`,
  });
}

describe('eventToRecord: every field', () => {
  it('maps a timed event', () => {
    assert.deepEqual(record(event()), {
      id: 'ev1',
      etag: '"3181161784712000"',
      updated: '2026-04-29T11:40:55Z',
      iCalUID: 'ev1@google.com',
      content: {
        title: 'Customer workshop',
        notes: 'Agenda…',
        location: 'Helsinki office',
        timing: timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
        recurrence: null,
        isPrivate: false,
      },
      severaGuid: 'act-1',
      eventType: 'default',
      organizerOfMeeting: false,
    });
  });

  it('a cancelled master is a deletion: null', () => {
    assert.equal(eventToRecord(eventSchema.parse({ id: 'ev1', status: 'cancelled' }), [], ctx), null);
  });

  const fallbacks: readonly [string, Record<string, unknown>, Partial<GoogleRecord>][] = [
    ['no severaGuid', { extendedProperties: undefined }, { severaGuid: null }],
    ['other private properties only', { extendedProperties: { private: { x: 'y' } } }, { severaGuid: null }],
    ['no eventType → default', { eventType: undefined }, { eventType: 'default' }],
    ['status event type kept', { eventType: 'outOfOffice' }, { eventType: 'outOfOffice' }],
    ['no iCalUID → Google’s <id>@google.com', { iCalUID: undefined }, { iCalUID: 'ev1@google.com' }],
    ['no updated → created', { updated: undefined }, { updated: '2026-04-28T07:12:03Z' }],
    [
      'no updated nor created → epoch',
      { updated: undefined, created: undefined },
      { updated: '1970-01-01T00:00:00Z' },
    ],
    ['no etag → empty', { etag: undefined }, { etag: '' }],
  ];
  for (const [label, patch, expected] of fallbacks) {
    it(label, () => {
      const r = record(event(patch));
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual(r[key as keyof GoogleRecord], value);
    });
  }

  it('text is normalised; missing text is empty', () => {
    const c = record(
      event({ summary: '  Team \t sync ', description: 'a  \r\n\r\nb\r\n', location: undefined }),
    ).content;
    assert.equal(c.title, 'Team sync');
    assert.equal(c.notes, 'a\n\nb');
    assert.equal(c.location, '');
  });
});

describe('eventToRecord: descriptions written as HTML (Google’s editor)', () => {
  const cases: readonly [string, string, string][] = [
    ['plain text is unchanged', 'Agenda:\n1. intro\n2. plan', 'Agenda:\n1. intro\n2. plan'],
    ['a < that is no tag is plain text', 'a < b and c > d', 'a < b and c > d'],
    ['angle-bracket placeholders are plain text', 'fill in <name>', 'fill in <name>'],
    ['entities without tags are plain text', 'AT&amp;T', 'AT&amp;T'],
    [
      'rich text becomes the text a person reads',
      '<b>Agenda</b><br>See <a href="https://x.example/doc">the doc</a><ul><li>one &amp; two</li><li>three</li></ul>',
      'Agenda\nSee the doc (https://x.example/doc)\n- one & two\n- three',
    ],
  ];
  for (const [label, description, notes] of cases) {
    it(label, () => {
      assert.equal(record(event({ description })).content.notes, notes);
    });
  }

  it('an exception instance’s HTML description reads as text too', () => {
    const r = record(event({ id: 'master', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3'] }), [
      eventSchema.parse({
        id: 'master_20260511T060000Z',
        recurringEventId: 'master',
        status: 'confirmed',
        originalStartTime: { dateTime: '2026-05-11T09:00:00+03:00', timeZone: HEL },
        description: '<i>moved</i><br>room 2',
        start: { dateTime: '2026-05-11T10:00:00+03:00', timeZone: HEL },
        end: { dateTime: '2026-05-11T11:00:00+03:00', timeZone: HEL },
      }),
    ]);
    assert.equal(r.content.recurrence?.overrides[0]?.notes, 'moved\nroom 2');
  });

  it('notes that would read as HTML are written as escaped HTML, so they read back unchanged', () => {
    for (const notes of ['use <br> for a line break', 'end with </b>\nand &amp; stays', 'plain <name>']) {
      const body = recordToEvent({ id: 'svabc', content: content({ notes }), severaGuid: 'g' });
      assert.equal(record(stored(body)).content.notes, notes);
    }
    const plain = recordToEvent({ id: 'svabc', content: content({ notes: 'a < b' }), severaGuid: 'g' });
    assert.equal(plain.description, 'a < b');
  });
});

describe('eventToRecord: meetings the user organises', () => {
  const me = { email: 'aino@demo.example', self: true };
  const cases: readonly [string, Record<string, unknown>, boolean][] = [
    ['no organizer, no attendees', { organizer: undefined, attendees: undefined }, false],
    ['organiser without guests', { organizer: me, attendees: undefined }, false],
    [
      'organiser alone in the attendee list',
      { organizer: me, attendees: [{ ...me, organizer: true }] },
      false,
    ],
    [
      'organiser with a guest',
      {
        organizer: me,
        attendees: [
          { ...me, organizer: true, responseStatus: 'accepted' },
          { email: 'guest@x.example', responseStatus: 'needsAction' },
        ],
      },
      true,
    ],
    [
      'organiser with a meeting room only (a resource)',
      {
        organizer: me,
        attendees: [me, { email: 'room-1@resource.calendar.google.com', resource: true }],
      },
      false,
    ],
    [
      'a guest of someone else’s meeting',
      {
        organizer: { email: 'ben@demo.example' },
        attendees: [{ email: 'ben@demo.example', organizer: true }, me],
      },
      false,
    ],
  ];
  for (const [label, fields, expected] of cases) {
    it(`${label} → ${expected}`, () => {
      assert.equal(record(event(fields)).organizerOfMeeting, expected);
    });
  }
});

describe('eventToRecord: privacy', () => {
  const cases: readonly [string | undefined, boolean][] = [
    ['default', false],
    ['public', false],
    ['private', true],
    ['confidential', true],
    [undefined, false],
  ];
  for (const [visibility, isPrivate] of cases) {
    it(`visibility ${String(visibility)} → isPrivate ${isPrivate}`, () => {
      assert.equal(record(event({ visibility })).content.isPrivate, isPrivate);
    });
  }
});

describe('eventToRecord: timing', () => {
  const cases: readonly [string, Record<string, unknown>, Timing][] = [
    ['zone from start.timeZone', {}, timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z')],
    [
      'no start.timeZone → the calendar zone',
      { start: { dateTime: '2026-05-04T06:00:00Z' }, end: { dateTime: '2026-05-04T07:30:00Z' } },
      timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
    ],
    [
      'event in another zone keeps it',
      {
        start: { dateTime: '2026-05-04T09:00:00-04:00', timeZone: NYC },
        end: { dateTime: '2026-05-04T10:00:00-04:00', timeZone: NYC },
      },
      timed('2026-05-04T13:00:00Z', '2026-05-04T14:00:00Z', NYC),
    ],
    [
      'offset-less dateTime read in timeZone',
      {
        start: { dateTime: '2026-05-04T09:00:00', timeZone: HEL },
        end: { dateTime: '2026-05-04T10:30:00', timeZone: HEL },
      },
      timed('2026-05-04T06:00:00Z', '2026-05-04T07:30:00Z'),
    ],
    [
      'endTimeUnspecified → end = start',
      { endTimeUnspecified: true },
      timed('2026-05-04T06:00:00Z', '2026-05-04T06:00:00Z'),
    ],
    [
      'across the Helsinki spring-forward',
      {
        start: { dateTime: '2026-03-29T01:30:00+02:00', timeZone: HEL },
        end: { dateTime: '2026-03-29T05:00:00+03:00', timeZone: HEL },
      },
      timed('2026-03-28T23:30:00Z', '2026-03-29T02:00:00Z'),
    ],
    [
      'across the New York fall-back',
      {
        start: { dateTime: '2026-11-01T01:30:00-04:00', timeZone: NYC },
        end: { dateTime: '2026-11-01T01:30:00-05:00', timeZone: NYC },
      },
      timed('2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', NYC),
    ],
    [
      'all-day single day',
      { start: { date: '2026-05-04' }, end: { date: '2026-05-05' } },
      allDay('2026-05-04', '2026-05-05'),
    ],
    [
      'all-day multi-day',
      { start: { date: '2026-05-04' }, end: { date: '2026-05-08' } },
      allDay('2026-05-04', '2026-05-08'),
    ],
    [
      'all-day across a month end',
      { start: { date: '2026-04-30' }, end: { date: '2026-05-02' } },
      allDay('2026-04-30', '2026-05-02'),
    ],
    [
      'all-day across a year end',
      { start: { date: '2026-12-31' }, end: { date: '2027-01-01' } },
      allDay('2026-12-31', '2027-01-01'),
    ],
    [
      'all-day spring-forward day',
      { start: { date: '2026-03-29' }, end: { date: '2026-03-30' } },
      allDay('2026-03-29', '2026-03-30'),
    ],
    [
      'all-day fall-back day',
      { start: { date: '2026-11-01' }, end: { date: '2026-11-02' } },
      allDay('2026-11-01', '2026-11-02'),
    ],
    [
      'all-day without an end → one day',
      { start: { date: '2026-05-04' }, end: undefined },
      allDay('2026-05-04', '2026-05-05'),
    ],
    [
      'all-day with end = start → one day',
      { start: { date: '2026-05-04' }, end: { date: '2026-05-04' } },
      allDay('2026-05-04', '2026-05-05'),
    ],
  ];
  for (const [label, patch, expected] of cases) {
    it(label, () => {
      assert.deepEqual(record(event(patch)).content.timing, expected);
    });
  }

  it('equivalent encodings (+03:00 vs Z) give the same hash', () => {
    const a = record(event());
    const b = record(
      event({ start: { dateTime: '2026-05-04T06:00:00Z' }, end: { dateTime: '2026-05-04T07:30:00.000Z' } }),
    );
    assert.equal(contentHash(a.content), contentHash(b.content));
  });
});

function allDay(startDate: string, endDate: string): Timing {
  return { kind: 'allDay', startDate, endDate };
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

describe('recordToEvent', () => {
  it('writes every synced field, no attendees, no eventType', () => {
    assert.deepEqual(recordToEvent({ id: 'svabc', content: content(), severaGuid: 'act-1' }), {
      id: 'svabc',
      status: 'confirmed',
      summary: 'Customer workshop',
      description: 'Agenda…',
      location: 'Helsinki office',
      start: { dateTime: '2026-05-04T09:00:00+03:00', timeZone: HEL },
      end: { dateTime: '2026-05-04T10:30:00+03:00', timeZone: HEL },
      visibility: 'default',
      extendedProperties: { private: { severaGuid: 'act-1' } },
    });
  });

  const timings: readonly [string, Timing, unknown, unknown][] = [
    ['all-day', allDay('2026-05-04', '2026-05-07'), { date: '2026-05-04' }, { date: '2026-05-07' }],
    [
      'fall-back: offsets of each instant',
      timed('2026-11-01T05:30:00Z', '2026-11-01T06:30:00Z', NYC),
      { dateTime: '2026-11-01T01:30:00-04:00', timeZone: NYC },
      { dateTime: '2026-11-01T01:30:00-05:00', timeZone: NYC },
    ],
    [
      'spring-forward',
      timed('2026-03-28T23:30:00Z', '2026-03-29T02:00:00Z'),
      { dateTime: '2026-03-29T01:30:00+02:00', timeZone: HEL },
      { dateTime: '2026-03-29T05:00:00+03:00', timeZone: HEL },
    ],
  ];
  for (const [label, timing, start, end] of timings) {
    it(`times: ${label}`, () => {
      const body = recordToEvent({ id: 'svabc', content: content({ timing }), severaGuid: 'g' });
      assert.deepEqual([body.start, body.end], [start, end]);
    });
  }

  it('private → visibility private', () => {
    assert.equal(
      recordToEvent({ id: 'svabc', content: content({ isPrivate: true }), severaGuid: 'g' }).visibility,
      'private',
    );
  });

  it('an unsupported pattern writes its lines back verbatim', () => {
    const lines = ['RRULE:FREQ=HOURLY;INTERVAL=6'];
    const body = recordToEvent({
      id: 'svabc',
      content: content({
        recurrence: { pattern: { kind: 'unsupported', lines }, exdates: [], overrides: [] },
      }),
      severaGuid: 'g',
    });
    assert.ok(body.recurrence?.includes('RRULE:FREQ=HOURLY;INTERVAL=6'), JSON.stringify(body.recurrence));
  });
});

describe('overrideToInstanceEvent', () => {
  it('timed occurrence', () => {
    assert.deepEqual(
      overrideToInstanceEvent(
        'svmaster',
        {
          originalStart: '2026-06-08T06:00:00Z',
          title: 'Moved',
          notes: '',
          location: 'Room 2',
          timing: timed('2026-06-08T08:00:00Z', '2026-06-08T09:00:00Z'),
        },
        HEL,
      ),
      {
        recurringEventId: 'svmaster',
        originalStartTime: { dateTime: '2026-06-08T09:00:00+03:00', timeZone: HEL },
        status: 'confirmed',
        summary: 'Moved',
        description: '',
        location: 'Room 2',
        start: { dateTime: '2026-06-08T11:00:00+03:00', timeZone: HEL },
        end: { dateTime: '2026-06-08T12:00:00+03:00', timeZone: HEL },
      },
    );
  });

  it('all-day occurrence', () => {
    const body = overrideToInstanceEvent(
      'svmaster',
      {
        originalStart: '2026-06-08',
        title: 'x',
        notes: '',
        location: '',
        timing: allDay('2026-06-09', '2026-06-10'),
      },
      HEL,
    );
    assert.deepEqual(body.originalStartTime, { date: '2026-06-08' });
    assert.deepEqual([body.start, body.end], [{ date: '2026-06-09' }, { date: '2026-06-10' }]);
  });
});

describe('round trip event → record → event body → record', () => {
  const events: readonly [string, Record<string, unknown>][] = [
    ['timed', {}],
    [
      'timed without zone',
      { start: { dateTime: '2026-05-04T06:00:00Z' }, end: { dateTime: '2026-05-04T07:30:00Z' } },
    ],
    ['endTimeUnspecified', { endTimeUnspecified: true }],
    ['all-day multi-day', { start: { date: '2026-12-30' }, end: { date: '2027-01-02' } }],
    ['all-day spring-forward', { start: { date: '2026-03-29' }, end: { date: '2026-03-30' } }],
    [
      'timed fall-back',
      {
        start: { dateTime: '2026-11-01T01:30:00-04:00', timeZone: NYC },
        end: { dateTime: '2026-11-01T01:30:00-05:00', timeZone: NYC },
      },
    ],
    ['private', { visibility: 'private' }],
    ['confidential (written back as private)', { visibility: 'confidential' }],
    ['public (written back as default)', { visibility: 'public' }],
    ['empty text', { summary: undefined, description: undefined, location: undefined }],
  ];
  for (const [label, patch] of events) {
    it(label, () => {
      const first = record(event(patch));
      const body = recordToEvent({ id: first.id, content: first.content, severaGuid: 'act-1' });
      const second = record(stored(body));
      assert.equal(contentHash(second.content), contentHash(first.content));
    });
  }
});

describe('S10 across sides: Google event → record → Severa create body → record', () => {
  const events: readonly [string, string, Record<string, unknown>][] = [
    ['timed', HEL, {}],
    ['all-day multi-day', HEL, { start: { date: '2026-12-30' }, end: { date: '2027-01-02' } }],
    [
      'all-day on the Helsinki spring-forward day',
      HEL,
      { start: { date: '2026-03-29' }, end: { date: '2026-03-30' } },
    ],
    [
      'all-day on the New York fall-back day',
      NYC,
      { start: { date: '2026-11-01' }, end: { date: '2026-11-02' } },
    ],
    [
      'timed across the New York fall-back',
      NYC,
      {
        start: { dateTime: '2026-11-01T01:30:00-04:00', timeZone: NYC },
        end: { dateTime: '2026-11-01T01:30:00-05:00', timeZone: NYC },
      },
    ],
    ['untitled', HEL, { summary: undefined }],
  ];
  for (const [label, zone, patch] of events) {
    it(label, () => {
      const google = record(event(patch), [], zone);
      const body = contentToActivityCreate({
        content: google.content,
        activityTypeGuid: 't',
        ownerGuid: 'o',
        timeZone: zone,
      });
      const activity = activityModelSchema.parse({
        ...body,
        guid: 'act-1',
        activityType: { guid: 't', category: 'CalendarEntry' },
        recurrenceType: 'None',
        lastUpdatedDateTime: '2026-05-01T00:00:00Z',
      });
      const severa = activityToRecord(activity, { timeZone: zone, participantGuids: [] });
      assert.equal(contentHash(severa.content), contentHash(google.content));
    });
  }
});

describe('eventToRecord: recurring series', () => {
  const master = (extra: Record<string, unknown> = {}): Event =>
    event({ id: 'master', recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231T215959Z'], ...extra });
  const instance = (extra: Record<string, unknown>): Event =>
    eventSchema.parse({ recurringEventId: 'master', status: 'confirmed', ...extra });

  it('rule, cancelled instances → exdates, modified instances → overrides', () => {
    const r = record(master(), [
      instance({
        id: 'master_20260601T060000Z',
        status: 'cancelled',
        originalStartTime: { dateTime: '2026-06-01T09:00:00+03:00', timeZone: HEL },
      }),
      instance({
        id: 'master_20260608T060000Z',
        originalStartTime: { dateTime: '2026-06-08T09:00:00+03:00', timeZone: HEL },
        summary: 'Moved',
        start: { dateTime: '2026-06-08T11:00:00+03:00', timeZone: HEL },
        end: { dateTime: '2026-06-08T12:00:00+03:00', timeZone: HEL },
      }),
      instance({
        id: 'other_20260615T060000Z',
        recurringEventId: 'other',
        originalStartTime: { dateTime: '2026-06-15T09:00:00+03:00' },
        start: { dateTime: '2026-06-15T09:00:00+03:00' },
        end: { dateTime: '2026-06-15T10:00:00+03:00' },
      }),
    ]);
    const rec = r.content.recurrence;
    assert.ok(rec);
    assert.equal(rec.pattern.kind, 'rule');
    assert.equal(rec.pattern.rule.freq, 'weekly');
    assert.deepEqual(rec.pattern.rule.byWeekday, ['MO']);
    assert.deepEqual(rec.exdates, ['2026-06-01T06:00:00Z']);
    assert.deepEqual(rec.overrides, [
      {
        originalStart: '2026-06-08T06:00:00Z',
        title: 'Moved',
        notes: '',
        location: '',
        timing: timed('2026-06-08T08:00:00Z', '2026-06-08T09:00:00Z'),
      },
    ]);
  });

  it('EXDATE lines and cancelled instances merge into one sorted list', () => {
    const r = record(
      master({ recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'EXDATE;TZID=Europe/Helsinki:20260511T090000'] }),
      [instance({ id: 'i1', status: 'cancelled', originalStartTime: { dateTime: '2026-05-04T06:00:00Z' } })],
    );
    assert.deepEqual(r.content.recurrence?.exdates, ['2026-05-04T06:00:00Z', '2026-05-11T06:00:00Z']);
  });

  it('all-day series: keys are dates', () => {
    const r = record(
      master({
        start: { date: '2026-05-04' },
        end: { date: '2026-05-05' },
        recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO'],
      }),
      [
        instance({ id: 'i1', status: 'cancelled', originalStartTime: { date: '2026-05-11' } }),
        instance({
          id: 'i2',
          originalStartTime: { date: '2026-05-18' },
          start: { date: '2026-05-19' },
          end: { date: '2026-05-20' },
        }),
      ],
    );
    assert.deepEqual(r.content.recurrence?.exdates, ['2026-05-11']);
    assert.deepEqual(
      r.content.recurrence.overrides.map((o) => [o.originalStart, o.timing]),
      [['2026-05-18', allDay('2026-05-19', '2026-05-20')]],
    );
  });

  it('exceptions of a non-recurring event are ignored', () => {
    assert.equal(
      record(event({ id: 'master' }), [
        instance({ id: 'x', status: 'cancelled', originalStartTime: { date: '2026-05-11' } }),
      ]).content.recurrence,
      null,
    );
  });

  it('round trip of a series with an exdate (master body) and an override (instance body)', () => {
    const first = record(master(), [
      instance({ id: 'c', status: 'cancelled', originalStartTime: { dateTime: '2026-06-01T06:00:00Z' } }),
      instance({
        id: 'm',
        originalStartTime: { dateTime: '2026-06-08T06:00:00Z' },
        summary: 'Moved',
        start: { dateTime: '2026-06-08T08:00:00Z', timeZone: HEL },
        end: { dateTime: '2026-06-08T09:00:00Z', timeZone: HEL },
      }),
    ]);
    const rec = first.content.recurrence;
    assert.ok(rec);
    const body = stored(recordToEvent({ id: 'master', content: first.content, severaGuid: 'g' }));
    const instances = rec.overrides.map((o, i) =>
      eventSchema.parse({ id: `master_${i}`, ...overrideToInstanceEvent('master', o, HEL) }),
    );
    const second = record(body, instances);
    assert.equal(contentHash(second.content), contentHash(first.content));
  });

  it('an unsupported rule survives the round trip verbatim', () => {
    const first = record(master({ recurrence: ['RRULE:FREQ=HOURLY;INTERVAL=6'] }));
    assert.equal(first.content.recurrence?.pattern.kind, 'unsupported');
    const second = record(stored(recordToEvent({ id: 'master', content: first.content, severaGuid: 'g' })));
    assert.equal(contentHash(second.content), contentHash(first.content));
  });
});

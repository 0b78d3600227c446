import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  activityModelSchema,
  activityParticipantModelSchema,
  activityTypeModelSchema,
  exceptionModelSchema,
  patchDocumentSchema,
  userOutputModelSchema,
} from '../../../../shared/adapters/severa/index.js';

/** The constructed example of severa-api.md §12. */
function example(): Record<string, unknown> {
  return {
    guid: '3f2a0000-0000-0000-0000-000000000001',
    name: 'Customer workshop',
    startDateTime: '2026-05-04T09:00:00+03:00',
    endDateTime: '2026-05-04T10:30:00+03:00',
    isAllDay: false,
    hasDuration: true,
    isClosed: false,
    isUnassigned: false,
    hasHours: false,
    notes: 'Agenda…',
    location: 'Helsinki office',
    activityType: { guid: 'a1', name: 'Meeting', category: 'CalendarEntry' },
    ownerUser: { guid: 'u1', code: 'TT', name: 'Tiia Tester', keywords: [] },
    customer: { guid: 'c1', name: 'Acme Oy', number: 1042 },
    phase: null,
    projectTaskStatus: null,
    recurrence: null,
    recurrenceRule: null,
    recurrenceType: 'None',
    recurrenceParentActivityGuid: null,
    createdDateTime: '2026-04-28T07:12:03+00:00',
    createdBy: { guid: 'u1', firstName: 'Tiia', lastName: 'Tester', name: 'Tiia Tester' },
    lastUpdatedDateTime: '2026-04-29T11:40:55+00:00',
    lastUpdatedBy: { guid: 'u1', name: 'Tiia Tester' },
  };
}

function issues(result: {
  success: boolean;
  error?: { issues: readonly { path: PropertyKey[]; message: string }[] };
}) {
  return (result.error?.issues ?? []).map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('activityModelSchema', () => {
  it('accepts the §12 example and keeps unknown extra fields', () => {
    const parsed = activityModelSchema.parse({ ...example(), futureField: { x: 1 } });
    assert.equal(parsed.name, 'Customer workshop');
    assert.deepEqual(parsed['futureField'], { x: 1 });
  });

  it('accepts a series master with recurrence', () => {
    const parsed = activityModelSchema.parse({
      ...example(),
      recurrenceType: 'Series',
      recurrence: {
        frequency: 'Weekly',
        pattern: { weekly: { interval: 1, monday: true } },
        range: { recursUntilDate: '2026-12-31' },
        exceptions: ['2026-06-01T09:00:00+03:00'],
      },
    });
    assert.equal(parsed.recurrence?.frequency, 'Weekly');
  });

  const accepted: readonly [string, string][] = [
    ['offset', '2026-05-04T09:00:00+03:00'],
    ['Z without seconds (legacy §12 spelling)', '2013-12-15T22:00Z'],
    ['.NET 7-digit fractions', '2026-05-04T09:00:00.1234567+03:00'],
    ['basic offset', '2026-05-04T09:00:00+0300'],
    ['no offset ([UNCONFIRMED] §14.7, read in the user zone)', '2026-05-04T09:00:00'],
  ];
  for (const [label, value] of accepted) {
    it(`accepts startDateTime: ${label}`, () => {
      assert.equal(activityModelSchema.safeParse({ ...example(), startDateTime: value }).success, true);
    });
  }

  const rejected: readonly [string, Record<string, unknown>, string, RegExp][] = [
    ['missing name', { name: undefined }, 'name', /ActivityModel\.name is required/],
    ['empty name', { name: '' }, 'name', /must not be empty/],
    ['non-ISO start', { startDateTime: '04.05.2026 09:00' }, 'startDateTime', /ISO 8601 date-time/],
    ['date-only start', { startDateTime: '2026-05-04' }, 'startDateTime', /ISO 8601 date-time/],
    ['impossible date', { startDateTime: '2026-02-30T09:00:00Z' }, 'startDateTime', /ISO 8601 date-time/],
    ['impossible hour', { startDateTime: '2026-05-04T25:00:00Z' }, 'startDateTime', /ISO 8601 date-time/],
    ['non-ISO end', { endDateTime: 'tomorrow' }, 'endDateTime', /ISO 8601 date-time/],
    ['missing start', { startDateTime: undefined }, 'startDateTime', /.+/],
    ['missing activityType', { activityType: undefined }, 'activityType', /.+/],
    ['activityType without guid', { activityType: { name: 'Meeting' } }, 'activityType.guid', /.+/],
    ['unknown category', { activityType: { guid: 'a', category: 'Holiday' } }, 'activityType.category', /.+/],
    ['missing ownerUser', { ownerUser: undefined }, 'ownerUser', /.+/],
    ['unknown recurrenceType', { recurrenceType: 'Weekly' }, 'recurrenceType', /.+/],
    ['hourly frequency', { recurrence: { frequency: 'Hourly' } }, 'recurrence.frequency', /.+/],
    [
      'non-ISO exception date',
      { recurrence: { frequency: 'Daily', exceptions: ['1.6.2026'] } },
      'recurrence.exceptions.0',
      /ISO 8601 date-time/,
    ],
    [
      'non-ISO recursUntilDate',
      { recurrence: { frequency: 'Daily', range: { recursUntilDate: '31.12.2026' } } },
      'recurrence.range.recursUntilDate',
      /ISO 8601 date/,
    ],
    [
      'lastUpdatedDateTime not a date',
      { lastUpdatedDateTime: 'yesterday' },
      'lastUpdatedDateTime',
      /ISO 8601/,
    ],
  ];
  for (const [label, patch, path, message] of rejected) {
    it(`rejects ${label} with a clear error at ${path}`, () => {
      const result = activityModelSchema.safeParse({ ...example(), ...patch });
      assert.equal(result.success, false);
      const found = issues(result).find((i) => i.path === path);
      assert.ok(found, `expected an issue at ${path}, got ${JSON.stringify(issues(result))}`);
      assert.match(found.message, message);
    });
  }

  it('accepts null where the contract says nullable', () => {
    const parsed = activityModelSchema.parse({
      ...example(),
      notes: null,
      location: null,
      endDateTime: null,
    });
    assert.equal(parsed.notes, null);
  });
});

describe('other Severa models', () => {
  it('ActivityTypeModel: category and name are required', () => {
    assert.equal(
      activityTypeModelSchema.safeParse({ guid: 't', name: 'Meeting', category: 'Personal' }).success,
      true,
    );
    assert.equal(activityTypeModelSchema.safeParse({ guid: 't', name: 'Meeting' }).success, false);
    assert.equal(activityTypeModelSchema.safeParse({ guid: 't', category: 'Task' }).success, false);
  });

  it('ActivityParticipantModel: participantGuid and activityGuid are required', () => {
    const ok = { activityGuid: 'a', participantGuid: 'u', type: 'User', status: 'Accepted' };
    assert.equal(activityParticipantModelSchema.safeParse(ok).success, true);
    assert.equal(
      activityParticipantModelSchema.safeParse({ ...ok, participantGuid: undefined }).success,
      false,
    );
    assert.equal(activityParticipantModelSchema.safeParse({ ...ok, type: 'Robot' }).success, false);
  });

  it('UserOutputModel: timezone and default activity type are read', () => {
    const user = userOutputModelSchema.parse({
      guid: 'u1',
      email: 'Tiia@Example.com',
      firstName: 'Tiia',
      lastName: 'Tester',
      isActive: true,
      timezone: { guid: 'tz', ianaName: 'Europe/Helsinki', name: 'FLE', systemName: 'FLE Standard Time' },
      defaultActivityType: { guid: 'a1', name: 'Meeting' },
      extra: true,
    });
    assert.equal(user.timezone?.ianaName, 'Europe/Helsinki');
    assert.equal(user.defaultActivityType?.guid, 'a1');
    assert.equal(userOutputModelSchema.safeParse({ guid: 'u1', lastName: 'T' }).success, false);
  });

  it('PatchOperation: replace in either casing, any JSON value; unknown ops rejected', () => {
    assert.equal(
      patchDocumentSchema.safeParse([
        { op: 'replace', path: '/isAllDay', value: true },
        { op: 'Replace', path: '/activityType', value: { guid: 'x' } },
      ]).success,
      true,
    );
    assert.equal(patchDocumentSchema.safeParse([{ op: 'test', path: '/name', value: 'x' }]).success, false);
    assert.equal(patchDocumentSchema.safeParse([{ path: '/name', value: 'x' }]).success, false);
  });

  it('ExceptionModel: the §4 error body parses, also with an error type the contract does not list', () => {
    const body = {
      error: {
        httpStatusCode: 401,
        type: 'AuthenticationRequired',
        details: [
          {
            message: 'Token expired',
            url: null,
            location: { identifier: 'x', name: 'y', type: 'RequestHeader' },
          },
        ],
        stack: null,
      },
    };
    assert.equal(exceptionModelSchema.parse(body).error?.httpStatusCode, 401);
    assert.equal(
      exceptionModelSchema.safeParse({ error: { ...body.error, type: 'BrandNewType' } }).success,
      true,
    );
    assert.equal(exceptionModelSchema.safeParse({ error: { httpStatusCode: 'x' } }).success, false);
  });
});

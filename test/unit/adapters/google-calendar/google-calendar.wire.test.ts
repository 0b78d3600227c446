import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eventBodySchema, eventSchema } from '../../../../shared/adapters/google-calendar/index.js';

function event(): Record<string, unknown> {
  return {
    kind: 'calendar#event',
    id: 'sv3f2a000000000000000000000000000001',
    etag: '"3181161784712000"',
    status: 'confirmed',
    created: '2026-04-28T07:12:03.000Z',
    updated: '2026-04-29T11:40:55.123Z',
    summary: 'Customer workshop',
    description: 'Agenda…',
    location: 'Helsinki office',
    start: { dateTime: '2026-05-04T09:00:00+03:00', timeZone: 'Europe/Helsinki' },
    end: { dateTime: '2026-05-04T10:30:00+03:00', timeZone: 'Europe/Helsinki' },
    iCalUID: 'sv3f2a000000000000000000000000000001@google.com',
    sequence: 0,
    visibility: 'default',
    eventType: 'default',
    transparency: 'opaque',
    organizer: { email: 'aino@example.com', self: true },
    attendees: [{ email: 'ben@example.com', responseStatus: 'needsAction' }],
    extendedProperties: { private: { severaGuid: '3f2a…' } },
    reminders: { useDefault: true },
    conferenceData: { conferenceId: 'abc-defg-hij' },
  };
}

function issuePaths(result: { error?: { issues: readonly { path: PropertyKey[] }[] } }): string[] {
  return (result.error?.issues ?? []).map((i) => i.path.join('.'));
}

describe('eventSchema', () => {
  it('accepts a full event and keeps fields the sync does not use', () => {
    const parsed = eventSchema.parse(event());
    assert.equal(parsed.summary, 'Customer workshop');
    assert.deepEqual(parsed['conferenceData'], { conferenceId: 'abc-defg-hij' });
  });

  const accepted: readonly [string, Record<string, unknown>][] = [
    ['all-day', { start: { date: '2026-05-04' }, end: { date: '2026-05-05' } }],
    [
      'offset-less dateTime with timeZone',
      { start: { dateTime: '2026-05-04T09:00:00', timeZone: 'Europe/Helsinki' } },
    ],
    ['a cancelled tombstone with only an id', { status: 'cancelled', start: undefined, end: undefined }],
    [
      'a cancelled occurrence',
      {
        status: 'cancelled',
        start: undefined,
        end: undefined,
        recurringEventId: 'master',
        originalStartTime: { dateTime: '2026-06-01T09:00:00+03:00' },
      },
    ],
  ];
  for (const [label, patch] of accepted) {
    it(`accepts ${label}`, () => {
      const result = eventSchema.safeParse({ ...event(), ...patch });
      assert.equal(result.success, true, JSON.stringify(result.error?.issues));
    });
  }

  const rejected: readonly [string, Record<string, unknown>, string][] = [
    ['missing id', { id: undefined }, 'id'],
    ['a live event without start', { start: undefined }, 'start'],
    ['a live event with an empty start', { start: { timeZone: 'Europe/Helsinki' } }, 'start'],
    ['non-ISO dateTime', { start: { dateTime: '2026-05-04 09:00' } }, 'start.dateTime'],
    ['non-ISO date', { start: { date: '04/05/2026' } }, 'start.date'],
    ['impossible date', { end: { date: '2026-02-30' } }, 'end.date'],
    ['updated without an offset', { updated: '2026-04-29T11:40:55' }, 'updated'],
    ['recurrence not a list', { recurrence: 'RRULE:FREQ=DAILY' }, 'recurrence'],
    [
      'non-string extended property',
      { extendedProperties: { private: { severaGuid: 42 } } },
      'extendedProperties.private.severaGuid',
    ],
  ];
  for (const [label, patch, path] of rejected) {
    it(`rejects ${label} (issue at ${path})`, () => {
      const result = eventSchema.safeParse({ ...event(), ...patch });
      assert.equal(result.success, false);
      assert.ok(issuePaths(result).includes(path), `issues at ${JSON.stringify(issuePaths(result))}`);
    });
  }

  it('a request body needs no id', () => {
    assert.equal(eventBodySchema.safeParse({ ...event(), id: undefined }).success, true);
  });
});

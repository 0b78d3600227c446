/**
 * The Google adapter's series arithmetic (google-calendar.series.ts), without a simulator: folding a master and its
 * exception instances, the EXDATE lines, and the exception-instance writes and bodies a series write sends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { eventSchema } from '../../../../shared/adapters/google-calendar/google-calendar.wire.js';
import {
  foldRecord,
  heldContent,
  instanceBody,
  instanceOps,
  lineExdatesOf,
  sameException,
  seriesEtag,
  type InstanceOp,
} from '../../../../shared/adapters/google-calendar/google-calendar.series.js';
import type { Event } from '../../../../shared/adapters/google-calendar/google-calendar.wire.js';
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

// ---- a stored series: master `m`, weekly on Monday 09:00 Helsinki (06:00Z), four times from 3 June 2030

const K1 = '2030-06-03T06:00:00Z';
const K3 = '2030-06-17T06:00:00Z';
const K4 = '2030-06-24T06:00:00Z';

const master: Event = eventSchema.parse({
  id: 'm',
  etag: '"1"',
  status: 'confirmed',
  updated: '2030-05-01T00:00:00.000Z',
  summary: 'Standup',
  description: 'Daily notes',
  location: 'Room 1',
  start: { dateTime: '2030-06-03T09:00:00+03:00', timeZone: HEL },
  end: { dateTime: '2030-06-03T09:30:00+03:00', timeZone: HEL },
  recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4'],
  iCalUID: 'm@google.com',
});

/** An exception instance of `m` at original start `key` (a UTC instant), moved to `start`..`end` (local 09:00 +03). */
function exception(key: string, patch: Record<string, unknown> = {}): Event {
  const basic = key.replace(/[-:]/g, '');
  return eventSchema.parse({
    id: `m_${basic}`,
    etag: `"e-${basic}"`,
    status: 'confirmed',
    recurringEventId: 'm',
    originalStartTime: { dateTime: key, timeZone: HEL },
    updated: '2030-05-02T00:00:00.000Z',
    summary: 'Standup (late)',
    description: 'Daily notes',
    location: 'Room 1',
    start: { dateTime: late.timing.kind === 'timed' ? late.timing.start : '', timeZone: HEL },
    end: { dateTime: late.timing.kind === 'timed' ? late.timing.end : '', timeZone: HEL },
    ...patch,
  });
}

/** The exception of `key` put back to the series' own content at its natural time. */
function natural(key: string): Event {
  const end = new Date(Date.parse(key) + 30 * 60_000).toISOString().replace('.000', '');
  return exception(key, {
    summary: 'Standup',
    start: { dateTime: key, timeZone: HEL },
    end: { dateTime: end, timeZone: HEL },
  });
}

function cancelledStub(key: string): Event {
  return eventSchema.parse({
    id: `m_${key.replace(/[-:]/g, '')}`,
    status: 'cancelled',
    recurringEventId: 'm',
    originalStartTime: { dateTime: key, timeZone: HEL },
  });
}

/** `series` as a write wants it, with these exdates and overrides. */
function wanted(exdates: readonly string[], overrides: readonly RecurrenceOverride[]): EntryContent {
  if (series.recurrence === null) throw new Error('fixture');
  return { ...series, recurrence: { ...series.recurrence, exdates, overrides } };
}

describe('sameException', () => {
  it('a live exception holding the override: the same', () => {
    assert.equal(sameException(exception(KEY), late, HEL), true);
  });
  it('another title: not the same', () => {
    assert.equal(sameException(exception(KEY), { ...late, title: 'Standup' }, HEL), false);
  });
  it('a cancelled stub holds nothing: never the same', () => {
    assert.equal(sameException(cancelledStub(KEY), late, HEL), false);
  });
});

describe('foldRecord', () => {
  it('a series: the series etag over master and exceptions, the latest updated, the overrides folded in', () => {
    const record = foldRecord(master, [exception(KEY)], HEL);
    assert.ok(record);
    assert.match(record.etag, /^"s-[0-9a-f]{32}"$/);
    assert.equal(record.etag, seriesEtag(master, [exception(KEY)]));
    assert.equal(record.updated, '2030-05-02T00:00:00Z');
    assert.deepEqual(record.content.recurrence?.overrides, [{ ...late, originalStart: KEY }]);
  });

  it('an exception put back to the series own content is not a modification', () => {
    const record = foldRecord(master, [natural(KEY)], HEL);
    assert.deepEqual(record?.content.recurrence?.overrides, []);
  });

  it('exceptions of another master are left out, etag included', () => {
    const other = exception(KEY, { id: 'x_20300610T060000Z', recurringEventId: 'x' });
    assert.equal(foldRecord(master, [other], HEL)?.etag, seriesEtag(master, []));
  });

  it('a cancelled master folds to nothing', () => {
    assert.equal(foldRecord({ ...master, status: 'cancelled' }, [], HEL), null);
  });
});

describe('lineExdatesOf', () => {
  const withLine: Event = {
    ...master,
    recurrence: [...(master.recurrence ?? []), 'EXDATE:20300617T060000Z'],
  };
  const cases: readonly {
    readonly name: string;
    readonly content: EntryContent;
    readonly master: Event | null;
    readonly exceptions: readonly Event[];
    readonly lines: readonly string[];
  }[] = [
    {
      name: 'a cancellation without an exception instance travels as an EXDATE line',
      content: wanted([K3], []),
      master,
      exceptions: [],
      lines: [K3],
    },
    {
      name: 'one with an exception instance (live or cancelled) is cancelled through it',
      content: wanted([KEY, K3], []),
      master,
      exceptions: [exception(KEY), cancelledStub(K3)],
      lines: [],
    },
    {
      name: 'one the stored master already has as a line stays a line',
      content: wanted([K3], []),
      master: withLine,
      exceptions: [cancelledStub(K3)],
      lines: [K3],
    },
    {
      name: 'a single event has none',
      content: { ...series, recurrence: null },
      master: null,
      exceptions: [],
      lines: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual([...lineExdatesOf(c.content, 'm', c.master, c.exceptions, HEL)], c.lines);
    });
  }
});

describe('instanceOps', () => {
  /** What matters of an op for these cases: which write, on which occurrence, under which etag, with which title. */
  function brief(ops: readonly InstanceOp[]): unknown[] {
    return ops.map((op) =>
      op.kind === 'delete'
        ? { kind: op.kind, key: op.key, ifMatch: op.ifMatch }
        : { kind: op.kind, key: op.key, ifMatch: op.ifMatch, summary: op.body.summary },
    );
  }
  const cases: readonly {
    readonly name: string;
    readonly content: EntryContent;
    readonly exceptions: readonly Event[];
    readonly ops: readonly unknown[];
  }[] = [
    {
      name: 'nothing differs: no write',
      content: wanted([], [late]),
      exceptions: [exception(KEY)],
      ops: [],
    },
    {
      name: 'a new modification: a patch of the instance, no If-Match',
      content: wanted([], [late]),
      exceptions: [],
      ops: [{ kind: 'patch', key: KEY, ifMatch: null, summary: 'Standup (late)' }],
    },
    {
      name: 'a modification edited again: a patch under the exception etag',
      content: wanted([], [{ ...late, title: 'Standup (later)' }]),
      exceptions: [exception(KEY)],
      ops: [{ kind: 'patch', key: KEY, ifMatch: '"e-20300610T060000Z"', summary: 'Standup (later)' }],
    },
    {
      name: 'a cancellation of a modified occurrence: a delete under its etag',
      content: wanted([KEY], []),
      exceptions: [exception(KEY)],
      ops: [{ kind: 'delete', key: KEY, ifMatch: '"e-20300610T060000Z"' }],
    },
    {
      name: 'a cancellation of a plain occurrence: no instance write (it is an EXDATE line)',
      content: wanted([K3], []),
      exceptions: [],
      ops: [],
    },
    {
      name: 'a modification of what is not an occurrence of the rule is not written',
      content: wanted([], [{ ...late, originalStart: '2030-06-11T06:00:00Z' }]),
      exceptions: [],
      ops: [],
    },
    {
      name: 'modified in Google but plain in the write: patched back to the series content',
      content: wanted([], []),
      exceptions: [exception(KEY)],
      ops: [{ kind: 'patch', key: KEY, ifMatch: '"e-20300610T060000Z"', summary: 'Standup' }],
    },
    {
      name: 'cancelled in Google but plain in the write: restored',
      content: wanted([], []),
      exceptions: [cancelledStub(K4)],
      ops: [{ kind: 'patch', key: K4, ifMatch: null, summary: 'Standup' }],
    },
    {
      name: 'an exception already back at the series content: no write',
      content: wanted([], []),
      exceptions: [natural(K1)],
      ops: [],
    },
    {
      name: 'a single event: no instance writes',
      content: { ...series, recurrence: null },
      exceptions: [exception(KEY)],
      ops: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(brief(instanceOps('m', c.content, c.exceptions, HEL, false)), c.ops);
    });
  }

  it('changedOnly: a patch leaves out what the occurrence already holds', () => {
    const [op] = instanceOps('m', wanted([], [late]), [], HEL, true);
    assert.ok(op?.kind === 'patch');
    assert.deepEqual(Object.keys(op.body).sort(), ['end', 'start', 'status', 'summary']);
  });
});

/** The Severa adapter's series arithmetic (severa.series.ts), without a simulator. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  EMPTY_EXCEPTIONS,
  exceptionOps,
  exceptionRows,
  hasExceptions,
  movesOccurrences,
  occurrenceKey,
  occurrenceSpanMs,
  planExceptionWrites,
  rowContent,
  type ExceptionPlan,
  type ExceptionRow,
  type SeriesExceptions,
} from '../../../../shared/adapters/severa/severa.series.js';
import { activityModelSchema, type ActivityModel } from '../../../../shared/adapters/severa/severa.wire.js';
import type { EntryContent, RecurrenceOverride, Timing } from '../../../../shared/domain/index.js';

const HEL = 'Europe/Helsinki';
const K1 = '2030-06-10T06:00:00Z';
const K2 = '2030-06-17T06:00:00Z';
const K3 = '2030-06-24T06:00:00Z';

function timed(start: string, end: string): Timing {
  return { kind: 'timed', start, end, timeZone: HEL };
}

/** Occurrence `key` moved one hour later, with `title`. */
function moved(key: string, title = 'Standup (moved)'): RecurrenceOverride {
  const startMs = Date.parse(key) + 3_600_000;
  const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  return {
    originalStart: key,
    title,
    notes: 'Daily notes',
    location: 'Room 1',
    timing: timed(iso(startMs), iso(startMs + 1_800_000)),
  };
}

/** The Exception row an override was folded from, read as a single entry. */
function rowOf(guid: string, o: RecurrenceOverride): ExceptionRow {
  const content: EntryContent = {
    title: o.title,
    notes: o.notes,
    location: o.location,
    timing: o.timing,
    recurrence: null,
    isPrivate: false,
  };
  return { guid, content };
}

function exceptions(exdates: readonly string[], overrides: readonly RecurrenceOverride[]): SeriesExceptions {
  return { exdates, overrides };
}

describe('planExceptionWrites', () => {
  const a = moved(K1);
  const b = moved(K2, 'Retro');
  const aRetitled = { ...a, title: 'Standup (renamed)' };
  const cases: readonly {
    readonly name: string;
    readonly base: SeriesExceptions;
    readonly target: SeriesExceptions;
    readonly rows: readonly ExceptionRow[];
    readonly plan: ExceptionPlan;
  }[] = [
    {
      name: 'the same cancellations and modifications: nothing to write',
      base: exceptions([K3], [a]),
      target: exceptions([K3], [a]),
      rows: [rowOf('row-a', a)],
      plan: { reset: false, writes: [] },
    },
    {
      name: 'a new cancellation of a plain occurrence: on its Occurrence row',
      base: EMPTY_EXCEPTIONS,
      target: exceptions([K2], []),
      rows: [],
      plan: { reset: false, writes: [{ kind: 'cancel-occurrence', key: K2 }] },
    },
    {
      name: 'cancelling a modified occurrence: its Exception row is deleted',
      base: exceptions([], [a]),
      target: exceptions([K1], [a]),
      rows: [rowOf('row-a', a)],
      plan: { reset: false, writes: [{ kind: 'delete-row', rowGuid: 'row-a' }] },
    },
    {
      name: 'cancelling a modified occurrence whose row is not found: on the occurrence',
      base: exceptions([], [a]),
      target: exceptions([K1], []),
      rows: [rowOf('row-b', b)],
      plan: { reset: false, writes: [{ kind: 'cancel-occurrence', key: K1 }] },
    },
    {
      name: 'a new modification: on its Occurrence row',
      base: EMPTY_EXCEPTIONS,
      target: exceptions([], [a]),
      rows: [],
      plan: { reset: false, writes: [{ kind: 'modify-occurrence', key: K1, override: a }] },
    },
    {
      name: 'a modification edited again: its Exception row is patched',
      base: exceptions([], [a]),
      target: exceptions([], [aRetitled]),
      rows: [rowOf('row-a', a)],
      plan: { reset: false, writes: [{ kind: 'patch-row', rowGuid: 'row-a', override: aRetitled }] },
    },
    {
      name: 'a modification of an occurrence that is also cancelled: only the cancellation',
      base: EMPTY_EXCEPTIONS,
      target: exceptions([K1], [a]),
      rows: [],
      plan: { reset: false, writes: [{ kind: 'cancel-occurrence', key: K1 }] },
    },
    {
      name: 'a cancellation restored: everything is reset and the rest written on occurrences again',
      base: exceptions([K3], [a]),
      target: exceptions([], [a]),
      rows: [rowOf('row-a', a)],
      plan: { reset: true, writes: [{ kind: 'modify-occurrence', key: K1, override: a }] },
    },
    {
      name: 'a modification put back to the rule: reset, then the remaining cancellation',
      base: exceptions([K3], [a]),
      target: exceptions([K3], []),
      rows: [rowOf('row-a', a)],
      plan: { reset: true, writes: [{ kind: 'cancel-occurrence', key: K3 }] },
    },
    {
      name: 'two modifications with the same content: each matched to its own row',
      base: exceptions([], [a, { ...a, originalStart: K2 }]),
      target: exceptions([], [aRetitled, { ...aRetitled, originalStart: K2 }]),
      rows: [rowOf('row-1', a), rowOf('row-2', a)],
      plan: {
        reset: false,
        writes: [
          { kind: 'patch-row', rowGuid: 'row-1', override: aRetitled },
          { kind: 'patch-row', rowGuid: 'row-2', override: { ...aRetitled, originalStart: K2 } },
        ],
      },
    },
    {
      name: 'a modification whose timing is spelled in another key order is the same modification',
      base: exceptions([], [a]),
      target: exceptions(
        [],
        [
          {
            ...a,
            timing: {
              timeZone: HEL,
              end: a.timing.kind === 'timed' ? a.timing.end : '',
              start: a.timing.kind === 'timed' ? a.timing.start : '',
              kind: 'timed',
            },
          },
        ],
      ),
      rows: [rowOf('row-a', a)],
      plan: { reset: false, writes: [] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planExceptionWrites(c.base, c.target, c.rows), c.plan);
    });
  }
});

describe('movesOccurrences', () => {
  const cases: readonly [readonly string[], boolean][] = [
    [[], false],
    [['/name', '/notes', '/location', '/endDateTime'], false],
    [['/recurrence'], true],
    [['/name', '/startDateTime'], true],
    [['/isAllDay'], true],
  ];
  for (const [paths, expected] of cases) {
    it(`${paths.join(', ') || '(no change)'} → ${expected}`, () => {
      assert.equal(movesOccurrences(paths.map((path) => ({ path }))), expected);
    });
  }
});

describe('hasExceptions', () => {
  it('is true for a cancellation or a modification, false for neither', () => {
    assert.equal(hasExceptions(EMPTY_EXCEPTIONS), false);
    assert.equal(hasExceptions(exceptions([K1], [])), true);
    assert.equal(hasExceptions(exceptions([], [moved(K1)])), true);
  });
});

describe('exceptionOps', () => {
  it('replaces the six fields of an exception row, top-level paths only', () => {
    assert.deepEqual(
      exceptionOps({
        name: 'Standup',
        notes: 'n',
        location: 'l',
        startDateTime: '2030-06-10T10:00:00+03:00',
        endDateTime: '2030-06-10T10:30:00+03:00',
        isAllDay: false,
      }),
      [
        { op: 'replace', path: '/name', value: 'Standup' },
        { op: 'replace', path: '/notes', value: 'n' },
        { op: 'replace', path: '/location', value: 'l' },
        { op: 'replace', path: '/startDateTime', value: '2030-06-10T10:00:00+03:00' },
        { op: 'replace', path: '/endDateTime', value: '2030-06-10T10:30:00+03:00' },
        { op: 'replace', path: '/isAllDay', value: false },
      ],
    );
  });
});

describe('occurrence keys', () => {
  it('occurrenceKey: the start instant of a timed occurrence, the start date of an all-day one', () => {
    assert.equal(occurrenceKey(rowOf('r', moved(K1)).content), '2030-06-10T07:00:00Z');
    const allDay: EntryContent = {
      ...rowOf('r', moved(K1)).content,
      timing: { kind: 'allDay', startDate: '2030-06-10', endDate: '2030-06-11' },
    };
    assert.equal(occurrenceKey(allDay), '2030-06-10');
  });

  it('occurrenceSpanMs: from the earliest to the latest; a date is its local midnight in the zone', () => {
    assert.deepEqual(occurrenceSpanMs([K2, K1], HEL), { fromMs: Date.parse(K1), toMs: Date.parse(K2) });
    // Helsinki is UTC+3 in June: local midnight of 10 June is 21:00 UTC on 9 June.
    assert.deepEqual(occurrenceSpanMs(['2030-06-10', '2030-06-12'], HEL), {
      fromMs: Date.parse('2030-06-09T21:00:00Z'),
      toMs: Date.parse('2030-06-11T21:00:00Z'),
    });
  });
});

describe('rowContent and exceptionRows', () => {
  function row(overrides: Record<string, unknown> = {}): ActivityModel {
    return activityModelSchema.parse({
      guid: 'row-1',
      name: 'Standup (moved)',
      startDateTime: '2030-06-10T10:00:00+03:00',
      endDateTime: '2030-06-10T10:30:00+03:00',
      isAllDay: false,
      notes: 'Daily notes',
      location: 'Room 1',
      activityType: { guid: 'type-meeting', name: 'Meeting', category: 'CalendarEntry' },
      ownerUser: { guid: 'owner' },
      recurrenceType: 'Exception',
      recurrenceParentActivityGuid: 'series-1',
      lastUpdatedDateTime: '2030-06-01T00:00:00Z',
      ...overrides,
    });
  }

  it('reads an exception row as a single entry in the owner zone', () => {
    const content = rowContent(row(), HEL, null);
    assert.ok(content);
    assert.deepEqual(content.timing, timed('2030-06-10T07:00:00Z', '2030-06-10T07:30:00Z'));
    assert.equal(content.title, 'Standup (moved)');
    assert.equal(content.recurrence, null);
  });

  it('a row it cannot read gives null (it is then never matched)', () => {
    assert.equal(rowContent(row(), 'Not/AZone', null), null);
  });

  it('exceptionRows leaves out rows without a guid and rows it cannot read', () => {
    const rows = exceptionRows([row(), row({ guid: null }), row({ guid: 'row-2' })], HEL, null);
    assert.deepEqual(
      rows.map((r) => r.guid),
      ['row-1', 'row-2'],
    );
    assert.deepEqual(exceptionRows([row()], 'Not/AZone', null), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import type { EntryContent, GoogleRecord } from '../../../../shared/domain/entry.js';
import { expandOccurrences } from '../../../../shared/sync/recurrence/expand.js';
import {
  expandSeriesToInstances,
  instanceId,
  parseInstanceId,
} from '../../../../shared/sync/recurrence/fallback.js';
import {
  allDay,
  expressibleRuleArb,
  override,
  series,
  startArb,
  timed,
  unsupported,
  window,
} from './fixtures.js';

const HELSINKI = 'Europe/Helsinki';
const MAY_4 = timed('2026-05-04T06:00:00Z', '2026-05-04T07:00:00Z', HELSINKI);

function record(content: EntryContent, etag = '"3181161784712000"'): GoogleRecord {
  return {
    id: 'mastr0123v',
    etag,
    updated: '2026-04-29T11:40:55Z',
    iCalUID: 'mastr0123v@google.com',
    content,
    severaGuid: '3f2a0000-0000-0000-0000-000000000000',
    eventType: 'default',
    organizerOfMeeting: false,
  };
}

describe('instance ids', () => {
  const cases: readonly { readonly originalStart: string; readonly id: string }[] = [
    { originalStart: '2026-05-04T06:00:00Z', id: 'abc123_20260504T060000Z' },
    { originalStart: '2026-05-04', id: 'abc123_20260504' },
  ];
  for (const c of cases) {
    it(`${c.originalStart} ⇄ ${c.id}`, () => {
      assert.equal(instanceId('abc123', c.originalStart), c.id);
      assert.deepEqual(parseInstanceId(c.id), { masterId: 'abc123', originalStart: c.originalStart });
    });
  }

  it('writes a non-canonical instant in UTC', () => {
    assert.equal(instanceId('abc123', '2026-05-04T09:00:00+03:00'), 'abc123_20260504T060000Z');
  });

  it('refuses what is not an original start', () => {
    assert.throws(() => instanceId('abc123', 'next Monday'), RangeError);
  });

  for (const id of [
    'abc123',
    'abc123_',
    '_20260504',
    'abc123_20260504T060000',
    'abc123_20261304',
    'abc123_20260504T250000Z',
    'abc_2026050',
  ]) {
    it(`${id} is not an instance id`, () => {
      assert.equal(parseInstanceId(id), null);
    });
  }
});

describe('expandSeriesToInstances', () => {
  const content = series(MAY_4, unsupported('RRULE:FREQ=WEEKLY;BYDAY=MO;BYSETPOS=1;COUNT=4'), {
    exdates: ['2026-05-11T06:00:00Z'],
    overrides: [
      override('2026-05-18T06:00:00Z', timed('2026-05-19T12:00:00Z', '2026-05-19T13:00:00Z', HELSINKI)),
    ],
  });
  const instances = expandSeriesToInstances(
    { ...record(content), content: { ...content, isPrivate: true } },
    window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
  );

  it('gives one single record per occurrence in the window, with Google instance ids', () => {
    assert.deepEqual(
      instances.map((i) => i.id),
      ['mastr0123v_20260504T060000Z', 'mastr0123v_20260518T060000Z', 'mastr0123v_20260525T060000Z'],
    );
  });

  it('copies the master’s content with the occurrence’s timing, or the override’s content', () => {
    assert.deepEqual(
      instances.map((i) => i.content),
      [
        { ...content, isPrivate: true, recurrence: null, timing: MAY_4 },
        {
          title: 'Moved',
          notes: 'Moved notes',
          location: 'Elsewhere',
          isPrivate: true,
          recurrence: null,
          timing: timed('2026-05-19T12:00:00Z', '2026-05-19T13:00:00Z', HELSINKI),
        },
        {
          ...content,
          isPrivate: true,
          recurrence: null,
          timing: timed('2026-05-25T06:00:00Z', '2026-05-25T07:00:00Z', HELSINKI),
        },
      ],
    );
  });

  it('takes updated, iCalUID and eventType from the master and has no severaGuid', () => {
    for (const i of instances) {
      assert.equal(i.updated, '2026-04-29T11:40:55Z');
      assert.equal(i.iCalUID, 'mastr0123v@google.com');
      assert.equal(i.eventType, 'default');
      assert.equal(i.severaGuid, null);
    }
  });

  it('derives etags deterministically, distinct per instance, changing with the master', () => {
    const w = window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z');
    const again = expandSeriesToInstances(
      { ...record(content), content: { ...content, isPrivate: true } },
      w,
    );
    assert.deepEqual(
      again.map((i) => i.etag),
      instances.map((i) => i.etag),
    );
    assert.equal(new Set(instances.map((i) => i.etag)).size, instances.length);
    const changed = expandSeriesToInstances(
      { ...record(content, '"3181161784712001"'), content: { ...content, isPrivate: true } },
      w,
    );
    for (const [i, c] of instances.map((x, n) => [x, changed[n]] as const)) assert.notEqual(i.etag, c?.etag);
  });

  it('uses date ids for all-day series', () => {
    const day = series(
      allDay('2026-05-04', '2026-05-05'),
      unsupported('RRULE:FREQ=DAILY;INTERVAL=2;BYDAY=MO,WE;COUNT=2'),
    );
    assert.deepEqual(
      expandSeriesToInstances(record(day), window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z')).map(
        (i) => [i.id, i.content.timing],
      ),
      [
        ['mastr0123v_20260504', allDay('2026-05-04', '2026-05-05')],
        ['mastr0123v_20260506', allDay('2026-05-06', '2026-05-07')],
      ],
    );
  });

  it('yields nothing for a single event', () => {
    assert.deepEqual(
      expandSeriesToInstances(
        record({ ...content, recurrence: null }),
        window('2026-05-01T00:00:00Z', '2026-06-01T00:00:00Z'),
      ),
      [],
    );
  });
});

describe('the fallback loses no occurrence inside the window (property)', () => {
  const patternArb = fc.oneof(
    expressibleRuleArb.map((rule) => ({ kind: 'rule' as const, rule })),
    fc
      .constantFrom(
        ['RRULE:FREQ=HOURLY;INTERVAL=7'],
        ['RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15,-1'],
        ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RDATE;TZID=Europe/Helsinki:20260507T090000,20300101T120000'],
        ['RRULE:FREQ=DAILY', 'EXRULE:FREQ=WEEKLY;BYDAY=SA,SU'],
        ['RRULE:FREQ=YEARLY;BYWEEKNO=1,20,52;BYDAY=MO,FR'],
        ['RRULE:FREQ=WEEKLY;BYDAY=MO', 'RRULE:FREQ=MONTHLY;BYDAY=1TU,3TH'],
      )
      .map((lines) => unsupported(...lines)),
  );
  it('every occurrence has exactly one instance record and every record is an occurrence', () => {
    fc.assert(
      fc.property(
        patternArb,
        startArb,
        fc.integer({ min: -400, max: 4000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.array(
          fc.record({ pick: fc.nat(), cancel: fc.boolean(), shiftHours: fc.integer({ min: -72, max: 72 }) }),
          {
            maxLength: 5,
          },
        ),
        (pattern, start, offsetDays, lengthDays, edits) => {
          const startMs =
            start.kind === 'timed' ? Date.parse(start.start) : Date.parse(`${start.startDate}T00:00:00Z`);
          const w = {
            fromMs: startMs + offsetDays * 86_400_000,
            toMs: startMs + (offsetDays + lengthDays) * 86_400_000,
          };
          // Exceptions on real occurrences near the window (some moved in or out of it).
          const plain = series(start, pattern);
          const nearby = expandOccurrences(plain, {
            fromMs: w.fromMs - 4 * 86_400_000,
            toMs: w.toMs + 4 * 86_400_000,
          });
          const exdates = new Set<string>();
          const overrides = new Map<string, ReturnType<typeof override>>();
          for (const e of edits) {
            const o = nearby[e.pick % Math.max(1, nearby.length)];
            if (o === undefined || exdates.has(o.originalStart) || overrides.has(o.originalStart)) continue;
            if (e.cancel) exdates.add(o.originalStart);
            else if (o.timing.kind === 'timed') {
              const shift = (iso: string) =>
                `${new Date(Date.parse(iso) + e.shiftHours * 3_600_000).toISOString().slice(0, 19)}Z`;
              overrides.set(
                o.originalStart,
                override(
                  o.originalStart,
                  timed(shift(o.timing.start), shift(o.timing.end), o.timing.timeZone),
                ),
              );
            } else overrides.set(o.originalStart, override(o.originalStart, o.timing, 'Renamed'));
          }
          const content = series(start, pattern, {
            exdates: [...exdates].sort(),
            overrides: [...overrides.values()],
          });
          const occurrences = expandOccurrences(content, w);
          const instances = expandSeriesToInstances(record(content), w);

          const ids = instances.map((i) => i.id);
          assert.equal(new Set(ids).size, ids.length, 'instance ids are unique');
          assert.deepEqual(
            ids,
            occurrences.map((o) => instanceId('mastr0123v', o.originalStart)),
          );
          for (const [n, i] of instances.entries()) {
            const o = occurrences[n];
            assert.deepEqual(parseInstanceId(i.id), {
              masterId: 'mastr0123v',
              originalStart: o?.originalStart,
            });
            assert.deepEqual(i.content.timing, o?.timing);
            assert.equal(i.content.recurrence, null);
            assert.equal(exdates.has(o?.originalStart ?? ''), false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * The behavioural contract of {@link CalendarPort} (shared/ports/calendar.port.ts), run against every
 * implementation: the in-memory calendar the sync engine's property tests use, and the production Google adapter on
 * the Google Calendar simulator. Both must answer the port's calls the same way, so what the property tests prove
 * about the engine holds with the real adapter too (STYLE.md "one contract suite per port").
 *
 * A fixture gives a fresh, empty calendar for one user, the port under test and a {@link HumanCalendar}: what a person
 * does in Google Calendar's UI, out of band of the port (the memory calendar's `human*` methods, the simulator's
 * `/_sim/act` surface).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  NotFoundError,
  PreconditionFailedError,
  SyncTokenExpiredError,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type Recurrence,
  type SyncUser,
} from '../../shared/domain/index.js';
import type { CalendarPort, CalendarWrite } from '../../shared/ports/index.js';
import { expandSeriesToInstances } from '../../shared/sync/recurrence/index.js';
import { allDay } from '../support/world.js';

/** Out-of-band changes, as a person makes them in Google Calendar. */
export interface HumanCalendar {
  /** A person's own event (never stamped with a Severa guid); returns its id. */
  create(content: EntryContent): Promise<string>;
  edit(
    id: string,
    changes: { readonly title?: string; readonly notes?: string; readonly location?: string },
  ): Promise<void>;
  /** A change to an unsynced field (a reminder, a colour): only the etag moves. */
  touch(id: string): Promise<void>;
  delete(id: string): Promise<void>;
  /** Google invalidates the calendar's sync tokens (410 on the next incremental listing). */
  invalidateSyncTokens(): Promise<void>;
}

export interface CalendarPortFixture {
  readonly calendar: CalendarPort;
  /** A user with an empty primary calendar. */
  readonly user: SyncUser;
  readonly human: HumanCalendar;
}

export type MakeCalendarPortFixture = () => Promise<CalendarPortFixture>;

const ZONE = 'Europe/Helsinki';
/** Every test's events lie after this; the full listings use it as `timeMin`. */
export const CONTRACT_TIME_MIN = '2030-01-01T00:00:00Z';
const ALL_TIME = { fromMs: 0, toMs: 8.64e15 };

export function timed(
  title: string,
  start: string,
  minutes: number,
  extra: Partial<EntryContent> = {},
): EntryContent {
  const end = new Date(Date.parse(start) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
  return {
    title,
    notes: '',
    location: '',
    timing: { kind: 'timed', start, end, timeZone: ZONE },
    recurrence: null,
    isPrivate: false,
    ...extra,
  };
}

/** Mondays 09:00–09:30 Helsinki time from 2030-06-03, `count` occurrences. */
function weeklySeries(title: string, count: number, extra: Partial<Recurrence> = {}): EntryContent {
  return {
    ...timed(title, '2030-06-03T06:00:00Z', 30),
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
          end: { kind: 'count', count },
        },
      },
      exdates: [],
      overrides: [],
      ...extra,
    },
  };
}

const mine = (content: EntryContent, severaGuid: string | null = null): CalendarWrite => ({
  content,
  severaGuid,
});

function upserts(changes: readonly GoogleChange[]): Map<string, GoogleRecord> {
  const out = new Map<string, GoogleRecord>();
  for (const c of changes) if (c.kind === 'upsert') out.set(c.record.id, c.record);
  return out;
}

/** Changes as sorted `kind:id` strings, for exact comparisons that do not depend on order. */
function summary(changes: readonly GoogleChange[]): string[] {
  return changes.map((c) => (c.kind === 'upsert' ? `upsert:${c.record.id}` : `deleted:${c.id}`)).sort();
}

export function describeCalendarPortContract(name: string, makeFixture: MakeCalendarPortFixture): void {
  describe(`CalendarPort contract: ${name}`, () => {
    it('lists everything once, then exactly the later changes (deletions as deleted), then nothing', async () => {
      const { calendar, user, human } = await makeFixture();
      const a = await human.create(timed('Dentist', '2030-03-04T08:00:00Z', 60, { notes: 'bring card' }));
      const b = await human.create(allDay('Holiday', '2030-03-10', '2030-03-12'));
      const c = await calendar.insert(
        user,
        'sv0000000000c1',
        mine(timed('Planning', '2030-03-05T10:00:00Z', 90), 'guid-c'),
      );
      assert.equal(c.created, true);

      const full = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      assert.deepEqual(summary(full.changes), [`upsert:${a}`, `upsert:${b}`, 'upsert:sv0000000000c1'].sort());
      const listed = upserts(full.changes);
      assert.equal(listed.get(a)?.content.notes, 'bring card');
      assert.deepEqual(listed.get(b)?.content.timing, {
        kind: 'allDay',
        startDate: '2030-03-10',
        endDate: '2030-03-12',
      });
      assert.deepEqual(
        listed.get('sv0000000000c1'),
        c.record,
        'a listing shows our write as the insert returned it',
      );
      assert.equal(listed.get(a)?.severaGuid, null);

      await human.edit(a, { title: 'Dentist (moved)' });
      await human.delete(b);
      const written = await calendar.update(
        user,
        'sv0000000000c1',
        c.record.etag,
        mine(timed('Planning v2', '2030-03-05T11:00:00Z', 60), 'guid-c'),
      );
      const d = await human.create(timed('Lunch', '2030-03-06T10:00:00Z', 60));

      const delta = await calendar.list(user, { syncToken: full.nextSyncToken });
      assert.deepEqual(
        summary(delta.changes),
        [`upsert:${a}`, `deleted:${b}`, 'upsert:sv0000000000c1', `upsert:${d}`].sort(),
      );
      const changed = upserts(delta.changes);
      assert.equal(changed.get(a)?.content.title, 'Dentist (moved)');
      assert.notEqual(changed.get(a)?.etag, listed.get(a)?.etag);
      // Echo suppression rests on this: the listing shows our own write with the etag the write returned.
      assert.deepEqual(changed.get('sv0000000000c1'), written);

      const quiet = await calendar.list(user, { syncToken: delta.nextSyncToken });
      assert.deepEqual(quiet.changes, []);
    });

    it('leaves events that ended before timeMin out of a full listing', async () => {
      const { calendar, user, human } = await makeFixture();
      await human.create(timed('Old', '2029-12-31T10:00:00Z', 60));
      const crossing = await human.create(timed('Party', '2029-12-31T23:30:00Z', 60));
      const full = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      assert.deepEqual(summary(full.changes), [`upsert:${crossing}`]);
    });

    it('returns every event of a calendar larger than one page, and every change after it', async () => {
      const { calendar, user, human } = await makeFixture();
      const ids: string[] = [];
      for (let i = 0; i < 7; i += 1)
        ids.push(await human.create(timed(`Event ${i}`, `2030-04-0${i + 1}T08:00:00Z`, 30)));
      const full = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      assert.deepEqual(summary(full.changes), ids.map((id) => `upsert:${id}`).sort());
      for (const id of ids.slice(0, 5)) await human.edit(id, { location: 'Room 1' });
      const delta = await calendar.list(user, { syncToken: full.nextSyncToken });
      assert.deepEqual(
        summary(delta.changes),
        ids
          .slice(0, 5)
          .map((id) => `upsert:${id}`)
          .sort(),
      );
      for (const record of upserts(delta.changes).values()) assert.equal(record.content.location, 'Room 1');
    });

    it('answers an invalidated sync token with SyncTokenExpiredError; a full listing recovers', async () => {
      const { calendar, user, human } = await makeFixture();
      const a = await human.create(timed('A', '2030-03-04T08:00:00Z', 60));
      const full = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      await human.edit(a, { title: 'A2' });
      await human.invalidateSyncTokens();
      await assert.rejects(calendar.list(user, { syncToken: full.nextSyncToken }), SyncTokenExpiredError);
      const again = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      assert.equal(upserts(again.changes).get(a)?.content.title, 'A2');
      assert.deepEqual((await calendar.list(user, { syncToken: again.nextSyncToken })).changes, []);
    });

    it('gets the live record by id; null for an unknown id and for a deleted event', async () => {
      const { calendar, user, human } = await makeFixture();
      const a = await human.create(
        timed('A', '2030-03-04T08:00:00Z', 60, { isPrivate: true, location: 'Home' }),
      );
      const listed = upserts((await calendar.list(user, { timeMin: CONTRACT_TIME_MIN })).changes).get(a);
      assert.ok(listed);
      assert.deepEqual(await calendar.get(user, a), listed);
      assert.equal(listed.content.isPrivate, true);
      assert.equal(await calendar.get(user, 'nosuchevent00001'), null);
      await human.delete(a);
      assert.equal(await calendar.get(user, a), null);
      const ours = await calendar.insert(
        user,
        'sv0000000000d1',
        mine(timed('B', '2030-03-04T09:00:00Z', 30), 'guid-d'),
      );
      await calendar.delete(user, 'sv0000000000d1', ours.record.etag);
      assert.equal(await calendar.get(user, 'sv0000000000d1'), null);
    });

    it('makes inserts with a deterministic id idempotent and brings a deleted one back', async () => {
      const { calendar, user } = await makeFixture();
      const id = 'sv0000000000e1';
      const first = await calendar.insert(
        user,
        id,
        mine(timed('First', '2030-03-04T08:00:00Z', 60), 'guid-e'),
      );
      assert.equal(first.created, true);
      assert.equal(first.record.id, id);
      assert.deepEqual(first.record.content, timed('First', '2030-03-04T08:00:00Z', 60));
      assert.equal(first.record.severaGuid, 'guid-e');
      // A retried insert (409) answers with the event that is there, unchanged.
      const again = await calendar.insert(
        user,
        id,
        mine(timed('Second', '2030-03-04T08:00:00Z', 60), 'guid-e'),
      );
      assert.equal(again.created, false);
      assert.deepEqual(again.record, first.record);
      assert.deepEqual(summary((await calendar.list(user, { timeMin: CONTRACT_TIME_MIN })).changes), [
        `upsert:${id}`,
      ]);

      await calendar.delete(user, id, first.record.etag);
      const back = await calendar.insert(
        user,
        id,
        mine(timed('Third', '2030-03-05T08:00:00Z', 30), 'guid-e'),
      );
      assert.equal(back.created, false);
      assert.deepEqual(back.record.content, timed('Third', '2030-03-05T08:00:00Z', 30));
      assert.equal(back.record.severaGuid, 'guid-e');
      assert.deepEqual(await calendar.get(user, id), back.record);
      assert.deepEqual(summary((await calendar.list(user, { timeMin: CONTRACT_TIME_MIN })).changes), [
        `upsert:${id}`,
      ]);

      await assert.rejects(
        calendar.insert(user, 'Not_base32hex!', mine(timed('X', '2030-03-04T08:00:00Z', 60))),
      );
    });

    it('updates with If-Match: a stale etag is refused, the current one replaces the synced fields', async () => {
      const { calendar, user, human } = await makeFixture();
      const { record } = await calendar.insert(
        user,
        'sv0000000000f1',
        mine(timed('Review', '2030-03-04T08:00:00Z', 60, { notes: 'agenda', location: 'Room 4' }), 'guid-f'),
      );
      await human.touch('sv0000000000f1');
      const write = mine(timed('Review (moved)', '2030-03-04T12:00:00Z', 45), 'guid-f');
      await assert.rejects(
        calendar.update(user, 'sv0000000000f1', record.etag, write),
        PreconditionFailedError,
      );
      const current = await calendar.get(user, 'sv0000000000f1');
      assert.ok(current);
      assert.notEqual(current.etag, record.etag);
      assert.deepEqual(current.content, record.content, 'a touch changes no synced field');

      const written = await calendar.update(user, 'sv0000000000f1', current.etag, write);
      // Notes and location became empty: they are cleared, not left as they were.
      assert.deepEqual(written.content, write.content);
      assert.notEqual(written.etag, current.etag);
      assert.deepEqual(await calendar.get(user, 'sv0000000000f1'), written);

      await assert.rejects(calendar.update(user, 'nosuchevent00001', written.etag, write), NotFoundError);
      const other = await human.create(timed('Gone', '2030-03-04T08:00:00Z', 60));
      const gone = await calendar.get(user, other);
      assert.ok(gone);
      await human.delete(other);
      await assert.rejects(calendar.update(user, other, gone.etag, write), NotFoundError);
    });

    it('deletes with If-Match; an event already gone counts as deleted', async () => {
      const { calendar, user, human } = await makeFixture();
      const id = await human.create(timed('Standup', '2030-03-04T08:00:00Z', 15));
      const before = await calendar.get(user, id);
      assert.ok(before);
      await human.edit(id, { title: 'Standup!' });
      await assert.rejects(calendar.delete(user, id, before.etag), PreconditionFailedError);
      assert.equal(
        (await calendar.get(user, id))?.content.title,
        'Standup!',
        'a refused delete changes nothing',
      );

      const { nextSyncToken } = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      const current = await calendar.get(user, id);
      assert.ok(current);
      await calendar.delete(user, id, current.etag);
      assert.equal(await calendar.get(user, id), null);
      await calendar.delete(user, id, current.etag); // 410: already deleted
      await calendar.delete(user, 'nosuchevent00001', current.etag); // 404
      assert.deepEqual((await calendar.list(user, { syncToken: nextSyncToken })).changes, [
        { kind: 'deleted', id },
      ]);
    });

    it('round-trips a series with a modified and a cancelled occurrence, and edits occurrences by instance id', async () => {
      const { calendar, user } = await makeFixture();
      const id = 'sv00000000series1';
      const content = weeklySeries('Weekly sync', 6, {
        exdates: ['2030-06-17T06:00:00Z'],
        overrides: [
          {
            originalStart: '2030-06-10T06:00:00Z',
            title: 'Weekly sync (moved)',
            notes: 'moved to Tuesday',
            location: 'Room 2',
            timing: {
              kind: 'timed',
              start: '2030-06-11T07:00:00Z',
              end: '2030-06-11T07:30:00Z',
              timeZone: ZONE,
            },
          },
        ],
      });
      const inserted = await calendar.insert(user, id, mine(content, 'guid-s'));
      assert.equal(inserted.created, true);
      assert.deepEqual(inserted.record.content, content);
      assert.deepEqual(await calendar.get(user, id), inserted.record);
      const full = await calendar.list(user, { timeMin: CONTRACT_TIME_MIN });
      assert.deepEqual(summary(full.changes), [`upsert:${id}`], 'one series record, not its occurrences');
      assert.deepEqual(upserts(full.changes).get(id), inserted.record);

      // Occurrences by instance id: five of six (one cancelled), the moved one where it was moved to.
      const instances = expandSeriesToInstances(inserted.record, ALL_TIME);
      assert.equal(instances.length, 5);
      const third = instances.find((r) => r.id === `${id}_20300624T060000Z`);
      assert.ok(third);
      assert.deepEqual(await calendar.get(user, third.id), third);
      assert.equal(await calendar.get(user, `${id}_20300617T060000Z`), null, 'a cancelled occurrence');

      const oneOff = timed('Weekly sync (one-off)', '2030-06-24T08:00:00Z', 60, { location: 'Cafe' });
      const writtenInstance = await calendar.update(user, third.id, third.etag, mine(oneOff));
      assert.equal(writtenInstance.id, third.id);
      assert.equal(writtenInstance.content.title, 'Weekly sync (one-off)');
      assert.deepEqual(writtenInstance.content.timing, oneOff.timing);
      assert.deepEqual(await calendar.get(user, third.id), writtenInstance);
      await assert.rejects(
        calendar.update(user, third.id, third.etag, mine(oneOff)),
        PreconditionFailedError,
      );

      const series = await calendar.get(user, id);
      assert.ok(series?.content.recurrence);
      assert.notEqual(series.etag, inserted.record.etag, 'an occurrence edit changes the series');
      assert.deepEqual(
        series.content.recurrence.overrides.map((o) => [o.originalStart, o.title]),
        [
          ['2030-06-10T06:00:00Z', 'Weekly sync (moved)'],
          ['2030-06-24T06:00:00Z', 'Weekly sync (one-off)'],
        ],
      );
      const delta = await calendar.list(user, { syncToken: full.nextSyncToken });
      assert.deepEqual(summary(delta.changes), [`upsert:${id}`], 'the series changed');
      assert.deepEqual(upserts(delta.changes).get(id), series);

      // Cancelling one occurrence by its instance id.
      const fourth = expandSeriesToInstances(series, ALL_TIME).find((r) => r.id === `${id}_20300701T060000Z`);
      assert.ok(fourth);
      await assert.rejects(calendar.delete(user, fourth.id, third.etag), PreconditionFailedError);
      await calendar.delete(user, fourth.id, fourth.etag);
      assert.equal(await calendar.get(user, fourth.id), null);
      const afterCancel = await calendar.get(user, id);
      assert.deepEqual(afterCancel?.content.recurrence?.exdates, [
        '2030-06-17T06:00:00Z',
        '2030-07-01T06:00:00Z',
      ]);

      // The whole series: a new title, one modification dropped (that occurrence is plain again), one cancellation
      // lifted; a stale series etag is refused.
      assert.ok(afterCancel.content.recurrence);
      const next: EntryContent = {
        ...afterCancel.content,
        title: 'Weekly sync (renamed)',
        recurrence: {
          ...afterCancel.content.recurrence,
          exdates: ['2030-07-01T06:00:00Z'],
          overrides: afterCancel.content.recurrence.overrides.filter(
            (o) => o.originalStart !== '2030-06-10T06:00:00Z',
          ),
        },
      };
      await assert.rejects(
        calendar.update(user, id, series.etag, mine(next, 'guid-s')),
        PreconditionFailedError,
      );
      const renamed = await calendar.update(user, id, afterCancel.etag, mine(next, 'guid-s'));
      assert.deepEqual(renamed.content, next);
      assert.equal(renamed.severaGuid, 'guid-s');
      assert.deepEqual(await calendar.get(user, id), renamed);
      assert.equal(expandSeriesToInstances(renamed, ALL_TIME).length, 5);

      // Deleting the series with a stale etag is refused; with the current one it goes.
      await assert.rejects(calendar.delete(user, id, afterCancel.etag), PreconditionFailedError);
      await calendar.delete(user, id, renamed.etag);
      assert.equal(await calendar.get(user, id), null);
      assert.equal(await calendar.get(user, third.id), null);
    });

    it('finds the live event with an iCalUID', async () => {
      const { calendar, user, human } = await makeFixture();
      const id = await human.create(timed('Kick-off', '2030-03-04T08:00:00Z', 60));
      const record = await calendar.get(user, id);
      assert.ok(record);
      assert.deepEqual(await calendar.findByICalUID(user, record.iCalUID), record);
      assert.equal(await calendar.findByICalUID(user, 'nobody-knows-this@example.com'), null);
      const series = await calendar.insert(user, 'sv0000000000g1', mine(weeklySeries('Weekly', 3), 'guid-g'));
      assert.deepEqual(await calendar.findByICalUID(user, series.record.iCalUID), series.record);
      await human.delete(id);
      assert.equal(await calendar.findByICalUID(user, record.iCalUID), null);
    });

    it('stamps severaGuid only when the write carries one; null leaves the property as it is', async () => {
      const { calendar, user, human } = await makeFixture();
      const ours = await calendar.insert(
        user,
        'sv0000000000h1',
        mine(timed('Ours', '2030-03-04T08:00:00Z', 60), 'guid-h'),
      );
      assert.equal(ours.record.severaGuid, 'guid-h');
      const kept = await calendar.update(
        user,
        'sv0000000000h1',
        ours.record.etag,
        mine(timed('Ours 2', '2030-03-04T08:00:00Z', 60)),
      );
      assert.equal(kept.severaGuid, 'guid-h');
      assert.equal((await calendar.get(user, 'sv0000000000h1'))?.severaGuid, 'guid-h');

      const theirs = await human.create(timed('Theirs', '2030-03-05T08:00:00Z', 60));
      const before = await calendar.get(user, theirs);
      assert.equal(before?.severaGuid, null);
      assert.ok(before);
      const untouched = await calendar.update(
        user,
        theirs,
        before.etag,
        mine(timed('Theirs 2', '2030-03-05T08:00:00Z', 60)),
      );
      assert.equal(untouched.severaGuid, null, 'a person’s own event is never stamped');
      const stamped = await calendar.update(
        user,
        theirs,
        untouched.etag,
        mine(timed('Theirs 3', '2030-03-05T08:00:00Z', 60), 'guid-t'),
      );
      assert.equal(stamped.severaGuid, 'guid-t');
      assert.equal(
        upserts((await calendar.list(user, { timeMin: CONTRACT_TIME_MIN })).changes).get(theirs)?.severaGuid,
        'guid-t',
      );
    });
  });
}

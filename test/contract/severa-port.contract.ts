/**
 * The behavioural contract of {@link SeveraPort} (STYLE.md practice 5: one contract suite per port, run against the
 * in-memory adapter and the simulator-backed one). Everything here is what the sync engine relies on; the in-memory
 * `MemorySevera` is the reference, and every production adapter must pass the same tests.
 *
 * Not a test file itself: `describeSeveraPortContract(name, makeFixture)` is called from one file per implementation.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { DateTime } from 'luxon';

import {
  NotFoundError,
  PreconditionFailedError,
  canonicalInstant,
  deleteExpectationOf,
  sideVersionOf,
  type EntryContent,
  type RecurrenceOverride,
  type RecurrenceRule,
  type SeveraRecord,
} from '../../shared/domain/index.js';
import type { SeveraPort } from '../../shared/ports/index.js';

export interface ContractUser {
  readonly guid: string;
  /** The user's Severa time zone: content written for this user's activities is expressed in it. */
  readonly timeZone: string;
}

/** Changes made "by a person in Severa's UI", out of band of the port. */
export interface HumanSevera {
  create(input: {
    readonly ownerGuid: string;
    readonly content: EntryContent;
    readonly activityTypeGuid: string;
    readonly participantGuids?: readonly string[];
  }): Promise<string>;
  rename(guid: string, title: string): Promise<void>;
  delete(guid: string): Promise<void>;
  /** Cancels the occurrence of a series whose original start is `originalStart` (canonical UTC instant). */
  cancelOccurrence(seriesGuid: string, originalStart: string): Promise<void>;
}

export interface SeveraPortFixture {
  readonly port: SeveraPort;
  /** Three distinct users that exist in this Severa, with their time zones. */
  readonly users: {
    readonly owner: ContractUser;
    readonly other: ContractUser;
    readonly third: ContractUser;
  };
  /** Activity types: `meeting` (category CalendarEntry) and `personal` (category Personal). */
  readonly types: { readonly meeting: string; readonly personal: string };
  readonly human: HumanSevera;
  /** The service's "now". */
  now(): Date;
  /** Moves the service's clock on. */
  advance(ms: number): void;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

function instant(ms: number): string {
  return canonicalInstant(new Date(ms).toISOString());
}

function timedContent(
  title: string,
  startMs: number,
  durationMs: number,
  zone: string,
  extra: Partial<EntryContent> = {},
): EntryContent {
  return {
    title,
    notes: '',
    location: '',
    timing: { kind: 'timed', start: instant(startMs), end: instant(startMs + durationMs), timeZone: zone },
    recurrence: null,
    isPrivate: false,
    ...extra,
  };
}

/** 09:00 local on the first Monday at least two days after `now`, in `zone`. */
function nextMonday9(now: Date, zone: string): DateTime {
  let day = DateTime.fromJSDate(now, { zone }).plus({ days: 2 }).startOf('day');
  while (day.weekday !== 1) day = day.plus({ days: 1 });
  return day.set({ hour: 9 });
}

const WEEKLY_MONDAY_X6: RecurrenceRule = {
  freq: 'weekly',
  interval: 1,
  byWeekday: ['MO'],
  byMonthDay: null,
  bySetPos: null,
  byMonth: null,
  end: { kind: 'count', count: 6 },
};

interface SeriesPlan {
  readonly content: EntryContent;
  /** Original starts (canonical) of the 6 occurrences. */
  readonly starts: readonly string[];
  readonly zone: string;
}

/** A weekly series of six Monday 09:00 meetings; occurrence 3 cancelled, occurrence 4 moved an hour later. */
function seriesPlan(now: Date, zone: string): SeriesPlan {
  const first = nextMonday9(now, zone);
  const starts = Array.from({ length: 6 }, (_, i) => instant(first.plus({ weeks: i }).toMillis()));
  const at = (i: number) => Date.parse(starts[i] ?? '');
  const moved: RecurrenceOverride = {
    originalStart: starts[3] ?? '',
    title: 'Weekly (moved)',
    notes: 'moved by an hour',
    location: 'Room 2',
    timing: { kind: 'timed', start: instant(at(3) + HOUR), end: instant(at(3) + 2 * HOUR), timeZone: zone },
  };
  return {
    zone,
    starts,
    content: {
      ...timedContent('Weekly', at(0), HOUR / 2, zone, { notes: 'Agenda', location: 'Room 1' }),
      recurrence: {
        pattern: { kind: 'rule', rule: WEEKLY_MONDAY_X6 },
        exdates: [starts[2] ?? ''],
        overrides: [moved],
      },
    },
  };
}

function guids(records: readonly SeveraRecord[]): string[] {
  return records.map((r) => r.guid);
}

export function describeSeveraPortContract(
  name: string,
  makeFixture: () => Promise<SeveraPortFixture>,
): void {
  describe(`SeveraPort contract: ${name}`, () => {
    let f: SeveraPortFixture;
    beforeEach(async () => {
      f = await makeFixture();
    });
    afterEach(async () => {
      await f.close();
    });

    /** A timed entry `days` days from now at `hour`:00 UTC, one hour long, in the owner's zone. */
    const entry = (title: string, days: number, hour = 9, zone = f.users.owner.timeZone): EntryContent => {
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      return timedContent(title, day + days * DAY + hour * HOUR, HOUR, zone, {
        notes: `Notes of ${title}\nsecond line`,
        location: 'Helsinki office',
      });
    };

    const create = (content: EntryContent, owner = f.users.owner.guid, type = f.types.meeting) =>
      f.port.create({ content, activityTypeGuid: type, ownerGuid: owner });

    it('create → get: the same content, owner, type and version; createdBy is the API user', async () => {
      const content = entry('Planning', 3);
      const created = await create(content);
      assert.deepEqual(created.content, content);
      assert.equal(created.ownerGuid, f.users.owner.guid);
      assert.equal(created.activityType.guid, f.types.meeting);
      assert.equal(created.activityType.category, 'CalendarEntry');
      assert.deepEqual(created.participantGuids, []);
      assert.equal(created.isProjectTask, false);
      assert.ok(!Number.isNaN(Date.parse(created.version)), created.version);
      assert.ok(created.createdAt !== null);
      assert.ok(Math.abs(Date.parse(created.createdAt) - f.now().getTime()) < 60_000);
      assert.equal(created.createdBy, await f.port.apiUserGuid());
      assert.notEqual(created.createdBy, null);
      assert.deepEqual(await f.port.get(created.guid), created);
    });

    it('privacy is the activity type: a Personal type reads back as private', async () => {
      const created = await create({ ...entry('Dentist', 2), isPrivate: true }, undefined, f.types.personal);
      assert.equal(created.content.isPrivate, true);
      assert.equal(created.activityType.category, 'Personal');
      assert.equal((await f.port.get(created.guid))?.content.isPrivate, true);
    });

    it('an all-day entry over two days keeps its dates (exclusive end)', async () => {
      const start = DateTime.fromJSDate(f.now(), { zone: f.users.owner.timeZone }).plus({ days: 5 });
      const content: EntryContent = {
        ...entry('Offsite', 5),
        timing: {
          kind: 'allDay',
          startDate: start.toFormat('yyyy-MM-dd'),
          endDate: start.plus({ days: 2 }).toFormat('yyyy-MM-dd'),
        },
      };
      const created = await create(content);
      assert.deepEqual(created.content, content);
      assert.deepEqual(await f.port.get(created.guid), created);
    });

    it('get of an unknown guid is null', async () => {
      assert.equal(await f.port.get('00000000-0000-4000-8000-00000000dead'), null);
    });

    it('listChangedSince is ≥ the version: includes the change, excludes older ones and deleted ones', async () => {
      const a = await create(entry('First', 1));
      f.advance(5_000);
      const b = await create(entry('Second', 2));
      assert.ok(Date.parse(b.version) > Date.parse(a.version));

      const sinceB = await f.port.listChangedSince(b.version);
      assert.ok(guids(sinceB).includes(b.guid), 'the change at exactly `since` is included (≥)');
      assert.ok(!guids(sinceB).includes(a.guid), 'older changes are not');
      assert.deepEqual(
        guids(await f.port.listChangedSince(a.version))
          .filter((g) => g === a.guid || g === b.guid)
          .sort(),
        [a.guid, b.guid].sort(),
      );
      assert.deepEqual(await f.port.listChangedSince(new Date(Date.parse(b.version) + 1).toISOString()), []);

      f.advance(5_000);
      await f.human.rename(a.guid, 'First, renamed');
      const after = await f.port.listChangedSince(b.version);
      const renamed = after.find((r) => r.guid === a.guid);
      assert.ok(renamed, 'a person’s edit shows up');
      assert.equal(renamed.content.title, 'First, renamed');
      assert.ok(Date.parse(renamed.version) > Date.parse(b.version));
      for (const r of after) assert.ok(Date.parse(r.version) >= Date.parse(b.version));

      await f.human.delete(b.guid);
      assert.ok(!guids(await f.port.listChangedSince(a.version)).includes(b.guid), 'no deleted feed');
    });

    it('listForUser: the owner’s and the participant’s activities overlapping the window', async () => {
      const { owner, other, third } = f.users;
      const mine = await create(entry('Mine', 2));
      const sharedGuid = await f.human.create({
        ownerGuid: owner.guid,
        content: entry('Shared', 2, 12),
        activityTypeGuid: f.types.meeting,
        participantGuids: [other.guid],
      });
      const before = await create(entry('Long ago', -10));
      const theirs = await create(entry('Theirs', 2, 9, third.timeZone), third.guid);
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const window = { from: instant(day + DAY), to: instant(day + 4 * DAY) };

      const ownerList = guids(await f.port.listForUser(owner.guid, window));
      assert.ok(ownerList.includes(mine.guid));
      assert.ok(ownerList.includes(sharedGuid));
      assert.ok(!ownerList.includes(before.guid), 'ended before the window');
      assert.ok(!ownerList.includes(theirs.guid), 'someone else’s');

      const otherList = await f.port.listForUser(other.guid, window);
      assert.deepEqual(guids(otherList), [sharedGuid], 'a participant sees what they take part in');
      assert.deepEqual(otherList[0]?.participantGuids, [other.guid]);
      assert.equal(otherList[0].ownerGuid, owner.guid);
    });

    it('listForUser window edges: ending exactly at `from` is out, starting exactly at `to` is in', async () => {
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const from = day + 2 * DAY;
      const to = day + 3 * DAY;
      const zone = f.users.owner.timeZone;
      const endsAtFrom = await create(timedContent('Ends at from', from - HOUR, HOUR, zone));
      const endsAfterFrom = await create(timedContent('Ends after from', from - HOUR, HOUR + 60_000, zone));
      const startsAtTo = await create(timedContent('Starts at to', to, HOUR, zone));
      const startsAfterTo = await create(timedContent('Starts after to', to + 60_000, HOUR, zone));
      const listed = guids(
        await f.port.listForUser(f.users.owner.guid, { from: instant(from), to: instant(to) }),
      );
      assert.ok(!listed.includes(endsAtFrom.guid));
      assert.ok(listed.includes(endsAfterFrom.guid));
      assert.ok(listed.includes(startsAtTo.guid));
      assert.ok(!listed.includes(startsAfterTo.guid));
    });

    it('update with the current version writes the content and moves the version', async () => {
      const created = await create(entry('Draft', 3));
      f.advance(2_000);
      const wanted: EntryContent = {
        ...entry('Final', 4, 13),
        notes: 'New notes',
        location: 'Room 7',
      };
      const updated = await f.port.update(created.guid, sideVersionOf(created), { content: wanted });
      assert.deepEqual(updated.content, wanted);
      assert.ok(Date.parse(updated.version) > Date.parse(created.version));
      assert.deepEqual(await f.port.get(created.guid), updated);
      // A changed activity type (privacy changed, S4).
      const personal = await f.port.update(created.guid, sideVersionOf(updated), {
        content: { ...wanted, isPrivate: true },
        activityTypeGuid: f.types.personal,
      });
      assert.equal(personal.activityType.guid, f.types.personal);
      assert.equal(personal.content.isPrivate, true);
    });

    it('update with a stale version fails with PreconditionFailedError and changes nothing', async () => {
      const created = await create(entry('Agenda', 3));
      f.advance(2_000);
      await f.human.rename(created.guid, 'Agenda (edited by a person)');
      const current = await f.port.get(created.guid);
      await assert.rejects(
        f.port.update(created.guid, sideVersionOf(created), { content: entry('Overwrite', 5) }),
        PreconditionFailedError,
      );
      assert.deepEqual(await f.port.get(created.guid), current);
      assert.equal(current?.content.title, 'Agenda (edited by a person)');
      await assert.rejects(
        f.port.update('00000000-0000-4000-8000-00000000dead', sideVersionOf(created), {
          content: entry('X', 1),
        }),
        NotFoundError,
      );
    });

    it('delete: read-check-delete, then get is null and a second delete is fine', async () => {
      const created = await create(entry('Cancelled', 3));
      f.advance(2_000);
      await f.human.rename(created.guid, 'Edited meanwhile');
      await assert.rejects(
        f.port.delete(created.guid, deleteExpectationOf(created)),
        PreconditionFailedError,
      );
      const current = await f.port.get(created.guid);
      assert.ok(current, 'a stale delete deletes nothing');
      await f.port.delete(created.guid, deleteExpectationOf(current));
      assert.equal(await f.port.get(created.guid), null);
      await f.port.delete(created.guid, deleteExpectationOf(current)); // 404 counts as deleted
      assert.ok(!guids(await f.port.listChangedSince(created.version)).includes(created.guid));
    });

    it('participants: add (idempotent), remove, and no-ops for the owner and non-members', async () => {
      const { owner, other, third } = f.users;
      const created = await create(entry('Review', 3));
      assert.equal(await f.port.removeParticipant('00000000-0000-4000-8000-00000000dead', other.guid), null);
      await assert.rejects(
        f.port.addParticipant('00000000-0000-4000-8000-00000000dead', other.guid),
        NotFoundError,
      );
      f.advance(1_000);
      const added = await f.port.addParticipant(created.guid, other.guid);
      assert.deepEqual(added.participantGuids, [other.guid]);
      assert.ok(Date.parse(added.version) > Date.parse(created.version), 'a participant change is a change');
      assert.deepEqual(await f.port.get(created.guid), added);

      const again = await f.port.addParticipant(created.guid, other.guid);
      assert.deepEqual(again.participantGuids, [other.guid]);
      assert.equal(again.version, added.version, 'adding someone who is there is a no-op');
      const ownerAdded = await f.port.addParticipant(created.guid, owner.guid);
      assert.deepEqual(ownerAdded.participantGuids, [other.guid], 'the owner is not a participant');

      const notThere = await f.port.removeParticipant(created.guid, third.guid);
      assert.equal(notThere?.version, added.version);
      f.advance(1_000);
      const removed = await f.port.removeParticipant(created.guid, other.guid);
      assert.deepEqual(removed?.participantGuids, []);
      assert.equal(removed.ownerGuid, owner.guid);
      assert.deepEqual(await f.port.get(created.guid), removed);
    });

    it('removeParticipant of the owner with a new owner hands the activity over (B5)', async () => {
      const { owner, other, third } = f.users;
      const guid = await f.human.create({
        ownerGuid: owner.guid,
        content: entry('Steering group', 3),
        activityTypeGuid: f.types.meeting,
        participantGuids: [other.guid, third.guid],
      });
      const handed = await f.port.removeParticipant(guid, owner.guid, other.guid);
      assert.ok(handed);
      assert.equal(handed.ownerGuid, other.guid);
      assert.deepEqual(handed.participantGuids, [third.guid]);
      assert.deepEqual(await f.port.get(guid), handed);
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const window = { from: instant(day), to: instant(day + 7 * DAY) };
      assert.ok(
        !guids(await f.port.listForUser(owner.guid, window)).includes(guid),
        'the old owner is off it',
      );
      assert.ok(guids(await f.port.listForUser(other.guid, window)).includes(guid));
    });

    it('a series is one record: rule, cancelled and modified occurrences round-trip', async () => {
      const plan = seriesPlan(f.now(), f.users.owner.timeZone);
      const created = await create(plan.content);
      assert.deepEqual(created.content, plan.content);
      assert.deepEqual(await f.port.get(created.guid), created);

      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const window = { from: instant(day), to: instant(day + 60 * DAY) };
      const listed = await f.port.listForUser(f.users.owner.guid, window);
      assert.deepEqual(guids(listed), [created.guid], 'occurrences and exceptions fold into their series');
      assert.deepEqual(listed[0], created);
      const changed = await f.port.listChangedSince(instant(day - DAY));
      assert.deepEqual(guids(changed), [created.guid]);
    });

    it('a series: a person’s cancelled occurrence shows as a change of the series', async () => {
      const plan = seriesPlan(f.now(), f.users.owner.timeZone);
      const created = await create(plan.content);
      f.advance(5_000);
      await f.human.cancelOccurrence(created.guid, plan.starts[1] ?? '');
      const changed = (await f.port.listChangedSince(created.version)).filter((r) => r.guid === created.guid);
      assert.equal(changed.length, 1);
      const series = changed[0];
      assert.ok(series);
      assert.ok(Date.parse(series.version) > Date.parse(created.version));
      assert.deepEqual(series.content.recurrence?.exdates, [plan.starts[1], plan.starts[2]]);
      assert.deepEqual(series.content.recurrence.overrides, plan.content.recurrence?.overrides);
      assert.deepEqual({ ...series.content, recurrence: null }, { ...plan.content, recurrence: null });
      await assert.rejects(
        f.port.update(created.guid, sideVersionOf(created), { content: plan.content }),
        PreconditionFailedError,
      );
    });

    it('a series: update writes new cancellations and modifications, and restores occurrences', async () => {
      const plan = seriesPlan(f.now(), f.users.owner.timeZone);
      const created = await create(plan.content);
      const recurrence = plan.content.recurrence;
      assert.ok(recurrence);
      const at = (i: number) => Date.parse(plan.starts[i] ?? '');
      const more: EntryContent = {
        ...plan.content,
        title: 'Weekly (renamed)',
        recurrence: {
          ...recurrence,
          exdates: [plan.starts[2] ?? '', plan.starts[4] ?? ''],
          overrides: [
            ...recurrence.overrides,
            {
              originalStart: plan.starts[5] ?? '',
              title: 'Last one, longer',
              notes: '',
              location: '',
              timing: {
                kind: 'timed',
                start: plan.starts[5] ?? '',
                end: instant(at(5) + 2 * HOUR),
                timeZone: plan.zone,
              },
            },
          ],
        },
      };
      f.advance(2_000);
      const updated = await f.port.update(created.guid, sideVersionOf(created), { content: more });
      assert.deepEqual(updated.content, more);
      assert.deepEqual(await f.port.get(created.guid), updated);

      // Back to fewer exceptions: occurrence 3 is restored, occurrence 4 is no longer modified.
      const fewer: EntryContent = {
        ...more,
        recurrence: { ...recurrence, exdates: [plan.starts[4] ?? ''], overrides: [] },
      };
      f.advance(2_000);
      const restored = await f.port.update(created.guid, sideVersionOf(updated), { content: fewer });
      assert.deepEqual(restored.content, fewer);
      assert.deepEqual(await f.port.get(created.guid), restored);
    });

    it('a series: moved to a later time with new exceptions, then no longer recurring', async () => {
      const plan = seriesPlan(f.now(), f.users.owner.timeZone);
      const created = await create(plan.content);
      const recurrence = plan.content.recurrence;
      assert.ok(recurrence && plan.content.timing.kind === 'timed');
      const later = (iso: string) => instant(Date.parse(iso) + 2 * HOUR);
      const moved: EntryContent = {
        ...plan.content,
        timing: {
          ...plan.content.timing,
          start: later(plan.content.timing.start),
          end: later(plan.content.timing.end),
        },
        recurrence: { ...recurrence, exdates: [later(plan.starts[1] ?? '')], overrides: [] },
      };
      f.advance(2_000);
      const updated = await f.port.update(created.guid, sideVersionOf(created), { content: moved });
      assert.deepEqual(updated.content, moved);
      assert.deepEqual(await f.port.get(created.guid), updated);

      const single: EntryContent = { ...moved, recurrence: null };
      f.advance(2_000);
      const flat = await f.port.update(created.guid, sideVersionOf(updated), { content: single });
      assert.deepEqual(flat.content, single);
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const listed = await f.port.listForUser(f.users.owner.guid, {
        from: instant(day),
        to: instant(day + 60 * DAY),
      });
      assert.deepEqual(listed, [flat]);
    });

    it('a series owned by someone else is listed for its participant, once', async () => {
      const plan = seriesPlan(f.now(), f.users.owner.timeZone);
      const guid = await f.human.create({
        ownerGuid: f.users.owner.guid,
        content: { ...plan.content, recurrence: { ...plan.content.recurrence!, exdates: [], overrides: [] } },
        activityTypeGuid: f.types.meeting,
        participantGuids: [f.users.other.guid],
      });
      const day = Math.floor(f.now().getTime() / DAY) * DAY;
      const listed = await f.port.listForUser(f.users.other.guid, {
        from: instant(day),
        to: instant(day + 60 * DAY),
      });
      assert.deepEqual(guids(listed), [guid]);
      assert.deepEqual(listed[0]?.participantGuids, [f.users.other.guid]);
      assert.equal(listed[0].content.recurrence?.pattern.kind, 'rule');
    });
  });
}

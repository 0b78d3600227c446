/**
 * Scenario tests for the edits people really make on synced entries (issue 9): each case was first seen deleting,
 * duplicating, exposing or distorting someone's entry. They drive the real runner and org poll over the in-memory
 * services, as people and Cloud Scheduler would, and assert what each person ends up with on both sides.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntryContent, RecurrenceRule } from '../../../shared/domain/index.js';
import { previewOf } from '../../../shared/sync/preview.js';
import { TYPES, USERS, World, timed } from '../../support/world.js';

const A = USERS.aino;
const B = USERS.ben;

const WEEKLY_MONDAYS = (count: number): RecurrenceRule => ({
  freq: 'weekly',
  interval: 1,
  byWeekday: ['MO'],
  byMonthDay: null,
  bySetPos: null,
  byMonth: null,
  end: { kind: 'count', count },
});

/** A weekly series on Mondays from 9 March 2026, 09:00 Helsinki. */
function weeklySeries(title: string, count: number, zone = 'Europe/Helsinki'): EntryContent {
  const start = timed(title, 7, 7, 1, zone);
  return {
    ...start,
    recurrence: { pattern: { kind: 'rule', rule: WEEKLY_MONDAYS(count) }, exdates: [], overrides: [] },
  };
}

/** Google's UI writing a rule Severa has no form for (weeks of the year). */
const UNSUPPORTED = {
  kind: 'unsupported',
  lines: ['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE;BYWEEKNO=11,12'],
} as const;

async function cycles(world: World, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) await world.cycle({ reconcile: true });
}

describe('a person reshapes the Google copy of a Severa series (issue 9 #1)', () => {
  function ownedSeries(world: World, count: number) {
    return world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: weeklySeries('Steering group', count),
      activityTypeGuid: TYPES.sales.guid,
      participantGuids: [B.severaUserGuid],
    });
  }

  function copyOf(world: World, email: string, severaGuid: string) {
    const copy = world.calendar.live(email).find((e) => e.severaGuid === severaGuid);
    assert.ok(copy, `${email} has a copy of ${severaGuid}`);
    return copy;
  }

  function assertSeriesKept(world: World, guid: string, count: number): void {
    const s = world.severa.all().find((x) => x.guid === guid);
    assert.ok(s, 'the Severa series is not deleted');
    assert.equal(s.activityType.guid, TYPES.sales.guid, 'its activity type is kept');
    assert.deepEqual(s.participantGuids, [B.severaUserGuid], 'its participant is kept');
    assert.deepEqual(
      s.content.recurrence?.pattern,
      { kind: 'rule', rule: WEEKLY_MONDAYS(count) },
      'its rule is kept',
    );
    assert.equal(world.severa.all().length, 1, 'no single activities replace it');
  }

  it('a rule Severa cannot express stays in Google, the series stays in Severa, and the person is told', async () => {
    const world = new World();
    const s = ownedSeries(world, 4);
    await cycles(world, 1);
    const copy = copyOf(world, A.email, s.guid);
    const recurrence = { pattern: UNSUPPORTED, exdates: [], overrides: [] };
    world.calendar.humanUpdate([A.email], copy.id, { recurrence });
    await cycles(world, 2);
    assertSeriesKept(world, s.guid, 4);
    assert.deepEqual(
      copyOf(world, A.email, s.guid).content.recurrence,
      recurrence,
      'her rule stays in Google',
    );
    assert.ok(copyOf(world, B.email, s.guid), 'the participant keeps his copy');
    const status = await world.store.getStatus(A.severaUserGuid);
    assert.equal(status.state, 'healthy');
    assert.match(status.message ?? '', /Steering group/);
    assert.match(status.message ?? '', /Severa cannot repeat/);

    // A later rename in Google still reaches Severa, and nothing is lost over further runs.
    world.calendar.humanUpdate([A.email], copy.id, { title: 'Steering group (new name)' });
    await cycles(world, 3);
    assert.equal(world.severa.all()[0]?.content.title, 'Steering group (new name)');
    assertSeriesKept(world, s.guid, 4);
    assert.equal(copyOf(world, B.email, s.guid).content.title, 'Steering group (new name)');
    assert.deepEqual(copyOf(world, A.email, s.guid).content.recurrence, recurrence);
  });

  it('only a new time zone on the copy: nothing is deleted and the series follows the new times', async () => {
    const world = new World();
    const s = ownedSeries(world, 4);
    await cycles(world, 1);
    const copy = copyOf(world, A.email, s.guid);
    assert.equal(copy.content.timing.kind, 'timed');
    // Google's UI keeps the wall-clock time when the zone changes: 09:00 New York.
    const moved = { ...weeklySeries('Steering group', 4, 'America/New_York'), title: 'Steering group' };
    const nyStart = timed('x', 7, 13, 1, 'America/New_York').timing; // 09:00 EDT on 9 March = 13:00Z
    world.calendar.humanUpdate([A.email], copy.id, { timing: nyStart, recurrence: moved.recurrence });
    await cycles(world, 2);
    const after = world.severa.all();
    assert.equal(after.length, 1, 'the series is neither deleted nor split into single activities');
    assert.equal(after[0]?.guid, s.guid);
    assert.equal(
      after[0].content.timing.kind === 'timed' && after[0].content.timing.start,
      '2026-03-09T13:00:00Z',
    );
    assert.ok(copyOf(world, B.email, s.guid));
    assert.equal(await settledWrites(world), 0);
  });

  it('a participant reshaping their copy leaves the owner’s activity alone', async () => {
    const world = new World();
    const s = ownedSeries(world, 4);
    await cycles(world, 1);
    const bens = copyOf(world, B.email, s.guid);
    world.calendar.humanUpdate([B.email], bens.id, {
      recurrence: { pattern: UNSUPPORTED, exdates: [], overrides: [] },
    });
    await cycles(world, 3);
    assertSeriesKept(world, s.guid, 4);
    assert.ok(copyOf(world, A.email, s.guid), 'the owner keeps her copy');
    assert.ok(copyOf(world, B.email, s.guid), 'the participant keeps his copy');
  });

  it('a long series reshaped in Google is not held by deletion safety (B3) and nothing is deleted', async () => {
    const world = new World();
    const s = ownedSeries(world, 8);
    await cycles(world, 1);
    const copy = copyOf(world, A.email, s.guid);
    world.calendar.humanUpdate([A.email], copy.id, {
      recurrence: {
        pattern: {
          kind: 'unsupported',
          lines: ['RRULE:FREQ=WEEKLY;COUNT=8;BYDAY=MO,WE;BYWEEKNO=11,12,13,14'],
        },
        exdates: [],
        overrides: [],
      },
    });
    const results = await world.cycle({ reconcile: true });
    assert.ok(
      results.every((r) => r.plan.held === null),
      'no run is held',
    );
    await cycles(world, 2);
    assertSeriesKept(world, s.guid, 8);
  });
});

async function settledWrites(world: World): Promise<number> {
  const before = world.writes();
  await world.cycle({ reconcile: true });
  return world.writes() - before;
}

describe('a person splits or duplicates our copy in Google (issue 9 #3)', () => {
  for (const keepStamp of [true, false]) {
    it(`"this and following" keeps the new half and syncs it (${keepStamp ? 'with' : 'without'} our stamp copied)`, async () => {
      const world = new World();
      const s = world.severa.humanCreate({
        ownerGuid: A.severaUserGuid,
        content: weeklySeries('Planning', 6),
        activityTypeGuid: TYPES.meeting.guid,
      });
      await cycles(world, 1);
      const copy = world.calendar.live(A.email)[0];
      assert.ok(copy);
      // From the fourth Monday (30 March 09:00 Helsinki, EEST) on, the meeting is an hour later and renamed.
      const tail = {
        ...weeklySeries('Planning (new slot)', 3),
        timing: timed('x', 28, 7, 1, 'Europe/Helsinki').timing,
      };
      const split = world.calendar.humanSplit(A.email, copy.id, '2026-03-30T06:00:00Z', tail, keepStamp);
      assert.ok(split, 'the split happened');
      await cycles(world, 3);
      const events = world.calendar.live(A.email);
      assert.ok(
        events.some((e) => e.id === split.id),
        'the new half is still in the calendar',
      );
      const titles = world.severa
        .all()
        .map((x) => x.content.title)
        .sort();
      assert.deepEqual(titles, ['Planning', 'Planning (new slot)'], 'Severa has both halves');
      const head = world.severa.all().find((x) => x.guid === s.guid);
      const rule = head?.content.recurrence?.pattern;
      assert.equal(rule?.kind === 'rule' && rule.rule.end.kind, 'until', 'the first half ends');
      assert.equal(await settledWrites(world), 0);
    });
  }

  it('a duplicate of our copy carrying our stamp is the person’s own event, synced as new', async () => {
    const world = new World();
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Workshop', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await cycles(world, 1);
    const copy = world.calendar.live(A.email)[0];
    assert.ok(copy);
    const dup = world.calendar.humanDuplicate(A.email, copy.id, true);
    assert.ok(dup);
    await cycles(world, 2);
    assert.ok(
      world.calendar.live(A.email).some((e) => e.id === dup.id),
      'the duplicate is not deleted',
    );
    assert.equal(world.severa.all().length, 2, 'it became an activity of its own');
    assert.equal(await settledWrites(world), 0);
  });
});

describe('privacy (issue 9 #4, #6, #7)', () => {
  it('making our copy private keeps it, when "Personal" is not a synced type (#4)', async () => {
    const world = new World({
      settings: { syncedActivityTypeGuids: [TYPES.meeting.guid, TYPES.sales.guid] },
    });
    const s = world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Interview', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await cycles(world, 1);
    const copy = world.calendar.live(A.email)[0];
    assert.ok(copy);
    world.calendar.humanUpdate([A.email], copy.id, { isPrivate: true });
    await cycles(world, 3);
    const after = world.calendar.live(A.email);
    assert.equal(after.length, 1, 'her copy is still there');
    assert.equal(after[0]?.content.isPrivate, true);
    assert.equal(world.severa.all().find((x) => x.guid === s.guid)?.activityType.guid, TYPES.personal.guid);
  });

  it('a private event gets the organisation’s Personal type whatever it is called (#6)', async () => {
    const henkilokohtainen = { ...TYPES.personal, guid: 'type-henk', name: 'Henkilökohtainen' };
    const world = new World({ types: [TYPES.meeting, henkilokohtainen, TYPES.sales] });
    world.calendar.humanCreate(A.email, { ...timed('Doctor', 2, 9), isPrivate: true });
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.activityType.guid, 'type-henk');
    assert.equal(world.severa.all()[0]?.content.isPrivate, true);
  });

  it('without a Personal type, a private event stays private through edits on either side (#6)', async () => {
    const world = new World({ types: [TYPES.meeting, TYPES.sales] });
    const g = world.calendar.humanCreate(A.email, { ...timed('Doctor', 2, 9), isPrivate: true });
    await cycles(world, 1);
    const [activity] = world.severa.all();
    assert.ok(activity);
    assert.equal(activity.activityType.guid, TYPES.meeting.guid, 'the default type: nothing else exists');
    world.severa.humanUpdate(activity.guid, { content: { location: 'Clinic' } });
    await cycles(world, 1);
    world.calendar.humanUpdate([A.email], g.id, { notes: 'Bring the card' });
    await cycles(world, 2);
    const event = world.calendar.live(A.email)[0];
    assert.equal(event?.content.location, 'Clinic');
    assert.equal(event.content.isPrivate, true, 'the sync never makes it public');
  });

  it('an activity type chosen by hand comes back when the entry goes private and public again (#7)', async () => {
    const world = new World();
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Visit at Acme', 2, 9),
      activityTypeGuid: TYPES.sales.guid,
    });
    await cycles(world, 1);
    const copy = world.calendar.live(A.email)[0];
    assert.ok(copy);
    world.calendar.humanUpdate([A.email], copy.id, { isPrivate: true });
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.personal.guid);
    world.calendar.humanUpdate([A.email], copy.id, { isPrivate: false });
    await cycles(world, 2);
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.sales.guid, '"Customer visit" again');
    assert.equal(world.calendar.live(A.email).length, 1);
  });
});

describe('a recurring meeting across time zones is one activity, whoever syncs first (issue 9 #5)', () => {
  // Ben organises from New York, Aino attends from Helsinki.
  const cases = [
    { name: 'a New York morning', hour: 13, first: 'aino' },
    { name: 'a New York morning', hour: 13, first: 'ben' },
    { name: 'a New York evening (the next day in Helsinki)', hour: 23, first: 'aino' },
    { name: 'a New York evening (the next day in Helsinki)', hour: 23, first: 'ben' },
  ] as const;
  for (const c of cases) {
    it(`${c.name}, ${c.first === 'aino' ? 'the Helsinki attendee' : 'the New York organiser'} first`, async () => {
      const world = new World();
      const meeting = {
        ...weeklySeries('Transatlantic sync', 4, 'America/New_York'),
        timing: timed('x', 7, c.hour, 1, 'America/New_York').timing,
      };
      world.calendar.humanCreateMeeting([B.email, A.email], meeting);
      await world.poll();
      const order = c.first === 'aino' ? [A, B] : [B, A];
      for (let round = 0; round < 3; round += 1)
        for (const u of order) await world.sync(u, { reconcile: true });
      const activities = world.severa.all();
      const starts = new Map<string, number>();
      for (const a of activities) {
        const key = a.content.timing.kind === 'timed' ? a.content.timing.start : a.content.timing.startDate;
        starts.set(key, (starts.get(key) ?? 0) + 1);
      }
      assert.ok(
        [...starts.values()].every((n) => n === 1),
        `one activity per occurrence: ${JSON.stringify([...starts])}`,
      );
      for (const a of activities) {
        assert.deepEqual(
          [a.ownerGuid, ...a.participantGuids].sort(),
          [A.severaUserGuid, B.severaUserGuid].sort(),
          'both people are on it',
        );
      }
      if (c.hour === 13) assert.equal(activities.length, 1, 'a series Severa can hold stays one series');
    });
  }
});

describe('two writes to one activity within one second (issue 9 #2)', () => {
  it('two people’s runs writing one shared activity in the same second both reach both calendars', async () => {
    const world = new World();
    const s = world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Budget review', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
      participantGuids: [B.severaUserGuid],
    });
    await cycles(world, 1);
    const ainos = world.calendar.live(A.email)[0];
    const bens = world.calendar.live(B.email)[0];
    assert.ok(ainos && bens);
    // Within one second: Aino renames her copy, Ben sets a room on his; Ben's run meets Aino's write (412).
    world.calendar.humanUpdate([A.email], ainos.id, { title: 'Budget review 2027' });
    world.calendar.humanUpdate([B.email], bens.id, { location: 'Room 4' });
    await world.sync(A);
    await world.sync(B);
    await cycles(world, 2);
    const activity = world.severa.all().find((x) => x.guid === s.guid);
    assert.equal(activity?.content.title, 'Budget review 2027');
    assert.equal(activity.content.location, 'Room 4');
    for (const email of [A.email, B.email]) {
      const [e] = world.calendar.live(email);
      assert.ok(e);
      assert.equal(e.content.title, 'Budget review 2027', `${email} has the new title`);
      assert.equal(e.content.location, 'Room 4', `${email} has the room`);
    }
  });

  it('a change routed during a run, in the same second as the one it processed, is not acknowledged away', async () => {
    const world = new World();
    const s = world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Retro', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await cycles(world, 1);
    world.severa.humanUpdate(s.guid, { content: { notes: 'first' } });
    await world.poll();
    let edited = false;
    world.onStep = (step) => {
      if (edited || step !== 'calendar.update') return;
      edited = true;
      // A second edit in the same second, routed while the run works on the first.
      world.severa.humanUpdate(s.guid, { content: { notes: 'second' } });
      void world.poll();
    };
    await world.sync(A);
    world.onStep = undefined;
    assert.ok(edited);
    await world.sync(A); // no reconcile: only the inbox can bring the second edit
    assert.equal(world.calendar.live(A.email)[0]?.content.notes, 'second');
  });
});

describe('an entry Severa cannot take costs no more than itself (issue 9 #8)', () => {
  it('a location longer than Severa holds is fitted, the full text kept in the notes, and nothing is rewritten', async () => {
    const world = new World();
    const long = `Conference centre, ${'hall B, '.repeat(150)}entrance from the park`;
    assert.ok(long.length > 1000);
    const g = world.calendar.humanCreate(A.email, { ...timed('Offsite', 2, 9), location: long });
    await cycles(world, 1);
    const [activity] = world.severa.all();
    assert.ok(activity, 'the activity is created');
    assert.equal(activity.content.location, long, 'read back whole');
    assert.equal(world.calendar.live(A.email)[0]?.content.location, long, 'Google keeps the full location');
    const status = await world.store.getStatus(A.severaUserGuid);
    assert.equal(status.state, 'healthy');
    assert.equal(await settledWrites(world), 0, 'the fitted location is not taken for a change');
    world.calendar.humanUpdate([A.email], g.id, { title: 'Offsite 2027' });
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.content.title, 'Offsite 2027');
    assert.equal(world.calendar.live(A.email)[0]?.content.location, long);
  });

  it('an entry refused for good is noted on it, not retried while unchanged, and the rest syncs on', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, timed('Planning', 2, 9));
    await cycles(world, 1);
    world.calendar.humanCreate(A.email, timed('Review', 4, 9));
    world.calendar.humanCreate(A.email, timed('Odd one', 5, 9));
    // Severa refuses the first of the two new entries for good (a 400 on what was sent).
    world.severa.faults.inject(1, { timing: 'before', kind: 'refused' });
    const [result] = await world.cycle();
    assert.ok(result);
    const synced = new Set(world.severa.all().map((s) => s.content.title));
    const refused = world.calendar.live(A.email).find((e) => !synced.has(e.content.title));
    assert.ok(refused, 'one entry was refused');
    assert.equal(synced.size, 2, 'the other new entry is synced');
    assert.equal(result.status.state, 'healthy', 'one refused entry does not make the sync unhealthy');
    assert.ok(result.status.lastSuccessAt, 'the run counts as a success');
    const notes = result.status.notes ?? [];
    assert.equal(notes.length, 1);
    assert.equal(notes[0]?.kind, 'refused');
    assert.equal(notes[0].title, refused.content.title);
    assert.match(result.status.message ?? '', /refused/);
    // Quiet cycles: no retry of the refused entry, and no full re-listing of the calendar.
    const before = {
      severa: world.severa.calls.reads,
      google: world.calendar.calls.reads,
      writes: world.writes(),
    };
    await world.cycle();
    await world.cycle();
    assert.equal(world.writes(), before.writes, 'the refused entry is not retried while unchanged');
    const reads = {
      severa: world.severa.calls.reads - before.severa,
      google: world.calendar.calls.reads - before.google,
    };
    assert.ok(reads.google <= 4, `Google reads in two quiet cycles: ${reads.google}`);
    assert.ok(reads.severa <= 2, `Severa reads in two quiet cycles: ${reads.severa}`);
    // Once the person changes it, it is tried again.
    world.calendar.humanUpdate([A.email], refused.id, { notes: 'fixed' });
    const [again] = await world.cycle();
    assert.ok(
      world.severa.all().some((s) => s.content.title === refused.content.title),
      'tried again once changed',
    );
    assert.equal(again?.status.notes, undefined, 'the note goes once the entry syncs');
  });
});

describe('status events: out of office, focus time, working location, birthdays (issue 9 #9)', () => {
  it('an out-of-office becomes an absence in Severa, and changes flow both ways', async () => {
    const world = new World();
    const ooo = world.calendar.humanCreate(A.email, timed('Out of office', 3, 0, 24 * 5), 'outOfOffice');
    await cycles(world, 1);
    const [absence] = world.severa.all();
    assert.ok(absence, 'the absence reaches Severa');
    assert.equal(absence.activityType.guid, TYPES.absence.guid, 'of the Absences type');
    assert.equal(absence.content.timing.kind, 'timed');
    world.calendar.humanUpdate([A.email], ooo.id, { title: 'Holiday in Lapland' });
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.content.title, 'Holiday in Lapland');
    world.severa.humanUpdate(absence.guid, { content: { notes: 'Back on the 12th' } });
    await cycles(world, 1);
    const event = world.calendar.live(A.email)[0];
    assert.equal(event?.content.notes, 'Back on the 12th', 'the Severa edit reaches the out-of-office');
    assert.equal(event.eventType, 'outOfOffice', 'and it stays an out-of-office');
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.absence.guid, 'still an absence');
    assert.equal(await settledWrites(world), 0);
    world.calendar.humanDelete([A.email], ooo.id);
    await cycles(world, 1);
    assert.equal(world.severa.all().length, 0, 'cancelled in Google, gone from Severa');
  });

  it('a private out-of-office keeps its Absences type (privacy stays in Google)', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, { ...timed('Doctor', 3, 8, 3), isPrivate: true }, 'outOfOffice');
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.absence.guid);
    assert.equal(world.calendar.live(A.email)[0]?.content.isPrivate, true);
    assert.equal(await settledWrites(world), 0);
  });

  it('without an Absences type an out-of-office is an entry of the default type', async () => {
    const world = new World({ types: [TYPES.meeting, TYPES.personal] });
    world.calendar.humanCreate(A.email, timed('Out of office', 3, 0, 24), 'outOfOffice');
    await cycles(world, 1);
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.meeting.guid);
  });

  it('focus time is an entry like any other, both ways', async () => {
    const world = new World();
    const focus = world.calendar.humanCreate(A.email, timed('Focus time', 2, 6, 2), 'focusTime');
    await cycles(world, 1);
    const [activity] = world.severa.all();
    assert.equal(activity?.content.title, 'Focus time');
    assert.equal(activity.activityType.guid, TYPES.meeting.guid, "Aino's default type");
    world.severa.humanUpdate(activity.guid, { content: { title: 'Focus: budget' } });
    await cycles(world, 1);
    const event = world.calendar.live(A.email).find((e) => e.id === focus.id);
    assert.equal(event?.content.title, 'Focus: budget');
    assert.equal(event.eventType, 'focusTime');
  });

  it('working location and birthdays are left out, and the preview says how many', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, timed('Home', 2, 0, 24), 'workingLocation');
    world.calendar.humanCreate(A.email, timed('Office', 3, 0, 24), 'workingLocation');
    world.calendar.humanCreate(A.email, timed("Ben's birthday", 4, 0, 24), 'birthday');
    world.calendar.humanCreate(A.email, timed('Planning', 4, 9));
    const preview = previewOf((await world.sync(A, { dryRun: true })).plan);
    assert.deepEqual(preview.leftOut, { workingLocation: 2, birthday: 1 });
    assert.equal(preview.createInSevera, 1);
    await cycles(world, 1);
    assert.deepEqual(
      world.severa.all().map((s) => s.content.title),
      ['Planning'],
    );
    assert.equal(await settledWrites(world), 0);
  });
});

/**
 * Scenario tests: each case of the decision table (SPEC §6) and each product rule (S3–S7, S9, B3–B6), driven
 * through the real runner and org poll over the in-memory services, asserting the final state of both sides and
 * the number of writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { googleEventIdFor, sameContent } from '../../../shared/domain/index.js';
import { previewOf } from '../../../shared/sync/preview.js';
import { TYPES, USERS, World, allDay, timed } from '../../support/world.js';
import { CrashInjectedError } from '../../support/crash.js';

const A = USERS.aino;
const B = USERS.ben;
const C = USERS.cecilia;

function newSevera(
  world: World,
  title = 'Workshop',
  owner: string = A.severaUserGuid,
  participants: string[] = [],
) {
  return world.severa.humanCreate({
    ownerGuid: owner,
    content: timed(title, 2, 9),
    activityTypeGuid: TYPES.meeting.guid,
    participantGuids: participants,
  });
}

async function settled(world: World) {
  const before = world.writes();
  await world.cycle({ reconcile: true });
  return world.writes() - before;
}

describe('Severa → Google (S3, S7, B4)', () => {
  it('creates the copy under a deterministic id with the guid in extendedProperties, then writes nothing more', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    const events = world.calendar.live(A.email);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.id, googleEventIdFor(s.guid));
    assert.equal(events[0].severaGuid, s.guid);
    assert.ok(sameContent(events[0].content, s.content));
    assert.equal(await settled(world), 0);
  });

  it('updates the copy when the activity changes, and ignores a save that changed nothing', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.severa.humanUpdate(s.guid, { content: { location: 'Room 7' } });
    await world.cycle();
    assert.equal(world.calendar.live(A.email)[0]?.content.location, 'Room 7');
    world.severa.humanTouch(s.guid);
    assert.equal(await settled(world), 0, 'version churn without content change writes nothing');
  });

  it('never syncs project tasks or activity types the admin did not select', async () => {
    const world = new World();
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Build feature', 1, 9),
      activityTypeGuid: TYPES.task.guid,
    });
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Phase work', 1, 11),
      activityTypeGuid: TYPES.meeting.guid,
      isProjectTask: true,
    });
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Sick leave', 1, 13),
      activityTypeGuid: TYPES.absence.guid,
    });
    await world.cycle({ reconcile: true });
    assert.deepEqual(world.calendar.live(A.email), []);
  });

  it('removes our copy when the activity becomes a project task or its type is deselected (S6 filters)', async () => {
    const world = new World();
    const s1 = newSevera(world, 'One');
    const s2 = newSevera(world, 'Two');
    await world.cycle();
    assert.equal(world.calendar.live(A.email).length, 2);
    world.severa.humanUpdate(s1.guid, { isProjectTask: true });
    world.severa.humanUpdate(s2.guid, { activityTypeGuid: TYPES.absence.guid });
    await world.cycle();
    assert.deepEqual(world.calendar.live(A.email), []);
    assert.equal(world.severa.all().length, 2, 'the activities themselves stay');
  });

  it('keeps a Google-made event when its activity leaves the sync, and resumes the pair when it comes back', async () => {
    const world = new World();
    const g = world.calendar.humanCreate(A.email, timed('My own', 1, 9));
    await world.cycle();
    const s = world.severa.all()[0]!;
    world.severa.humanUpdate(s.guid, { isProjectTask: true });
    await world.cycle();
    assert.deepEqual(
      world.calendar.live(A.email).map((e) => e.id),
      [g.id],
    );
    assert.equal(world.store.allLinks()[0]?.dormant, true, 'the pair is released, not forgotten');
    world.calendar.humanUpdate([A.email], g.id, { notes: 'edited while released' });
    await world.cycle();
    assert.equal(world.severa.all()[0]?.content.notes, '', 'nothing flows while released');
    world.severa.humanUpdate(s.guid, { isProjectTask: false });
    await world.cycle();
    assert.deepEqual(
      world.calendar.live(A.email).map((e) => e.id),
      [g.id],
      'no second copy when the activity comes back',
    );
    assert.equal(world.severa.all()[0]?.content.notes, 'edited while released');
    assert.equal(world.store.allLinks()[0]?.dormant, undefined);
  });
});

describe('Google → Severa (S4)', () => {
  it('creates an activity with the default type, and "Personal" for private and confidential events', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, timed('Dentist', 1, 9, 1));
    world.calendar.humanCreate(A.email, { ...timed('Doctor', 2, 9, 1), isPrivate: true });
    await world.cycle();
    const byTitle = new Map(world.severa.all().map((s) => [s.content.title, s]));
    assert.equal(byTitle.get('Dentist')?.activityType.guid, TYPES.meeting.guid);
    assert.equal(byTitle.get('Doctor')?.activityType.guid, TYPES.personal.guid);
    assert.equal(byTitle.get('Doctor')?.ownerGuid, A.severaUserGuid);
    assert.equal(await settled(world), 0);
  });

  it('a person’s edit that lands between our Severa write and its read-back is still synced', async () => {
    const world = new World();
    const event = world.calendar.humanCreate(A.email, timed('Review', 3, 9));
    await world.cycle();
    const [activity] = world.severa.all();
    assert.ok(activity);
    world.calendar.humanUpdate([A.email], event.id, { location: 'Room 4' });
    // The adapter reads the activity back after its PATCH; a person moved it in between.
    const update = world.severa.update.bind(world.severa);
    world.severa.update = async (guid, version, input) => {
      await update(guid, version, input);
      world.severa.humanUpdate(guid, { content: { timing: timed('Review', 3, 11).timing } });
      const reread = await world.severa.get(guid);
      assert.ok(reread);
      return reread;
    };
    await world.sync(A);
    world.severa.update = update;
    await world.cycle();
    const [event2] = world.calendar.live(A.email);
    assert.ok(event2);
    assert.equal(event2.content.location, 'Room 4');
    assert.deepEqual(
      event2.content.timing,
      timed('Review', 3, 11).timing,
      'the person’s move reached Google',
    );
    assert.equal(await settled(world), 0);
  });

  it('switches the type when an event becomes private or public again', async () => {
    const world = new World();
    const g = world.calendar.humanCreate(B.email, timed('Call', 1, 15));
    await world.cycle();
    world.calendar.humanUpdate([B.email], g.id, { isPrivate: true });
    await world.cycle();
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.personal.guid);
    world.calendar.humanUpdate([B.email], g.id, { isPrivate: false });
    await world.cycle();
    assert.equal(world.severa.all()[0]?.activityType.guid, TYPES.meeting.guid, "Ben's default type");
  });

  it('reports a clear problem when no activity type can be chosen', async () => {
    const world = new World({
      settings: { activityTypes: [{ ...TYPES.meeting, isDefault: false }] },
    });
    world.calendar.humanCreate(A.email, timed('Call', 1, 15));
    const [result] = await world.cycle();
    assert.equal(world.severa.all().length, 0);
    assert.equal(result?.status.state, 'error');
    assert.match(result.status.message ?? '', /no default activity type/);
  });
});

describe('deletions both ways (S7, SPEC §6 table)', () => {
  it('deleted in Google, unchanged in Severa → deleted in Severa', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.calendar.humanDelete([A.email], googleEventIdFor(s.guid));
    await world.cycle();
    assert.deepEqual(world.severa.all(), []);
    assert.deepEqual(world.store.allLinks(), []);
  });

  it('deleted in Severa → found by the reconcile (confirmed by a 404) and deleted in Google', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.severa.humanDelete(s.guid);
    await world.cycle();
    assert.equal(world.calendar.live(A.email).length, 1, 'the change feed cannot show deletions');
    await world.cycle({ reconcile: true });
    assert.deepEqual(world.calendar.live(A.email), []);
  });

  it('deleted in Google but changed in Severa → the change wins and the copy comes back', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.calendar.humanDelete([A.email], googleEventIdFor(s.guid));
    world.severa.humanUpdate(s.guid, { content: { title: 'Workshop (moved)' } });
    await world.cycle();
    const events = world.calendar.live(A.email);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.content.title, 'Workshop (moved)');
    assert.equal(world.severa.all().length, 1);
  });

  it('deleted in Severa but changed in Google → the change wins and the activity comes back', async () => {
    const world = new World();
    const g = world.calendar.humanCreate(A.email, timed('Review', 3, 10));
    await world.cycle();
    const s = world.severa.all()[0]!;
    world.severa.humanDelete(s.guid);
    world.calendar.humanUpdate([A.email], g.id, { title: 'Review v2' });
    await world.cycle({ reconcile: true });
    const all = world.severa.all();
    assert.equal(all.length, 1);
    assert.equal(all[0]?.content.title, 'Review v2');
    assert.notEqual(all[0].guid, s.guid);
    assert.equal(await settled(world), 0);
  });

  it('a run that stops right after re-creating a deleted activity leaves no second one', async () => {
    const world = new World();
    const g = world.calendar.humanCreate(A.email, timed('Review', 3, 10));
    await world.cycle();
    const s = world.severa.all()[0]!;
    world.severa.humanDelete(s.guid);
    world.calendar.humanUpdate([A.email], g.id, { title: 'Review v2' });
    let crashed = false;
    world.onStep = (step) => {
      if (step !== 'severa.create' || crashed) return;
      crashed = true;
      throw new CrashInjectedError('crash after the re-create');
    };
    await world.sync(A, { reconcile: true }).catch((error: unknown) => {
      assert.ok(error instanceof CrashInjectedError);
    });
    world.onStep = undefined;
    assert.ok(crashed);
    // The old pair's link is still saved: it must not be taken for the new create's.
    await world.cycle({ reconcile: true });
    const all = world.severa.all();
    assert.deepEqual(
      all.map((a) => a.content.title),
      ['Review v2'],
    );
    assert.equal(await settled(world), 0);
  });

  it('gone from both sides → only the link goes', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.severa.humanDelete(s.guid);
    world.calendar.humanDelete([A.email], googleEventIdFor(s.guid));
    const before = world.writes();
    await world.cycle({ reconcile: true });
    assert.equal(world.writes(), before);
    assert.deepEqual(world.store.allLinks(), []);
  });
});

describe('both sides changed (B6)', () => {
  it('merges fields changed on one side each', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.severa.humanUpdate(s.guid, { content: { location: 'Room 2' } });
    world.calendar.humanUpdate([A.email], googleEventIdFor(s.guid), { notes: 'Bring slides' });
    await world.cycle();
    const merged = world.severa.all()[0]!.content;
    assert.equal(merged.location, 'Room 2');
    assert.equal(merged.notes, 'Bring slides');
    assert.ok(sameContent(merged, world.calendar.live(A.email)[0]!.content));
    const update = world.applied.find((a) => a.kind === 'update' && a.decisions.length > 0);
    assert.deepEqual(update?.decisions.map((d) => [d.field, d.winner, d.reason]).sort(), [
      ['location', 'severa', 'only-severa-changed'],
      ['notes', 'google', 'only-google-changed'],
    ]);
  });

  it('settles a true conflict by latest modification, or by the org policy', async () => {
    for (const [policy, expected] of [
      ['latest-wins', 'Google title'],
      ['severa-wins', 'Severa title'],
    ] as const) {
      const world = new World({ settings: { conflictPolicy: policy } });
      const s = newSevera(world);
      await world.cycle();
      world.severa.humanUpdate(s.guid, { content: { title: 'Severa title' } });
      world.clock.advance(60_000);
      world.calendar.humanUpdate([A.email], googleEventIdFor(s.guid), { title: 'Google title' });
      await world.cycle();
      assert.equal(world.severa.all()[0]?.content.title, expected, policy);
      assert.equal(world.calendar.live(A.email)[0]?.content.title, expected, policy);
    }
  });
});

describe('participants (S5) and shared meetings (B5)', () => {
  it('syncs an activity to every syncing participant, even when its owner does not sync', async () => {
    const world = new World();
    const s = newSevera(world, 'Steering group', C.severaUserGuid, [A.severaUserGuid, B.severaUserGuid]);
    await world.cycle();
    assert.equal(world.calendar.live(A.email).length, 1);
    assert.equal(world.calendar.live(B.email).length, 1);
    assert.equal(world.calendar.live(C.email).length, 0, 'Cecilia has no sync');
    world.severa.humanUpdate(s.guid, { content: { title: 'Steering group (new room)' } });
    await world.cycle();
    assert.equal(world.calendar.live(B.email)[0]?.content.title, 'Steering group (new room)');
    world.severa.humanUpdate(s.guid, { participantGuids: [A.severaUserGuid] });
    await world.cycle();
    assert.equal(
      world.calendar.live(B.email).length,
      0,
      'Ben was taken off it: our copy leaves his calendar',
    );
    assert.equal(world.calendar.live(A.email).length, 1);
  });

  it('turns a meeting in two syncing calendars into one activity with both people', async () => {
    const world = new World();
    const id = world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 4, 12));
    await world.cycle();
    await world.cycle();
    const all = world.severa.all();
    assert.equal(all.length, 1, 'one activity, not one per attendee');
    assert.deepEqual([all[0]!.ownerGuid, ...all[0]!.participantGuids].sort(), [
      A.severaUserGuid,
      B.severaUserGuid,
    ]);
    assert.deepEqual(
      world.store
        .allLinks()
        .map((l) => [l.user, l.googleId])
        .sort(),
      [
        [A.severaUserGuid, id],
        [B.severaUserGuid, id],
      ],
    );
    assert.equal(world.calendar.live(A.email).length, 1);
    assert.equal(world.calendar.live(B.email).length, 1);
    assert.equal(await settled(world), 0);
  });

  it('two attendees syncing at the same moment still make one activity (meeting claim)', async () => {
    for (let round = 0; round < 5; round += 1) {
      const world = new World();
      world.calendar.humanCreateMeeting([A.email, B.email], timed(`Kick-off ${round}`, 4, 12));
      // Both runs interleave at every await: the claim lets one create, the other defers and joins next time.
      const results = await Promise.all([world.sync(A), world.sync(B)]);
      assert.equal(world.severa.all().length, 1, 'one activity while both ran');
      assert.equal(results.filter((r) => r.errors.some((e) => e.code === 'deferred')).length, 1);
      await world.cycle();
      const [activity] = world.severa.all();
      assert.equal(world.severa.all().length, 1);
      assert.deepEqual([activity!.ownerGuid, ...activity!.participantGuids].sort(), [
        A.severaUserGuid,
        B.severaUserGuid,
      ]);
      assert.equal(await settled(world), 0);
    }
  });

  it('an attendee whose create waits for another attendee keeps no create intent', async () => {
    // Left open, the waiting attendee's intent would later take an activity of the same content that attendee
    // creates for another event (a duplicate of the meeting) for the meeting's: that event would never sync.
    const world = new World();
    world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 4, 12));
    const results = await Promise.all([world.sync(A), world.sync(B)]);
    const waited = results.findIndex((r) => r.errors.some((e) => e.code === 'deferred'));
    assert.notEqual(waited, -1, 'one attendee waits for the other');
    const waiting = [A, B][waited]!;
    assert.deepEqual(await world.store.listIntents(waiting.severaUserGuid), []);
    await world.cycle();
    assert.equal(world.severa.all().length, 1);
    assert.equal(await settled(world), 0);
  });

  it('leaves an attendee’s create in flight to that attendee’s runs until its claim lapses', async () => {
    const world = new World();
    world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 4, 12));
    // B's run dies right after Severa created the meeting's activity, before its link was saved.
    world.onStep = (step) => {
      if (step === 'severa.create') throw new CrashInjectedError('crash after the create');
    };
    await assert.rejects(world.sync(B), CrashInjectedError);
    world.onStep = undefined;
    assert.equal(world.severa.all().length, 1);
    // A's run does not take B's activity while B's claim stands (B may still be creating); it waits.
    const early = await world.sync(A);
    assert.ok(early.errors.some((e) => e.code === 'deferred'));
    assert.equal(world.store.allLinks().length, 0);
    assert.equal(world.severa.all().length, 1, 'no second activity');
    // Once the claim has lapsed, A finishes B's create: B's link is saved and A joins.
    world.clock.advance(11 * 60_000);
    await world.sync(A);
    await world.sync(A);
    assert.equal(world.severa.all().length, 1, 'still one activity');
    assert.deepEqual(
      world.store
        .allLinks()
        .map((l) => l.user)
        .sort(),
      [A.severaUserGuid, B.severaUserGuid].sort(),
    );
    assert.equal(await settled(world), 0);
  });

  it('an attendee pairing a meeting with an activity of the same content waits while another creates it', async () => {
    const world = new World();
    // A entered the meeting in Severa herself; B has only the invitation.
    newSevera(world, 'Kick-off');
    world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 2, 9));
    await world.poll();
    // B's run creates the meeting's activity; right after Severa's create, before B's link is saved, A's run pairs
    // her event with her own activity by content (S6). Serialised, one of them brings the meeting to Severa and
    // the other joins it: never an activity each.
    const create = world.severa.create.bind(world.severa);
    let interleaved = false;
    world.severa.create = async (input) => {
      const created = await create(input);
      if (input.ownerGuid === B.severaUserGuid && !interleaved) {
        interleaved = true;
        await world.sync(A);
      }
      return created;
    };
    await world.sync(B);
    assert.ok(interleaved);
    await world.cycle();
    await world.cycle();
    const meeting = world.store.allLinks().filter((l) => l.iCalUID !== null && !l.googleId.startsWith('sv'));
    assert.deepEqual(
      meeting.map((l) => l.user).sort(),
      [A.severaUserGuid, B.severaUserGuid].sort(),
      'both attendees linked to the meeting',
    );
    assert.equal(new Set(meeting.map((l) => l.severaGuid)).size, 1, 'one activity for the meeting');
    assert.equal(await settled(world), 0);
  });

  it('two attendees pairing a meeting with the activity both are on do not wait for each other’s old creates', async () => {
    const world = new World();
    // B entered the meeting in Severa with A on it; each has a create intent left for the invitation by a run that
    // failed after writing it (nothing was created).
    world.severa.humanCreate({
      ownerGuid: B.severaUserGuid,
      content: timed('Kick-off', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
      participantGuids: [A.severaUserGuid],
    });
    const id = world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 2, 9));
    const [event] = world.calendar.live(A.email);
    for (const user of [A, B]) {
      await world.store.putIntent(user.severaUserGuid, {
        googleId: id,
        iCalUID: event!.iCalUID,
        content: event!.content,
        ownerGuid: user.severaUserGuid,
        from: '2026-03-01T00:00:00Z',
        to: '2026-03-06T00:00:00Z',
        at: world.clock.now().toISOString(),
      });
    }
    await world.poll();
    for (let i = 0; i < 3; i += 1) await world.cycle({ reconcile: true });
    const links = world.store.allLinks();
    assert.deepEqual(links.map((l) => l.user).sort(), [A.severaUserGuid, B.severaUserGuid].sort());
    assert.equal(new Set(links.map((l) => l.severaGuid)).size, 1, 'both paired with the one activity');
    assert.equal(world.severa.all().length, 1);
    assert.equal(await settled(world), 0);
  });

  it('an attendee whose run planned before the other finished still makes no second activity', async () => {
    const world = new World();
    world.calendar.humanCreateMeeting([A.email, B.email], timed('Late claim', 4, 12));
    // B's run plans (no peer link yet) and is about to create; A's whole run creates, links and releases its
    // claim in between. B must notice the new peer link under its own claim instead of creating a second one.
    const putIntent = world.store.putIntent.bind(world.store);
    let interleaved = false;
    world.store.putIntent = async (user, intent) => {
      await putIntent(user, intent);
      if (user === B.severaUserGuid && !interleaved) {
        interleaved = true;
        await world.sync(A);
      }
    };
    const result = await world.sync(B);
    assert.ok(interleaved);
    assert.equal(world.severa.all().length, 1, 'one activity');
    assert.ok(
      result.errors.some((e) => e.code === 'deferred'),
      'B waits and joins on its next run',
    );
    await world.cycle();
    const [activity] = world.severa.all();
    assert.equal(world.severa.all().length, 1);
    assert.deepEqual([activity!.ownerGuid, ...activity!.participantGuids].sort(), [
      A.severaUserGuid,
      B.severaUserGuid,
    ]);
    assert.equal(await settled(world), 0);
  });

  it('an attendee whose run stops right after joining a meeting held as occurrences makes no copy of it', async () => {
    const world = new World();
    // A rule Severa has no form for: the meeting is held as one activity per occurrence (S9 fallback).
    world.calendar.humanCreateMeeting([A.email, B.email], {
      ...timed('Standup', 0, 6),
      recurrence: {
        pattern: {
          kind: 'unsupported',
          lines: ['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH;BYWEEKNO=10,11,12,13,14,15'],
        },
        exdates: [],
        overrides: [],
      },
    });
    await world.sync(A);
    const activities = world.severa.all().length;
    assert.ok(activities > 1, 'held as occurrences');
    let joined = false;
    world.onStep = (step) => {
      if (step !== 'severa.addParticipant' || joined) return;
      joined = true;
      throw new CrashInjectedError('crash after the join');
    };
    await world.sync(B).catch((error: unknown) => {
      assert.ok(error instanceof CrashInjectedError);
    });
    world.onStep = undefined;
    assert.ok(joined);
    await world.cycle({ reconcile: true });
    await world.cycle({ reconcile: true });
    assert.equal(world.severa.all().length, activities, 'no activity of its own for the joined occurrence');
    assert.equal(
      world.calendar.live(B.email).filter((e) => e.severaGuid !== null).length,
      0,
      'no standalone copy beside the meeting',
    );
    for (const s of world.severa.all()) assert.ok(s.participantGuids.includes(B.severaUserGuid));
    assert.equal(await settled(world), 0);
  });

  it('an attendee removing the meeting from their calendar leaves it for the other', async () => {
    const world = new World();
    const id = world.calendar.humanCreateMeeting([A.email, B.email], timed('Kick-off', 4, 12));
    await world.cycle();
    await world.cycle();
    world.calendar.humanDelete([A.email], id);
    await world.cycle();
    const all = world.severa.all();
    assert.equal(all.length, 1);
    assert.equal(all[0]?.ownerGuid, B.severaUserGuid);
    assert.deepEqual(all[0].participantGuids, []);
    assert.equal(world.calendar.live(B.email).length, 1);
  });
});

describe('initial sync (S6)', () => {
  it('links entries that exist on both sides instead of duplicating them', async () => {
    const world = new World();
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: { ...timed('Weekly sync', 3, 7), notes: 'from Severa' },
      activityTypeGuid: TYPES.meeting.guid,
    });
    world.calendar.humanCreate(A.email, { ...timed('  weekly   SYNC ', 3, 7), location: 'Room 1' });
    world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: allDay('Offsite', '2026-03-10', '2026-03-12'),
      activityTypeGuid: TYPES.meeting.guid,
    });
    world.calendar.humanCreate(A.email, allDay('Offsite', '2026-03-10', '2026-03-12'));
    await world.cycle();
    assert.equal(world.severa.all().length, 2);
    assert.equal(world.calendar.live(A.email).length, 2);
    assert.ok(world.store.allLinks().every((l) => l.origin === 'matched'));
    assert.equal(await settled(world), 0);
  });

  it('skips entries that ended more than 30 days ago, but not series with future occurrences', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, timed('Old', -40, 9));
    world.calendar.humanCreate(A.email, {
      ...timed('Old series', -60, 9),
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
            end: { kind: 'forever' },
          },
        },
        exdates: [],
        overrides: [],
      },
    });
    await world.cycle();
    assert.deepEqual(
      world.severa.all().map((s) => s.content.title),
      ['Old series'],
    );
  });
});

describe('initial sync (S6) with a series Severa holds as occurrences (S9)', () => {
  // A rule Severa has no form for: the series is held as one activity per occurrence.
  const series = (hour: number, exdates: readonly string[] = []) => ({
    ...timed('Standup', 0, hour),
    recurrence: {
      pattern: {
        kind: 'unsupported' as const,
        lines: ['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH;BYWEEKNO=10,11,12,13,14,15'],
      },
      exdates,
      overrides: [],
    },
  });
  /** A's own activity for the occurrence of 3 March at 06:00 UTC, entered in Severa by hand. */
  async function enteredTwice() {
    const world = new World();
    const id = world.calendar.humanCreate(A.email, series(6)).id;
    const own = world.severa.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Standup', 1, 6),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await world.poll();
    await world.cycle({ reconcile: true });
    const link = world.store.allLinks().find((l) => l.severaGuid === own.guid);
    assert.equal(link?.googleId, `${id}_20260303T060000Z`, 'paired with its occurrence');
    assert.equal(link.origin, 'matched');
    assert.equal(world.severa.all().length, 4, 'one activity per occurrence, the person’s among them');
    return { world, id, own };
  }

  it('keeps a person’s activity paired with an occurrence when the whole series moves', async () => {
    const { world, id, own } = await enteredTwice();
    world.calendar.humanUpdate([A.email], id, { timing: series(7).timing });
    await world.cycle({ reconcile: true });
    await world.cycle({ reconcile: true });
    const kept = world.severa.all().find((s) => s.guid === own.guid);
    assert.ok(kept, 'a person’s entry goes only by a person’s deletion');
    assert.ok(sameContent(kept.content, own.content));
    // It is an entry of its own now, with its own copy; the moved occurrences have theirs.
    const copy = world.store.allLinks().find((l) => l.severaGuid === own.guid);
    assert.equal(copy?.googleId, googleEventIdFor(own.guid));
    assert.equal(world.severa.all().length, 5);
    assert.equal(await settled(world), 0);
  });

  it('deletes it when the person cancels that occurrence in Google', async () => {
    const { world, id, own } = await enteredTwice();
    world.calendar.humanUpdate([A.email], id, { recurrence: series(6, ['2026-03-03T06:00:00Z']).recurrence });
    await world.cycle({ reconcile: true });
    assert.equal(
      world.severa.all().find((s) => s.guid === own.guid),
      undefined,
    );
    assert.equal(world.severa.all().length, 3);
    assert.equal(await settled(world), 0);
  });
});

describe('deletion safety (B3): only the deletions wait', () => {
  const SAFETY = { deletionSafety: { maxCount: 3, maxShare: 0.5, shareFloor: 3 } };

  /** Aino with `n` synced activities; she then deletes the first `deleted` of their copies in Google. */
  async function massDeletion(n: number, deleted: number) {
    const world = new World({ settings: SAFETY });
    const activities = Array.from({ length: n }, (_, i) => newSevera(world, `Entry ${i}`));
    await world.cycle();
    const copies = world.calendar.live(A.email);
    for (const e of copies.slice(0, deleted)) world.calendar.humanDelete([A.email], e.id);
    const gone = new Set(copies.slice(0, deleted).map((e) => e.severaGuid));
    return { world, activities, kept: activities.filter((s) => !gone.has(s.guid)) };
  }

  it('a rejected hold of occurrences whose series moved back leaves the occurrences paired, no copies made', async () => {
    const world = new World({ settings: { deletionSafety: { maxCount: 1, maxShare: 0.3, shareFloor: 1 } } });
    // A rule Severa has no form for: one activity per occurrence, linked to its instance id.
    const series = (hour: number) => ({
      ...timed('Standup', 0, hour),
      recurrence: {
        pattern: {
          kind: 'unsupported' as const,
          lines: ['RRULE:FREQ=WEEKLY;COUNT=4;BYDAY=TU,TH;BYWEEKNO=10,11,12,13,14,15'],
        },
        exdates: [],
        overrides: [],
      },
    });
    const id = world.calendar.humanCreate(A.email, series(6)).id;
    await world.cycle();
    const before = world.store
      .allLinks()
      .map((l) => l.googleId)
      .sort();
    assert.equal(before.length, 4);
    // Moved an hour: every occurrence id changes, and their deletions are held. Moved back before anyone decides.
    world.calendar.humanUpdate([A.email], id, { timing: series(7).timing });
    await world.cycle();
    assert.notEqual(await world.store.getHold(A.severaUserGuid), null);
    world.calendar.humanUpdate([A.email], id, { timing: series(6).timing });
    const hold = await world.store.getHold(A.severaUserGuid);
    await world.store.setHold(A.severaUserGuid, {
      ...hold!,
      decision: { kind: 'reject', at: world.clock.now().toISOString(), by: 'admin@example.com' },
    });
    for (let i = 0; i < 3; i += 1) await world.cycle({ reconcile: true });
    const live = new Set(world.calendar.live(A.email).map((e) => e.id));
    assert.deepEqual([...live], [id], 'no standalone copies of the occurrences');
    const linked = world.store.allLinks().map((l) => l.googleId);
    assert.ok(
      before.every((g) => linked.includes(g)),
      'the series’ occurrences are paired again',
    );
    assert.equal(await settled(world), 0);
  });

  it('holds the deletions, syncs everything else, reads nothing of what it holds, and applies them once confirmed', async () => {
    const { world, kept } = await massDeletion(8, 6);
    world.severa.humanUpdate(kept[0]!.guid, { content: { title: 'Entry renamed' } });
    world.calendar.humanCreate(A.email, timed('Dentist', 3, 12));
    const [held] = await world.cycle();
    assert.ok(held);
    assert.equal(held.plan.held?.reason, 'too-many-deletions');
    assert.equal(held.status.state, 'held');
    assert.match(
      held.status.message ?? '',
      /6 deletions are held for aino@example\.com: together they would delete 6 of 8/,
    );
    assert.match(held.status.message ?? '', /everything else keeps syncing/);
    assert.match(held.status.message ?? '', /npm run cli -- user hold confirm aino@example\.com/);
    assert.ok(held.status.lastSuccessAt, 'the run itself succeeded');
    assert.equal(world.severa.all().length, 9, 'nothing deleted; the new event came in');
    assert.ok(world.severa.all().some((s) => s.content.title === 'Dentist'));
    assert.ok(world.calendar.live(A.email).some((e) => e.content.title === 'Entry renamed'));
    assert.equal((await world.store.listHeld(A.severaUserGuid)).length, 6);

    // Held pairs cost nothing: a quiet reconcile cycle reads only the pairs that are not held.
    const before = { severa: world.severa.calls.reads, google: world.calendar.calls.reads };
    const quietRuns = await world.cycle({ reconcile: true });
    const [quiet] = quietRuns;
    assert.equal(quiet?.status.state, 'held');
    assert.equal(quiet.plan.actions.length, 0);
    const reads = {
      severa: world.severa.calls.reads - before.severa,
      google: world.calendar.calls.reads - before.google,
    };
    // The org poll, and per syncing person one listing of each side: no read per held pair.
    assert.ok(reads.severa <= 1 + quietRuns.length, `Severa reads in a quiet held cycle: ${reads.severa}`);
    assert.ok(reads.google <= quietRuns.length, `Google reads in a quiet held cycle: ${reads.google}`);

    await world.sync(A, { confirmDeletions: true });
    assert.equal(world.severa.all().length, 3, 'the six deletions applied');
    assert.equal(await world.store.getHold(A.severaUserGuid), null);
    assert.equal((await world.store.listHeld(A.severaUserGuid)).length, 0);
    assert.equal(world.store.statusOf(A.severaUserGuid).state, 'healthy');
    assert.equal(await settled(world), 0);
  });

  it('a rejected hold restores the entries: the events are made again from Severa', async () => {
    const { world, activities } = await massDeletion(6, 6);
    await world.cycle();
    assert.equal(world.calendar.live(A.email).length, 0);
    const hold = await world.store.getHold(A.severaUserGuid);
    assert.ok(hold);
    await world.store.setHold(A.severaUserGuid, {
      ...hold,
      decision: { kind: 'reject', at: '2026-03-02T09:00:00Z', by: 'test' },
    });
    const [restored] = await world.cycle();
    assert.equal(restored?.status.state, 'healthy');
    assert.equal(world.severa.all().length, 6, 'no activity was deleted');
    assert.deepEqual(
      world.calendar
        .live(A.email)
        .map((e) => e.severaGuid)
        .sort(),
      activities.map((s) => s.guid).sort(),
      'every event is back, linked to its activity',
    );
    assert.equal(await world.store.getHold(A.severaUserGuid), null);
    assert.equal(await settled(world), 0);
  });

  it('deletions while a hold is open wait with it, and a change to a held entry wins over its deletion', async () => {
    const { world, kept } = await massDeletion(8, 6);
    await world.cycle();
    // One more deletion, under the threshold on its own: it joins the hold instead of being applied.
    const more = world.calendar.live(A.email).find((e) => e.severaGuid === kept[0]!.guid);
    assert.ok(more);
    world.calendar.humanDelete([A.email], more.id);
    await world.cycle();
    assert.equal(world.severa.all().length, 8);
    assert.equal((await world.store.getHold(A.severaUserGuid))?.deletions, 7);
    // The person edits one held activity in Severa: the edit wins, its event is made again.
    const edited = world.severa.all()[0]!;
    world.severa.humanUpdate(edited.guid, { content: { notes: 'still on' } });
    await world.cycle();
    assert.ok(
      world.calendar
        .live(A.email)
        .some((e) => e.severaGuid === edited.guid && e.content.notes === 'still on'),
    );
    assert.equal((await world.store.getHold(A.severaUserGuid))?.deletions, 6);
  });

  it('an empty listing holds, lets Severa news through, and a confirmation reads each event before it deletes', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    for (const e of world.calendar.live(A.email)) world.calendar.humanDelete([A.email], e.id);
    world.calendar.invalidateSyncTokens(A.email);
    newSevera(world, 'New from Severa');
    await world.poll();
    const result = await world.sync(A);
    assert.equal(result.plan.held?.reason, 'google-listing-empty');
    assert.match(result.status.message ?? '', /Google returned an empty calendar for aino@example\.com/);
    assert.equal(world.severa.all().length, 2, 'nothing deleted');
    assert.ok(world.calendar.live(A.email).some((e) => e.content.title === 'New from Severa'));
    await world.sync(A, { confirmDeletions: true });
    assert.deepEqual(
      world.severa.all().map((x) => x.content.title),
      ['New from Severa'],
      'confirmed: the event was read, found gone, and its activity deleted',
    );
    assert.equal(
      world.severa.all().some((x) => x.guid === s.guid),
      false,
    );
  });
});

describe('failures, crashes and races (B4, B8, SPEC §11)', () => {
  it('a crash after every possible step, then a rerun, never duplicates', async () => {
    for (let crashAt = 0; crashAt < 12; crashAt += 1) {
      const world = new World();
      newSevera(world, 'From Severa');
      world.calendar.humanCreate(A.email, timed('From Google', 1, 9));
      await world.poll();
      let steps = 0;
      world.onStep = () => {
        steps += 1;
        if (steps > crashAt) throw new CrashInjectedError('crash');
      };
      await world.sync(A).catch((error: unknown) => {
        assert.ok(error instanceof CrashInjectedError);
      });
      world.onStep = undefined;
      await world.cycle({ reconcile: true });
      await world.cycle({ reconcile: true });
      assert.equal(world.severa.all().length, 2, `crash after step ${crashAt}: Severa`);
      assert.equal(world.calendar.live(A.email).length, 2, `crash after step ${crashAt}: Google`);
      assert.equal(world.store.allLinks().length, 2);
      assert.equal(await settled(world), 0);
    }
  });

  it('a lost response after a successful write is retried safely', async () => {
    const world = new World();
    world.calendar.humanCreate(A.email, timed('Planning', 1, 9));
    newSevera(world, 'Review');
    world.severa.faults.inject(1, { timing: 'after', kind: 'transient' });
    world.calendar.faults.inject(1, { timing: 'after', kind: 'transient' });
    const [first] = await world.cycle();
    assert.equal(first?.failed, 2);
    assert.equal(first.status.state, 'error');
    assert.match(first.status.message ?? '', /will be retried automatically/);
    await world.cycle();
    assert.equal(world.severa.all().length, 2);
    assert.equal(world.calendar.live(A.email).length, 2);
    assert.equal(await settled(world), 0);
  });

  it('a human edit between our read and our write (412) is re-read and merged in the same run', async () => {
    const world = new World();
    const s = newSevera(world);
    await world.cycle();
    world.severa.humanUpdate(s.guid, { content: { notes: 'Severa notes' } });
    await world.poll();
    // Between the poll and the write, the person edits the Google copy: the If-Match write fails with 412.
    let raced = false;
    const original = world.calendar.update.bind(world.calendar);
    world.calendar.update = async (user, id, etag, write) => {
      if (!raced) {
        raced = true;
        world.calendar.humanUpdate([A.email], id, { location: 'Changed meanwhile' });
      }
      return original(user, id, etag, write);
    };
    const result = await world.sync(A);
    assert.equal(result.failed, 0);
    const g = world.calendar.live(A.email)[0]!;
    assert.equal(g.content.notes, 'Severa notes');
    assert.equal(g.content.location, 'Changed meanwhile');
    assert.equal(world.severa.all()[0]?.content.location, 'Changed meanwhile');
  });

  it('an invalidated sync token (410) leads to a full resync without duplicates', async () => {
    const world = new World();
    newSevera(world);
    world.calendar.humanCreate(A.email, timed('Mine', 1, 9));
    await world.cycle();
    world.calendar.invalidateSyncTokens(A.email);
    assert.equal(await settled(world), 0);
    assert.equal(world.severa.all().length, 2);
    assert.equal(world.calendar.live(A.email).length, 2);
  });
});

describe('org poll (SPEC §5 syncTick)', () => {
  it('asks Severa once per cycle for the whole organisation, and routes changes to the people concerned', async () => {
    const world = new World();
    newSevera(world, 'Only Ben', B.severaUserGuid);
    const before = world.severa.calls.reads;
    const users = await world.poll();
    assert.equal(world.severa.calls.reads - before, 1);
    assert.deepEqual(users, [B.severaUserGuid]);
    assert.equal((await world.store.readInbox(B.severaUserGuid)).length, 1);
    assert.equal((await world.store.readInbox(A.severaUserGuid)).length, 0);
  });
});

describe('preview (B1)', () => {
  it('a dry run plans the first sync and writes nothing', async () => {
    const world = new World();
    newSevera(world, 'A');
    newSevera(world, 'B');
    world.calendar.humanCreate(A.email, timed('C', 1, 9));
    world.calendar.humanCreate(A.email, timed('A', 2, 9));
    await world.poll();
    const result = await world.sync(A, { dryRun: true });
    const kinds = result.plan.actions.map((a) => a.kind).sort();
    assert.deepEqual(kinds, ['create-google', 'create-severa', 'update']);
    const preview = previewOf(result.plan);
    assert.deepEqual(
      [
        preview.createInGoogle,
        preview.createInSevera,
        preview.matched,
        preview.deleteInGoogle,
        preview.deleteInSevera,
      ],
      [1, 1, 1, 0, 0],
    );
    assert.deepEqual(preview.examples, { createInGoogle: ['B'], createInSevera: ['C'], matched: ['A'] });
    assert.equal(world.writes(), 0);
    assert.equal(world.store.allLinks().length, 0);
  });
});

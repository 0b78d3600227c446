/**
 * B3 holds with several people on real infrastructure (issue 9 #11): the production worker and tick over the
 * Firestore emulator and the two simulators. One person deletes most of their calendar at once: only their deletions
 * wait, their other changes and everybody else's keep syncing, the held person costs the org a constant number of
 * requests per cycle, and an administrator releases or rejects the hold through the operator (audited).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { createOperator, type Operator } from '../../shared/app/operator/index.js';
import { emulatorHost, stopOwnEmulators } from '../../scripts/emulators.js';
import { DEMO_TYPES, LiveOrg, PEOPLE, type Person } from '../support/live-org.js';

const ENTRIES = 30;
const DELETED = 25;

async function start(): Promise<{ org: LiveOrg; operator: Operator } | { skip: string }> {
  const org = await LiveOrg.start({ syncing: ['aino', 'ben', 'cecilia'] });
  if ('skip' in org) return org;
  const operator = createOperator(org.container);
  return { org, operator };
}

function createActivity(org: LiveOrg, person: Person, name: string, day: number): void {
  const date = `2026-12-${String(10 + (day % 18)).padStart(2, '0')}`;
  const hour = String(8 + Math.floor(day / 18)).padStart(2, '0');
  org.severaSim.act({
    action: 'create',
    as: PEOPLE[person].guid,
    activity: {
      name,
      startDateTime: `${date}T${hour}:00:00+02:00`,
      endDateTime: `${date}T${hour}:30:00+02:00`,
      activityType: { guid: DEMO_TYPES.meeting },
      ownerUser: { guid: PEOPLE[person].guid },
    },
  });
}

/** Severa GETs so far (the org poll, listings and reads by id). */
function severaReads(org: LiveOrg): number {
  return org.answered('severa', { method: 'GET' });
}

const firestoreHost = await emulatorHost('firestore');
const skip = 'skip' in firestoreHost ? firestoreHost.skip : null;
if (skip !== null) console.log(`skipped: ${skip}`);

describe('B3 holds with several people, on the emulators', { skip: skip ?? false }, () => {
  const orgs: LiveOrg[] = [];
  after(async () => {
    await Promise.all(orgs.map((o) => o.close()));
    await stopOwnEmulators();
  });

  it('holds only the mass deletion: everyone else, and the rest of that person, keeps syncing at O(1) cost; rejecting restores', async () => {
    const started = await start();
    assert.ok(!('skip' in started));
    const { org, operator } = started;
    orgs.push(org);
    for (let i = 0; i < ENTRIES; i += 1) createActivity(org, 'aino', `Aino entry ${i}`, i);
    createActivity(org, 'cecilia', 'Cecilia review', 3);
    await org.poll();
    await org.syncAll(['aino', 'ben', 'cecilia'], true);
    assert.equal(org.events('aino').length, ENTRIES);

    // Aino empties most of her calendar; meanwhile she and the others go on working.
    for (const event of org.events('aino').slice(0, DELETED)) {
      org.calendarSim.act({ action: 'delete', as: PEOPLE.aino.email, id: event.id });
    }
    org.calendarSim.act({
      action: 'create',
      as: PEOPLE.aino.email,
      event: {
        summary: 'Aino dentist',
        start: { dateTime: '2026-12-15T09:00:00+02:00' },
        end: { dateTime: '2026-12-15T10:00:00+02:00' },
      },
    });
    org.calendarSim.act({
      action: 'create',
      as: PEOPLE.ben.email,
      event: {
        summary: 'Ben planning',
        start: { dateTime: '2026-12-16T09:00:00-05:00' },
        end: { dateTime: '2026-12-16T10:00:00-05:00' },
      },
    });
    const review = org.activitiesNamed('Cecilia review')[0];
    assert.ok(review);
    org.severaSim.act({
      action: 'update',
      as: PEOPLE.cecilia.guid,
      guid: review.guid,
      changes: { location: 'Room 3' },
    });
    await org.poll();
    await org.syncAll(['aino', 'ben', 'cecilia']);

    const aino = await operator.userStatus(PEOPLE.aino.email);
    assert.equal(aino.state, 'held');
    assert.equal(aino.hold?.deletions, DELETED);
    assert.equal(aino.hold.reason, 'too-many-deletions');
    assert.ok(aino.lastSuccessAt, 'the run succeeded apart from what it holds');
    assert.match(aino.message ?? '', /npm run cli -- user hold confirm aino@demo\.example/);
    assert.equal(
      org.activities().filter((a) => a.name.startsWith('Aino entry')).length,
      ENTRIES,
      'nothing deleted',
    );
    assert.equal(org.activitiesNamed('Aino dentist').length, 1, "the held person's new event is synced");
    assert.equal(org.activitiesNamed('Ben planning').length, 1, "another person's event is synced");
    assert.equal(org.eventsNamed('cecilia', 'Cecilia review')[0]?.location, 'Room 3');
    for (const person of ['ben', 'cecilia'] as const) {
      const view = await operator.userStatus(PEOPLE[person].email);
      assert.equal(view.state, 'healthy', person);
      assert.equal(view.behindSince, null, person);
    }

    // Quiet reconcile cycles of the held person cost the same whatever the hold's size: no read per held pair.
    const before = severaReads(org);
    await org.syncAll(['aino'], true);
    const quiet = severaReads(org) - before;
    console.log(`Severa GETs of a quiet reconcile run of a person with ${DELETED} held deletions: ${quiet}`);
    assert.ok(quiet < 5, `Severa GETs of a quiet held run: ${quiet}`);

    // The administrator rejects the hold: audited, and the next run makes the events again from Severa.
    const decided = await operator.decideHold(PEOPLE.aino.email, 'reject', 'admin@demo.example');
    assert.equal(decided.deletions, DELETED);
    const audit = await org.container.stores.audit.listForUser(PEOPLE.aino.guid, 50);
    const line = audit.find((a) => a.kind === 'hold-reject');
    assert.ok(line, 'the decision is audited');
    assert.match(line.why, /admin@demo\.example rejected 25 held deletions/);
    await org.drain();
    assert.equal(org.events('aino').filter((e) => e.summary?.startsWith('Aino entry')).length, ENTRIES);
    assert.equal(org.activities().filter((a) => a.name.startsWith('Aino entry')).length, ENTRIES);
    const after = await operator.userStatus(PEOPLE.aino.email);
    assert.equal(after.state, 'healthy');
    assert.equal(after.hold, null);
    await assert.rejects(
      operator.decideHold(PEOPLE.aino.email, 'confirm', 'admin@demo.example'),
      /Nothing is held/,
    );
  });

  it('a confirmed hold applies the deletions, and the confirmation is audited', async () => {
    const started = await start();
    assert.ok(!('skip' in started));
    const { org, operator } = started;
    orgs.push(org);
    for (let i = 0; i < 10; i += 1) createActivity(org, 'ben', `Ben ${i}`, i);
    await org.poll();
    await org.syncAll(['ben'], true);
    for (const event of org.events('ben').slice(0, 8)) {
      org.calendarSim.act({ action: 'delete', as: PEOPLE.ben.email, id: event.id });
    }
    await org.syncAll(['ben']);
    assert.equal((await operator.userStatus(PEOPLE.ben.email)).hold?.deletions, 8);
    assert.equal(org.activities().filter((a) => a.name.startsWith('Ben ')).length, 10);
    await operator.decideHold(PEOPLE.ben.email, 'confirm', 'admin@demo.example');
    await org.drain();
    assert.equal(org.activities().filter((a) => a.name.startsWith('Ben ')).length, 2);
    const view = await operator.userStatus(PEOPLE.ben.email);
    assert.equal(view.state, 'healthy');
    assert.equal(view.hold, null);
    const audit = await org.container.stores.audit.listForUser(PEOPLE.ben.guid, 50);
    assert.ok(audit.some((a) => a.kind === 'hold-confirm' && /confirmed 8 held deletions/.test(a.why)));
    assert.equal(
      audit.filter((a) => a.kind === 'delete-severa').length,
      8,
      'each deletion audited as applied',
    );
  });
});

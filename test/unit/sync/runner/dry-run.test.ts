/**
 * The one dry-run wrapper (B1 preview): reads pass through to the real ports, and no write reaches them. Run over
 * the in-memory services.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { sideVersionOf, type Link } from '../../../../shared/domain/index.js';
import {
  dryRunDeps,
  droppingWrites,
  readOnlyCalendar,
  readOnlySevera,
} from '../../../../shared/sync/runner/dry-run.js';
import { TYPES, USERS, World, timed } from '../../../support/world.js';

const A = USERS.aino;
const B = USERS.ben;

function activity(world: World) {
  return world.severa.humanCreate({
    ownerGuid: A.severaUserGuid,
    content: timed('Workshop', 2, 9),
    activityTypeGuid: TYPES.meeting.guid,
  });
}

describe('dry run (B1)', () => {
  it('reads Severa through and refuses every Severa write', async () => {
    const world = new World();
    const s = activity(world);
    const severa = readOnlySevera(world.severa);
    assert.equal((await severa.get(s.guid))?.guid, s.guid);
    assert.deepEqual(
      (await severa.listChangedSince('2026-01-01T00:00:00Z')).map((r) => r.guid),
      [s.guid],
    );
    const before = world.severa.all();
    const expected = { ...sideVersionOf(s), ownerGuid: A.severaUserGuid, participantGuids: [] };
    const writes: [string, Promise<unknown>][] = [
      [
        'Severa create',
        severa.create({
          content: s.content,
          activityTypeGuid: TYPES.meeting.guid,
          ownerGuid: A.severaUserGuid,
        }),
      ],
      ['Severa update', severa.update(s.guid, sideVersionOf(s), { content: timed('Changed', 2, 9) })],
      ['Severa delete', severa.delete(s.guid, expected)],
      ['Severa addParticipant', severa.addParticipant(s.guid, B.severaUserGuid)],
      ['Severa removeParticipant', severa.removeParticipant(s.guid, A.severaUserGuid)],
    ];
    for (const [what, write] of writes) {
      await assert.rejects(write, { message: `a dry run must not write (${what})` });
    }
    assert.deepEqual(world.severa.all(), before);
    assert.equal(world.writes(), 0);
  });

  it('reads Google through and refuses every calendar write', async () => {
    const world = new World();
    const g = world.calendar.humanCreate(A.email, timed('Lunch', 1, 12));
    const calendar = readOnlyCalendar(world.calendar);
    assert.equal((await calendar.get(A, g.id))?.id, g.id);
    assert.equal((await calendar.findByICalUID(A, g.iCalUID))?.id, g.id);
    const listed = await calendar.list(A, { timeMin: '2026-01-01T00:00:00Z' });
    assert.deepEqual(
      listed.changes.map((c) => (c.kind === 'upsert' ? c.record.id : c.id)),
      [g.id],
    );
    const write = { content: timed('Changed', 1, 12), severaGuid: null };
    const writes: [string, Promise<unknown>][] = [
      ['Google insert', calendar.insert(A, 'copy1', write)],
      ['Google update', calendar.update(A, g.id, g.etag, write)],
      ['Google delete', calendar.delete(A, g.id, g.etag)],
    ];
    for (const [what, attempt] of writes) {
      await assert.rejects(attempt, { message: `a dry run must not write (${what})` });
    }
    assert.deepEqual(await world.calendar.get(A, g.id), g);
    assert.equal(world.writes(), 0);
  });

  it('reads the store through and drops its writes; a meeting claim is granted without being taken', async () => {
    const world = new World();
    const s = activity(world);
    const g = world.calendar.humanCreate(A.email, timed('Workshop', 2, 9));
    const link: Link = {
      user: A.severaUserGuid,
      severaGuid: s.guid,
      googleId: g.id,
      iCalUID: g.iCalUID,
      origin: 'severa',
      severa: sideVersionOf(s),
      google: { version: g.etag, hash: '' },
      base: s.content,
      syncedAt: '2026-03-02T08:00:00Z',
    };
    await world.store.putLink(link);
    const store = droppingWrites(world.store);
    assert.deepEqual(await store.listLinks(A.severaUserGuid), [link]);

    await store.deleteLink(link);
    await store.putLink({ ...link, googleId: 'other' });
    await store.saveSyncToken(A.severaUserGuid, 'token');
    await store.setStatus(A.severaUserGuid, {
      state: 'healthy',
      lastSuccessAt: null,
      message: null,
      pendingRetries: 0,
    });
    assert.deepEqual(world.store.allLinks(), [link]);
    assert.equal(await world.store.getSyncToken(A.severaUserGuid), null);
    assert.deepEqual(await store.getStatus(A.severaUserGuid), await world.store.getStatus(A.severaUserGuid));

    const now = '2026-03-02T08:00:00Z';
    assert.equal(await world.store.claimMeeting('meeting', B.severaUserGuid, now, now), B.severaUserGuid);
    assert.equal(await store.claimMeeting('meeting', A.severaUserGuid, now, now), A.severaUserGuid);
    // The real claim is still B's.
    assert.equal(await world.store.claimMeeting('meeting', A.severaUserGuid, now, now), B.severaUserGuid);
  });

  it('wraps all three ports and keeps the rest of the run as given', () => {
    const world = new World();
    const deps = world.deps();
    const dry = dryRunDeps(deps);
    assert.notEqual(dry.severa, deps.severa);
    assert.notEqual(dry.calendar, deps.calendar);
    assert.notEqual(dry.store, deps.store);
    assert.equal(dry.clock, deps.clock);
    assert.equal(dry.settings, deps.settings);
    assert.equal(dry.onApplied, deps.onApplied);
  });
});

/**
 * The in-memory services behave like the real ones in what the sync relies on (reference/severa-api.md,
 * reference/google-calendar.md). These are the behaviours the production adapters' contract suites check too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  NotFoundError,
  PreconditionFailedError,
  RateLimitedError,
  SyncTokenExpiredError,
  TransientError,
  deleteExpectationOf,
  sideVersionOf,
} from '../../../../shared/domain/index.js';
import { ALL_TYPES, ManualClock, TYPES, USERS, timed } from '../../../support/world.js';
import { MemoryCalendar } from '../../../../shared/adapters/memory/memory.calendar.js';
import { MemorySevera } from '../../../../shared/adapters/memory/memory.severa.js';
import { MemorySyncStore } from '../../../../shared/adapters/memory/memory.sync-store.js';
import { ServerClock } from '../../../../shared/adapters/memory/server-clock.js';

const A = USERS.aino;

function severa() {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  return { clock, api: new MemorySevera({ clock: new ServerClock(clock), activityTypes: ALL_TYPES }) };
}

function calendar() {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  return { clock, api: new MemoryCalendar({ clock: new ServerClock(clock) }) };
}

describe('MemorySevera', () => {
  it('moves lastUpdatedDateTime on every write and answers changedSince with ≥', async () => {
    const { clock, api } = severa();
    const created = await api.create({
      content: timed('Plan', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
      ownerGuid: A.severaUserGuid,
    });
    clock.advance(1000);
    const updated = await api.update(created.guid, sideVersionOf(created), {
      content: timed('Plan 2', 1, 9),
    });
    assert.ok(Date.parse(updated.version) > Date.parse(created.version));
    assert.deepEqual(
      (await api.listChangedSince(updated.version)).map((r) => r.guid),
      [created.guid],
      'greater or equal',
    );
    assert.deepEqual(await api.listChangedSince(new Date(Date.parse(updated.version) + 1).toISOString()), []);
  });

  it('has no deleted feed: a deleted activity simply vanishes, and GET gives null (404)', async () => {
    const { api } = severa();
    const s = api.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('X', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    api.humanDelete(s.guid);
    assert.deepEqual(await api.listChangedSince('2000-01-01T00:00:00Z'), []);
    assert.equal(await api.get(s.guid), null);
    await api.delete(s.guid, deleteExpectationOf(s)); // a 404 on delete counts as deleted
  });

  it('refuses a write against a version that moved (read-check-write)', async () => {
    const { clock, api } = severa();
    const s = api.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('X', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    clock.advance(1000);
    api.humanTouch(s.guid);
    await assert.rejects(
      api.update(s.guid, sideVersionOf(s), { content: s.content }),
      PreconditionFailedError,
    );
    await assert.rejects(api.update('missing', sideVersionOf(s), { content: s.content }), NotFoundError);
  });

  it('stamps whole seconds: a second write in the same second keeps the version, and is still refused', async () => {
    const { api } = severa();
    const s = api.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('X', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    assert.match(s.version, /:\d{2}\.000Z$/);
    const edited = api.humanUpdate(s.guid, { content: { location: 'Room 1' } });
    assert.equal(edited.version, s.version, 'the same second, the same lastUpdatedDateTime');
    await assert.rejects(
      api.update(s.guid, sideVersionOf(s), { content: s.content }),
      PreconditionFailedError,
    );
    await api.update(s.guid, sideVersionOf(edited), { content: { ...edited.content, notes: 'ok' } });
  });

  it('reports privacy from the type category, and who created what', async () => {
    const { api } = severa();
    const mine = await api.create({
      content: timed('Doctor', 1, 9),
      activityTypeGuid: TYPES.personal.guid,
      ownerGuid: A.severaUserGuid,
    });
    assert.equal(mine.content.isPrivate, true);
    assert.equal(mine.createdBy, await api.apiUserGuid());
    const theirs = api.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Y', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    assert.equal(theirs.createdBy, A.severaUserGuid);
  });

  it('lists a user’s window as owner or participant, ending after `from` and starting by `to`', async () => {
    const { api } = severa();
    api.humanCreate({
      ownerGuid: 'someone',
      participantGuids: [A.severaUserGuid],
      content: timed('In', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    api.humanCreate({
      ownerGuid: A.severaUserGuid,
      content: timed('Before', -5, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    api.humanCreate({
      ownerGuid: 'someone',
      content: timed('Not mine', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    const listed = await api.listForUser(A.severaUserGuid, {
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-10T00:00:00Z',
    });
    assert.deepEqual(
      listed.map((r) => r.content.title),
      ['In'],
    );
  });

  it('fails writes on demand, before or after their effect', async () => {
    const { api } = severa();
    const input = {
      content: timed('X', 1, 9),
      activityTypeGuid: TYPES.meeting.guid,
      ownerGuid: A.severaUserGuid,
    };
    api.faults.inject(1, { timing: 'before', kind: 'rate-limited' });
    await assert.rejects(api.create(input), RateLimitedError);
    assert.equal(api.all().length, 0);
    api.faults.inject(1, { timing: 'after', kind: 'transient' });
    await assert.rejects(api.create(input), TransientError);
    assert.equal(api.all().length, 1, 'the lost response hid a successful create');
  });
});

describe('MemoryCalendar', () => {
  it('returns exactly the changes since a sync token, deletions as cancelled', async () => {
    const { api } = calendar();
    const first = await api.list(A, { timeMin: '2026-02-01T00:00:00Z' });
    assert.deepEqual(first.changes, []);
    const e = api.humanCreate(A.email, timed('X', 1, 9));
    const second = await api.list(A, { syncToken: first.nextSyncToken });
    assert.deepEqual(
      second.changes.map((c) => c.kind),
      ['upsert'],
    );
    api.humanDelete([A.email], e.id);
    const third = await api.list(A, { syncToken: second.nextSyncToken });
    assert.deepEqual(third.changes, [{ kind: 'deleted', id: e.id }]);
    assert.deepEqual((await api.list(A, { syncToken: third.nextSyncToken })).changes, []);
  });

  it('answers an invalidated token with 410', async () => {
    const { api } = calendar();
    const { nextSyncToken } = await api.list(A, { timeMin: '2026-02-01T00:00:00Z' });
    api.invalidateSyncTokens(A.email);
    await assert.rejects(api.list(A, { syncToken: nextSyncToken }), SyncTokenExpiredError);
  });

  it('changes the etag on every write and refuses a stale If-Match (412)', async () => {
    const { api } = calendar();
    const e = api.humanCreate(A.email, timed('X', 1, 9));
    api.humanTouch(A.email, e.id);
    await assert.rejects(
      api.update(A, e.id, e.etag, { content: e.content, severaGuid: null }),
      PreconditionFailedError,
    );
    const current = (await api.get(A, e.id))!;
    assert.notEqual(current.etag, e.etag);
    const written = await api.update(A, e.id, current.etag, { content: timed('Y', 1, 9), severaGuid: null });
    assert.notEqual(written.etag, current.etag);
    assert.equal(written.severaGuid, null, 'a person’s event is never stamped');
  });

  it('makes inserts with a client id idempotent: the second gets the first (409), a deleted one comes back', async () => {
    const { api } = calendar();
    const write = { content: timed('X', 1, 9), severaGuid: 'guid-1' };
    const first = await api.insert(A, 'sv0000abcd', write);
    const again = await api.insert(A, 'sv0000abcd', write);
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(api.live(A.email).length, 1);
    await api.delete(A, 'sv0000abcd', again.record.etag);
    await api.delete(A, 'sv0000abcd', again.record.etag); // already deleted (410) counts as deleted
    const back = await api.insert(A, 'sv0000abcd', write);
    assert.equal(back.created, false);
    assert.equal(api.live(A.email).length, 1);
    await assert.rejects(api.insert(A, 'not-base32hex!', write), RangeError);
  });

  it('keeps a meeting’s copies under one id and iCalUID, one per attendee', () => {
    const { api } = calendar();
    const id = api.humanCreateMeeting([A.email, USERS.ben.email], timed('Kick-off', 1, 9));
    const [a] = api.live(A.email);
    const [b] = api.live(USERS.ben.email);
    assert.equal(a?.id, id);
    assert.equal(b?.iCalUID, a.iCalUID);
  });
});

describe('MemorySyncStore', () => {
  it('keeps one link per user and event, and the newest version of each routed activity', async () => {
    const store = new MemorySyncStore();
    const link = {
      user: 'u',
      severaGuid: 's1',
      googleId: 'g1',
      iCalUID: null,
      origin: 'google' as const,
      severa: { version: 'v', hash: 'h' },
      google: { version: 'e', hash: 'h' },
      base: timed('X', 1, 9),
      syncedAt: '2026-03-02T08:00:00Z',
    };
    await store.putLink(link);
    await store.putLink({ ...link, severaGuid: 's2' });
    assert.deepEqual(
      (await store.listLinks('u')).map((l) => l.severaGuid),
      ['s2'],
    );
    const record = (version: string) => ({
      guid: 's1',
      version,
      content: timed('X', 1, 9),
      activityType: TYPES.meeting,
      ownerGuid: 'u',
      participantGuids: [],
      isProjectTask: false,
      createdAt: null,
      createdBy: null,
    });
    await store.addToInbox('u', [record('2026-03-02T08:00:02Z')]);
    await store.addToInbox('u', [record('2026-03-02T08:00:01Z')]);
    const inbox = await store.readInbox('u');
    assert.deepEqual(
      inbox.map((i) => i.record.version),
      ['2026-03-02T08:00:02Z'],
    );
    await store.addToInbox('u', [record('2026-03-02T08:00:03Z')]);
    await store.ackInbox('u', inbox);
    assert.equal((await store.readInbox('u')).length, 1, 'a newer version that arrived meanwhile stays');
  });

  it('gives a meeting claim to one user at a time until it is released or stale', async () => {
    const store = new MemorySyncStore();
    assert.equal(await store.claimMeeting('m', 'a', '2026-03-02T08:00:00Z', '2026-03-02T07:50:00Z'), 'a');
    assert.equal(await store.claimMeeting('m', 'b', '2026-03-02T08:01:00Z', '2026-03-02T07:51:00Z'), 'a');
    assert.equal(
      await store.claimMeeting('m', 'b', '2026-03-02T08:20:00Z', '2026-03-02T08:10:00Z'),
      'b',
      'stale',
    );
    await store.releaseMeeting('m', 'b');
    assert.equal(await store.claimMeeting('m', 'a', '2026-03-02T08:21:00Z', '2026-03-02T08:11:00Z'), 'a');
  });
});

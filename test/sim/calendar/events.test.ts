import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { WriteLogEntry } from './index.js';
import { DEMO_EVENT_IDS, DEMO_USERS, demoFixture } from './demo-fixture.js';
import { startDemo, type Harness } from './test-support.js';

interface Events {
  items: { id: string; status: string; etag: string; summary?: string; recurringEventId?: string }[];
  nextPageToken?: string;
  nextSyncToken?: string;
}
interface ApiError {
  error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[] };
}

const { aino, ben, cecilia } = DEMO_USERS;
const timed = (day: string): { start: object; end: object } => ({
  start: { dateTime: `${day}T08:00:00Z` },
  end: { dateTime: `${day}T09:00:00Z` },
});

async function reason(res: Response): Promise<string | undefined> {
  return ((await res.json()) as ApiError).error.errors[0]?.reason;
}

describe('calendar sim: events (google-calendar.md §1, §3)', () => {
  let h: Harness;
  before(async () => {
    h = await startDemo({ seed: 7 });
  });
  after(async () => {
    await h.sim.stop();
  });

  /** Pages a full listing; returns every page. */
  async function pages(user: string, query: string): Promise<Events[]> {
    const out: Events[] = [];
    let pageToken: string | undefined;
    do {
      const q = pageToken === undefined ? query : `${query}&pageToken=${encodeURIComponent(pageToken)}`;
      const res = await h.call(user, 'GET', `/calendars/primary/events?${q}`);
      assert.equal(res.status, 200);
      const page = (await res.json()) as Events;
      out.push(page);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return out;
  }

  it('pages a full listing with nextSyncToken only on the last page, then syncs incrementally', async () => {
    for (let i = 0; i < 7; i += 1) {
      const res = await h.call(cecilia, 'POST', '/calendars/primary/events', {
        summary: `e${i}`,
        ...timed('2026-12-10'),
      });
      assert.equal(res.status, 200);
    }
    const full = await pages(cecilia, 'maxResults=3');
    assert.equal(full.length, 3);
    assert.deepEqual(
      full.map((p) => [p.items.length, p.nextPageToken !== undefined, p.nextSyncToken !== undefined]),
      [
        [3, true, false],
        [3, true, false],
        [2, false, true],
      ],
    );
    const ids = full.flatMap((p) => p.items.map((e) => e.id));
    assert.equal(new Set(ids).size, 8);
    const syncToken = full[2]?.nextSyncToken ?? '';

    // Nothing changed → empty delta; then a delete and an edit come back, the delete as cancelled.
    const none = await pages(cecilia, `syncToken=${encodeURIComponent(syncToken)}`);
    assert.deepEqual(
      none.flatMap((p) => p.items),
      [],
    );
    const [first, second] = ids;
    assert.equal((await h.call(cecilia, 'DELETE', `/calendars/primary/events/${first}`)).status, 204);
    assert.equal(
      (await h.call(cecilia, 'PATCH', `/calendars/primary/events/${second}`, { summary: 'x' })).status,
      200,
    );
    const delta = (await pages(cecilia, `syncToken=${encodeURIComponent(syncToken)}`)).flatMap(
      (p) => p.items,
    );
    assert.deepEqual(
      delta.map((e) => [e.id, e.status]).sort(),
      [
        [first, 'cancelled'],
        [second, 'confirmed'],
      ].sort(),
    );
    // A full listing hides the deleted one unless showDeleted.
    assert.equal((await pages(cecilia, 'maxResults=100')).flatMap((p) => p.items).length, 7);
    assert.equal((await pages(cecilia, 'showDeleted=true')).flatMap((p) => p.items).length, 8);
  });

  it('refuses syncToken with timeMin (400) and answers 410 fullSyncRequired after invalidation', async () => {
    const [page] = await pages(ben, 'maxResults=2500');
    const token = encodeURIComponent(page?.nextSyncToken ?? '');
    const bad = await h.call(
      ben,
      'GET',
      `/calendars/primary/events?syncToken=${token}&timeMin=2026-01-01T00:00:00Z`,
    );
    assert.equal(bad.status, 400);
    assert.equal(await reason(bad), 'invalid');
    h.sim.act({ action: 'invalidateSyncTokens', as: ben });
    const gone = await h.call(ben, 'GET', `/calendars/primary/events?syncToken=${token}`);
    assert.equal(gone.status, 410);
    const body = (await gone.json()) as ApiError;
    assert.equal(body.error.errors[0]?.reason, 'fullSyncRequired');
    assert.equal(body.error.message, 'Sync token is no longer valid, a full sync is required.');
  });

  it('inserts with a client id: iCalUID default, 409 duplicate on retry, 400 for an invalid id', async () => {
    const body = { id: 'abc0123456789v', summary: 'Idempotent', ...timed('2026-12-11') };
    const res = await h.call(ben, 'POST', '/calendars/primary/events', body);
    assert.equal(res.status, 200);
    const ev = (await res.json()) as {
      id: string;
      iCalUID: string;
      etag: string;
      eventType: string;
      sequence: number;
    };
    assert.equal(ev.iCalUID, 'abc0123456789v@google.com');
    assert.match(ev.etag, /^"\d+"$/);
    assert.equal(ev.eventType, 'default');
    assert.equal(ev.sequence, 0);
    const again = await h.call(ben, 'POST', '/calendars/primary/events', body);
    assert.equal(again.status, 409);
    assert.equal(await reason(again), 'duplicate');
    for (const id of ['abcd', 'ABCDEF12', 'xyz12345', 'abc-12345']) {
      const bad = await h.call(ben, 'POST', '/calendars/primary/events', { ...body, id });
      assert.equal(bad.status, 400, id);
      assert.equal(await reason(bad), 'invalid');
    }
  });

  it('honours If-Match: the loser of a race gets 412 conditionNotMet', async () => {
    const created = (await (
      await h.call(aino, 'POST', '/calendars/primary/events', { summary: 'race', ...timed('2026-12-12') })
    ).json()) as { id: string; etag: string };
    const path = `/calendars/primary/events/${created.id}`;
    const win = await h.call(aino, 'PATCH', path, { summary: 'A' }, { 'if-match': created.etag });
    assert.equal(win.status, 200);
    const won = (await win.json()) as { etag: string; summary: string };
    assert.notEqual(won.etag, created.etag);
    const lose = await h.call(
      aino,
      'PUT',
      path,
      { summary: 'B', ...timed('2026-12-12') },
      { 'if-match': created.etag },
    );
    assert.equal(lose.status, 412);
    assert.equal(await reason(lose), 'conditionNotMet');
    assert.equal((await h.call(aino, 'DELETE', path, undefined, { 'if-match': created.etag })).status, 412);
    // Delete, get the tombstone, 410 on a second delete, then bring it back with status confirmed.
    assert.equal((await h.call(aino, 'DELETE', path, undefined, { 'if-match': won.etag })).status, 204);
    const tomb = (await (await h.call(aino, 'GET', path)).json()) as { status: string };
    assert.equal(tomb.status, 'cancelled');
    const twice = await h.call(aino, 'DELETE', path);
    assert.equal(twice.status, 410);
    assert.equal(await reason(twice), 'deleted');
    const back = await h.call(aino, 'PATCH', path, { status: 'confirmed' });
    assert.equal(((await back.json()) as { status: string }).status, 'confirmed');
    assert.equal((await h.call(aino, 'GET', '/calendars/primary/events/nosuchevent1')).status, 404);
    assert.equal((await h.call(aino, 'DELETE', '/calendars/primary/events/nosuchevent1')).status, 404);
  });

  it('expands a series with events.instances, exceptions applied', async () => {
    const weekly = DEMO_EVENT_IDS.weekly;
    const res = await h.call(
      aino,
      'GET',
      `/calendars/primary/events/${weekly}/instances?timeMin=2026-11-01T00:00:00Z&timeMax=2026-12-01T00:00:00Z`,
    );
    assert.equal(res.status, 200);
    const items = (
      (await res.json()) as { items: { id: string; summary: string; start: { dateTime: string } }[] }
    ).items;
    assert.deepEqual(
      items.map((i) => i.id),
      [
        '20261102T070000Z',
        '20261109T070000Z',
        '20261116T070000Z',
        '20261123T070000Z',
        '20261130T070000Z',
      ].map((s) => `${weekly}_${s}`),
    );
    assert.equal(items[2]?.summary, 'Weekly sync (moved)');
    // Cancel one occurrence through the API (delete of an instance id) and move another through the UI.
    assert.equal(
      (await h.call(aino, 'DELETE', `/calendars/primary/events/${weekly}_20261123T070000Z`)).status,
      204,
    );
    h.sim.act({
      action: 'moveOccurrence',
      as: aino,
      id: weekly,
      originalStart: '2026-11-30T09:00:00+02:00',
      start: { dateTime: '2026-11-30T12:00:00+02:00', timeZone: 'Europe/Helsinki' },
      end: { dateTime: '2026-11-30T12:30:00+02:00', timeZone: 'Europe/Helsinki' },
    });
    const after2 = (await (
      await h.call(
        aino,
        'GET',
        `/calendars/primary/events/${weekly}/instances?timeMin=2026-11-20T00:00:00Z&timeMax=2026-12-01T00:00:00Z`,
      )
    ).json()) as { items: { id: string; start: { dateTime: string } }[] };
    assert.deepEqual(
      after2.items.map((i) => [i.id, Date.parse(i.start.dateTime)]),
      [[`${weekly}_20261130T070000Z`, Date.parse('2026-11-30T10:00:00Z')]],
    );
    // singleEvents=false lists the master plus its exceptions (the cancelled one included).
    const list = (await pages(aino, 'maxResults=2500')).flatMap((p) => p.items);
    const series = list.filter((e) => e.id === weekly || e.recurringEventId === weekly);
    assert.deepEqual(
      series.map((e) => [e.id, e.status]).sort(),
      [
        [weekly, 'confirmed'],
        [`${weekly}_20261116T070000Z`, 'confirmed'],
        [`${weekly}_20261123T070000Z`, 'cancelled'],
        [`${weekly}_20261130T070000Z`, 'confirmed'],
      ].sort(),
    );
    // singleEvents=true expands the series and never returns the master.
    const single = (
      await pages(
        aino,
        'singleEvents=true&orderBy=startTime&timeMin=2026-11-01T00:00:00Z&timeMax=2026-11-24T00:00:00Z',
      )
    ).flatMap((p) => p.items);
    assert.deepEqual(single.filter((e) => e.recurringEventId === weekly).length, 3);
    assert.ok(!single.some((e) => e.id === weekly));
  });

  it('keeps a meeting in every attendee calendar and propagates the organiser edit', async () => {
    const id = DEMO_EVENT_IDS.meeting;
    const mine = (await (await h.call(aino, 'GET', `/calendars/primary/events/${id}`)).json()) as {
      iCalUID: string;
    };
    const theirs = (await (await h.call(ben, 'GET', `/calendars/primary/events/${id}`)).json()) as {
      iCalUID: string;
      organizer: { email: string };
    };
    assert.equal(theirs.iCalUID, mine.iCalUID);
    assert.equal(theirs.organizer.email, aino);
    // ben's private property stays on ben's copy.
    await h.call(ben, 'PATCH', `/calendars/primary/events/${id}`, {
      extendedProperties: { private: { k: 'v' } },
    });
    h.sim.act({ action: 'update', as: aino, id, changes: { summary: 'Kickoff (moved room)' } });
    const updated = (await (await h.call(ben, 'GET', `/calendars/primary/events/${id}`)).json()) as {
      summary: string;
      extendedProperties?: { private?: Record<string, string> };
    };
    assert.equal(updated.summary, 'Kickoff (moved room)');
    assert.deepEqual(updated.extendedProperties?.private, { k: 'v' });
    const created = h.sim.act({
      action: 'create',
      as: ben,
      event: { summary: 'new', ...timed('2026-12-14') },
      attendees: [cecilia],
    }) as {
      id: string;
    };
    assert.equal((await h.call(cecilia, 'GET', `/calendars/primary/events/${created.id}`)).status, 200);
    h.sim.act({ action: 'delete', as: ben, id: created.id, everyCopy: true });
    const gone = (await (await h.call(cecilia, 'GET', `/calendars/primary/events/${created.id}`)).json()) as {
      status: string;
    };
    assert.equal(gone.status, 'cancelled');
  });

  it('touch moves etag and updated without changing content', async () => {
    const id = DEMO_EVENT_IDS.planning;
    const before1 = (await (await h.call(aino, 'GET', `/calendars/primary/events/${id}`)).json()) as Record<
      string,
      unknown
    >;
    h.sim.act({ action: 'touch', as: aino, id });
    const after1 = (await (await h.call(aino, 'GET', `/calendars/primary/events/${id}`)).json()) as Record<
      string,
      unknown
    >;
    assert.notEqual(after1.etag, before1.etag);
    assert.equal(after1.summary, before1.summary);
    assert.deepEqual(after1.start, before1.start);
  });
});

describe('calendar sim: cancelled occurrences, meetings and sendUpdates (google-calendar.md §3)', () => {
  let h: Harness;
  before(async () => {
    h = await startDemo({ seed: 11 });
  });
  after(async () => {
    await h.sim.stop();
  });

  const weekly = DEMO_EVENT_IDS.weekly;
  const STUB_FIELDS = ['etag', 'id', 'kind', 'originalStartTime', 'recurringEventId', 'status'];

  async function listAll(user: string, query: string): Promise<Record<string, unknown>[]> {
    const res = await h.call(user, 'GET', `/calendars/primary/events?${query}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: Record<string, unknown>[] }).items;
  }

  it('returns a cancelled occurrence as a bare stub in list, get and instances, found by its stored iCalUID', async () => {
    const id = `${weekly}_20261123T070000Z`;
    assert.equal((await h.call(aino, 'DELETE', `/calendars/primary/events/${id}`)).status, 204);
    const got = (await (await h.call(aino, 'GET', `/calendars/primary/events/${id}`)).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(got).sort(), STUB_FIELDS);
    assert.equal(got.status, 'cancelled');
    assert.equal(got.recurringEventId, weekly);
    const listed = (await listAll(aino, 'maxResults=2500')).find((e) => e.id === id);
    assert.deepEqual(Object.keys(listed ?? {}).sort(), STUB_FIELDS);
    const instances = (await (
      await h.call(aino, 'GET', `/calendars/primary/events/${weekly}/instances?showDeleted=true`)
    ).json()) as { items: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(instances.items.find((e) => e.id === id) ?? {}).sort(), STUB_FIELDS);
    // The stub shows no iCalUID, but the server keeps the series': the iCalUID query finds it.
    const byUid = await listAll(
      aino,
      `iCalUID=${encodeURIComponent(`${weekly}@google.com`)}&showDeleted=true`,
    );
    assert.ok(byUid.some((e) => e.id === id));
    // The whole event is kept: a restore brings its fields back.
    const restored = (await (
      await h.call(aino, 'PATCH', `/calendars/primary/events/${id}`, { status: 'confirmed' })
    ).json()) as { summary?: string; iCalUID?: string };
    assert.equal(restored.summary, 'Weekly sync');
    assert.equal(restored.iCalUID, `${weekly}@google.com`);
  });

  it('holds an imported stub without iCalUID: listings return it, the iCalUID query cannot find it', async () => {
    const full = await listAll(aino, 'maxResults=2500');
    const syncToken = (
      (await (await h.call(aino, 'GET', '/calendars/primary/events?maxResults=2500')).json()) as {
        nextSyncToken: string;
      }
    ).nextSyncToken;
    assert.ok(full.length > 0);
    const stub = h.sim.act({
      action: 'importCancelledOccurrence',
      as: aino,
      id: weekly,
      originalStart: '2026-12-07T09:00:00+02:00',
    }) as Record<string, unknown>;
    const id = `${weekly}_20261207T070000Z`;
    assert.equal(stub.id, id);
    assert.deepEqual(Object.keys(stub).sort(), STUB_FIELDS);
    assert.equal(h.sim.events(aino).find((e) => e.id === id)?.iCalUID, undefined);
    const delta = await listAll(aino, `syncToken=${encodeURIComponent(syncToken)}`);
    assert.deepEqual(
      delta.map((e) => [e.id, e.status]),
      [[id, 'cancelled']],
    );
    assert.ok((await listAll(aino, 'maxResults=2500')).some((e) => e.id === id));
    const byUid = await listAll(
      aino,
      `iCalUID=${encodeURIComponent(`${weekly}@google.com`)}&showDeleted=true`,
    );
    assert.ok(!byUid.some((e) => e.id === id));
    // Not an occurrence of the series: 400.
    assert.throws(() =>
      h.sim.act({
        action: 'importCancelledOccurrence',
        as: aino,
        id: weekly,
        originalStart: '2026-12-08T07:00:00Z',
      }),
    );
  });

  it('gives a meeting an organiser and attendees, each copy with its own `self`', async () => {
    const created = h.sim.act({
      action: 'create',
      as: ben,
      event: { summary: 'Review', ...timed('2026-12-15') },
      attendees: [cecilia],
    }) as { id: string };
    type Meeting = {
      organizer: { email: string; self?: boolean };
      attendees: { email: string; self?: boolean }[];
    };
    const organiser = (await (
      await h.call(ben, 'GET', `/calendars/primary/events/${created.id}`)
    ).json()) as Meeting;
    assert.deepEqual(organiser.organizer, { email: ben, self: true });
    assert.deepEqual(
      organiser.attendees.map((a) => [a.email, a.self === true]),
      [
        [ben, true],
        [cecilia, false],
      ],
    );
    const guest = (await (
      await h.call(cecilia, 'GET', `/calendars/primary/events/${created.id}`)
    ).json()) as Meeting;
    assert.equal(guest.organizer.self, undefined);
    assert.deepEqual(
      guest.attendees.map((a) => [a.email, a.self === true]),
      [
        [ben, false],
        [cecilia, true],
      ],
    );
  });

  it('logs the sendUpdates of every event write, and refuses an unknown value', async () => {
    h.sim.reset();
    h.sim.seed(demoFixture(h.key));
    h.forgetTokens();
    const path = '/calendars/primary/events';
    const created = (await (
      await h.call(cecilia, 'POST', `${path}?sendUpdates=all`, { summary: 'n', ...timed('2026-12-16') })
    ).json()) as { id: string };
    await h.call(cecilia, 'PATCH', `${path}/${created.id}?sendUpdates=none`, { summary: 'm' });
    await h.call(cecilia, 'PUT', `${path}/${created.id}`, { summary: 'p', ...timed('2026-12-16') });
    const bad = await h.call(cecilia, 'DELETE', `${path}/${created.id}?sendUpdates=everyone`);
    assert.equal(bad.status, 400);
    await h.call(cecilia, 'DELETE', `${path}/${created.id}?sendUpdates=externalOnly`);
    await h.call(cecilia, 'GET', `${path}/${created.id}`);
    const log = (await (await fetch(`${h.sim.url}/_sim/writes`)).json()) as { writes: WriteLogEntry[] };
    assert.deepEqual(log.writes, h.sim.writes());
    assert.deepEqual(
      log.writes.map((w) => [w.method, w.eventId, w.user, w.sendUpdates, w.status]),
      [
        ['POST', created.id, cecilia, 'all', 200],
        ['PATCH', created.id, cecilia, 'none', 200],
        ['PUT', created.id, cecilia, null, 200],
        ['DELETE', created.id, cecilia, 'everyone', 400],
        ['DELETE', created.id, cecilia, 'externalOnly', 204],
      ],
    );
  });
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { DEMO_ACTIVITIES, DEMO_TYPES, DEMO_USERS } from './demo-fixture.js';
import { errorOf, jsonOf, startHarness, type ActivityJson, type Harness } from './test-helpers.js';

function activityBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Planning',
    startDateTime: '2026-11-25T09:00:00+02:00',
    endDateTime: '2026-11-25T10:00:00+02:00',
    activityType: { guid: DEMO_TYPES.meeting },
    ownerUser: { guid: DEMO_USERS.helsinki },
    ...overrides,
  };
}

describe('Severa sim: activities (severa-api.md §3, §5–§7)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const list = async (query: string): Promise<ActivityJson[]> => {
    const res = await h.api('GET', `/v1/activities?${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    return jsonOf<ActivityJson[]>(res);
  };

  it('creates with 201 and stamps createdBy/lastUpdatedBy with the API user', async () => {
    h.clock.advance(1000);
    const res = await h.api('POST', '/v1/activities', activityBody({ notes: 'n', location: 'HQ' }));
    assert.equal(res.status, 201);
    const a = await jsonOf<ActivityJson>(res);
    assert.equal(a.name, 'Planning');
    assert.equal(a.startDateTime, '2026-11-25T09:00:00+02:00');
    assert.equal(a.recurrenceType, 'None');
    assert.equal(a.activityType.name, 'Meeting');
    assert.equal(a.activityType.category, 'CalendarEntry');
    assert.equal(a.createdBy?.guid, DEMO_USERS.integration);
    assert.equal(a.lastUpdatedBy?.guid, DEMO_USERS.integration);
    assert.equal(a.createdDateTime, '2026-11-20T12:00:01.000+00:00');
    const got = await h.api('GET', `/v1/activities/${a.guid}`);
    assert.deepEqual(await got.json(), a);
  });

  it('rejects invalid creates with 400 ExceptionModel naming the field', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [activityBody({ name: undefined }), /name/],
      [activityBody({ startDateTime: undefined }), /startDateTime/],
      [activityBody({ activityType: {} }), /activityType\.guid/],
      [activityBody({ ownerUser: undefined }), /ownerUser/],
      [activityBody({ endDateTime: '2026-11-25T08:00:00+02:00' }), /endDateTime/],
      [activityBody({ activityType: { guid: 'nope' } }), /activityType\.guid/],
      [activityBody({ ownerUser: { guid: 'nope' } }), /ownerUser\.guid/],
    ];
    for (const [body, field] of cases) {
      const res = await h.api('POST', '/v1/activities', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = await errorOf(res);
      assert.equal(err.error.httpStatusCode, 400);
      assert.equal(err.error.type, 'InvalidParameter');
      assert.match(err.error.details.map((d) => d.message).join(' '), field);
    }
  });

  it('pages with rowCount and NextPageToken across three pages', async () => {
    for (let i = 0; i < 41; i += 1)
      h.sim.act({
        action: 'create',
        as: DEMO_USERS.london,
        activity: activityBody({
          name: `Bulk ${i}`,
          ownerUser: { guid: DEMO_USERS.london },
          startDateTime: `2027-01-${String((i % 28) + 1).padStart(2, '0')}T09:00:00Z`,
          endDateTime: `2027-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
        }),
      });
    const seen: string[] = [];
    let token: string | null = null;
    const sizes: number[] = [];
    do {
      const query: string = `userGuids=${DEMO_USERS.london}&activityCategories=CalendarEntry${token === null ? '' : `&pageToken=${token}`}`;
      const res = await h.api('GET', `/v1/activities?${query}`);
      const page = await jsonOf<ActivityJson[]>(res);
      sizes.push(page.length);
      seen.push(...page.map((a) => a.guid));
      token = res.headers.get('NextPageToken');
    } while (token !== null);
    assert.deepEqual(sizes, [20, 20, 1]);
    assert.equal(new Set(seen).size, 41);
    const big = await h.api('GET', '/v1/activities?rowCount=101');
    assert.equal(big.status, 400);
    assert.equal((await errorOf(big)).error.type, 'InvalidParameter');
    const small = await h.api('GET', '/v1/activities?rowCount=100');
    assert.equal(small.headers.get('NextPageToken'), null);
  });

  it('changedSince is ≥ lastUpdatedDateTime and deleted rows never appear', async () => {
    h.clock.advance(60_000);
    const created = await jsonOf<ActivityJson>(await h.api('POST', '/v1/activities', activityBody()));
    const since = encodeURIComponent(created.lastUpdatedDateTime);
    assert.deepEqual(
      (await list(`changedSince=${since}`)).map((a) => a.guid),
      [created.guid],
    );
    // An unencoded "+" arrives as a space and is still understood.
    assert.equal((await list(`changedSince=${created.lastUpdatedDateTime}`)).length, 1);
    const later = new Date(Date.parse(created.lastUpdatedDateTime) + 1).toISOString();
    assert.equal((await list(`changedSince=${later}`)).length, 0);
    assert.equal((await h.api('DELETE', `/v1/activities/${created.guid}`)).status, 204);
    assert.equal((await list(`changedSince=${since}`)).length, 0);
    assert.ok(!(await list('rowCount=100')).some((a) => a.guid === created.guid));
    assert.equal((await h.api('GET', `/v1/activities/${created.guid}`)).status, 404);
    const again = await h.api('DELETE', `/v1/activities/${created.guid}`);
    assert.equal(again.status, 404);
    assert.equal((await errorOf(again)).error.httpStatusCode, 404);
  });

  it('filters by window: ending after startDateTime, starting on/before endDateTime, strict = inside', async () => {
    // Workshop: 2026-12-02 07:00–08:30 UTC.
    const q = (s: string): Promise<string[]> =>
      list(`userGuids=${DEMO_USERS.helsinki}&rowCount=100&${s}`).then((r) => r.map((a) => a.name));
    assert.ok((await q('startDateTime=2026-12-02T08:00:00Z')).includes('Customer workshop'));
    assert.ok(!(await q('startDateTime=2026-12-02T08:30:00Z')).includes('Customer workshop'));
    assert.ok((await q('endDateTime=2026-12-02T07:00:00Z')).includes('Customer workshop'));
    assert.ok(!(await q('endDateTime=2026-12-02T06:59:59Z')).includes('Customer workshop'));
    const wide = 'startDateTime=2026-12-02T07:30:00Z&endDateTime=2026-12-02T09:00:00Z';
    assert.ok((await q(wide)).includes('Customer workshop'));
    assert.ok(!(await q(`${wide}&useStrictStartAndEndDateTime=true`)).includes('Customer workshop'));
    assert.deepEqual(await q('activityCategories=Personal'), ['Dentist']);
    assert.deepEqual(await q(`activityTypeGuids=${DEMO_TYPES.customerVisit}`), ['Customer workshop']);
  });

  it('PATCH accepts only replace and answers 200 with an array of the updated model', async () => {
    const guid = DEMO_ACTIVITIES.workshop;
    const before = (await jsonOf<ActivityJson>(await h.api('GET', `/v1/activities/${guid}`)))
      .lastUpdatedDateTime;
    const add = await h.api('PATCH', `/v1/activities/${guid}`, [{ op: 'add', path: '/name', value: 'x' }]);
    assert.equal(add.status, 400);
    const badPath = await h.api('PATCH', `/v1/activities/${guid}`, [
      { op: 'replace', path: '/guid', value: 'x' },
    ]);
    assert.equal(badPath.status, 400);
    const backwards = await h.api('PATCH', `/v1/activities/${guid}`, [
      { op: 'replace', path: '/endDateTime', value: '2026-12-01T00:00:00Z' },
    ]);
    assert.equal(backwards.status, 400);
    const res = await h.api('PATCH', `/v1/activities/${guid}`, [
      { op: 'replace', path: '/name', value: 'Renamed' },
      { op: 'Replace', path: '/notes', value: null },
      { op: 'replace', path: '/activityType', value: { guid: DEMO_TYPES.meeting } },
      { op: 'replace', path: '/startDateTime', value: '2026-12-02T08:00:00+02:00' },
    ]);
    assert.equal(res.status, 200);
    const body = await jsonOf<ActivityJson[]>(res);
    assert.ok(Array.isArray(body));
    assert.equal(body.length, 1);
    const updated = body[0]!;
    assert.equal(updated.name, 'Renamed');
    assert.equal(updated.notes, null);
    assert.equal(updated.activityType.name, 'Meeting');
    assert.equal(updated.startDateTime, '2026-12-02T08:00:00+02:00');
    assert.ok(updated.lastUpdatedDateTime > before);
    assert.equal(updated.lastUpdatedBy?.guid, DEMO_USERS.integration);
    // Same clock instant: stamps still strictly increase.
    const second = await jsonOf<ActivityJson[]>(
      await h.api('PATCH', `/v1/activities/${guid}`, [{ op: 'replace', path: '/name', value: 'Again' }]),
    );
    assert.ok(second[0]!.lastUpdatedDateTime > updated.lastUpdatedDateTime);
    assert.equal((await h.api('PATCH', '/v1/activities/missing', [])).status, 404);
  });

  it('expands series into Occurrence rows with stable guids; masters only with recurrenceType=Series', async () => {
    const occurrences = (await list(`userGuids=${DEMO_USERS.newYork}&rowCount=100`)).filter(
      (a) => a.recurrenceParentActivityGuid === DEMO_ACTIVITIES.weeklySync,
    );
    assert.equal(occurrences.length, 10);
    assert.ok(occurrences.every((o) => o.recurrenceType === 'Occurrence'));
    assert.equal(occurrences[0]!.startDateTime, '2026-11-02T10:00:00-05:00');
    assert.equal(occurrences[0]!.endDateTime, '2026-11-02T10:30:00-05:00');
    const again = (await list(`userGuids=${DEMO_USERS.newYork}&rowCount=100`)).map((a) => a.guid);
    assert.deepEqual(
      occurrences.map((o) => o.guid),
      again.filter((g) => occurrences.some((o) => o.guid === g)),
    );
    const masters = await list('recurrenceType=Series');
    assert.deepEqual(
      masters.map((m) => m.guid),
      [DEMO_ACTIVITIES.weeklySync],
    );
    assert.deepEqual(masters[0]!.recurrence?.exceptions, []);
    const occ = await h.api('GET', `/v1/activities/${occurrences[1]!.guid}`);
    assert.equal(occ.status, 200);
  });

  it('PATCH on an occurrence makes an Exception row; DELETE cancels one; both land in recurrence.exceptions', async () => {
    const rows = (await list(`recurrenceType=Occurrence&rowCount=100`)).filter(
      (a) => a.recurrenceParentActivityGuid === DEMO_ACTIVITIES.weeklySync,
    );
    const [first, second] = [rows[2]!, rows[3]!];
    const patched = await h.api('PATCH', `/v1/activities/${first.guid}`, [
      { op: 'replace', path: '/name', value: 'Weekly sync (moved)' },
      { op: 'replace', path: '/startDateTime', value: '2026-11-16T11:00:00-05:00' },
      { op: 'replace', path: '/endDateTime', value: '2026-11-16T11:30:00-05:00' },
    ]);
    assert.equal(patched.status, 200);
    const exception = (await jsonOf<ActivityJson[]>(patched))[0]!;
    assert.equal(exception.guid, first.guid);
    assert.equal(exception.recurrenceType, 'Exception');
    assert.equal(exception.recurrenceParentActivityGuid, DEMO_ACTIVITIES.weeklySync);
    assert.equal((await h.api('DELETE', `/v1/activities/${second.guid}`)).status, 204);
    assert.equal((await h.api('GET', `/v1/activities/${second.guid}`)).status, 404);
    const master = await jsonOf<ActivityJson>(
      await h.api('GET', `/v1/activities/${DEMO_ACTIVITIES.weeklySync}`),
    );
    assert.deepEqual(master.recurrence?.exceptions, [first.startDateTime, second.startDateTime]);
    const listed = await list(`userGuids=${DEMO_USERS.newYork}&rowCount=100`);
    assert.equal(
      listed.filter((a) => a.recurrenceParentActivityGuid === DEMO_ACTIVITIES.weeklySync).length,
      9,
    );
    assert.equal(listed.find((a) => a.guid === first.guid)?.name, 'Weekly sync (moved)');
    assert.deepEqual(
      (await list('recurrenceType=Exception')).map((a) => a.guid),
      [first.guid],
    );
  });

  it('participants: list, add (201), delete (204); includeAsMember lists activities the user takes part in', async () => {
    const guid = DEMO_ACTIVITIES.workshop;
    const before = await list(`userGuids=${DEMO_USERS.london}&includeAsMember=true&rowCount=100`);
    assert.ok(!before.some((a) => a.guid === guid));
    const listRes = await h.api('GET', `/v1/activities/${guid}/activityparticipants`);
    const participants = await jsonOf<{ guid: string; participantGuid: string; email: string }[]>(listRes);
    assert.deepEqual(
      participants.map((p) => p.participantGuid),
      [DEMO_USERS.newYork],
    );
    assert.equal(participants[0]!.email, 'Ben@Demo.example');
    const added = await h.api('POST', '/v1/activityparticipants', {
      activityGuid: guid,
      participantGuid: DEMO_USERS.london,
    });
    assert.equal(added.status, 201);
    const p = await jsonOf<{ guid: string; type: string }>(added);
    assert.equal(p.type, 'User');
    const member = await list(`userGuids=${DEMO_USERS.london}&includeAsMember=true&rowCount=100`);
    assert.ok(member.some((a) => a.guid === guid));
    assert.ok(!(await list(`userGuids=${DEMO_USERS.london}&rowCount=100`)).some((a) => a.guid === guid));
    // Series participants count for every occurrence.
    assert.ok(member.some((a) => a.recurrenceParentActivityGuid === DEMO_ACTIVITIES.weeklySync));
    const del = await h.api('DELETE', `/v1/activities/${guid}/activityparticipants/${p.guid}`);
    assert.equal(del.status, 204);
    assert.equal(
      (await h.api('DELETE', `/v1/activities/${guid}/activityparticipants/${p.guid}`)).status,
      404,
    );
    const bad = await h.api('POST', '/v1/activityparticipants', { activityGuid: guid });
    assert.equal(bad.status, 400);
    assert.match((await errorOf(bad)).error.details[0]?.message ?? '', /participantGuid/);
  });

  it('users: email filter is exact but case-insensitive; single user has timezone and default type', async () => {
    const res = await h.api('GET', '/v1/users?email=BEN%40demo.EXAMPLE');
    const users = await jsonOf<{ guid: string }[]>(res);
    assert.deepEqual(
      users.map((u) => u.guid),
      [DEMO_USERS.newYork],
    );
    assert.equal((await jsonOf<unknown[]>(await h.api('GET', '/v1/users?email=ben'))).length, 0);
    const one = await jsonOf<{ timezone: { ianaName: string }; defaultActivityType: { name: string } }>(
      await h.api('GET', `/v1/users/${DEMO_USERS.helsinki}`),
    );
    assert.equal(one.timezone.ianaName, 'Europe/Helsinki');
    assert.equal(one.defaultActivityType.name, 'Meeting');
    assert.equal((await h.api('GET', '/v1/users/nope')).status, 404);
    const paged = await h.api('GET', '/v1/users?rowCount=2');
    assert.equal((await jsonOf<unknown[]>(paged)).length, 2);
    assert.notEqual(paged.headers.get('NextPageToken'), null);
  });

  it('activity types: paged list and single', async () => {
    const first = await h.api('GET', '/v1/activitytypes?rowCount=3');
    const page1 = await jsonOf<{ guid: string }[]>(first);
    const token = first.headers.get('NextPageToken');
    assert.ok(token !== null);
    const second = await h.api('GET', `/v1/activitytypes?rowCount=3&pageToken=${token}`);
    const page2 = await jsonOf<{ guid: string }[]>(second);
    assert.equal(second.headers.get('NextPageToken'), null);
    assert.equal(page1.length + page2.length, 5);
    const one = await jsonOf<{ name: string; category: string; isDefault: boolean }>(
      await h.api('GET', `/v1/activitytypes/${DEMO_TYPES.meeting}`),
    );
    assert.deepEqual([one.name, one.category, one.isDefault], ['Meeting', 'CalendarEntry', true]);
    assert.equal((await h.api('GET', '/v1/activitytypes/nope')).status, 404);
  });
});

describe('Severa sim: series through the API (severa-api.md §6, §7)', () => {
  it('creates a series with POST, resets its exceptions, turns it single with recurrence null, deletes it whole', async () => {
    const h = await startHarness();
    try {
      const res = await h.api(
        'POST',
        '/v1/activities',
        activityBody({
          name: 'Daily standup',
          recurrence: {
            frequency: 'Daily',
            pattern: { daily: { interval: 1 } },
            range: { maxOccurrences: 3 },
          },
        }),
      );
      assert.equal(res.status, 201);
      const master = await jsonOf<ActivityJson>(res);
      assert.equal(master.recurrenceType, 'Series');
      const occurrences = h.sim.allActivities().filter((a) => a.recurrenceParentActivityGuid === master.guid);
      assert.deepEqual(
        occurrences.map((o) => o.startDateTime),
        ['2026-11-25T09:00:00+02:00', '2026-11-26T09:00:00+02:00', '2026-11-27T09:00:00+02:00'],
      );
      assert.equal((await h.api('DELETE', `/v1/activities/${occurrences[0]!.guid}`)).status, 204);
      assert.equal((await h.api('DELETE', `/v1/activities/${master.guid}/exceptions`)).status, 204);
      assert.equal((await h.api('GET', `/v1/activities/${occurrences[0]!.guid}`)).status, 200);
      assert.equal(
        (await h.api('DELETE', `/v1/activities/${DEMO_ACTIVITIES.dentist}/exceptions`)).status,
        404,
      );
      const bad = await h.api(
        'POST',
        '/v1/activities',
        activityBody({ recurrence: { frequency: 'Hourly' } }),
      );
      assert.equal(bad.status, 400);
      assert.match((await errorOf(bad)).error.details[0]?.message ?? '', /recurrence/);
      assert.equal((await h.api('DELETE', `/v1/activities/${master.guid}`)).status, 204);
      assert.equal((await h.api('GET', `/v1/activities/${occurrences[1]!.guid}`)).status, 404);
      const single = await h.api('PATCH', `/v1/activities/${DEMO_ACTIVITIES.weeklySync}`, [
        { op: 'replace', path: '/recurrence', value: null },
      ]);
      assert.equal((await jsonOf<ActivityJson[]>(single))[0]!.recurrenceType, 'None');
      assert.equal(
        h.sim.allActivities().filter((a) => a.recurrenceParentActivityGuid === DEMO_ACTIVITIES.weeklySync)
          .length,
        0,
      );
    } finally {
      await h.close();
    }
  });
});

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { DEMO_ACTIVITIES, DEMO_CREDENTIALS, DEMO_TYPES, DEMO_USERS, demoFixture } from './demo-fixture.js';
import { occurrenceGuid } from './store.js';
import { errorOf, jsonOf, startHarness, type ActivityJson, type Harness } from './test-helpers.js';

const QUOTA = 'API calls quota exceeded! maximum admitted 10 per 1s.';

describe('Severa sim: rate limit, faults, control surface, stats', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const control = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${h.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });

  it('answers 429 with the documented message past 10 requests in a 1 s window (severa-api.md §4)', async () => {
    const limited = await startHarness({ rateLimitPerSecond: 10 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1)
        statuses.push((await limited.api('GET', '/heartbeat/authorized')).status);
      assert.deepEqual(statuses, [...Array<number>(10).fill(204), 429]);
      const res = await limited.api('GET', '/v1/users');
      assert.equal(res.status, 429);
      const err = await errorOf(res);
      assert.equal(err.error.httpStatusCode, 429);
      assert.equal(err.error.details[0]?.message, QUOTA);
      limited.clock.advance(999);
      assert.equal((await limited.api('GET', '/heartbeat/authorized')).status, 429);
      limited.clock.advance(1);
      assert.equal((await limited.api('GET', '/heartbeat/authorized')).status, 204);
      // Control routes are never limited.
      assert.equal((await fetch(`${limited.url}/_sim/stats`)).status, 200);
    } finally {
      await limited.close();
    }
  });

  it('injects faults by route key with a count, then recovers; DELETE /_sim/faults clears', async () => {
    const set = await control('POST', '/_sim/faults', {
      rules: [{ route: 'GET /v1/activities/{guid}', status: 503, count: 2 }],
    });
    assert.equal(set.status, 200);
    const path = `/v1/activities/${DEMO_ACTIVITIES.workshop}`;
    const first = await h.api('GET', path);
    assert.equal(first.status, 503);
    assert.equal((await errorOf(first)).error.type, 'InternalSystemError');
    assert.equal((await h.api('GET', path)).status, 503);
    assert.equal((await h.api('GET', path)).status, 200);
    assert.equal((await h.api('GET', '/v1/users')).status, 200);
    await control('POST', '/_sim/faults', { rules: [{ route: '*', status: 429 }] });
    const quota = await h.api('GET', '/v1/users');
    assert.equal(quota.status, 429);
    assert.equal((await errorOf(quota)).error.details[0]?.message, QUOTA);
    assert.equal((await control('DELETE', '/_sim/faults')).status, 204);
    assert.equal((await h.api('GET', '/v1/users')).status, 200);
    const bad = await control('POST', '/_sim/faults', { rules: [{ nope: 1 }] });
    assert.equal(bad.status, 400);
  });

  it('an afterEffect fault lets the request take effect and loses only its response', async () => {
    const path = `/v1/activities/${DEMO_ACTIVITIES.workshop}`;
    await control('POST', '/_sim/faults', {
      rules: [{ route: 'PATCH /v1/activities/{guid}', status: 503, afterEffect: true, count: 1 }],
    });
    const lost = await h.api('PATCH', path, [{ op: 'replace', path: '/name', value: 'Renamed' }]);
    assert.equal(lost.status, 503);
    const after = await jsonOf<ActivityJson>(await h.api('GET', path));
    assert.equal(after.name, 'Renamed');
    const again = await h.api('PATCH', path, [{ op: 'replace', path: '/name', value: 'Renamed twice' }]);
    assert.equal(again.status, 200);
  });

  it('injects latency', async () => {
    await control('POST', '/_sim/faults', { rules: [{ route: 'GET /v1/users', latencyMs: 60, count: 1 }] });
    const t0 = performance.now();
    assert.equal((await h.api('GET', '/v1/users')).status, 200);
    // A lower bound only: the simulator waited at least the injected latency (an upper bound would be a clock race).
    assert.ok(performance.now() - t0 >= 55);
    // The counted rule was used up by that request: the next one is not delayed.
    assert.deepEqual(h.sim.faults.list(), []);
  });

  it('counts requests by route pattern, method, status and client id', async () => {
    await h.api('GET', `/v1/activities/${DEMO_ACTIVITIES.workshop}`);
    await h.api('GET', `/v1/activities/${DEMO_ACTIVITIES.dentist}`);
    await h.api('GET', '/v1/activities/missing');
    await fetch(`${h.url}/v1/token`, {
      method: 'POST',
      body: JSON.stringify({ client_id: DEMO_CREDENTIALS.clientId, client_secret: 'wrong' }),
    });
    const res = await control('GET', '/_sim/stats');
    const { rows } = await jsonOf<{
      rows: { route: string; method: string; status: number; user: string | null; count: number }[];
    }>(res);
    const get = rows.find((r) => r.route === '/v1/activities/{guid}' && r.status === 200);
    assert.deepEqual(get, {
      route: '/v1/activities/{guid}',
      method: 'GET',
      status: 200,
      user: DEMO_CREDENTIALS.clientId,
      count: 2,
    });
    assert.equal(h.sim.stats.total({ route: '/v1/activities/{guid}', status: 404 }), 1);
    assert.equal(h.sim.stats.total({ route: '/v1/token', status: 401, user: DEMO_CREDENTIALS.clientId }), 1);
    assert.ok(!rows.some((r) => r.route.startsWith('/_sim')));
    assert.ok(h.log.some((e) => e.routeKey === 'GET /v1/activities/{guid}' && e.status === 404));
    assert.ok(h.log.every((e) => e.sim === 'severa'));
  });

  it('seeds, validates and resets through HTTP', async () => {
    const bad = await control('POST', '/_sim/seed', { ...demoFixture, users: [] });
    assert.equal(bad.status, 400);
    const err = await errorOf(bad);
    assert.match(err.error.details.map((d) => d.message).join(' '), /apiUserGuid|ownerGuid/);
    assert.equal((await control('POST', '/_sim/reset')).status, 204);
    assert.deepEqual(await jsonOf<unknown>(await control('GET', '/_sim/seed')), { loaded: false });
    const token = await fetch(`${h.url}/v1/token`, {
      method: 'POST',
      body: JSON.stringify({
        client_id: DEMO_CREDENTIALS.clientId,
        client_secret: DEMO_CREDENTIALS.clientSecret,
      }),
    });
    assert.equal(token.status, 401);
    const ok = await control('POST', '/_sim/seed', demoFixture);
    assert.equal(ok.status, 200);
    const summary = await jsonOf<{ users: { timezone: string }[] }>(ok);
    assert.ok(summary.users.some((u) => u.timezone === 'America/New_York'));
  });

  it('acts as a person: update sets lastUpdatedBy, touch restamps, create and delete', async () => {
    h.clock.advance(5000);
    const updated = await control('POST', '/_sim/act', {
      action: 'update',
      guid: DEMO_ACTIVITIES.workshop,
      as: DEMO_USERS.newYork,
      changes: {
        name: 'Workshop v2',
        participantGuids: [DEMO_USERS.london],
        activityTypeGuid: DEMO_TYPES.meeting,
      },
    });
    assert.equal(updated.status, 200);
    const a = await jsonOf<ActivityJson>(updated);
    assert.equal(a.name, 'Workshop v2');
    assert.equal(a.lastUpdatedBy?.guid, DEMO_USERS.newYork);
    assert.deepEqual(
      h.sim.participants(DEMO_ACTIVITIES.workshop).map((p) => p.participantGuid),
      [DEMO_USERS.london],
    );
    h.clock.advance(1000);
    const touched = await jsonOf<ActivityJson>(
      await control('POST', '/_sim/act', { action: 'touch', guid: DEMO_ACTIVITIES.workshop }),
    );
    assert.ok(touched.lastUpdatedDateTime > a.lastUpdatedDateTime);
    assert.equal(touched.name, a.name);
    const created = await jsonOf<ActivityJson>(
      await control('POST', '/_sim/act', {
        action: 'create',
        as: DEMO_USERS.london,
        activity: {
          name: 'From the UI',
          startDateTime: '2026-12-10T09:00:00Z',
          endDateTime: '2026-12-10T10:00:00Z',
          activityType: { guid: DEMO_TYPES.meeting },
          ownerUser: { guid: DEMO_USERS.london },
          participantGuids: [DEMO_USERS.helsinki],
        },
      }),
    );
    assert.equal(created.createdBy?.guid, DEMO_USERS.london);
    assert.equal(h.sim.participants(created.guid).length, 1);
    assert.equal((await control('POST', '/_sim/act', { action: 'delete', guid: created.guid })).status, 204);
    assert.equal(h.sim.activity(created.guid), null);
    const bad = await control('POST', '/_sim/act', { action: 'explode' });
    assert.equal(bad.status, 400);
  });

  it('cancels and moves occurrences by original start', async () => {
    const series = DEMO_ACTIVITIES.weeklySync;
    const cancelled = await control('POST', '/_sim/act', {
      action: 'cancelOccurrence',
      seriesGuid: series,
      originalStart: '2026-11-09T10:00:00-05:00',
    });
    assert.equal(cancelled.status, 204);
    const moved = await control('POST', '/_sim/act', {
      action: 'moveOccurrence',
      seriesGuid: series,
      originalStart: '2026-11-16T15:00:00Z',
      newStart: '2026-11-17T15:00:00Z',
    });
    assert.equal(moved.status, 200);
    const exception = await jsonOf<ActivityJson>(moved);
    assert.equal(exception.recurrenceType, 'Exception');
    assert.equal(exception.guid, occurrenceGuid(series, Date.parse('2026-11-16T15:00:00Z')));
    assert.equal(exception.startDateTime, '2026-11-17T10:00:00-05:00');
    assert.equal(exception.endDateTime, '2026-11-17T10:30:00-05:00');
    const master = h.sim.activity(series);
    assert.deepEqual(master?.recurrence?.exceptions, [
      '2026-11-09T10:00:00-05:00',
      '2026-11-16T10:00:00-05:00',
    ]);
    const none = await control('POST', '/_sim/act', {
      action: 'cancelOccurrence',
      seriesGuid: series,
      originalStart: '2026-11-10T10:00:00-05:00',
    });
    assert.equal(none.status, 400);
  });
});

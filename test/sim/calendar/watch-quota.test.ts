import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { SteppedClock, type ResponseLogEntry } from '../common/index.js';
import { DEMO_EVENT_IDS, DEMO_USERS, demoFixture } from './demo-fixture.js';
import { startDemo, type Harness } from './test-support.js';

const { aino, ben } = DEMO_USERS;

describe('calendar sim: watch channels (google-calendar.md §2)', () => {
  let h: Harness;
  let receiver: Server;
  let address = '';
  const received: IncomingHttpHeaders[] = [];
  before(async () => {
    h = await startDemo();
    receiver = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  });
  after(async () => {
    await h.sim.stop();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('sends sync, then exists on each change; drops when faulted; stops on channels.stop', async () => {
    const watch = await h.call(aino, 'POST', '/calendars/primary/events/watch', {
      id: 'chan-1',
      type: 'web_hook',
      address,
      token: 'secret-1',
    });
    assert.equal(watch.status, 200);
    const channel = (await watch.json()) as Record<string, string>;
    assert.equal(channel.kind, 'api#channel');
    assert.equal(channel.id, 'chan-1');
    assert.equal(channel.token, 'secret-1');
    const ttl = Number(channel.expiration) - Date.now();
    assert.ok(ttl > 604_700_000 && ttl <= 604_800_000, `default ttl ${ttl}`);
    await h.sim.flushNotifications();
    assert.equal(received.length, 1);
    assert.equal(received[0]?.['x-goog-resource-state'], 'sync');

    await h.call(aino, 'PATCH', `/calendars/primary/events/${DEMO_EVENT_IDS.planning}`, { summary: 'p2' });
    h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
    // A change in ben's calendar is not aino's resource.
    h.sim.act({ action: 'touch', as: ben, id: DEMO_EVENT_IDS.meeting });
    await h.sim.flushNotifications();
    assert.equal(received.length, 3);
    const numbers = received.map((r) => Number(r['x-goog-message-number']));
    assert.deepEqual(
      [...numbers].sort((a, b) => a - b),
      numbers,
    );
    assert.equal(new Set(numbers).size, 3);
    for (const r of received.slice(1)) {
      assert.equal(r['x-goog-resource-state'], 'exists');
      assert.equal(r['x-goog-channel-id'], 'chan-1');
      assert.equal(r['x-goog-channel-token'], 'secret-1');
      assert.equal(r['x-goog-resource-id'], channel.resourceId);
      assert.equal(r['x-goog-resource-uri'], channel.resourceUri);
      assert.ok(r['x-goog-channel-expiration'] !== undefined);
    }

    h.sim.setFaults([{ route: '*', dropNotifications: true, count: 1 }]);
    h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
    h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
    await h.sim.flushNotifications();
    assert.equal(received.length, 4, 'one of two dropped');
    h.sim.clearFaults();

    const wrongUser = await h.call(ben, 'POST', '/channels/stop', {
      id: 'chan-1',
      resourceId: channel.resourceId,
    });
    assert.equal(wrongUser.status, 404);
    const stop = await h.call(aino, 'POST', '/channels/stop', {
      id: 'chan-1',
      resourceId: channel.resourceId,
    });
    assert.equal(stop.status, 204);
    assert.equal(
      (await h.call(aino, 'POST', '/channels/stop', { id: 'chan-1', resourceId: channel.resourceId })).status,
      404,
    );
    h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
    await h.sim.flushNotifications();
    assert.equal(received.length, 4);
  });
});

describe('calendar sim: quotas, faults, stats (google-calendar.md §4)', () => {
  it('injects 403/429 through fault rules and limits each user per minute', async () => {
    const clock = new SteppedClock(Date.now());
    const log: ResponseLogEntry[] = [];
    const h = await startDemo({ clock, perUserRatePerMinute: 5, onResponse: (e) => log.push(e) });
    try {
      const list = '/calendars/primary/events';
      h.sim.setFaults([
        {
          route: 'GET /calendar/v3/calendars/{calendarId}/events',
          status: 403,
          reason: 'rateLimitExceeded',
          count: 1,
        },
        { route: 'GET /calendar/v3/calendars/{calendarId}/events', status: 429, count: 1 },
      ]);
      const r403 = await h.call(aino, 'GET', list);
      assert.equal(r403.status, 403);
      const body403 = (await r403.json()) as { error: { errors: { domain: string; reason: string }[] } };
      assert.deepEqual(body403.error.errors, [
        { domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded' },
      ]);
      assert.equal((await h.call(aino, 'GET', list)).status, 429);
      h.sim.clearFaults();

      for (let i = 0; i < 5; i += 1) assert.equal((await h.call(aino, 'GET', list)).status, 200);
      const limited = await h.call(aino, 'GET', list);
      assert.equal(limited.status, 403);
      assert.equal(
        ((await limited.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason,
        'userRateLimitExceeded',
      );
      // Another user has their own window; after a minute aino may call again.
      assert.equal((await h.call(ben, 'GET', list)).status, 200);
      clock.advance(60_001);
      assert.equal((await h.call(aino, 'GET', list)).status, 200);

      const stats = await fetch(`${h.sim.url}/_sim/stats`);
      const rows = (
        (await stats.json()) as {
          rows: { route: string; method: string; status: number; user: string | null; count: number }[];
        }
      ).rows;
      const row = (status: number, user: string): number =>
        rows.find(
          (r) =>
            r.route === '/calendar/v3/calendars/{calendarId}/events' &&
            r.method === 'GET' &&
            r.status === status &&
            r.user === user,
        )?.count ?? 0;
      assert.equal(row(200, aino), 6);
      assert.equal(row(403, aino), 2);
      assert.equal(row(429, aino), 1);
      assert.equal(row(200, ben), 1);
      assert.equal(h.sim.stats.total({ route: '/token', status: 200 }), 2);
      assert.ok(
        log.some(
          (e) =>
            e.sim === 'calendar' &&
            e.routeKey === 'GET /calendar/v3/calendars/{calendarId}/events' &&
            e.status === 429,
        ),
      );
    } finally {
      await h.sim.stop();
    }
  });

  it('seeds and resets through the control surface', async () => {
    const h = await startDemo();
    try {
      const seed = await fetch(`${h.sim.url}/_sim/seed`);
      assert.equal(seed.status, 200);
      const bad = await fetch(`${h.sim.url}/_sim/seed`, {
        method: 'POST',
        body: JSON.stringify({ domain: 'x' }),
      });
      assert.equal(bad.status, 400);
      const act = await fetch(`${h.sim.url}/_sim/act`, {
        method: 'POST',
        body: JSON.stringify({
          action: 'create',
          as: aino,
          event: { summary: 's', start: { date: '2026-12-20' }, end: { date: '2026-12-21' } },
        }),
      });
      assert.equal(act.status, 200);
      // A sync token from before a reseed is no longer valid.
      const page = (await (await h.call(ben, 'GET', '/calendars/primary/events')).json()) as {
        nextSyncToken: string;
      };
      h.sim.seed(demoFixture(h.key));
      h.forgetTokens();
      const stale = await h.call(ben, 'GET', `/calendars/primary/events?syncToken=${page.nextSyncToken}`);
      assert.equal(stale.status, 410);
      assert.equal((await fetch(`${h.sim.url}/_sim/reset`, { method: 'POST' })).status, 204);
      assert.equal((await fetch(`${h.sim.url}/_sim/seed`)).status, 404);
      assert.deepEqual(h.sim.events(aino), []);
    } finally {
      await h.sim.stop();
    }
  });
});

describe('calendar sim: channel expiry (google-calendar.md §2)', () => {
  it('stops sending once a channel expires', async () => {
    const clock = new SteppedClock(Date.now());
    const h = await startDemo({ clock });
    const hits: string[] = [];
    const receiver = createServer((req, res) => {
      hits.push(String(req.headers['x-goog-resource-state']));
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
      const res = await h.call(aino, 'POST', '/calendars/primary/events/watch', {
        id: 'short',
        type: 'webhook',
        address,
        params: { ttl: '60' },
      });
      const channel = (await res.json()) as { expiration: string };
      assert.equal(Number(channel.expiration), clock.now() + 60_000);
      h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
      await h.sim.flushNotifications();
      clock.advance(60_000);
      h.sim.act({ action: 'touch', as: aino, id: DEMO_EVENT_IDS.planning });
      await h.sim.flushNotifications();
      assert.deepEqual(hits, ['sync', 'exists']);
    } finally {
      await h.sim.stop();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

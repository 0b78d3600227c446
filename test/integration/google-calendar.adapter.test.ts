/**
 * The production Google Calendar adapter against the Google Calendar API simulator (test/sim/calendar): the
 * CalendarPort contract suite, then what only the real adapter has — unsynced fields kept by patch, the retry policy
 * under 429/503/403 storms (request counts from the simulator's `/_sim/stats`), no retry of other 4xx, delegation
 * errors, token caching and refresh, watch channels, and no secret in any log line or error message.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';

import { generateKeyPairSync } from 'node:crypto';

import {
  GoogleCalendarAdapter,
  type GoogleCalendarAdapterOptions,
} from '../../shared/adapters/google-calendar/google-calendar.adapter.js';
import { CALENDAR_SCOPE, privateKeyPemFromP12 } from '../../shared/adapters/google-calendar/google.auth.js';
import { recordToEvent } from '../../shared/adapters/google-calendar/google-calendar.mapper.js';
import {
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  QuotaExceededError,
  RateLimitedError,
  SyncError,
  TransientError,
  type EntryContent,
  type GoogleRecord,
  type SyncUser,
} from '../../shared/domain/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import type { LogFields, Logger } from '../../shared/ports/index.js';
import {
  DEMO_EVENT_IDS,
  DEMO_SERVICE_ACCOUNT,
  DEMO_USERS,
  createCalendarSim,
  demoFixture,
} from '../sim/calendar/index.js';
import { demoKey } from '../sim/calendar/test-support.js';
import type { FaultRule, StatsRow } from '../sim/common/index.js';
import {
  CONTRACT_TIME_MIN,
  describeCalendarPortContract,
  timed,
  type HumanCalendar,
} from '../contract/calendar-port.contract.js';

const key = demoKey();
const P12_PASSWORD = 'notasecret';
const pem = privateKeyPemFromP12(key.p12, P12_PASSWORD);
/** Every access token the simulator issued, read from its responses. */
const issuedTokens: string[] = [];
const sim = createCalendarSim({
  onResponse: (entry) => {
    const body = entry.responseBody as { access_token?: unknown } | undefined;
    if (entry.routeKey === 'POST /token' && typeof body?.access_token === 'string')
      issuedTokens.push(body.access_token);
  },
});

const aino: SyncUser = {
  severaUserGuid: 'user-aino',
  email: DEMO_USERS.aino,
  timeZone: 'Europe/Helsinki',
  defaultActivityTypeGuid: null,
};
const ben: SyncUser = {
  severaUserGuid: 'user-ben',
  email: DEMO_USERS.ben,
  timeZone: 'America/New_York',
  defaultActivityTypeGuid: null,
};

const EVENT = '/calendar/v3/calendars/{calendarId}/events/{eventId}';

before(async () => {
  await sim.start();
});
after(async () => {
  await sim.stop();
});

/** The demo domain with empty calendars (or the demo events), delegation as given. */
function seed(options: { events?: boolean; delegatedScopes?: string[] } = {}): void {
  const fixture = demoFixture(key);
  sim.seed({
    ...fixture,
    serviceAccount: {
      ...fixture.serviceAccount,
      delegatedScopes: options.delegatedScopes ?? [CALENDAR_SCOPE],
    },
    ...(options.events === true ? {} : { events: {} }),
  });
}

function adapter(options: Partial<GoogleCalendarAdapterOptions> = {}): GoogleCalendarAdapter {
  return new GoogleCalendarAdapter({
    serviceAccountEmail: DEMO_SERVICE_ACCOUNT,
    privateKeyPem: pem,
    rootUrl: sim.url,
    tokenUrl: sim.tokenUrl,
    sleep: () => Promise.resolve(),
    random: () => 0,
    pageSize: 3,
    ...options,
  });
}

function recordingSleep(): { sleep: (ms: number) => Promise<void>; slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

/** Request counts as the simulator's control surface reports them. */
async function stats(): Promise<StatsRow[]> {
  const res = await fetch(`${sim.url}/_sim/stats`);
  return ((await res.json()) as { rows: StatsRow[] }).rows;
}
async function count(filter: Partial<Omit<StatsRow, 'count'>>): Promise<number> {
  return (await stats())
    .filter(
      (r) =>
        (filter.method === undefined || r.method === filter.method) &&
        (filter.route === undefined || r.route === filter.route) &&
        (filter.status === undefined || r.status === filter.status) &&
        (filter.user === undefined || r.user === filter.user),
    )
    .reduce((sum, r) => sum + r.count, 0);
}
async function faults(rules: FaultRule[]): Promise<void> {
  const res = await fetch(`${sim.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rules }),
  });
  assert.equal(res.status, 200);
}

/** A person's event body: the synced fields only, no guid, Google picks the id. */
function humanBody(content: EntryContent): Record<string, unknown> {
  const {
    id: _id,
    extendedProperties: _ext,
    ...body
  } = recordToEvent({ id: 'placeholder00', content, severaGuid: '' });
  return body;
}

function simHuman(email: string): HumanCalendar {
  return {
    create: (content) => {
      const created = sim.act({ action: 'create', as: email, event: humanBody(content) }) as { id: string };
      return Promise.resolve(created.id);
    },
    edit: (id, changes) => {
      sim.act({
        action: 'update',
        as: email,
        id,
        changes: {
          ...(changes.title === undefined ? {} : { summary: changes.title }),
          ...(changes.notes === undefined ? {} : { description: changes.notes }),
          ...(changes.location === undefined ? {} : { location: changes.location }),
        },
      });
      return Promise.resolve();
    },
    touch: (id) => {
      sim.act({ action: 'touch', as: email, id });
      return Promise.resolve();
    },
    delete: (id) => {
      sim.act({ action: 'delete', as: email, id });
      return Promise.resolve();
    },
    invalidateSyncTokens: () => {
      sim.act({ action: 'invalidateSyncTokens', as: email });
      return Promise.resolve();
    },
  };
}

function storedEvent(email: string, id: string): Record<string, unknown> | undefined {
  return sim.events(email).find((e) => e.id === id);
}

/**
 * A pass-through proxy in front of the simulator: records each request (path, query, If-Match, body) and adds a
 * `Retry-After` header to 429 answers (the simulator sends none), as Google may.
 */
interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly ifMatch: string | undefined;
  readonly body: string;
}
async function startProxy(
  retryAfter?: string,
): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://proxy');
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : undefined;
      };
      seen.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        ifMatch: header('if-match'),
        body,
      });
      const forward: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'if-match']) {
        const v = header(name);
        if (v !== undefined) forward[name] = v;
      }
      const answer = await fetch(`${sim.url}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers: forward,
        ...(body === '' ? {} : { body }),
      });
      const headers: Record<string, string> = {};
      const type = answer.headers.get('content-type');
      if (type !== null) headers['content-type'] = type;
      if (answer.status === 429 && retryAfter !== undefined) headers['retry-after'] = retryAfter;
      res.writeHead(answer.status, headers);
      res.end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A Logger that keeps exactly what the adapter hands it, unredacted: what the adapter itself would leak. */
function rawLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const make = (base: LogFields): Logger => {
    const log =
      (level: string) =>
      (message: string, fields?: LogFields): void => {
        lines.push(JSON.stringify({ level, message, ...base, ...fields }));
      };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return Object.assign(make({}), { lines });
}

// ---- the contract ------------------------------------------------------------------------------------------

describeCalendarPortContract('GoogleCalendarAdapter on the Google Calendar simulator', () => {
  seed();
  return Promise.resolve({ calendar: adapter(), user: aino, human: simHuman(aino.email) });
});

// ---- adapter only ------------------------------------------------------------------------------------------

describe('GoogleCalendarAdapter: what only the real adapter has', () => {
  beforeEach(() => {
    seed();
  });

  it('patches only the synced fields: attendees, reminders, colour set out of band survive an update', async () => {
    const calendar = adapter();
    const { record } = await calendar.insert(aino, 'sv0000000000k1', {
      content: timed('Workshop', '2030-03-04T08:00:00Z', 60, { notes: 'agenda', location: 'Room 1' }),
      severaGuid: 'guid-k',
    });
    sim.act({
      action: 'update',
      as: aino.email,
      id: 'sv0000000000k1',
      changes: {
        attendees: [{ email: 'guest@external.example', responseStatus: 'needsAction' }],
        reminders: { useDefault: false, overrides: [{ method: 'popup', minutes: 5 }] },
        colorId: '5',
        extendedProperties: { private: { other: 'kept' } },
      },
    });
    const current = await calendar.get(aino, 'sv0000000000k1');
    assert.ok(current);
    assert.notEqual(current.etag, record.etag);
    const written = await calendar.update(aino, 'sv0000000000k1', current.etag, {
      content: timed('Workshop (moved)', '2030-03-04T09:00:00Z', 60),
      severaGuid: 'guid-k',
    });
    assert.equal(written.content.title, 'Workshop (moved)');
    const stored = storedEvent(aino.email, 'sv0000000000k1');
    assert.ok(stored);
    assert.deepEqual(stored.attendees, [{ email: 'guest@external.example', responseStatus: 'needsAction' }]);
    assert.deepEqual(stored.reminders, { useDefault: false, overrides: [{ method: 'popup', minutes: 5 }] });
    assert.equal(stored.colorId, '5');
    assert.deepEqual(stored.extendedProperties, { private: { severaGuid: 'guid-k', other: 'kept' } });
    // Emptied synced fields are cleared, not left as they were.
    assert.equal(stored.description, '');
    assert.equal(stored.location, '');
  });

  it('sends the documented parameters: singleEvents=false, maxResults, quotaUser, sendUpdates=none, If-Match', async () => {
    const proxy = await startProxy();
    try {
      const calendar = adapter({ rootUrl: proxy.url, tokenUrl: `${proxy.url}/token` });
      const full = await calendar.list(aino, { timeMin: CONTRACT_TIME_MIN });
      const { record } = await calendar.insert(aino, 'sv0000000000q1', {
        content: timed('Q', '2030-03-04T08:00:00Z', 60),
        severaGuid: 'guid-q',
      });
      await calendar.update(aino, 'sv0000000000q1', record.etag, {
        content: timed('Q2', '2030-03-04T08:00:00Z', 60),
        severaGuid: null,
      });
      await calendar.list(aino, { syncToken: full.nextSyncToken });
      const api = proxy.seen.filter((r) => r.path.startsWith('/calendar/v3/'));
      assert.equal(api.length, 4);
      const [fullList, insert, patch, incremental] = api;
      assert.ok(fullList && insert && patch && incremental);
      assert.equal(fullList.query.get('timeMin'), CONTRACT_TIME_MIN);
      assert.equal(fullList.query.get('syncToken'), null);
      assert.equal(incremental.query.get('syncToken'), full.nextSyncToken);
      for (const name of ['timeMin', 'timeMax', 'updatedMin', 'orderBy', 'q', 'iCalUID'])
        assert.equal(incremental.query.has(name), false);
      for (const list of [fullList, incremental]) {
        assert.equal(list.query.get('singleEvents'), 'false');
        assert.equal(list.query.get('maxResults'), '3');
      }
      for (const r of api) assert.equal(r.query.get('quotaUser'), aino.email);
      assert.equal(insert.query.get('sendUpdates'), 'none');
      assert.equal(patch.method, 'PATCH');
      assert.equal(patch.query.get('sendUpdates'), 'none');
      assert.equal(patch.ifMatch, record.etag);
      const patchBody = JSON.parse(patch.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(patchBody).sort(), [
        'description',
        'end',
        'location',
        'start',
        'summary',
        'visibility',
      ]);
    } finally {
      await proxy.close();
    }
  });

  it('folds a series made in Google with all its exceptions, even those before timeMin, and reports a cancelled occurrence as a change of the series', async () => {
    seed({ events: true });
    const calendar = adapter();
    const full = await calendar.list(aino, { timeMin: '2026-12-01T00:00:00Z' });
    const weekly = full.changes.find((c) => c.kind === 'upsert' && c.record.id === DEMO_EVENT_IDS.weekly);
    assert.ok(weekly?.kind === 'upsert');
    assert.deepEqual(
      weekly.record.content.recurrence?.overrides.map((o) => [o.originalStart, o.title]),
      [['2026-11-16T07:00:00Z', 'Weekly sync (moved)']],
    );
    sim.act({
      action: 'cancelOccurrence',
      as: aino.email,
      id: DEMO_EVENT_IDS.weekly,
      originalStart: '2026-12-07T07:00:00Z',
    });
    const delta = await calendar.list(aino, { syncToken: full.nextSyncToken });
    assert.equal(delta.changes.length, 1);
    const series = delta.changes[0];
    assert.ok(series?.kind === 'upsert');
    assert.equal(series.record.id, DEMO_EVENT_IDS.weekly);
    assert.deepEqual(series.record.content.recurrence?.exdates, ['2026-12-07T07:00:00Z']);
    assert.equal(series.record.content.recurrence.overrides.length, 1);
    assert.notEqual(series.record.etag, weekly.record.etag);
  });

  it('retries a 429 storm, waiting as long as Retry-After asks, then succeeds', async () => {
    const proxy = await startProxy('7');
    try {
      const { sleep, slept } = recordingSleep();
      const calendar = adapter({ rootUrl: proxy.url, tokenUrl: `${proxy.url}/token`, sleep });
      const id = await simHuman(aino.email).create(timed('A', '2030-03-04T08:00:00Z', 60));
      await faults([{ route: `GET ${EVENT}`, status: 429, count: 3 }]);
      const record = await calendar.get(aino, id);
      assert.equal(record?.content.title, 'A');
      assert.equal(await count({ route: EVENT, method: 'GET', status: 429 }), 3);
      assert.equal(await count({ route: EVENT, method: 'GET', status: 200 }), 1);
      assert.deepEqual(slept, [7000, 7000, 7000]);

      // A storm longer than the policy: the typed error reaches the caller (for a Pub/Sub redelivery).
      await faults([{ route: `GET ${EVENT}`, status: 429, count: 10 }]);
      const error = await calendar.get(aino, id).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RateLimitedError);
      assert.equal(error.retryAfterSeconds, 7);
      assert.equal(await count({ route: EVENT, method: 'GET', status: 429 }), 3 + 5);
    } finally {
      await proxy.close();
    }
  });

  it('retries a 503 storm on an insert (POST, which gaxios would not retry) with exponential backoff', async () => {
    const { sleep, slept } = recordingSleep();
    const calendar = adapter({ sleep, random: () => 0.5 });
    await faults([{ route: 'POST /calendar/v3/calendars/{calendarId}/events', status: 503, count: 2 }]);
    const { created, record } = await calendar.insert(aino, 'sv0000000000r1', {
      content: timed('R', '2030-03-04T08:00:00Z', 60),
      severaGuid: 'guid-r',
    });
    assert.equal(created, true);
    assert.equal(record.content.title, 'R');
    assert.equal(
      await count({ route: '/calendar/v3/calendars/{calendarId}/events', method: 'POST', status: 503 }),
      2,
    );
    assert.equal(
      await count({ route: '/calendar/v3/calendars/{calendarId}/events', method: 'POST', status: 200 }),
      1,
    );
    // Full jitter at 0.5 of a cap that doubles from 500 ms (DEFAULT_RETRY_POLICY).
    assert.deepEqual(slept, [250, 500]);
    assert.equal(sim.events(aino.email).length, 1);
  });

  it('retries 403 rateLimitExceeded / userRateLimitExceeded, but not other 4xx', async () => {
    const { sleep, slept } = recordingSleep();
    const calendar = adapter({ sleep });
    const { record } = await calendar.insert(aino, 'sv0000000000s1', {
      content: timed('S', '2030-03-04T08:00:00Z', 60),
      severaGuid: 'guid-s',
    });
    await faults([
      { route: `PATCH ${EVENT}`, status: 403, reason: 'rateLimitExceeded', count: 1 },
      { route: `PATCH ${EVENT}`, status: 403, reason: 'userRateLimitExceeded', count: 1 },
    ]);
    const written = await calendar.update(aino, 'sv0000000000s1', record.etag, {
      content: timed('S2', '2030-03-04T08:00:00Z', 60),
      severaGuid: 'guid-s',
    });
    assert.equal(written.content.title, 'S2');
    assert.equal(await count({ route: EVENT, method: 'PATCH', status: 403 }), 2);
    assert.equal(await count({ route: EVENT, method: 'PATCH', status: 200 }), 1);
    assert.equal(slept.length, 2);

    await faults([{ route: `GET ${EVENT}`, status: 400, reason: 'badRequest', count: 1 }]);
    await assert.rejects(
      calendar.get(aino, 'sv0000000000s1'),
      (e: unknown) => e instanceof PermanentError && e.code === 'validation',
    );
    await faults([{ route: `GET ${EVENT}`, status: 403, reason: 'forbiddenForNonOrganizer', count: 1 }]);
    await assert.rejects(
      calendar.get(aino, 'sv0000000000s1'),
      (e: unknown) => e instanceof PermanentError && /organiser/.test(e.userMessage),
    );
    assert.equal(await count({ route: EVENT, method: 'GET', status: 400 }), 1);
    assert.equal(await count({ route: EVENT, method: 'GET', status: 403 }), 1);
    assert.equal(slept.length, 2, 'no wait for a permanent error');
    // A stale etag is a 412, answered once: the runner re-reads and re-plans.
    await assert.rejects(
      calendar.update(aino, 'sv0000000000s1', record.etag, {
        content: timed('S3', '2030-03-04T08:00:00Z', 60),
        severaGuid: null,
      }),
      PreconditionFailedError,
    );
    assert.equal(await count({ route: EVENT, method: 'PATCH', status: 412 }), 1);
  });

  it('reports refused delegation with what the Workspace admin must do, without retrying', async () => {
    seed({ delegatedScopes: [] });
    const { sleep, slept } = recordingSleep();
    const calendar = adapter({ sleep });
    const error = await calendar.list(aino, { timeMin: CONTRACT_TIME_MIN }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PermanentError);
    assert.equal(error.code, 'delegation-denied');
    assert.match(error.userMessage, /Domain-wide delegation/i);
    assert.match(error.userMessage, /client ID/);
    assert.ok(error.userMessage.includes(CALENDAR_SCOPE));
    assert.equal(await count({ route: '/token', status: 401 }), 1);
    assert.equal(await count({ route: '/calendar/v3/calendars/{calendarId}/events' }), 0);
    assert.deepEqual(slept, []);
    await assert.rejects(
      calendar.checkDelegation(aino.email),
      (e: unknown) => e instanceof PermanentError && e.code === 'delegation-denied',
    );

    seed();
    const stranger: SyncUser = { ...aino, severaUserGuid: 'user-x', email: 'stranger@demo.example' };
    await assert.rejects(
      adapter().get(stranger, 'sv0000000000t1'),
      (e: unknown) =>
        e instanceof PermanentError && e.code === 'delegation-denied' && /Workspace/.test(e.userMessage),
    );
    await adapter().checkDelegation(aino.email);

    // A key Google does not know (deleted or replaced): bad credentials, not delegation.
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    await assert.rejects(
      adapter({ privateKeyPem: otherKey }).get(aino, 'sv0000000000t1'),
      (e: unknown) => e instanceof PermanentError && e.code === 'bad-credentials',
    );
  });

  it('requests one token per user across many calls, and one fresh token after a 401', async () => {
    const calendar = adapter();
    for (let i = 0; i < 6; i += 1) await calendar.get(aino, `nosuchevent0000${i}`);
    await calendar.list(aino, { timeMin: CONTRACT_TIME_MIN });
    for (let i = 0; i < 3; i += 1) await calendar.get(ben, `nosuchevent0000${i}`);
    assert.equal(await count({ route: '/token', user: aino.email }), 1);
    assert.equal(await count({ route: '/token', user: ben.email }), 1);
    assert.equal(await count({ route: EVENT, user: aino.email }), 6);

    // A token revoked before its expiry: one new token, then the call goes through.
    await faults([{ route: `GET ${EVENT}`, status: 401, reason: 'authError', count: 1 }]);
    assert.equal(await calendar.get(aino, 'nosuchevent00009'), null);
    assert.equal(await count({ route: '/token', user: aino.email }), 2);
    // Refused again with a fresh token: the credentials are bad, and retrying cannot help.
    await faults([{ route: `GET ${EVENT}`, status: 401, reason: 'authError', count: 2 }]);
    await assert.rejects(
      calendar.get(aino, 'nosuchevent00009'),
      (e: unknown) => e instanceof PermanentError && e.code === 'bad-credentials',
    );
    assert.equal(await count({ route: '/token', user: aino.email }), 3);
    assert.equal(await count({ route: EVENT, method: 'GET', status: 401 }), 3);
  });

  it('turns a connection failure into a TransientError after the policy’s attempts', async () => {
    const { sleep, slept } = recordingSleep();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const calendar = adapter({
      rootUrl: url,
      tokenUrl: `${url}/token`,
      sleep,
      retryPolicy: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 1000 },
    });
    const error = await calendar.get(aino, 'sv0000000000u1').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof TransientError, String(error));
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(slept.length, 2);
  });

  it('pages a full listing and takes the sync token from the last page only', async () => {
    const human = simHuman(aino.email);
    for (let i = 0; i < 5; i += 1) await human.create(timed(`E${i}`, `2030-05-0${i + 1}T08:00:00Z`, 30));
    const calendar = adapter({ pageSize: 2 });
    const full = await calendar.list(aino, { timeMin: CONTRACT_TIME_MIN });
    assert.equal(full.changes.length, 5);
    assert.equal(await count({ route: '/calendar/v3/calendars/{calendarId}/events', method: 'GET' }), 3);
    assert.deepEqual((await calendar.list(aino, { syncToken: full.nextSyncToken })).changes, []);
  });

  it('watches a calendar and stops the channel (a channel already gone counts as stopped)', async () => {
    const received: IncomingHttpHeaders[] = [];
    const receiver = createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/push`;
      const calendar = adapter();
      const before = Date.now();
      const channel = await calendar.watch(aino, {
        id: 'chan-0001',
        address,
        token: 'chan-secret-1',
        ttlSeconds: 3600,
      });
      assert.equal(channel.id, 'chan-0001');
      assert.equal(channel.token, 'chan-secret-1');
      assert.equal(channel.address, address);
      assert.match(channel.expiration, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const ttl = Date.parse(channel.expiration) - before;
      assert.ok(ttl > 3_590_000 && ttl <= 3_601_000, `ttl ${ttl}`);
      const [open] = sim.channels();
      assert.equal(open?.resourceId, channel.resourceId);
      assert.equal(open.user, aino.email);
      await sim.flushNotifications();
      assert.equal(received[0]?.['x-goog-resource-state'], 'sync');
      assert.equal(received[0]['x-goog-channel-token'], 'chan-secret-1');

      await calendar.stop(aino, channel);
      assert.deepEqual(sim.channels(), []);
      await calendar.stop(aino, channel); // 404: already stopped
      assert.equal(await count({ route: '/calendar/v3/channels/stop', status: 404 }), 1);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('writes no key, token, assertion or password into any log line or error message', async () => {
    const proxy = await startProxy('1');
    try {
      const tokensBefore = issuedTokens.length;
      const memory = createMemoryLogger('debug');
      const raw = rawLogger();
      const both: Logger = {
        debug: (m, f) => {
          memory.debug(m, f);
          raw.debug(m, f);
        },
        info: (m, f) => {
          memory.info(m, f);
          raw.info(m, f);
        },
        warn: (m, f) => {
          memory.warn(m, f);
          raw.warn(m, f);
        },
        error: (m, f) => {
          memory.error(m, f);
          raw.error(m, f);
        },
        child: (f) => {
          const a = memory.child(f);
          const b = raw.child(f);
          return {
            debug: (m, g) => {
              a.debug(m, g);
              b.debug(m, g);
            },
            info: (m, g) => {
              a.info(m, g);
              b.info(m, g);
            },
            warn: (m, g) => {
              a.warn(m, g);
              b.warn(m, g);
            },
            error: (m, g) => {
              a.error(m, g);
              b.error(m, g);
            },
            child: () => {
              throw new Error('not needed');
            },
          };
        },
      };
      const calendar = adapter({ rootUrl: proxy.url, tokenUrl: `${proxy.url}/token`, logger: both });
      const errors: unknown[] = [];
      const attempt = async (p: Promise<unknown>): Promise<void> => {
        await p.catch((e: unknown) => errors.push(e));
      };
      // A whole session: listings, writes, a conflict, a retried 429, a refused user, a 401, a watch.
      const full = await calendar.list(aino, { timeMin: CONTRACT_TIME_MIN });
      const { record } = await calendar.insert(aino, 'sv0000000000v1', {
        content: timed('V', '2030-03-04T08:00:00Z', 60),
        severaGuid: 'guid-v',
      });
      await calendar.update(aino, 'sv0000000000v1', record.etag, {
        content: timed('V2', '2030-03-04T08:00:00Z', 60),
        severaGuid: null,
      });
      await attempt(
        calendar.update(aino, 'sv0000000000v1', record.etag, {
          content: timed('V3', '2030-03-04T08:00:00Z', 60),
          severaGuid: null,
        }),
      );
      await faults([{ route: `GET ${EVENT}`, status: 429, count: 1 }]);
      await calendar.get(aino, 'sv0000000000v1');
      await faults([{ route: `GET ${EVENT}`, status: 401, reason: 'authError', count: 2 }]);
      await attempt(calendar.get(aino, 'sv0000000000v1'));
      await calendar.list(aino, { syncToken: full.nextSyncToken });
      await attempt(calendar.get({ ...aino, email: 'stranger@demo.example' }, 'sv0000000000v1'));
      const channel = await calendar.watch(aino, {
        id: 'chan-0002',
        address: `${proxy.url}/push`,
        token: 'chan-secret-2',
        ttlSeconds: 600,
      });
      await calendar.stop(aino, channel);
      await calendar.delete(aino, 'sv0000000000v1', (await calendar.get(aino, 'sv0000000000v1'))?.etag ?? '');
      await sim.flushNotifications();

      // The session did happen, and was logged: every request at debug, the retry at warn.
      assert.equal(errors.length, 3);
      assert.ok(errors.every((e) => e instanceof SyncError));
      assert.ok(raw.lines.some((l) => l.includes('"call":"events.insert"') && l.includes('"status":200')));
      assert.ok(raw.lines.some((l) => l.includes('"level":"warn"') && l.includes('retried')));
      assert.ok(memory.lines.length >= raw.lines.length && raw.lines.length > 10);

      const assertions = proxy.seen
        .filter((r) => r.path === '/token')
        .map((r) => new URLSearchParams(r.body).get('assertion') ?? '');
      const tokens = issuedTokens.slice(tokensBefore);
      assert.ok(
        assertions.length >= 3 && tokens.length >= 2,
        `tokens were issued during the session: ${assertions.length} ${tokens.length}`,
      );
      const pemBody = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
      const secrets = [
        ...tokens,
        ...assertions,
        ...assertions.map((a) => a.split('.')[2] ?? a),
        ...pemBody.slice(1, -1),
        'PRIVATE KEY',
        P12_PASSWORD,
        'chan-secret-2',
      ].filter((s) => s.length >= 10);
      const messages = errors.map((e) =>
        e instanceof Error ? `${e.message} ${JSON.stringify(e)}` : String(e),
      );
      for (const text of [...memory.lines, ...raw.lines, ...messages]) {
        for (const secret of secrets) assert.ok(!text.includes(secret), `leaked into: ${text.slice(0, 160)}`);
      }
    } finally {
      await proxy.close();
    }
  });

  it('maps a person’s private event, and answers get() of an unknown instance id with null', async () => {
    const calendar = adapter();
    const id = await simHuman(aino.email).create(
      timed('Doctor', '2030-03-04T08:00:00Z', 60, { isPrivate: true }),
    );
    const record: GoogleRecord | null = await calendar.get(aino, id);
    assert.equal(record?.content.isPrivate, true);
    assert.equal(await calendar.get(aino, `${id}_20300304T080000Z`), null);
    await assert.rejects(
      calendar.update(aino, `${id}_20300304T080000Z`, 'x', {
        content: timed('X', '2030-03-04T08:00:00Z', 60),
        severaGuid: null,
      }),
      NotFoundError,
    );
  });
});

// ---- Google's own spelling kept, meetings, stubs, usage limits -------------------------------------------------

/** Mondays 09:00–09:30 Helsinki time from 2030-06-03. */
function weekly(title: string, count: number, extra: Partial<EntryContent> = {}): EntryContent {
  return {
    ...timed(title, '2030-06-03T06:00:00Z', 30),
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
          end: { kind: 'count', count },
        },
      },
      exdates: [],
      overrides: [],
    },
    ...extra,
  };
}

/** An event a person made in Google's UI, with fields as Google's UI writes them. */
function humanEvent(email: string, content: EntryContent, fields: Record<string, unknown>): string {
  const created = sim.act({ action: 'create', as: email, event: { ...humanBody(content), ...fields } }) as {
    id: string;
  };
  return created.id;
}

async function read(user: SyncUser, id: string): Promise<GoogleRecord> {
  const record = await adapter().get(user, id);
  assert.ok(record, `event ${id}`);
  return record;
}

const RICH =
  '<b>Agenda</b><br>See <a href="https://docs.example/plan">the plan</a><ul><li>budget &amp; hiring</li><li>Q&amp;A</li></ul>';

describe('GoogleCalendarAdapter: a cancelled occurrence that comes as a bare stub (google-calendar.md §3)', () => {
  beforeEach(() => {
    seed({ events: true });
  });

  it('folds a stub the iCalUID query cannot find into the series’ exdates, in incremental and full listings', async () => {
    const calendar = adapter();
    const before = await calendar.list(aino, { timeMin: '2026-10-01T00:00:00Z' });
    // What an import can leave: only the stub, no iCalUID even on the server (the simulator's control surface).
    sim.act({
      action: 'importCancelledOccurrence',
      as: aino.email,
      id: DEMO_EVENT_IDS.weekly,
      originalStart: '2026-12-07T07:00:00Z',
    });
    const delta = await calendar.list(aino, { syncToken: before.nextSyncToken });
    assert.deepEqual(
      delta.changes.map((c) => (c.kind === 'upsert' ? c.record.id : c.id)),
      [DEMO_EVENT_IDS.weekly],
    );
    const series = delta.changes[0];
    assert.ok(series?.kind === 'upsert');
    assert.deepEqual(series.record.content.recurrence?.exdates, ['2026-12-07T07:00:00Z']);
    assert.deepEqual(
      series.record.content.recurrence.overrides.map((o) => o.originalStart),
      ['2026-11-16T07:00:00Z'],
    );

    const full = await calendar.list(aino, { timeMin: '2026-10-01T00:00:00Z' });
    const again = full.changes.find((c) => c.kind === 'upsert' && c.record.id === DEMO_EVENT_IDS.weekly);
    assert.ok(again?.kind === 'upsert');
    assert.deepEqual(again.record.content.recurrence?.exdates, ['2026-12-07T07:00:00Z']);
    assert.equal(again.record.etag, series.record.etag);
  });
});

describe('GoogleCalendarAdapter: a write that knows the current content sends only what changes', () => {
  beforeEach(() => {
    seed();
  });

  it('keeps `public` and `confidential` when only the title changes; a privacy change writes private/default', async () => {
    const calendar = adapter();
    const pub = humanEvent(aino.email, timed('Open day', '2030-03-04T08:00:00Z', 60), {
      visibility: 'public',
    });
    const conf = humanEvent(aino.email, timed('Doctor', '2030-03-05T08:00:00Z', 60), {
      visibility: 'confidential',
    });
    for (const [id, visibility] of [
      [pub, 'public'],
      [conf, 'confidential'],
    ] as const) {
      const current = await read(aino, id);
      const written = await calendar.update(aino, id, current.etag, {
        content: { ...current.content, title: `${current.content.title} (renamed)` },
        current: current.content,
        severaGuid: null,
      });
      assert.equal(written.content.title, `${current.content.title} (renamed)`);
      assert.equal(storedEvent(aino.email, id)?.visibility, visibility);
    }

    const privateNow = await read(aino, pub);
    await calendar.update(aino, pub, privateNow.etag, {
      content: { ...privateNow.content, isPrivate: true },
      current: privateNow.content,
      severaGuid: null,
    });
    assert.equal(storedEvent(aino.email, pub)?.visibility, 'private');
    const publicNow = await read(aino, conf);
    await calendar.update(aino, conf, publicNow.etag, {
      content: { ...publicNow.content, isPrivate: false },
      current: publicNow.content,
      severaGuid: null,
    });
    assert.equal(storedEvent(aino.email, conf)?.visibility, 'default');
  });

  it('without the current content every synced field is written, as before', async () => {
    const id = humanEvent(aino.email, timed('Open day', '2030-03-04T08:00:00Z', 60), {
      visibility: 'public',
    });
    const current = await read(aino, id);
    await adapter().update(aino, id, current.etag, {
      content: { ...current.content, title: 'Open day (renamed)' },
      severaGuid: null,
    });
    assert.equal(storedEvent(aino.email, id)?.visibility, 'default');
  });

  it('sends a patch holding only the changed field, with If-Match', async () => {
    const proxy = await startProxy();
    try {
      const id = humanEvent(aino.email, timed('Open day', '2030-03-04T08:00:00Z', 60), {
        visibility: 'public',
        description: RICH,
      });
      const calendar = adapter({ rootUrl: proxy.url, tokenUrl: `${proxy.url}/token` });
      const current = await calendar.get(aino, id);
      assert.ok(current);
      await calendar.update(aino, id, current.etag, {
        content: { ...current.content, location: 'Hall B' },
        current: current.content,
        severaGuid: 'guid-p',
      });
      const patch = proxy.seen.find((r) => r.method === 'PATCH');
      assert.ok(patch);
      assert.equal(patch.ifMatch, current.etag);
      assert.deepEqual(JSON.parse(patch.body), {
        location: 'Hall B',
        extendedProperties: { private: { severaGuid: 'guid-p' } },
      });
    } finally {
      await proxy.close();
    }
  });

  it('reads an HTML description as text, and a title change from Severa leaves the HTML untouched', async () => {
    const calendar = adapter();
    const id = humanEvent(aino.email, timed('Planning', '2030-03-04T08:00:00Z', 60), { description: RICH });
    const current = await read(aino, id);
    assert.equal(
      current.content.notes,
      'Agenda\nSee the plan (https://docs.example/plan)\n- budget & hiring\n- Q&A',
    );
    const written = await calendar.update(aino, id, current.etag, {
      content: { ...current.content, title: 'Planning (from Severa)' },
      current: current.content,
      severaGuid: null,
    });
    assert.equal(storedEvent(aino.email, id)?.description, RICH);
    assert.equal(written.content.title, 'Planning (from Severa)');
    assert.equal(written.content.notes, current.content.notes);
    // Notes changed in Severa: then the text replaces the HTML.
    await calendar.update(aino, id, written.etag, {
      content: { ...written.content, notes: 'New agenda' },
      current: written.content,
      severaGuid: null,
    });
    assert.equal(storedEvent(aino.email, id)?.description, 'New agenda');
  });

  it('a series master and its modified occurrence keep what did not change', async () => {
    const calendar = adapter();
    const id = 'sv00000000ab01';
    const { record } = await calendar.insert(aino, id, {
      content: weekly('Weekly', 4, {
        recurrence: {
          ...weekly('Weekly', 4).recurrence!,
          overrides: [
            {
              originalStart: '2030-06-10T06:00:00Z',
              title: 'Weekly (late)',
              notes: '',
              location: '',
              timing: timed('x', '2030-06-10T08:00:00Z', 30).timing,
            },
          ],
        },
      }),
      severaGuid: 'guid-w',
    });
    sim.act({ action: 'update', as: aino.email, id, changes: { visibility: 'public', description: RICH } });
    sim.act({
      action: 'update',
      as: aino.email,
      id: `${id}_20300610T060000Z`,
      changes: { description: RICH },
    });
    const current = await read(aino, id);
    assert.notEqual(current.etag, record.etag);
    const recurrence = current.content.recurrence;
    assert.ok(recurrence);
    const written = await calendar.update(aino, id, current.etag, {
      content: {
        ...current.content,
        title: 'Weekly (renamed)',
        recurrence: {
          ...recurrence,
          overrides: recurrence.overrides.map((o) => ({ ...o, title: 'Weekly (renamed, late)' })),
        },
      },
      current: current.content,
      severaGuid: null,
    });
    assert.equal(written.content.title, 'Weekly (renamed)');
    const master = storedEvent(aino.email, id);
    assert.ok(master);
    assert.equal(master.visibility, 'public');
    assert.equal(master.description, RICH);
    const exception = storedEvent(aino.email, `${id}_20300610T060000Z`);
    assert.ok(exception);
    assert.equal(exception.summary, 'Weekly (renamed, late)');
    assert.equal(exception.description, RICH);
  });

  it('the undelete path of a retried insert (409) also sends only what changed', async () => {
    const calendar = adapter();
    const id = 'sv0000000000u2';
    const { record } = await calendar.insert(aino, id, {
      content: timed('Review', '2030-03-04T08:00:00Z', 60),
      severaGuid: 'guid-u',
    });
    sim.act({ action: 'update', as: aino.email, id, changes: { visibility: 'public', description: RICH } });
    const before = await read(aino, id);
    sim.act({ action: 'delete', as: aino.email, id });
    const { created, record: back } = await calendar.insert(aino, id, {
      content: { ...before.content, title: 'Review (again)' },
      current: before.content,
      severaGuid: 'guid-u',
    });
    assert.equal(created, false);
    assert.equal(back.content.title, 'Review (again)');
    const stored = storedEvent(aino.email, id);
    assert.ok(stored);
    assert.equal(stored.status, 'confirmed');
    assert.equal(stored.visibility, 'public');
    assert.equal(stored.description, RICH);
    assert.notEqual(back.etag, record.etag);
  });
});

describe('GoogleCalendarAdapter: meetings the user organises (sendUpdates)', () => {
  beforeEach(() => {
    seed();
  });

  const last = (): string | null => sim.writes().at(-1)?.sendUpdates ?? null;

  it('reads who organises a meeting, and tells its guests only when asked', async () => {
    const calendar = adapter();
    const created = sim.act({
      action: 'create',
      as: aino.email,
      event: humanBody(timed('Kickoff', '2030-03-04T08:00:00Z', 60)),
      attendees: [ben.email],
    }) as { id: string };
    const mine = await read(aino, created.id);
    assert.equal(mine.organizerOfMeeting, true);
    assert.equal((await read(ben, created.id)).organizerOfMeeting, false);
    const own = await simHuman(aino.email).create(timed('Alone', '2030-03-05T08:00:00Z', 60));
    assert.equal((await read(aino, own)).organizerOfMeeting, false);

    const moved = await calendar.update(aino, created.id, mine.etag, {
      content: timed('Kickoff', '2030-03-04T09:00:00Z', 60),
      current: mine.content,
      severaGuid: null,
      notifyGuests: true,
    });
    assert.equal(last(), 'all');
    const renamed = await calendar.update(aino, created.id, moved.etag, {
      content: { ...moved.content, title: 'Kickoff (quiet)' },
      severaGuid: null,
    });
    assert.equal(last(), 'none');
    await calendar.delete(aino, created.id, renamed.etag, { notifyGuests: true });
    assert.equal(last(), 'all');
    assert.equal(storedEvent(ben.email, created.id)?.status, 'cancelled');
    await calendar.delete(aino, own, (await read(aino, own)).etag);
    assert.equal(last(), 'none');
  });

  it('sends the same sendUpdates on every write of a series: master, exceptions, cancelled occurrences', async () => {
    const calendar = adapter();
    const id = 'sv0000000000n1';
    const series = weekly('Standup', 4);
    const { record } = await calendar.insert(aino, id, {
      content: series,
      severaGuid: 'guid-n',
      notifyGuests: true,
    });
    const recurrence = series.recurrence!;
    await calendar.update(aino, id, record.etag, {
      content: {
        ...series,
        recurrence: {
          ...recurrence,
          overrides: [
            {
              originalStart: '2030-06-10T06:00:00Z',
              title: 'Standup (late)',
              notes: '',
              location: '',
              timing: timed('x', '2030-06-10T07:00:00Z', 30).timing,
            },
          ],
        },
      },
      current: record.content,
      severaGuid: null,
      notifyGuests: true,
    });
    const occurrence = await read(aino, `${id}_20300617T060000Z`);
    await calendar.delete(aino, occurrence.id, occurrence.etag, { notifyGuests: true });
    const writes = sim.writes().map((w) => [w.method, w.eventId, w.sendUpdates]);
    assert.deepEqual(writes, [
      ['POST', id, 'all'],
      ['PATCH', `${id}_20300610T060000Z`, 'all'],
      ['DELETE', `${id}_20300617T060000Z`, 'all'],
    ]);
  });
});

describe('GoogleCalendarAdapter: Calendar usage limits (403 quotaExceeded, google-calendar.md §4)', () => {
  beforeEach(() => {
    seed();
  });

  it('is not retried: one request, no wait, a QuotaExceededError for the worker to pause the person', async () => {
    const { sleep, slept } = recordingSleep();
    const calendar = adapter({ sleep });
    const { record } = await calendar.insert(aino, 'sv00000000ab02', {
      content: timed('X', '2030-03-04T08:00:00Z', 60),
      severaGuid: 'guid-x',
    });
    await faults([{ route: `PATCH ${EVENT}`, status: 403, reason: 'quotaExceeded', count: 3 }]);
    await assert.rejects(
      calendar.update(aino, 'sv00000000ab02', record.etag, {
        content: timed('X2', '2030-03-04T08:00:00Z', 60),
        severaGuid: null,
      }),
      QuotaExceededError,
    );
    assert.equal(await count({ route: EVENT, method: 'PATCH', status: 403 }), 1);
    assert.deepEqual(slept, []);
    // The same status with a rate-limit reason is still retried.
    await faults([{ route: `PATCH ${EVENT}`, status: 403, reason: 'rateLimitExceeded', count: 1 }]);
    await calendar.update(aino, 'sv00000000ab02', record.etag, {
      content: timed('X2', '2030-03-04T08:00:00Z', 60),
      severaGuid: null,
    });
    assert.equal(slept.length, 1);
  });
});

/**
 * The production Severa adapter against the Severa API simulator (a real HTTP server): the port contract, plus what
 * only the HTTP layer can show (tokens, headers, paging, pacing, retries, error mapping, log secrecy).
 *
 * Time: the simulator, the adapter's clock, its rate limiter and its retry sleeps share one stepped clock, and a
 * "sleep" moves that clock on. So the limiter's spacing is real in the simulator's eyes (its 10 requests/s window is
 * enforced on this clock), while the tests take milliseconds of wall time.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import { RateLimiter } from '../../shared/adapters/throttle.js';
import {
  PermanentError,
  PreconditionFailedError,
  RateLimitedError,
  TransientError,
  deleteExpectationOf,
  sideVersionOf,
} from '../../shared/domain/index.js';
import type { Clock, Logger, Sleep } from '../../shared/ports/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import {
  SEVERA_SYNC_SCOPES,
  SeveraAdapter,
  SeveraHttpClient,
  contentToActivityCreate,
  type SeveraHttpClientOptions,
} from '../../shared/adapters/severa/index.js';
import { SteppedClock } from '../sim/common/index.js';
import {
  DEMO_ACTIVITIES,
  DEMO_CREDENTIALS,
  DEMO_SCOPES,
  DEMO_TYPES,
  DEMO_USERS,
  createSeveraSim,
  demoFixture,
  occurrenceGuid,
  type SeveraFixture,
  type SeveraSim,
} from '../sim/severa/index.js';
import { describeSeveraPortContract, type SeveraPortFixture } from '../contract/severa-port.contract.js';

const T0 = '2026-11-20T12:00:00Z';
const LIMITED = { clientId: 'limited-client', clientSecret: 'limited-secret-0123456789' } as const;

/** The demo organisation plus a credential without `activities:delete` and an inactive user. */
const fixture: SeveraFixture = {
  ...demoFixture,
  credentials: [
    ...demoFixture.credentials,
    {
      ...LIMITED,
      scopes: DEMO_SCOPES.filter((s) => s !== 'activities:delete'),
      apiUserGuid: DEMO_USERS.integration,
    },
  ],
  users: [
    ...demoFixture.users,
    {
      guid: '11111111-1111-4111-8111-000000000009',
      firstName: 'Former',
      lastName: 'Employee',
      email: 'former@demo.example',
      isActive: false,
      timezone: 'Europe/Helsinki',
    },
  ],
};

interface Rig {
  readonly sim: SeveraSim;
  readonly clock: SteppedClock;
  readonly appClock: Clock;
  readonly sleep: Sleep;
  readonly url: string;
  /** Every access and refresh token the simulator issued. */
  readonly issued: string[];
  /** Every wait the adapter asked for (limiter and backoff). */
  readonly sleeps: number[];
  /** Request headers and URLs the adapter sent. */
  readonly sent: { readonly url: string; readonly headers: Headers }[];
  client(options?: Partial<SeveraHttpClientOptions>): SeveraHttpClient;
  adapter(options?: Partial<SeveraHttpClientOptions>, logger?: Logger): SeveraAdapter;
  count(method: string, route: string, status?: number): number;
  close(): Promise<void>;
}

const rigs: Rig[] = [];

async function startRig(opts: { seed?: SeveraFixture; rateLimitPerSecond?: number } = {}): Promise<Rig> {
  const clock = new SteppedClock(T0);
  const issued: string[] = [];
  const sleeps: number[] = [];
  const sent: { url: string; headers: Headers }[] = [];
  const sim = createSeveraSim({
    clock,
    seed: 7,
    rateLimitPerSecond: opts.rateLimitPerSecond ?? 10, // Severa's documented limit (severa-api.md §4)
    onResponse: (e) => {
      if ((e.routeKey === 'POST /v1/token' || e.routeKey === 'POST /v1/refreshtoken') && e.status === 200) {
        const body = e.responseBody as { access_token: string; refresh_token: string };
        issued.push(body.access_token, body.refresh_token);
      }
    },
  });
  const server = await sim.start();
  sim.seed(opts.seed ?? fixture);
  const appClock: Clock = { now: () => new Date(clock.now()) };
  const sleep: Sleep = (ms) => {
    sleeps.push(ms);
    clock.advance(ms);
    return Promise.resolve();
  };
  const recordingFetch: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    sent.push({ url, headers: new Headers(init?.headers) });
    return fetch(input, init);
  };
  const client = (options: Partial<SeveraHttpClientOptions> = {}) =>
    new SeveraHttpClient({
      baseUrl: server.url,
      clientId: DEMO_CREDENTIALS.clientId,
      clientSecret: DEMO_CREDENTIALS.clientSecret,
      clock: appClock,
      sleep,
      rateLimiter: new RateLimiter({ clock: appClock, sleep }),
      random: () => 0.5,
      fetch: recordingFetch,
      ...options,
    });
  const rig: Rig = {
    sim,
    clock,
    appClock,
    sleep,
    url: server.url,
    issued,
    sleeps,
    sent,
    client,
    adapter: (options, logger) =>
      new SeveraAdapter({
        client: client({ ...options, ...(logger ? { logger } : {}) }),
        clock: appClock,
        ...(logger ? { logger } : {}),
      }),
    count: (method, route, status) =>
      sim.stats.total({ method, route, ...(status === undefined ? {} : { status }) }),
    close: () => sim.stop(),
  };
  rigs.push(rig);
  return rig;
}

afterEach(async () => {
  for (const rig of rigs.splice(0)) await rig.close();
});

// ---------------------------------------------------------------------------------------------------------------
// The port contract

describeSeveraPortContract('SeveraAdapter on the Severa simulator', async (): Promise<SeveraPortFixture> => {
  const rig = await startRig({ seed: { ...fixture, activities: [] } });
  const port = rig.adapter();
  const zoneOf = (guid: string) => fixture.users.find((u) => u.guid === guid)?.timezone ?? 'UTC';
  const user = (guid: string) => ({ guid, timeZone: zoneOf(guid) });
  return {
    port,
    users: {
      owner: user(DEMO_USERS.helsinki),
      other: user(DEMO_USERS.newYork),
      third: user(DEMO_USERS.london),
    },
    types: { meeting: DEMO_TYPES.meeting, personal: DEMO_TYPES.personal },
    now: () => rig.appClock.now(),
    advance: (ms) => {
      rig.clock.advance(ms);
    },
    human: {
      create: (input) => {
        const body = contentToActivityCreate({ ...input, timeZone: zoneOf(input.ownerGuid) });
        const created = rig.sim.act({
          action: 'create',
          as: input.ownerGuid,
          activity: { ...body, participantGuids: [...(input.participantGuids ?? [])] },
        });
        return Promise.resolve(created?.guid ?? '');
      },
      rename: (guid, title) => {
        const owner = rig.sim.activity(guid)?.ownerUser.guid ?? DEMO_USERS.helsinki;
        rig.sim.act({ action: 'update', guid, as: owner, changes: { name: title } });
        return Promise.resolve();
      },
      delete: (guid) => {
        rig.sim.act({ action: 'delete', guid });
        return Promise.resolve();
      },
      cancelOccurrence: (seriesGuid, originalStart) => {
        rig.sim.act({ action: 'cancelOccurrence', seriesGuid, originalStart });
        return Promise.resolve();
      },
    },
    close: async () => {
      // Nothing the contract did may have tripped Severa's 10 requests/s limit.
      assert.equal(rig.count('GET', '/v1/activities', 429), 0);
      assert.equal(rig.sim.stats.total({ status: 429 }), 0);
      await rig.close();
    },
  };
});

// ---------------------------------------------------------------------------------------------------------------
// What only the HTTP adapter shows

describe('SeveraAdapter over HTTP: tokens and headers (severa-api.md §2)', () => {
  it('uses one token for many requests and sends Authorization and Client_Id on every call', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    for (let i = 0; i < 5; i += 1) assert.ok(await adapter.get(DEMO_ACTIVITIES.workshop));
    await adapter.listUsers();
    assert.equal(rig.count('POST', '/v1/token'), 1);
    const apiCalls = rig.sent.filter((s) => !s.url.includes('/v1/token'));
    assert.equal(apiCalls.length, rig.sim.stats.total() - 1);
    assert.ok(apiCalls.length >= 7, String(apiCalls.length));
    for (const call of apiCalls) {
      assert.equal(call.headers.get('client_id'), DEMO_CREDENTIALS.clientId);
      assert.match(call.headers.get('authorization') ?? '', /^Bearer \S{16,}$/);
    }
    // The simulator enforces Client_Id, so the calls above prove it was accepted; without it, 401.
    const token = rig.sim.issueToken(DEMO_CREDENTIALS.clientId);
    const bare = await fetch(`${rig.url}/heartbeat/authorized`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(bare.status, 401);
  });

  it('renews the token about five minutes before it expires, not earlier', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const issuedAt = rig.clock.now(); // the first call asks for the token at once
    await adapter.get(DEMO_ACTIVITIES.workshop);
    const at = (ms: number) => {
      rig.clock.advance(issuedAt + ms - rig.clock.now());
    };
    at(3_290_000); // 54 min 50 s into a 60 min token: still used
    await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.equal(rig.count('POST', '/v1/token'), 1);
    at(3_301_000); // inside the last 5 minutes: renewed before use
    await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.equal(rig.count('POST', '/v1/token', 200), 2);
    assert.equal(rig.sim.stats.total({ status: 401 }), 0, 'renewed before Severa refused it');
  });

  it('renews once on a 401 and repeats the call; a second 401 is bad credentials', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    await adapter.get(DEMO_ACTIVITIES.dentist);
    rig.sim.faults.set([{ route: 'GET /v1/activities/{guid}', status: 401, count: 1 }]);
    assert.equal((await adapter.get(DEMO_ACTIVITIES.dentist))?.content.title, 'Dentist');
    assert.equal(rig.count('POST', '/v1/token', 200), 2);
    assert.equal(rig.count('GET', '/v1/activities/{guid}', 401), 1);

    rig.sim.faults.set([{ route: 'GET /v1/activities/{guid}', status: 401, count: 5 }]);
    await assert.rejects(adapter.get(DEMO_ACTIVITIES.dentist), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'bad-credentials');
      return true;
    });
    assert.equal(rig.count('GET', '/v1/activities/{guid}', 401), 3, 'one renewal per call, no retries');
  });

  it('bad credentials → PermanentError(bad-credentials) telling where to fix them, without the secret', async () => {
    const rig = await startRig();
    const secret = 'wrong-secret-4f9a1c77';
    const adapter = rig.adapter({ clientSecret: secret });
    const error = await adapter.get(DEMO_ACTIVITIES.workshop).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof PermanentError, String(error));
    assert.equal(error.code, 'bad-credentials');
    assert.match(error.userMessage, /client id and client secret/);
    assert.match(error.userMessage, /Settings → Integrations → REST API/);
    assert.ok(!error.message.includes(secret));
    assert.equal(rig.count('GET', '/v1/activities/{guid}'), 0);
    assert.ok(rig.count('POST', '/v1/token', 401) <= 2, 'no retry of a refused credential');
  });

  it('a credential without a scope → PermanentError(missing-scope) naming it, at the token or at the route', async () => {
    const rig = await startRig();
    // Asking for all the sync's scopes: Severa refuses the token (§2).
    const all = rig.adapter(LIMITED);
    await assert.rejects(all.checkAccess(), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'missing-scope');
      assert.match(e.userMessage, /"activities:delete"/);
      assert.match(e.userMessage, /Settings → Integrations → REST API/);
      assert.ok(!e.userMessage.includes(LIMITED.clientSecret));
      return true;
    });
    // Asking only for what it has: reads work, the delete route answers 403 InsufficientApiScope (§14.9).
    const some = rig.adapter({
      ...LIMITED,
      scopes: SEVERA_SYNC_SCOPES.filter((s) => s !== 'activities:delete'),
    });
    const dentist = await some.get(DEMO_ACTIVITIES.dentist);
    assert.ok(dentist);
    await assert.rejects(some.delete(dentist.guid, deleteExpectationOf(dentist)), (e: unknown) => {
      assert.ok(e instanceof PermanentError);
      assert.equal(e.code, 'missing-scope');
      assert.match(e.userMessage, /"activities:delete"/);
      return true;
    });
    assert.equal(rig.count('DELETE', '/v1/activities/{guid}', 403), 1);
    assert.ok(await some.get(DEMO_ACTIVITIES.dentist));
  });

  it('checkAccess reports the granted scopes of a working credential', async () => {
    const rig = await startRig();
    const access = await rig.adapter().checkAccess();
    assert.deepEqual([...access.grantedScopes].sort(), [...SEVERA_SYNC_SCOPES].sort());
    assert.equal(rig.count('GET', '/heartbeat/authorized', 204), 1);
  });
});

describe('SeveraAdapter over HTTP: paging, pacing, retries (severa-api.md §3, §4)', () => {
  it('pages with rowCount 100 and NextPageToken through more than 100 activities', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const base = Date.parse('2026-12-10T06:00:00Z');
    for (let i = 0; i < 230; i += 1) {
      rig.sim.act({
        action: 'create',
        as: DEMO_USERS.london,
        activity: {
          name: `Bulk ${i}`,
          startDateTime: new Date(base + i * 600_000).toISOString(),
          endDateTime: new Date(base + i * 600_000 + 300_000).toISOString(),
          activityType: { guid: DEMO_TYPES.meeting },
          ownerUser: { guid: DEMO_USERS.london },
        },
      });
    }
    const window = { from: '2026-12-09T00:00:00Z', to: '2026-12-13T00:00:00Z' };
    const before = rig.count('GET', '/v1/activities');
    const listed = await adapter.listForUser(DEMO_USERS.london, window);
    // The 230 plus the weekly series Cecilia takes part in.
    assert.equal(listed.filter((r) => r.content.title.startsWith('Bulk ')).length, 230);
    assert.equal(new Set(listed.map((r) => r.guid)).size, 231);
    assert.ok(listed.some((r) => r.guid === DEMO_ACTIVITIES.weeklySync));
    // Three pages of single activities (100 + 100 + 30) and one of series masters.
    assert.equal(rig.count('GET', '/v1/activities') - before, 4);
    const pageQueries = rig.sent
      .map((s) => new URL(s.url))
      .filter(
        (u) => u.pathname.endsWith('/v1/activities') && u.searchParams.get('recurrenceType') === 'None',
      );
    assert.deepEqual(
      pageQueries.map((u) => u.searchParams.get('rowCount')),
      ['100', '100', '100'],
    );
    assert.deepEqual(
      pageQueries.map((u) => u.searchParams.get('pageToken') !== null),
      [false, true, true],
    );
    // Participants are read once per activity version; a second listing reuses them.
    const participantCalls = rig.count('GET', '/v1/activities/{activityGuid}/activityparticipants');
    assert.equal((await adapter.listForUser(DEMO_USERS.london, window)).length, 231);
    assert.equal(rig.count('GET', '/v1/activities/{activityGuid}/activityparticipants'), participantCalls);
    assert.equal(rig.sim.stats.total({ status: 429 }), 0, 'hundreds of calls, never over 10/s');
  });

  it('scopes listForUser server-side: repeated userGuids, includeAsMember, window with encoded offsets', async () => {
    const rig = await startRig();
    const listed = await rig.adapter().listForUser(DEMO_USERS.newYork, {
      from: '2026-11-10T00:00:00Z',
      to: '2026-12-31T00:00:00Z',
    });
    // Ben owns the weekly series and takes part in the workshop.
    assert.deepEqual(
      listed.map((r) => r.guid).sort(),
      [DEMO_ACTIVITIES.workshop, DEMO_ACTIVITIES.weeklySync].sort(),
    );
    const raw = rig.sent.map((s) => s.url).find((u) => u.includes('recurrenceType=None'));
    assert.ok(raw);
    assert.match(raw, new RegExp(`userGuids=${DEMO_USERS.newYork}`));
    assert.match(raw, /includeAsMember=true/);
    // New York in November is UTC−5: the window is written in the user's zone with an explicit offset.
    assert.match(raw, /startDateTime=2026-11-09T19%3A00%3A00\.000-05%3A00/);
    const helsinki = await rig.adapter().listForUser(DEMO_USERS.helsinki, {
      from: '2026-11-01T00:00:00Z',
      to: '2026-12-31T00:00:00Z',
    });
    assert.ok(helsinki.some((r) => r.guid === DEMO_ACTIVITIES.dentist));
    assert.ok(rig.sent.some((s) => s.url.includes('startDateTime=2026-11-01T02%3A00%3A00.000%2B02%3A00')));
  });

  it('stays under 10 requests/s at its own pace; without pacing Severa would answer 429', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    for (let i = 0; i < 40; i += 1) await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.equal(rig.sim.stats.total({ status: 429 }), 0);
    assert.ok(rig.sleeps.length > 40 && rig.sleeps.every((ms) => ms <= 125));

    const unpaced = rig.adapter({
      rateLimiter: new RateLimiter({ ratePerSecond: Number.POSITIVE_INFINITY }),
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    await assert.rejects(
      (async () => {
        for (let i = 0; i < 20; i += 1) await unpaced.get(DEMO_ACTIVITIES.workshop);
      })(),
      RateLimitedError,
    );
    assert.ok(rig.sim.stats.total({ status: 429 }) > 0, 'the simulator does enforce the limit');
  });

  it('retries a 429 storm with growing backoff, then succeeds, without tripping the real limit', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    await adapter.get(DEMO_ACTIVITIES.workshop);
    rig.sleeps.length = 0;
    rig.sim.faults.set([{ route: '*', status: 429, count: 3 }]);
    const got = await adapter.get(DEMO_ACTIVITIES.dentist);
    assert.equal(got?.content.title, 'Dentist');
    assert.equal(rig.sim.stats.total({ status: 429 }), 3, 'only the injected ones');
    const backoffs = rig.sleeps.filter((ms) => ms > 125);
    assert.deepEqual(backoffs, [250, 500, 1000], 'full-jitter caps 500, 1000, 2000 at random 0.5');
  });

  it('retries 5xx and gives up with TransientError after the policy’s attempts', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    rig.sim.faults.set([{ route: 'GET /v1/activities/{guid}', status: 503, count: 2 }]);
    assert.ok(await adapter.get(DEMO_ACTIVITIES.workshop));
    assert.equal(rig.count('GET', '/v1/activities/{guid}', 503), 2);

    rig.sim.faults.set([{ route: 'GET /v1/activities/{guid}', status: 500 }]);
    await assert.rejects(adapter.get(DEMO_ACTIVITIES.workshop), TransientError);
    assert.equal(rig.count('GET', '/v1/activities/{guid}', 500), 5);
  });

  it('never repeats a create after an ambiguous failure (no idempotency key), but does after a 429', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const workshop = await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.ok(workshop);
    const input = {
      content: { ...workshop.content, title: 'Once only' },
      activityTypeGuid: DEMO_TYPES.meeting,
      ownerGuid: DEMO_USERS.helsinki,
    };
    rig.sim.faults.set([{ route: 'POST /v1/activities', status: 503, count: 1 }]);
    await assert.rejects(adapter.create(input), TransientError);
    assert.equal(
      rig.count('POST', '/v1/activities'),
      1,
      'left to the runner’s redelivery and intent recovery',
    );

    rig.sim.faults.set([{ route: 'POST /v1/activities', status: 429, count: 2 }]);
    const created = await adapter.create(input);
    assert.equal(created.content.title, 'Once only');
    assert.equal(rig.count('POST', '/v1/activities', 429), 2);
    assert.equal(rig.count('POST', '/v1/activities', 201), 1);

    // Adding a participant is safe to repeat ("already a participant" is a success).
    rig.sim.faults.set([{ route: 'POST /v1/activityparticipants', status: 502, count: 1 }]);
    assert.deepEqual((await adapter.addParticipant(created.guid, DEMO_USERS.london)).participantGuids, [
      DEMO_USERS.london,
    ]);
    assert.equal(rig.count('POST', '/v1/activityparticipants', 502), 1);
  });

  it('does not retry a 400: PermanentError(validation) with Severa’s details', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const workshop = await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.ok(workshop);
    await assert.rejects(
      adapter.create({
        content: workshop.content,
        activityTypeGuid: 'no-such-type',
        ownerGuid: DEMO_USERS.helsinki,
      }),
      (e: unknown) => {
        assert.ok(e instanceof PermanentError);
        assert.equal(e.code, 'validation');
        assert.match(e.userMessage, /activityType\.guid/);
        return true;
      },
    );
    assert.equal(rig.count('POST', '/v1/activities', 400), 1);
  });

  it('times out a request that gets no answer and treats it as transient', async () => {
    const rig = await startRig();
    const adapter = rig.adapter({
      timeoutMs: 30,
      retryPolicy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    });
    await adapter.get(DEMO_ACTIVITIES.workshop);
    rig.sim.faults.set([{ route: 'GET /v1/activities/{guid}', latencyMs: 150, count: 1 }]);
    await assert.rejects(adapter.get(DEMO_ACTIVITIES.workshop), (e: unknown) => {
      assert.ok(e instanceof TransientError);
      assert.match(e.message, /no answer within 30 ms/);
      return true;
    });
  });
});

describe('SeveraAdapter over HTTP: read-check-write, series, directory', () => {
  it('sends no PATCH or DELETE when the version moved', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const workshop = await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.ok(workshop);
    rig.clock.advance(1000);
    rig.sim.act({ action: 'touch', guid: DEMO_ACTIVITIES.workshop, as: DEMO_USERS.helsinki });
    await assert.rejects(
      adapter.update(workshop.guid, sideVersionOf(workshop), { content: workshop.content }),
      PreconditionFailedError,
    );
    await assert.rejects(
      adapter.delete(workshop.guid, deleteExpectationOf(workshop)),
      PreconditionFailedError,
    );
    assert.equal(rig.count('PATCH', '/v1/activities/{guid}'), 0);
    assert.equal(rig.count('DELETE', '/v1/activities/{guid}'), 0);
  });

  it('writes only the fields that changed (JSON Patch replace), and nothing when nothing changed', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const workshop = await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.ok(workshop);
    const same = await adapter.update(workshop.guid, sideVersionOf(workshop), { content: workshop.content });
    assert.equal(same.version, workshop.version);
    assert.equal(rig.count('PATCH', '/v1/activities/{guid}'), 0);
    const moved = await adapter.update(workshop.guid, sideVersionOf(workshop), {
      content: { ...workshop.content, location: 'Espoo office' },
    });
    assert.equal(moved.content.location, 'Espoo office');
    assert.equal(rig.sim.activity(DEMO_ACTIVITIES.workshop)?.location, 'Espoo office');
    assert.equal(rig.count('PATCH', '/v1/activities/{guid}', 200), 1);
  });

  it('reads a series as one record; an occurrence guid resolves to its series; project tasks are marked', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const series = await adapter.get(DEMO_ACTIVITIES.weeklySync);
    assert.ok(series?.content.recurrence);
    assert.equal(series.content.recurrence.pattern.kind, 'rule');
    assert.deepEqual(series.participantGuids, [DEMO_USERS.london]);
    assert.equal(
      series.content.timing.kind === 'timed' && series.content.timing.timeZone,
      'America/New_York',
    );
    const occurrence = occurrenceGuid(DEMO_ACTIVITIES.weeklySync, Date.parse('2026-11-09T15:00:00Z'));
    assert.deepEqual(await adapter.get(occurrence), series);
    const task = await adapter.get(DEMO_ACTIVITIES.projectTask);
    assert.equal(task?.isProjectTask, true);
    const changed = await adapter.listChangedSince('2026-01-01T00:00:00Z');
    assert.deepEqual(
      changed.map((r) => r.guid).sort(),
      Object.values(DEMO_ACTIVITIES).sort(),
      'one record per activity or series, no occurrence rows',
    );
  });

  it('a series’ version covers its exception rows: re-editing a moved occurrence is a change', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const originalStart = '2026-11-16T15:00:00Z';
    rig.sim.act({
      action: 'moveOccurrence',
      seriesGuid: DEMO_ACTIVITIES.weeklySync,
      originalStart,
      newStart: '2026-11-16T16:00:00Z',
    });
    const before = await adapter.get(DEMO_ACTIVITIES.weeklySync);
    assert.equal(before?.content.recurrence?.overrides.length, 1);
    const masterStamp = rig.sim.activity(DEMO_ACTIVITIES.weeklySync)?.lastUpdatedDateTime;
    rig.clock.advance(5_000);
    // The exception row is edited again: in the simulator only that row is stamped, not the master.
    const exceptionGuid = occurrenceGuid(DEMO_ACTIVITIES.weeklySync, Date.parse(originalStart));
    rig.sim.act({
      action: 'update',
      guid: exceptionGuid,
      as: DEMO_USERS.newYork,
      changes: { startDateTime: '2026-11-16T17:00:00Z', endDateTime: '2026-11-16T17:30:00Z' },
    });
    assert.equal(
      rig.sim.activity(DEMO_ACTIVITIES.weeklySync)?.lastUpdatedDateTime,
      masterStamp,
      'the master itself was not stamped',
    );
    const changed = (await adapter.listChangedSince(before.version)).find((r) => r.guid === before.guid);
    assert.ok(changed, 'the series is reported as changed');
    assert.ok(Date.parse(changed.version) > Date.parse(before.version));
    const override = changed.content.recurrence?.overrides[0];
    assert.equal(override?.timing.kind === 'timed' && override.timing.start, '2026-11-16T17:00:00Z');
    await assert.rejects(
      adapter.update(before.guid, sideVersionOf(before), { content: before.content }),
      PreconditionFailedError,
    );
  });

  it('an idle change poll costs one API call (SPEC §10)', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    await adapter.listChangedSince('2026-01-01T00:00:00Z'); // warm: token, time zones, participants
    rig.clock.advance(60_000);
    const before = rig.sim.stats.total();
    assert.deepEqual(await adapter.listChangedSince(new Date(rig.clock.now() - 30_000).toISOString()), []);
    assert.equal(rig.sim.stats.total() - before, 1);
  });

  it('learns the API user from its own writes', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    assert.equal(await adapter.apiUserGuid(), null);
    const dentist = await adapter.get(DEMO_ACTIVITIES.dentist);
    assert.ok(dentist);
    await adapter.update(dentist.guid, sideVersionOf(dentist), {
      content: { ...dentist.content, title: 'Dentist (moved)' },
    });
    assert.equal(await adapter.apiUserGuid(), DEMO_USERS.integration);
    const configured = new SeveraAdapter({ client: rig.client(), apiUserGuid: 'configured-user' });
    assert.equal(await configured.apiUserGuid(), 'configured-user');
  });

  it('directory: active users with time zones, e-mail lookup ignoring case, activity types', async () => {
    const rig = await startRig();
    const adapter = rig.adapter();
    const users = await adapter.listUsers();
    assert.deepEqual(users.map((u) => [u.email, u.timeZone]).sort(), [
      ['aino@demo.example', 'Europe/Helsinki'],
      ['ben@demo.example', 'America/New_York'],
      ['cecilia@demo.example', 'Europe/London'],
      ['integration@demo.example', 'UTC'],
    ]);
    const ben = await adapter.findUserByEmail('BEN@demo.EXAMPLE');
    assert.equal(ben?.severaUserGuid, DEMO_USERS.newYork);
    assert.equal(ben.defaultActivityTypeGuid, DEMO_TYPES.meeting);
    assert.equal(await adapter.findUserByEmail('nobody@demo.example'), null);
    assert.equal(await adapter.findUserByEmail('former@demo.example'), null);
    assert.deepEqual(await adapter.lookupUserByEmail('Former@demo.example'), {
      kind: 'inactive',
      severaUserGuid: '11111111-1111-4111-8111-000000000009',
    });
    assert.deepEqual(await adapter.lookupUserByEmail('nobody@demo.example'), { kind: 'not-found' });
    const types = await adapter.listActivityTypes();
    assert.equal(types.length, 5);
    assert.deepEqual(
      types.find((t) => t.guid === DEMO_TYPES.personal),
      {
        guid: DEMO_TYPES.personal,
        name: 'Personal',
        category: 'Personal',
        isActive: true,
        isDefault: false,
      },
    );
  });
});

describe('SeveraAdapter over HTTP: secrets never reach the logs', () => {
  it('logs a whole session at debug level without the client secret or any token', async () => {
    const rig = await startRig();
    const logger = createMemoryLogger('debug');
    const adapter = rig.adapter({}, logger);
    const errors: string[] = [];
    const workshop = await adapter.get(DEMO_ACTIVITIES.workshop);
    assert.ok(workshop);
    await adapter.listForUser(DEMO_USERS.helsinki, {
      from: '2026-11-01T00:00:00Z',
      to: '2027-01-01T00:00:00Z',
    });
    await adapter.listChangedSince('2026-01-01T00:00:00Z');
    rig.sim.faults.set([
      { route: 'GET /v1/activities/{guid}', status: 401, count: 1 },
      { route: 'GET /v1/users', status: 429, count: 1 },
    ]);
    await adapter.get(DEMO_ACTIVITIES.dentist);
    await adapter.listUsers();
    rig.clock.advance(3_600_000); // past expiry: a renewal
    const created = await adapter.create({
      content: { ...workshop.content, title: 'Logged' },
      activityTypeGuid: DEMO_TYPES.meeting,
      ownerGuid: DEMO_USERS.helsinki,
    });
    await adapter.update(created.guid, sideVersionOf(created), {
      content: { ...created.content, notes: 'x' },
    });
    await adapter.addParticipant(created.guid, DEMO_USERS.london);
    await adapter.removeParticipant(created.guid, DEMO_USERS.london);
    const latest = await adapter.get(created.guid);
    if (latest) await adapter.delete(created.guid, deleteExpectationOf(latest));
    await adapter.checkAccess();
    // Failures log too.
    const wrong = rig.adapter({ clientSecret: 'a-wrong-secret-value' }, logger);
    await wrong.get(DEMO_ACTIVITIES.workshop).catch((e: unknown) => errors.push(String(e)));
    const limited = rig.adapter(LIMITED, logger);
    await limited.get(DEMO_ACTIVITIES.workshop).catch((e: unknown) => errors.push(String(e)));

    assert.ok(rig.issued.length >= 6, 'several tokens were issued');
    assert.ok(
      logger.lines.some((l) => l.includes('"severa call"')),
      'requests are logged',
    );
    assert.ok(
      logger.lines.some((l) => l.includes('severa call retried')),
      'retries are logged',
    );
    assert.ok(
      logger.lines.some((l) => l.includes('severa token refused')),
      'renewals are logged',
    );
    assert.equal(errors.length, 2);
    const secrets = [
      DEMO_CREDENTIALS.clientSecret,
      'a-wrong-secret-value',
      LIMITED.clientSecret,
      ...rig.issued,
    ];
    for (const line of [...logger.lines, ...errors]) {
      for (const secret of secrets) assert.ok(!line.includes(secret), `leaked in: ${line.slice(0, 200)}`);
    }
  });
});

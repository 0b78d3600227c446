import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  DEFAULT_WORKER_OPTIONS,
  UserBusyError,
  handleSyncRequest,
  type SyncDelivery,
  type WorkerDeps,
} from '../../../shared/app/sync-worker.js';
import {
  MemoryAuditLog,
  MemoryLeaseStore,
  MemoryMessageLog,
  MemoryOrgConfigStore,
  MemoryUserDirectory,
} from '../../../shared/adapters/memory/memory.operations.js';
import { currentParty } from '../../../shared/adapters/throttle.js';
import { PermanentError, TransientError, canonicalInstant } from '../../../shared/domain/index.js';
import { createMemoryLogger } from '../../../shared/observability/logger.js';
import type { SyncRequest, UserRecord } from '../../../shared/ports/index.js';
import { TYPES, USERS, World, timed } from '../../support/world.js';

const aino = USERS.aino;

interface Harness {
  readonly world: World;
  readonly users: MemoryUserDirectory;
  readonly leases: MemoryLeaseStore;
  readonly messages: MemoryMessageLog;
  readonly audit: MemoryAuditLog;
  readonly orgConfig: MemoryOrgConfigStore;
  readonly logger: ReturnType<typeof createMemoryLogger>;
  deps(): WorkerDeps;
  delivery(request?: Partial<SyncRequest>, messageId?: string): SyncDelivery;
}

function userRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    ...aino,
    enabled: true,
    channel: null,
    lastReconcileAt: null,
    lastCompleteRunStartedAt: null,
    lastSafetyRequestAt: null,
    ...overrides,
  };
}

async function harness(world = new World()): Promise<Harness> {
  const users = new MemoryUserDirectory();
  await users.putUser(userRecord());
  const orgConfig = new MemoryOrgConfigStore({
    enabled: true,
    serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
    severaClientId: 'demo-sync-client',
    sync: world.settings,
    updatedAt: '2026-03-01T00:00:00Z',
  });
  const h: Harness = {
    world,
    users,
    leases: new MemoryLeaseStore(),
    messages: new MemoryMessageLog(),
    audit: new MemoryAuditLog(),
    orgConfig,
    logger: createMemoryLogger(),
    deps: () => ({
      severa: world.severa,
      calendar: world.calendar,
      store: world.store,
      users: h.users,
      leases: h.leases,
      messages: h.messages,
      audit: h.audit,
      orgConfig: h.orgConfig,
      clock: world.clock,
      logger: h.logger,
      options: DEFAULT_WORKER_OPTIONS,
    }),
    delivery: (request = {}, messageId = 'm-1') => {
      const now = canonicalInstant(world.clock.now().toISOString());
      return {
        request: {
          user: aino.severaUserGuid,
          reason: 'push',
          requestedAt: now,
          reconcile: false,
          ...request,
        },
        messageId,
        publishTime: now,
      };
    },
  };
  return h;
}

describe('syncWorker: one user sync request', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });

  it('syncs, records the run, the processed message and the audit; a redelivery is acked without work', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    const outcome = await handleSyncRequest(h.deps(), h.delivery());
    assert.equal(outcome.kind, 'synced');
    assert.equal(h.world.severa.all().length, 1);
    const user = await h.users.getUser(aino.severaUserGuid);
    assert.ok(user);
    assert.equal(user.lastCompleteRunStartedAt, '2026-03-02T08:00:00Z');
    assert.equal(user.lastReconcileAt, '2026-03-02T08:00:00Z', 'the first run reconciles');
    assert.equal(await h.messages.wasProcessed('m-1'), true);
    const audit = await h.audit.listForUser(aino.severaUserGuid, 10);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]?.kind, 'create-severa');

    const writes = h.world.writes();
    const again = await handleSyncRequest(h.deps(), h.delivery());
    assert.deepEqual(again, { kind: 'skipped', reason: 'already-processed' });
    assert.equal(h.world.writes(), writes);
  });

  it('a first sync shows how far it has got ("initial sync: n of m"), and ends healthy without it', async () => {
    for (let i = 0; i < 60; i += 1)
      h.world.calendar.humanCreate(aino.email, timed(`Entry ${String(i)}`, 1 + (i % 20), 8));
    const seen: string[] = [];
    const setStatus = h.world.store.setStatus.bind(h.world.store);
    h.world.store.setStatus = async (user, status) => {
      seen.push(
        `${status.state}${status.progress ? ` ${String(status.progress.done)}/${String(status.progress.total)}` : ''}`,
      );
      await setStatus(user, status);
    };
    assert.equal((await handleSyncRequest(h.deps(), h.delivery())).kind, 'synced');
    assert.deepEqual(seen, ['initial 0/60', 'initial 25/60', 'initial 50/60', 'healthy']);
    assert.equal((await h.world.store.getStatus(aino.severaUserGuid)).progress, undefined);
    // A later run is no first sync: no progress is written.
    seen.length = 0;
    h.world.calendar.humanCreate(aino.email, timed('One more', 3, 10));
    await handleSyncRequest(h.deps(), h.delivery({}, 'm-2'));
    assert.deepEqual(seen, ['healthy']);
  });

  it("makes every Severa request of the run on the person's behalf (their fair share of the org's budget)", async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    const parties: (string | undefined)[] = [];
    const severa = h.world.severa;
    const deps = h.deps();
    const spy = new Proxy(severa, {
      get(target, name, receiver) {
        const value: unknown = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          parties.push(currentParty());
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    await handleSyncRequest({ ...deps, severa: spy }, h.delivery());
    assert.ok(parties.length >= 2, 'the run called Severa');
    assert.deepEqual(new Set(parties), new Set([aino.severaUserGuid]));
    assert.equal(currentParty(), undefined, 'outside the run, nobody');
  });

  it('a run that holds deletions (B3) still completes: its markers moved, and it serves later requests', async () => {
    h = await harness(
      new World({ settings: { deletionSafety: { maxCount: 2, maxShare: 0.3, shareFloor: 2 } } }),
    );
    const world = h.world;
    for (let i = 0; i < 4; i += 1) {
      world.severa.humanCreate({
        ownerGuid: aino.severaUserGuid,
        content: timed(`Entry ${i}`, 2, 9 + i),
        activityTypeGuid: TYPES.meeting.guid,
      });
    }
    await world.poll();
    await handleSyncRequest(h.deps(), h.delivery({}, 'm-1'));
    for (const e of world.calendar.live(aino.email)) world.calendar.humanDelete([aino.email], e.id);
    world.clock.advance(60_000);
    const outcome = await handleSyncRequest(h.deps(), h.delivery({}, 'm-2'));
    assert.ok(outcome.kind === 'synced');
    assert.equal(outcome.result.status.state, 'held');
    assert.equal(world.severa.all().length, 4, 'nothing deleted');
    const user = await h.users.getUser(aino.severaUserGuid);
    assert.equal(user?.lastCompleteRunStartedAt, '2026-03-02T08:01:00Z', 'a complete run');
  });

  it('pauses a person whose calendar Google made read-only, longer each time, and resumes without losing a change', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    h.world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Review', 2, 9),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await h.world.poll();
    h.world.calendar.faults.inject(1, { timing: 'before', kind: 'quota' });
    const first = await handleSyncRequest(h.deps(), h.delivery({}, 'm-1'));
    assert.equal(first.kind, 'failed', 'acked, not redelivered');
    const paused = await h.world.store.getStatus(aino.severaUserGuid);
    assert.equal(paused.pausedUntil, '2026-03-02T08:30:00Z', 'thirty minutes');
    assert.match(paused.message ?? '', /read-only for a while .*until 2026-03-02T08:30:00Z.*nothing is lost/);
    const writes = h.world.writes();

    h.world.clock.advance(10 * 60_000);
    assert.deepEqual(await handleSyncRequest(h.deps(), h.delivery({}, 'm-2')), {
      kind: 'skipped',
      reason: 'paused',
    });
    assert.equal(h.world.writes(), writes, 'no call while paused');

    // Still limited after the pause: the next one is twice as long.
    h.world.clock.advance(25 * 60_000);
    h.world.calendar.faults.inject(1, { timing: 'before', kind: 'quota' });
    await handleSyncRequest(h.deps(), h.delivery({}, 'm-3'));
    const again = await h.world.store.getStatus(aino.severaUserGuid);
    assert.equal(again.pausedUntil, '2026-03-02T09:35:00Z', 'an hour');
    assert.equal(again.quotaPauses, 2);

    h.world.clock.advance(61 * 60_000);
    const resumed = await handleSyncRequest(h.deps(), h.delivery({}, 'm-4'));
    assert.equal(resumed.kind, 'synced');
    const healthy = await h.world.store.getStatus(aino.severaUserGuid);
    assert.equal(healthy.state, 'healthy');
    assert.equal(healthy.pausedUntil, undefined);
    assert.deepEqual(
      h.world.severa
        .all()
        .map((s) => s.content.title)
        .sort(),
      ['Dentist', 'Review'],
    );
    assert.deepEqual(
      h.world.calendar
        .live(aino.email)
        .map((e) => e.content.title)
        .sort(),
      ['Dentist', 'Review'],
      'both changes synced once the pause was over',
    );
  });

  it('coalesces: a request older than the last complete run is served by it; a reconcile needs a reconcile', async () => {
    await handleSyncRequest(h.deps(), h.delivery({}, 'm-1'));
    h.world.clock.advance(60_000);
    await h.users.updateUser(aino.severaUserGuid, { lastReconcileAt: '2026-03-02T07:00:00Z' });
    const older = h.delivery({ requestedAt: '2026-03-02T07:59:00Z' }, 'm-2');
    assert.deepEqual(await handleSyncRequest(h.deps(), older), {
      kind: 'skipped',
      reason: 'covered-by-later-run',
    });
    // Within the clock-skew margin of the run's start, the request is not taken as served.
    const close = h.delivery({ requestedAt: '2026-03-02T07:59:58Z' }, 'm-3');
    assert.equal((await handleSyncRequest(h.deps(), close)).kind, 'synced');
    const reconcile = h.delivery({ requestedAt: '2026-03-02T07:30:00Z', reconcile: true }, 'm-4');
    assert.equal((await handleSyncRequest(h.deps(), reconcile)).kind, 'synced');
    const user = await h.users.getUser(aino.severaUserGuid);
    assert.equal(user?.lastReconcileAt, '2026-03-02T08:01:00Z');
  });

  it('leaves a user another run holds alone and asks for redelivery', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    assert.ok(await h.leases.acquire(`sync:${aino.severaUserGuid}`, 'other', '2026-03-02T08:00:00Z', 60_000));
    await assert.rejects(handleSyncRequest(h.deps(), h.delivery()), UserBusyError);
    assert.equal(h.world.writes(), 0);
    assert.equal(await h.messages.wasProcessed('m-1'), false);
  });

  it('waits a little for a run in progress to finish, then serves the request', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    const key = `sync:${aino.severaUserGuid}`;
    assert.ok(await h.leases.acquire(key, 'other', '2026-03-02T08:00:00Z', 60_000));
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      h.world.clock.advance(ms);
      if (waits.length === 3) await h.leases.release(key, 'other');
    };
    const outcome = await handleSyncRequest({ ...h.deps(), sleep }, h.delivery());
    assert.equal(outcome.kind, 'synced');
    assert.deepEqual(waits, [50, 100, 200]);
    // Without the other run ever finishing, it gives up after the wait and asks for redelivery.
    assert.ok(await h.leases.acquire(key, 'stuck', h.world.clock.now().toISOString(), 3_600_000));
    const giveUp = handleSyncRequest(
      {
        ...h.deps(),
        sleep: (ms) => {
          h.world.clock.advance(ms);
          return Promise.resolve();
        },
      },
      h.delivery({}, 'm-2'),
    );
    await assert.rejects(giveUp, UserBusyError);
  });

  it('the same message delivered twice at once makes one run; the redelivery is acked', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    const results = await Promise.allSettled([
      handleSyncRequest(h.deps(), h.delivery()),
      handleSyncRequest(h.deps(), h.delivery()),
    ]);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, ['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    assert.ok(rejected?.reason instanceof UserBusyError);
    assert.deepEqual(await handleSyncRequest(h.deps(), h.delivery()), {
      kind: 'skipped',
      reason: 'already-processed',
    });
    assert.equal(h.world.severa.all().length, 1);
  });

  it('a transient item failure redelivers; the status says so; the retry completes the work', async () => {
    h.world.calendar.humanCreate(aino.email, timed('Dentist', 1, 9, 1));
    h.world.severa.faults.inject(5, { timing: 'before', kind: 'transient' });
    await assert.rejects(handleSyncRequest(h.deps(), h.delivery()), TransientError);
    const status = await h.world.store.getStatus(aino.severaUserGuid);
    assert.equal(status.state, 'error');
    assert.match(status.message ?? '', /retried automatically/);
    assert.equal((await h.users.getUser(aino.severaUserGuid))?.lastCompleteRunStartedAt, null);
    assert.equal(await h.messages.wasProcessed('m-1'), false);

    h.world.clearFaults();
    assert.equal((await handleSyncRequest(h.deps(), h.delivery())).kind, 'synced');
    assert.equal(h.world.severa.all().length, 1);
    assert.equal((await h.world.store.getStatus(aino.severaUserGuid)).state, 'healthy');
  });

  it('a permanent failure is recorded on the status in actionable words and acked', async () => {
    const words = 'Domain-wide delegation is not granted: authorise the client id for the calendar scope.';
    h.world.calendar.list = () => Promise.reject(new PermanentError('delegation-denied', words));
    const outcome = await handleSyncRequest(h.deps(), h.delivery());
    assert.equal(outcome.kind, 'failed');
    const status = await h.world.store.getStatus(aino.severaUserGuid);
    assert.deepEqual(status, { state: 'error', lastSuccessAt: null, message: words, pendingRetries: 0 });
    assert.equal(await h.messages.wasProcessed('m-1'), true);
    assert.ok(h.logger.lines.some((l) => l.includes('delegation-denied')));
  });

  it('drops what it must not run: too old, unknown user, user opted out, org switched off', async () => {
    const old = h.delivery({}, 'm-old');
    h.world.clock.advance(DEFAULT_WORKER_OPTIONS.maxMessageAgeMs + 1);
    assert.deepEqual(await handleSyncRequest(h.deps(), old), { kind: 'skipped', reason: 'too-old' });
    assert.deepEqual(await handleSyncRequest(h.deps(), h.delivery({ user: 'nobody' }, 'm-2')), {
      kind: 'skipped',
      reason: 'unknown-user',
    });
    await h.users.updateUser(aino.severaUserGuid, { enabled: false });
    assert.deepEqual(await handleSyncRequest(h.deps(), h.delivery({}, 'm-3')), {
      kind: 'skipped',
      reason: 'user-disabled',
    });
    await h.users.updateUser(aino.severaUserGuid, { enabled: true });
    const config = await h.orgConfig.getOrgConfig();
    assert.ok(config);
    await h.orgConfig.putOrgConfig({ ...config, enabled: false });
    assert.deepEqual(await handleSyncRequest(h.deps(), h.delivery({}, 'm-4')), {
      kind: 'skipped',
      reason: 'org-disabled',
    });
    assert.equal(h.world.writes(), 0);
  });

  it('a Severa change reaches Google through the inbox', async () => {
    h.world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Workshop', 2, 10, 2),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await h.world.poll();
    assert.equal((await handleSyncRequest(h.deps(), h.delivery({ reason: 'severa-change' }))).kind, 'synced');
    const events = await h.world.calendar.list(aino, { timeMin: '2026-01-01T00:00:00Z' });
    assert.equal(events.changes.length, 1);
  });
});

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  DEFAULT_TICK_OPTIONS,
  isMaintenanceMinute,
  maintain,
  pollAndRoute,
  runTickCycle,
  type TickDeps,
} from '../../../shared/app/sync-tick.js';
import {
  MemoryOrgConfigStore,
  MemoryUserDirectory,
} from '../../../shared/adapters/memory/memory.operations.js';
import { MemorySyncRequestPublisher } from '../../../shared/adapters/memory/memory.publisher.js';
import { NotFoundError, type SyncUser } from '../../../shared/domain/index.js';
import { nullLogger } from '../../../shared/observability/logger.js';
import type {
  CalendarChannelsPort,
  UserRecord,
  WatchChannel,
  WatchRequest,
} from '../../../shared/ports/index.js';
import { CLOCK_SKEW_MARGIN_MS } from '../../../shared/sync/org-poll.js';
import { TYPES, USERS, World, timed } from '../../support/world.js';

const { aino, ben, cecilia } = USERS;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Records what the tick asks of Google's channel API; channels expire `ttlSeconds` after the world's clock. */
class RecordingChannels implements CalendarChannelsPort {
  readonly calls: string[] = [];
  failWatchFor: string | null = null;
  constructor(private readonly world: World) {}
  watch(user: SyncUser, request: WatchRequest): Promise<WatchChannel> {
    this.calls.push(`watch ${user.email}`);
    if (user.email === this.failWatchFor) return Promise.reject(new Error('boom'));
    const expiration = new Date(this.world.clock.now().getTime() + request.ttlSeconds * 1000).toISOString();
    return Promise.resolve({
      id: request.id,
      resourceId: `res-${user.email}`,
      expiration,
      token: request.token,
      address: request.address,
    });
  }
  stop(user: SyncUser, channel: Pick<WatchChannel, 'id' | 'resourceId'>): Promise<void> {
    this.calls.push(`stop ${user.email} ${channel.id}`);
    return channel.id === 'gone' ? Promise.reject(new NotFoundError('gone')) : Promise.resolve();
  }
}

function record(user: SyncUser, overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    ...user,
    enabled: true,
    channel: null,
    lastReconcileAt: null,
    lastCompleteRunStartedAt: null,
    lastSafetyRequestAt: null,
    ...overrides,
  };
}

describe('syncTick: org poll and upkeep', () => {
  let world: World;
  let users: MemoryUserDirectory;
  let publisher: MemorySyncRequestPublisher;
  let channels: RecordingChannels;
  let deps: (overrides?: Partial<TickDeps['options']>) => TickDeps;

  beforeEach(async () => {
    world = new World();
    users = new MemoryUserDirectory();
    await users.putUser(record(aino));
    await users.putUser(record(ben));
    await users.putUser(record(cecilia, { enabled: false }));
    publisher = new MemorySyncRequestPublisher({ clock: world.clock });
    channels = new RecordingChannels(world);
    const orgConfig = new MemoryOrgConfigStore({
      enabled: true,
      serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
      severaClientId: 'demo-sync-client',
      sync: world.settings,
      updatedAt: '2026-03-01T00:00:00Z',
    });
    deps = (overrides = {}) => ({
      severa: world.severa,
      channels,
      store: world.store,
      users,
      orgConfig,
      publisher,
      clock: world.clock,
      logger: nullLogger,
      options: { ...DEFAULT_TICK_OPTIONS, initialLookbackMs: 30 * 86_400_000, ...overrides },
    });
  });

  it('one Severa call per poll routes a change to its syncing owner and participants only', async () => {
    world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Workshop', 2, 10, 2),
      activityTypeGuid: TYPES.meeting.guid,
      participantGuids: [ben.severaUserGuid, cecilia.severaUserGuid],
    });
    const before = world.severa.calls.reads;
    const summary = await pollAndRoute(deps());
    assert.equal(world.severa.calls.reads - before, 1);
    assert.deepEqual([...summary.requested].sort(), [aino.severaUserGuid, ben.severaUserGuid].sort());
    assert.deepEqual(
      publisher.take().map((p) => [p.request.user, p.request.reason]),
      summary.requested.map((u) => [u, 'severa-change']),
    );
    assert.equal((await world.store.readInbox(cecilia.severaUserGuid)).length, 0);

    // The overlap returns the row again; it was routed already, so nobody is asked again.
    const idle = await pollAndRoute(deps());
    assert.deepEqual(idle, { changed: 0, requested: [], guids: summary.guids });
    assert.equal(summary.guids.length, 1);
    assert.equal(publisher.take().length, 0);
  });

  it('an idle organisation routes nothing, poll after poll (SPEC §10: idle people cost no Google calls)', async () => {
    world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Workshop', 2, 10, 2),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await pollAndRoute(deps());
    publisher.take();
    const requested: string[] = [];
    for (let i = 0; i < 120; i++) {
      world.clock.advance(30_000);
      requested.push(...(await pollAndRoute(deps())).requested);
    }
    assert.deepEqual(requested, []);
    assert.equal(publisher.take().length, 0);
  });

  it('once the newest change is older than the overlap and the skew margin, the poll starts at the watermark', async () => {
    world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Earlier', 2, 10, 1),
      activityTypeGuid: TYPES.meeting.guid,
    });
    world.clock.advance(60_000);
    const newest = world.severa.humanCreate({
      ownerGuid: ben.severaUserGuid,
      content: timed('Newest', 2, 12, 1),
      activityTypeGuid: TYPES.meeting.guid,
    });
    const first = await pollAndRoute(deps());
    assert.equal(first.guids.length, 2);
    // Within the overlap the query reaches back two minutes: both rows come back (routed once, not again).
    world.clock.advance(30_000);
    assert.equal((await pollAndRoute(deps())).guids.length, 2);
    // Past the overlap and the margin, only the watermark's own second is asked for.
    world.clock.advance(DEFAULT_TICK_OPTIONS.pollOverlapMs + CLOCK_SKEW_MARGIN_MS);
    const settled = await pollAndRoute(deps());
    assert.deepEqual(settled.guids, [newest.guid]);
    assert.deepEqual(settled.requested, []);
  });

  it('a second change within the same second (same version stamp) is routed again', async () => {
    const created = world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Workshop', 2, 10, 2),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await pollAndRoute(deps());
    const updated = world.severa.humanUpdate(created.guid, { content: { title: 'Workshop moved' } });
    assert.equal(updated.version, created.version, 'the same whole second');
    const summary = await pollAndRoute(deps());
    assert.deepEqual(summary.requested, [aino.severaUserGuid]);
    const inbox = await world.store.readInbox(aino.severaUserGuid);
    assert.deepEqual(
      inbox.map((i) => i.record.content.title),
      ['Workshop moved'],
    );
  });

  it('a row stamped inside the overlap but seen only now is routed; the state forgets what the overlap left', async () => {
    const first = world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Early', 2, 10, 1),
      activityTypeGuid: TYPES.meeting.guid,
    });
    world.clock.advance(60_000);
    const second = world.severa.humanCreate({
      ownerGuid: ben.severaUserGuid,
      content: timed('Later', 2, 12, 1),
      activityTypeGuid: TYPES.meeting.guid,
    });
    // The first poll saw only the later row (the earlier one "landed late", as severa-api.md §15 allows): simulate
    // it by routing the later row alone into the poll state.
    await pollAndRoute(deps());
    publisher.take();
    const state = await world.store.getSeveraPoll();
    assert.equal(Date.parse(state.watermark ?? ''), Date.parse(second.version));
    assert.deepEqual(Object.keys(state.routed).sort(), [first.guid, second.guid].sort());
    await world.store.setSeveraPoll({
      watermark: state.watermark,
      routed: { [second.guid]: state.routed[second.guid] ?? '' },
    });
    const summary = await pollAndRoute(deps());
    assert.deepEqual(summary.requested, [aino.severaUserGuid]);
    assert.equal(summary.changed, 1);

    // Once the watermark is past the overlap, the old rows are no longer remembered.
    world.clock.advance(10 * 60_000);
    world.severa.humanCreate({
      ownerGuid: ben.severaUserGuid,
      content: timed('Much later', 2, 14, 1),
      activityTypeGuid: TYPES.meeting.guid,
    });
    await pollAndRoute(deps());
    const after = await world.store.getSeveraPoll();
    assert.equal(Object.keys(after.routed).length, 1);
  });

  it('asks for safety syncs and reconciles when due, and not again until the interval passed', async () => {
    const first = await maintain(deps());
    assert.deepEqual([...first.safetySyncs].sort(), [aino.severaUserGuid, ben.severaUserGuid].sort());
    assert.deepEqual([...first.reconciles].sort(), [aino.severaUserGuid, ben.severaUserGuid].sort());
    assert.ok(publisher.take().every((p) => p.request.reason === 'reconcile' && p.request.reconcile));

    world.clock.advance(60_000);
    assert.deepEqual((await maintain(deps())).safetySyncs, [], 'asked a minute ago: not again');

    // Aino completed a run 5 minutes ago; Ben's runs keep failing (asked 16 minutes ago, never completed).
    world.clock.advance(15 * 60_000);
    const now = world.clock.now().getTime();
    await users.updateUser(aino.severaUserGuid, {
      lastCompleteRunStartedAt: new Date(now - 5 * 60_000).toISOString(),
      lastReconcileAt: new Date(now - 5 * 60_000).toISOString(),
    });
    const third = await maintain(deps());
    assert.deepEqual(third.safetySyncs, [ben.severaUserGuid]);
    const published = publisher.take();
    assert.equal(published.length, 1);
    assert.equal(published[0]?.request.reconcile, true, "Ben's reconcile never completed");
  });

  it('renews channels before expiry: the new one is stored, then the old one stopped', async () => {
    const d = deps({ pushAddress: 'https://sync.example/calendarPush', safetySyncIntervalMs: 1e12 });
    await users.updateUser(ben.severaUserGuid, {
      channel: {
        id: 'old-ben',
        resourceId: 'r',
        expiration: new Date(world.clock.now().getTime() + 12 * HOUR).toISOString(),
        token: 't',
        address: 'https://sync.example/calendarPush',
      },
    });
    const summary = await maintain(d);
    assert.deepEqual([...summary.renewedChannels].sort(), [aino.severaUserGuid, ben.severaUserGuid].sort());
    assert.deepEqual(channels.calls, [
      'watch aino@example.com',
      'watch ben@example.com',
      'stop ben@example.com old-ben',
    ]);
    const stored = await users.getUser(ben.severaUserGuid);
    assert.notEqual(stored?.channel?.id, 'old-ben');
    assert.ok((stored?.channel?.token.length ?? 0) >= 32, 'a fresh per-channel secret');
    assert.notEqual(stored?.channel?.token, (await users.getUser(aino.severaUserGuid))?.channel?.token);

    channels.calls.length = 0;
    world.clock.advance(HOUR);
    assert.deepEqual((await maintain(d)).renewedChannels, [], 'fresh channels are left alone');
    assert.deepEqual(channels.calls, []);
  });

  it('stops the channel of a user who opted out; one failing user does not stop the others', async () => {
    await users.updateUser(cecilia.severaUserGuid, {
      channel: { id: 'c1', resourceId: 'r', expiration: '2026-03-09T00:00:00Z', token: 't', address: 'a' },
    });
    channels.failWatchFor = aino.email;
    const summary = await maintain(deps({ pushAddress: 'https://sync.example/calendarPush' }));
    assert.deepEqual(summary.stoppedChannels, [cecilia.severaUserGuid]);
    assert.equal((await users.getUser(cecilia.severaUserGuid))?.channel, null);
    assert.equal(summary.failures, 1);
    assert.deepEqual(summary.renewedChannels, [ben.severaUserGuid]);
  });

  it('does nothing for an org that is switched off', async () => {
    const d = deps();
    await d.orgConfig.putOrgConfig({
      enabled: false,
      serviceAccountEmail: 'x@y',
      severaClientId: 'demo-sync-client',
      sync: world.settings,
      updatedAt: '2026-03-01T00:00:00Z',
    });
    world.severa.humanCreate({
      ownerGuid: aino.severaUserGuid,
      content: timed('Workshop', 2, 10, 2),
      activityTypeGuid: TYPES.meeting.guid,
    });
    assert.deepEqual(await pollAndRoute(d), { changed: 0, requested: [], guids: [] });
    assert.deepEqual((await maintain(d)).safetySyncs, []);
    assert.equal(publisher.published.length, 0);
  });
});

describe('runTickCycle: the upkeep every n-th minute', () => {
  it('runs the upkeep only in the ticks of its minutes; the polls run in every tick', async () => {
    const world = new World({ start: '2026-03-02T08:00:00Z' });
    const users = new MemoryUserDirectory();
    await users.putUser(record(USERS.aino));
    const publisher = new MemorySyncRequestPublisher({ clock: world.clock });
    const deps: TickDeps = {
      severa: world.severa,
      channels: new RecordingChannels(world),
      store: world.store,
      users,
      orgConfig: new MemoryOrgConfigStore({
        enabled: true,
        serviceAccountEmail: 'sync@acme.iam.gserviceaccount.com',
        severaClientId: 'demo-sync-client',
        sync: world.settings,
        updatedAt: '2026-03-01T00:00:00Z',
      }),
      publisher,
      clock: world.clock,
      logger: nullLogger,
      options: { ...DEFAULT_TICK_OPTIONS, initialLookbackMs: 30 * 86_400_000 },
    };
    const options = { secondPollDelayMs: 0, maintenanceEveryMinutes: 5 };
    const reads = () => world.severa.calls.reads;
    const upkeep: boolean[] = [];
    const polled: number[] = [];
    for (let minute = 0; minute < 10; minute++) {
      const before = reads();
      const summary = await runTickCycle(deps, () => Promise.resolve(), options);
      upkeep.push(summary.maintenance.safetySyncs.length > 0);
      polled.push(reads() - before);
      // 16 minutes a step: each upkeep finds the person due again, and the minute numbers go round the five.
      world.clock.advance(16 * MINUTE);
    }
    assert.deepEqual(
      upkeep,
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((m) =>
        isMaintenanceMinute(new Date(Date.parse('2026-03-02T08:00:00Z') + m * 16 * MINUTE), 5),
      ),
    );
    assert.ok(upkeep.some(Boolean) && upkeep.some((u) => !u), 'some ticks did the upkeep, some did not');
    assert.deepEqual(polled, Array(10).fill(1), 'one poll per tick');
  });

  it('every minute whose number is divisible by n', () => {
    assert.equal(isMaintenanceMinute(new Date('2026-03-02T08:00:30Z'), 5), true);
    assert.equal(isMaintenanceMinute(new Date('2026-03-02T08:01:00Z'), 5), false);
    assert.equal(isMaintenanceMinute(new Date('2026-03-02T08:05:59Z'), 5), true);
    assert.equal(isMaintenanceMinute(new Date('2026-03-02T08:01:00Z'), 1), true);
  });
});

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';

import {
  handleCalendarPush,
  handleSeveraWebhook,
  MAX_NOTICE_BYTES,
} from '../../../shared/app/http-handlers.js';
import { hashChannelToken, signWebhook, verifyWebhook } from '../../../shared/app/webhook-signature.js';
import { MemoryMessageLog, MemoryUserDirectory } from '../../../shared/adapters/memory/memory.operations.js';
import { MemorySyncRequestPublisher } from '../../../shared/adapters/memory/memory.publisher.js';
import { MemorySyncStore } from '../../../shared/adapters/memory/memory.sync-store.js';
import { TransientError } from '../../../shared/domain/index.js';
import { createMemoryLogger } from '../../../shared/observability/logger.js';
import type { UserRecord } from '../../../shared/ports/index.js';
import { ManualClock, USERS } from '../../support/world.js';

const NOW = '2026-03-02T08:00:00Z';
const SECRET = 'webhook-secret-0123456789';

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    ...USERS.aino,
    enabled: true,
    channel: {
      id: 'chan-1',
      resourceId: 'res-1',
      expiration: '2026-03-09T08:00:00Z',
      token: 'per-channel-secret-token',
      address: 'https://sync.example/calendarPush',
    },
    lastReconcileAt: null,
    lastCompleteRunStartedAt: null,
    lastSafetyRequestAt: null,
    ...overrides,
  };
}

const pushHeaders = (overrides: Record<string, string | undefined> = {}) => ({
  'x-goog-channel-id': 'chan-1',
  'x-goog-channel-token': 'per-channel-secret-token',
  'x-goog-resource-id': 'res-1',
  'x-goog-resource-state': 'exists',
  'x-goog-message-number': '7',
  ...overrides,
});

describe('calendarPush', () => {
  let users: MemoryUserDirectory;
  let publisher: MemorySyncRequestPublisher;
  let seen: Set<string>;
  const clock = new ManualClock(NOW);
  const deps = () => ({ users, publisher, clock, logger: createMemoryLogger(), seen });

  beforeEach(async () => {
    users = new MemoryUserDirectory();
    await users.putUser(user());
    publisher = new MemorySyncRequestPublisher({ clock });
    seen = new Set();
  });

  it('publishes a sync request for a change notification of a known channel', async () => {
    assert.equal((await handleCalendarPush(deps(), pushHeaders())).status, 200);
    assert.deepEqual(
      publisher.published.map((p) => p.request),
      [{ user: USERS.aino.severaUserGuid, reason: 'push', requestedAt: NOW, reconcile: false }],
    );
  });

  it('acks the handshake and a repeated notification without publishing again', async () => {
    assert.equal(
      (await handleCalendarPush(deps(), pushHeaders({ 'x-goog-resource-state': 'sync' }))).status,
      200,
    );
    assert.equal(publisher.published.length, 0);
    await handleCalendarPush(deps(), pushHeaders());
    await handleCalendarPush(deps(), pushHeaders());
    assert.equal(publisher.published.length, 1, 'the same message number once');
  });

  it('changes nothing for forged, unknown or malformed notifications', async () => {
    const cases: [Record<string, string | undefined>, number][] = [
      [{ 'x-goog-channel-token': 'guess' }, 401],
      [{ 'x-goog-channel-token': undefined }, 401],
      [{ 'x-goog-channel-token': 'per-channel-secret-tokeN' }, 401],
      [{ 'x-goog-resource-id': 'other-resource' }, 401],
      [{ 'x-goog-channel-id': 'unknown' }, 401],
      [{ 'x-goog-resource-state': 'add' }, 400],
      [{ 'x-goog-channel-id': undefined }, 400],
      // Shapes no notification of ours has are refused before any lookup (issue 10 #4).
      [{ 'x-goog-channel-id': 'c'.repeat(1500) }, 400],
      [{ 'x-goog-channel-id': 'chan 1' }, 400],
      [{ 'x-goog-resource-id': 'r'.repeat(300) }, 400],
      [{ 'x-goog-message-number': 'seven' }, 400],
      [{ 'x-goog-channel-token': 't'.repeat(300) }, 401],
    ];
    for (const [headers, status] of cases) {
      const result = await handleCalendarPush(deps(), pushHeaders(headers));
      assert.equal(result.status, status, JSON.stringify(headers));
    }
    assert.equal(publisher.published.length, 0);
  });

  it('answers an unknown channel exactly like a wrong token, so channel ids cannot be probed', async () => {
    const unknown = await handleCalendarPush(deps(), pushHeaders({ 'x-goog-channel-id': 'unknown' }));
    const wrong = await handleCalendarPush(deps(), pushHeaders({ 'x-goog-channel-token': 'guess' }));
    assert.deepEqual(unknown, wrong);
  });

  it('compares against the stored hash of the token; a channel stored before hashing still works', async () => {
    const hashed = user();
    await users.putUser({
      ...hashed,
      channel: { ...hashed.channel!, token: hashChannelToken('per-channel-secret-token') },
    });
    assert.equal((await handleCalendarPush(deps(), pushHeaders())).status, 200);
    assert.equal(
      (await handleCalendarPush(deps(), pushHeaders({ 'x-goog-channel-token': 'guess' }))).status,
      401,
    );
  });

  it('acks a notification for a user who opted out without syncing', async () => {
    await users.updateUser(USERS.aino.severaUserGuid, { enabled: false });
    assert.equal((await handleCalendarPush(deps(), pushHeaders())).status, 200);
    assert.equal(publisher.published.length, 0);
  });
});

describe('severaWebhook', () => {
  const clock = new ManualClock(NOW);
  let store: MemorySyncStore;
  let users: MemoryUserDirectory;
  let publisher: MemorySyncRequestPublisher;
  let polls: number;
  let polledGuids: string[];
  let replays: MemoryMessageLog;

  beforeEach(async () => {
    store = new MemorySyncStore();
    users = new MemoryUserDirectory();
    await users.putUser(user());
    publisher = new MemorySyncRequestPublisher({ clock });
    polls = 0;
    polledGuids = ['guid-changed'];
    replays = new MemoryMessageLog();
  });

  const deps = (poll?: () => Promise<never>) => ({
    secret: () => Promise.resolve(SECRET),
    poll:
      poll ??
      (() => {
        polls += 1;
        return Promise.resolve({ changed: polledGuids.length, requested: ['x'], guids: polledGuids });
      }),
    store,
    users,
    publisher,
    clock,
    logger: createMemoryLogger(),
    replays,
  });

  function signed(body: string, at = Math.floor(Date.parse(NOW) / 1000)) {
    return {
      rawBody: Buffer.from(body),
      headers: { 'x-sync-timestamp': String(at), 'x-sync-signature': signWebhook(SECRET, at, body) },
    };
  }

  it('polls once for a valid notice and reconciles the link holders of activities the poll did not see', async () => {
    await store.putLink({
      user: USERS.aino.severaUserGuid,
      severaGuid: 'guid-deleted',
      googleId: 'ev1',
      iCalUID: null,
      origin: 'severa',
      severa: { version: 'v', hash: 'h' },
      google: { version: 'e', hash: 'h' },
      base: {
        title: 'x',
        notes: '',
        location: '',
        timing: { kind: 'allDay', startDate: '2026-03-03', endDate: '2026-03-04' },
        recurrence: null,
        isPrivate: false,
      },
      syncedAt: NOW,
    });
    const result = await handleSeveraWebhook(
      deps(),
      signed(JSON.stringify({ activityGuids: ['guid-changed', 'guid-deleted'] })),
    );
    assert.equal(result.status, 202);
    assert.equal(polls, 1);
    assert.deepEqual(
      publisher.published.map((p) => [p.request.user, p.request.reason, p.request.reconcile]),
      [[USERS.aino.severaUserGuid, 'webhook', true]],
    );
  });

  it('refuses bad signatures, stale or future timestamps, bad bodies and huge bodies, and does nothing', async () => {
    const body = JSON.stringify({ activityGuids: ['guid-changed'] });
    const now = Math.floor(Date.parse(NOW) / 1000);
    const cases: [{ rawBody: Buffer; headers: Record<string, string> }, number][] = [
      [{ ...signed(body), headers: { ...signed(body).headers, 'x-sync-signature': 'sha256=00' } }, 401],
      [{ ...signed(body), rawBody: Buffer.from(body.replace('changed', 'chang3d')) }, 401],
      [signed(body, now - 301), 401],
      [signed(body, now + 301), 401],
      [{ rawBody: Buffer.from(body), headers: {} }, 401],
      [signed('{"activityGuids": ["a/b"]}'), 400],
      [signed('{"activityGuids": []}'), 400],
      [signed('{"activityGuids": ["x"], "extra": 1}'), 400],
      [signed('not json'), 400],
      [signed(JSON.stringify({ activityGuids: ['x'], pad: 'y'.repeat(MAX_NOTICE_BYTES) })), 413],
    ];
    for (const [request, status] of cases) {
      const result = await handleSeveraWebhook(deps(), request);
      assert.equal(result.status, status, String(result.body.error));
    }
    assert.equal(polls, 0);
    assert.equal(publisher.published.length, 0);
  });

  it('answers a replayed notice without polling again, and asks for a retry when Severa is down', async () => {
    const request = signed(JSON.stringify({ activityGuids: ['guid-changed'] }));
    assert.equal((await handleSeveraWebhook(deps(), request)).status, 202);
    const again = await handleSeveraWebhook(deps(), request);
    assert.deepEqual([again.status, again.body.duplicate], [202, true]);
    assert.equal(polls, 1);
    const other = signed(JSON.stringify({ activityGuids: ['guid-2'] }));
    const down = await handleSeveraWebhook(
      deps(() => Promise.reject(new TransientError('Severa answered 503'))),
      other,
    );
    assert.equal(down.status, 503);
    assert.equal(
      (await handleSeveraWebhook(deps(), other)).status,
      202,
      'the retry is not taken for a replay',
    );
  });

  it('signature checks are constant-form and never echo what was sent', () => {
    const check = verifyWebhook({
      secret: SECRET,
      signature: 'sha256=deadbeef',
      timestamp: String(Math.floor(Date.parse(NOW) / 1000)),
      rawBody: 'x',
      nowMs: Date.parse(NOW),
    });
    assert.deepEqual(check, { ok: false, reason: 'signature does not match' });
  });
});

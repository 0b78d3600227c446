/**
 * One behavioural contract for every state port (SyncStore, UserDirectory, LeaseStore, MessageLog, AuditLog,
 * OrgConfigStore), run against the memory implementations (test/unit/adapters/memory/sync-store.contract.test.ts)
 * and the Firestore adapters on the emulator (test/integration/firestore-store.test.ts). `MemorySyncStore` is the
 * semantic reference: the sync engine's property tests run on it, so every other store must answer the same.
 *
 * The race tests send concurrent calls through `peers`: for Firestore, separate client instances on the same data,
 * so they really race through the server; for memory, the one instance (interleaved at every `await`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { NotFoundError, type EntryContent, type Link, type SeveraRecord } from '../../shared/domain/index.js';
import type {
  AuditEntry,
  AuditLog,
  CreateIntent,
  DeletionHold,
  HeldDeletion,
  LeaseStore,
  MessageLog,
  OrgConfig,
  OrgConfigStore,
  Refusal,
  SyncStore,
  UserDirectory,
  UserRecord,
  UserSyncStatus,
} from '../../shared/ports/index.js';
import { defaultSettings } from '../../shared/domain/settings.js';

export interface StatePorts {
  readonly store: SyncStore;
  readonly users: UserDirectory;
  readonly leases: LeaseStore;
  readonly messages: MessageLog;
  readonly audit: AuditLog;
  readonly orgConfig: OrgConfigStore;
}

export interface StateFixture extends StatePorts {
  /** Clients of this same (fresh) state; for a remote store, separate connections. At least one. */
  readonly peers: readonly StatePorts[];
}

export interface ContractOptions {
  /** A fresh, empty state for each test. */
  readonly fixture: () => Promise<StateFixture>;
  /** Concurrent callers in the race tests (keep small: contention costs the Firestore emulator ~1–3 s a round). */
  readonly racers?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const T0 = '2026-03-02T08:00:00Z';

function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

function timedContent(title: string, overrides: Partial<EntryContent> = {}): EntryContent {
  return {
    title,
    notes: 'Line one\n\nLine  two — ünïcödé',
    location: '',
    timing: { kind: 'timed', start: at(60), end: at(90), timeZone: 'Europe/Helsinki' },
    recurrence: null,
    isPrivate: false,
    ...overrides,
  };
}

/** A weekly series with an end date, a cancelled and a modified (all-day) occurrence. */
const SERIES: EntryContent = timedContent('Weekly', {
  recurrence: {
    pattern: {
      kind: 'rule',
      rule: {
        freq: 'weekly',
        interval: 2,
        byWeekday: ['MO', 'WE'],
        byMonthDay: null,
        bySetPos: null,
        byMonth: null,
        end: { kind: 'until', until: '2026-06-30' },
      },
    },
    exdates: ['2026-03-16T09:00:00Z'],
    overrides: [
      {
        originalStart: '2026-03-18T09:00:00Z',
        title: 'Moved',
        notes: '',
        location: 'Room 2',
        timing: { kind: 'allDay', startDate: '2026-03-19', endDate: '2026-03-20' },
      },
    ],
  },
  isPrivate: true,
});

const UNSUPPORTED: EntryContent = timedContent('Hourly', {
  timing: { kind: 'allDay', startDate: '2026-03-02', endDate: '2026-03-03' },
  recurrence: {
    pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=HOURLY;COUNT=3', 'RDATE:20260310T090000Z'] },
    exdates: [],
    overrides: [],
  },
});

function link(user: string, severaGuid: string, googleId: string, extra: Partial<Link> = {}): Link {
  return {
    user,
    severaGuid,
    googleId,
    iCalUID: `${googleId}@google.com`,
    origin: 'severa',
    severa: { version: T0, hash: `s-${severaGuid}` },
    google: { version: `"etag-${googleId}"`, hash: `g-${googleId}` },
    base: timedContent(`Entry ${severaGuid}`),
    syncedAt: T0,
    ...extra,
  };
}

function record(guid: string, version: string, title = `Activity ${guid}`): SeveraRecord {
  return {
    guid,
    version,
    content: timedContent(title),
    activityType: { guid: 'type-meeting', name: 'Meeting', category: 'CalendarEntry' },
    ownerGuid: 'user-a',
    participantGuids: ['user-b', 'user-c'],
    isProjectTask: false,
    createdAt: null,
    createdBy: 'user-a',
  };
}

function intent(googleId: string, iCalUID: string): CreateIntent {
  return {
    googleId,
    iCalUID,
    content: SERIES,
    ownerGuid: 'user-a',
    from: at(-60),
    to: at(120),
    at: T0,
  };
}

function userRecord(guid: string, extra: Partial<UserRecord> = {}): UserRecord {
  return {
    severaUserGuid: guid,
    email: `${guid}@example.com`,
    timeZone: 'Europe/Helsinki',
    defaultActivityTypeGuid: null,
    enabled: true,
    channel: null,
    lastReconcileAt: null,
    lastCompleteRunStartedAt: null,
    lastSafetyRequestAt: null,
    ...extra,
  };
}

function channel(id: string) {
  return {
    id,
    resourceId: `res-${id}`,
    expiration: at(60 * 24 * 7),
    token: `token-${id}`,
    address: 'https://example.com/push',
  };
}

function auditEntry(user: string, minutes: number, kind = 'create-google'): AuditEntry {
  return {
    user,
    at: at(minutes),
    kind,
    severaGuid: `s-${minutes}`,
    googleId: null,
    why: `because ${minutes}`,
    decisions: minutes % 2 === 0 ? [] : ['title: Severa wins (latest)', 'notes: merged'],
    title: `Entry ${minutes}`,
    date: minutes % 2 === 0 ? '2026-03-02' : null,
    private: minutes % 3 === 0,
    changes: minutes % 2 === 0 ? [] : ['title: “A” → “B”', 'written to Google'],
    expiresAt: '2026-06-01T00:00:00.123Z',
  };
}

const ORG_CONFIG: OrgConfig = {
  enabled: true,
  serviceAccountEmail: 'sync@demo.iam.gserviceaccount.com',
  severaClientId: 'demo-sync-client',
  sync: defaultSettings({
    syncedActivityTypeGuids: ['type-meeting', 'type-personal'],
    activityTypes: [
      { guid: 'type-meeting', name: 'Meeting', category: 'CalendarEntry', isActive: true, isDefault: true },
      { guid: 'type-personal', name: 'Personal', category: 'Personal', isActive: true, isDefault: false },
    ],
    conflictPolicy: 'severa-wins',
    deletionSafety: { maxCount: 10, maxShare: 0.25, shareFloor: 3 },
  }),
  updatedAt: T0,
};

function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

const sortLinks = (links: readonly Link[]) => [...links].sort(byKey((l) => `${l.user}|${l.severaGuid}`));

// ---------------------------------------------------------------------------------------------------------------

export function describeStateContract(name: string, options: ContractOptions): void {
  const { fixture } = options;
  const racers = Math.max(2, options.racers ?? 4);

  describe(`${name}: SyncStore links`, () => {
    it('lists exactly what was put, per user, with every field intact (recurrence, all-day, dormant)', async () => {
      const { store } = await fixture();
      const links = [
        link('user-a', 's1', 'g1'),
        link('user-a', 's2', 'g2', { base: SERIES, origin: 'google', dormant: true }),
        link('user-a', 's3', 'g3', { base: UNSUPPORTED, iCalUID: null, origin: 'matched', dormant: false }),
        link('user-b', 's1', 'g9'),
      ];
      for (const l of links) await store.putLink(l);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), links.slice(0, 3));
      assert.deepEqual(await store.listLinks('user-b'), [links[3]]);
      assert.deepEqual(await store.listLinks('user-none'), []);
    });

    // Not covered: a user guid containing `|` (Severa guids are UUIDs); MemorySyncStore's `linkKey` would join
    // ('u|s', '2') and ('u', 's|2') into one key.
    it('keeps ids with reserved characters apart (/, |, %, ., __…__)', async () => {
      const { store } = await fixture();
      const links = [
        link('u/1', 's|2', 'g/1'),
        link('u', '1/s|2', 'g/2'),
        link('u|', '', 'g/3'),
        link('..', '__x__', '%2F'),
        link('.', '%7C', 'g.4'),
      ];
      for (const l of links) await store.putLink(l);
      for (const l of links) assert.deepEqual(await store.listLinks(l.user), [l], `links of ${l.user}`);
      await store.deleteLink(links[1]!);
      assert.deepEqual(await store.listLinks('u'), []);
      assert.deepEqual(await store.listLinks('u/1'), [links[0]]);
    });

    it('updates a link in place: one link per user and Severa activity', async () => {
      const { store } = await fixture();
      await store.putLink(link('user-a', 's1', 'g1'));
      const updated = link('user-a', 's1', 'g1', {
        severa: { version: at(5), hash: 'h2' },
        base: SERIES,
        syncedAt: at(5),
      });
      await store.putLink(updated);
      assert.deepEqual(await store.listLinks('user-a'), [updated]);
    });

    it('removes `replaces` in the same write (a pair re-created on one side)', async () => {
      const { store } = await fixture();
      const old = link('user-a', 's-old', 'g-old');
      const other = link('user-a', 's-other', 'g-other');
      await store.putLink(old);
      await store.putLink(other);
      const recreated = link('user-a', 's-new', 'g-new');
      await store.putLink(recreated, old);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), sortLinks([other, recreated]));
      // The replaced pair's event is free again: a new link to it removes nothing else.
      const again = link('user-a', 's-again', 'g-old');
      await store.putLink(again);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), sortLinks([other, recreated, again]));
    });

    it('a replacement of the same activity (replaces has the same key) leaves just the new link', async () => {
      const { store } = await fixture();
      const old = link('user-a', 's1', 'g1');
      await store.putLink(old);
      const recreated = link('user-a', 's1', 'g1-new');
      await store.putLink(recreated, old);
      assert.deepEqual(await store.listLinks('user-a'), [recreated]);
    });

    it('a second link of the same user to the same Google event replaces the first (other users untouched)', async () => {
      const { store } = await fixture();
      const first = link('user-a', 's1', 'g1');
      const otherUser = link('user-b', 's1', 'g1');
      await store.putLink(first);
      await store.putLink(otherUser);
      const second = link('user-a', 's2', 'g1');
      await store.putLink(second);
      assert.deepEqual(await store.listLinks('user-a'), [second]);
      assert.deepEqual(await store.listLinks('user-b'), [otherUser]);
      assert.deepEqual(await store.findLinksBySeveraGuid('s1'), [otherUser]);
    });

    it('a link that moved to another event no longer holds the old one', async () => {
      const { store } = await fixture();
      await store.putLink(link('user-a', 's1', 'g1'));
      const moved = link('user-a', 's1', 'g2');
      await store.putLink(moved);
      const newcomer = link('user-a', 's2', 'g1');
      await store.putLink(newcomer);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), sortLinks([moved, newcomer]));
      // …and the moved link does hold its new event.
      const rival = link('user-a', 's3', 'g2');
      await store.putLink(rival);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), sortLinks([newcomer, rival]));
    });

    it('deletes one link by user and Severa guid; deleting a missing link is a no-op', async () => {
      const { store } = await fixture();
      const a = link('user-a', 's1', 'g1');
      const b = link('user-a', 's2', 'g2');
      await store.putLink(a);
      await store.putLink(b);
      await store.deleteLink(a);
      await store.deleteLink(a);
      await store.deleteLink(link('user-z', 's9', 'g9'));
      assert.deepEqual(await store.listLinks('user-a'), [b]);
      // The deleted link's event takes a new link without touching anything else.
      const c = link('user-a', 's3', 'g1');
      await store.putLink(c);
      assert.deepEqual(sortLinks(await store.listLinks('user-a')), sortLinks([b, c]));
    });

    it('finds links by iCalUID and by Severa guid across users', async () => {
      const { store } = await fixture();
      const shared = { iCalUID: 'meeting-1@example.com' };
      const a = link('user-a', 's1', 'ga', shared);
      const b = link('user-b', 's1', 'gb', shared);
      const c = link('user-c', 's2', 'gc', shared);
      const d = link('user-a', 's3', 'gd', { iCalUID: null });
      for (const l of [a, b, c, d]) await store.putLink(l);
      assert.deepEqual(sortLinks(await store.findLinksByICalUID('meeting-1@example.com')), [a, b, c]);
      assert.deepEqual(await store.findLinksByICalUID('other@example.com'), []);
      assert.deepEqual(sortLinks(await store.findLinksBySeveraGuid('s1')), [a, b]);
      assert.deepEqual(await store.findLinksBySeveraGuid('s3'), [d]);
      assert.deepEqual(await store.findLinksBySeveraGuid('none'), []);
      // Many at once: more values than one `in` query takes, repeated and unknown ones among them.
      const many = ['s1', 's3', 's1', ...Array.from({ length: 70 }, (_, i) => `none-${String(i)}`), 's2'];
      assert.deepEqual(sortLinks(await store.findLinksBySeveraGuids(many)), sortLinks([a, b, c, d]));
      assert.deepEqual(await store.findLinksBySeveraGuids([]), []);
    });
  });

  describe(`${name}: SyncStore per-user state`, () => {
    it('saves, overwrites and clears sync tokens per user', async () => {
      const { store } = await fixture();
      assert.equal(await store.getSyncToken('user-a'), null);
      await store.saveSyncToken('user-a', 'tok-1');
      await store.saveSyncToken('user-b', 'tok-b');
      await store.saveSyncToken('user-a', 'tok-2');
      assert.equal(await store.getSyncToken('user-a'), 'tok-2');
      await store.saveSyncToken('user-a', null);
      assert.equal(await store.getSyncToken('user-a'), null);
      assert.equal(await store.getSyncToken('user-b'), 'tok-b');
    });

    it("status of an unknown user is 'off' with nothing pending; set/get round-trips per user", async () => {
      const { store } = await fixture();
      const off: UserSyncStatus = { state: 'off', lastSuccessAt: null, message: null, pendingRetries: 0 };
      assert.deepEqual(await store.getStatus('user-a'), off);
      const error: UserSyncStatus = {
        state: 'error',
        lastSuccessAt: T0,
        message: 'Google refused access: ask the admin to grant domain-wide delegation.',
        pendingRetries: 3,
      };
      await store.setStatus('user-a', error);
      await store.saveSyncToken('user-a', 'tok');
      assert.deepEqual(await store.getStatus('user-a'), error);
      const healthy: UserSyncStatus = {
        state: 'healthy',
        lastSuccessAt: at(5),
        message: null,
        pendingRetries: 0,
      };
      await store.setStatus('user-a', healthy);
      assert.deepEqual(await store.getStatus('user-a'), healthy);
      assert.equal(await store.getSyncToken('user-a'), 'tok', 'status and token are independent');
      assert.deepEqual(await store.getStatus('user-b'), off);
    });

    it('keeps the org-wide poll state, replacing what was routed', async () => {
      const { store } = await fixture();
      assert.deepEqual(await store.getSeveraPoll(), { watermark: null, routed: {} });
      await store.setSeveraPoll({ watermark: T0, routed: { 'guid-1': 'f1', 'guid-2': 'f2' } });
      await store.setSeveraPoll({ watermark: at(1), routed: { 'guid-2': 'f3' } });
      assert.deepEqual(await store.getSeveraPoll(), { watermark: at(1), routed: { 'guid-2': 'f3' } });
    });

    it('a paused status keeps its pause and count; a later status without them drops them', async () => {
      const { store } = await fixture();
      const paused: UserSyncStatus = {
        state: 'error',
        lastSuccessAt: T0,
        message: 'Google Calendar has made the calendar read-only for a while.',
        pendingRetries: 1,
        pausedUntil: at(30),
        quotaPauses: 2,
      };
      await store.setStatus('user-a', paused);
      assert.deepEqual(await store.getStatus('user-a'), paused);
      const healthy: UserSyncStatus = {
        state: 'healthy',
        lastSuccessAt: at(31),
        message: null,
        pendingRetries: 0,
      };
      await store.setStatus('user-a', healthy);
      assert.deepEqual(await store.getStatus('user-a'), healthy);
    });

    it('keeps refusals per user by key, with their snapshots; replaces by key; deletes one', async () => {
      const { store } = await fixture();
      const refusal: Refusal = {
        key: 'google:g/1',
        fingerprint: 'f1',
        title: 'Offsite',
        side: 'severa',
        message: 'Severa refused the location.',
        at: T0,
        severa: record('s1', T0),
      };
      const pair: Refusal = { ...refusal, key: 'pair:s2', fingerprint: 'f2|f3', side: 'google' };
      await store.putRefusal('user-a', refusal);
      await store.putRefusal('user-a', pair);
      await store.putRefusal('user-b', refusal);
      assert.deepEqual([...(await store.listRefusals('user-a'))].sort(byKey((r) => r.key)), [refusal, pair]);
      await store.putRefusal('user-a', { ...refusal, fingerprint: 'f9' });
      await store.deleteRefusal('user-a', 'pair:s2');
      assert.deepEqual(await store.listRefusals('user-a'), [{ ...refusal, fingerprint: 'f9' }]);
      assert.deepEqual(await store.listRefusals('user-b'), [refusal]);
      await store.deleteRefusal('user-a', 'none');
    });

    it('keeps a B3 hold and its held deletions per user; puts replace by link, deletes remove by link key', async () => {
      const { store } = await fixture();
      assert.equal(await store.getHold('user-a'), null);
      assert.deepEqual(await store.listHeld('user-a'), []);
      const hold: DeletionHold = {
        reason: 'too-many-deletions',
        since: T0,
        links: 40,
        deletions: 2,
        decision: null,
      };
      await store.setHold('user-a', hold);
      const held: HeldDeletion[] = [
        { link: link('user-a', 's1', 'g1'), side: 'severa', confirmed: true },
        { link: link('user-a', 's/2', 'g2', { base: SERIES }), side: 'google', confirmed: false },
      ];
      await store.putHeld('user-a', held);
      await store.putHeld('user-a', [{ ...held[0]!, confirmed: false }]);
      assert.deepEqual(await store.getHold('user-a'), hold);
      const bySevera = byKey((h: HeldDeletion) => h.link.severaGuid);
      assert.deepEqual(
        [...(await store.listHeld('user-a'))].sort(bySevera),
        [{ ...held[0]!, confirmed: false }, held[1]!].sort(bySevera),
      );
      const decided: DeletionHold = {
        ...hold,
        decision: { kind: 'reject', at: at(1), by: 'admin@demo.example' },
      };
      await store.setHold('user-a', decided);
      assert.deepEqual(await store.getHold('user-a'), decided);
      assert.equal(await store.getHold('user-b'), null, 'per user');
      await store.deleteHeld('user-a', ['user-a|s1', 'user-a|s/2', 'user-a|none']);
      assert.deepEqual(await store.listHeld('user-a'), []);
      await store.setHold('user-a', null);
      assert.equal(await store.getHold('user-a'), null);
      assert.equal(await store.getSyncToken('user-a'), null, 'the hold is independent of the token');
    });
  });

  describe(`${name}: SyncStore inbox`, () => {
    const sortItems = (items: readonly { record: SeveraRecord }[]) =>
      [...items].sort(byKey((i) => i.record.guid)).map((i) => i.record);

    it('keeps the newest version of each activity, whatever order versions arrive in', async () => {
      const { store } = await fixture();
      await store.addToInbox('user-a', [record('s1', at(2)), record('s2', at(1))]);
      await store.addToInbox('user-a', [record('s1', at(1), 'older')]);
      await store.addToInbox('user-a', [record('s2', at(3), 'newer'), record('s2', at(2), 'between')]);
      await store.addToInbox('user-b', [record('s1', at(0))]);
      assert.deepEqual(sortItems(await store.readInbox('user-a')), [
        record('s1', at(2)),
        record('s2', at(3), 'newer'),
      ]);
      assert.deepEqual(sortItems(await store.readInbox('user-b')), [record('s1', at(0))]);
      assert.deepEqual(await store.readInbox('user-c'), []);
    });

    it('the same version arriving again replaces the stored one (the later read of it wins)', async () => {
      const { store } = await fixture();
      await store.addToInbox('user-a', [record('s1', at(1), 'first read')]);
      await store.addToInbox('user-a', [record('s1', at(1), 'second read')]);
      assert.deepEqual(sortItems(await store.readInbox('user-a')), [record('s1', at(1), 'second read')]);
    });

    it('ack removes what was processed but keeps a newer version that arrived meanwhile', async () => {
      const { store } = await fixture();
      await store.addToInbox('user-a', [record('s1', at(1)), record('s2', at(1)), record('s3', at(1))]);
      const read = await store.readInbox('user-a');
      await store.addToInbox('user-a', [record('s2', at(2), 'edited again')]);
      await store.addToInbox('user-b', [record('s1', at(1))]);
      await store.ackInbox(
        'user-a',
        read.filter((i) => i.record.guid !== 's3'),
      );
      assert.deepEqual(sortItems(await store.readInbox('user-a')), [
        record('s2', at(2), 'edited again'),
        record('s3', at(1)),
      ]);
      assert.equal((await store.readInbox('user-b')).length, 1, "another user's inbox is untouched");
      await store.ackInbox('user-a', [{ record: record('missing', at(1)) }]);
      await store.ackInbox('user-c', read);
      assert.equal((await store.readInbox('user-a')).length, 2);
    });
  });

  describe(`${name}: SyncStore create intents and meeting claims`, () => {
    it('puts, lists, replaces and deletes intents; finds them by iCalUID across users', async () => {
      const { store } = await fixture();
      const a1 = intent('g1', 'm1@x');
      const a2 = intent('g2', 'm2@x');
      const b1 = intent('gb', 'm1@x');
      await store.putIntent('user-a', a1);
      await store.putIntent('user-a', a2);
      await store.putIntent('user-b', b1);
      const a1b = { ...a1, at: at(3), from: at(-10) };
      await store.putIntent('user-a', a1b);
      const sortIntents = (xs: readonly CreateIntent[]) => [...xs].sort(byKey((i) => i.googleId));
      assert.deepEqual(sortIntents(await store.listIntents('user-a')), [a1b, a2]);
      assert.deepEqual([...(await store.findIntentsByICalUID('m1@x'))].sort(byKey((f) => f.user)), [
        { user: 'user-a', intent: a1b },
        { user: 'user-b', intent: b1 },
      ]);
      await store.deleteIntent('user-a', 'g1');
      await store.deleteIntent('user-a', 'missing');
      assert.deepEqual(await store.listIntents('user-a'), [a2]);
      assert.deepEqual(await store.findIntentsByICalUID('m1@x'), [{ user: 'user-b', intent: b1 }]);
      assert.deepEqual(await store.listIntents('user-c'), []);
    });

    it('claimMeeting: the first claimant holds it; others get the holder; the holder may renew', async () => {
      const { store } = await fixture();
      const stale = at(-30);
      assert.equal(await store.claimMeeting('m/1@x', 'user-a', at(0), stale), 'user-a');
      assert.equal(await store.claimMeeting('m/1@x', 'user-b', at(1), stale), 'user-a');
      assert.equal(await store.claimMeeting('m/1@x', 'user-a', at(10), stale), 'user-a');
      // The renewal moved the claim's time: a staleness bound between the two times does not take it.
      assert.equal(await store.claimMeeting('m/1@x', 'user-b', at(11), at(5)), 'user-a');
      assert.equal(
        await store.claimMeeting('m2@x', 'user-b', at(1), stale),
        'user-b',
        'claims are per meeting',
      );
    });

    it('claimMeeting: a claim made before `staleBefore` is taken over; one made at it is not', async () => {
      const { store } = await fixture();
      await store.claimMeeting('m1@x', 'user-a', at(0), at(-30));
      assert.equal(await store.claimMeeting('m1@x', 'user-b', at(30), at(0)), 'user-a', 'at the bound: kept');
      assert.equal(await store.claimMeeting('m1@x', 'user-b', at(31), at(1)), 'user-b', 'before it: stale');
      assert.equal(await store.claimMeeting('m1@x', 'user-a', at(32), at(1)), 'user-b');
    });

    it('releaseMeeting: only the holder releases; then anyone may claim', async () => {
      const { store } = await fixture();
      const stale = at(-30);
      await store.claimMeeting('m1@x', 'user-a', at(0), stale);
      await store.releaseMeeting('m1@x', 'user-b');
      assert.equal(await store.claimMeeting('m1@x', 'user-b', at(1), stale), 'user-a');
      await store.releaseMeeting('m1@x', 'user-a');
      await store.releaseMeeting('unknown@x', 'user-a');
      assert.equal(await store.claimMeeting('m1@x', 'user-b', at(2), stale), 'user-b');
    });
  });

  describe(`${name}: UserDirectory`, () => {
    it('puts, gets, lists and replaces users; an unknown user is null', async () => {
      const { users } = await fixture();
      assert.deepEqual(await users.listUsers(), []);
      assert.equal(await users.getUser('user-a'), null);
      const a = userRecord('user-a', { channel: channel('ch-1'), defaultActivityTypeGuid: 'type-meeting' });
      const b = userRecord('user/b', { enabled: false, timeZone: 'America/New_York' });
      await users.putUser(a);
      await users.putUser(b);
      assert.deepEqual(await users.getUser('user-a'), a);
      assert.deepEqual(await users.getUser('user/b'), b);
      const a2 = userRecord('user-a', { email: 'new@example.com', lastReconcileAt: T0 });
      await users.putUser(a2);
      assert.deepEqual(await users.getUser('user-a'), a2, 'replaced as a whole (channel gone)');
      assert.deepEqual([...(await users.listUsers())].sort(byKey((u) => u.severaUserGuid)), [a2, b]);
    });

    it('updateUser changes only the given fields; a missing user is an error', async () => {
      const { users } = await fixture();
      const a = userRecord('user-a', { channel: channel('ch-1'), lastReconcileAt: T0 });
      await users.putUser(a);
      await users.updateUser('user-a', { lastCompleteRunStartedAt: at(5), lastSafetyRequestAt: at(6) });
      assert.deepEqual(await users.getUser('user-a'), {
        ...a,
        lastCompleteRunStartedAt: at(5),
        lastSafetyRequestAt: at(6),
      });
      await users.updateUser('user-a', {
        channel: channel('ch-2'),
        enabled: false,
        lastReconcileAt: undefined,
      });
      assert.deepEqual(await users.getUser('user-a'), {
        ...a,
        channel: channel('ch-2'),
        enabled: false,
        lastCompleteRunStartedAt: at(5),
        lastSafetyRequestAt: at(6),
      });
      await users.updateUser('user-a', {});
      await assert.rejects(users.updateUser('user-z', { enabled: false }), NotFoundError);
      assert.equal(await users.getUser('user-z'), null, 'a failed update creates nothing');
    });

    it('finds a user by push channel id, and not by a replaced channel', async () => {
      const { users } = await fixture();
      await users.putUser(userRecord('user-a', { channel: channel('ch-a') }));
      await users.putUser(userRecord('user-b', { channel: channel('ch-b') }));
      await users.putUser(userRecord('user-c'));
      assert.equal((await users.findUserByChannelId('ch-b'))?.severaUserGuid, 'user-b');
      assert.equal(await users.findUserByChannelId('ch-x'), null);
      await users.updateUser('user-b', { channel: null });
      assert.equal(await users.findUserByChannelId('ch-b'), null);
      await users.updateUser('user-c', { channel: channel('ch-c') });
      assert.deepEqual(
        await users.findUserByChannelId('ch-c'),
        userRecord('user-c', { channel: channel('ch-c') }),
      );
    });

    it("the directory and a user's sync state are independent", async () => {
      const { users, store } = await fixture();
      // Sync state of someone not in the directory does not make them a user…
      await store.saveSyncToken('user-ghost', 'tok');
      await store.setStatus('user-ghost', {
        state: 'held',
        lastSuccessAt: null,
        message: 'held',
        pendingRetries: 0,
      });
      assert.deepEqual(await users.listUsers(), []);
      assert.equal(await users.getUser('user-ghost'), null);
      await assert.rejects(users.updateUser('user-ghost', { enabled: true }), NotFoundError);
      // …and putting or updating a user keeps their sync state.
      await store.saveSyncToken('user-a', 'tok-a');
      await users.putUser(userRecord('user-a'));
      await users.putUser(userRecord('user-a', { enabled: false }));
      await users.updateUser('user-a', { lastReconcileAt: T0 });
      assert.equal(await store.getSyncToken('user-a'), 'tok-a');
      assert.equal(await store.getSyncToken('user-ghost'), 'tok');
      assert.equal((await store.getStatus('user-ghost')).state, 'held');
      assert.deepEqual(await users.listUsers(), [
        userRecord('user-a', { enabled: false, lastReconcileAt: T0 }),
      ]);
    });
  });

  describe(`${name}: LeaseStore`, () => {
    it('is exclusive until it expires by the caller’s clock; the holder may re-enter and extend', async () => {
      const { leases } = await fixture();
      assert.equal(await leases.acquire('user:a', 'w1', at(0), 60_000), true);
      assert.equal(await leases.acquire('user:a', 'w2', at(0), 60_000), false);
      assert.equal(await leases.acquire('user:b', 'w2', at(0), 60_000), true, 'leases are per key');
      assert.equal(
        await leases.acquire('user:a', 'w1', at(0.5), 60_000),
        true,
        're-entrant, now until 1.5 min',
      );
      assert.equal(await leases.acquire('user:a', 'w2', at(1), 60_000), false, 'the extension holds');
      assert.equal(await leases.acquire('user:a', 'w2', at(1.5), 60_000), true, 'free at its expiry instant');
      assert.equal(await leases.acquire('user:a', 'w1', at(1.6), 60_000), false);
    });

    it('is released only by its holder', async () => {
      const { leases } = await fixture();
      await leases.acquire('k/1', 'w1', at(0), 60_000);
      await leases.release('k/1', 'w2');
      assert.equal(
        await leases.acquire('k/1', 'w2', at(0), 60_000),
        false,
        'a non-holder release is a no-op',
      );
      await leases.release('k/1', 'w1');
      await leases.release('never', 'w1');
      assert.equal(await leases.acquire('k/1', 'w2', at(0), 60_000), true);
    });
  });

  describe(`${name}: MessageLog, AuditLog, OrgConfigStore`, () => {
    it('remembers processed messages', async () => {
      const { messages } = await fixture();
      assert.equal(await messages.wasProcessed('123/456'), false);
      await messages.markProcessed('123/456', T0, at(60 * 24));
      await messages.markProcessed('123/456', at(1), at(60 * 24));
      assert.equal(await messages.wasProcessed('123/456'), true);
      assert.equal(await messages.wasProcessed('123'), false);
    });

    it('lets exactly one of many concurrent claims of a key win, until it expires or is forgotten', async () => {
      const { messages } = await fixture();
      const wins = await Promise.all(
        Array.from({ length: 8 }, () => messages.claim('notice:abc', T0, at(10))),
      );
      assert.equal(wins.filter(Boolean).length, 1);
      assert.equal(await messages.claim('notice:abc', at(5), at(15)), false, 'still within its time');
      assert.equal(await messages.claim('notice:abc', at(11), at(21)), true, 'expired: taken again');
      await messages.forget('notice:abc');
      assert.equal(await messages.claim('notice:abc', at(12), at(22)), true, 'forgotten: claimable');
      assert.equal(await messages.claim('notice:other', at(12), at(22)), true);
    });

    it("lists a user's audit entries newest first, up to the limit, exactly as appended", async () => {
      const { audit } = await fixture();
      const entries = [
        auditEntry('user-a', 1),
        auditEntry('user-a', 5),
        auditEntry('user-b', 4),
        auditEntry('user-a', 3, 'update-severa'),
      ];
      await audit.append(entries.slice(0, 2));
      await audit.append(entries.slice(2));
      await audit.append([]);
      assert.deepEqual(await audit.listForUser('user-a', 10), [entries[1], entries[3], entries[0]]);
      assert.deepEqual(await audit.listForUser('user-a', 2), [entries[1], entries[3]]);
      assert.deepEqual(await audit.listForUser('user-b', 10), [entries[2]]);
      assert.deepEqual(await audit.listForUser('user-a', 0), []);
      assert.deepEqual(await audit.listForUser('user-c', 10), []);
    });

    it('keeps the org config (null until put; a put replaces it)', async () => {
      const { orgConfig } = await fixture();
      assert.equal(await orgConfig.getOrgConfig(), null);
      await orgConfig.putOrgConfig(ORG_CONFIG);
      assert.deepEqual(await orgConfig.getOrgConfig(), ORG_CONFIG);
      const next: OrgConfig = { ...ORG_CONFIG, enabled: false, sync: defaultSettings(), updatedAt: at(1) };
      await orgConfig.putOrgConfig(next);
      assert.deepEqual(await orgConfig.getOrgConfig(), next);
    });
  });

  // The races use separate states, so they run side by side (each costs the Firestore emulator a back-off or two).
  describe(`${name}: races (concurrent callers on separate clients)`, { concurrency: true }, () => {
    const users = Array.from({ length: racers }, (_, i) => `user-${i}`);

    it(`${racers} concurrent claims of one meeting: exactly one holder, and every caller is told it`, async () => {
      const { peers, store } = await fixture();
      const results = await Promise.all(
        users.map((u, i) => peers[i % peers.length]!.store.claimMeeting('race@x', u, at(0), at(-30))),
      );
      const holder = results[0]!;
      assert.ok(users.includes(holder));
      assert.deepEqual(
        results,
        users.map(() => holder),
      );
      assert.equal(await store.claimMeeting('race@x', 'user-late', at(1), at(-30)), holder);
    });

    it(`${racers} concurrent acquires of one lease: exactly one succeeds`, async () => {
      const { peers, leases } = await fixture();
      const results = await Promise.all(
        users.map((u, i) => peers[i % peers.length]!.leases.acquire('user:race', u, at(0), 60_000)),
      );
      assert.equal(results.filter(Boolean).length, 1, `results: ${results.join(', ')}`);
      const winner = users[results.indexOf(true)]!;
      for (const u of users)
        assert.equal(await leases.acquire('user:race', u, at(0.1), 60_000), u === winner);
    });

    it('two concurrent links of one user to one Google event: exactly one remains', async () => {
      const { peers, store } = await fixture();
      const [p, q] = [peers[0]!, peers[1 % peers.length]!];
      const one = link('user-a', 's1', 'g-race');
      const two = link('user-a', 's2', 'g-race');
      await Promise.all([p.store.putLink(one), q.store.putLink(two)]);
      const left = await store.listLinks('user-a');
      assert.equal(left.length, 1, `links left: ${left.map((l) => l.severaGuid).join(', ')}`);
      assert.ok([one, two].some((l) => l.severaGuid === left[0]!.severaGuid));
      assert.deepEqual(left, [left[0]!.severaGuid === 's1' ? one : two]);
    });

    it('concurrent inbox adds of different versions: the newest remains; an ack racing a newer add keeps it', async () => {
      const { peers, store } = await fixture();
      const versions = users.map((_, i) => at(users.length - i)); // newest sent first
      await Promise.all(
        versions.map((v, i) =>
          peers[i % peers.length]!.store.addToInbox('user-a', [record('s1', v, `v${i}`)]),
        ),
      );
      const newest = record('s1', versions[0]!, 'v0');
      assert.deepEqual(await store.readInbox('user-a'), [{ record: newest }]);

      const [p, q] = [peers[0]!, peers[1 % peers.length]!];
      const newer = record('s1', at(100), 'newer');
      await Promise.all([
        p.store.ackInbox('user-a', [{ record: newest }]),
        q.store.addToInbox('user-a', [newer]),
      ]);
      assert.deepEqual(await store.readInbox('user-a'), [{ record: newer }]);
    });
  });
}

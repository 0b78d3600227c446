/**
 * The Firestore adapters against the official Firestore emulator: the whole state-port contract
 * (test/contract/sync-store.contract.ts, with its races sent through two separate client instances), plus what
 * only a real store can get wrong: the stored layout, damaged documents, and the document-id codec.
 *
 * Each test gets its own organisation id, so tests share no data. Skips (with the reason) where the emulator cannot
 * run; stops an emulator it started itself.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';

import { Firestore, Timestamp } from '@google-cloud/firestore';

import { compositeId, docId } from '../../shared/adapters/firestore/codec.js';
import { firestoreStores, OrgLayout } from '../../shared/adapters/firestore/index.js';
import { PermanentError } from '../../shared/domain/index.js';
import { describeStateContract, type StatePorts } from '../contract/sync-store.contract.js';
import { clearFirestore, EMULATOR_PROJECT, emulatorHost, stopOwnEmulators } from '../../scripts/emulators.js';

// No probing of the GCE metadata server from the client libraries.
process.env.METADATA_SERVER_DETECTION ??= 'none';

describe('Firestore document ids', () => {
  it('are valid Firestore ids and one-to-one', () => {
    const inputs = [
      '',
      '.',
      '..',
      '...',
      '__x__',
      '__',
      '_x_',
      'a/b',
      'a%2Fb',
      '%',
      '%00',
      'a|b',
      'é/ü',
      'x'.repeat(2000),
    ];
    const ids = inputs.map(docId);
    assert.equal(new Set(ids).size, inputs.length);
    for (const id of ids) {
      assert.ok(id.length > 0 && !id.includes('/') && id !== '.' && id !== '..' && !/^__.*__$/.test(id), id);
      assert.ok(Buffer.byteLength(id) <= 1500);
    }
    assert.equal(docId('user-a'), 'user-a', 'plain ids stay readable');
    assert.notEqual(docId('x'.repeat(2000)), docId('x'.repeat(2001)));
  });

  it('composite ids keep their parts apart', () => {
    const pairs: [string, string][] = [
      ['a|b', 'c'],
      ['a', 'b|c'],
      ['a%7Cb', 'c'],
      ['a', '%7Cb|c'],
      ['', 'a|b|c'],
      ['a|b|c', ''],
    ];
    assert.equal(new Set(pairs.map(([u, g]) => compositeId(u, g))).size, pairs.length);
  });
});

const emulator = await emulatorHost('firestore');

if ('skip' in emulator) {
  console.log(`skipped: ${emulator.skip}`);
  test('Firestore adapters on the emulator', { skip: emulator.skip }, () => undefined);
} else {
  const { host } = emulator;
  const client = () => new Firestore({ projectId: EMULATOR_PROJECT, host, ssl: false });
  // Two independent clients (separate gRPC channels) on one database: the race tests go through both.
  const dbA = client();
  const dbB = client();
  const runId = randomUUID().slice(0, 8);
  let orgs = 0;
  const nextOrg = () => `org-${runId}-${++orgs}`;
  const started = Date.now();

  before(async () => {
    // Nothing else of this run writes to this project id; old data only costs time, so start clean.
    if (!process.env.FIRESTORE_EMULATOR_HOST) await clearFirestore(host, EMULATOR_PROJECT);
  });

  after(async () => {
    console.log(`Firestore suite: ${orgs} organisations in ${Date.now() - started} ms`);
    await Promise.all([dbA.terminate(), dbB.terminate()]);
    await stopOwnEmulators();
  });

  describeStateContract('Firestore', {
    racers: 4,
    fixture: () => {
      const orgId = nextOrg();
      const ports = (db: Firestore): StatePorts => firestoreStores({ firestore: db, orgId });
      const a = ports(dbA);
      return Promise.resolve({ ...a, peers: [a, ports(dbB)] });
    },
  });

  describe('Firestore: stored layout', () => {
    it('stores links under a per-(user, activity) id with the lookup fields, and a guard per (user, event)', async () => {
      const orgId = nextOrg();
      const { store } = firestoreStores({ firestore: dbA, orgId });
      const layout = new OrgLayout(dbA, orgId);
      const link = {
        user: 'user/a',
        severaGuid: 's1',
        googleId: 'g1',
        iCalUID: 'm1@x',
        origin: 'google' as const,
        severa: { version: '2026-03-02T08:00:00Z', hash: 'hs' },
        google: { version: '"1"', hash: 'hg' },
        base: {
          title: 'T',
          notes: '',
          location: '',
          timing: { kind: 'allDay' as const, startDate: '2026-03-02', endDate: '2026-03-03' },
          recurrence: null,
          isPrivate: false,
        },
        syncedAt: '2026-03-02T08:00:00Z',
        dormant: undefined,
      };
      await store.putLink(link);
      const doc = await layout.link('user/a', 's1').get();
      assert.equal(doc.id, 'user%2Fa|s1');
      assert.deepEqual(
        {
          user: doc.get('user') as unknown,
          severaGuid: doc.get('severaGuid') as unknown,
          googleId: doc.get('googleId') as unknown,
          iCalUID: doc.get('iCalUID') as unknown,
        },
        { user: 'user/a', severaGuid: 's1', googleId: 'g1', iCalUID: 'm1@x' },
      );
      assert.equal(doc.get('dormant'), undefined, 'an undefined field is not stored');
      assert.equal((await layout.linkEvent('user/a', 'g1').get()).get('linkId'), doc.id);
      await store.deleteLink(link);
      assert.equal(
        (await layout.linkEvent('user/a', 'g1').get()).exists,
        false,
        'the guard goes with the link',
      );
    });

    it('stores expiresAt of audit entries and message records as Timestamps (TTL policy fields)', async () => {
      const orgId = nextOrg();
      const { audit, messages } = firestoreStores({ firestore: dbA, orgId });
      const layout = new OrgLayout(dbA, orgId);
      await audit.append([
        {
          user: 'user-a',
          at: '2026-03-02T08:00:00Z',
          kind: 'create-google',
          severaGuid: 's1',
          googleId: null,
          why: 'new in Severa',
          decisions: [],
          title: 'Standup',
          date: '2026-03-02',
          private: false,
          changes: [],
          expiresAt: '2026-06-01T00:00:00Z',
        },
      ]);
      await messages.markProcessed('m-1', '2026-03-02T08:00:00Z', '2026-03-09T08:00:00Z');
      const [entry] = (await layout.audit('user-a').get()).docs;
      assert.ok(entry?.get('expiresAt') instanceof Timestamp);
      assert.equal((entry.get('expiresAt') as Timestamp).toMillis(), Date.parse('2026-06-01T00:00:00Z'));
      const message = await layout.message('m-1').get();
      assert.equal((message.get('expiresAt') as Timestamp).toMillis(), Date.parse('2026-03-09T08:00:00Z'));
    });

    it('reads an audit entry written before entries had a title and changes, with those empty', async () => {
      const orgId = nextOrg();
      const { audit } = firestoreStores({ firestore: dbA, orgId });
      await new OrgLayout(dbA, orgId)
        .audit('user-a')
        .doc()
        .set({
          user: 'user-a',
          at: '2026-03-02T08:00:00Z',
          atMs: Date.parse('2026-03-02T08:00:00Z'),
          kind: 'update',
          severaGuid: 's1',
          googleId: 'g1',
          why: 'changed in Severa',
          decisions: [],
          expiresAt: Timestamp.fromMillis(Date.parse('2026-06-01T00:00:00Z')),
          expiresAtText: '2026-06-01T00:00:00Z',
        });
      const [entry] = await audit.listForUser('user-a', 5);
      assert.deepEqual(
        { title: entry?.title, date: entry?.date, private: entry?.private, changes: entry?.changes },
        { title: '', date: null, private: false, changes: [] },
      );
    });

    it('keeps organisations apart', async () => {
      const one = firestoreStores({ firestore: dbA, orgId: nextOrg() });
      const two = firestoreStores({ firestore: dbA, orgId: nextOrg() });
      await one.store.setSeveraPoll({ watermark: '2026-03-02T08:00:00Z', routed: {} });
      await one.store.claimMeeting('m@x', 'user-a', '2026-03-02T08:00:00Z', '2026-03-02T07:00:00Z');
      assert.equal((await two.store.getSeveraPoll()).watermark, null);
      assert.equal(
        await two.store.claimMeeting('m@x', 'user-b', '2026-03-02T08:00:00Z', '2026-03-02T07:00:00Z'),
        'user-b',
      );
    });
  });

  describe('Firestore: damaged documents', () => {
    it('a damaged link, inbox item or setting fails with a clear error naming the document', async () => {
      const orgId = nextOrg();
      const { store, orgConfig, users } = firestoreStores({ firestore: dbA, orgId });
      const layout = new OrgLayout(dbA, orgId);
      await layout.link('user-a', 's1').set({ user: 'user-a', severaGuid: 's1', googleId: 42, base: {} });
      await assert.rejects(store.listLinks('user-a'), (error: unknown) => {
        assert.ok(error instanceof PermanentError);
        assert.equal(error.code, 'validation');
        assert.match(error.message, /orgs\/[^ ]+\/links\/user-a\|s1 is not a valid link/);
        assert.match(error.message, /googleId/);
        return true;
      });
      await layout.inboxItem('user-a', 's1').set({ record: { guid: 's1' } });
      await assert.rejects(store.readInbox('user-a'), /inbox\/s1 is not a valid inbox item/);
      await layout.settings.set({ enabled: 'yes' });
      await assert.rejects(orgConfig.getOrgConfig(), /config\/settings is not a valid organisation settings/);
      await layout.user('user-a').set({ inDirectory: true, email: 'a@example.com' });
      await assert.rejects(users.getUser('user-a'), /users\/user-a is not a valid user/);
      await layout.user('user-b').set({ status: { state: 'sleeping' } });
      await assert.rejects(store.getStatus('user-b'), /status is not a valid user sync status/);
      // A damaged link is overwritten by the next put of the same pair.
      const healed = {
        user: 'user-a',
        severaGuid: 's1',
        googleId: 'g1',
        iCalUID: null,
        origin: 'severa' as const,
        severa: { version: 'v', hash: 'h' },
        google: { version: 'e', hash: 'h' },
        base: {
          title: '',
          notes: '',
          location: '',
          timing: { kind: 'allDay' as const, startDate: '2026-03-02', endDate: '2026-03-03' },
          recurrence: null,
          isPrivate: false,
        },
        syncedAt: '2026-03-02T08:00:00Z',
      };
      await store.putLink(healed);
      assert.deepEqual(await store.listLinks('user-a'), [healed]);
    });
  });
}

/**
 * The runner end to end on real infrastructure: the tick and the worker from the production composition root, sync
 * requests through the official Pub/Sub emulator (published by the real publisher, streamed to a subscriber that
 * acks on success and nacks on a throw, as the function framework does), state in the Firestore emulator, and the
 * two simulators as Severa and Google. People act through the simulators' control surface only.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { PubSub, type Message } from '@google-cloud/pubsub';

import {
  PubSubSyncRequestPublisher,
  ensurePullSubscription,
  ensureTopic,
} from '../../shared/adapters/pubsub/index.js';
import { EMULATOR_PROJECT, emulatorHost, stopOwnEmulators } from '../../scripts/emulators.js';
import { DEMO_TYPES, LiveOrg, PEOPLE } from '../support/live-org.js';

const pubsubHost = await emulatorHost('pubsub');
const firestoreHost = await emulatorHost('firestore');
const skip = 'skip' in pubsubHost ? pubsubHost.skip : 'skip' in firestoreHost ? firestoreHost.skip : null;
if (skip !== null) console.log(`skipped: ${skip}`);

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}

describe(
  'runner end to end: tick → Pub/Sub → worker, on the emulators and simulators',
  { skip: skip ?? false },
  () => {
    const admin = new PubSub({
      projectId: EMULATOR_PROJECT,
      apiEndpoint: 'host' in pubsubHost ? pubsubHost.host : '',
    });
    let org: LiveOrg | null = null;
    const deliveries = { acked: 0, nacked: 0 };
    const inFlight = new Set<Promise<void>>();

    after(async () => {
      await org?.close();
      await admin.close();
      await stopOwnEmulators();
    });

    it('syncs both ways, updates, deletes and reconciles with one write per change and no secret in any log', async () => {
      const topic = `sync-requests-${Date.now().toString(36)}`;
      await ensureTopic(admin, topic);
      await ensurePullSubscription(admin, { topic, name: `${topic}-worker`, ackDeadlineSeconds: 10 });
      const publisher = new PubSubSyncRequestPublisher({ topic, pubsub: admin });
      const started = await LiveOrg.start({ publisher, env: { RECONCILE_INTERVAL_MS: '1' } });
      assert.ok(!('skip' in started), 'the emulators are up');
      org = started;
      const live = started;

      // The worker: a streaming subscriber that hands each message to the worker and acks or nacks its outcome.
      const subscription = admin.subscription(`${topic}-worker`, { flowControl: { maxMessages: 4 } });
      subscription.on('message', (message: Message) => {
        const envelope = {
          messageId: message.id,
          data: message.data.toString('base64'),
          attributes: message.attributes,
          publishTime: message.publishTime.toISOString(),
        };
        const work = live.deliver(envelope).then(
          () => {
            deliveries.acked += 1;
            message.ack();
          },
          () => {
            deliveries.nacked += 1;
            message.nack();
          },
        );
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      });
      try {
        // First sync of both people (the tick asks for it: they were never synced).
        await live.maintain();
        await until('the first syncs', () => deliveries.acked >= 2);

        // Severa → Google: a person creates an activity; the next org poll routes it.
        live.severaSim.act({
          action: 'create',
          as: PEOPLE.aino.guid,
          activity: {
            name: 'Budget review',
            startDateTime: '2026-12-10T10:00:00+02:00',
            endDateTime: '2026-12-10T11:00:00+02:00',
            location: 'Helsinki',
            activityType: { guid: DEMO_TYPES.meeting },
            ownerUser: { guid: PEOPLE.aino.guid },
          },
        });
        let writes = live.writes();
        await live.poll();
        await until('the event in Google', () => live.eventsNamed('aino', 'Budget review').length === 1);
        assert.deepEqual(live.writes(), { severa: writes.severa, google: writes.google + 1 }, 'one write');

        // Google → Severa: a person adds an event; the push notification (here: its sync request) is published.
        live.calendarSim.act({
          action: 'create',
          as: PEOPLE.ben.email,
          event: {
            summary: 'Dentist',
            start: { dateTime: '2026-12-11T09:00:00-05:00' },
            end: { dateTime: '2026-12-11T10:00:00-05:00' },
          },
        });
        writes = live.writes();
        await live.request('ben', { reason: 'push' });
        await until('the activity in Severa', () => live.activitiesNamed('Dentist').length === 1);
        assert.deepEqual(live.writes(), { severa: writes.severa + 1, google: writes.google }, 'one write');

        // An edit in Google reaches Severa.
        const event = live.eventsNamed('aino', 'Budget review')[0];
        assert.ok(event);
        live.calendarSim.act({
          action: 'update',
          as: PEOPLE.aino.email,
          id: event.id,
          changes: { location: 'Room 4' },
        });
        writes = live.writes();
        await live.request('aino', { reason: 'push' });
        await until(
          'the new location in Severa',
          () => live.activitiesNamed('Budget review')[0]?.location === 'Room 4',
        );
        assert.deepEqual(live.writes(), { severa: writes.severa + 1, google: writes.google }, 'one write');

        // A deletion in Severa never appears in the change feed: the tick's reconcile finds it.
        const dentist = live.activitiesNamed('Dentist')[0];
        assert.ok(dentist);
        live.severaSim.act({ action: 'delete', guid: dentist.guid, as: PEOPLE.ben.guid });
        await live.maintain();
        await until('the event gone from Google', () => live.eventsNamed('ben', 'Dentist').length === 0);

        // Nothing duplicated anywhere, and the users' statuses are healthy.
        assert.equal(live.activities().length, 1);
        assert.equal(live.events('aino').length, 1);
        assert.equal(live.events('ben').length, 0);
        for (const person of ['aino', 'ben'] as const) {
          const status = await live.container.stores.store.getStatus(PEOPLE[person].guid);
          assert.equal(status.state, 'healthy', `${person}: ${status.message ?? ''}`);
        }
        // Every delivery so far was acked (a late one may still be in flight: the count itself is not asserted).
        assert.equal(deliveries.nacked, 0, `deliveries: ${JSON.stringify(deliveries)}`);

        // No log line holds the client secret, the service account key (P12 or PEM) or any issued token.
        const { secrets, tokens } = live.confidential;
        assert.ok(tokens.length >= 2, 'tokens were issued by both APIs');
        // Whole values, and for long ones (key material) any 40-character piece of their middle too.
        const needles = [...secrets, ...tokens].flatMap((v) => (v.length > 80 ? [v, v.slice(30, 70)] : [v]));
        const leaks = live.logger.lines.filter((line) => needles.some((needle) => line.includes(needle)));
        assert.deepEqual(leaks, []);
        assert.ok(live.logger.lines.length > 20, 'the session did log');
      } finally {
        await subscription.close();
        await Promise.allSettled([...inFlight]);
      }
    });
  },
);

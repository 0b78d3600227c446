/**
 * The Pub/Sub publisher and admin helpers against the official Pub/Sub emulator (local-emulators.md §2a): what the
 * publisher sends is what a subscriber decodes, both from a synchronous pull and from a real push delivery (the raw
 * body the functions-framework turns into a CloudEvent); the `ensure…` helpers are idempotent; a missing topic is a
 * configuration error. The emulator has no reset, so every test uses its own topic and subscription names.
 *
 * Skips (with the reason) where the emulator cannot run; stops an emulator it started itself.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, describe, it, test } from 'node:test';

import { PubSub, v1 } from '@google-cloud/pubsub';
import * as grpc from '@grpc/grpc-js';

import {
  PubSubSyncRequestPublisher,
  classifyPubSubError,
  decodeSyncRequest,
  ensurePullSubscription,
  ensurePushSubscription,
  ensureTopic,
} from '../../shared/adapters/pubsub/index.js';
import { PermanentError, RateLimitedError, TransientError } from '../../shared/domain/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import type { SyncRequest } from '../../shared/ports/index.js';
import { EMULATOR_PROJECT, emulatorHost, freePort, stopOwnEmulators } from '../support/emulators.js';

// No probing of the GCE metadata server from the client libraries.
process.env.METADATA_SERVER_DETECTION ??= 'none';

const REQUEST: SyncRequest = {
  user: '6f1b2c3d-0000-4000-8000-00000000aa01',
  reason: 'push',
  requestedAt: '2026-05-04T06:00:00Z',
  reconcile: false,
};

describe('classifyPubSubError', () => {
  const cases: [string, unknown, (e: unknown) => boolean][] = [
    ['UNAVAILABLE', { code: 14, details: 'connection refused' }, (e) => e instanceof TransientError],
    [
      'DEADLINE_EXCEEDED',
      Object.assign(new Error('Total timeout exceeded'), { code: 4 }),
      (e) => e instanceof TransientError,
    ],
    ['INTERNAL', { code: 13 }, (e) => e instanceof TransientError],
    ['ABORTED', { code: 10 }, (e) => e instanceof TransientError],
    ['a network error without a code', new Error('socket hang up'), (e) => e instanceof TransientError],
    ['RESOURCE_EXHAUSTED', { code: 8 }, (e) => e instanceof RateLimitedError],
    [
      'NOT_FOUND',
      { code: 5, details: 'Topic not found' },
      (e) =>
        e instanceof PermanentError && e.code === 'configuration' && /topic does not exist/.test(e.message),
    ],
    [
      'PERMISSION_DENIED',
      { code: 7 },
      (e) => e instanceof PermanentError && /roles\/pubsub\.publisher/.test(e.message),
    ],
    ['UNAUTHENTICATED', { code: 16 }, (e) => e instanceof PermanentError && e.code === 'configuration'],
    ['INVALID_ARGUMENT', { code: 3 }, (e) => e instanceof PermanentError && e.code === 'configuration'],
  ];
  for (const [name, error, expected] of cases) {
    it(`maps ${name}`, () => {
      const mapped = classifyPubSubError(error, 'sync-requests');
      assert.ok(expected(mapped), `${name} → ${mapped.name}: ${mapped.message}`);
      assert.match(mapped.message, /Pub\/Sub topic "sync-requests"/);
      assert.equal(mapped.cause, error);
    });
  }
});

const emulator = await emulatorHost('pubsub');

if ('skip' in emulator) {
  console.log(`skipped: ${emulator.skip}`);
  test('Pub/Sub publisher on the emulator', { skip: emulator.skip }, () => undefined);
} else {
  const { host } = emulator;
  const [servicePath = '', port = ''] = host.split(':');
  const clientConfig = { projectId: EMULATOR_PROJECT, apiEndpoint: host };
  const admin = new PubSub(clientConfig);
  // The handwritten Subscription only streams; the generated client has the synchronous Pull.
  const subscriber = new v1.SubscriberClient({
    servicePath,
    port: Number(port),
    sslCreds: grpc.credentials.createInsecure(),
    projectId: EMULATOR_PROJECT,
  });
  const publishers: PubSubSyncRequestPublisher[] = [];
  const run = `${Date.now().toString(36)}-${process.pid.toString()}`;
  let counter = 0;
  /** Unique per test and per run: the emulator keeps topics for its whole life and may be shared. */
  const unique = (stem: string) => `${stem}-${run}-${(counter++).toString()}`;
  const subscriptionPath = (name: string) => `projects/${EMULATOR_PROJECT}/subscriptions/${name}`;

  function publisher(topic: string, logger = createMemoryLogger()) {
    const created = new PubSubSyncRequestPublisher({ topic, clientConfig, logger });
    publishers.push(created);
    return created;
  }

  /** Pulls until `count` messages arrived (bounded), acks them, and returns them as a CloudEvent's `data.message`. */
  async function pull(subscription: string, count: number) {
    const received: Record<string, unknown>[] = [];
    const deadline = Date.now() + 10_000;
    while (received.length < count && Date.now() < deadline) {
      const [response] = await subscriber.pull({
        subscription: subscriptionPath(subscription),
        maxMessages: count,
      });
      const messages = response.receivedMessages ?? [];
      if (messages.length > 0) {
        await subscriber.acknowledge({
          subscription: subscriptionPath(subscription),
          ackIds: messages.map((m) => m.ackId ?? ''),
        });
      }
      for (const { message } of messages) {
        assert.ok(message);
        const seconds = Number(message.publishTime?.seconds ?? 0);
        const nanos = message.publishTime?.nanos ?? 0;
        received.push({
          data: Buffer.from(message.data ?? new Uint8Array()).toString('base64'),
          attributes: message.attributes ?? {},
          messageId: message.messageId,
          publishTime: new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString(),
        });
      }
    }
    assert.equal(received.length, count, `expected ${count.toString()} messages`);
    return received;
  }

  after(async () => {
    await Promise.all(publishers.map((p) => p.close()));
    await subscriber.close();
    await admin.close();
    await stopOwnEmulators();
  });

  describe('PubSubSyncRequestPublisher on the Pub/Sub emulator', () => {
    it('publishes a request a pull subscriber decodes, with the routing attributes', async () => {
      const topic = unique('sync-requests');
      const subscription = unique('worker');
      await ensureTopic(admin, topic);
      await ensurePullSubscription(admin, { topic, name: subscription });
      const logger = createMemoryLogger();

      const messageId = await publisher(topic, logger).publish({ ...REQUEST, reconcile: true });

      const [message] = await pull(subscription, 1);
      assert.ok(message);
      assert.equal(message.messageId, messageId);
      assert.deepEqual(message.attributes, {
        user: REQUEST.user,
        reason: 'push',
        requestedAt: REQUEST.requestedAt,
        reconcile: 'true',
      });
      const decoded = decodeSyncRequest(message);
      assert.deepEqual(decoded.request, { ...REQUEST, reconcile: true });
      assert.equal(decoded.messageId, messageId);
      assert.ok(decoded.publishTime !== null && !Number.isNaN(Date.parse(decoded.publishTime)));
      assert.ok(logger.lines.some((l) => l.includes('sync request published') && l.includes(messageId)));
    });

    it('publishes many concurrently, each with its own message id', async () => {
      const topic = unique('sync-requests');
      const subscription = unique('worker');
      await ensureTopic(admin, topic);
      await ensurePullSubscription(admin, { topic, name: subscription });
      const requests = ['u-1', 'u-2', 'u-3', 'u-4', 'u-5'].map((user) => ({ ...REQUEST, user }));
      const out = publisher(topic);

      const ids = await Promise.all(requests.map((r) => out.publish(r)));

      assert.equal(new Set(ids).size, requests.length);
      const decoded = (await pull(subscription, requests.length)).map((m) => decodeSyncRequest(m));
      assert.deepEqual(
        decoded.map((d) => [d.messageId, d.request.user]).sort(),
        ids.map((id, i) => [id, requests[i]?.user]).sort(),
      );
    });

    it('delivers to a push endpoint a body whose message decodes (the functions-framework input)', async () => {
      const topic = unique('sync-requests');
      const subscription = unique('push');
      await ensureTopic(admin, topic);
      const bodies: unknown[] = [];
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        let text = '';
        req.on('data', (chunk: Buffer) => (text += chunk.toString()));
        req.on('end', () => {
          bodies.push({ path: req.url, body: JSON.parse(text) as unknown });
          res.statusCode = 204; // acks
          res.end();
          server.emit('pushed');
        });
      });
      server.listen(await freePort(), '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      assert.ok(address !== null && typeof address === 'object');
      const path = `/projects/${EMULATOR_PROJECT}/topics/${topic}`;
      try {
        await ensurePushSubscription(admin, {
          topic,
          name: subscription,
          endpoint: `http://127.0.0.1:${address.port.toString()}${path}`,
          ackDeadlineSeconds: 10,
        });
        const pushed = once(server, 'pushed', { signal: AbortSignal.timeout(10_000) });
        const messageId = await publisher(topic).publish(REQUEST);
        await pushed;

        const [delivery] = bodies as { path: string; body: { message: unknown; subscription: string } }[];
        assert.ok(delivery);
        assert.equal(delivery.path, path);
        assert.equal(delivery.body.subscription, subscriptionPath(subscription));
        const decoded = decodeSyncRequest(delivery.body.message);
        assert.deepEqual(decoded.request, REQUEST);
        assert.equal(decoded.messageId, messageId);
      } finally {
        // Stop the emulator from pushing to a closed port for the rest of the run.
        await admin.subscription(subscription).delete();
        server.closeAllConnections();
        server.close();
      }
    });

    it('refuses to publish a request no worker could decode, before any call', async () => {
      await assert.rejects(
        publisher(unique('never-created')).publish({ ...REQUEST, requestedAt: 'now' }),
        (error: unknown) => error instanceof PermanentError && error.code === 'validation',
      );
    });

    it('publishing to a missing topic is a configuration error naming the topic', async () => {
      const topic = unique('missing-topic');
      await assert.rejects(publisher(topic).publish(REQUEST), (error: unknown) => {
        assert.ok(error instanceof PermanentError, `expected a PermanentError, got ${String(error)}`);
        assert.equal(error.code, 'configuration');
        assert.match(error.message, new RegExp(`Pub/Sub topic "${topic}" failed: the topic does not exist`));
        assert.match(error.message, new RegExp(`gcloud pubsub topics create ${topic}`));
        return true;
      });
    });
  });

  describe('ensureTopic / ensurePushSubscription / ensurePullSubscription on the emulator', () => {
    it('creates a topic once; a second call is fine', async () => {
      const topic = unique('topic');
      assert.equal(await ensureTopic(admin, topic), 'created');
      assert.equal(await ensureTopic(admin, topic), 'unchanged');
      const [exists] = await admin.topic(topic).exists();
      assert.equal(exists, true);
    });

    it('creates a push subscription once, and moves its endpoint when it differs', async () => {
      const topic = unique('topic');
      const name = unique('push');
      await ensureTopic(admin, topic);
      const spec = {
        topic,
        name,
        endpoint: 'http://127.0.0.1:9/projects/p/topics/a',
        ackDeadlineSeconds: 30,
      };

      assert.equal(await ensurePushSubscription(admin, spec), 'created');
      assert.equal(await ensurePushSubscription(admin, spec), 'unchanged');
      let [metadata] = await admin.subscription(name).getMetadata();
      assert.equal(metadata.pushConfig?.pushEndpoint, spec.endpoint);
      assert.equal(metadata.ackDeadlineSeconds, 30);

      const moved = { ...spec, endpoint: 'http://127.0.0.1:9/projects/p/topics/b' };
      assert.equal(await ensurePushSubscription(admin, moved), 'updated');
      assert.equal(await ensurePushSubscription(admin, moved), 'unchanged');
      [metadata] = await admin.subscription(name).getMetadata();
      assert.equal(metadata.pushConfig?.pushEndpoint, moved.endpoint);

      // The same name as a pull subscription: the push config is dropped.
      assert.equal(await ensurePullSubscription(admin, { topic, name }), 'updated');
      assert.equal(await ensurePullSubscription(admin, { topic, name }), 'unchanged');
      [metadata] = await admin.subscription(name).getMetadata();
      assert.equal(metadata.pushConfig?.pushEndpoint ?? '', '');
      await admin.subscription(name).delete();
    });

    it('a subscription on a missing topic is a configuration error naming the topic', async () => {
      const topic = unique('absent-topic');
      await assert.rejects(
        ensurePushSubscription(admin, { topic, name: unique('push'), endpoint: 'http://127.0.0.1:9/x' }),
        (error: unknown) =>
          error instanceof PermanentError &&
          error.code === 'configuration' &&
          error.message.includes(`Pub/Sub topic "${topic}"`) &&
          error.message.includes('does not exist'),
      );
    });

    it('a subscription of that name on another topic is a configuration error', async () => {
      const [first, second] = [unique('topic'), unique('topic')];
      const name = unique('worker');
      await ensureTopic(admin, first);
      await ensureTopic(admin, second);
      await ensurePullSubscription(admin, { topic: first, name });
      await assert.rejects(
        ensurePullSubscription(admin, { topic: second, name }),
        (error: unknown) =>
          error instanceof PermanentError &&
          error.code === 'configuration' &&
          error.message.includes(`exists on topic projects/${EMULATOR_PROJECT}/topics/${first}`),
      );
    });
  });
}

/**
 * The Pub/Sub publisher and admin helpers against the official Pub/Sub emulator (local-emulators.md §2a): what the
 * publisher sends is what a subscriber decodes, both from a synchronous pull and from a real push delivery (the raw
 * body the functions-framework turns into a CloudEvent); the `ensure…` helpers are idempotent, and enforce the
 * dead-letter and retry policies; a missing topic is a configuration error. The emulator has no reset, so every
 * test uses its own topic and subscription names.
 *
 * Dead letters: the emulator honours a dead-letter policy (observed with emulator 2.x of the Cloud SDK here: a push
 * refused with HTTP 500 is tried exactly `maxDeliveryAttempts` times, then published to the dead-letter topic with
 * the `CloudPubSubDeadLetter…` attributes), so a message always refused is followed into the dead-letter
 * subscription, listed and replayed (`npm run cli -- dead-letters …`). Its retry backoff is only approximate (the
 * first redelivery comes after about a second whatever the minimum), so no test measures the backoff.
 *
 * Skips (with the reason) where the emulator cannot run; stops an emulator it started itself.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, describe, it, test } from 'node:test';

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PubSub, v1 } from '@google-cloud/pubsub';
import * as grpc from '@grpc/grpc-js';

import { runCli, type CliIo } from '../../scripts/cli.js';
import {
  PubSubDeadLetterQueue,
  type DeadLetterReplay,
} from '../../shared/adapters/pubsub/pubsub.dead-letters.js';
import {
  PubSubSyncRequestPublisher,
  classifyPubSubError,
  decodeSyncRequest,
  ensurePullSubscription,
  ensurePushSubscription,
  ensureTopic,
} from '../../shared/adapters/pubsub/index.js';
import {
  DELIVERY_POLICY,
  deadLetterNames,
  deliveryPolicies,
  ensureDeadLetterTopic,
} from '../../shared/adapters/pubsub/pubsub.publisher.js';
import { PermanentError, RateLimitedError, TransientError } from '../../shared/domain/index.js';
import { createMemoryLogger } from '../../shared/observability/logger.js';
import type { SyncRequest } from '../../shared/ports/index.js';
import { EMULATOR_PROJECT, emulatorHost, freePort, stopOwnEmulators } from '../../scripts/emulators.js';

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

  function captureIo(env: NodeJS.ProcessEnv): CliIo & { out: string[]; err: string[] } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, env, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
  }

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

  /** A local push endpoint that answers every push with `status()` and records what it got. */
  async function pushEndpoint(status: () => number) {
    const deliveries: { at: number; body: { message: Record<string, unknown>; subscription: string } }[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        deliveries.push({ at: Date.now(), body: JSON.parse(text) as (typeof deliveries)[number]['body'] });
        res.statusCode = status();
        res.end();
        server.emit('pushed');
      });
    });
    server.listen(await freePort(), '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    assert.ok(address !== null && typeof address === 'object');
    return {
      server,
      deliveries,
      url: (topic: string) =>
        `http://127.0.0.1:${address.port.toString()}/projects/${EMULATOR_PROJECT}/topics/${topic}`,
      close() {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  describe('delivery policy and dead letters on the emulator', () => {
    it('ensureDeadLetterTopic makes the topic and a pull subscription that keeps dead letters, once', async () => {
      const topic = unique('sync-requests');
      const first = await ensureDeadLetterTopic(admin, topic);
      assert.deepEqual(first, {
        ...deadLetterNames(topic),
        outcome: { topic: 'created', subscription: 'created' },
      });
      const again = await ensureDeadLetterTopic(admin, topic);
      assert.deepEqual(again.outcome, { topic: 'unchanged', subscription: 'unchanged' });

      const [metadata] = await admin.subscription(first.subscription).getMetadata();
      assert.equal(metadata.topic, `projects/${EMULATOR_PROJECT}/topics/${first.topic}`);
      assert.equal(metadata.pushConfig?.pushEndpoint ?? '', '', 'a pull subscription');
      assert.equal(metadata.ackDeadlineSeconds, DELIVERY_POLICY.deadLetterAckDeadlineSeconds);
      assert.equal(
        Number(metadata.messageRetentionDuration?.seconds),
        DELIVERY_POLICY.deadLetterRetentionSeconds,
      );
      assert.equal(metadata.expirationPolicy?.ttl ?? null, null, 'never expires');
    });

    it('sets the dead-letter and retry policies on a push subscription, and updates them when they differ', async () => {
      const topic = unique('sync-requests');
      const name = unique('push');
      await ensureTopic(admin, topic);
      await ensureDeadLetterTopic(admin, topic);
      const spec = {
        topic,
        name,
        endpoint: 'http://127.0.0.1:9/projects/p/topics/a',
        ...deliveryPolicies(topic),
      };

      assert.equal(await ensurePushSubscription(admin, spec), 'created');
      assert.equal(await ensurePushSubscription(admin, spec), 'unchanged');
      let [metadata] = await admin.subscription(name).getMetadata();
      assert.deepEqual(
        {
          deadLetterTopic: metadata.deadLetterPolicy?.deadLetterTopic,
          maxDeliveryAttempts: metadata.deadLetterPolicy?.maxDeliveryAttempts,
          minimumBackoff: Number(metadata.retryPolicy?.minimumBackoff?.seconds),
          maximumBackoff: Number(metadata.retryPolicy?.maximumBackoff?.seconds),
        },
        {
          deadLetterTopic: `projects/${EMULATOR_PROJECT}/topics/${topic}-dead-letter`,
          maxDeliveryAttempts: 15,
          minimumBackoff: 10,
          maximumBackoff: 600,
        },
      );

      const changed = {
        ...spec,
        deadLetter: { ...spec.deadLetter, maxDeliveryAttempts: 20 },
        retry: { minimumBackoffSeconds: 5, maximumBackoffSeconds: 300 },
      };
      assert.equal(await ensurePushSubscription(admin, changed), 'updated');
      assert.equal(await ensurePushSubscription(admin, changed), 'unchanged');
      [metadata] = await admin.subscription(name).getMetadata();
      assert.equal(metadata.deadLetterPolicy?.maxDeliveryAttempts, 20);
      assert.equal(Number(metadata.retryPolicy?.minimumBackoff?.seconds), 5);
      assert.equal(Number(metadata.retryPolicy?.maximumBackoff?.seconds), 300);
      assert.equal(metadata.pushConfig?.pushEndpoint, spec.endpoint, 'the endpoint is untouched');

      // A subscription made before the policy existed gets it; one not asked for is left as it is.
      const old = unique('push');
      await ensurePushSubscription(admin, { topic, name: old, endpoint: spec.endpoint });
      assert.equal(await ensurePushSubscription(admin, { ...spec, name: old }), 'updated');
      assert.equal(
        await ensurePushSubscription(admin, { topic, name: old, endpoint: spec.endpoint }),
        'unchanged',
      );
      [metadata] = await admin.subscription(old).getMetadata();
      assert.equal(metadata.deadLetterPolicy?.maxDeliveryAttempts, 15);
      await Promise.all([admin.subscription(name).delete(), admin.subscription(old).delete()]);
    });

    it('a dead-letter topic that does not exist is a configuration error naming the topic', async () => {
      const topic = unique('sync-requests');
      await ensureTopic(admin, topic);
      await assert.rejects(
        ensurePushSubscription(admin, {
          topic,
          name: unique('push'),
          endpoint: 'http://127.0.0.1:9/x',
          ...deliveryPolicies(topic),
        }),
        (error: unknown) => error instanceof PermanentError && error.code === 'configuration',
      );
    });

    it('a message always refused lands in the dead-letter subscription after maxDeliveryAttempts; list shows it, replay delivers it again', async () => {
      const topic = unique('sync-requests');
      const name = unique('push');
      let answer = 500;
      const endpoint = await pushEndpoint(() => answer);
      const cliDir = mkdtempSync(join(tmpdir(), 'dead-letters-cli-'));
      const queue = new PubSubDeadLetterQueue({ pubsub: admin, topic, pullTimeoutMs: 3_000 });
      try {
        await ensureTopic(admin, topic);
        const deadLetters = await ensureDeadLetterTopic(admin, topic);
        // Pub/Sub's smallest maxDeliveryAttempts and the emulator's own quick redelivery (about 1 s; with a retry
        // policy, even of 0 s, it waits about 3 s): the production values would take 1.5 hours.
        const { deadLetter } = deliveryPolicies(topic, { ...DELIVERY_POLICY, maxDeliveryAttempts: 5 });
        await ensurePushSubscription(admin, {
          topic,
          name,
          endpoint: endpoint.url(topic),
          ackDeadlineSeconds: 10,
          deadLetter,
        });
        const messageId = await publisher(topic).publish(REQUEST);

        // Refused five times, then it is a dead letter (and is not delivered again: checked after the replay).
        await until('five refused deliveries', () => endpoint.deliveries.length >= 5);
        await until('the dead letter', async () => (await queue.list(10)).messages.length === 1);
        assert.equal(endpoint.deliveries.length, 5);
        assert.ok(endpoint.deliveries.every((d) => d.body.message.messageId === messageId));

        const [dead] = (await queue.list(10)).messages;
        assert.ok(dead);
        assert.equal(dead.deliveryAttempts, 5);
        assert.equal(dead.sourceSubscription, name);
        assert.ok(dead.firstPublishedAt !== null && dead.deadLetteredAt !== null);
        assert.ok(Date.parse(dead.firstPublishedAt) <= Date.parse(dead.deadLetteredAt));
        assert.deepEqual(dead.attributes, {
          user: REQUEST.user,
          reason: 'push',
          requestedAt: REQUEST.requestedAt,
          reconcile: 'false',
        });
        assert.equal(
          dead.summary,
          `sync request: user ${REQUEST.user}, reason push, requested ${REQUEST.requestedAt}`,
        );
        // Listing removed nothing.
        assert.equal((await queue.list(10)).messages[0]?.messageId, dead.messageId);

        // The endpoint is fixed; the operator replays through the CLI.
        answer = 204;
        process.env.PUBSUB_EMULATOR_HOST ??= host;
        const io = captureIo({ GOOGLE_CLOUD_PROJECT: EMULATOR_PROJECT, SECRET_SOURCE: 'env' });
        const code = await runCli(['dead-letters', 'replay', '--topic', topic, '--json'], io, {
          projectRoot: cliDir,
        });
        assert.equal(code, 0, io.err.join(''));
        const replay = JSON.parse(io.out.join('')) as DeadLetterReplay;
        assert.equal(replay.subscription, deadLetters.subscription);
        assert.equal(replay.replayed.length, 1);
        assert.equal(replay.replayed[0]?.messageId, dead.messageId);

        await until('the replayed delivery', () => endpoint.deliveries.length === 6);
        assert.ok(endpoint.deliveries.slice(0, 5).every((d) => d.body.message.messageId === messageId));
        const replayed = endpoint.deliveries[5]?.body.message;
        assert.ok(replayed);
        const decoded = decodeSyncRequest(replayed);
        assert.deepEqual(decoded.request, REQUEST);
        assert.deepEqual(replay.replayed, [{ messageId: dead.messageId, newMessageId: decoded.messageId }]);
        assert.notEqual(decoded.messageId, messageId, 'a new message id');
        assert.deepEqual(
          Object.keys(replayed.attributes as Record<string, string>).sort(),
          ['reason', 'reconcile', 'requestedAt', 'user'],
          'without the attributes Pub/Sub added when dead-lettering it',
        );
        assert.deepEqual((await queue.list(10)).messages, [], 'no longer a dead letter');

        const empty = captureIo({ GOOGLE_CLOUD_PROJECT: EMULATOR_PROJECT, SECRET_SOURCE: 'env' });
        assert.equal(
          await runCli(['dead-letters', 'list', '--topic', topic], empty, { projectRoot: cliDir }),
          0,
          empty.err.join(''),
        );
        assert.equal(
          empty.out.join(''),
          `No dead letters of "${topic}" (subscription ${deadLetters.subscription}).\n`,
        );
      } finally {
        await queue.close();
        await admin.subscription(name).delete();
        endpoint.close();
        rmSync(cliDir, { recursive: true, force: true });
      }
    });

    it('listing the dead letters of a topic without them is a refusal that says why', async () => {
      const topic = unique('no-dead-letters');
      const queue = new PubSubDeadLetterQueue({ pubsub: admin, topic, pullTimeoutMs: 3_000 });
      try {
        await assert.rejects(
          queue.list(5),
          (error: unknown) =>
            error instanceof PermanentError &&
            error.code === 'configuration' &&
            error.message.includes(`"${topic}-dead-letter" does not exist`),
        );
      } finally {
        await queue.close();
      }
    });
  });
}

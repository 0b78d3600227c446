/**
 * The delivery policy and the dead-letter helpers without a broker: the policy's values agree with how the worker
 * acks and redelivers, the dead-letter names, and what `dead-letters list` may show of a message (a sync request's
 * fields; of anything else only its size and shape). test/integration/pubsub.test.ts runs them on the emulator.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  DEAD_LETTER_ATTRIBUTE_PREFIX,
  ownAttributes,
  summariseData,
} from '../../../../shared/adapters/pubsub/pubsub.dead-letters.js';
import {
  DELIVERY_POLICY,
  deadLetterNames,
  deliveryPolicies,
  type DeliveryPolicy,
} from '../../../../shared/adapters/pubsub/pubsub.publisher.js';
import { encodeSyncRequest } from '../../../../shared/adapters/pubsub/sync-request.codec.js';
import { DEFAULT_WORKER_OPTIONS } from '../../../../shared/app/sync-worker.js';
import { parseConfig } from '../../../../shared/config.js';

/** The delay before each redelivery: doubling from the minimum, capped at the maximum (Pub/Sub's curve, roughly). */
function retrySpanSeconds(policy = DELIVERY_POLICY): number {
  let total = 0;
  for (let retry = 0; retry < policy.maxDeliveryAttempts - 1; retry += 1) {
    total += Math.min(policy.minimumBackoffSeconds * 2 ** retry, policy.maximumBackoffSeconds);
  }
  return total;
}

describe('DELIVERY_POLICY', () => {
  const defaults = parseConfig({ SECRET_SOURCE: 'env' }).intervals;

  it('is within what Pub/Sub accepts', () => {
    const policy: DeliveryPolicy = DELIVERY_POLICY;
    assert.ok(policy.maxDeliveryAttempts >= 5 && policy.maxDeliveryAttempts <= 100);
    assert.ok(policy.minimumBackoffSeconds >= 0);
    assert.ok(policy.maximumBackoffSeconds <= 600);
    assert.ok(policy.minimumBackoffSeconds <= policy.maximumBackoffSeconds);
    assert.ok(
      policy.deadLetterRetentionSeconds >= 600 && policy.deadLetterRetentionSeconds <= 31 * 24 * 3600,
    );
    assert.ok(policy.deadLetterAckDeadlineSeconds >= 10 && policy.deadLetterAckDeadlineSeconds <= 600);
  });

  it('agrees with the worker: no sooner than its lease wait, as long as a lease, ending well before the age limit', () => {
    assert.ok(DELIVERY_POLICY.minimumBackoffSeconds * 1000 >= DEFAULT_WORKER_OPTIONS.leaseWaitMs);
    assert.equal(DELIVERY_POLICY.maximumBackoffSeconds * 1000, defaults.leaseTtlMs);
    const span = retrySpanSeconds() * 1000;
    // A dead worker's lease (LEASE_TTL_MS) is outlasted, an outage of about an hour too…
    assert.ok(span >= 5 * defaults.leaseTtlMs, `span ${span} ms`);
    assert.ok(span >= 60 * 60_000);
    // …and Pub/Sub gives up (dead letter) long before the worker would drop the request as too old.
    assert.ok(span <= defaults.maxMessageAgeMs / 4, `span ${span} ms`);
    assert.equal(Math.round(retrySpanSeconds() / 60), 91);
  });

  it('names the dead-letter topic and subscription after the topic, a path kept as given', () => {
    assert.deepEqual(deadLetterNames('sync-requests'), {
      topic: 'sync-requests-dead-letter',
      subscription: 'sync-requests-dead-letter',
    });
    assert.deepEqual(deadLetterNames('projects/p/topics/sync-requests'), {
      topic: 'projects/p/topics/sync-requests-dead-letter',
      subscription: 'sync-requests-dead-letter',
    });
    assert.deepEqual(deliveryPolicies('sync-requests'), {
      deadLetter: { topic: 'sync-requests-dead-letter', maxDeliveryAttempts: 15 },
      retry: { minimumBackoffSeconds: 10, maximumBackoffSeconds: 600 },
    });
  });
});

describe('what a dead letter shows', () => {
  const request = {
    user: '6f1b2c3d-0000-4000-8000-00000000aa01',
    reason: 'push',
    requestedAt: '2026-05-04T06:00:00Z',
    reconcile: true,
  } as const;

  it('a sync request: its fields, which are a user guid, a reason and a time', () => {
    assert.equal(
      summariseData(encodeSyncRequest(request).data),
      'sync request: user 6f1b2c3d-0000-4000-8000-00000000aa01, reason push, requested 2026-05-04T06:00:00Z, reconcile',
    );
    assert.match(summariseData(encodeSyncRequest({ ...request, reconcile: false }).data), /requested [^,]+$/);
    assert.match(
      summariseData(Buffer.from(JSON.stringify({ ...request, org: 'acme' }))),
      /, reconcile, org acme$/,
    );
  });

  it('anything else: its size and shape, never its values', () => {
    const secret = 'hunter2-not-for-logs';
    const cases: [Uint8Array, RegExp][] = [
      [Buffer.from(JSON.stringify({ at: '2026-05-04T06:00:00Z', token: secret })), /fields at, token\)$/],
      [
        Buffer.from(JSON.stringify({ ...request, user: secret, reason: 'nope' })),
        /a JSON object with fields/,
      ],
      [Buffer.from(secret), /not a sync request \(20 bytes, not UTF-8 JSON\)/],
      [Buffer.from(JSON.stringify([secret])), /JSON array\)$/],
      [Buffer.from(JSON.stringify(secret)), /JSON string\)$/],
      [Buffer.from([0xff, 0xfe]), /not UTF-8 JSON/],
    ];
    for (const [data, expected] of cases) {
      const summary = summariseData(data);
      assert.match(summary, expected);
      assert.ok(!summary.includes(secret), summary);
    }
  });

  it("a replayed copy keeps the message's own attributes, not those Pub/Sub added when dead-lettering it", () => {
    assert.deepEqual(
      ownAttributes({
        user: 'u',
        reason: 'push',
        [`${DEAD_LETTER_ATTRIBUTE_PREFIX}SourceDeliveryCount`]: '15',
        [`${DEAD_LETTER_ATTRIBUTE_PREFIX}SourceSubscription`]: 'sync-requests-syncWorker',
      }),
      { user: 'u', reason: 'push' },
    );
  });
});

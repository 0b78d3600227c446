/**
 * Sync requests onto Pub/Sub with `@google-cloud/pubsub`, plus the idempotent admin helpers the local stack and the
 * tests use to create topics and subscriptions.
 *
 * The SDK is imported lazily, on the first publish: its `require()` alone costs 160–270 ms (local-emulators.md §5),
 * which a function that never publishes (or has not yet) should not pay at cold start. Only types are imported here.
 */
import type { ClientConfig, PubSub, Subscription, Topic } from '@google-cloud/pubsub';

import { PermanentError, RateLimitedError, TransientError, type SyncError } from '../../domain/errors.js';
import { nullLogger } from '../../observability/logger.js';
import type { Logger } from '../../ports/logger.port.js';
import type { SyncRequest, SyncRequestPublisher } from '../../ports/index.js';
import { GRPC, grpcCode, grpcStatusName } from '../grpc-status.js';
import { encodeSyncRequest } from './sync-request.codec.js';

export { grpcCode };

function statusText(error: unknown): string {
  const name = grpcStatusName(error);
  const raw = (error as { details?: unknown } | null)?.details;
  const details = typeof raw === 'string' && raw !== '' ? raw : error instanceof Error ? error.message : '';
  return details === '' ? name : `${name}: ${details.length > 160 ? `${details.slice(0, 157)}…` : details}`;
}

/**
 * The typed error for a failed Pub/Sub call on `topic` (`what` says which call). Unknown errors count as transient:
 * a redelivery costs little, dropping a sync request loses a sync until the next safety tick.
 */
export function classifyPubSubError(error: unknown, topic: string, what = 'Publishing to'): SyncError {
  const options = { cause: error };
  const status = statusText(error);
  switch (grpcCode(error)) {
    case GRPC.NOT_FOUND:
      return new PermanentError(
        'configuration',
        `${what} Pub/Sub topic "${topic}" failed: the topic does not exist. Create it ` +
          `(gcloud pubsub topics create ${topic}) or correct the configured topic name (SYNC_REQUESTS_TOPIC).`,
        options,
      );
    case GRPC.PERMISSION_DENIED:
      return new PermanentError(
        'configuration',
        `${what} Pub/Sub topic "${topic}" was denied: grant the function's service account ` +
          `roles/pubsub.publisher on the topic (${status}).`,
        options,
      );
    case GRPC.UNAUTHENTICATED:
      return new PermanentError(
        'configuration',
        `${what} Pub/Sub topic "${topic}" failed: no valid Google credentials (${status}).`,
        options,
      );
    case GRPC.INVALID_ARGUMENT:
    case GRPC.FAILED_PRECONDITION:
      return new PermanentError(
        'configuration',
        `${what} Pub/Sub topic "${topic}" was refused: check the topic name and message (${status}).`,
        options,
      );
    case GRPC.RESOURCE_EXHAUSTED:
      return new RateLimitedError(`${what} Pub/Sub topic "${topic}" hit a quota (${status}).`, null, options);
    default:
      // CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, ABORTED, INTERNAL, UNAVAILABLE, network and client errors.
      return new TransientError(
        `${what} Pub/Sub topic "${topic}" failed (${status}); retry later.`,
        null,
        options,
      );
  }
}

export interface PubSubSyncRequestPublisherOptions {
  /** Topic name (`sync-requests`) or full path (`projects/p/topics/sync-requests`). */
  readonly topic: string;
  /**
   * Settings for the client this publisher creates on first use: `projectId`, and `apiEndpoint` for an emulator
   * (the client also reads `PUBSUB_EMULATOR_HOST`). Ignored when `pubsub` is given.
   */
  readonly clientConfig?: ClientConfig;
  /** A client to use instead (e.g. shared with the admin helpers); the publisher then never closes it. */
  readonly pubsub?: PubSub;
  /** Bound of one publish, the client's own retries included (its default is 600 s, longer than any function). */
  readonly publishTimeoutMs?: number;
  readonly logger?: Logger;
  /** The organisation stamped on every request (a worker of another organisation refuses it). */
  readonly orgId?: string;
}

/** Default {@link PubSubSyncRequestPublisherOptions.publishTimeoutMs}: short enough for an HTTP function's answer. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;

export class PubSubSyncRequestPublisher implements SyncRequestPublisher {
  readonly #options: PubSubSyncRequestPublisherOptions;
  readonly #logger: Logger;
  #client: Promise<{ pubsub: PubSub; topic: Topic; own: boolean }> | null = null;

  constructor(options: PubSubSyncRequestPublisherOptions) {
    this.#options = options;
    this.#logger = options.logger ?? nullLogger;
  }

  async publish(request: SyncRequest): Promise<string> {
    const encoded = encodeSyncRequest(request, this.#options.orgId);
    const { topic } = await this.#connect();
    try {
      const messageId = await topic.publishMessage({
        data: encoded.data,
        attributes: { ...encoded.attributes },
      });
      this.#logger.debug('sync request published', {
        topic: this.#options.topic,
        user: request.user,
        reason: request.reason,
        messageId,
      });
      return messageId;
    } catch (error) {
      throw classifyPubSubError(error, this.#options.topic);
    }
  }

  /** Flushes and closes the client this publisher created (tests; instances of a function never need it). */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client === null) return;
    const { pubsub, topic, own } = await client;
    await topic.flush();
    if (own) await pubsub.close();
  }

  #connect(): Promise<{ pubsub: PubSub; topic: Topic; own: boolean }> {
    this.#client ??= (async () => {
      const own = this.#options.pubsub === undefined;
      let pubsub = this.#options.pubsub;
      if (pubsub === undefined) {
        const sdk = await import('@google-cloud/pubsub');
        pubsub = new sdk.PubSub(this.#options.clientConfig);
      }
      // One Topic object per publisher: each holds its own batching queue. A batch of one sends at once, since
      // every caller awaits its message id (the default waits up to 10 ms for company).
      const topic = pubsub.topic(this.#options.topic, {
        batching: { maxMessages: 1 },
        gaxOpts: { timeout: this.#options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS },
      });
      return { pubsub, topic, own };
    })();
    return this.#client;
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Admin helpers (local stack, tests, operator scripts): each is idempotent and safe to race.

/** What an `ensure…` call did. */
export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

/** Creates the topic unless it exists. */
export async function ensureTopic(pubsub: PubSub, name: string): Promise<EnsureOutcome> {
  try {
    await pubsub.createTopic(name);
    return 'created';
  } catch (error) {
    if (grpcCode(error) === GRPC.ALREADY_EXISTS) return 'unchanged';
    throw classifyPubSubError(error, name, 'Creating');
  }
}

/**
 * Policies a subscription can carry. Each one given is enforced: a new subscription is created with it, an existing
 * one whose policy differs is updated (reported 'updated'). One not given is left as the subscription has it.
 */
export interface SubscriptionPolicies {
  /**
   * After `maxDeliveryAttempts` failed deliveries (Pub/Sub allows 5–100; a refused push or an expired ack deadline
   * each count) the message is published to `topic` (a name or `projects/P/topics/T`) and acked here. The topic
   * must exist, with a subscription, or dead letters are lost ({@link ensureDeadLetterTopic}).
   */
  readonly deadLetter?: { readonly topic: string; readonly maxDeliveryAttempts: number };
  /** The redelivery delay after a refusal, growing from the minimum to the maximum (Pub/Sub allows 0–600 s). */
  readonly retry?: { readonly minimumBackoffSeconds: number; readonly maximumBackoffSeconds: number };
  /** How long unacknowledged messages are kept (Pub/Sub allows 10 minutes to 31 days; its default is 7 days). */
  readonly messageRetentionSeconds?: number;
  /** True: the subscription is never deleted for being idle (Pub/Sub's default deletes it after 31 idle days). */
  readonly neverExpire?: boolean;
}

export interface PushSubscriptionSpec extends SubscriptionPolicies {
  readonly topic: string;
  readonly name: string;
  /** Where the broker POSTs messages; for the functions-framework put `/projects/P/topics/T` in the path (§2a). */
  readonly endpoint: string;
  /** Applied when the subscription is created (an existing subscription keeps its own). */
  readonly ackDeadlineSeconds?: number;
}

export interface PullSubscriptionSpec extends SubscriptionPolicies {
  readonly topic: string;
  readonly name: string;
  readonly ackDeadlineSeconds?: number;
}

/** Creates a push subscription, or points an existing one at `endpoint` if it pushes elsewhere (or pulls). */
export async function ensurePushSubscription(
  pubsub: PubSub,
  spec: PushSubscriptionSpec,
): Promise<EnsureOutcome> {
  return ensureSubscription(pubsub, spec, spec.endpoint);
}

/** Creates a pull subscription, or turns an existing push subscription of that name into a pull one. */
export async function ensurePullSubscription(
  pubsub: PubSub,
  spec: PullSubscriptionSpec,
): Promise<EnsureOutcome> {
  return ensureSubscription(pubsub, spec, '');
}

/** The subscription metadata that {@link SubscriptionPolicies} sets (the SDK's create and update options). */
interface PolicyMetadata {
  deadLetterPolicy?: { deadLetterTopic: string; maxDeliveryAttempts: number };
  retryPolicy?: { minimumBackoff: { seconds: number }; maximumBackoff: { seconds: number } };
  messageRetentionDuration?: { seconds: number };
  expirationPolicy?: Record<string, never>;
}

function policyMetadata(pubsub: PubSub, spec: SubscriptionPolicies): PolicyMetadata {
  const metadata: PolicyMetadata = {};
  if (spec.deadLetter !== undefined) {
    metadata.deadLetterPolicy = {
      // The full path: the SDK fills in the project id (also once it is known from the credentials).
      deadLetterTopic: pubsub.topic(spec.deadLetter.topic).name,
      maxDeliveryAttempts: spec.deadLetter.maxDeliveryAttempts,
    };
  }
  if (spec.retry !== undefined) {
    metadata.retryPolicy = {
      minimumBackoff: { seconds: spec.retry.minimumBackoffSeconds },
      maximumBackoff: { seconds: spec.retry.maximumBackoffSeconds },
    };
  }
  if (spec.messageRetentionSeconds !== undefined) {
    metadata.messageRetentionDuration = { seconds: spec.messageRetentionSeconds };
  }
  // An expiration policy without a ttl is "never expires" (pubsub.proto, ExpirationPolicy.ttl).
  if (spec.neverExpire === true) metadata.expirationPolicy = {};
  return metadata;
}

/** Seconds of a protobuf Duration as the SDK returns it (`seconds` may be a string or a Long); null when unset. */
function durationSeconds(duration: unknown): number | null {
  if (duration === null || typeof duration !== 'object') return null;
  const { seconds, nanos } = duration as { seconds?: unknown; nanos?: unknown };
  return Number(seconds ?? 0) + Number(nanos ?? 0) / 1e9;
}

const sameTopic = (path: string, wanted: string) =>
  path === wanted || path.endsWith(wanted.includes('/') ? wanted : `/topics/${wanted}`);

/** The policies `spec` asks for that `current` (the subscription's metadata) does not have. */
function policyChanges(
  current: Record<string, unknown>,
  spec: SubscriptionPolicies,
  wanted: PolicyMetadata,
): PolicyMetadata {
  const changes: PolicyMetadata = {};
  const deadLetter = current.deadLetterPolicy as
    { deadLetterTopic?: string | null; maxDeliveryAttempts?: number | null } | null | undefined;
  if (
    spec.deadLetter !== undefined &&
    wanted.deadLetterPolicy !== undefined &&
    !(
      sameTopic(deadLetter?.deadLetterTopic ?? '', spec.deadLetter.topic) &&
      deadLetter?.maxDeliveryAttempts === spec.deadLetter.maxDeliveryAttempts
    )
  ) {
    changes.deadLetterPolicy = wanted.deadLetterPolicy;
  }
  const retry = current.retryPolicy as
    { minimumBackoff?: unknown; maximumBackoff?: unknown } | null | undefined;
  if (
    spec.retry !== undefined &&
    wanted.retryPolicy !== undefined &&
    !(
      durationSeconds(retry?.minimumBackoff) === spec.retry.minimumBackoffSeconds &&
      durationSeconds(retry?.maximumBackoff) === spec.retry.maximumBackoffSeconds
    )
  ) {
    changes.retryPolicy = wanted.retryPolicy;
  }
  if (
    spec.messageRetentionSeconds !== undefined &&
    wanted.messageRetentionDuration !== undefined &&
    durationSeconds(current.messageRetentionDuration) !== spec.messageRetentionSeconds
  ) {
    changes.messageRetentionDuration = wanted.messageRetentionDuration;
  }
  const expiration = current.expirationPolicy as { ttl?: unknown } | null | undefined;
  if (spec.neverExpire === true && durationSeconds(expiration?.ttl) !== null) {
    changes.expirationPolicy = {};
  }
  return changes;
}

async function ensureSubscription(
  pubsub: PubSub,
  spec: PullSubscriptionSpec,
  endpoint: string,
): Promise<EnsureOutcome> {
  const policies = policyMetadata(pubsub, spec);
  try {
    await pubsub.topic(spec.topic).createSubscription(spec.name, {
      ...(endpoint === '' ? {} : { pushConfig: { pushEndpoint: endpoint } }),
      ...(spec.ackDeadlineSeconds === undefined ? {} : { ackDeadlineSeconds: spec.ackDeadlineSeconds }),
      ...policies,
    });
    return 'created';
  } catch (error) {
    if (grpcCode(error) !== GRPC.ALREADY_EXISTS) {
      throw classifyPubSubError(error, spec.topic, `Subscribing "${spec.name}" to`);
    }
  }
  const subscription: Subscription = pubsub.subscription(spec.name);
  try {
    const [metadata] = await subscription.getMetadata();
    const topicPath = metadata.topic ?? '';
    if (!sameTopic(topicPath, spec.topic)) {
      // A subscription cannot move to another topic; only deleting it (and its backlog) can fix this.
      throw new PermanentError(
        'configuration',
        `Pub/Sub subscription "${spec.name}" exists on topic ${topicPath || '(deleted topic)'}, ` +
          `not on "${spec.topic}": delete it (gcloud pubsub subscriptions delete ${spec.name}) and run again.`,
      );
    }
    let outcome: EnsureOutcome = 'unchanged';
    if ((metadata.pushConfig?.pushEndpoint ?? '') !== endpoint) {
      await subscription.modifyPushConfig(endpoint === '' ? {} : { pushEndpoint: endpoint });
      outcome = 'updated';
    }
    const changes = policyChanges(metadata as Record<string, unknown>, spec, policies);
    if (Object.keys(changes).length > 0) {
      // The update mask is the keys given, so only these policies change (Subscription.setMetadata).
      await subscription.setMetadata(changes);
      outcome = 'updated';
    }
    return outcome;
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw classifyPubSubError(error, spec.topic, `Updating subscription "${spec.name}" of`);
  }
}

// -----------------------------------------------------------------------------------------------------------------
// Delivery policy and dead letters (docs/infrastructure.md, "Delivery policy and dead letters").

/**
 * How Pub/Sub delivers to `syncWorker` and `syncTick`: the one place these values live, so that the local stack and
 * the Terraform (which mirrors them) agree. The worker acks everything a retry cannot help (malformed, unknown or
 * opted-out person, too old, permanent errors, Google's usage limit) and throws only for what passes (a busy user,
 * a service that failed transiently); these values decide how those are retried and when Pub/Sub gives up.
 */
export const DELIVERY_POLICY = {
  /**
   * 15 attempts with the backoff below span about 1.5 hours (10 + 20 + … + 320 s, then 600 s per attempt): longer
   * than a dead worker's lease (`LEASE_TTL_MS`, 10 minutes, outlasted by about the 7th attempt) and than an outage
   * of an API of about an hour, far shorter than `MAX_MESSAGE_AGE_MS` (24 h). Pub/Sub allows 5–100.
   */
  maxDeliveryAttempts: 15,
  /** The worker already waited `leaseWaitMs` (10 s) for a busy user before handing a request back. */
  minimumBackoffSeconds: 10,
  /** `LEASE_TTL_MS`, the longest a lease can block a user; also Pub/Sub's maximum backoff. */
  maximumBackoffSeconds: 600,
  /** How long a dead letter is kept on its pull subscription (Pub/Sub's default; at most 31 days). */
  deadLetterRetentionSeconds: 7 * 24 * 3600,
  /** The dead-letter subscription's ack deadline: `dead-letters list` / `replay` hold a batch at most this long. */
  deadLetterAckDeadlineSeconds: 60,
} as const;

export type DeliveryPolicy = { readonly [K in keyof typeof DELIVERY_POLICY]: number };

/** Appended to a topic's name to name its dead-letter topic and that topic's pull subscription. */
export const DEAD_LETTER_SUFFIX = '-dead-letter';

/**
 * The dead-letter topic of `topic` (a name or a full path, kept as given) and the pull subscription on it that
 * keeps the dead letters: both `<topic>-dead-letter` (topics and subscriptions have separate names).
 */
export function deadLetterNames(topic: string): { readonly topic: string; readonly subscription: string } {
  const deadLetterTopic = `${topic}${DEAD_LETTER_SUFFIX}`;
  return {
    topic: deadLetterTopic,
    subscription: deadLetterTopic.slice(deadLetterTopic.lastIndexOf('/') + 1),
  };
}

/** The dead-letter and retry policies of {@link DELIVERY_POLICY} for a push subscription of `topic`. */
export function deliveryPolicies(
  topic: string,
  policy: DeliveryPolicy = DELIVERY_POLICY,
): Required<Pick<SubscriptionPolicies, 'deadLetter' | 'retry'>> {
  return {
    deadLetter: { topic: deadLetterNames(topic).topic, maxDeliveryAttempts: policy.maxDeliveryAttempts },
    retry: {
      minimumBackoffSeconds: policy.minimumBackoffSeconds,
      maximumBackoffSeconds: policy.maximumBackoffSeconds,
    },
  };
}

/**
 * Ensures `topic`'s dead-letter topic and the pull subscription on it that keeps dead letters for inspection and
 * replay (without a subscription, a message published to a topic is lost). The subscription never expires and
 * keeps messages `deadLetterRetentionSeconds`. Idempotent.
 */
export async function ensureDeadLetterTopic(
  pubsub: PubSub,
  topic: string,
  policy: DeliveryPolicy = DELIVERY_POLICY,
): Promise<{
  readonly topic: string;
  readonly subscription: string;
  readonly outcome: { readonly topic: EnsureOutcome; readonly subscription: EnsureOutcome };
}> {
  const names = deadLetterNames(topic);
  const topicOutcome = await ensureTopic(pubsub, names.topic);
  const subscriptionOutcome = await ensurePullSubscription(pubsub, {
    topic: names.topic,
    name: names.subscription,
    ackDeadlineSeconds: policy.deadLetterAckDeadlineSeconds,
    messageRetentionSeconds: policy.deadLetterRetentionSeconds,
    neverExpire: true,
  });
  return { ...names, outcome: { topic: topicOutcome, subscription: subscriptionOutcome } };
}

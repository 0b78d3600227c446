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
import type { SyncRequest, SyncRequestPublisher } from '../../ports/operations.port.js';
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
    const encoded = encodeSyncRequest(request);
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

export interface PushSubscriptionSpec {
  readonly topic: string;
  readonly name: string;
  /** Where the broker POSTs messages; for the functions-framework put `/projects/P/topics/T` in the path (§2a). */
  readonly endpoint: string;
  /** Applied when the subscription is created (an existing subscription keeps its own). */
  readonly ackDeadlineSeconds?: number;
}

export interface PullSubscriptionSpec {
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

async function ensureSubscription(
  pubsub: PubSub,
  spec: PullSubscriptionSpec,
  endpoint: string,
): Promise<EnsureOutcome> {
  try {
    await pubsub.topic(spec.topic).createSubscription(spec.name, {
      ...(endpoint === '' ? {} : { pushConfig: { pushEndpoint: endpoint } }),
      ...(spec.ackDeadlineSeconds === undefined ? {} : { ackDeadlineSeconds: spec.ackDeadlineSeconds }),
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
    const wanted = spec.topic.includes('/') ? spec.topic : `/topics/${spec.topic}`;
    if (!(topicPath === spec.topic || topicPath.endsWith(wanted))) {
      // A subscription cannot move to another topic; only deleting it (and its backlog) can fix this.
      throw new PermanentError(
        'configuration',
        `Pub/Sub subscription "${spec.name}" exists on topic ${topicPath || '(deleted topic)'}, ` +
          `not on "${spec.topic}": delete it (gcloud pubsub subscriptions delete ${spec.name}) and run again.`,
      );
    }
    if ((metadata.pushConfig?.pushEndpoint ?? '') === endpoint) return 'unchanged';
    await subscription.modifyPushConfig(endpoint === '' ? {} : { pushEndpoint: endpoint });
    return 'updated';
  } catch (error) {
    if (error instanceof PermanentError) throw error;
    throw classifyPubSubError(error, spec.topic, `Updating subscription "${spec.name}" of`);
  }
}

/**
 * The operator's view of a topic's dead letters (`npm run cli -- dead-letters list|replay`): the messages Pub/Sub
 * gave up delivering after `DELIVERY_POLICY.maxDeliveryAttempts`, kept on the `<topic>-dead-letter` pull
 * subscription (docs/infrastructure.md, "Delivery policy and dead letters").
 *
 * - `list` pulls without acknowledging and hands every message back at once (ack deadline 0), so nothing is
 *   removed; it shows ids, times, attributes and a summary of the body that holds no more than a sync request's
 *   fields (a user guid, a reason, times), never the body of anything else.
 * - `replay` republishes each to the original topic, with its data and its own attributes, and only then acks it
 *   from the dead-letter subscription: a failure leaves it there (at least once). The copy gets a new message id,
 *   so the worker's message log does not recognise it; that is safe because a sync request is idempotent (a user
 *   synced since it was made is skipped as covered by a later run, otherwise it asks for one more sync).
 *
 * The SDK is imported lazily (only types here), like the publisher's.
 */
import type { PubSub, Topic, protos, v1 } from '@google-cloud/pubsub';

import { PermanentError, type SyncError } from '../../domain/errors.js';
import { GRPC, grpcCode } from '../grpc-status.js';
import { syncRequestSchema } from './sync-request.codec.js';
import { classifyPubSubError, deadLetterNames } from './pubsub.publisher.js';

/** Attributes Pub/Sub adds when it dead-letters a message (they name where it came from and how often it failed). */
export const DEAD_LETTER_ATTRIBUTE_PREFIX = 'CloudPubSubDeadLetter';

/** One dead letter as the operator sees it. */
export interface DeadLetter {
  readonly messageId: string;
  /** When it was published to the dead-letter topic (RFC 3339), null when the broker did not say. */
  readonly deadLetteredAt: string | null;
  /** When it was first published to the original topic. */
  readonly firstPublishedAt: string | null;
  /** Deliveries Pub/Sub tried before it gave up. */
  readonly deliveryAttempts: number | null;
  /** The subscription that gave up on it. */
  readonly sourceSubscription: string | null;
  /** The message's own attributes (a sync request's are user, reason, requestedAt, reconcile), values bounded. */
  readonly attributes: Readonly<Record<string, string>>;
  /** What the body is: a sync request's fields, or only its size and shape. */
  readonly summary: string;
}

/** Where dead letters come from and are kept. */
export interface DeadLetterNames {
  /** The original topic: replay publishes here. */
  readonly topic: string;
  readonly deadLetterTopic: string;
  /** The pull subscription on the dead-letter topic that keeps them. */
  readonly subscription: string;
}

export interface DeadLetterListing extends DeadLetterNames {
  readonly messages: readonly DeadLetter[];
  /** True when `limit` messages were found: there may be more. */
  readonly limited: boolean;
}

export interface DeadLetterReplay extends DeadLetterNames {
  /** Each replayed dead letter's id and its copy's new id on the original topic. */
  readonly replayed: readonly { readonly messageId: string; readonly newMessageId: string }[];
  /** Why the replay stopped early (the messages not replayed are still dead letters), or null. */
  readonly stoppedBy: string | null;
}

/** What the CLI needs; the in-process fake of the unit tests implements it too. */
export interface DeadLetterQueue {
  list(limit: number): Promise<DeadLetterListing>;
  replay(limit: number): Promise<DeadLetterReplay>;
  close(): Promise<void>;
}

export interface PubSubDeadLetterQueueOptions {
  readonly pubsub: PubSub;
  /** The original topic (`SYNC_REQUESTS_TOPIC`); its dead letters are on `<topic>-dead-letter`. */
  readonly topic: string;
  /**
   * Bound of one pull (default 5 s): Pub/Sub's pull waits for messages, so a pull that finds none within it ends
   * the listing or the replay.
   */
  readonly pullTimeoutMs?: number;
}

type ReceivedMessage = protos.google.pubsub.v1.IReceivedMessage;

/** Messages per pull: a batch is republished well within the dead-letter subscription's ack deadline. */
const BATCH = 100;
const MAX_ATTRIBUTE_LENGTH = 100;

export class PubSubDeadLetterQueue implements DeadLetterQueue {
  readonly #options: PubSubDeadLetterQueueOptions;
  readonly #names: DeadLetterNames;
  #subscriber: Promise<{ client: v1.SubscriberClient; path: string }> | null = null;
  #topic: Topic | null = null;

  constructor(options: PubSubDeadLetterQueueOptions) {
    this.#options = options;
    const names = deadLetterNames(options.topic);
    this.#names = { topic: options.topic, deadLetterTopic: names.topic, subscription: names.subscription };
  }

  async list(limit: number): Promise<DeadLetterListing> {
    const received = new Map<string, ReceivedMessage>();
    const ackIds: string[] = [];
    try {
      while (received.size < limit) {
        const batch = await this.#pull(Math.min(BATCH, limit - received.size));
        if (batch.length === 0) break;
        for (const message of batch) {
          ackIds.push(message.ackId ?? '');
          const id = message.message?.messageId ?? '';
          if (!received.has(id)) received.set(id, message);
        }
      }
    } finally {
      // Handed back at once: listing removes nothing.
      await this.#release(ackIds);
    }
    return {
      ...this.#names,
      messages: [...received.values()].slice(0, limit).map(toDeadLetter),
      limited: received.size >= limit,
    };
  }

  async replay(limit: number): Promise<DeadLetterReplay> {
    const replayed: { messageId: string; newMessageId: string }[] = [];
    const topic = (this.#topic ??= this.#options.pubsub.topic(this.#options.topic, {
      batching: { maxMessages: 1 },
    }));
    while (replayed.length < limit) {
      const batch = await this.#pull(Math.min(BATCH, limit - replayed.length));
      if (batch.length === 0) break;
      for (const [index, received] of batch.entries()) {
        const message = received.message ?? {};
        let newMessageId: string;
        try {
          newMessageId = await topic.publishMessage({
            data: Buffer.from(message.data ?? new Uint8Array()),
            attributes: ownAttributes(message.attributes ?? {}),
          });
        } catch (error) {
          await this.#release(batch.slice(index).map((m) => m.ackId ?? ''));
          return {
            ...this.#names,
            replayed,
            stoppedBy: classifyPubSubError(error, this.#options.topic, 'Replaying to').message,
          };
        }
        try {
          await this.#ack([received.ackId ?? '']);
        } catch (error) {
          // Published but still a dead letter: a later replay publishes it once more, which is harmless.
          await this.#release(batch.slice(index + 1).map((m) => m.ackId ?? ''));
          return {
            ...this.#names,
            replayed: [...replayed, { messageId: message.messageId ?? '', newMessageId }],
            stoppedBy: error instanceof Error ? error.message : String(error),
          };
        }
        replayed.push({ messageId: message.messageId ?? '', newMessageId });
      }
    }
    return { ...this.#names, replayed, stoppedBy: null };
  }

  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    const topic = this.#topic;
    this.#topic = null;
    await topic?.flush();
    if (subscriber !== null) await (await subscriber).client.close();
  }

  /** The handwritten `Subscription` only streams; the generated client has the synchronous Pull. */
  #connect(): Promise<{ client: v1.SubscriberClient; path: string }> {
    this.#subscriber ??= (async () => {
      const sdk = await import('@google-cloud/pubsub');
      const config = await this.#options.pubsub.getClientConfig();
      // The filled configuration (project id, emulator address and credentials) suits the generated clients.
      const client = new sdk.v1.SubscriberClient(
        config as ConstructorParameters<typeof sdk.v1.SubscriberClient>[0],
      );
      return { client, path: client.subscriptionPath(config.projectId ?? '', this.#names.subscription) };
    })();
    return this.#subscriber;
  }

  async #pull(maxMessages: number): Promise<ReceivedMessage[]> {
    const { client, path } = await this.#connect();
    try {
      const [response] = await client.pull(
        { subscription: path, maxMessages },
        { timeout: this.#options.pullTimeoutMs ?? 5_000 },
      );
      return response.receivedMessages ?? [];
    } catch (error) {
      if (grpcCode(error) === GRPC.DEADLINE_EXCEEDED) return [];
      throw this.#failure(error);
    }
  }

  async #ack(ackIds: readonly string[]): Promise<void> {
    if (ackIds.length === 0) return;
    const { client, path } = await this.#connect();
    try {
      await client.acknowledge({ subscription: path, ackIds: [...ackIds] });
    } catch (error) {
      throw this.#failure(error);
    }
  }

  async #release(ackIds: readonly string[]): Promise<void> {
    if (ackIds.length === 0) return;
    const { client, path } = await this.#connect();
    try {
      await client.modifyAckDeadline({ subscription: path, ackIds: [...ackIds], ackDeadlineSeconds: 0 });
    } catch {
      // Not handed back: Pub/Sub releases them itself after the ack deadline (DELIVERY_POLICY).
    }
  }

  #failure(error: unknown): SyncError {
    if (grpcCode(error) === GRPC.NOT_FOUND) {
      return new PermanentError(
        'configuration',
        `The dead-letter subscription "${this.#names.subscription}" does not exist: either "${this.#options.topic}" ` +
          'is not the topic meant (--topic), or its subscriptions were made without the dead-letter policy ' +
          '(the local stack and the Terraform create both; docs/infrastructure.md).',
        { cause: error },
      );
    }
    return classifyPubSubError(error, this.#names.deadLetterTopic, 'Reading the dead letters of');
  }
}

/** The attributes a replayed copy carries: the message's own, without those Pub/Sub added when dead-lettering it. */
export function ownAttributes(attributes: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(attributes).filter(([key]) => !key.startsWith(DEAD_LETTER_ATTRIBUTE_PREFIX)),
  );
}

/**
 * A summary of a dead letter's body that holds nothing a sync request would not: its fields when it is one,
 * otherwise only its size and, for a JSON object, its field names.
 */
export function summariseData(data: Uint8Array): string {
  const size = `${data.length.toString()} bytes`;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch {
    return `not a sync request (${size}, not UTF-8 JSON)`;
  }
  const request = syncRequestSchema.safeParse(body);
  if (request.success) {
    const r = request.data;
    const org = (r as { org?: unknown }).org;
    return (
      `sync request: user ${r.user}, reason ${r.reason}, requested ${r.requestedAt}` +
      `${r.reconcile ? ', reconcile' : ''}${typeof org === 'string' ? `, org ${org}` : ''}`
    );
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const keys = Object.keys(body).map((k) => bounded(k, 40));
    const shown = keys.length > 10 ? [...keys.slice(0, 10), '…'] : keys;
    return `not a sync request (${size}, a JSON object with fields ${shown.join(', ') || '(none)'})`;
  }
  return `not a sync request (${size}, JSON ${Array.isArray(body) ? 'array' : typeof body})`;
}

function bounded(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A protobuf Timestamp as the SDK returns it (`seconds` a string, a number or a Long) → RFC 3339, or null. */
function instant(timestamp: { seconds?: unknown; nanos?: unknown } | null | undefined): string | null {
  if (timestamp === null || timestamp === undefined) return null;
  const millis = Number(timestamp.seconds ?? 0) * 1000 + Math.floor(Number(timestamp.nanos ?? 0) / 1e6);
  return Number.isFinite(millis) && millis > 0 ? new Date(millis).toISOString() : null;
}

function toDeadLetter(received: ReceivedMessage): DeadLetter {
  const message = received.message ?? {};
  const all = message.attributes ?? {};
  const source = (name: string) => all[`${DEAD_LETTER_ATTRIBUTE_PREFIX}Source${name}`] ?? null;
  const attempts = Number(source('DeliveryCount'));
  const first = source('TopicPublishTime');
  return {
    messageId: message.messageId ?? '',
    deadLetteredAt: instant(message.publishTime),
    firstPublishedAt: first !== null && !Number.isNaN(Date.parse(first)) ? first : null,
    deliveryAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : null,
    sourceSubscription: source('Subscription'),
    attributes: Object.fromEntries(
      Object.entries(ownAttributes(all)).map(([key, value]) => [
        bounded(key, MAX_ATTRIBUTE_LENGTH),
        bounded(value, MAX_ATTRIBUTE_LENGTH),
      ]),
    ),
    summary: summariseData(Buffer.from(message.data ?? new Uint8Array())),
  };
}

/** The default and largest `--limit` of the CLI's dead-letter commands. */
export const DEAD_LETTER_LIMITS = { list: 20, replay: 100, max: 1000 } as const;

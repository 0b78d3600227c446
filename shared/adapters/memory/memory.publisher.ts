import type { Clock, SyncRequest, SyncRequestPublisher } from '../../ports/index.js';
import {
  decodeSyncRequest,
  encodeSyncRequest,
  toPushMessage,
  type PubSubPushMessage,
} from '../pubsub/sync-request.codec.js';
import { FaultQueue } from './faults.js';
import { systemClock } from '../system-time.js';

export interface PublishedSyncRequest {
  readonly messageId: string;
  readonly request: SyncRequest;
  /** What a push subscription would deliver: the CloudEvent's `data.message` (decode it with `decodeSyncRequest`). */
  readonly message: PubSubPushMessage;
}

/**
 * An in-memory `sync-requests` topic: every publish is encoded with the real codec (so a request the Pub/Sub
 * publisher would refuse is refused here too) and recorded with a message id, in order, for tests to inspect or
 * deliver. `faults` injects failures; one `after` the effect records the message and still throws, as a lost
 * publish response does (the caller's retry then publishes a duplicate, which Pub/Sub allows too).
 */
export class MemorySyncRequestPublisher implements SyncRequestPublisher {
  readonly published: PublishedSyncRequest[] = [];
  readonly faults = new FaultQueue();
  readonly #clock: Clock;
  #nextId = 1;

  constructor(options: { clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async publish(request: SyncRequest): Promise<string> {
    const encoded = encodeSyncRequest(request);
    return this.faults.run('publish', () => {
      const messageId = String(this.#nextId++);
      const message = toPushMessage(encoded, messageId, this.#clock.now().toISOString());
      // The request as a subscriber decodes it (e.g. `requestedAt` in canonical form), not as it was passed in.
      this.published.push({ messageId, request: decodeSyncRequest(message).request, message });
      return messageId;
    });
  }

  /** Removes and returns what was published so far (a test's "deliver everything pending" step). */
  take(): PublishedSyncRequest[] {
    return this.published.splice(0, this.published.length);
  }
}

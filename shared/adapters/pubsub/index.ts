export {
  DEFAULT_PUBLISH_TIMEOUT_MS,
  PubSubSyncRequestPublisher,
  classifyPubSubError,
  ensurePullSubscription,
  ensurePushSubscription,
  ensureTopic,
  type EnsureOutcome,
  type PubSubSyncRequestPublisherOptions,
  type PullSubscriptionSpec,
  type PushSubscriptionSpec,
} from './pubsub.publisher.js';
export {
  MAX_SYNC_REQUEST_BYTES,
  decodeSyncRequest,
  encodeSyncRequest,
  syncRequestSchema,
  toPushMessage,
  type DecodedSyncRequest,
  type EncodedSyncRequest,
  type PubSubPushMessage,
} from './sync-request.codec.js';

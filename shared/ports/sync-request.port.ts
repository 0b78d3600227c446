/** Why a user's sync was requested. */
export const SYNC_REASONS = ['push', 'severa-change', 'webhook', 'reconcile', 'manual', 'initial'] as const;
export type SyncReason = (typeof SYNC_REASONS)[number];

/** A request for one user's sync, published on the `sync-requests` topic. */
export interface SyncRequest {
  readonly user: string;
  readonly reason: SyncReason;
  /** Canonical instant the request was made: a run that started after it serves it (coalescing). */
  readonly requestedAt: string;
  /** Also list the user's Severa window to find deletions. */
  readonly reconcile: boolean;
}

export interface SyncRequestPublisher {
  /** Publishes the request; resolves with the message id once the broker has it. */
  publish(request: SyncRequest): Promise<string>;
}

/**
 * What the two HTTP functions do, independent of the function framework (functions/ adapts requests to these):
 * authenticate, validate, publish sync requests, answer fast. Neither ever runs a sync inline (SPEC §5).
 */
import { z } from 'zod';

import { SyncError, canonicalInstant } from '../domain/index.js';
import type {
  Clock,
  Logger,
  MessageLog,
  SyncRequestPublisher,
  SyncStore,
  UserDirectory,
} from '../ports/index.js';
import { MAX_NOTICE_BYTES } from './limits.js';
import type { PollSummary } from './sync-tick.js';
import {
  REPLAY_WINDOW_MS,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  channelTokenMatches,
  noticeReplayKey,
  verifyWebhook,
} from './webhook-signature.js';

export interface HttpResult {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

export type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
}

// ---- calendarPush

export interface CalendarPushDeps {
  readonly users: UserDirectory;
  readonly publisher: SyncRequestPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Notifications seen by this instance (channel id + message number): Google may deliver one twice. */
  readonly seen?: Set<string>;
}

const RESOURCE_STATES = ['sync', 'exists', 'not_exists'] as const;

/**
 * The notification headers' shapes, checked before any lookup (issue 10 #4): our channel ids are UUIDs (≤ 64
 * characters by the port's contract), Google's resource ids and message numbers are short opaque words, our tokens
 * are 43 base64url characters. Anything else is not a notification of ours.
 */
const CHANNEL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const RESOURCE_ID = /^[A-Za-z0-9_-]{1,256}$/;
const CHANNEL_TOKEN = /^[\x21-\x7e]{1,256}$/;
const MESSAGE_NUMBER = /^\d{1,20}$/;

/** One answer for an unknown channel and for a wrong token, so channel ids cannot be probed (issue 10 #7). */
const UNKNOWN_CHANNEL: HttpResult = { status: 401, body: { error: 'unknown channel or wrong token' } };

/**
 * A Google push notification (google-calendar.md §2): there is no body; the headers name the channel. The channel's
 * secret token is compared in constant time with the stored one; unknown or forged channels change nothing.
 */
export async function handleCalendarPush(deps: CalendarPushDeps, headers: Headers): Promise<HttpResult> {
  const channelId = header(headers, 'x-goog-channel-id');
  const token = header(headers, 'x-goog-channel-token');
  const state = header(headers, 'x-goog-resource-state');
  const resourceId = header(headers, 'x-goog-resource-id');
  const messageNumber = header(headers, 'x-goog-message-number') ?? '';
  if (
    !channelId ||
    !state ||
    !resourceId ||
    !(RESOURCE_STATES as readonly string[]).includes(state) ||
    !CHANNEL_ID.test(channelId) ||
    !RESOURCE_ID.test(resourceId) ||
    (messageNumber !== '' && !MESSAGE_NUMBER.test(messageNumber))
  ) {
    return { status: 400, body: { error: 'not a Google Calendar push notification' } };
  }
  // The handshake right after `events.watch` says nothing changed; it may arrive before the new channel is stored.
  if (state === 'sync') return { status: 200, body: { ok: true } };
  if (token === undefined || !CHANNEL_TOKEN.test(token)) return UNKNOWN_CHANNEL;
  const user = await deps.users.findUserByChannelId(channelId);
  const channel = user?.channel;
  // The token is compared even when the channel is unknown, so both answers take the same time.
  const matches = channelTokenMatches(token, channel?.token ?? '');
  if (!user || !channel || channel.resourceId !== resourceId || !matches) {
    deps.logger.warn('push notification refused: unknown channel or wrong token', { channelId });
    return UNKNOWN_CHANNEL;
  }
  if (!user.enabled) return { status: 200, body: { ok: true } };
  const key = `${channelId}#${messageNumber}`;
  if (messageNumber !== '' && deps.seen?.has(key))
    return { status: 200, body: { ok: true, duplicate: true } };
  await deps.publisher.publish({
    user: user.severaUserGuid,
    reason: 'push',
    requestedAt: canonicalInstant(deps.clock.now().toISOString()),
    reconcile: false,
  });
  if (deps.seen) {
    deps.seen.add(key);
    if (deps.seen.size > 10_000) deps.seen.clear();
  }
  return { status: 200, body: { ok: true } };
}

// ---- severaWebhook

/** The documented change notice: which activities changed (created, updated or deleted). */
export const severaNoticeSchema = z.strictObject({
  activityGuids: z
    .array(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'an activity guid'))
    .min(1)
    .max(500),
});
export type SeveraNotice = z.infer<typeof severaNoticeSchema>;

export { MAX_NOTICE_BYTES };

export interface SeveraWebhookDeps {
  readonly secret: () => Promise<string>;
  /** One org-wide poll (the tick's): routes what changed into the users' inboxes and asks for their syncs. */
  readonly poll: () => Promise<PollSummary>;
  readonly store: Pick<SyncStore, 'findLinksBySeveraGuids'>;
  readonly users: Pick<UserDirectory, 'getUser'>;
  readonly publisher: SyncRequestPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Where accepted notices are recorded for the replay window, shared by every instance (Firestore in production):
   * the same signed notice twice is answered, not redone, whichever instance gets it.
   */
  readonly replays: Pick<MessageLog, 'claim' | 'forget'>;
}

/**
 * A signed change notice is a hint that something changed now: it triggers the org-wide poll at once (one Severa
 * call, whatever the number of guids), and asks for a reconcile of every syncing user linked to a named activity the
 * poll did not see (it may have been deleted, which `changedSince` never shows).
 */
export async function handleSeveraWebhook(
  deps: SeveraWebhookDeps,
  request: { readonly headers: Headers; readonly rawBody: Buffer | string },
): Promise<HttpResult> {
  const size = Buffer.byteLength(request.rawBody);
  if (size > MAX_NOTICE_BYTES)
    return { status: 413, body: { error: `notice larger than ${MAX_NOTICE_BYTES} bytes` } };
  const nowMs = deps.clock.now().getTime();
  const signature = header(request.headers, SIGNATURE_HEADER);
  const check = verifyWebhook({
    secret: await deps.secret(),
    signature,
    timestamp: header(request.headers, TIMESTAMP_HEADER),
    rawBody: request.rawBody,
    nowMs,
  });
  if (!check.ok) {
    deps.logger.warn('webhook refused', { reason: check.reason });
    return { status: 401, body: { error: check.reason } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.rawBody.toString());
  } catch {
    return { status: 400, body: { error: 'body is not JSON' } };
  }
  const notice = severaNoticeSchema.safeParse(parsed);
  if (!notice.success) {
    return {
      status: 400,
      body: {
        error: notice.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
      },
    };
  }
  // A signature covers its timestamp, so a record kept for twice the window outlives every notice it could match.
  const replayKey = noticeReplayKey(signature ?? '');
  const claimed = await deps.replays.claim(
    replayKey,
    new Date(nowMs).toISOString(),
    new Date(nowMs + 2 * REPLAY_WINDOW_MS).toISOString(),
  );
  if (!claimed) return { status: 202, body: { ok: true, duplicate: true } };
  try {
    const polled = await deps.poll();
    const seen = new Set(polled.guids);
    const unseen = [...new Set(notice.data.activityGuids)].filter((guid) => !seen.has(guid));
    const users = new Set((await deps.store.findLinksBySeveraGuids(unseen)).map((l) => l.user));
    const reconcile = new Set<string>();
    for (const user of users) {
      if ((await deps.users.getUser(user))?.enabled === true) reconcile.add(user);
    }
    const requestedAt = canonicalInstant(new Date(nowMs).toISOString());
    for (const user of reconcile) {
      await deps.publisher.publish({ user, reason: 'webhook', requestedAt, reconcile: true });
    }
    return {
      status: 202,
      body: { ok: true, routed: polled.requested.length, reconciles: reconcile.size },
    };
  } catch (error) {
    // Answered with a retryable status: the relay sends the notice again; the tick polls anyway.
    deps.logger.warn('webhook could not be processed now', { error });
    const transient = !(error instanceof SyncError) || error.transient;
    await deps.replays.forget(replayKey).catch(() => undefined);
    return {
      status: transient ? 503 : 500,
      body: { error: 'the notice could not be processed; retry later' },
    };
  }
}

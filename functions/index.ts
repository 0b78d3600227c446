/**
 * The Cloud Functions (SPEC §5), registered with the Functions Framework: thin entry points that adapt the
 * framework's requests and events to the application services in shared/app and map outcomes to transport results
 * (HTTP status; return = ack, throw = redeliver). Deploy each with `--entry-point <name>`.
 */
import * as functions from '@google-cloud/functions-framework';
import type { CloudEvent } from '@google-cloud/functions-framework';

import { handleCalendarPush, handleSeveraWebhook, type HttpResult } from '../shared/app/http-handlers.js';
import { pollAndRoute, runTickCycle } from '../shared/app/sync-tick.js';
import { handleSyncRequest } from '../shared/app/sync-worker.js';
import { decodeSyncRequest } from '../shared/adapters/pubsub/sync-request.codec.js';
import { SECRET_NAMES } from '../shared/config.js';
import { SyncError, canonicalInstant } from '../shared/domain/index.js';
import { invocationLogger, runtime } from './runtime.js';

const pushSeen = new Set<string>();
const webhookSeen = new Map<string, number>();

function send(res: functions.Response, result: HttpResult): void {
  res.status(result.status).json(result.body);
}

function correlationOf(req: functions.Request): string | undefined {
  const trace = req.header('x-cloud-trace-context') ?? req.header('function-execution-id');
  return trace?.split('/')[0];
}

/** Google Calendar push notifications. */
export async function calendarPush(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('calendarPush', correlationOf(req));
  if (req.method !== 'POST') {
    send(res, { status: 405, body: { error: 'POST only' } });
    return;
  }
  // The handshake right after `events.watch` needs nothing loaded: answered before the clients are.
  if (req.header('x-goog-resource-state') === 'sync') {
    send(res, { status: 200, body: { ok: true } });
    return;
  }
  try {
    const c = await runtime();
    send(
      res,
      await handleCalendarPush(
        { users: c.stores.users, publisher: c.publisher, clock: c.clock, logger, seen: pushSeen },
        req.headers,
      ),
    );
  } catch (error) {
    // Google retries non-2xx answers with backoff: a transient failure here is retried by Google itself.
    logger.error('push notification failed', { error });
    send(res, { status: 503, body: { error: 'try again later' } });
  }
}

/** Severa change notices (from Severa or a relay), HMAC-signed. */
export async function severaWebhook(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('severaWebhook', correlationOf(req));
  if (req.method !== 'POST') {
    send(res, { status: 405, body: { error: 'POST only' } });
    return;
  }
  try {
    const c = await runtime();
    const result = await handleSeveraWebhook(
      {
        secret: () => c.secrets.get(SECRET_NAMES.webhookSecret),
        poll: async () => pollAndRoute({ ...(await c.tickDeps()), logger }),
        store: c.stores.store,
        users: c.stores.users,
        publisher: c.publisher,
        clock: c.clock,
        logger,
        seen: webhookSeen,
      },
      { headers: req.headers, rawBody: req.rawBody ?? Buffer.from(JSON.stringify(req.body ?? '')) },
    );
    send(res, result);
  } catch (error) {
    logger.error('webhook failed', { error });
    send(res, { status: 503, body: { error: 'try again later' } });
  }
}

interface PubSubEventData {
  readonly message?: unknown;
}

/** Cloud Scheduler's tick (every minute, through the `sync-tick` topic). */
export async function syncTick(event: CloudEvent<PubSubEventData>): Promise<void> {
  const logger = invocationLogger('syncTick', event.id);
  try {
    const c = await runtime();
    const deps = { ...(await c.tickDeps()), logger };
    const summary = await runTickCycle(
      deps,
      (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      c.config.intervals.tickSecondPollDelayMs,
    );
    logger.info('tick done', {
      changed: summary.polls.reduce((n, p) => n + p.changed, 0),
      requested: summary.polls.reduce((n, p) => n + p.requested.length, 0),
      safetySyncs: summary.maintenance.safetySyncs.length,
      renewedChannels: summary.maintenance.renewedChannels.length,
      failures: summary.maintenance.failures,
    });
  } catch (error) {
    // A failed tick is not retried: the next one comes within a minute and repeats everything idempotently.
    logger.error('tick failed', { error });
  }
}

/** One user's sync request (`sync-requests` topic). Return acks; throw makes Pub/Sub redeliver. */
export async function syncWorker(event: CloudEvent<PubSubEventData>): Promise<void> {
  const logger = invocationLogger('syncWorker', event.id);
  let delivery;
  try {
    delivery = decodeSyncRequest(event.data?.message);
  } catch (error) {
    logger.error('malformed sync request dropped', { error });
    return;
  }
  try {
    const c = await runtime();
    const deps = await c.workerDeps();
    const outcome = await handleSyncRequest(
      { ...deps, logger: logger.child({ user: delivery.request.user }) },
      {
        request: delivery.request,
        messageId: delivery.messageId,
        publishTime: delivery.publishTime ?? canonicalInstant(c.clock.now().toISOString()),
      },
    );
    logger.info('sync request handled', { outcome: outcome.kind });
  } catch (error) {
    if (error instanceof SyncError && !error.transient) {
      // Nothing a retry can fix (e.g. the organisation is not set up): acked, and said in the log.
      logger.error('sync request failed permanently', { error, code: error.code });
      return;
    }
    logger.warn('sync request will be redelivered', { error });
    throw error;
  }
}

functions.http('calendarPush', calendarPush);
functions.http('severaWebhook', severaWebhook);
functions.cloudEvent('syncTick', syncTick);
functions.cloudEvent('syncWorker', syncWorker);

/**
 * The two functions behind Pub/Sub's authenticated push (SPEC §5): Cloud Scheduler's tick and one person's sync
 * request. Each takes only a push carrying an OIDC token of the subscription's service account (checked here on
 * every request) and answers 2xx to ack, 503 to have Pub/Sub redeliver. Loaded on a function's first call
 * (functions/index.ts).
 */
import type * as functions from '@google-cloud/functions-framework';
import { z } from 'zod';

import { realSleep } from '../shared/adapters/system-time.js';
import { createPushVerifier, type PushVerifier } from '../shared/adapters/pubsub/pubsub.push-auth.js';
import { decodeSyncRequest } from '../shared/adapters/pubsub/sync-request.codec.js';
import type { Container } from '../shared/app/container.js';
import { runTickCycle } from '../shared/app/sync-tick.js';
import { handleSyncRequest } from '../shared/app/sync-worker.js';
import { SyncError, canonicalInstant } from '../shared/domain/index.js';
import { ack, correlationOf, send } from './respond.js';
import { invocationLogger, runtime } from './runtime.js';

const verifiers = new WeakMap<Container, PushVerifier>();

/** The push verifier of this instance's configuration (its certificates cached across calls). */
function pushVerifier(c: Container): PushVerifier {
  let verifier = verifiers.get(c);
  if (verifier === undefined) {
    verifier = createPushVerifier(c.config.pushAuth);
    verifiers.set(c, verifier);
  }
  return verifier;
}

/** What a push subscription POSTs: `{ message, subscription }` (the message's form: sync-request.codec.ts). */
const pushEnvelopeSchema = z.object({
  message: z.record(z.string(), z.unknown()),
  subscription: z.string().max(512).optional(),
});

type Logger = ReturnType<typeof invocationLogger>;

/**
 * The instance's container and the push's envelope, when the caller is Pub/Sub's authenticated push; otherwise the
 * answer is sent here and the result is null: 401 for anyone else (nothing changes), an ack for an envelope without
 * a message (nothing a redelivery could fix), 503 when the function cannot start (its configuration or a client
 * library failed: said in the log, and Pub/Sub delivers again with backoff once that is fixed).
 */
async function authenticatedPush(
  req: functions.Request,
  res: functions.Response,
  logger: Logger,
): Promise<{ c: Container; envelope: z.infer<typeof pushEnvelopeSchema> } | null> {
  let c: Container;
  try {
    c = await runtime();
  } catch (error) {
    logger.error('the function could not start', { error });
    send(res, { status: 503, body: { error: 'will be retried' } });
    return null;
  }
  const check = await pushVerifier(c)(req.header('authorization'));
  if (!check.ok) {
    logger.warn('push refused', { reason: check.reason });
    send(res, { status: 401, body: { error: 'only authenticated Pub/Sub push is accepted' } });
    return null;
  }
  const envelope = pushEnvelopeSchema.safeParse(req.body);
  if (!envelope.success) {
    // The envelope's content is not logged.
    logger.error('push without a message dropped', {});
    ack(res);
    return null;
  }
  return { c, envelope: envelope.data };
}

/** Cloud Scheduler's tick (every minute, through the `sync-tick` topic and its push subscription). */
export async function syncTick(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('syncTick', correlationOf(req));
  const pushed = await authenticatedPush(req, res, logger);
  if (pushed === null) return;
  const { c } = pushed;
  try {
    const deps = { ...(await c.tickDeps()), logger };
    const summary = await runTickCycle(deps, realSleep, {
      secondPollDelayMs: c.config.intervals.tickSecondPollDelayMs,
      maintenanceEveryMinutes: c.config.intervals.tickMaintenanceEveryMinutes,
    });
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
  ack(res);
}

/** One user's sync request (`sync-requests` topic). 2xx acks; 503 makes Pub/Sub redeliver. */
export async function syncWorker(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('syncWorker', correlationOf(req));
  const pushed = await authenticatedPush(req, res, logger);
  if (pushed === null) return;
  const { c, envelope } = pushed;
  let delivery;
  try {
    delivery = decodeSyncRequest(envelope.message, c.config.orgId);
  } catch (error) {
    // Malformed, or another organisation's: nothing a redelivery could fix.
    logger.error('sync request dropped', { error });
    ack(res);
    return;
  }
  try {
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
    ack(res);
  } catch (error) {
    if (error instanceof SyncError && !error.transient) {
      // Nothing a retry can fix (e.g. the organisation is not set up): acked, and said in the log.
      logger.error('sync request failed permanently', { error, code: error.code });
      ack(res);
      return;
    }
    logger.warn('sync request will be redelivered', { error });
    send(res, { status: 503, body: { error: 'will be retried' } });
  }
}

/**
 * The two public notification endpoints (SPEC §5): Google Calendar's push notifications and Severa's signed change
 * notices. Each authenticates its caller, publishes sync requests and answers fast; neither runs a sync inline.
 * Loaded on a function's first call that needs it (functions/index.ts).
 */
import type * as functions from '@google-cloud/functions-framework';

import { coalesced } from '../shared/app/coalesce.js';
import { handleCalendarPush, handleSeveraWebhook } from '../shared/app/http-handlers.js';
import { pollAndRoute, type PollSummary } from '../shared/app/sync-tick.js';
import type { Container } from '../shared/app/container.js';
import { SECRET_NAMES } from '../shared/config.js';
import { correlationOf, send } from './respond.js';
import { invocationLogger, runtime } from './runtime.js';

const pushSeen = new Set<string>();

/** A Google Calendar push notification past the channel's handshake (which functions/index.ts answers). */
export async function calendarPush(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('calendarPush', correlationOf(req));
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

/**
 * The webhook's org poll, one at a time per instance and per container: a burst of notices shares a poll that
 * started after each arrived (SPEC §5: answer fast, never a poll per notice), instead of queueing one poll each
 * behind Severa's pace.
 */
const webhookPolls = new WeakMap<Container, () => Promise<PollSummary>>();
function webhookPoll(c: Container): () => Promise<PollSummary> {
  let poll = webhookPolls.get(c);
  if (!poll) {
    poll = coalesced(async () => pollAndRoute({ ...(await c.tickDeps()), logger: c.logger }));
    webhookPolls.set(c, poll);
  }
  return poll;
}

/** Severa change notices (from Severa or a relay), HMAC-signed. */
export async function severaWebhook(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('severaWebhook', correlationOf(req));
  try {
    const c = await runtime();
    const result = await handleSeveraWebhook(
      {
        secret: () => c.secrets.get(SECRET_NAMES.webhookSecret),
        poll: webhookPoll(c),
        store: c.stores.store,
        users: c.stores.users,
        publisher: c.publisher,
        clock: c.clock,
        logger,
        replays: c.stores.messages,
      },
      { headers: req.headers, rawBody: req.rawBody ?? Buffer.alloc(0) },
    );
    send(res, result);
  } catch (error) {
    logger.error('webhook failed', { error });
    send(res, { status: 503, body: { error: 'try again later' } });
  }
}

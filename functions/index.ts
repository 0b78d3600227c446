/**
 * The Cloud Functions (SPEC §5), registered with the Functions Framework: thin entry points that adapt the
 * framework's requests to the application services in shared/app and map outcomes to HTTP answers. All five are
 * HTTP functions: `calendarPush` and `severaWebhook` are public and authenticate their callers themselves
 * (notifications.ts); `syncTick` and `syncWorker` take only Pub/Sub's authenticated push (pubsub-push.ts);
 * `console` serves the console (console.ts). The edge guard (edge.ts) has checked method, encoding and size, and
 * read the body, before any of this runs. Every error is answered with our own short JSON and logged through our
 * redacting logger; nothing is thrown to the framework. Deploy each with `--entry-point <name>`
 * (docs/architecture.md "Who may call what").
 *
 * Every function shares this one entry point, and each loads only its own modules, on its first call: an instance
 * starts with the framework, the edge guard and this file, so its port opens as early as the framework allows and
 * Google's channel handshake is answered before anything else is loaded (docs/performance.md "Cold start").
 */
import domain from 'node:domain';

import * as functions from '@google-cloud/functions-framework';

import { installEdgeGuard } from './edge.js';
import { send } from './respond.js';
import { invocationLogger } from './runtime.js';

installEdgeGuard(() => invocationLogger('edge', undefined));

type Handler = (req: functions.Request, res: functions.Response) => Promise<void>;

/**
 * A handler whose module is imported on its first call (later calls reuse it). A module that fails to load is
 * answered with 503 and tried again on the next call.
 */
function loadedOnFirstCall(name: string, load: () => Promise<Handler>): Handler {
  let handler: Promise<Handler> | null = null;
  return async (req, res) => {
    let loaded: Handler;
    try {
      handler ??= load();
      loaded = await handler;
    } catch (error) {
      handler = null;
      invocationLogger(name, undefined).error('the function could not load', { error });
      send(res, { status: 503, body: { error: 'try again later' } });
      return;
    }
    await loaded(req, res);
  };
}

const notification = loadedOnFirstCall(
  'calendarPush',
  async () => (await import('./notifications.js')).calendarPush,
);

/** Google Calendar push notifications. */
export async function calendarPush(req: functions.Request, res: functions.Response): Promise<void> {
  // The handshake right after `events.watch` needs nothing loaded: answered before any module is.
  if (req.header('x-goog-resource-state') === 'sync') {
    send(res, { status: 200, body: { ok: true } });
    return;
  }
  await notification(req, res);
}

/** Severa change notices (from Severa or a relay), HMAC-signed. */
export const severaWebhook = loadedOnFirstCall(
  'severaWebhook',
  async () => (await import('./notifications.js')).severaWebhook,
);

/** Cloud Scheduler's tick (every minute, through the `sync-tick` topic and its push subscription). */
export const syncTick = loadedOnFirstCall(
  'syncTick',
  async () => (await import('./pubsub-push.js')).syncTick,
);

/** One user's sync request (`sync-requests` topic). 2xx acks; 503 makes Pub/Sub redeliver. */
export const syncWorker = loadedOnFirstCall(
  'syncWorker',
  async () => (await import('./pubsub-push.js')).syncWorker,
);

/** The console (issue 11): its JSON API under `/api`, for people signed in with Google. */
export const consoleFunction = loadedOnFirstCall(
  'console',
  async () => (await import('./console.js')).consoleFunction,
);

/**
 * Runs a function in a domain of its own. The framework runs each call in a domain and prints, raw to stderr, any
 * error that reaches it; the clients a call creates (Firestore, Pub/Sub) stay bound to that call's domain, so their
 * later background errors would be printed as "Exception from a finished function", past our logger. Here they are
 * logged through it instead, redacted, and a call still waiting gets our own 503.
 */
function inOwnDomain(
  name: string,
  fn: (req: functions.Request, res: functions.Response) => Promise<void>,
): functions.HttpFunction {
  return (req, res) => {
    const d = domain.create();
    d.on('error', (error: unknown) => {
      invocationLogger(name, undefined).error('background error', { error });
      if (!res.headersSent) send(res, { status: 503, body: { error: 'try again later' } });
    });
    return d.run(() => fn(req, res));
  };
}

functions.http('calendarPush', inOwnDomain('calendarPush', calendarPush));
functions.http('severaWebhook', inOwnDomain('severaWebhook', severaWebhook));
functions.http('syncTick', inOwnDomain('syncTick', syncTick));
functions.http('syncWorker', inOwnDomain('syncWorker', syncWorker));
functions.http('console', inOwnDomain('console', consoleFunction));

/**
 * The Cloud Functions (SPEC §5), registered with the Functions Framework: thin entry points that adapt the
 * framework's requests to the application services in shared/app and map outcomes to HTTP answers. All four are
 * HTTP functions: `calendarPush` and `severaWebhook` are public and authenticate their callers themselves;
 * `syncTick` and `syncWorker` take only Pub/Sub's authenticated push (an OIDC token of the push subscription's
 * service account, checked here on every request) and answer 2xx to ack, 503 to have Pub/Sub redeliver.
 * The edge guard (edge.ts) has checked method, encoding and size, and read the body, before any of this runs.
 * Every error is answered with our own short JSON and logged through our redacting logger; nothing is thrown to the
 * framework. Deploy each with `--entry-point <name>` (docs/architecture.md "Who may call what").
 */
import domain from 'node:domain';

import * as functions from '@google-cloud/functions-framework';
import { z } from 'zod';

import { handleCalendarPush, handleSeveraWebhook, type HttpResult } from '../shared/app/http-handlers.js';
import { coalesced } from '../shared/app/coalesce.js';
import { pollAndRoute, runTickCycle, type PollSummary } from '../shared/app/sync-tick.js';
import { handleSyncRequest } from '../shared/app/sync-worker.js';
import { createPushVerifier, type PushVerifier } from '../shared/adapters/pubsub/push-auth.js';
import { decodeSyncRequest } from '../shared/adapters/pubsub/sync-request.codec.js';
import type { ConsoleApiDeps } from '../shared/app/console-api.js';
import type { Container } from '../shared/app/container.js';
import { SECRET_NAMES } from '../shared/config.js';
import { SyncError, canonicalInstant } from '../shared/domain/index.js';
import { installEdgeGuard } from './edge.js';
import { invocationLogger, runtime } from './runtime.js';

installEdgeGuard(() => invocationLogger('edge', undefined));

const pushSeen = new Set<string>();

function send(res: functions.Response, result: HttpResult): void {
  res.status(result.status).json(result.body);
}

/** Pub/Sub takes 102, 200, 201, 202 and 204 as an ack. */
function ack(res: functions.Response): void {
  res.status(204).end();
}

function correlationOf(req: functions.Request): string | undefined {
  const trace = req.header('x-cloud-trace-context') ?? req.header('function-execution-id');
  return trace?.split('/')[0];
}

const verifiers = new WeakMap<Container, PushVerifier>();

/** The push verifier of this instance's configuration (its certificates cached across calls). */
async function pushVerifier(): Promise<PushVerifier> {
  const c = await runtime();
  let verifier = verifiers.get(c);
  if (verifier === undefined) {
    verifier = createPushVerifier(c.config.pushAuth);
    verifiers.set(c, verifier);
  }
  return verifier;
}

/** Google Calendar push notifications. */
export async function calendarPush(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('calendarPush', correlationOf(req));
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

/** What a push subscription POSTs: `{ message, subscription }` (the message's form: sync-request.codec.ts). */
const pushEnvelopeSchema = z.object({
  message: z.record(z.string(), z.unknown()),
  subscription: z.string().max(512).optional(),
});

/** Only Pub/Sub's authenticated push may go on; anyone else gets 401 and changes nothing. */
async function authenticatedPush(
  req: functions.Request,
  res: functions.Response,
  logger: ReturnType<typeof invocationLogger>,
): Promise<z.infer<typeof pushEnvelopeSchema> | null> {
  const check = await (await pushVerifier())(req.header('authorization'));
  if (!check.ok) {
    logger.warn('push refused', { reason: check.reason });
    send(res, { status: 401, body: { error: 'only authenticated Pub/Sub push is accepted' } });
    return null;
  }
  const envelope = pushEnvelopeSchema.safeParse(req.body);
  if (!envelope.success) {
    // Nothing a redelivery could fix: acked, said in the log (the envelope's content is not logged).
    logger.error('push without a message dropped', {});
    ack(res);
    return null;
  }
  return envelope.data;
}

/** Cloud Scheduler's tick (every minute, through the `sync-tick` topic and its push subscription). */
export async function syncTick(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('syncTick', correlationOf(req));
  if ((await authenticatedPush(req, res, logger)) === null) return;
  try {
    const c = await runtime();
    const deps = { ...(await c.tickDeps()), logger };
    const summary = await runTickCycle(deps, (ms) => new Promise((resolve) => setTimeout(resolve, ms)), {
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
  const envelope = await authenticatedPush(req, res, logger);
  if (envelope === null) return;
  let c: Container;
  try {
    c = await runtime();
  } catch (error) {
    logger.error('the function could not start', { error });
    send(res, { status: 503, body: { error: 'will be retried' } });
    return;
  }
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

const consoles = new WeakMap<Container, ConsoleApiDeps>();

/** The console's collaborators for this instance's configuration (the sign-in certificates cached across calls). */
async function consoleDeps(logger: ReturnType<typeof invocationLogger>): Promise<ConsoleApiDeps> {
  const c = await runtime();
  let deps = consoles.get(c);
  if (deps === undefined) {
    // Loaded on the console's first call: the other functions never pay for the operator's modules.
    const [{ consoleAuthenticator }, { createOperator }, { createIdTokenVerifier }] = await Promise.all([
      import('../shared/app/console-api.js'),
      import('../shared/app/operator/index.js'),
      import('../shared/adapters/identity/id-token-verifier.js'),
    ]);
    const settings = c.config.console;
    deps = {
      operator: createOperator(c),
      authenticate: consoleAuthenticator(
        settings === null
          ? () => Promise.resolve({ ok: false, reason: 'sign-in is not configured' })
          : createIdTokenVerifier({
              audience: settings.clientId,
              issuers: settings.issuers,
              certsUrl: settings.certsUrl,
            }),
        settings,
      ),
      logger: c.logger,
      activityTypes: async () => (await c.severa()).listActivityTypes(),
      signIn: {
        clientId: settings?.clientId ?? null,
        authorizeUrl: settings?.authorizeUrl ?? null,
        domain: settings?.domain ?? null,
        demo:
          settings?.demoSignIn === true
            ? { people: settings.demoPeople, issue: (email) => demoIdToken(settings, email) }
            : null,
      },
    };
    consoles.set(c, deps);
  }
  return { ...deps, logger };
}

/**
 * Local stack only (CONSOLE_DEMO_SIGN_IN, refused with Google's certificates): an ID token for a demo person from
 * the calendar simulator, which plays Google's identity provider and publishes the certificates the console checks.
 */
async function demoIdToken(
  settings: { readonly certsUrl: string; readonly clientId: string },
  email: string,
): Promise<string> {
  const res = await fetch(new URL('/_sim/id-token', settings.certsUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, audience: settings.clientId }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`the demo identity provider answered ${res.status}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

/** What every console answer carries: nothing from another origin, no framing, no caching of people's data. */
const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** The console (issue 11): its JSON API under `/api`, for people signed in with Google. */
export async function consoleFunction(req: functions.Request, res: functions.Response): Promise<void> {
  const logger = invocationLogger('console', correlationOf(req));
  res.set(CONSOLE_HEADERS);
  if (req.path !== '/api' && !req.path.startsWith('/api/')) {
    // The page itself (console/: index.html, app.js, style.css), loaded only on the page's first request.
    const { serveConsolePage } = await import('./console-page.js');
    if (!serveConsolePage(req, res)) send(res, { status: 404, body: { error: 'No such page.' } });
    return;
  }
  try {
    const query: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(req.query)) if (typeof value === 'string') query[key] = value;
    const deps = await consoleDeps(logger);
    const { handleConsoleApi } = await import('../shared/app/console-api.js');
    send(
      res,
      await handleConsoleApi(deps, {
        method: req.method,
        path: req.path,
        query,
        headers: req.headers,
        body: req.body,
        origin: `${req.protocol}://${req.get('host') ?? ''}`,
      }),
    );
  } catch (error) {
    logger.error('console request failed', { error });
    send(res, { status: 503, body: { error: 'Something went wrong on our side; try again in a moment.' } });
  }
}

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

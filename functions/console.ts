/**
 * The console (issue 11): its page and its JSON API under `/api`, for people signed in with Google. Loaded on the
 * function's first call (functions/index.ts); the operator's modules and the sign-in check on the first API call.
 */
import type * as functions from '@google-cloud/functions-framework';

import type { ConsoleApiDeps } from '../shared/app/console-api.js';
import type { Container } from '../shared/app/container.js';
import { correlationOf, send } from './respond.js';
import { invocationLogger, runtime } from './runtime.js';

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
      import('../shared/adapters/identity/id-token.verifier.js'),
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

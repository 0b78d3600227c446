/**
 * The console's JSON API (issue 11; SPEC §2 settings & status, S1, S2, B1, B2, B7), independent of the function
 * framework: who is asking (a Google ID token on every request), what they may do, and the operator's use cases
 * behind it. A person reads and changes only their own sync; an administrator (a configured e-mail) sees everyone,
 * can resync, decide a deletion hold and switch sync off for someone — but never on (S2: each person switches sync
 * on for themselves, so there is no route for it).
 *
 *   GET  /api/me                          who I am, my status, whether the integration is on
 *   PUT  /api/me/sync       {enabled}     switch my sync on or off
 *   GET  /api/me/preview                  what my first sync would do (B1), nothing written
 *   GET  /api/me/audit                    what the sync did to my entries (B2)
 *   GET  /api/admin/org                   the organisation's settings; which secrets are set, never their values
 *   PUT  /api/admin/org                   the org setup (S1): every check of `org setup`, nothing saved on a problem
 *   PUT  /api/admin/org/enabled {enabled} the integration on or off
 *   GET  /api/admin/activity-types        the activity types, read live from Severa
 *   GET  /api/admin/people                everyone's health (B7)
 *   GET  /api/admin/people/{email}/audit  someone's audit trail
 *   POST /api/admin/people/{email}/resync {full?}
 *   POST /api/admin/people/{email}/hold   {decision: confirm|reject}
 *   POST /api/admin/people/{email}/sync-off
 *
 * The token travels in the `Authorization` header, never in a cookie, so another site cannot make a browser send
 * it (no CSRF by construction); a state-changing request from another origin is refused all the same.
 */
import { z } from 'zod';

import type { ActivityType } from '../domain/index.js';
import type { Logger } from '../ports/index.js';
import type { HttpResult } from './http-handlers.js';
import { OperatorError, SetupValidationError, type Operator } from './operator/index.js';

/** Who a verified token says is asking. */
export interface ConsoleIdentity {
  readonly email: string;
  readonly admin: boolean;
}

export type ConsoleAuthCheck =
  { readonly ok: true; readonly identity: ConsoleIdentity } | { readonly ok: false; readonly reason: string };

export interface ConsoleApiDeps {
  readonly operator: Operator;
  /** Checks the bearer token (signature, issuer, audience, expiry, verified e-mail, domain) and names the person. */
  readonly authenticate: (authorization: string | undefined) => Promise<ConsoleAuthCheck>;
  readonly logger: Logger;
  /** The organisation's activity types, read live from Severa with the saved credential. */
  readonly activityTypes: () => Promise<readonly ActivityType[]>;
  /** How people sign in: the OAuth client, and on the local stack only, the demo people and their token source. */
  readonly signIn: {
    readonly clientId: string | null;
    /** The OpenID Connect authorization endpoint the page sends people to (Google's in production). */
    readonly authorizeUrl: string | null;
    /** The Workspace domain, offered to the identity provider as `hd` (only its accounts are listed). */
    readonly domain: string | null;
    readonly demo: null | {
      readonly people: readonly string[];
      readonly issue: (email: string) => Promise<string>;
    };
  };
}

export interface ConsoleRequest {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: unknown;
  /** This console's own origin (`https://host`), for the same-origin check of state-changing requests. */
  readonly origin: string;
}

const syncBody = z.strictObject({ enabled: z.boolean() });
const resyncBody = z.strictObject({ full: z.boolean().optional() });
const holdBody = z.strictObject({ decision: z.enum(['confirm', 'reject']) });
const demoSignInBody = z.strictObject({ email: z.string().max(320) });
const enabledBody = z.strictObject({ enabled: z.boolean() });
/** The org setup form; the `.p12` arrives as base64 (a key file is about 2.5 KB; 16 KB is plenty). */
const orgSetupBody = z.strictObject({
  serviceAccountEmail: z.string().max(320),
  p12Base64: z.base64().max(Math.ceil((16 * 1024) / 3) * 4, 'the .p12 file must be at most 16 KB'),
  p12Password: z.string().max(256).optional(),
  severaClientId: z.string().max(256),
  severaClientSecret: z.string().max(1024),
  syncedTypeNames: z.array(z.string().max(256)).max(100),
  testUserEmail: z.string().max(320),
  enable: z.boolean().optional(),
});
const EMAIL = /^[^@\s/]{1,64}@[^@\s/]{1,255}$/;

function header(headers: ConsoleRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
}

const json = (status: number, body: Readonly<Record<string, unknown>>): HttpResult => ({ status, body });
const error = (status: number, message: string, extra: Record<string, unknown> = {}) =>
  json(status, { error: message, ...extra });

/** How an operator refusal reaches the page: a status and the operator's own words (they never carry a secret). */
function fromOperatorError(e: OperatorError): HttpResult {
  const status: Record<OperatorError['code'], number> = {
    'invalid-input': 400,
    'setup-invalid': 422,
    'org-not-set-up': 409,
    'org-disabled': 409,
    'user-not-found': 404,
    'user-inactive': 409,
    'user-not-enabled': 409,
    'google-access': 502,
    'user-busy': 409,
    'no-hold': 404,
    'hold-decided': 409,
  };
  return error(status[e.code], e.message, {
    code: e.code,
    ...(e instanceof SetupValidationError ? { problems: e.problems } : {}),
  });
}

function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; result: HttpResult } {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    result: error(
      400,
      parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
        .join('; '),
    ),
  };
}

/** Answers one console API request. Never throws: every failure is an answer. */
export async function handleConsoleApi(deps: ConsoleApiDeps, request: ConsoleRequest): Promise<HttpResult> {
  // What the page needs before anyone signs in: which OAuth client to sign in with, and (local stack only) the
  // demo people it may sign in as.
  if (request.path === '/api/config') {
    if (request.method !== 'GET') return error(405, 'GET only');
    return json(200, {
      clientId: deps.signIn.clientId,
      authorizeUrl: deps.signIn.authorizeUrl,
      domain: deps.signIn.domain,
      demoSignIn: deps.signIn.demo !== null,
      demoPeople: deps.signIn.demo?.people ?? [],
    });
  }
  if (request.path === '/api/demo/sign-in') {
    if (deps.signIn.demo === null) return error(404, 'No such page.');
    if (request.method !== 'POST') return error(405, 'POST only');
    const origin = header(request.headers, 'origin');
    if (origin !== undefined && origin !== request.origin)
      return error(403, 'Requests from another site are not accepted.');
    const body = parseBody(demoSignInBody, request.body);
    if (!body.ok) return body.result;
    const email = body.value.email.toLowerCase();
    if (!deps.signIn.demo.people.includes(email)) return error(404, 'Not one of the demo people.');
    return json(200, { idToken: await deps.signIn.demo.issue(email) });
  }
  const auth = await deps.authenticate(header(request.headers, 'authorization'));
  if (!auth.ok) {
    deps.logger.warn('console request refused: not signed in', { reason: auth.reason });
    return error(401, 'Sign in with your organisation Google account.', { reason: auth.reason });
  }
  const me = auth.identity;
  const changing = request.method !== 'GET' && request.method !== 'HEAD';
  if (changing) {
    const origin = header(request.headers, 'origin');
    if (origin !== undefined && origin !== request.origin) {
      deps.logger.warn('console request refused: another origin', { user: me.email });
      return error(403, 'Requests from another site are not accepted.');
    }
  }
  const segments = request.path.split('/').filter((s) => s !== '');
  if (segments[0] !== 'api') return error(404, 'No such page.');
  try {
    return await route(deps, request, me, segments.slice(1));
  } catch (e) {
    if (e instanceof OperatorError) return fromOperatorError(e);
    deps.logger.error('console request failed', { error: e, path: request.path });
    return error(503, 'Something went wrong on our side; try again in a moment.');
  }
}

/** What a route's handler is given. */
interface RouteCall {
  readonly deps: ConsoleApiDeps;
  readonly request: ConsoleRequest;
  readonly me: ConsoleIdentity;
  /** The person a `:email` path segment names, decoded and lower-cased; '' on a path without one. */
  readonly email: string;
}

interface Route {
  /** `*`: the route answers every method alike. */
  readonly method: 'GET' | 'PUT' | 'POST' | '*';
  /** The path's segments after `/api/`: `:email` is a person's e-mail (checked), `:action` any one segment. */
  readonly pattern: string;
  readonly handler: (call: RouteCall) => Promise<HttpResult>;
}

/**
 * The first pattern that fits the path names the resource; its rows say which methods it takes (any other is a 405).
 * Every `admin/…` path is an administrator's only.
 */
const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: 'me', handler: myStatus },
  { method: 'PUT', pattern: 'me/sync', handler: switchMySync },
  { method: 'GET', pattern: 'me/preview', handler: myPreview },
  { method: 'GET', pattern: 'me/audit', handler: myAudit },
  { method: 'GET', pattern: 'admin/org', handler: showOrg },
  { method: 'PUT', pattern: 'admin/org', handler: setUpOrg },
  { method: 'PUT', pattern: 'admin/org/enabled', handler: switchIntegration },
  { method: 'GET', pattern: 'admin/activity-types', handler: activityTypes },
  { method: 'GET', pattern: 'admin/people', handler: everyonesStatus },
  { method: 'GET', pattern: 'admin/people/:email/audit', handler: personAudit },
  { method: 'POST', pattern: 'admin/people/:email/resync', handler: resyncPerson },
  { method: 'POST', pattern: 'admin/people/:email/hold', handler: decideHold },
  { method: 'POST', pattern: 'admin/people/:email/sync-off', handler: switchPersonOff },
  // S2: nobody switches sync on for someone else, administrators included.
  { method: '*', pattern: 'admin/people/:email/sync-on', handler: refuseSwitchingOn },
  { method: '*', pattern: 'admin/people/:email/sync', handler: refuseSwitchingOn },
  // Any other path of a person: its e-mail is checked all the same before the page is not found.
  { method: '*', pattern: 'admin/people/:email', handler: noSuchPage },
  { method: '*', pattern: 'admin/people/:email/:action', handler: noSuchPage },
];

async function route(
  deps: ConsoleApiDeps,
  request: ConsoleRequest,
  me: ConsoleIdentity,
  path: readonly string[],
): Promise<HttpResult> {
  if (path[0] === 'admin' && !me.admin) {
    deps.logger.warn('console request refused: not an administrator', { user: me.email });
    return error(403, 'Only an administrator of the integration can do this.');
  }
  const pattern = ROUTES.find((r) => fits(r.pattern, path))?.pattern;
  if (pattern === undefined) return error(404, 'No such page.');
  let email = '';
  const at = pattern.split('/').indexOf(':email');
  if (at !== -1) {
    email = decodeURIComponent(path[at] ?? '').toLowerCase();
    if (!EMAIL.test(email)) return error(400, 'That is not an e-mail address.');
  }
  const rows = ROUTES.filter((r) => r.pattern === pattern);
  const row = rows.find((r) => r.method === '*' || r.method === request.method);
  if (row === undefined) return error(405, `${rows.map((r) => r.method).join(', ')} only`);
  return row.handler({ deps, request, me, email });
}

function fits(pattern: string, path: readonly string[]): boolean {
  const parts = pattern.split('/');
  return parts.length === path.length && parts.every((part, i) => part.startsWith(':') || part === path[i]);
}

// ---- a person's own sync

async function myStatus({ deps, me }: RouteCall): Promise<HttpResult> {
  const [person, org] = await Promise.all([
    deps.operator.userStatus(me.email).catch((e: unknown) => {
      if (e instanceof OperatorError && e.code === 'user-not-found') return null;
      throw e;
    }),
    deps.operator.showOrg(),
  ]);
  return json(200, {
    email: me.email,
    admin: me.admin,
    person,
    integration: { setUp: org.config !== null, enabled: org.config?.enabled === true },
  });
}

async function switchMySync({ deps, request, me }: RouteCall): Promise<HttpResult> {
  const body = parseBody(syncBody, request.body);
  if (!body.ok) return body.result;
  if (body.value.enabled) {
    const result = await deps.operator.enableUser(me.email);
    deps.logger.info('console: sync switched on by the person', { user: result.user.severaUserGuid });
    return json(200, { enabled: true, alreadyEnabled: result.alreadyEnabled });
  }
  const result = await deps.operator.disableUser(me.email);
  return json(200, { enabled: false, wasEnabled: result.wasEnabled });
}

async function myPreview({ deps, me }: RouteCall): Promise<HttpResult> {
  return json(200, { preview: await deps.operator.previewUser(me.email) });
}

async function myAudit({ deps, me }: RouteCall): Promise<HttpResult> {
  return json(200, { entries: await deps.operator.auditTrail(me.email, 'own') });
}

// ---- the organisation (administrators)

async function showOrg({ deps }: RouteCall): Promise<HttpResult> {
  return json(200, { org: await deps.operator.showOrg() });
}

async function setUpOrg({ deps, request, me }: RouteCall): Promise<HttpResult> {
  const body = parseBody(orgSetupBody, request.body);
  if (!body.ok) return body.result;
  const { p12Base64, p12Password, ...input } = body.value;
  const result = await deps.operator.setupOrg({
    ...input,
    p12: Buffer.from(p12Base64, 'base64'),
    ...(p12Password === undefined || p12Password === '' ? {} : { p12Password }),
  });
  deps.logger.info('console: organisation set up', { by: me.email, enabled: result.config.enabled });
  return json(200, { org: await deps.operator.showOrg(), savedSecrets: result.savedSecrets });
}

async function switchIntegration({ deps, request, me }: RouteCall): Promise<HttpResult> {
  const body = parseBody(enabledBody, request.body);
  if (!body.ok) return body.result;
  await deps.operator.setOrgEnabled(body.value.enabled);
  deps.logger.info('console: integration switched', { by: me.email, enabled: body.value.enabled });
  return json(200, { org: await deps.operator.showOrg() });
}

async function activityTypes({ deps }: RouteCall): Promise<HttpResult> {
  const types = await deps.activityTypes();
  return json(200, {
    types: types
      .filter((t) => t.isActive)
      .map((t) => ({
        guid: t.guid,
        name: t.name,
        category: t.category,
        isProjectTask: t.category === 'Task',
      })),
  });
}

// ---- people (administrators)

async function everyonesStatus({ deps, request }: RouteCall): Promise<HttpResult> {
  const state = typeof request.query.state === 'string' ? request.query.state : undefined;
  const people = await deps.operator.listStatuses();
  return json(200, { people: state === undefined ? people : people.filter((p) => p.state === state) });
}

async function personAudit({ deps, me, email }: RouteCall): Promise<HttpResult> {
  return json(200, {
    entries: await deps.operator.auditTrail(email, email === me.email ? 'own' : 'administrator'),
  });
}

async function resyncPerson({ deps, request, email }: RouteCall): Promise<HttpResult> {
  const body = parseBody(resyncBody, request.body);
  if (!body.ok) return body.result;
  return json(200, { resync: await deps.operator.resync(email, { full: body.value.full ?? false }) });
}

async function decideHold({ deps, request, me, email }: RouteCall): Promise<HttpResult> {
  const body = parseBody(holdBody, request.body);
  if (!body.ok) return body.result;
  return json(200, {
    hold: await deps.operator.decideHold(email, body.value.decision, `console:${me.email}`),
  });
}

async function switchPersonOff({ deps, me, email }: RouteCall): Promise<HttpResult> {
  const result = await deps.operator.disableUser(email);
  deps.logger.info('console: sync switched off by an administrator', { by: me.email });
  return json(200, { enabled: false, wasEnabled: result.wasEnabled });
}

function refuseSwitchingOn(): Promise<HttpResult> {
  return Promise.resolve(error(403, 'Each person switches sync on for themselves.'));
}

function noSuchPage(): Promise<HttpResult> {
  return Promise.resolve(error(404, 'No such page.'));
}

/**
 * The console's sign-in check: a Google ID token for the console's OAuth client, from the organisation's Workspace
 * domain (`hd`) with a verified e-mail. Administrators are the configured e-mails.
 */
export function consoleAuthenticator(
  verify: (
    token: string,
  ) => Promise<
    | { readonly ok: true; readonly payload: { email?: string; email_verified?: boolean; hd?: string } }
    | { readonly ok: false; readonly reason: string }
  >,
  settings: { readonly domain: string; readonly admins: readonly string[] } | null,
): (authorization: string | undefined) => Promise<ConsoleAuthCheck> {
  return async (authorization) => {
    if (settings === null) {
      return { ok: false, reason: 'sign-in is not configured (CONSOLE_CLIENT_ID, WORKSPACE_DOMAIN)' };
    }
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match?.[1]) return { ok: false, reason: 'no token' };
    const check = await verify(match[1]);
    if (!check.ok) return { ok: false, reason: check.reason };
    const { email, email_verified: verified, hd } = check.payload;
    if (email === undefined || verified !== true) return { ok: false, reason: 'e-mail not verified' };
    if (hd?.toLowerCase() !== settings.domain) return { ok: false, reason: 'not of the organisation' };
    const address = email.toLowerCase();
    return { ok: true, identity: { email: address, admin: settings.admins.includes(address) } };
  };
}

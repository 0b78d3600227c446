/**
 * Google's OpenID Connect authorization endpoint as far as the console's sign-in uses it: the implicit flow with
 * `response_type=id_token` (Google's discovery document lists it; OpenID Connect Core §3.2). The console's page sends
 * the browser to `GET /o/oauth2/v2/auth?client_id&redirect_uri&response_type=id_token&scope=openid email&nonce&state`,
 * the person picks an account, and the browser comes back to `redirect_uri#id_token=…&state=…` (or
 * `#error=access_denied&state=…` when they cancel). Here the person picks from the seeded directory on a plain HTML
 * page ("Choose an account"), with no password: the simulator is the local stack's identity provider.
 *
 * What Google checks and this does too: the parameters (an error page, never a redirect, when the request itself is
 * wrong), and the redirect address. Google compares it with the OAuth client's registered redirect URIs; the
 * simulator has no client registry, so it accepts loopback addresses only (`http://127.0.0.1:<port>/…`,
 * `http://localhost:<port>/…`): a token is never sent anywhere off this machine.
 */
import { z } from 'zod';

/** The path of Google's authorization endpoint (`https://accounts.google.com/o/oauth2/v2/auth`). */
export const AUTHORIZE_PATH = '/o/oauth2/v2/auth';
/** Where the account chooser's links go: the person picked `account` (or cancelled). */
export const AUTHORIZE_CHOOSE_PATH = '/o/oauth2/v2/auth/choose';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An authentication request, as Google reads its query. */
export const authorizeRequestSchema = z.object({
  client_id: z.string().min(1, 'client_id is required').max(256),
  redirect_uri: z
    .string()
    .min(1, 'redirect_uri is required')
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.hash === '';
      } catch {
        return false;
      }
    }, 'redirect_uri_mismatch: the simulator sends sign-ins back to loopback addresses only'),
  response_type: z.literal('id_token', {
    error: 'unsupported_response_type: the simulator signs in with response_type=id_token only',
  }),
  scope: z
    .string()
    .refine((s) => s.split(' ').includes('openid'), 'invalid_scope: scope must include openid'),
  nonce: z.string().min(1, 'nonce is required with response_type=id_token').max(512),
  state: z.string().max(1024).optional(),
  /** Only accounts of this Workspace domain are offered. */
  hd: z.string().max(253).optional(),
  login_hint: z.string().max(320).optional(),
  prompt: z.string().max(64).optional(),
});
export type AuthorizeRequest = z.infer<typeof authorizeRequestSchema>;

/** The query of the request, validated; the problem in words otherwise. */
export function parseAuthorizeRequest(
  query: URLSearchParams,
): { ok: true; request: AuthorizeRequest } | { ok: false; problem: string } {
  const parsed = authorizeRequestSchema.safeParse(Object.fromEntries(query.entries()));
  if (parsed.success) return { ok: true, request: parsed.data };
  const problems = parsed.error.issues.map((i) =>
    i.code === 'invalid_type' ? `invalid_request: ${i.path.join('.')} is required` : i.message,
  );
  return { ok: false, problem: problems.join('; ') };
}

/** Where the browser goes back to: the redirect address with the answer in its fragment. */
export function redirectWith(request: AuthorizeRequest, answer: Readonly<Record<string, string>>): string {
  const fragment = new URLSearchParams({
    ...answer,
    ...(request.state === undefined ? {} : { state: request.state }),
  });
  return `${request.redirect_uri}#${fragment.toString()}`;
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}',
    'li{margin:.5rem 0}a{display:block;padding:.6rem .8rem;border:1px solid #bbb;border-radius:.4rem}',
    '.note{color:#555;font-size:.875rem}</style>',
    `</head><body><main>${body}</main></body></html>`,
  ].join('');
}

/** The account chooser: one link per person of the directory (of the `hd` domain when asked), and Cancel. */
export function chooserPage(
  request: AuthorizeRequest,
  people: readonly { readonly email: string; readonly name: string | undefined }[],
  domain: string,
): string {
  const offered = request.hd === undefined || request.hd === domain ? people : [];
  const choose = (email: string) => {
    const query = new URLSearchParams({ ...request, account: email });
    return `${AUTHORIZE_CHOOSE_PATH}?${query.toString()}`;
  };
  const items = offered
    .map(
      (p) =>
        `<li><a href="${escapeHtml(choose(p.email))}">${escapeHtml(p.name ?? p.email)} &lt;${escapeHtml(p.email)}&gt;</a></li>`,
    )
    .join('');
  const cancel = redirectWith(request, { error: 'access_denied' });
  return page(
    'Sign in - Google Accounts (calendar simulator)',
    [
      '<h1>Choose an account</h1>',
      offered.length === 0
        ? `<p>No account of ${escapeHtml(request.hd ?? domain)} signs in here.</p>`
        : `<ul>${items}</ul>`,
      `<p><a href="${escapeHtml(cancel)}">Cancel</a></p>`,
      '<p class="note">The calendar simulator plays Google\'s sign-in on the local stack: no password is asked. ',
      `The token is for the OAuth client ${escapeHtml(request.client_id)}.</p>`,
    ].join(''),
  );
}

/** What Google shows when the request itself is wrong: an error page, and the browser stays with Google. */
export function errorPage(problem: string): string {
  return page(
    'Error 400 - Google Accounts (calendar simulator)',
    `<h1>Access blocked: this request is invalid</h1><p>Error 400: ${escapeHtml(problem)}</p>`,
  );
}

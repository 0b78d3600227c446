// The console page (issue 11, SPEC §2): a person's own calendar sync, and for administrators everyone's health,
// the organisation settings and the audit trail. Plain JavaScript, no framework, no build step; it talks only to
// the console's JSON API on this origin (shared/app/console-api.ts is the contract) and loads nothing from anywhere
// else, so it runs under the function's CSP (`script-src 'self'; connect-src 'self'`). Every value from the API is
// put into the page as text (textContent), never as HTML.

const API = new URL('api/', document.baseURI);
const TOKEN_KEY = 'console.idToken';
/** The sign-in under way (state, nonce, the panel to return to), kept while the browser is with Google. */
const SIGN_IN_KEY = 'console.signIn';
const HEALTH_REFRESH_MS = 10_000;
const P12_MAX_BYTES = 16 * 1024;
const RECENT_CHANGES = 10;

const STATE_WORDS = {
  off: 'Off',
  initial: 'First sync pending',
  healthy: 'Healthy',
  error: 'Error',
  held: 'Deletions held',
};

const KIND_WORDS = {
  'create-google': 'Created in Google',
  'create-severa': 'Created in Severa',
  'join-severa': 'Joined a Severa activity',
  update: 'Updated',
  'delete-google': 'Deleted in Google',
  'delete-severa': 'Deleted in Severa',
  release: 'Released',
  unlink: 'Unlinked',
  'hold-confirm': 'Held deletions confirmed',
  'hold-reject': 'Held deletions rejected (entries restored)',
};

const HOLD_REASONS = {
  'too-many-deletions': 'many deletions at once',
  'google-listing-empty': 'the Google calendar looked empty',
};

/** What the page knows; changed only through the functions below. */
const state = {
  token: null,
  config: null,
  me: null,
  panel: 'me',
  healthTimer: null,
  people: [],
  org: null,
  p12Base64: null,
  audit: { email: null, entries: [] },
  previewShown: false,
};

// ---- small DOM helpers ------------------------------------------------------------------------------------------

const $ = (id) => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found;
};

/** An element with attributes and children (strings become text nodes). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'text') element.textContent = String(value);
    else if (name === 'onClick') element.addEventListener('click', value);
    else if (name === 'className') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

const asked = new Map();

/**
 * Numbers the loads of one kind: the returned check is false once a newer load was asked for, so an older answer
 * that arrives late (another person picked, another filter chosen) never replaces a newer one.
 */
function ticket(kind) {
  const number = (asked.get(kind) ?? 0) + 1;
  asked.set(kind, number);
  return () => asked.get(kind) === number;
}

function show(element, visible) {
  element.hidden = !visible;
}

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Gives each cell its column's name, so a narrow screen can show a row as a labelled card (style.css). */
function labelled(table) {
  const names = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  for (const row of table.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, i) => cell.setAttribute('data-label', names[i] ?? ''));
  }
  return table;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** "3 Dec 2026, 10:00 (5 min ago)" in the browser's zone; "never" for null. */
function when(iso, never = 'never') {
  if (iso === null || iso === undefined) return never;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return String(iso);
  const seconds = Math.round((Date.now() - at.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const amount =
    abs < 60
      ? plural(abs, 'second')
      : abs < 3600
        ? plural(Math.round(abs / 60), 'minute')
        : abs < 86_400 * 2
          ? plural(Math.round(abs / 3600), 'hour')
          : plural(Math.round(abs / 86_400), 'day');
  const relative = abs < 5 ? 'just now' : seconds >= 0 ? `${amount} ago` : `in ${amount}`;
  return `${dateTime.format(at)} (${relative})`;
}

/** A message in the status line (read out by screen readers); errors go to the alert box instead. */
function notify(message) {
  $('notice').textContent = message;
}

function fail(message) {
  const box = $('failure');
  box.textContent = message;
  show(box, message !== '');
}

// ---- the API ----------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.code = body?.code ?? null;
    this.body = body;
  }
}

/** One call to the console's API with the person's token; an answer other than 2xx is thrown as an ApiError. */
async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (state.token !== null) headers.authorization = `Bearer ${state.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(new URL(path, API), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The console could not be reached: check the connection and try again.', null);
  }
  // Every answer of the API is JSON; anything else (a proxy's page) counts as no answer.
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message =
      typeof data?.error === 'string'
        ? data.error
        : `The console answered ${response.status} without a reason.`;
    if (response.status === 401 && state.token !== null) {
      signOut('Your sign-in has expired or was not accepted: sign in again.');
    }
    throw new ApiError(response.status, message, data);
  }
  return data;
}

/** Runs an action and shows its failure in words; returns undefined when it failed. */
async function attempt(action) {
  try {
    const result = await action();
    fail('');
    return result;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    fail(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

// ---- sign-in ----------------------------------------------------------------------------------------------------

function savedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function keepToken(token) {
  state.token = token;
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage switched off: the token stays in memory for this page only.
  }
}

function showSignIn() {
  const config = state.config;
  show($('app'), false);
  show($('who'), false);
  show($('sign-in'), true);
  const google = config !== null && config.clientId !== null && config.authorizeUrl !== null;
  show($('google-sign-in'), google);
  show($('google-not-configured'), !google);
  const demo = config !== null && config.demoSignIn === true;
  show($('demo-sign-in'), demo);
  const list = $('demo-people');
  list.replaceChildren(
    ...(demo ? config.demoPeople : []).map((email) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', className: 'primary', onClick: () => demoSignIn(email) },
          `Sign in as ${email}`,
        ),
      ),
    ),
  );
}

/** An unguessable value for `state` and `nonce` (OpenID Connect Core §3.2.2.1). */
function randomValue() {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** This page's own address, without query or fragment: the redirect URI registered on the OAuth client. */
function redirectUri() {
  return new URL('./', location.href).href;
}

/**
 * Google sign-in without any script of Google's (the CSP allows none): the OpenID Connect implicit flow. The browser
 * goes to the authorization endpoint and comes back here with the ID token in the address's fragment, which no
 * server sees; `state` ties the answer to this tab, `nonce` the token to this sign-in.
 */
function googleSignIn() {
  const config = state.config;
  const wanted = location.hash.slice(1);
  const panel = PANELS.includes(wanted) ? wanted : state.panel;
  const pending = { state: randomValue(), nonce: randomValue(), panel };
  try {
    sessionStorage.setItem(SIGN_IN_KEY, JSON.stringify(pending));
  } catch {
    fail('This browser keeps no session storage for this page, which sign-in needs: allow it and try again.');
    return;
  }
  const url = new URL(config.authorizeUrl);
  const query = {
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    response_type: 'id_token',
    scope: 'openid email profile',
    nonce: pending.nonce,
    state: pending.state,
    prompt: 'select_account',
    ...(config.domain === null ? {} : { hd: config.domain }),
  };
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  location.assign(url.href);
}

/** The claims of an ID token, read without checking it (the server checks it on every call). */
function claimsOf(token) {
  const part = token.split('.')[1] ?? '';
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) =>
    c.charCodeAt(0),
  );
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * The way back from Google: `#id_token=…&state=…` (or `#error=…`). The fragment leaves the address at once; an
 * answer to a sign-in this tab did not start, or a token for another sign-in, is refused.
 */
function takeSignInAnswer() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (!fragment.has('id_token') && !fragment.has('error')) return null;
  history.replaceState(null, '', location.pathname + location.search);
  let pending;
  try {
    pending = JSON.parse(sessionStorage.getItem(SIGN_IN_KEY) ?? 'null');
    sessionStorage.removeItem(SIGN_IN_KEY);
  } catch {
    pending = null;
  }
  if (pending === null || fragment.get('state') !== pending.state) {
    return { error: 'That sign-in was not started from this page, so it was not used: sign in again.' };
  }
  const error = fragment.get('error');
  if (error !== null) {
    return {
      error:
        error === 'access_denied'
          ? 'Sign-in was cancelled.'
          : `Google did not sign you in (${error}): try again, or ask your administrator.`,
    };
  }
  const token = fragment.get('id_token') ?? '';
  let nonce;
  try {
    nonce = claimsOf(token).nonce ?? null;
  } catch {
    nonce = null;
  }
  if (nonce !== pending.nonce) {
    return { error: 'The sign-in answer was not for this sign-in, so it was not used: sign in again.' };
  }
  return { token, panel: pending.panel };
}

async function demoSignIn(email) {
  const answer = await attempt(() => api('POST', 'demo/sign-in', { email }));
  if (answer === undefined) return;
  keepToken(answer.idToken);
  notify('');
  await enter();
}

function signOut(reason = '') {
  keepToken(null);
  stopHealthRefresh();
  state.me = null;
  state.people = [];
  state.org = null;
  state.p12Base64 = null;
  state.previewShown = false;
  $('org-form').reset();
  notify(reason);
  showSignIn();
}

/** After a sign-in (or with a token kept from earlier): who am I, and the console for that person. */
async function enter() {
  const me = await attempt(() => api('GET', 'me'));
  if (me === undefined) {
    if (state.token === null) showSignIn();
    return;
  }
  state.me = me;
  show($('sign-in'), false);
  show($('who'), true);
  $('who-email').textContent = me.email;
  $('who-role').textContent = me.admin ? ' (administrator)' : '';
  for (const id of ['tab-health', 'tab-settings']) show($(id), me.admin);
  if (!me.admin) {
    show($('panel-health'), false);
    show($('panel-settings'), false);
  }
  show($('app'), true);
  const wanted = location.hash.replace('#', '');
  await select(panelAllowed(wanted) ? wanted : 'me', { focus: false });
}

// ---- tabs -------------------------------------------------------------------------------------------------------

const PANELS = ['me', 'health', 'settings', 'audit'];
const ADMIN_PANELS = new Set(['health', 'settings']);

function panelAllowed(panel) {
  return PANELS.includes(panel) && (!ADMIN_PANELS.has(panel) || state.me?.admin === true);
}

function visibleTabs() {
  return PANELS.filter(panelAllowed).map((p) => $(`tab-${p}`));
}

async function select(panel, { focus = true } = {}) {
  if (!panelAllowed(panel)) panel = 'me';
  // A message about something done on another section does not follow the person around.
  if (panel !== state.panel) notify('');
  state.panel = panel;
  for (const p of PANELS) {
    const tab = $(`tab-${p}`);
    const selected = p === panel;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    show($(`panel-${p}`), selected && panelAllowed(p));
  }
  if (location.hash !== `#${panel}`) history.replaceState(null, '', `#${panel}`);
  if (focus) $(`tab-${panel}`).focus();
  if (panel === 'health') startHealthRefresh();
  else stopHealthRefresh();
  if (panel === 'me') await loadMe();
  if (panel === 'health') await loadHealth();
  if (panel === 'settings') await loadSettings();
  if (panel === 'audit') await loadAudit();
}

function onTabKey(event) {
  const tabs = visibleTabs();
  const index = tabs.indexOf(event.target);
  if (index < 0) return;
  const next = {
    ArrowRight: tabs[(index + 1) % tabs.length],
    ArrowLeft: tabs[(index - 1 + tabs.length) % tabs.length],
    Home: tabs[0],
    End: tabs[tabs.length - 1],
  }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  void select(next.dataset.panel);
}

// ---- My calendar sync -------------------------------------------------------------------------------------------

async function loadMe() {
  const current = ticket('me');
  const me = await attempt(() => api('GET', 'me'));
  if (me === undefined || !current()) return;
  state.me = me;
  renderMe();
  if (me.person !== null && me.person.enabled) {
    await loadRecentChanges();
    // Before the first run has completed, what it is about to do.
    if (me.person.lastSuccessAt === null && me.person.state === 'initial' && !state.previewShown)
      await showPreview();
  } else {
    show($('me-changes'), false);
  }
}

function renderMe() {
  const { person, integration } = state.me;
  const toggle = $('sync-toggle');
  const note = $('sync-toggle-note');
  const noUser = $('me-no-user');
  show($('me-controls'), person !== null);
  if (person === null) {
    noUserMessage();
    show($('me-status'), false);
    show($('me-preview'), false);
    return;
  }
  show(noUser, false);
  const on = person.enabled;
  toggle.setAttribute('aria-checked', String(on));
  $('sync-toggle-state').textContent = on ? 'On' : 'Off';
  $('sync-toggle-state').className = `badge ${on ? 'badge-good' : 'badge-off'}`;
  let disabled = false;
  let sentence;
  if (!integration.setUp) {
    disabled = true;
    sentence =
      'The integration is not set up yet, so sync cannot be switched on: an administrator saves the organisation settings first.';
  } else if (!integration.enabled && !on) {
    disabled = true;
    sentence =
      'The integration is switched off by an administrator, so sync cannot be switched on now. Ask them when it will be back.';
  } else if (!integration.enabled) {
    sentence =
      'The integration is switched off by an administrator: nothing syncs until it is switched on again. You can still switch your own sync off.';
  } else if (on) {
    sentence =
      'Your Severa activities appear in your Google calendar and your Google events in Severa. Switching off keeps what is already there.';
  } else {
    sentence = 'Switching on first shows what the first sync will do; nothing changes until you confirm.';
  }
  toggle.disabled = disabled;
  toggle.setAttribute('aria-disabled', String(disabled));
  note.textContent = sentence;
  note.className = disabled ? 'note note-warn' : 'note';
  if (on) {
    show($('me-preview-actions'), false);
    if (person.lastSuccessAt !== null) show($('me-preview'), false);
  } else if (!state.previewShown) {
    show($('me-preview'), false);
  }
  renderMyStatus(person);
}

function noUserMessage() {
  const box = $('me-no-user');
  box.textContent = `Your e-mail ${state.me.email} matches no active Severa user, so there is nothing to sync. People are matched by e-mail: ask a Severa administrator to give your Severa user the same e-mail as your Google account (Settings → Users).`;
  show(box, true);
  show($('me-controls'), false);
  show($('me-preview'), false);
  show($('me-status'), false);
  show($('me-changes'), false);
}

function renderMyStatus(person) {
  const facts = [
    ['State', stateBadge(person.state)],
    ['Last successful sync', when(person.lastSuccessAt)],
    ['Message', person.message ?? '—'],
  ];
  if (person.pendingRetries > 0)
    facts.push(['Waiting to be retried', plural(person.pendingRetries, 'entry', 'entries')]);
  if (person.behindSince !== null) {
    facts.push([
      'Behind',
      `No complete sync since ${when(person.behindSince)}; an administrator has been told.`,
    ]);
  }
  if (person.hold !== null) facts.push(['Deletions held', holdWords(person.hold)]);
  $('me-status-facts').replaceChildren(
    ...facts.flatMap(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]),
  );
  show($('me-status'), true);
}

function stateBadge(value) {
  return h('span', { className: `badge badge-${value}`, text: STATE_WORDS[value] ?? value });
}

function holdWords(hold) {
  const decided =
    hold.decision === null
      ? 'an administrator decides whether they go ahead'
      : `${hold.decision.kind === 'confirm' ? 'confirmed' : 'rejected'} by ${hold.decision.by} ${when(hold.decision.at)}`;
  return `${plural(hold.deletions, 'deletion')} held since ${when(hold.since)} (${HOLD_REASONS[hold.reason] ?? hold.reason}): ${decided}.`;
}

/** What a hold would delete, folded away under its count (B3: the administrator decides knowing what goes). */
function heldItems(hold, open) {
  if (hold.items.length === 0) return '';
  const more = hold.deletions - hold.items.length;
  return h(
    'details',
    { className: 'held-items', open },
    h('summary', { text: 'What would be deleted' }),
    h(
      'ul',
      { className: 'plain' },
      hold.items.map((item) =>
        h(
          'li',
          {},
          h('span', { className: 'entry-title', text: item.title === '' ? '(No title)' : item.title }),
          `${item.date === null ? '' : ` · ${item.date}`} · from ${item.from === 'google' ? 'Google' : 'Severa'}`,
        ),
      ),
      more > 0
        ? h('li', { className: 'muted', text: `and ${plural(more, 'more entry', 'more entries')}` })
        : '',
    ),
  );
}

async function onSyncToggle() {
  const person = state.me?.person;
  if (!person) return;
  if (person.enabled) {
    const answer = await attempt(() => api('PUT', 'me/sync', { enabled: false }));
    if (answer === undefined) return;
    state.previewShown = false;
    notify(
      'Your sync is switched off. What is already in both calendars stays; switching on again resumes without duplicates.',
    );
    await loadMe();
    return;
  }
  await showPreview({ confirm: true });
}

/** The dry run of the first sync (B1): counts and examples; with `confirm`, the button that switches sync on. */
async function showPreview({ confirm = false } = {}) {
  const box = $('me-preview');
  const body = $('me-preview-body');
  state.previewShown = true;
  show(box, true);
  show($('me-preview-loading'), true);
  show($('me-preview-actions'), false);
  body.replaceChildren();
  let answer;
  try {
    answer = await api('GET', 'me/preview');
    fail('');
  } catch (error) {
    show($('me-preview-loading'), false);
    if (error instanceof ApiError && error.code === 'user-not-found') {
      noUserMessage();
      return;
    }
    if (error instanceof ApiError && error.status === 401) return;
    body.replaceChildren(h('p', { className: 'problem', text: error.message }));
    return;
  }
  show($('me-preview-loading'), false);
  const { preview, problems, firstSync } = answer.preview;
  $('me-preview-title').textContent = firstSync
    ? 'What your first sync will do'
    : 'What your next sync will do';
  const parts = [
    h(
      'p',
      { className: 'preview-counts', id: 'preview-counts' },
      `${preview.createInGoogle} to create in Google, ${preview.createInSevera} in Severa, ${preview.matched} matched`,
    ),
  ];
  const examples = [
    ['New in Google', preview.examples.createInGoogle],
    ['New in Severa', preview.examples.createInSevera],
    ['Found on both sides and linked (no copy made)', preview.examples.matched],
  ].filter(([, titles]) => titles.length > 0);
  if (examples.length > 0) {
    parts.push(
      h(
        'dl',
        { className: 'facts' },
        examples.flatMap(([term, titles]) => [
          h('dt', { text: term }),
          h('dd', { text: `${titles.join(', ')}${titles.length >= 5 ? ', …' : ''}` }),
        ]),
      ),
    );
  }
  const changes = [
    [preview.updateGoogle, 'to update in Google'],
    [preview.updateSevera, 'to update in Severa'],
    [preview.deleteInGoogle, 'to delete in Google'],
    [preview.deleteInSevera, 'to delete in Severa'],
  ].filter(([n]) => n > 0);
  if (changes.length > 0)
    parts.push(h('p', { text: `Also ${changes.map(([n, what]) => `${n} ${what}`).join(', ')}.` }));
  const leftOut = Object.entries(preview.leftOut ?? {}).filter(([, n]) => n > 0);
  if (leftOut.length > 0) {
    parts.push(
      h('p', {
        className: 'muted',
        text: `Left out of Severa (not calendar entries): ${leftOut.map(([kind, n]) => `${n} ${kind}`).join(', ')}.`,
      }),
    );
  }
  if (preview.held !== null) {
    parts.push(
      h('p', {
        className: 'note-warn',
        text: `${plural(preview.held.deletions, 'deletion')} would be held for an administrator's decision (${HOLD_REASONS[preview.held.reason] ?? preview.held.reason}).`,
      }),
    );
  }
  if (problems.length > 0) {
    parts.push(
      h('p', { text: 'What the sync could not do:' }),
      h(
        'ul',
        {},
        problems.map((p) => h('li', { text: p })),
      ),
    );
  }
  body.replaceChildren(...parts);
  show($('me-preview-actions'), confirm && !answer.preview.enabled);
}

async function onPreviewConfirm() {
  const button = $('preview-confirm');
  button.disabled = true;
  const answer = await attempt(() => api('PUT', 'me/sync', { enabled: true }));
  button.disabled = false;
  if (answer === undefined) return;
  show($('me-preview-actions'), false);
  notify(
    'Your sync is switched on. The first sync runs within a minute; this page shows when it has finished.',
  );
  await loadMe();
  $('sync-toggle').focus();
}

function onPreviewCancel() {
  state.previewShown = false;
  show($('me-preview'), false);
  $('sync-toggle').focus();
}

async function loadRecentChanges() {
  const answer = await attempt(() => api('GET', 'me/audit'));
  if (answer === undefined) return;
  const recent = answer.entries.slice(0, RECENT_CHANGES);
  $('me-changes-body').replaceChildren(
    recent.length === 0
      ? h('p', { className: 'muted', text: 'The sync has not changed anything yet.' })
      : auditTable(recent),
  );
  show($('me-changes'), true);
}

// ---- Audit ------------------------------------------------------------------------------------------------------

/** A list of short lines, or a dash when there are none. */
function lines(items) {
  return items.length === 0
    ? '—'
    : h(
        'ul',
        { className: 'plain' },
        items.map((text) => h('li', { text })),
      );
}

function auditTable(entries) {
  return labelled(
    h(
      'table',
      { className: 'audit-table' },
      h('caption', { className: 'visually-hidden', text: 'Changes made by the sync, newest first' }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['When', 'Entry', 'What and why', 'Changes applied', 'Severa activity / Google event'].map((t) =>
            h('th', { scope: 'col', text: t }),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        entries.map((e) =>
          h(
            'tr',
            {},
            h('td', { text: when(e.at) }),
            h(
              'td',
              {},
              h('span', { className: 'entry-title', text: e.title === '' ? '—' : e.title }),
              e.date === null ? '' : h('span', { className: 'muted block', text: e.date }),
            ),
            h(
              'td',
              {},
              h('span', { className: 'block', text: KIND_WORDS[e.kind] ?? e.kind }),
              h('span', { className: 'muted block', text: e.why }),
            ),
            h('td', {}, lines([...e.changes, ...e.decisions])),
            h(
              'td',
              { className: 'id' },
              h('span', { className: 'block', text: e.severaGuid ?? '—' }),
              h('span', { className: 'block', text: e.googleId ?? '—' }),
            ),
          ),
        ),
      ),
    ),
  );
}

async function loadAudit() {
  const picker = $('audit-person');
  const admin = state.me?.admin === true;
  show($('audit-person-field'), admin);
  if (admin) {
    const answer = await attempt(() => api('GET', 'admin/people'));
    if (answer !== undefined) state.people = answer.people;
    const emails = [...new Set([state.me.email, ...state.people.map((p) => p.email)])];
    const chosen = state.audit.email ?? state.me.email;
    picker.replaceChildren(
      ...emails.map((email) =>
        h('option', {
          value: email,
          selected: email === chosen,
          text: email === state.me.email ? `${email} (me)` : email,
        }),
      ),
    );
  }
  await loadAuditOf(admin ? picker.value || state.me.email : state.me.email);
}

async function loadAuditOf(email) {
  const mine = email === state.me.email;
  const path = mine ? 'me/audit' : `admin/people/${encodeURIComponent(email)}/audit`;
  const current = ticket('audit');
  const answer = await attempt(() => api('GET', path));
  if (answer === undefined || !current()) return;
  state.audit = { email, entries: answer.entries };
  renderAudit();
}

function renderAudit() {
  const text = $('audit-text').value.trim().toLowerCase();
  const from = $('audit-from').value;
  const to = $('audit-to').value;
  const fromMs = from === '' ? -Infinity : new Date(`${from}T00:00:00`).getTime();
  // The "to" day is included: up to the next local midnight.
  const toMs = to === '' ? Infinity : new Date(`${to}T00:00:00`).getTime() + 86_400_000;
  const all = state.audit.entries;
  const shown = all.filter((e) => {
    const at = new Date(e.at).getTime();
    if (at < fromMs || at >= toMs) return false;
    if (text === '') return true;
    return [
      e.title,
      e.date ?? '',
      e.kind,
      KIND_WORDS[e.kind] ?? '',
      e.why,
      e.severaGuid ?? '',
      e.googleId ?? '',
      ...e.changes,
      ...e.decisions,
    ]
      .join('\n')
      .toLowerCase()
      .includes(text);
  });
  const whose = state.audit.email === state.me.email ? 'your entries' : `the entries of ${state.audit.email}`;
  $('audit-count').textContent =
    all.length === 0
      ? `Nothing recorded for ${whose} yet.`
      : shown.length === all.length
        ? `${plural(all.length, 'change')} to ${whose}.`
        : `${shown.length} of ${plural(all.length, 'change')} to ${whose} match the filter.`;
  $('audit-body').replaceChildren(
    shown.length === 0
      ? h('p', { className: 'muted', text: all.length === 0 ? '' : 'No change matches the filter.' })
      : auditTable(shown),
  );
}

// ---- Health (administrators) ------------------------------------------------------------------------------------

function startHealthRefresh() {
  if (state.healthTimer !== null) return;
  state.healthTimer = setInterval(() => {
    if (document.visibilityState === 'visible' && state.panel === 'health') void loadHealth();
  }, HEALTH_REFRESH_MS);
}

function stopHealthRefresh() {
  if (state.healthTimer !== null) clearInterval(state.healthTimer);
  state.healthTimer = null;
}

async function loadHealth() {
  const filter = $('health-state').value;
  const current = ticket('health');
  const answer = await attempt(() =>
    api('GET', filter === '' ? 'admin/people' : `admin/people?state=${encodeURIComponent(filter)}`),
  );
  if (answer === undefined || !current()) return;
  if (filter === '') state.people = answer.people;
  renderHealth(answer.people, filter);
  $('health-updated').textContent = `Updated ${timeOnly.format(new Date())}.`;
}

function renderHealth(people, filter) {
  const body = $('health-body');
  // Re-rendering every 10 s must not take the keyboard focus away: it goes back to the same control.
  const focused =
    document.activeElement instanceof HTMLElement ? document.activeElement.dataset.focusKey : undefined;
  // Nor close a hold's list the administrator opened (the buttons beside it would move under their pointer).
  const opened = new Set(
    [...body.querySelectorAll('tr[data-email] details.held-items[open]')].map(
      (d) => d.closest('tr')?.dataset.email,
    ),
  );
  if (people.length === 0) {
    body.replaceChildren(
      h('p', {
        className: 'muted',
        id: 'health-empty',
        text:
          filter === ''
            ? 'Nobody has switched sync on yet.'
            : `Nobody is in the state “${$('health-state').selectedOptions[0]?.textContent ?? filter}”.`,
      }),
    );
    return;
  }
  body.replaceChildren(
    labelled(
      h(
        'table',
        { className: 'health-table' },
        h('caption', { className: 'visually-hidden', text: 'Sync health of every person' }),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Person', 'State', 'Reason', 'Last success', 'Deletions held', 'Actions'].map((t) =>
              h('th', { scope: 'col', text: t }),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          people.map((p) => healthRow(p, opened)),
        ),
      ),
    ),
  );
  if (focused !== undefined) {
    const again = body.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`);
    if (again instanceof HTMLElement) again.focus();
  }
}

function healthRow(p, opened) {
  const reason = [p.message, p.behindSince !== null ? `Behind since ${when(p.behindSince)}.` : null]
    .filter(Boolean)
    .join(' ');
  const actions = [];
  if (p.hold !== null && p.hold.decision === null) {
    actions.push(
      actionButton(
        p.email,
        'hold-reject',
        'Release (restore)',
        `Release the held deletions of ${p.email}: the deleted entries are restored`,
        () => decideHold(p.email, 'reject'),
      ),
      actionButton(
        p.email,
        'hold-confirm',
        'Confirm deletions',
        `Confirm the ${p.hold.deletions} held deletions of ${p.email}`,
        () => decideHold(p.email, 'confirm'),
      ),
    );
  }
  if (p.enabled) {
    actions.push(
      actionButton(p.email, 'resync', 'Resync', `Resync ${p.email} now`, () => resync(p.email)),
      switchOffButton(p.email),
    );
  }
  return h(
    'tr',
    { 'data-email': p.email },
    h('th', { scope: 'row', text: p.email }),
    h('td', {}, stateBadge(p.state)),
    h('td', { text: reason === '' ? '—' : reason }),
    h(
      'td',
      {},
      h('span', { className: 'block', text: when(p.lastSuccessAt) }),
      h('span', {
        className: 'muted block',
        text:
          p.pendingRetries === 0
            ? 'no retries pending'
            : `${plural(p.pendingRetries, 'retry', 'retries')} pending`,
      }),
      h('span', {
        className: 'muted block',
        text:
          p.channelExpiresAt === null ? 'no push channel' : `push channel until ${when(p.channelExpiresAt)}`,
      }),
    ),
    h(
      'td',
      {},
      p.hold === null
        ? '—'
        : [h('span', { text: holdWords(p.hold) }), heldItems(p.hold, opened.has(p.email))],
    ),
    h('td', {}, actions.length === 0 ? '—' : h('div', { className: 'row-actions' }, actions)),
  );
}

function actionButton(email, key, label, description, run) {
  return h(
    'button',
    {
      type: 'button',
      'data-focus-key': `${key}:${email}`,
      'aria-label': description,
      onClick: async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        await run();
        button.disabled = false;
      },
    },
    label,
  );
}

/** Switching someone off needs a second click: only the person can switch it on again (S2). */
function switchOffButton(email) {
  let armed = null;
  const button = h(
    'button',
    {
      type: 'button',
      className: 'danger',
      'data-focus-key': `sync-off:${email}`,
      'aria-label': `Switch sync off for ${email}`,
      onClick: async () => {
        if (armed === null) {
          button.textContent = 'Click again to switch off';
          button.setAttribute(
            'aria-label',
            `Click again to switch sync off for ${email}; only they can switch it on again`,
          );
          armed = setTimeout(() => {
            armed = null;
            button.textContent = 'Switch off';
            button.setAttribute('aria-label', `Switch sync off for ${email}`);
          }, 5000);
          return;
        }
        clearTimeout(armed);
        armed = null;
        button.disabled = true;
        const answer = await attempt(() =>
          api('POST', `admin/people/${encodeURIComponent(email)}/sync-off`, {}),
        );
        if (answer !== undefined)
          notify(`Sync is switched off for ${email}. Only they can switch it on again.`);
        await loadHealth();
      },
    },
    'Switch off',
  );
  return button;
}

async function resync(email) {
  const answer = await attempt(() => api('POST', `admin/people/${encodeURIComponent(email)}/resync`, {}));
  if (answer !== undefined) notify(`A sync of ${email} was asked for; it runs within a minute.`);
  await loadHealth();
}

async function decideHold(email, decision) {
  const answer = await attempt(() =>
    api('POST', `admin/people/${encodeURIComponent(email)}/hold`, { decision }),
  );
  if (answer !== undefined) {
    notify(
      decision === 'confirm'
        ? `The ${plural(answer.hold.deletions, 'held deletion')} of ${email} will go ahead with the next sync.`
        : `The ${plural(answer.hold.deletions, 'entry', 'entries')} held for ${email} will be restored with the next sync.`,
    );
  }
  await loadHealth();
}

// ---- Organisation settings (administrators) ---------------------------------------------------------------------

const SECRET_WORDS = {
  'severa-client-secret': 'Severa client secret',
  'google-sa-p12': 'Service account key (.p12)',
  'google-sa-p12-password': 'Key password',
  'severa-webhook-secret': 'Severa change-notice (webhook) secret',
};
/** Severa's activity categories (reference/severa-api.md), in words. */
const CATEGORY_WORDS = {
  CalendarEntry: 'calendar entry',
  Personal: 'personal',
  SalesEvent: 'sales event',
  Absences: 'absence',
  Task: 'project task',
};
const PRESENCE_WORDS = { set: 'set', missing: 'not set', unreadable: 'set but unreadable' };

async function loadSettings() {
  const answer = await attempt(() => api('GET', 'admin/org'));
  if (answer === undefined) return;
  state.org = answer.org;
  renderOrg();
  await loadActivityTypes();
}

function renderOrg() {
  const { config, secrets } = state.org;
  const toggle = $('org-enabled');
  const on = config?.enabled === true;
  toggle.setAttribute('aria-checked', String(on));
  toggle.disabled = config === null;
  $('org-enabled-note').textContent =
    config === null
      ? 'Not set up yet: check and save the connection below first.'
      : on
        ? 'On: people can switch their sync on, and everyone who has it on is synced.'
        : 'Off: nothing syncs, and nobody can switch their sync on. The settings and everyone’s links are kept.';
  $('org-enabled-note').className = on ? 'note' : 'note note-warn';
  show($('org-enable-field'), config === null);
  $('org-secrets').replaceChildren(
    ...Object.entries(secrets).map(([name, presence]) =>
      h(
        'li',
        { className: `secret secret-${presence}` },
        `${SECRET_WORDS[name] ?? name}: `,
        h('strong', { text: PRESENCE_WORDS[presence] ?? presence }),
      ),
    ),
  );
  const fill = (id, value) => {
    const input = $(id);
    if (input.value === '' && value) input.value = value;
  };
  fill('org-sa-email', config?.serviceAccountEmail);
  fill('org-severa-id', config?.severaClientId);
  // The test user is not kept with the settings: the administrator's own address is a good default.
  fill('org-test-user', state.me.email);
  if (state.org.secrets['google-sa-p12-password'] === 'set') {
    $('org-p12-password-hint').textContent =
      'Leave empty for notasecret: Google gives every .p12 key it issues that password. A password is saved; the key you upload is checked with what you type here, or with notasecret when empty.';
  }
}

async function loadActivityTypes() {
  const list = $('org-types');
  const status = $('org-types-status');
  const synced = new Set(state.org.config?.sync?.syncedActivityTypeGuids ?? []);
  // Ticks the administrator changed and has not saved yet are kept across a reload of the list.
  const ticked = new Map([...list.querySelectorAll('input[type=checkbox]')].map((c) => [c.value, c.checked]));
  let types;
  try {
    types = (await api('GET', 'admin/activity-types')).types;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    status.textContent = `The activity types could not be read from Severa (${error.message}). Type their names instead.`;
    list.replaceChildren();
    show($('org-types-manual'), true);
    const names = state.org.syncedTypes.map((t) => t.name).join(', ');
    if ($('org-types-names').value === '') $('org-types-names').value = names;
    return;
  }
  show($('org-types-manual'), false);
  status.textContent = `${plural(types.length, 'active activity type')} in Severa, read just now.`;
  list.replaceChildren(
    ...types.map((t) => {
      const id = `org-type-${t.guid}`;
      const checked = t.isProjectTask ? false : (ticked.get(t.guid) ?? synced.has(t.guid));
      return h(
        'li',
        {},
        h('input', {
          type: 'checkbox',
          id,
          value: t.guid,
          checked,
          disabled: t.isProjectTask,
          'data-name': t.name,
        }),
        h(
          'label',
          { for: id },
          t.name,
          h('span', { className: 'muted', text: ` · ${CATEGORY_WORDS[t.category] ?? t.category}` }),
          t.isProjectTask ? h('span', { className: 'muted', text: ' — project tasks never sync' }) : null,
        ),
      );
    }),
  );
}

async function onOrgEnabledToggle() {
  const on = state.org?.config?.enabled === true;
  const toggle = $('org-enabled');
  toggle.disabled = true;
  const answer = await attempt(() => api('PUT', 'admin/org/enabled', { enabled: !on }));
  toggle.disabled = false;
  if (answer === undefined) return;
  state.org = answer.org;
  renderOrg();
  notify(on ? 'The integration is switched off.' : 'The integration is switched on.');
}

function onP12Chosen() {
  const input = $('org-p12');
  const file = input.files?.[0];
  state.p12Base64 = null;
  clearProblems(['p12-file']);
  if (file === undefined) return;
  if (file.size > P12_MAX_BYTES) {
    input.value = '';
    showProblem(
      'p12-file',
      `${file.name} is ${Math.ceil(file.size / 1024)} KB: a .p12 key is at most 16 KB (Google's are about 2.5 KB). Choose the key file downloaded from the Google Cloud console.`,
    );
    return;
  }
  const reader = new FileReader();
  reader.addEventListener('load', () => {
    const url = String(reader.result);
    state.p12Base64 = url.slice(url.indexOf(',') + 1);
  });
  reader.addEventListener('error', () => {
    showProblem('p12-file', `${file.name} could not be read in this browser: choose it again.`);
  });
  reader.readAsDataURL(file);
}

/** Which error slot (data-problems) a problem of the org setup belongs next to. */
function slotOf(problem) {
  if (problem.check === 'input') {
    return (
      {
        'service-account-email': 'sa-email',
        'test-user-email': 'test-user',
        'severa-client-id': 'severa-id',
        'severa-client-secret': 'severa-secret',
        'no-activity-types': 'types',
      }[problem.code] ?? null
    );
  }
  return { p12: 'p12', google: 'google', severa: 'severa', 'activity-types': 'types' }[problem.check] ?? null;
}

function slots() {
  return [...document.querySelectorAll('#org-form [data-problems]')];
}

function slotElement(slot) {
  return slots().find((el) => el.dataset.problems.split(' ').includes(slot)) ?? null;
}

/** The input a slot describes (marked aria-invalid), or the fieldset for the activity types. */
function fieldOf(slotEl) {
  const described = document.querySelector(`[aria-describedby~="${slotEl.id}"]`);
  return described instanceof HTMLElement ? described : null;
}

function clearProblems(which = null) {
  for (const el of slots()) {
    if (which !== null && !el.dataset.problems.split(' ').some((s) => which.includes(s))) continue;
    el.replaceChildren();
    fieldOf(el)?.removeAttribute('aria-invalid');
  }
}

function showProblem(slot, message) {
  const el = slotElement(slot);
  if (el === null) return false;
  el.append(h('p', { text: message }));
  fieldOf(el)?.setAttribute('aria-invalid', 'true');
  return true;
}

function chosenTypes() {
  const manual = !$('org-types-manual').hidden;
  if (manual) {
    return $('org-types-names')
      .value.split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
  }
  return [...$('org-types').querySelectorAll('input[type=checkbox]:checked')].map((c) => c.value);
}

async function onOrgSave(event) {
  event.preventDefault();
  const result = $('org-form-result');
  result.replaceChildren();
  result.className = 'form-result';
  clearProblems();
  if (state.p12Base64 === null) {
    showProblem('p12-file', 'Choose the service account’s .p12 key file: it is checked again on every save.');
    result.textContent = 'Nothing was saved: the key file is missing.';
    result.className = 'form-result form-result-bad';
    $('org-p12').focus();
    return;
  }
  const password = $('org-p12-password').value;
  const body = {
    serviceAccountEmail: $('org-sa-email').value.trim(),
    p12Base64: state.p12Base64,
    ...(password === '' ? {} : { p12Password: password }),
    severaClientId: $('org-severa-id').value.trim(),
    severaClientSecret: $('org-severa-secret').value,
    syncedTypeNames: chosenTypes(),
    testUserEmail: $('org-test-user').value.trim(),
    ...(state.org?.config === null ? { enable: $('org-enable').checked } : {}),
  };
  const save = $('org-save');
  save.disabled = true;
  save.textContent = 'Checking…';
  try {
    const answer = await api('PUT', 'admin/org', body);
    state.org = answer.org;
    // Secrets do not stay in the page once saved.
    $('org-severa-secret').value = '';
    $('org-p12-password').value = '';
    $('org-p12').value = '';
    state.p12Base64 = null;
    renderOrg();
    await loadActivityTypes();
    result.textContent = `Saved ${when(answer.org.config?.updatedAt ?? null)}: every check passed.`;
    result.className = 'form-result form-result-good';
    fail('');
  } catch (error) {
    result.className = 'form-result form-result-bad';
    if (error instanceof ApiError && error.status === 401) return;
    const problems =
      error instanceof ApiError && Array.isArray(error.body?.problems) ? error.body.problems : [];
    if (problems.length === 0) {
      result.textContent = `Nothing was saved: ${error.message}`;
    } else {
      const elsewhere = problems.filter((p) => {
        const slot = slotOf(p);
        return slot === null || !showProblem(slot, p.message);
      });
      result.append(
        h('p', {
          text: `Nothing was saved: ${plural(problems.length, 'problem')} found, each shown next to its field.`,
        }),
        ...elsewhere.map((p) => h('p', { text: p.message })),
      );
      const first = document.querySelector('#org-form [aria-invalid="true"]');
      if (first instanceof HTMLElement) first.focus();
    }
  } finally {
    save.disabled = false;
    save.textContent = 'Check and save';
  }
}

// ---- start ------------------------------------------------------------------------------------------------------

function wire() {
  $('sign-out').addEventListener('click', () => signOut('You are signed out.'));
  $('google-sign-in-button').addEventListener('click', googleSignIn);
  for (const p of PANELS) {
    const tab = $(`tab-${p}`);
    tab.addEventListener('click', () => void select(p, { focus: false }));
    tab.addEventListener('keydown', onTabKey);
  }
  $('sync-toggle').addEventListener('click', () => void onSyncToggle());
  $('preview-confirm').addEventListener('click', () => void onPreviewConfirm());
  $('preview-cancel').addEventListener('click', onPreviewCancel);
  $('me-refresh').addEventListener('click', () => void loadMe());
  $('me-all-audit').addEventListener('click', () => void select('audit'));
  $('health-state').addEventListener('change', () => void loadHealth());
  $('health-refresh').addEventListener('click', () => void loadHealth());
  $('org-enabled').addEventListener('click', () => void onOrgEnabledToggle());
  $('org-p12').addEventListener('change', onP12Chosen);
  $('org-form').addEventListener('submit', (event) => void onOrgSave(event));
  $('audit-person').addEventListener('change', () => void loadAuditOf($('audit-person').value));
  for (const id of ['audit-text', 'audit-from', 'audit-to']) $(id).addEventListener('input', renderAudit);
  window.addEventListener('hashchange', () => {
    const wanted = location.hash.replace('#', '');
    if (state.me !== null && wanted !== state.panel) void select(wanted, { focus: false });
  });
}

async function start() {
  wire();
  try {
    state.config = await api('GET', 'config');
  } catch (error) {
    show($('loading'), false);
    fail(`The console could not start: ${error.message}`);
    return;
  }
  show($('loading'), false);
  const answer = takeSignInAnswer();
  if (answer !== null && answer.error !== undefined) {
    keepToken(null);
    fail(answer.error);
  } else if (answer !== null) {
    keepToken(answer.token);
    if (PANELS.includes(answer.panel)) history.replaceState(null, '', `#${answer.panel}`);
  }
  state.token = savedToken() ?? state.token;
  if (state.token === null) showSignIn();
  else await enter();
  document.body.dataset.ready = 'true';
}

void start();

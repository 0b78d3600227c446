/**
 * The console page in a real browser (issue 11, SPEC §2): Debian's Chromium, driven by playwright-core, against a
 * local stack (official emulators, simulators, the functions on the Functions Framework). People sign in with the
 * stack's demo sign-in and use the page as they would: nothing is called behind the page's back except to check
 * what the page claims (the organisation's settings as saved, a person's status).
 *
 * Screenshots of each page (1000×700) go to `SCREENSHOT_DIR` when it is set (`SCREENSHOT_DIR=docs/screenshots`
 * refreshes the ones in the docs), else to a temporary folder that is removed afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

import { parseAct, simAction } from '../../scripts/act.js';
import { startLocalStack, type LocalStack } from '../../scripts/local-stack.js';
import { SECRET_NAMES } from '../../shared/config.js';
import { DEMO_SERVICE_ACCOUNT } from '../sim/calendar/demo-fixture.js';
import { DEMO_CREDENTIALS, DEMO_USERS } from '../sim/severa/demo-fixture.js';
import { emulatorStatus, stopOwnEmulators } from '../../scripts/emulators.js';

// The page's globals, as far as the functions evaluated inside it use them (the project's types have no DOM).
declare const document: {
  readonly baseURI: string;
  readonly documentElement: { readonly scrollWidth: number };
};
declare const window: { readonly innerWidth: number };
declare const sessionStorage: { clear(): void; getItem(key: string): string | null };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AINO = 'aino@demo.example';
const BEN = 'ben@demo.example';
const CECILIA = 'cecilia@demo.example';
const STEP = { timeout: 90_000 };

/** An event of the calendar simulator, as far as these tests read it. */
interface SimEvent {
  readonly id: string;
  readonly status?: string;
  readonly summary?: string;
  readonly start?: { readonly dateTime?: string };
}

/** A one-hour slot `daysAhead` days from now at `hour` UTC, as ISO 8601 instants (never in the past, S6). */
function slot(daysAhead: number, hour: number): [string, string] {
  const start = new Date(Date.now() + daysAhead * 86_400_000);
  start.setUTCHours(hour, 0, 0, 0);
  return [start.toISOString(), new Date(start.getTime() + 3_600_000).toISOString()];
}

/** An hour slot as the audit trail says it: local times in the entry's zone (Ben's, New York). */
function localSlot(start: string, end: string, zone = 'America/New_York'): string {
  const local = (iso: string) =>
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .format(new Date(iso))
      .replace(',', '');
  return `${local(start)} – ${local(end).slice(11)} (${zone})`;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const skip =
  (existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM} (apt-get install chromium)`) ??
  (['firestore', 'pubsub'] as const)
    .map((name) => emulatorStatus(name))
    .flatMap((s) => (s.ok ? [] : [s.reason]))[0] ??
  null;
if (skip !== null) console.log(`skipped: ${skip}`);

/** Polls until `check` holds (the page and the functions are asynchronous); says what it waited for. */
async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const started = Date.now();
  let last: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function textOf(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

async function untilText(locator: Locator, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  let seen = '';
  await until(
    `${pattern.source} (last seen: "${seen}")`,
    async () => {
      seen = (await locator.count()) === 0 ? '' : await textOf(locator.first());
      return pattern.test(seen);
    },
    timeoutMs,
  ).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; last seen: "${seen}"`);
  });
  return seen;
}

describe('the console in a browser (local stack, Chromium)', { skip: skip ?? false }, () => {
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;
  let consoleUrl: string;
  let work: string;
  let shots: string;
  const log: string[] = [];
  /** What `after` stops, newest first: only what was started. */
  const cleanups: (() => Promise<void>)[] = [];
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  const foreignRequests: string[] = [];

  before(async () => {
    stack = await startLocalStack({
      tickIntervalMs: 60_000,
      secondPollDelayMs: 0,
      logLevel: 'warn',
      writeLog: (line) => log.push(line),
    });
    cleanups.push(() => stack.stop());
    consoleUrl = `${stack.functionsUrl}/console/`;
    work = mkdtempSync(join(tmpdir(), 'console-browser-'));
    cleanups.push(() => {
      rmSync(work, { recursive: true, force: true });
      return Promise.resolve();
    });
    shots = process.env.SCREENSHOT_DIR ? resolve(process.env.SCREENSHOT_DIR) : join(work, 'screenshots');
    mkdirSync(shots, { recursive: true });
    // Ben's first sync has run, so he has a status and an audit trail to see.
    await until(
      "Ben's first sync",
      async () =>
        (await stack.operator.userStatus(BEN)).state === 'healthy' &&
        (await stack.container.stores.audit.listForUser(DEMO_USERS.newYork, 1)).length > 0,
      60_000,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 }, locale: 'en-GB' });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to (load|execute|apply|connect)/i.test(message.text())) {
        cspViolations.push(message.text());
      }
    });
    page.on('request', (request) => {
      const url = request.url();
      // Google sign-in is a trip to the identity provider and back (top-level navigations), nothing the page loads.
      if (request.isNavigationRequest() && url.startsWith(stack.calendarSim.authorizeUrl)) return;
      if (!url.startsWith(`${stack.functionsUrl}/`) && !url.startsWith('data:')) foreignRequests.push(url);
    });
  });

  after(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await stopOwnEmulators();
  });

  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: join(shots, name) });
  }

  /** A fresh page, signed out, then the demo sign-in of `email`. */
  async function signInAs(email: string): Promise<void> {
    await page.goto(consoleUrl);
    await page.evaluate(() => {
      sessionStorage.clear();
    });
    await page.goto(consoleUrl);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.getByRole('button', { name: `Sign in as ${email}` }).click();
    await untilText(page.locator('#who-email'), new RegExp(`^${email.replace('.', '\\.')}$`));
  }

  async function tabNames(): Promise<string[]> {
    return (await page.getByRole('tab').allInnerTexts()).map((t) => t.trim());
  }

  /** A call to the console API from inside the page, with the token the page holds. */
  async function fromPage(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    return page.evaluate(
      async ({ method, path, body }) => {
        const res = await fetch(new URL(path, new URL('api/', document.baseURI)), {
          method,
          headers: {
            authorization: `Bearer ${sessionStorage.getItem('console.idToken') ?? ''}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return { status: res.status, body: await res.json() };
      },
      { method, path, body },
    );
  }

  /**
   * What `npm run act -- severa …` does to the Severa simulator (scripts/act.ts): the same command line, parsed and
   * sent as the same `POST /_sim/act` on the simulator's control surface. Returns the activity's guid. The relay's
   * signed change notice is left to the caller, so that one notice can name many changes.
   */
  async function inSevera(...argv: string[]): Promise<string> {
    const { command } = parseAct(['severa', ...argv]);
    assert.ok(command.kind === 'create' || command.kind === 'update' || command.kind === 'delete');
    const res = await fetch(`${stack.severaSim.url}/_sim/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(simAction(command)),
    });
    const text = await res.text();
    assert.ok(res.ok, `the Severa simulator refused "${argv.join(' ')}": ${String(res.status)} ${text}`);
    if (command.kind !== 'create') return command.id;
    const { guid } = JSON.parse(text) as { guid?: unknown };
    assert.equal(typeof guid, 'string', text);
    return String(guid);
  }

  /** What is in Ben's Google calendar (the simulator's store, deleted events left out). */
  function bensEvents(): SimEvent[] {
    return (stack.calendarSim.events(BEN) as unknown as SimEvent[]).filter((e) => e.status !== 'cancelled');
  }

  /**
   * Clicks `refresh` until `target` is on the page, as someone waiting for it would (each click's answer is given
   * half a second to show before the next).
   */
  async function refreshUntilShown(
    what: string,
    refresh: Locator,
    target: Locator,
    timeoutMs = 30_000,
  ): Promise<void> {
    await until(
      what,
      async () => {
        if ((await target.count()) > 0) return true;
        await refresh.click({ timeout: 5_000 });
        await target
          .first()
          .waitFor({ timeout: 500 })
          .catch(() => undefined);
        return (await target.count()) > 0;
      },
      timeoutMs,
    );
  }

  async function noHorizontalScroll(what: string): Promise<void> {
    const [scroll, width] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      window.innerWidth,
    ]);
    assert.ok(scroll <= width, `${what}: the page is ${scroll}px wide in a ${width}px window`);
  }

  it('offers the demo people to sign in as, and nothing else on the local stack', STEP, async () => {
    await page.goto(consoleUrl);
    await page.locator('body[data-ready="true"]').waitFor();
    const buttons = await page.locator('#demo-people button').allInnerTexts();
    assert.deepEqual(
      buttons.map((b) => b.trim()),
      [AINO, BEN, CECILIA].map((e) => `Sign in as ${e}`),
    );
    assert.equal(await page.locator('#app').isVisible(), false, 'nothing of the console before signing in');
    await shot('sign-in.png');
  });

  it('offers only Sign in with Google where there is no demo sign-in (a deployment)', STEP, async () => {
    // What a deployment's /api/config answers (no demo people).
    await page.route('**/api/config', (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          clientId: 'console.apps.googleusercontent.com',
          authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
          domain: 'example.com',
          demoSignIn: false,
          demoPeople: [],
        }),
      }),
    );
    try {
      await page.goto(consoleUrl);
      await page.locator('body[data-ready="true"]').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Sign in with Google' }).isVisible(), true);
      assert.equal(await page.locator('#demo-sign-in').isVisible(), false);
      assert.equal(await page.locator('#google-not-configured').isVisible(), false);
      assert.equal(await page.getByRole('button', { name: /^Sign in as/ }).count(), 0);
      await shot('sign-in-production.png');
    } finally {
      await page.unroute('**/api/config');
    }
  });

  it(
    'signs in with Google: to the identity provider, an account picked, back signed in with no token left in the address',
    STEP,
    async () => {
      await page.goto(consoleUrl);
      await page.evaluate(() => {
        sessionStorage.clear();
      });
      await page.goto(`${consoleUrl}#audit`);
      await page.locator('body[data-ready="true"]').waitFor();
      await page.getByRole('button', { name: 'Sign in with Google' }).click();
      // The simulator's account chooser, reached with the request Google would get.
      await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
      const asked = new URL(page.url());
      assert.equal(`${asked.origin}${asked.pathname}`, stack.calendarSim.authorizeUrl);
      assert.equal(asked.searchParams.get('response_type'), 'id_token');
      assert.equal(asked.searchParams.get('redirect_uri'), consoleUrl);
      assert.equal(asked.searchParams.get('hd'), 'demo.example');
      assert.match(asked.searchParams.get('nonce') ?? '', /^[0-9a-f]{48}$/);
      assert.match(asked.searchParams.get('state') ?? '', /^[0-9a-f]{48}$/);
      assert.notEqual(asked.searchParams.get('nonce'), asked.searchParams.get('state'));
      await shot('sign-in-google-chooser.png');
      await page.getByRole('link', { name: new RegExp(CECILIA.replace('.', '\\.')) }).click();
      await untilText(page.locator('#who-email'), /^cecilia@demo\.example$/);
      assert.equal(new URL(page.url()).hash, '#audit', 'back on the panel the sign-in started from');
      assert.doesNotMatch(page.url(), /id_token/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('console.signIn')), null);
      const me = await fromPage('GET', 'me');
      assert.equal(me.status, 200);
      assert.equal((me.body as { email: string }).email, CECILIA);
    },
  );

  it(
    'refuses a sign-in answer it did not ask for, or one for another sign-in, and says a cancel in words',
    STEP,
    async () => {
      const config = (await (await fetch(`${consoleUrl}api/config`)).json()) as { clientId: string };
      const token = stack.calendarSim.issueIdToken({
        email: AINO,
        audience: config.clientId,
        nonce: 'a-nonce-of-someone-elses-sign-in',
      });
      const signedOut = async () => {
        await page.locator('body[data-ready="true"]').waitFor();
        assert.equal(await page.locator('#app').isVisible(), false);
        assert.equal(await page.getByRole('button', { name: 'Sign in with Google' }).isVisible(), true);
        assert.equal(await page.evaluate(() => sessionStorage.getItem('console.idToken')), null);
        assert.doesNotMatch(page.url(), /id_token/);
      };
      // A token planted in the address (a link someone sent): no sign-in was started here.
      await page.goto(consoleUrl);
      await page.evaluate(() => {
        sessionStorage.clear();
      });
      await page.goto('about:blank');
      await page.goto(`${consoleUrl}#id_token=${token}&state=forged`);
      await untilText(page.locator('#failure'), /That sign-in was not started from this page/);
      await signedOut();
      // A sign-in started here, answered with a token for another sign-in (the state guessed, the nonce not).
      await page.getByRole('button', { name: 'Sign in with Google' }).click();
      await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
      const state = new URL(page.url()).searchParams.get('state') ?? '';
      await page.goto(`${consoleUrl}#id_token=${token}&state=${state}`);
      await untilText(page.locator('#failure'), /The sign-in answer was not for this sign-in/);
      await signedOut();
      // Cancelled at the identity provider.
      await page.getByRole('button', { name: 'Sign in with Google' }).click();
      await page.getByRole('link', { name: 'Cancel' }).click();
      await untilText(page.locator('#failure'), /^Sign-in was cancelled\.$/);
      await signedOut();
    },
  );

  it('a person (Ben) signs in and sees his sync on, his status and the last changes', STEP, async () => {
    await signInAs(BEN);
    await page.locator('#me-status').waitFor();
    assert.equal(await page.locator('#sync-toggle').getAttribute('aria-checked'), 'true');
    assert.equal(await page.locator('#sync-toggle').isDisabled(), false);
    await untilText(page.locator('#me-status-facts'), /State Healthy Last successful sync .*\d/);
    await page.locator('#me-changes-body tbody tr').first().waitFor();
    const changes = await page.locator('#me-changes-body tbody tr').count();
    assert.ok(changes >= 1 && changes <= 10, `recent changes: ${changes}`);
    assert.match(
      await textOf(page.locator('#me-changes-body thead')),
      /^When Entry What and why Changes applied Severa activity \/ Google event$/,
    );
    await shot('my-sync.png');
  });

  it('Ben is no administrator: no Health or settings, and the API refuses him', STEP, async () => {
    assert.deepEqual(await tabNames(), ['My calendar sync', 'Audit']);
    assert.equal(await page.locator('#panel-health').isVisible(), false);
    assert.equal(await page.locator('#panel-settings').isVisible(), false);
    // Asking for the section by its address shows his own page instead.
    await page.goto(`${consoleUrl}#health`);
    await page.locator('body[data-ready="true"]').waitFor();
    await page.locator('#panel-me').waitFor();
    assert.equal(await page.locator('#panel-health').isVisible(), false);
    assert.equal(await page.locator('#tab-me').getAttribute('aria-selected'), 'true');
    // The API itself refuses him, whatever the page shows.
    for (const [method, path, body] of [
      ['GET', 'admin/people', undefined],
      ['GET', 'admin/org', undefined],
      ['GET', `admin/people/${encodeURIComponent(AINO)}/audit`, undefined],
      ['PUT', 'admin/org/enabled', { enabled: false }],
    ] as const) {
      const answer = await fromPage(method, path, body);
      assert.equal(answer.status, 403, `${method} ${path}`);
      assert.deepEqual(answer.body, { error: 'Only an administrator of the integration can do this.' });
    }
    assert.equal((await stack.operator.showOrg()).config?.enabled, true, 'the integration is still on');
  });

  it('Ben reads his audit trail and filters it by text and date', STEP, async () => {
    await page.getByRole('tab', { name: 'Audit' }).click();
    await page.locator('#audit-body tbody tr').first().waitFor();
    assert.equal(
      await page.locator('#audit-person-field').isVisible(),
      false,
      'a person sees only their own',
    );
    const all = await page.locator('#audit-body tbody tr').count();
    const stored = await stack.container.stores.audit.listForUser(DEMO_USERS.newYork, 200);
    // All of his trail as it was when the page asked (his syncs may still be adding to it).
    assert.ok(all >= 1 && all <= stored.length, `${all} of ${stored.length}`);
    await untilText(page.locator('#audit-count'), new RegExp(`^${all} changes? to your entries\\.$`));

    const firstWhat = (
      await page
        .locator('#audit-body tbody tr')
        .first()
        .locator('td[data-label="What and why"] span')
        .first()
        .innerText()
    ).trim();
    await page.getByLabel('Contains', { exact: true }).fill(firstWhat);
    const matching = await page.locator('#audit-body tbody tr').count();
    assert.ok(matching >= 1);
    for (const row of await page.locator('#audit-body tbody tr').all()) {
      assert.match(await row.innerText(), new RegExp(firstWhat.replace(/[()]/g, '\\$&')));
    }
    await page.getByLabel('Contains', { exact: true }).fill('no such text anywhere');
    await untilText(page.locator('#audit-body'), /^No change matches the filter\.$/);
    await untilText(page.locator('#audit-count'), new RegExp(`^0 of ${all} changes? to your entries match`));
    await page.getByLabel('Contains', { exact: true }).fill('');

    const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString('en-CA');
    await page.getByLabel('From', { exact: true }).fill(tomorrow);
    await untilText(page.locator('#audit-body'), /^No change matches the filter\.$/);
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill(tomorrow);
    assert.equal(await page.locator('#audit-body tbody tr').count(), all);
    await page.getByLabel('To', { exact: true }).fill('');
    await page.locator('#panel-audit h2').click();
    await shot('audit.png');
  });

  it(
    'a change Ben makes in Severa reaches his calendar, shows in his last changes and in his audit trail',
    STEP,
    async () => {
      await signInAs(BEN);
      // One of his activities, synced to his calendar (made here, so that its dates never fall out of the window).
      const [start, end] = slot(9, 15);
      const oldTitle = 'Roadmap review';
      const guid = await inSevera(
        'create',
        '--as',
        'ben',
        '--title',
        oldTitle,
        '--start',
        start,
        '--end',
        end,
      );
      assert.equal(await stack.notifySevera([guid]), 202);
      await until(
        'the new activity in Ben’s calendar, linked',
        async () =>
          bensEvents().some((e) => e.summary === oldTitle) &&
          (await stack.container.stores.store.listLinks(DEMO_USERS.newYork)).some(
            (l) => l.severaGuid === guid,
          ),
        30_000,
      );

      // He renames it and moves it an hour later in Severa; the relay sends its signed notice (as npm run act does).
      const title = 'Roadmap review (moved to the afternoon)';
      const [newStart, newEnd] = slot(9, 16);
      await inSevera('update', guid, '--as', 'ben', '--title', title, '--start', newStart, '--end', newEnd);
      assert.equal(await stack.notifySevera([guid]), 202);

      // His page shows it among the last changes the sync made (Refresh asks again, as he would).
      const change = page
        .locator('#me-changes-body tbody tr')
        .filter({ hasText: guid })
        .filter({ hasText: 'changed in Severa' });
      await refreshUntilShown(
        'the change among “Last changes the sync made”',
        page.getByRole('button', { name: 'Refresh', exact: true }),
        change,
      );
      assert.equal(await change.count(), 1);
      const cell = async (label: string) =>
        (await change.locator(`td[data-label="${label}"] span`).allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(await cell('Entry'), [title, newStart.slice(0, 10)]);
      assert.deepEqual(await cell('What and why'), ['Updated', 'changed in Severa']);
      assert.deepEqual(
        (await change.locator('td[data-label="Changes applied"] li').allInnerTexts()).map((t) => t.trim()),
        [
          `title: “${oldTitle}” → “${title}”`,
          `time: ${localSlot(start, end)} → ${localSlot(newStart, newEnd)}`,
          'written to Google',
        ],
      );
      const [severaGuid, eventId = ''] = await cell('Severa activity / Google event');
      assert.equal(severaGuid, guid);
      await shot('my-sync-change.png');

      // The event the page names has the new title and time in Google.
      const event = bensEvents().find((e) => e.id === eventId);
      assert.ok(event, `no event ${eventId} in Ben's calendar`);
      assert.equal(event.summary, title);
      assert.equal(Date.parse(event.start?.dateTime ?? ''), Date.parse(newStart));

      // His audit trail finds the entry by its new title: where it came from and the change applied.
      await page.getByRole('tab', { name: 'Audit' }).click();
      const rows = page.locator('#audit-body tbody tr');
      const ours = rows.filter({ hasText: guid }).filter({ hasText: 'changed in Severa' });
      await ours.first().waitFor();
      const unfiltered = await textOf(ours.first());
      // The filter works in the page, on what it has loaded: its answer is there once the field is filled.
      await page.getByLabel('Contains', { exact: true }).fill(title);
      const found = rows.filter({ hasText: guid });
      assert.ok(
        (await found.count()) > 0,
        `the Audit page finds nothing by the new title "${title}" (it says "${await textOf(page.locator('#audit-count'))}"); the entry of the change reads: "${unfiltered}"`,
      );
      const entry = await textOf(found.first());
      assert.match(entry, /Updated changed in Severa/);
      assert.ok(entry.includes(title), entry);
      assert.ok(entry.includes(`title: “${oldTitle}” → “${title}”`), entry);
      await page.getByLabel('Contains', { exact: true }).fill('');
    },
  );

  it(
    'the administrator (Aino) sees everyone on Health, filters by state and asks for a resync',
    STEP,
    async () => {
      await signInAs(AINO);
      assert.deepEqual(await tabNames(), ['My calendar sync', 'Health', 'Organisation settings', 'Audit']);
      // The tabs work from the keyboard.
      await page.locator('#tab-me').focus();
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.locator('#tab-health').getAttribute('aria-selected'), 'true');
      await page.locator('#health-body tbody tr').first().waitFor();
      const rows = async () =>
        Promise.all(
          (await page.locator('#health-body tbody tr').all()).map((tr) => tr.getAttribute('data-email')),
        );
      assert.deepEqual(await rows(), [AINO, BEN]);
      const ben = page.locator('#health-body tr[data-email="ben@demo.example"]');
      assert.match(await textOf(ben), /^ben@demo\.example Healthy .* \d+ .*/);
      assert.match(
        await textOf(ben.locator('td[data-label="Last success"]')),
        /^\d+ \w+ \d{4}, \d\d:\d\d .*no retries pending push channel until \d+ \w+ \d{4}, \d\d:\d\d \(in \d+ days?\)$/,
      );

      await page.getByLabel('Show', { exact: true }).selectOption('error');
      await untilText(page.locator('#health-body'), /^Nobody is in the state “errors”\.$/);
      await page.getByLabel('Show', { exact: true }).selectOption('healthy');
      await until('the healthy people', async () => (await rows()).join() === [AINO, BEN].join());
      await page.getByLabel('Show', { exact: true }).selectOption('');

      await page.getByRole('button', { name: `Resync ${BEN} now` }).click();
      await untilText(
        page.locator('#notice'),
        /^A sync of ben@demo\.example was asked for; it runs within a minute\.$/,
      );

      // It refreshes itself every 10 s.
      const refreshed = await page.waitForRequest((r) => r.url().includes('/api/admin/people'), {
        timeout: 15_000,
      });
      assert.equal(new URL(refreshed.url()).pathname, '/console/api/admin/people');
      await shot('health.png');

      // Readable on a phone: rows become labelled cards, nothing is wider than the screen.
      await page.setViewportSize({ width: 390, height: 800 });
      await noHorizontalScroll('Health on a phone');
      await shot('health-phone.png');
      await page.getByRole('tab', { name: 'Organisation settings' }).click();
      await page.locator('#org-types input').first().waitFor();
      await noHorizontalScroll('Settings on a phone');
      await page.setViewportSize({ width: 1000, height: 700 });
    },
  );

  it(
    'settings: a wrong .p12 password is named next to its field and nothing is saved; fixed, it saves',
    STEP,
    async () => {
      await page.getByRole('tab', { name: 'Organisation settings' }).click();
      await page.locator('#org-types input').first().waitFor();
      // What is saved is shown; secrets only as set or not.
      assert.equal(
        await page.getByLabel('Service account e-mail', { exact: true }).inputValue(),
        DEMO_SERVICE_ACCOUNT,
      );
      assert.equal(
        await page.getByLabel('Client id', { exact: true }).inputValue(),
        DEMO_CREDENTIALS.clientId,
      );
      assert.equal(await page.getByLabel('Client secret', { exact: true }).inputValue(), '');
      assert.match(
        await textOf(page.locator('#org-secrets')),
        /Severa client secret: set .*Service account key \(\.p12\): set/,
      );
      assert.doesNotMatch(await page.content(), new RegExp(DEMO_CREDENTIALS.clientSecret));
      // Activity types read live from Severa: the synced ones ticked, project tasks shown but never selectable.
      const types = await page.locator('#org-types li').allInnerTexts();
      assert.ok(
        types.some((t) => /^Project task · project task — project tasks never sync$/.test(t.trim())),
        types.join(' | '),
      );
      assert.equal(await page.getByLabel(/^Project task/).isDisabled(), true);
      for (const name of ['Meeting', 'Personal', 'Customer visit']) {
        assert.equal(await page.getByLabel(new RegExp(`^${name} ·`)).isChecked(), true, name);
      }
      assert.equal(await page.getByLabel(/^Absence ·/).isChecked(), false);
      assert.match(await textOf(page.locator('#org-enabled-note')), /^On:/);

      // The key file is checked for size in the browser first.
      await page.getByLabel('Key file (.p12)', { exact: true }).setInputFiles({
        name: 'not-a-key.p12',
        mimeType: 'application/x-pkcs12',
        buffer: Buffer.alloc(20 * 1024, 1),
      });
      await untilText(
        page.locator('#org-p12-file-error'),
        /not-a-key\.p12 is 20 KB: a \.p12 key is at most 16 KB/,
      );

      const before = (await stack.operator.showOrg()).config?.updatedAt;
      const keyFile = join(work, 'service-account.p12');
      writeFileSync(
        keyFile,
        Buffer.from(await stack.container.secrets.get(SECRET_NAMES.googleP12), 'base64'),
      );
      await page.getByLabel('Key file (.p12)', { exact: true }).setInputFiles(keyFile);
      assert.equal(await textOf(page.locator('#org-p12-file-error')), '');
      await page.getByLabel('Key password', { exact: true }).fill('not-the-password');
      await page.getByLabel('Client secret', { exact: true }).fill(DEMO_CREDENTIALS.clientSecret);
      await page.getByLabel(/^Absence ·/).check();
      await page.getByRole('button', { name: 'Check and save' }).click();

      const problem = await untilText(page.locator('#org-p12-password-error'), /\S/);
      assert.equal(
        problem,
        'The .p12 key could not be opened with the password given: check the password of the key file. Keys downloaded from the Google Cloud console use Google\'s default password "notasecret".',
      );
      assert.equal(
        await page.getByLabel('Key password', { exact: true }).getAttribute('aria-invalid'),
        'true',
      );
      assert.match(
        await textOf(page.locator('#org-form-result')),
        /^Nothing was saved: 1 problem found, each shown next to its field\.$/,
      );
      for (const other of [
        '#org-sa-email-error',
        '#org-test-user-error',
        '#org-severa-secret-error',
        '#org-types-error',
      ]) {
        assert.equal(await textOf(page.locator(other)), '', other);
      }
      assert.equal((await stack.operator.showOrg()).config?.updatedAt, before, 'nothing saved');
      await page.getByLabel('Key password', { exact: true }).scrollIntoViewIfNeeded();
      await shot('settings-problem.png');

      // Fixed: empty means Google's default password. Absence is synced from now on.
      await page.getByLabel('Key password', { exact: true }).fill('');
      await page.getByRole('button', { name: 'Check and save' }).click();
      await untilText(page.locator('#org-form-result'), /^Saved .*: every check passed\.$/, 30_000);
      assert.equal(await page.getByLabel('Key password', { exact: true }).getAttribute('aria-invalid'), null);
      assert.equal(
        await page.getByLabel('Client secret', { exact: true }).inputValue(),
        '',
        'the secret does not stay in the page',
      );
      const saved = await stack.operator.showOrg();
      assert.notEqual(saved.config?.updatedAt, before);
      assert.deepEqual(saved.syncedTypes.map((t) => t.name).sort(), [
        'Absence',
        'Customer visit',
        'Meeting',
        'Personal',
      ]);
      assert.equal(saved.config?.enabled, true, 'saving keeps the integration on');
      await page.locator('#org-form').scrollIntoViewIfNeeded();
      await page.locator('#panel-settings h2').scrollIntoViewIfNeeded();
      await shot('settings.png');
    },
  );

  it(
    'the integration switched off stops opt-ins; back on, a person previews and confirms',
    STEP,
    async () => {
      const integration = page.getByRole('switch', { name: 'Integration on' });
      assert.equal(await integration.getAttribute('aria-checked'), 'true');
      await integration.click();
      await until(
        'the integration off',
        async () => (await integration.getAttribute('aria-checked')) === 'false',
      );
      assert.match(
        await textOf(page.locator('#org-enabled-note')),
        /^Off: nothing syncs, and nobody can switch their sync on\./,
      );
      assert.equal((await stack.operator.showOrg()).config?.enabled, false);

      await signInAs(CECILIA);
      const toggle = page.getByRole('switch', { name: /Sync my Severa activities/ });
      await untilText(
        page.locator('#sync-toggle-note'),
        /^The integration is switched off by an administrator, so sync cannot be switched on now\./,
      );
      assert.equal(await toggle.isDisabled(), true);
      assert.equal(await toggle.getAttribute('aria-checked'), 'false');
      assert.equal((await fromPage('PUT', 'me/sync', { enabled: true })).status, 409, 'the API refuses too');
      await shot('my-sync-integration-off.png');

      await signInAs(AINO);
      await page.getByRole('tab', { name: 'Organisation settings' }).click();
      await until(
        'the integration shown',
        async () => (await integration.getAttribute('aria-checked')) === 'false',
      );
      await integration.click();
      await until(
        'the integration on',
        async () => (await integration.getAttribute('aria-checked')) === 'true',
      );

      // A person Severa does not know is told so (the API's answer stands in for such a person: the demo sign-in
      // only knows people of the demo organisation, who are all in Severa).
      await signInAs(CECILIA);
      await page.route('**/api/me/preview', (route) =>
        route.fulfill({
          status: 404,
          contentType: 'application/json',
          body: JSON.stringify({ error: 'No Severa user has the e-mail.', code: 'user-not-found' }),
        }),
      );
      await toggle.click();
      await untilText(
        page.locator('#me-no-user'),
        /^Your e-mail cecilia@demo\.example matches no active Severa user/,
      );
      assert.equal(await toggle.isVisible(), false);
      await page.unroute('**/api/me/preview');

      await signInAs(CECILIA);
      assert.equal(await toggle.isDisabled(), false);
      await toggle.click();
      const counts = await untilText(
        page.locator('#preview-counts'),
        /^\d+ to create in Google, \d+ in Severa, \d+ matched$/,
        30_000,
      );
      assert.match(await textOf(page.locator('#me-preview-title')), /^What your first sync will do$/);
      assert.equal(
        (await stack.operator.userStatus(CECILIA)).enabled,
        false,
        'nothing changes before confirming',
      );
      assert.ok(!counts.startsWith('0 to create in Google, 0 in Severa, 0 matched'), counts);
      await shot('my-sync-preview.png');
      await page.getByRole('button', { name: 'Confirm and switch sync on' }).click();
      await until('the switch on', async () => (await toggle.getAttribute('aria-checked')) === 'true');
      assert.equal((await stack.operator.userStatus(CECILIA)).enabled, true);
      // Her first sync runs through Pub/Sub and the worker; the page shows it when asked again.
      await until(
        "Cecilia's first sync",
        async () => (await stack.operator.userStatus(CECILIA)).state === 'healthy',
        60_000,
      );
      await page.getByRole('button', { name: 'Refresh' }).click();
      await untilText(page.locator('#me-status-facts'), /^State Healthy Last successful sync /);
      await page.locator('#me-changes-body tbody tr').first().waitFor();
    },
  );

  it(
    "the administrator reads someone's audit and switches a person off with a second click",
    STEP,
    async () => {
      await signInAs(AINO);
      await page.getByRole('tab', { name: 'Audit' }).click();
      await page.getByLabel('Person', { exact: true }).selectOption(BEN);
      const count = await untilText(
        page.locator('#audit-count'),
        /^\d+ changes? to the entries of ben@demo\.example\.$/,
      );
      // Ben's own trail (his syncs may still be adding to it: never more than is stored).
      const shown = await page.locator('#audit-body tbody tr').count();
      const stored = await stack.container.stores.audit.listForUser(DEMO_USERS.newYork, 200);
      assert.ok(
        shown >= 1 && shown <= stored.length && count.startsWith(`${shown} `),
        `${shown} of ${stored.length}`,
      );
      const shownGuids = await Promise.all(
        (await page.locator('#audit-body tbody tr td.id span').all()).map((span) => span.innerText()),
      );
      const ids = new Set(stored.flatMap((e) => [e.severaGuid ?? '—', e.googleId ?? '—']));
      assert.ok(
        shownGuids.every((id) => ids.has(id.trim())),
        'only ids from his own trail',
      );

      await page.getByRole('tab', { name: 'Health' }).click();
      const off = page.getByRole('button', { name: `Switch sync off for ${CECILIA}` });
      await off.click();
      // The first click only arms the button: nothing has changed yet.
      await untilText(
        page.locator(`#health-body tr[data-email="${CECILIA}"] button.danger`),
        /^Click again to switch off$/,
      );
      assert.equal((await stack.operator.userStatus(CECILIA)).enabled, true);
      await page
        .getByRole('button', {
          name: new RegExp(`^Click again to switch sync off for ${CECILIA.replace('.', '\\.')}`),
        })
        .click();
      await untilText(
        page.locator('#notice'),
        /^Sync is switched off for cecilia@demo\.example\. Only they can switch it on again\.$/,
      );
      assert.equal((await stack.operator.userStatus(CECILIA)).enabled, false);
      await untilText(page.locator(`#health-body tr[data-email="${CECILIA}"]`), /Off/);
      // There is no way for the administrator to switch it back on: no button, and the API has no such route.
      assert.equal(await page.locator(`#health-body tr[data-email="${CECILIA}"] button`).count(), 0);
    },
  );

  it(
    'a deletion hold shows on Health; the administrator releases it and the entries come back, audited',
    STEP,
    async () => {
      // B3 holds a run that would delete more than half of a person's synced entries (and at least 5): Ben gets
      // more new entries than he had, synced, then deletes them all at once in Severa.
      const links = async () => stack.container.stores.store.listLinks(DEMO_USERS.newYork);
      const count = Math.max(5, (await links()).length + 3);
      const titles = Array.from({ length: count }, (_, i) => `Hold check ${String(i + 1)}`);
      const guids: string[] = [];
      for (const [i, title] of titles.entries()) {
        const [start, end] = slot(20 + i, 14);
        guids.push(await inSevera('create', '--as', 'ben', '--title', title, '--start', start, '--end', end));
      }
      assert.equal(await stack.notifySevera(guids), 202);
      await until(
        `the ${String(count)} new activities synced to Ben's calendar`,
        async () => {
          // Linked, and the copy confirmed: a link is written just before its Google copy is inserted.
          const linked = new Set(
            (await links()).filter((l) => l.pendingInsert !== true).map((l) => l.severaGuid),
          );
          return (
            guids.every((g) => linked.has(g)) &&
            titles.every((t) => bensEvents().filter((e) => e.summary === t).length === 1)
          );
        },
        60_000,
      );
      assert.deepEqual(
        titles.map((t) => bensEvents().filter((e) => e.summary === t).length),
        titles.map(() => 1),
      );
      // All deleted before the one notice that names them: one run sees them together.
      await Promise.all(guids.map((g) => inSevera('delete', g, '--as', 'ben')));
      assert.equal(await stack.notifySevera(guids), 202);

      await signInAs(AINO);
      await page.getByRole('tab', { name: 'Health' }).click();
      const ben = page.locator(`#health-body tr[data-email="${BEN}"]`);
      await refreshUntilShown(
        "Ben's hold on Health",
        page.getByRole('button', { name: 'Refresh now' }),
        // The run saves the hold, then his status: both shown.
        ben
          .filter({ hasText: 'Release (restore)' })
          .filter({ has: page.locator('td[data-label="State"]', { hasText: /^Deletions held$/ }) }),
        60_000,
      );
      assert.match(
        await textOf(ben.locator('td[data-label="Deletions held"] > span')),
        new RegExp(
          `^${String(count)} deletions held since .+ \\(many deletions at once\\): an administrator decides whether they go ahead\\.$`,
        ),
      );
      assert.match(
        await textOf(ben.locator('td[data-label="Reason"]')),
        new RegExp(
          `^${String(count)} deletions are held for ${escaped(BEN)}: together they would delete ${String(count)} of \\d+ synced entries at once\\. Nothing was deleted`,
        ),
      );
      // What would be deleted, by title and day, from Google (the activities went): folded under its summary.
      await ben.getByText('What would be deleted').click();
      const listed = (await ben.locator('.held-items li').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(
        [...listed].sort(),
        titles.map((t, i) => `${t} · ${slot(20 + i, 14)[0].slice(0, 10)} · from Google`).sort(),
      );
      const held = await stack.operator.userStatus(BEN);
      assert.equal(held.state, 'held');
      assert.equal(held.hold?.deletions, count);
      assert.equal(held.hold.decision, null);
      // Held, not done: every event is still in his calendar.
      assert.deepEqual(
        titles.map((t) => bensEvents().filter((e) => e.summary === t).length),
        titles.map(() => 1),
      );
      await shot('health-hold.png');

      // Release (restore). Should one of his syncs hold his lease just then, the page says so and it is clicked again.
      const release = page.getByRole('button', {
        name: `Release the held deletions of ${BEN}: the deleted entries are restored`,
      });
      const accepted = page.locator('#notice', { hasText: /^The / });
      const busy = page.locator('#failure', { hasText: /is running right now; try again in a minute\.$/ });
      // A click the page never sent (the Health list re-rendered under the pointer just then) is clicked again.
      let holdPosts = 0;
      const countHoldPosts = (request: { method(): string; url(): string }) => {
        if (request.method() === 'POST' && /\/api\/admin\/people\/[^/]+\/hold$/.test(request.url()))
          holdPosts += 1;
      };
      page.on('request', countHoldPosts);
      await release.click();
      let clickedAt = Date.now();
      await until(
        'the release accepted',
        async () => {
          if ((await accepted.count()) > 0) return true;
          const unsent = holdPosts === 0 && Date.now() - clickedAt > 3_000;
          if ((await busy.isVisible()) || unsent) {
            await release.click({ timeout: 5_000 });
            clickedAt = Date.now();
          }
          return false;
        },
        60_000,
      )
        .finally(() => page.off('request', countHoldPosts))
        .catch(async (error: unknown) => {
          const said = `notice "${await textOf(page.locator('#notice'))}", failure "${await textOf(page.locator('#failure'))}"`;
          throw new Error(
            `${error instanceof Error ? error.message : String(error)}; the page says: ${said}`,
          );
        });
      assert.equal(
        await textOf(page.locator('#notice')),
        `The ${String(count)} entries held for ${BEN} will be restored with the next sync.`,
      );

      // The next sync restores them; Health shows the hold gone and Ben healthy (the run ends the hold, then writes
      // his status: a refresh in between may show one without the other).
      await refreshUntilShown(
        'the hold gone from Health and Ben healthy',
        page.getByRole('button', { name: 'Refresh now' }),
        ben
          .filter({ has: page.locator('td[data-label="Deletions held"]', { hasText: /^—$/ }) })
          .filter({ has: page.locator('td[data-label="State"]', { hasText: /^Healthy$/ }) }),
        60_000,
      );
      assert.equal(await ben.getByRole('button', { name: /Release|Confirm/ }).count(), 0);
      const released = await stack.operator.userStatus(BEN);
      assert.equal(released.hold, null);
      assert.equal(released.state, 'healthy');
      // In the simulators: each entry once on each side again, the activities made anew from the events.
      const activities = stack.severaSim.allActivities();
      assert.deepEqual(
        titles.map((t) => activities.filter((a) => a.name === t).length),
        titles.map(() => 1),
      );
      assert.ok(
        activities.every((a) => !guids.includes(a.guid)),
        'the deleted activities stay deleted',
      );
      assert.deepEqual(
        titles.map((t) => bensEvents().filter((e) => e.summary === t).length),
        titles.map(() => 1),
      );
      const linked = new Set((await links()).map((l) => l.severaGuid));
      assert.ok(
        activities.filter((a) => titles.includes(a.name)).every((a) => linked.has(a.guid)),
        'every restored activity is linked',
      );

      // Ben's audit trail has each entry made again (written once the run is over: the tab asks again until they are
      // there), and the decision with who took it.
      await page.getByRole('tab', { name: 'Audit' }).click();
      await page.getByLabel('Person', { exact: true }).selectOption(BEN);
      await untilText(page.locator('#audit-count'), /^\d+ changes? to the entries of ben@demo\.example\.$/);
      const rows = page.locator('#audit-body tbody tr');
      await page
        .getByLabel('Contains', { exact: true })
        .fill('held deletion rejected: the activity is made again');
      await refreshUntilShown(
        `the ${String(count)} restored entries in Ben's audit`,
        page.getByRole('tab', { name: 'Audit' }),
        rows.nth(count - 1),
      );
      assert.equal(await rows.count(), count);
      for (const row of await rows.all()) {
        assert.equal(
          await textOf(row.locator('td[data-label="What and why"] span').first()),
          'Created in Severa',
        );
        assert.ok(titles.includes(await textOf(row.locator('td[data-label="Entry"] span').first())));
      }
      await page.getByLabel('Contains', { exact: true }).fill('Held deletions rejected');
      await untilText(rows, /^.+ Held deletions rejected \(entries restored\) /);
      assert.equal(await rows.count(), 1);
      assert.match(
        await textOf(rows.locator('td[data-label="What and why"] span').nth(1)),
        new RegExp(
          `^console:${escaped(AINO)} rejected ${String(count)} held deletions \\(too-many-deletions, held since .+\\)$`,
        ),
      );
    },
  );

  it('ran under the CSP with nothing loaded from another origin and no script error', () => {
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(foreignRequests, []);
    assert.deepEqual(pageErrors, []);
  });
});

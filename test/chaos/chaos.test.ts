/**
 * Fault scenarios on real infrastructure (SPEC §11): the production composition root with the real adapters, the
 * Firestore emulator, and the two simulators injecting the faults. Each scenario ends by checking both sides
 * against what a person would expect — no duplicate, nothing lost, both sides agreeing — and that one more round of
 * syncs writes nothing (a fixpoint). The suite prints
 * `chaos: <N> scenarios, <D> duplicates, <L> lost, <C> converged` and fails unless D = 0, L = 0 and C = N.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';

import type { ActivityModel } from '../sim/severa/index.js';
import { stopOwnEmulators, emulatorHost } from '../../scripts/emulators.js';
import {
  DEMO_TYPES,
  LiveOrg,
  PEOPLE,
  type LiveOrgOptions,
  type Person,
  type SimEvent,
} from '../support/live-org.js';
import { CrashInjectedError } from '../support/crash.js';

const EVENTS = 'POST /calendar/v3/calendars/{calendarId}/events';
const EVENT = '/calendar/v3/calendars/{calendarId}/events/{eventId}';

interface Expectation {
  readonly title: string;
  /** Activities with this name (entries, not occurrences). */
  readonly severa: number;
  /** Live events with this summary in each listed calendar. */
  readonly google: Partial<Record<Person, number>>;
}

interface Verdict {
  readonly duplicates: number;
  readonly lost: number;
  readonly problems: string[];
}

interface ScenarioResult {
  readonly name: string;
  readonly duplicates: number;
  readonly lost: number;
  readonly converged: boolean;
}

const results: ScenarioResult[] = [];
let skipReason: string | null = null;

// ---- People's actions, through the simulators' control surface

function severaCreate(
  org: LiveOrg,
  owner: Person,
  name: string,
  start: string,
  end: string,
  extra: Record<string, unknown> = {},
): ActivityModel {
  const created = org.severaSim.act({
    action: 'create',
    as: PEOPLE[owner].guid,
    activity: {
      name,
      startDateTime: start,
      endDateTime: end,
      activityType: { guid: DEMO_TYPES.meeting },
      ownerUser: { guid: PEOPLE[owner].guid },
      ...extra,
    },
  });
  assert.ok(created);
  return created;
}

function googleCreate(org: LiveOrg, person: Person, summary: string, start: string, end: string): SimEvent {
  return org.calendarSim.act({
    action: 'create',
    as: PEOPLE[person].email,
    event: { summary, start: { dateTime: start }, end: { dateTime: end } },
  }) as SimEvent;
}

function only<T>(items: readonly T[], what: string): T {
  assert.equal(items.length, 1, `exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

// ---- The oracle

const instant = (value: unknown): number => Date.parse(String(value));
const eventStart = (e: SimEvent): number =>
  instant((e.start as { dateTime?: string; date?: string }).dateTime ?? (e.start as { date?: string }).date);

/** Counts duplicates and losses against the expectations, and any disagreement between the sides. */
function judge(org: LiveOrg, expectations: readonly Expectation[], people: readonly Person[]): Verdict {
  let duplicates = 0;
  let lost = 0;
  const problems: string[] = [];
  // Duplicates anywhere, expected or not: two entries with the same title and start on one side.
  const groups = new Map<string, number>();
  for (const a of org.activities()) {
    const key = `severa|${a.ownerUser.guid}|${a.name}|${instant(a.startDateTime)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  for (const p of people) {
    for (const e of org.events(p)) {
      const key = `google|${p}|${String(e.summary)}|${eventStart(e)}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
  }
  for (const [key, n] of groups) {
    if (n > 1) {
      duplicates += n - 1;
      problems.push(`duplicate: ${key} ×${n}`);
    }
  }
  for (const x of expectations) {
    const activities = org.activitiesNamed(x.title);
    if (x.severa > 0 && activities.length === 0) {
      lost += 1;
      problems.push(`lost in Severa: ${x.title}`);
    }
    if (x.severa === 0 && activities.length > 0) problems.push(`still in Severa: ${x.title}`);
    for (const [person, want] of Object.entries(x.google) as [Person, number][]) {
      const events = org.eventsNamed(person, x.title);
      if (want > 0 && events.length === 0) {
        lost += 1;
        problems.push(`lost in ${person}'s calendar: ${x.title}`);
      }
      if (want === 0 && events.length > 0) problems.push(`still in ${person}'s calendar: ${x.title}`);
      const activity = activities[0];
      const event = events[0];
      if (activity && event && instant(activity.startDateTime) !== eventStart(event)) {
        problems.push(
          `start differs for ${x.title}: ${activity.startDateTime} vs ${JSON.stringify(event.start)}`,
        );
      }
      const location = typeof event?.location === 'string' ? event.location : '';
      if (activity && event && (activity.location ?? '') !== location) {
        problems.push(`location differs for ${x.title}: ${activity.location ?? ''} vs ${location}`);
      }
    }
  }
  return { duplicates, lost, problems };
}

/**
 * Ends a scenario: one more round of syncs (with a reconcile) must write nothing, then the oracle judges. Records
 * the result for the summary and fails the test on any problem.
 */
async function settle(
  name: string,
  org: LiveOrg,
  expectations: readonly Expectation[],
  people: readonly Person[] = ['aino', 'ben'],
): Promise<void> {
  org.onStep = null;
  org.severaSim.faults.clear();
  org.calendarSim.clearFaults();
  await org.poll();
  await org.syncAll(people, true);
  const before = org.writes();
  await org.poll();
  await org.syncAll(people, true);
  const after = org.writes();
  const verdict = judge(org, expectations, people);
  const idle = after.severa === before.severa && after.google === before.google;
  if (!idle) verdict.problems.push(`not a fixpoint: ${JSON.stringify({ before, after })}`);
  const converged = verdict.problems.length === 0;
  results.push({ name, duplicates: verdict.duplicates, lost: verdict.lost, converged });
  assert.deepEqual(verdict.problems, [], `${name}: ${verdict.problems.join('; ')}`);
}

async function withOrg(
  t: { readonly name: string; skip(message?: string): void },
  body: (org: LiveOrg) => Promise<void>,
  options: LiveOrgOptions = {},
): Promise<void> {
  if (skipReason !== null) {
    t.skip(skipReason);
    return;
  }
  const org = await LiveOrg.start(options);
  if ('skip' in org) {
    t.skip(org.skip);
    return;
  }
  const recorded = results.length;
  try {
    await body(org);
  } catch (error) {
    // A scenario that failed before its final check did not converge.
    if (results.length === recorded) results.push({ name: t.name, duplicates: 0, lost: 0, converged: false });
    throw error;
  } finally {
    await org.close();
  }
}

/** A baseline both sides already agree on: two of Aino's activities and one of Ben's Google events, synced. */
async function baseline(org: LiveOrg): Promise<{ a: ActivityModel; b: ActivityModel; c: SimEvent }> {
  const a = severaCreate(org, 'aino', 'Base A', '2026-12-14T09:00:00+02:00', '2026-12-14T10:00:00+02:00');
  const b = severaCreate(org, 'aino', 'Base B', '2026-12-15T09:00:00+02:00', '2026-12-15T10:00:00+02:00');
  const c = googleCreate(org, 'ben', 'Base C', '2026-12-16T09:00:00-05:00', '2026-12-16T10:00:00-05:00');
  await org.poll();
  await org.syncAll();
  assert.equal(org.eventsNamed('aino', 'Base A').length, 1);
  assert.equal(org.activitiesNamed('Base C').length, 1);
  return { a, b, c };
}

const BASELINE: Expectation[] = [
  { title: 'Base A', severa: 1, google: { aino: 1 } },
  { title: 'Base B', severa: 1, google: { aino: 1 } },
  { title: 'Base C', severa: 1, google: { ben: 1 } },
];

describe('chaos: faults on real infrastructure', () => {
  before(async () => {
    const emulator = await emulatorHost('firestore');
    if ('skip' in emulator) {
      skipReason = emulator.skip;
      console.log(`skipped: ${emulator.skip}`);
    }
  });
  after(async () => {
    const d = results.reduce((n, r) => n + r.duplicates, 0);
    const l = results.reduce((n, r) => n + r.lost, 0);
    const c = results.filter((r) => r.converged).length;
    if (skipReason === null) {
      console.log(`chaos: ${results.length} scenarios, ${d} duplicates, ${l} lost, ${c} converged`);
    }
    await stopOwnEmulators();
  });

  it('a 429 storm on Google inserts: retried with backoff, each event created once', async (t) => {
    await withOrg(t, async (org) => {
      for (const n of [1, 2, 3]) {
        severaCreate(
          org,
          'aino',
          `Storm ${n}`,
          `2026-12-0${n}T09:00:00+02:00`,
          `2026-12-0${n}T10:00:00+02:00`,
        );
      }
      org.calendarSim.setFaults([{ route: EVENTS, status: 429, count: 6 }]);
      await org.poll();
      const report = await org.drain();
      assert.equal(org.answered('google', { route: EVENTS.slice(5), method: 'POST', status: 429 }), 6);
      assert.equal(org.answered('google', { route: EVENTS.slice(5), method: 'POST', status: 200 }), 3);
      // Each 429 was waited for with backoff, or (after the last attempt of the policy) handed back to Pub/Sub.
      assert.equal(org.sleeps.length + report.redeliveries.length, 6);
      await settle(
        '429 storm on Google inserts',
        org,
        [1, 2, 3].map((n) => ({
          title: `Storm ${n}`,
          severa: 1,
          google: { aino: 1 },
        })),
      );
    });
  });

  it('a 5xx storm on Severa (reads and creates refused): retried, each activity created once', async (t) => {
    await withOrg(t, async (org) => {
      googleCreate(org, 'ben', 'Ben 1', '2026-12-03T09:00:00-05:00', '2026-12-03T10:00:00-05:00');
      googleCreate(org, 'ben', 'Ben 2', '2026-12-04T09:00:00-05:00', '2026-12-04T10:00:00-05:00');
      org.severaSim.faults.set([
        { route: 'POST /v1/activities', status: 503, count: 2 },
        { route: 'GET /v1/activities', status: 502, count: 2 },
      ]);
      await org.syncAll(['ben']);
      assert.equal(org.answered('severa', { route: '/v1/activities', method: 'POST', status: 503 }), 2);
      await settle('5xx storm on Severa', org, [
        { title: 'Ben 1', severa: 1, google: { ben: 1 } },
        { title: 'Ben 2', severa: 1, google: { ben: 1 } },
      ]);
    });
  });

  it('a Severa create whose response is lost after it took effect: found again, not duplicated', async (t) => {
    await withOrg(t, async (org) => {
      googleCreate(org, 'ben', 'Lost response', '2026-12-05T09:00:00-05:00', '2026-12-05T10:00:00-05:00');
      org.severaSim.faults.set([{ route: 'POST /v1/activities', status: 504, afterEffect: true, count: 1 }]);
      await org.syncAll(['ben']);
      assert.equal(org.answered('severa', { route: '/v1/activities', method: 'POST', status: 504 }), 1);
      await settle('Severa create response lost', org, [
        { title: 'Lost response', severa: 1, google: { ben: 1 } },
      ]);
    });
  });

  it('a Google insert whose response is lost after it took effect: 409 on retry, read back', async (t) => {
    await withOrg(t, async (org) => {
      severaCreate(org, 'aino', 'Insert lost', '2026-12-05T09:00:00+02:00', '2026-12-05T10:00:00+02:00');
      org.calendarSim.setFaults([{ route: EVENTS, status: 503, afterEffect: true, count: 1 }]);
      await org.poll();
      await org.drain();
      assert.equal(org.answered('google', { route: EVENTS.slice(5), method: 'POST', status: 409 }), 1);
      await settle('Google insert response lost', org, [
        { title: 'Insert lost', severa: 1, google: { aino: 1 } },
      ]);
    });
  });

  it('a 410 on the sync token: full resync reconciled against the links, no duplicates', async (t) => {
    await withOrg(t, async (org) => {
      const { c } = await baseline(org);
      org.calendarSim.act({
        action: 'update',
        as: PEOPLE.ben.email,
        id: c.id,
        changes: { location: 'Room 2' },
      });
      googleCreate(org, 'ben', 'After 410', '2026-12-17T09:00:00-05:00', '2026-12-17T10:00:00-05:00');
      org.calendarSim.act({ action: 'invalidateSyncTokens', as: PEOPLE.ben.email });
      await org.syncAll(['ben']);
      assert.ok(org.answered('google', { route: EVENTS.slice(5), method: 'GET', status: 410 }) >= 1);
      assert.equal(only(org.activitiesNamed('Base C'), 'Base C').location, 'Room 2');
      await settle('410 mid-sync', org, [...BASELINE, { title: 'After 410', severa: 1, google: { ben: 1 } }]);
    });
  });

  it('a 412 race: a person edits the Google copy while the sync writes it; both edits survive', async (t) => {
    await withOrg(t, async (org) => {
      const { a, b } = await baseline(org);
      for (const x of [a, b]) {
        org.severaSim.act({
          action: 'update',
          guid: x.guid,
          as: PEOPLE.aino.guid,
          changes: { name: `${x.name}!` },
        });
      }
      const ids = org.events('aino').map((e) => e.id);
      let raced = false;
      org.onStep = (step) => {
        if (raced || step !== 'store.putLink') return;
        raced = true;
        // Between the first item's write and the second's: the person moves both meetings to another room.
        for (const id of ids) {
          org.calendarSim.act({
            action: 'update',
            as: PEOPLE.aino.email,
            id,
            changes: { location: 'Room 7' },
          });
        }
      };
      await org.poll();
      await org.drain();
      assert.ok(raced);
      assert.ok(
        org.answered('google', { route: EVENT, method: 'PATCH', status: 412 }) >= 1,
        'a 412 happened',
      );
      await settle('412 race with a human edit', org, [
        { title: 'Base A!', severa: 1, google: { aino: 1 } },
        { title: 'Base B!', severa: 1, google: { aino: 1 } },
        { title: 'Base C', severa: 1, google: { ben: 1 } },
      ]);
      // Neither edit was lost: the Severa titles and the Google room, on both sides.
      for (const name of ['Base A!', 'Base B!']) {
        assert.equal(only(org.eventsNamed('aino', name), name).location, 'Room 7');
        assert.equal(only(org.activitiesNamed(name), name).location, 'Room 7');
      }
    });
  });

  it('the same sync request delivered twice at once, and two requests at once: one run, one write', async (t) => {
    await withOrg(t, async (org) => {
      googleCreate(org, 'aino', 'Twice', '2026-12-06T09:00:00+02:00', '2026-12-06T10:00:00+02:00');
      await org.request('aino');
      await org.request('aino');
      const [first, second] = org.publisher.take();
      assert.ok(first && second);
      const settled = await Promise.allSettled([
        org.deliver(first.message),
        org.deliver(first.message),
        org.deliver(second.message),
      ]);
      // The lease lets one run work; the others are turned away (redelivered) or, once it finished, find their
      // request served by it.
      for (const [i, result] of settled.entries()) {
        if (result.status === 'rejected') await org.deliver((i === 2 ? second : first).message);
      }
      const working = settled.filter(
        (r) => r.status === 'fulfilled' && r.value.kind === 'synced' && r.value.result.applied > 0,
      );
      assert.equal(working.length, 1, 'one run did the work');
      assert.equal(org.answered('severa', { route: '/v1/activities', method: 'POST', status: 201 }), 1);
      await settle('same request twice and concurrently', org, [
        { title: 'Twice', severa: 1, google: { aino: 1 } },
      ]);
    });
  });

  it('two attendees sync one new Google meeting at the same moment: one activity (B5)', async (t) => {
    await withOrg(t, async (org) => {
      org.calendarSim.act({
        action: 'create',
        as: PEOPLE.aino.email,
        attendees: [PEOPLE.ben.email],
        event: {
          summary: 'Shared meeting',
          start: { dateTime: '2026-12-08T15:00:00+02:00' },
          end: { dateTime: '2026-12-08T16:00:00+02:00' },
        },
      });
      await org.request('aino');
      await org.request('ben');
      const [x, y] = org.publisher.take();
      assert.ok(x && y);
      const settled = await Promise.allSettled([org.deliver(x.message), org.deliver(y.message)]);
      for (const [i, s] of settled.entries()) {
        if (s.status === 'rejected') await org.deliver((i === 0 ? x : y).message).catch(() => undefined);
      }
      await org.drain();
      const activity = only(org.activitiesNamed('Shared meeting'), 'Shared meeting activity');
      assert.equal(org.severaSim.participants(activity.guid).length, 1, 'the other attendee joined it');
      await settle('concurrent meeting attendees', org, [
        { title: 'Shared meeting', severa: 1, google: { aino: 1, ben: 1 } },
      ]);
    });
  });

  it('a Severa deletion (invisible to changedSince) is found by the reconcile and confirmed by a 404', async (t) => {
    await withOrg(t, async (org) => {
      const { a } = await baseline(org);
      org.severaSim.act({ action: 'delete', guid: a.guid, as: PEOPLE.aino.guid });
      // The change feed does not show deletions: a plain sync leaves the copy alone.
      await org.poll();
      await org.request('aino');
      await org.drain();
      assert.equal(org.eventsNamed('aino', 'Base A').length, 1);
      await org.request('aino', { reconcile: true });
      await org.drain();
      assert.ok(org.answered('severa', { route: '/v1/activities/{guid}', method: 'GET', status: 404 }) >= 1);
      assert.equal(org.eventsNamed('aino', 'Base A').length, 0);
      await settle('Severa deletion', org, [
        { ...BASELINE[0], severa: 0, google: { aino: 0 } } as Expectation,
        ...BASELINE.slice(1),
      ]);
    });
  });

  it('a weekly series with an occurrence moved in Google and one cancelled in Severa', async (t) => {
    await withOrg(t, async (org) => {
      const series = severaCreate(
        org,
        'aino',
        'Weekly review',
        '2026-12-07T14:00:00+02:00',
        '2026-12-07T15:00:00+02:00',
        {
          recurrence: {
            frequency: 'Weekly',
            pattern: { weekly: { interval: 1, monday: true } },
            range: { maxOccurrences: 6 },
          },
        },
      );
      await org.poll();
      await org.syncAll(['aino']);
      const master = only(org.eventsNamed('aino', 'Weekly review'), 'series master');
      assert.ok(Array.isArray(master.recurrence));
      org.calendarSim.act({
        action: 'moveOccurrence',
        as: PEOPLE.aino.email,
        id: master.id,
        originalStart: '2026-12-14T14:00:00+02:00',
        start: { dateTime: '2026-12-14T16:00:00+02:00' },
        end: { dateTime: '2026-12-14T17:00:00+02:00' },
      });
      org.severaSim.act({
        action: 'cancelOccurrence',
        seriesGuid: series.guid,
        originalStart: '2026-12-21T14:00:00+02:00',
        as: PEOPLE.aino.guid,
      });
      await org.poll();
      await org.syncAll(['aino']);
      // Google expresses a cancelled occurrence as an EXDATE on the master or as a cancelled instance.
      const after = only(org.eventsNamed('aino', 'Weekly review'), 'series master');
      const exdate = (after.recurrence as string[]).some(
        (l) => l.startsWith('EXDATE') && l.includes('20261221'),
      );
      const cancelled = org
        .exceptions('aino', master.id)
        .some(
          (e) =>
            e.status === 'cancelled' &&
            instant((e.originalStartTime as { dateTime?: string }).dateTime) ===
              instant('2026-12-21T14:00:00+02:00'),
        );
      assert.ok(exdate || cancelled, 'the Severa cancellation reached Google');
      const moved = org.severaSim
        .allActivities()
        .filter(
          (r) =>
            r.recurrenceParentActivityGuid === series.guid &&
            instant(r.startDateTime) === instant('2026-12-14T16:00:00+02:00'),
        );
      assert.equal(moved.length, 1, 'the Google move reached Severa');
      await settle(
        'series exception both ways',
        org,
        [{ title: 'Weekly review', severa: 1, google: { aino: 1 } }],
        ['aino'],
      );
    });
  });

  it('lost push notifications: the safety sync brings the change anyway', async (t) => {
    let received = 0;
    let server: Server | null = null;
    const address = await new Promise<string>((resolve) => {
      server = createServer((req, res) => {
        received += 1;
        res.writeHead(200).end();
      }).listen(0, '127.0.0.1', () => {
        const a = server?.address();
        resolve(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/calendarPush`);
      });
    });
    try {
      await withOrg(
        t,
        async (org) => {
          await org.maintain(); // watches both calendars, and asks for the first (reconciling) syncs
          await org.drain();
          assert.equal(org.calendarSim.channels().filter((c) => !c.stopped).length, 2);
          org.calendarSim.setFaults([{ route: '*', dropNotifications: true }]);
          await org.calendarSim.flushNotifications();
          const before = received;
          googleCreate(org, 'aino', 'Unnotified', '2026-12-09T09:00:00+02:00', '2026-12-09T10:00:00+02:00');
          await org.calendarSim.flushNotifications();
          assert.equal(received, before, 'the notification was dropped');
          await new Promise((r) => setTimeout(r, 5));
          await org.maintain(); // the safety interval (1 ms here) has passed
          await org.drain();
          assert.equal(org.activitiesNamed('Unnotified').length, 1);
          await settle('lost push notifications', org, [
            { title: 'Unnotified', severa: 1, google: { aino: 1 } },
          ]);
        },
        { pushAddress: address, env: { SAFETY_SYNC_INTERVAL_MS: '1' } },
      );
    } finally {
      await new Promise((r) => server?.close(r));
    }
  });

  describe('a crash between every pair of steps of a run, then a rerun', () => {
    /** Changes on both sides after the baseline: a create each way, an update each way, a delete each way. */
    async function changes(org: LiveOrg, base: Awaited<ReturnType<typeof baseline>>): Promise<void> {
      severaCreate(org, 'aino', 'New in Severa', '2026-12-18T09:00:00+02:00', '2026-12-18T10:00:00+02:00');
      googleCreate(org, 'aino', 'New in Google', '2026-12-19T09:00:00+02:00', '2026-12-19T10:00:00+02:00');
      org.severaSim.act({
        action: 'update',
        guid: base.a.guid,
        as: PEOPLE.aino.guid,
        changes: { location: 'Moved' },
      });
      const eventB = only(org.eventsNamed('aino', 'Base B'), 'Base B');
      org.calendarSim.act({ action: 'delete', as: PEOPLE.aino.email, id: eventB.id });
      await org.poll();
      await org.request('aino');
    }
    const expected: Expectation[] = [
      { title: 'Base A', severa: 1, google: { aino: 1 } },
      { title: 'Base B', severa: 0, google: { aino: 0 } },
      { title: 'Base C', severa: 1, google: { ben: 1 } },
      { title: 'New in Severa', severa: 1, google: { aino: 1 } },
      { title: 'New in Google', severa: 1, google: { aino: 1 } },
    ];

    it('crashes after each step in turn; every rerun converges', async (t) => {
      if (skipReason !== null) {
        t.skip(skipReason);
        return;
      }
      // A clean run first, to learn its durable steps.
      const steps: string[] = [];
      await withOrg(t, async (org) => {
        await changes(org, await baseline(org));
        org.onStep = (step) => steps.push(step);
        await org.drain();
      });
      assert.ok(steps.length >= 8, `a run with six changes has many steps: ${steps.join(', ')}`);
      for (let k = 0; k < steps.length; k += 1) {
        await t.test(`crash after step ${k + 1} of ${steps.length} (${steps[k] ?? '?'})`, async (st) => {
          await withOrg(st, async (org) => {
            await changes(org, await baseline(org));
            let seen = 0;
            org.onStep = () => {
              seen += 1;
              if (seen === k + 1) throw new CrashInjectedError(`crash after step ${k + 1}`);
            };
            const report = await org.drain();
            assert.ok(report.redeliveries.includes('crash-injected'), 'the crash happened');
            await settle(st.name, org, expected);
          });
        });
      }
    });
  });

  after(() => {
    if (skipReason !== null) return;
    const d = results.reduce((n, r) => n + r.duplicates, 0);
    const l = results.reduce((n, r) => n + r.lost, 0);
    const c = results.filter((r) => r.converged).length;
    assert.ok(
      d === 0 && l === 0 && c === results.length,
      `chaos: ${d} duplicates, ${l} lost, ${c}/${results.length} converged`,
    );
  });
});

/**
 * End to end through the deployed shape (SPEC §5, §8): the local stack — official emulators, simulators, the four
 * functions behind the Functions Framework, real Pub/Sub push subscriptions — driven only through the simulators'
 * control surface (what people do in Severa and in Google Calendar) and the signed change notices a Severa relay
 * sends. Every scenario waits for convergence as a person would see it. The run prints the measured
 * change-to-visible latency per direction; no test asserts a time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { LOCAL_CONSOLE_CLIENT_ID, startLocalStack, type LocalStack } from '../../scripts/local-stack.js';
import type { ActivityModel } from '../sim/severa/index.js';
import { DEMO_ACTIVITIES, DEMO_TYPES, DEMO_USERS } from '../sim/severa/demo-fixture.js';
import { emulatorStatus, stopOwnEmulators } from '../../scripts/emulators.js';

const AINO = { guid: DEMO_USERS.helsinki, email: 'aino@demo.example' };
const BEN = { guid: DEMO_USERS.newYork, email: 'ben@demo.example' };
const CECILIA = { guid: DEMO_USERS.london, email: 'cecilia@demo.example' };

type Event = Record<string, unknown> & { id: string; summary?: string; status?: string };

const statuses = (['firestore', 'pubsub'] as const).map((name) => emulatorStatus(name));
const skip = statuses.flatMap((s) => (s.ok ? [] : [s.reason]))[0] ?? null;
if (skip !== null) console.log(`skipped: ${skip}`);

const latencies: Record<'Severa → Google' | 'Google → Severa', number[]> = {
  'Severa → Google': [],
  'Google → Severa': [],
};

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe('end to end through the functions and Pub/Sub (local stack)', { skip: skip ?? false }, () => {
  let stack: LocalStack;
  const log: string[] = [];

  before(async () => {
    stack = await startLocalStack({
      tickIntervalMs: 60_000,
      secondPollDelayMs: 0,
      logLevel: 'info',
      writeLog: (line) => log.push(line),
    });
    // The demo users' first syncs (asked for by the stack's first tick upkeep) bring the demo data across.
    await until('the initial sync', () => events(AINO).some((e) => e.summary === 'Customer workshop'));
    await until('the initial sync', () => activities('Sprint planning').length === 1);
  });

  after(async () => {
    await stack.stop();
    await stopOwnEmulators();
    for (const [direction, values] of Object.entries(latencies)) {
      if (values.length === 0) continue;
      console.log(
        `e2e latency ${direction}: p50 ${percentile(values, 50).toFixed(0)} ms, p95 ${percentile(values, 95).toFixed(0)} ms (n=${String(values.length)})`,
      );
    }
  });

  async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<number> {
    const started = performance.now();
    while (!check()) {
      if (performance.now() - started > timeoutMs) {
        const errors = log.filter((l) => l.includes('"ERROR"')).slice(-3);
        throw new Error(
          `timed out waiting for ${what}${errors.length > 0 ? `; last errors: ${errors.join(' | ')}` : ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return performance.now() - started;
  }

  async function untilAsync(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Times a change until it is visible on the other side. */
  async function measure(
    direction: keyof typeof latencies,
    what: string,
    change: () => Promise<void> | void,
    visible: () => boolean,
  ): Promise<void> {
    const started = performance.now();
    await change();
    await until(what, visible);
    latencies[direction].push(performance.now() - started);
  }

  function events(person: { email: string }): Event[] {
    return stack.calendarSim
      .events(person.email)
      .filter((e) => e.status !== 'cancelled' && e.recurringEventId === undefined) as Event[];
  }
  const eventsNamed = (person: { email: string }, summary: string) =>
    events(person).filter((e) => e.summary === summary);
  function activities(name: string): ActivityModel[] {
    return stack.severaSim
      .allActivities()
      .filter((a) => a.name === name && (a.recurrenceType === 'None' || a.recurrenceType === 'Series'));
  }

  /** A person's change in Severa, followed by the relay's signed notice (Severa has no webhooks of its own). */
  async function inSevera(
    action: Parameters<LocalStack['severaSim']['act']>[0],
  ): Promise<ActivityModel | null> {
    const result = stack.severaSim.act(action);
    const guid = 'guid' in action ? action.guid : 'seriesGuid' in action ? action.seriesGuid : result?.guid;
    assert.ok(guid);
    assert.equal(await stack.notifySevera([guid]), 202);
    return result;
  }

  function createActivity(owner: { guid: string }, name: string, start: string, end: string, extra = {}) {
    return inSevera({
      action: 'create',
      as: owner.guid,
      activity: {
        name,
        startDateTime: start,
        endDateTime: end,
        activityType: { guid: DEMO_TYPES.meeting },
        ownerUser: { guid: owner.guid },
        ...extra,
      },
    });
  }

  it('Severa → Google: a new activity appears in its owner’s calendar', async () => {
    await measure(
      'Severa → Google',
      'the event in Google',
      async () => {
        await createActivity(AINO, 'Budget review', '2026-12-10T10:00:00+02:00', '2026-12-10T11:00:00+02:00');
      },
      () => eventsNamed(AINO, 'Budget review').length === 1,
    );
  });

  it('Google → Severa: a new event (push notification → calendarPush → Pub/Sub → syncWorker)', async () => {
    await measure(
      'Google → Severa',
      'the activity in Severa',
      () => {
        stack.calendarSim.act({
          action: 'create',
          as: BEN.email,
          event: {
            summary: 'Architecture talk',
            start: { dateTime: '2026-12-11T09:00:00-05:00' },
            end: { dateTime: '2026-12-11T10:00:00-05:00' },
          },
        });
      },
      () => activities('Architecture talk').length === 1,
    );
    assert.equal(activities('Architecture talk')[0]?.ownerUser.guid, BEN.guid);
  });

  it('updates move both ways', async () => {
    const event = eventsNamed(AINO, 'Budget review')[0];
    assert.ok(event);
    await measure(
      'Google → Severa',
      'the new location in Severa',
      () => {
        stack.calendarSim.act({
          action: 'update',
          as: AINO.email,
          id: event.id,
          changes: { location: 'Room 4' },
        });
      },
      () => activities('Budget review')[0]?.location === 'Room 4',
    );
    const activity = activities('Budget review')[0];
    assert.ok(activity);
    await measure(
      'Severa → Google',
      'the moved event in Google',
      async () => {
        await inSevera({
          action: 'update',
          guid: activity.guid,
          as: AINO.guid,
          changes: { startDateTime: '2026-12-10T12:00:00+02:00', endDateTime: '2026-12-10T13:00:00+02:00' },
        });
      },
      () =>
        Date.parse(
          String((eventsNamed(AINO, 'Budget review')[0]?.start as { dateTime?: string }).dateTime),
        ) === Date.parse('2026-12-10T12:00:00+02:00'),
    );
  });

  it('S5: a participant without sync changes an entry; every syncing participant sees it', async () => {
    // The demo's weekly series is Ben's with Cecilia as participant; Cecilia has no sync.
    await measure(
      'Severa → Google',
      "Cecilia's rename in Ben's calendar",
      async () => {
        await inSevera({
          action: 'update',
          guid: DEMO_ACTIVITIES.weeklySync,
          as: CECILIA.guid,
          changes: { name: 'Weekly sync (agenda in notes)' },
        });
      },
      () => eventsNamed(BEN, 'Weekly sync (agenda in notes)').length === 1,
    );
    assert.equal(events(CECILIA).filter((e) => e.summary === 'Weekly sync (agenda in notes)').length, 0);
  });

  it('S4: a private Google event becomes a Personal activity', async () => {
    await measure(
      'Google → Severa',
      'the private event in Severa',
      () => {
        stack.calendarSim.act({
          action: 'create',
          as: AINO.email,
          event: {
            summary: 'Physiotherapy',
            visibility: 'private',
            start: { dateTime: '2026-12-12T08:00:00+02:00' },
            end: { dateTime: '2026-12-12T09:00:00+02:00' },
          },
        });
      },
      () => activities('Physiotherapy').length === 1,
    );
    assert.equal(activities('Physiotherapy')[0]?.activityType.guid, DEMO_TYPES.personal);
  });

  it('S3: a project task never reaches Google', async () => {
    await createActivity(
      AINO,
      'Estimate the backlog',
      '2026-12-14T10:00:00+02:00',
      '2026-12-14T12:00:00+02:00',
      {
        activityType: { guid: DEMO_TYPES.projectTask },
      },
    );
    // A marker created after it shows the sync has run past it.
    await createActivity(AINO, 'After the task', '2026-12-14T13:00:00+02:00', '2026-12-14T14:00:00+02:00');
    await until('the marker in Google', () => eventsNamed(AINO, 'After the task').length === 1);
    assert.equal(eventsNamed(AINO, 'Estimate the backlog').length, 0);
    assert.equal(eventsNamed(AINO, 'Write the migration plan').length, 0, 'the demo project task neither');
  });

  it('S6: enabling a user matches what exists on both sides instead of duplicating it', async () => {
    stack.severaSim.act({
      action: 'create',
      as: CECILIA.guid,
      activity: {
        name: 'Board meeting',
        startDateTime: '2026-12-15T14:00:00+00:00',
        endDateTime: '2026-12-15T16:00:00+00:00',
        activityType: { guid: DEMO_TYPES.meeting },
        ownerUser: { guid: CECILIA.guid },
      },
    });
    stack.calendarSim.act({
      action: 'create',
      as: CECILIA.email,
      event: {
        summary: 'Board meeting',
        start: { dateTime: '2026-12-15T14:00:00Z' },
        end: { dateTime: '2026-12-15T16:00:00Z' },
      },
    });
    // Cecilia switches her sync on (S2): matched by e-mail, her first sync is queued.
    await stack.operator.enableUser(CECILIA.email);
    let state = 'off';
    await untilAsync('Cecilia’s first complete sync', async () => {
      state = (await stack.container.stores.store.getStatus(CECILIA.guid)).state;
      return state !== 'off' && state !== 'initial';
    });
    const status = await stack.container.stores.store.getStatus(CECILIA.guid);
    assert.equal(status.state, 'healthy', status.message ?? '');
    assert.equal(activities('Board meeting').length, 1, 'one activity');
    assert.equal(eventsNamed(CECILIA, 'Board meeting').length, 1, 'one event');
    assert.equal(
      eventsNamed(CECILIA, 'Weekly sync (agenda in notes)').length,
      1,
      'her Severa entries came across',
    );
  });

  it('deletions move both ways', async () => {
    const talk = eventsNamed(BEN, 'Architecture talk')[0];
    assert.ok(talk);
    await measure(
      'Google → Severa',
      'the activity gone from Severa',
      () => {
        stack.calendarSim.act({ action: 'delete', as: BEN.email, id: talk.id });
      },
      () => activities('Architecture talk').length === 0,
    );
    const budget = activities('Budget review')[0];
    assert.ok(budget);
    await measure(
      'Severa → Google',
      'the event gone from Google',
      async () => {
        await inSevera({ action: 'delete', guid: budget.guid, as: AINO.guid });
      },
      () => eventsNamed(AINO, 'Budget review').length === 0,
    );
  });

  it('a recurring series with an exception keeps one series on each side', async () => {
    await measure(
      'Severa → Google',
      'the series in Google',
      async () => {
        await createActivity(AINO, 'Team standup', '2026-12-07T09:00:00+02:00', '2026-12-07T09:15:00+02:00', {
          recurrence: {
            frequency: 'Weekly',
            pattern: { weekly: { interval: 1, monday: true, wednesday: true } },
            range: { maxOccurrences: 8 },
          },
        });
      },
      () => eventsNamed(AINO, 'Team standup').length === 1,
    );
    const master = eventsNamed(AINO, 'Team standup')[0];
    assert.ok(master && Array.isArray(master.recurrence));
    const series = activities('Team standup')[0];
    assert.ok(series);
    await measure(
      'Google → Severa',
      'the moved occurrence in Severa',
      () => {
        stack.calendarSim.act({
          action: 'moveOccurrence',
          as: AINO.email,
          id: master.id,
          originalStart: '2026-12-09T09:00:00+02:00',
          start: { dateTime: '2026-12-09T10:00:00+02:00' },
          end: { dateTime: '2026-12-09T10:15:00+02:00' },
        });
      },
      () =>
        stack.severaSim
          .allActivities()
          .some(
            (a) =>
              a.recurrenceParentActivityGuid === series.guid &&
              Date.parse(a.startDateTime) === Date.parse('2026-12-09T10:00:00+02:00'),
          ),
    );
    assert.equal(activities('Team standup').length, 1, 'one series in Severa');
    assert.equal(eventsNamed(AINO, 'Team standup').length, 1, 'one series in Google');
  });

  it('bad input to the HTTP functions gets a clear 4xx and changes nothing', async () => {
    const writes = () =>
      stack.severaSim.stats.total({ method: 'POST' }) + stack.calendarSim.stats.total({ method: 'PATCH' });
    const before = writes();
    const post = async (path: string, headers: Record<string, string>, body = '') => {
      const res = await fetch(`${stack.functionsUrl}${path}`, { method: 'POST', headers, body });
      const text = await res.text();
      return { status: res.status, text };
    };
    const channel = (await stack.container.stores.users.getUser(AINO.guid))?.channel;
    assert.ok(channel);
    const forged = await post('/calendarPush', {
      'x-goog-channel-id': channel.id,
      'x-goog-channel-token': 'guessed',
      'x-goog-resource-id': channel.resourceId,
      'x-goog-resource-state': 'exists',
    });
    assert.equal(forged.status, 401);
    const unknown = await post('/calendarPush', {
      'x-goog-channel-id': 'nope',
      'x-goog-resource-id': 'r',
      'x-goog-resource-state': 'exists',
    });
    assert.deepEqual([unknown.status, unknown.text], [forged.status, forged.text], 'no channel probing');
    const direct = await post(
      '/syncWorker/projects/p/topics/t',
      { 'content-type': 'application/json' },
      JSON.stringify({ message: { data: '', messageId: '1' } }),
    );
    assert.equal(direct.status, 401, 'only authenticated Pub/Sub push reaches the worker');
    const unsigned = await post(
      '/severaWebhook',
      { 'content-type': 'application/json' },
      '{"activityGuids":["x"]}',
    );
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.text, /missing/);
    const huge = await post(
      '/severaWebhook',
      { 'content-type': 'application/json' },
      JSON.stringify({ activityGuids: ['x'], pad: 'y'.repeat(70_000) }),
    );
    assert.equal(huge.status, 413);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(writes(), before);
  });

  it('the console: people switched sync on themselves, see their own status; the admin sees everyone', async () => {
    const get = async (path: string, email: string) => {
      const token = stack.calendarSim.issueIdToken({ email, audience: LOCAL_CONSOLE_CLIENT_ID });
      const res = await fetch(`${stack.functionsUrl}/console${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ben = await get('/api/me', BEN.email);
    assert.equal(ben.status, 200);
    assert.deepEqual(
      [ben.body.email, ben.body.admin, (ben.body.person as { enabled: boolean }).enabled],
      [BEN.email, false, true],
    );
    assert.deepEqual(ben.body.integration, { setUp: true, enabled: true });
    const audit = await get('/api/me/audit', BEN.email);
    assert.ok((audit.body.entries as unknown[]).length > 0, 'what the sync did to his entries');
    assert.equal((await get('/api/admin/people', BEN.email)).status, 403);
    const people = await get('/api/admin/people', AINO.email);
    const enabled = (people.body.people as { email: string; enabled: boolean }[])
      .filter((p) => p.enabled)
      .map((p) => p.email);
    assert.ok(enabled.includes(AINO.email) && enabled.includes(BEN.email), enabled.join(', '));
  });

  it('ends with no duplicates anywhere and every syncing user healthy', async () => {
    // Let anything in flight finish: a tick now, then both sides stay as they are.
    await stack.tick();
    await new Promise((r) => setTimeout(r, 1500));
    const names = stack.severaSim
      .allActivities()
      .filter((a) => a.recurrenceType === 'None' || a.recurrenceType === 'Series')
      .map((a) => `${a.ownerUser.guid}|${a.name}|${String(Date.parse(a.startDateTime))}`);
    assert.equal(new Set(names).size, names.length, 'no duplicate activities');
    for (const person of [AINO, BEN, CECILIA]) {
      const keys = events(person).map(
        (e) => `${String(e.summary)}|${JSON.stringify(e.start as { dateTime?: string; date?: string })}`,
      );
      assert.equal(new Set(keys).size, keys.length, `no duplicate events for ${person.email}`);
      const status = await stack.container.stores.store.getStatus(person.guid);
      assert.equal(status.state, 'healthy', `${person.email}: ${status.message ?? ''}`);
    }
  });
});

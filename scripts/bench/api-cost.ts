/**
 * API cost (SPEC §10): Google and Severa calls per idle person-hour, Severa calls per idle org cycle, and API writes
 * per synced change, side by side with a per-person poller (the anchors' way: every 30 s, list each person's Google
 * events and Severa activities).
 *
 * Runs on the production composition root (`createContainer`: the real adapters, tick and worker) over both API
 * simulators (real HTTP) and the official Firestore emulator, on an injected clock: an hour of ticks
 * (`runTickCycle`, one a minute, its second poll 30 s later) passes in moments, and every sync request the tick
 * publishes is delivered to the worker at once. The simulators count every call they answer; token and control
 * routes are left out.
 */
import type { StatsRow } from '../../test/sim/common/index.js';
import { DEMO_TYPES, LiveOrg, PEOPLE, type Person } from '../../test/support/live-org.js';
import { ManualClock } from '../../test/support/world.js';
import { runTickCycle } from '../../shared/app/sync-tick.js';
import type { SyncUser } from '../../shared/domain/index.js';
import { DEFAULT_ASSUMPTIONS, PRICES, fitIdle, monthlyCost, type MeasuredUsage } from './cost.js';
import { meterFirestore, type FirestoreOps } from './firestore-meter.js';
import { betterBy, num, type Bench, type BenchOptions, type Row, type Section } from './report.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The anchors' cycle: Severa's own ~30 s. */
const BASELINE_CYCLE_MS = 30_000;

interface Calls {
  readonly severa: number;
  readonly google: number;
}

/** API calls the simulators answered (token endpoints and the simulators' own control routes left out). */
function apiCalls(live: LiveOrg): Calls {
  const count = (rows: readonly StatsRow[]) =>
    rows.filter((r) => !/token|\/_sim\//.test(r.route)).reduce((n, r) => n + r.count, 0);
  return { severa: count(live.severaSim.stats.rows()), google: count(live.calendarSim.stats.rows()) };
}

function since(now: Calls, before: Calls): Calls {
  return { severa: now.severa - before.severa, google: now.google - before.google };
}

/** A few entries per person on each side, in the sync window, so an idle hour has something to look at. */
function seed(live: LiveOrg, clock: ManualClock, people: readonly Person[]): void {
  const day = (n: number, hour: number) =>
    new Date(
      Math.floor(clock.now().getTime() / 86_400_000 + n) * 86_400_000 + hour * 3_600_000,
    ).toISOString();
  for (const person of people) {
    for (let i = 0; i < 5; i++) {
      live.severaSim.act({
        action: 'create',
        as: PEOPLE[person].guid,
        activity: {
          name: `${person} Severa ${String(i)}`,
          startDateTime: day(i + 1, 8),
          endDateTime: day(i + 1, 9),
          activityType: { guid: DEMO_TYPES.meeting },
          ownerUser: { guid: PEOPLE[person].guid },
        },
      });
      live.calendarSim.act({
        action: 'create',
        as: PEOPLE[person].email,
        event: {
          summary: `${person} Google ${String(i)}`,
          start: { dateTime: day(i + 1, 12) },
          end: { dateTime: day(i + 1, 13) },
        },
      });
    }
  }
}

/** What an hour of ticks cost beyond the API calls: the polls' Severa calls and the worker's deliveries. */
interface Counter {
  /** Severa HTTP calls made by the org polls (`listChangedSince`), counted around each call. */
  pollCalls: number;
  /** Sync requests delivered to the worker (each one Pub/Sub message published and pushed). */
  deliveries: number;
  /** Deliveries that ran a sync (the rest were coalesced or skipped). */
  runs: number;
}

const newCounter = (): Counter => ({ pollCalls: 0, deliveries: 0, runs: 0 });

async function drainCounted(live: LiveOrg, counter: Counter): Promise<void> {
  const report = await live.drain();
  counter.deliveries += report.outcomes.length + report.redeliveries.length;
  counter.runs += report.outcomes.filter((o) => o.kind === 'synced').length;
}

/** One production tick cycle on the injected clock, and the worker for everything it asked. */
async function tickMinute(live: LiveOrg, clock: ManualClock, counter: Counter): Promise<void> {
  const secondPollDelayMs = 30_000;
  const sleep = async (ms: number) => {
    clock.advance(ms);
    await drainCounted(live, counter);
  };
  const deps = await live.container.tickDeps();
  const severa = deps.severa;
  const listChangedSince = async (sinceIso: string) => {
    const before = apiCalls(live).severa;
    try {
      return await severa.listChangedSince(sinceIso);
    } finally {
      counter.pollCalls += apiCalls(live).severa - before;
    }
  };
  // Every other method reaches the adapter itself (its private fields need it as `this`).
  const counted = new Proxy(severa, {
    get: (target, key) => {
      if (key === 'listChangedSince') return listChangedSince;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  await runTickCycle({ ...deps, severa: counted }, sleep, {
    secondPollDelayMs,
    maintenanceEveryMinutes: live.container.config.intervals.tickMaintenanceEveryMinutes,
  });
  await drainCounted(live, counter);
  clock.advance(MINUTE - secondPollDelayMs);
}

async function runHour(live: LiveOrg, clock: ManualClock, counter = newCounter()): Promise<Counter> {
  for (let minute = 0; minute < 60; minute++) await tickMinute(live, clock, counter);
  return counter;
}

/** The anchors' way for the same people and the same hour: every 30 s, list each person's two sides. */
async function baselineHour(live: LiveOrg, clock: ManualClock, people: readonly Person[]): Promise<void> {
  const calendar = await live.container.calendar();
  const severa = await live.container.severa();
  const users: SyncUser[] = await Promise.all(people.map((p) => live.user(p)));
  const tokens = new Map<string, string>();
  for (let t = 0; t < HOUR; t += BASELINE_CYCLE_MS) {
    for (const user of users) {
      const now = clock.now().getTime();
      const token = tokens.get(user.email);
      const listed = await calendar.list(
        user,
        token ? { syncToken: token } : { timeMin: new Date(now - 30 * 86_400_000).toISOString() },
      );
      tokens.set(user.email, listed.nextSyncToken);
      await severa.listForUser(user.severaUserGuid, {
        from: new Date(now - 30 * 86_400_000).toISOString(),
        to: new Date(now + 180 * 86_400_000).toISOString(),
      });
    }
    clock.advance(BASELINE_CYCLE_MS);
  }
}

export interface IdleFigures {
  readonly people: number;
  readonly ours: Calls;
  readonly baseline: Calls;
  readonly counter: Counter;
  /** Firestore operations of the measured hour (tick and worker together). */
  readonly firestore: FirestoreOps;
}

/** Warm-up (first syncs, channels, a first hour), then one measured idle hour of ours and one of the baseline. */
async function idleHour(people: readonly Person[], log: BenchOptions['log']): Promise<IdleFigures> {
  const clock = new ManualClock(new Date().toISOString());
  const started = await LiveOrg.start({
    syncing: people,
    directory: 'syncing',
    clock,
    pushAddress: 'https://push.invalid/calendarPush',
  });
  if ('skip' in started) throw new SkipError(started.skip);
  const live = started;
  try {
    seed(live, clock, people);
    log(`${String(people.length)} people: warm-up hour`);
    await runHour(live, clock);
    const before = apiCalls(live);
    log(`${String(people.length)} people: measured idle hour`);
    const meter = meterFirestore();
    let counter: Counter;
    try {
      counter = await runHour(live, clock);
    } finally {
      meter.uninstall();
    }
    const ours = since(apiCalls(live), before);
    const baseBefore = apiCalls(live);
    await baselineHour(live, clock, people);
    return {
      people: people.length,
      ours,
      baseline: since(apiCalls(live), baseBefore),
      counter,
      firestore: { ...meter.ops },
    };
  } finally {
    await live.close();
  }
}

class SkipError extends Error {}

export interface ChangeFigures {
  readonly changes: number;
  readonly writes: number;
  readonly counter: Counter;
  readonly firestore: FirestoreOps;
}

/** Creates, edits and deletes on both sides, each synced on its own; writes counted per change. */
async function writesPerChange(log: BenchOptions['log']): Promise<ChangeFigures> {
  const clock = new ManualClock(new Date().toISOString());
  const started = await LiveOrg.start({ syncing: ['aino', 'ben'], clock });
  if ('skip' in started) throw new SkipError(started.skip);
  const live = started;
  try {
    await live.syncAll();
    const before = live.writes();
    const counter = newCounter();
    const meter = meterFirestore();
    let changes = 0;
    try {
      const day = (n: number) => new Date(clock.now().getTime() + n * 86_400_000).toISOString().slice(0, 10);
      for (let i = 0; i < 5; i++) {
        const created = live.severaSim.act({
          action: 'create',
          as: PEOPLE.aino.guid,
          activity: {
            name: `Review ${String(i)}`,
            startDateTime: `${day(i + 2)}T10:00:00+02:00`,
            endDateTime: `${day(i + 2)}T11:00:00+02:00`,
            activityType: { guid: DEMO_TYPES.meeting },
            ownerUser: { guid: PEOPLE.aino.guid },
          },
        }) as { guid: string };
        await live.poll();
        await drainCounted(live, counter);
        live.severaSim.act({
          action: 'update',
          guid: created.guid,
          as: PEOPLE.aino.guid,
          changes: { name: `Review ${String(i)} (moved)` },
        });
        await live.poll();
        await drainCounted(live, counter);
        live.calendarSim.act({
          action: 'create',
          as: PEOPLE.ben.email,
          event: {
            summary: `Call ${String(i)}`,
            start: { dateTime: `${day(i + 2)}T09:00:00-05:00` },
            end: { dateTime: `${day(i + 2)}T09:30:00-05:00` },
          },
        });
        await live.request('ben', { reason: 'push' });
        await drainCounted(live, counter);
        const event = live.eventsNamed('ben', `Call ${String(i)}`)[0];
        if (!event) throw new Error(`Call ${String(i)} vanished from Ben's calendar`);
        live.calendarSim.act({ action: 'delete', as: PEOPLE.ben.email, id: event.id });
        await live.request('ben', { reason: 'push' });
        await drainCounted(live, counter);
        changes += 4;
        clock.advance(MINUTE);
      }
    } finally {
      meter.uninstall();
    }
    const after = live.writes();
    log(`${String(changes)} changes synced`);
    if (live.activitiesNamed('Call 0').length !== 0) throw new Error('a deleted event kept its activity');
    return {
      changes,
      writes: after.severa - before.severa + (after.google - before.google),
      counter,
      firestore: { ...meter.ops },
    };
  } finally {
    await live.close();
  }
}

function idleRows(figures: readonly IdleFigures[]): Row[] {
  const rows: Row[] = [];
  for (const f of figures) {
    const perPerson = (n: number) => n / f.people;
    rows.push({
      what: `Google calls per idle person-hour (${String(f.people)} ${f.people === 1 ? 'person' : 'people'})`,
      target: '≤ 4',
      ours: num(perPerson(f.ours.google), 1),
      baseline: num(perPerson(f.baseline.google), 1),
      ratio: betterBy(perPerson(f.ours.google), perPerson(f.baseline.google), 'fewer'),
    });
    // The org cycle is the poll's: 30 s, two per tick (a tick a minute and its second poll).
    const cycles = 120;
    rows.push({
      what: `Severa calls per idle org cycle (30 s), the poll (${String(f.people)} ${f.people === 1 ? 'person' : 'people'})`,
      target: '1, any size',
      ours: num(f.counter.pollCalls / cycles, 2),
      baseline: num(f.baseline.severa / cycles, 1),
      ratio: betterBy(f.counter.pollCalls / cycles, f.baseline.severa / cycles, 'fewer'),
    });
    rows.push({
      what: `Severa calls per idle org cycle (30 s), all with reconciles (${String(f.people)} ${f.people === 1 ? 'person' : 'people'})`,
      target: '—',
      ours: num(f.ours.severa / cycles, 2),
      baseline: num(f.baseline.severa / cycles, 1),
      ratio: betterBy(f.ours.severa / cycles, f.baseline.severa / cycles, 'fewer'),
    });
  }
  return rows;
}

function hourOf(f: IdleFigures): MeasuredUsage['orgHour'] {
  return { ...f.firestore, deliveries: f.counter.deliveries };
}

/** The measured hours split into the org's share and each person's, and one synced change's share. */
function measuredUsage(figures: readonly IdleFigures[], writes: ChangeFigures): MeasuredUsage {
  const [small, large] = [figures[0], figures[figures.length - 1]];
  if (!small || !large || small.people === large.people) throw new Error('two group sizes are needed');
  const per = (n: number) => n / writes.changes;
  return {
    ...fitIdle(small.people, hourOf(small), large.people, hourOf(large)),
    change: {
      reads: per(writes.firestore.reads),
      writes: per(writes.firestore.writes),
      deletes: per(writes.firestore.deletes),
      deliveries: per(writes.counter.deliveries),
    },
  };
}

const usd = (n: number) => `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}`;

function costRows(usage: MeasuredUsage): Row[] {
  const p = usage.personHour;
  const rows: Row[] = [
    {
      what: 'Firestore reads / writes per idle person-hour (fitted)',
      target: '—',
      ours: `${num(p.reads, 1)} / ${num(p.writes, 1)}`,
      baseline: '—',
      ratio: '—',
    },
    {
      what: 'Firestore reads / writes per synced change',
      target: '—',
      ours: `${num(usage.change.reads, 1)} / ${num(usage.change.writes, 1)}`,
      baseline: '—',
      ratio: '—',
    },
  ];
  for (const people of [50, 500, 5_000]) {
    const c = monthlyCost(people, usage);
    rows.push({
      what: `Monthly cost estimate, ${num(people)} people (computed)`,
      target: '—',
      ours: `${usd(c.total)} (compute ${usd(c.compute)}, Firestore ${usd(c.firestore)}, Pub/Sub ${usd(c.pubsub)}, other ${usd(c.other)})`,
      baseline: '—',
      ratio: '—',
    });
  }
  return rows;
}

export const apiCost: Bench = async ({ quick, log }) => {
  // Two sizes, so that the organisation's fixed share and each person's share can be told apart.
  const groups: Person[][] = quick ? [['aino'], ['aino', 'ben']] : [['aino'], ['aino', 'ben', 'cecilia']];
  const figures: IdleFigures[] = [];
  try {
    for (const people of groups) figures.push(await idleHour(people, log));
    const writes = await writesPerChange(log);
    const usage = measuredUsage(figures, writes);
    const rows: Row[] = [
      ...idleRows(figures),
      ...costRows(usage),
      {
        what: `API writes per synced change (${String(writes.changes)} changes, both ways)`,
        target: '1.0',
        ours: num(writes.writes / writes.changes, 2),
        baseline: '—',
        ratio: '—',
      },
    ];
    const polls = figures
      .map((f) => `${num(f.counter.pollCalls / 120, 2)} with ${String(f.people)}`)
      .join(', ');
    return {
      id: 'api-cost',
      title: 'API cost',
      ranOn:
        'production container, real adapters, both simulators over HTTP, Firestore emulator; injected clock',
      rows,
      plots: [],
      notes: [
        'An idle hour is measured after a warm-up hour (first syncs, push channels, the first reconciles), so it ' +
          'shows the steady state: one tick a minute (`runTickCycle`, its second poll 30 s later) and whatever ' +
          'the tick asks the worker to do (safety syncs every 15 min, a Severa reconcile every hour).',
        'An org cycle is one `changedSince` poll, every 30 s (Severa’s own cycle). "The poll" counts the HTTP ' +
          `calls the polls made (per cycle: ${polls} people); "all with reconciles" adds each person's hourly ` +
          'reconcile listing and every other Severa call of the hour, divided by its 120 cycles. The poll is one ' +
          'call whatever the size; the reconciles grow with people (see Organisation scale for the budget at ' +
          '10,000 people).',
        'Baseline: a per-person poller every 30 s (Severa’s own cycle) over the same simulators and adapters: each ' +
          'cycle lists each person’s Google events (incremental, sync token) and Severa activities. It writes ' +
          'nothing, so its figures are a lower bound of its cost.',
        'Writes per synced change: each change (create and edit in Severa, create and delete in Google) synced on ' +
          'its own; the writes both simulators accepted divided by the changes.',
        'Firestore operations are counted in the client library as Firestore bills them (a document read per ' +
          'document fetched, at least one per query; a write or delete per document in a commit) during the ' +
          'measured hour on the emulator. Two organisation sizes are measured so that the fixed share (the ' +
          "tick's own reads) and each person's share are fitted apart.",
        `The monthly cost is computed, not measured: the fitted usage times a month (730 h) plus ` +
          `${String(DEFAULT_ASSUMPTIONS.changesPerPersonMonth)} synced changes per person (20 a working day), at ` +
          'the list prices of Cloud Run (request-based billing, Tier 1), Firestore (Standard, a single US region; ' +
          'European regions cost a little more), Pub/Sub, Cloud Scheduler and Secret Manager as published on ' +
          `their pricing pages (scripts/bench/cost.ts names each), after each free tier. Assumed: each worker ` +
          `delivery bills ${String(DEFAULT_ASSUMPTIONS.workerSecondsPerDelivery)} s at 1 vCPU and 1 GiB (the ` +
          `worker's size in infra/); each tick bills ${String(DEFAULT_ASSUMPTIONS.tickSecondsPerRun)} s at ${String(DEFAULT_ASSUMPTIONS.tick.vcpu)} vCPU ` +
          'and 512 MiB, because it holds its request through its second poll 30 s later; a push notification ' +
          `per change made in Google, ${String(DEFAULT_ASSUMPTIONS.pushSecondsPerCall)} s each; ` +
          `${String(DEFAULT_ASSUMPTIONS.warmInstances)} warm instances re-reading the ` +
          `${String(DEFAULT_ASSUMPTIONS.secrets)} secrets every 5 minutes. Storage (well under the free GiB), logging (under the free 50 GiB) and ` +
          `egress are left out. ` +
          `Cloud Run's free tier (${String(PRICES.run.freeVcpuSeconds)} vCPU-s a month) is per billing account.`,
      ],
    } satisfies Section;
  } catch (error) {
    if (!(error instanceof SkipError)) throw error;
    return {
      id: 'api-cost',
      title: 'API cost',
      ranOn: `skipped: ${error.message}`,
      rows: [{ what: 'API cost', target: '—', ours: 'skipped', baseline: '—', ratio: '—' }],
      plots: [],
      notes: [`skipped: ${error.message}`],
    };
  }
};

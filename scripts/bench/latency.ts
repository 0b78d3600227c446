/**
 * Latency, change → visible on the other side (SPEC §10), on the local stack: the official Firestore and Pub/Sub
 * emulators, both API simulators with 100 ms of latency on every call, the functions behind real Pub/Sub push, and
 * Cloud Scheduler's stand-in ticking every 60 s with the tick's second poll 30 s later (production's cadence).
 *
 * - push/webhook-driven: a change in Google reaches `calendarPush` through the simulator's push channel; a change
 *   in Severa is followed by a signed notice to `severaWebhook`, as a relay would send. One change at a time.
 * - polling only: changes in Severa with no notice, at random moments, found by the tick's org poll.
 * - baseline, in the same run over the same simulators: a per-person poller on Severa's own 30 s cycle (the
 *   anchors' way) that lists each person's activities and events, and copies what it finds new with one real API
 *   write into the calendar and Severa space of a person who does not sync (so it never disturbs our sync). Its
 *   latency is from the change to the end of that write.
 *
 * A change that is not visible within two minutes is lost: the part throws.
 */
import { randomBytes } from 'node:crypto';

import { startLocalStack, type LocalStack } from '../local-stack.js';
import { DEMO_TYPES, DEMO_USERS } from '../../test/sim/severa/index.js';
import { emulatorStatus } from '../emulators.js';
import type { SyncUser } from '../../shared/domain/index.js';
import { betterBy, ms, percentile, type Bench, type Plot, type Row, type Section } from './report.js';

const LOST_AFTER_MS = 120_000;
const BASELINE_CYCLE_MS = 30_000;
const AINO = { guid: DEMO_USERS.helsinki, email: 'aino@demo.example' };
const BEN = { guid: DEMO_USERS.newYork, email: 'ben@demo.example' };
const CECILIA = { guid: DEMO_USERS.london, email: 'cecilia@demo.example' };

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

/** Ben's activity of that name (the baseline's copies belong to Cecilia). */
function activityNamed(stack: LocalStack, name: string): boolean {
  return stack.severaSim.allActivities().some((a) => a.name === name && a.ownerUser.guid === BEN.guid);
}

function eventNamed(stack: LocalStack, email: string, name: string): boolean {
  return stack.calendarSim.events(email).some((e) => e.summary === name && e.status !== 'cancelled');
}

/** Resolves with the time `visible` first held (checked every 20 ms); throws when it never does. */
async function visibleAt(what: string, visible: () => boolean): Promise<number> {
  const deadline = Date.now() + LOST_AFTER_MS;
  while (Date.now() < deadline) {
    if (visible()) return performance.now();
    await sleep(20);
  }
  throw new Error(`lost: ${what} was not visible within ${String(LOST_AFTER_MS / 1000)} s`);
}

/** An hour slot some days ahead, unique per change so no two changes share a time. */
function slot(n: number, zoneOffset: string): { start: string; end: string } {
  const day = new Date(Date.now() + (3 + Math.floor(n / 8)) * 86_400_000).toISOString().slice(0, 10);
  const hour = String(8 + (n % 8)).padStart(2, '0');
  return { start: `${day}T${hour}:00:00${zoneOffset}`, end: `${day}T${hour}:30:00${zoneOffset}` };
}

function severaCreate(stack: LocalStack, name: string, n: number): string {
  const { start, end } = slot(n, '+02:00');
  const created = stack.severaSim.act({
    action: 'create',
    as: AINO.guid,
    activity: {
      name,
      startDateTime: start,
      endDateTime: end,
      activityType: { guid: DEMO_TYPES.meeting },
      ownerUser: { guid: AINO.guid },
    },
  }) as { guid: string };
  return created.guid;
}

function googleCreate(stack: LocalStack, name: string, n: number): void {
  const { start, end } = slot(n + 40, '-05:00');
  stack.calendarSim.act({
    action: 'create',
    as: BEN.email,
    event: { summary: name, start: { dateTime: start }, end: { dateTime: end } },
  });
}

/** Push/webhook-driven, one change at a time: Severa → Google (with a notice) and Google → Severa (push). */
async function driven(stack: LocalStack, count: number, tag: string) {
  const toGoogle: number[] = [];
  const toSevera: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${tag} S→G ${String(i)}`;
    const t0 = performance.now();
    const guid = severaCreate(stack, name, i);
    const notice = stack.notifySevera([guid]);
    const t1 = await visibleAt(name, () => eventNamed(stack, AINO.email, name));
    if ((await notice) >= 300) throw new Error(`severaWebhook answered ${String(await notice)}`);
    toGoogle.push(t1 - t0);

    const gName = `${tag} G→S ${String(i)}`;
    const g0 = performance.now();
    googleCreate(stack, gName, i);
    toSevera.push((await visibleAt(gName, () => activityNamed(stack, gName))) - g0);
  }
  return { toGoogle, toSevera };
}

interface BaselineFind {
  readonly name: string;
  readonly doneAt: number;
}

/**
 * The anchors' way: every 30 s (its phase random), list each person's Severa activities and Google events, and
 * copy each new entry of interest with one real write into Cecilia's space (she does not sync).
 */
function startBaseline(stack: LocalStack, prefix: string) {
  const found = new Map<string, BaselineFind>();
  let running = true;
  const loop = async () => {
    const severa = await stack.container.severa();
    const calendar = await stack.container.calendar();
    const user = async (guid: string): Promise<SyncUser> => {
      const u = await stack.container.stores.users.getUser(guid);
      if (!u) throw new Error(`${guid} is not in the directory`);
      return u;
    };
    const [aino, ben] = await Promise.all([user(AINO.guid), user(BEN.guid)]);
    // Cecilia does not sync, so she is not in the directory: her Severa user as the baseline needs it.
    const cecilia: SyncUser = {
      severaUserGuid: CECILIA.guid,
      email: CECILIA.email,
      timeZone: 'Europe/London',
      defaultActivityTypeGuid: null,
    };
    let token: string | null = null;
    await sleep(Math.random() * BASELINE_CYCLE_MS);
    while (running) {
      const cycleStart = Date.now();
      const now = Date.now();
      const activities = await severa.listForUser(aino.severaUserGuid, {
        from: new Date(now - 86_400_000).toISOString(),
        to: new Date(now + 60 * 86_400_000).toISOString(),
      });
      for (const a of activities) {
        if (!a.content.title.startsWith(prefix) || found.has(a.content.title)) continue;
        await calendar.insert(cecilia, randomBytes(16).toString('hex'), {
          content: a.content,
          severaGuid: null,
        });
        found.set(a.content.title, { name: a.content.title, doneAt: performance.now() });
      }
      const listed = await calendar.list(
        ben,
        token ? { syncToken: token } : { timeMin: new Date(now - 86_400_000).toISOString() },
      );
      token = listed.nextSyncToken;
      for (const change of listed.changes) {
        if (change.kind !== 'upsert') continue;
        const title = change.record.content.title;
        if (!title.startsWith(prefix) || found.has(title)) continue;
        await severa.create({
          content: change.record.content,
          activityTypeGuid: DEMO_TYPES.meeting,
          ownerGuid: cecilia.severaUserGuid,
        });
        found.set(title, { name: title, doneAt: performance.now() });
      }
      await sleep(Math.max(0, BASELINE_CYCLE_MS - (Date.now() - cycleStart)));
    }
  };
  let failure: Error | null = null;
  const done = loop().catch((error: unknown) => {
    failure = error instanceof Error ? error : new Error(String(error));
  });
  return {
    found,
    stop: async () => {
      running = false;
      await done;
      if (failure !== null) throw failure;
    },
  };
}

/** Changes at random moments within `spreadMs`, none notified; ours and the baseline's latency for each. */
async function polled(stack: LocalStack, count: number, spreadMs: number, tag: string) {
  const prefix = `${tag} poll`;
  const baseline = startBaseline(stack, prefix);
  const made: { name: string; side: 'severa' | 'google'; at: number }[] = [];
  const ours: Promise<number>[] = [];
  const offsets = Array.from({ length: count }, () => Math.random() * spreadMs).sort((a, b) => a - b);
  const begin = Date.now();
  try {
    for (const [i, offset] of offsets.entries()) {
      await sleep(Math.max(0, begin + offset - Date.now()));
      const side = i % 2 === 0 ? 'severa' : 'google';
      const name = `${prefix} ${side} ${String(i)}`;
      const at = performance.now();
      if (side === 'severa') {
        severaCreate(stack, name, 100 + i);
        ours.push(visibleAt(name, () => eventNamed(stack, AINO.email, name)).then((t) => t - at));
      } else {
        // Google changes reach our sync by push; they are made here for the baseline's Google side.
        googleCreate(stack, name, 100 + i);
        ours.push(visibleAt(name, () => activityNamed(stack, name)).then(() => Number.NaN));
      }
      made.push({ name, side, at });
    }
    const oursToGoogle = (await Promise.all(ours)).filter((v) => !Number.isNaN(v));
    const deadline = Date.now() + LOST_AFTER_MS;
    while (made.some((m) => !baseline.found.has(m.name)) && Date.now() < deadline) await sleep(100);
    await baseline.stop();
    const base = (side: 'severa' | 'google') =>
      made
        .filter((m) => m.side === side)
        .map((m) => {
          const find = baseline.found.get(m.name);
          if (!find) throw new Error(`the baseline poller never found ${m.name}`);
          return find.doneAt - m.at;
        });
    return { oursToGoogle, baselineToGoogle: base('severa'), baselineToSevera: base('google') };
  } finally {
    await baseline.stop().catch(() => undefined);
  }
}

function row(what: string, target: string, ours: readonly number[], baseline: readonly number[] | null): Row {
  const p95 = percentile(ours, 95);
  return {
    what: `${what} (n=${String(ours.length)}), p50 / p95`,
    target,
    ours: `${ms(percentile(ours, 50))} / ${ms(p95)}`,
    baseline: baseline ? `${ms(percentile(baseline, 50))} / ${ms(percentile(baseline, 95))}` : '—',
    ratio: baseline ? betterBy(p95, percentile(baseline, 95), 'faster (p95)') : '—',
  };
}

export const latency: Bench = async ({ quick, log }) => {
  const missing = (['firestore', 'pubsub'] as const)
    .map((name) => emulatorStatus(name))
    .find((status) => !status.ok);
  if (missing && 'reason' in missing) {
    return {
      id: 'latency',
      title: 'Latency, change → visible',
      ranOn: `skipped: ${missing.reason}`,
      rows: [{ what: 'Latency', target: '—', ours: 'skipped', baseline: '—', ratio: '—' }],
      plots: [],
      notes: [`skipped: ${missing.reason}`],
    };
  }
  const count = quick ? 6 : 20;
  log('starting the local stack (emulators, simulators with 100 ms per call, functions)');
  const stack = await startLocalStack({ apiLatencyMs: 100, logLevel: 'warn', writeLog: () => undefined });
  // Cloud Scheduler's stand-in first ticks a minute after the stack starts: one tick now puts the polls in their
  // steady 30 s cadence from the start (this tick, its second poll, the scheduler's, …).
  await stack.tick();
  try {
    const tag = `lat-${randomBytes(3).toString('hex')}`;
    log('warm-up: the first syncs');
    await driven(stack, 1, `${tag} warm-up`);
    log(`push/webhook-driven: ${String(count)} changes each way`);
    const push = await driven(stack, count, tag);
    const spread = quick ? 30_000 : 90_000;
    log(
      `polling only: ${String(count * 2)} changes over ${String(spread / 1000)} s, with the baseline poller`,
    );
    const poll = await polled(stack, count * 2, spread, tag);
    const rows: Row[] = [
      row(
        'change → visible, Severa → Google, webhook notice',
        '≤ 3 s (p95)',
        push.toGoogle,
        poll.baselineToGoogle,
      ),
      row('change → visible, Google → Severa, push', '≤ 3 s (p95)', push.toSevera, poll.baselineToSevera),
      row(
        'change → visible, Severa → Google, polling only',
        '≤ 35 s (p95)',
        poll.oursToGoogle,
        poll.baselineToGoogle,
      ),
    ];
    const plot: Plot = {
      file: 'latency.svg',
      title: 'Change → visible (local stack, 100 ms per API call)',
      xLabel: 'milliseconds',
      yLabel: '',
      kind: 'cdf',
      logX: true,
      series: [
        { name: 'ours, Severa → Google, notice', points: push.toGoogle.map((v, i) => [i, v]) },
        { name: 'ours, Google → Severa, push', points: push.toSevera.map((v, i) => [i, v]) },
        { name: 'ours, Severa → Google, polling only', points: poll.oursToGoogle.map((v, i) => [i, v]) },
        {
          name: 'baseline 30 s poller, Severa → Google',
          points: poll.baselineToGoogle.map((v, i) => [i, v]),
        },
        {
          name: 'baseline 30 s poller, Google → Severa',
          points: poll.baselineToSevera.map((v, i) => [i, v]),
        },
      ],
    };
    return {
      id: 'latency',
      title: 'Latency, change → visible',
      ranOn:
        'local stack: Firestore and Pub/Sub emulators, both simulators with 100 ms per API call, real push',
      rows,
      plots: [plot],
      notes: [
        'Push/webhook-driven changes are made one at a time; each is timed from the simulator call that makes it to ' +
          'the first moment the other simulator holds the copy (checked every 20 ms).',
        'Polling only: Severa changes at random moments and no notice; the tick polls every 30 s (a tick a minute ' +
          'and its second poll), so the latency is the wait for the next poll plus one sync run.',
        'Google → Severa has no polling-only figure by design: Google pushes every change, and when a push is lost ' +
          'the safety sync finds it within `SAFETY_SYNC_INTERVAL_MS` (15 min), which keeps an idle person at ' +
          '≤ 4 Google calls an hour. Lowering it trades Google calls for latency.',
        'Baseline: a per-person poller on Severa’s own 30 s cycle (CalendarBridge polls every ~2 min, four times ' +
          'slower still), over the same simulators and adapters, timed to the end of its one write per change. Its ' +
          'p95 is the same whether the change was notified or not: a poller has no push.',
      ],
    } satisfies Section;
  } finally {
    await stack.stop();
  }
};

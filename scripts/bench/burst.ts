/**
 * Burst (issue 13): 1,000 Google push notifications and 1,000 signed Severa notices within 10 s (quick: 200 + 200
 * within 5 s), while people make real changes on both sides (20 per side; quick: 5), half of them edits and half new
 * entries. Measured: the HTTP answers per endpoint (any 5xx, failed connection, unexpected status or answer not in
 * within 60 s — quick: 15 s, when a sender gives up — breaks the part), their answer times, how many sync runs the notifications became (from the functions' own log lines), the
 * Severa and Google API calls the whole burst cost (the simulators' request counts), the time until each change is
 * visible on the other side (a change not visible by the deadline is lost and breaks the part), and that nothing
 * was duplicated. The baseline, one sync run per notification, is computed, not measured.
 *
 * Infrastructure: the local stack (scripts/local-stack.ts) in this process: the official Firestore and Pub/Sub
 * emulators, both API simulators with the demo organisation and 100 ms of latency on every API call (SPEC §10), the
 * functions behind one local HTTP server, and real Pub/Sub push to `syncWorker`. The scheduler's tick is set to an
 * hour, so only the burst's notifications drive the syncs. Load generator, functions and simulators share one Node
 * process (and the machine with the emulators' JVMs), so answer times include that contention.
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { ensureEmulators, startLocalStack, type LocalStack } from '../local-stack.js';
import { SECRET_NAMES } from '../../shared/config.js';
import { emulatorStatus } from '../emulators.js';
import { accountWorker, describeCounts, parseLines, totalOf, type WorkerAccount } from './burst-logs.js';
import {
  plannedChanges,
  postNotice,
  postPush,
  prepare,
  pushHeaders,
  runSchedule,
  snapshot,
  spread,
  timed,
  watchConvergence,
  type Answer,
  type Change,
  type Endpoint,
  type Person,
  type Prepared,
  type Scheduled,
} from './burst-workload.js';
import { betterBy, ms, num, percentile, type Bench, type Plot, type Row, type Section } from './report.js';

interface Sizes {
  readonly pushes: number;
  readonly notices: number;
  readonly windowMs: number;
  readonly changesPerSide: number;
  /** A notification not answered within this counts as not answered (its sender gives up and retries). */
  readonly answerTimeoutMs: number;
  /** How long after the last notification every change must be visible before it counts as lost. */
  readonly convergenceMs: number;
  /** How long the worker may take to ack every sync request the burst caused (only the counts depend on it). */
  readonly settleMs: number;
}

const FULL: Sizes = {
  pushes: 1000,
  notices: 1000,
  windowMs: 10_000,
  changesPerSide: 20,
  answerTimeoutMs: 60_000,
  convergenceMs: 90_000,
  settleMs: 30_000,
};
const QUICK: Sizes = {
  pushes: 200,
  notices: 200,
  windowMs: 5_000,
  changesPerSide: 5,
  answerTimeoutMs: 15_000,
  convergenceMs: 15_000,
  settleMs: 10_000,
};
const API_LATENCY_MS = 100;
const ENDPOINTS: readonly Endpoint[] = ['calendarPush', 'severaWebhook'];
/** What a valid notification is answered with (anything else means the load or the product is broken). */
const EXPECTED_STATUS: Readonly<Record<Endpoint, number>> = { calendarPush: 200, severaWebhook: 202 };
/** Google's message numbers only grow; ours start far above the simulator's own so none is taken for a repeat. */
const FIRST_MESSAGE_NUMBER = 1_000_000;

const ID = 'burst';
const TITLE = 'Burst of notifications: coalescing, none lost, no 5xx';
const RAN_ON = `local stack: Firestore + Pub/Sub emulators, simulators (${String(API_LATENCY_MS)} ms per API call)`;

export const burst: Bench = async ({ quick, log }) => {
  const sizes = quick ? QUICK : FULL;
  const missing = missingEmulator();
  if (missing !== null) return skipped(missing);
  const emulators = await startEmulators();
  log(`emulators ready in ${emulators.seconds.toFixed(1)} s`);
  try {
    const lines: string[] = [];
    const started = performance.now();
    const stack = await startLocalStack({
      apiLatencyMs: API_LATENCY_MS,
      tickIntervalMs: 3_600_000,
      secondPollDelayMs: 0,
      logLevel: 'debug',
      writeLog: (line) => lines.push(line),
    });
    try {
      const stackSeconds = (performance.now() - started) / 1000;
      log(`stack up in ${stackSeconds.toFixed(1)} s`);
      const result = await measure(stack, lines, sizes, log);
      return section(result, sizes, { emulators: emulators.seconds, stack: stackSeconds });
    } finally {
      await stack.stop();
    }
  } finally {
    await emulators.stop();
  }
};

// ---- set-up

function missingEmulator(): string | null {
  if (process.env.FIRESTORE_EMULATOR_HOST && process.env.PUBSUB_EMULATOR_HOST) return null;
  for (const name of ['firestore', 'pubsub'] as const) {
    const status = emulatorStatus(name);
    if (!status.ok) return status.reason;
  }
  return null;
}

const EMULATOR_VARIABLES = ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST'] as const;

/**
 * Starts the emulators unless the environment names running ones (timed on their own), and on stop puts the
 * variables back as they were: the local stack reuses emulators named there, so a later part must not find the
 * address of ones this part stopped.
 */
async function startEmulators(): Promise<{ seconds: number; stop: () => Promise<void> }> {
  const saved = EMULATOR_VARIABLES.map((name) => [name, process.env[name]] as const);
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    for (const [name, value] of saved) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  const started = performance.now();
  try {
    await ensureEmulators(cleanups);
  } catch (error) {
    await stop();
    throw error;
  }
  return { seconds: (performance.now() - started) / 1000, stop };
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(50);
  }
}

/** The syncing people once their first syncs are done and their push channels are open. */
async function syncingPeople(stack: LocalStack): Promise<Person[]> {
  let people: Person[] = [];
  await until(
    'the first syncs',
    async () => {
      const users = (await stack.container.stores.users.listUsers()).filter((u) => u.enabled);
      for (const user of users) {
        const status = await stack.container.stores.store.getStatus(user.severaUserGuid);
        if (status.lastSuccessAt === null || user.channel === null) return false;
      }
      people = users.map((u) => ({ email: u.email, guid: u.severaUserGuid }));
      return users.length > 0;
    },
    60_000,
  );
  return people;
}

/**
 * Waits until every sync request published since line `from` was acked by the worker and the functions have been
 * silent for a while (the simulator's own push notifications delivered too). False when `deadline` passed first.
 */
async function settle(
  stack: LocalStack,
  lines: readonly string[],
  from: number,
  deadline: number,
): Promise<boolean> {
  let [read, published, acked] = [from, 0, 0];
  let quietSince = Date.now();
  for (;;) {
    await stack.calendarSim.flushNotifications();
    if (lines.length > read) {
      const fresh = accountWorker(parseLines(lines.slice(read)));
      [read, published, acked] = [lines.length, published + totalOf(fresh.published), acked + fresh.acked];
      quietSince = Date.now();
    }
    if (published <= acked && Date.now() - quietSince >= 1500) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

// ---- the burst

interface Measured {
  readonly answers: readonly Answer[];
  readonly changes: readonly Change[];
  readonly account: WorkerAccount;
  readonly settled: boolean;
  readonly severaCalls: ApiCalls;
  readonly googleCalls: ApiCalls;
  readonly duplicates: readonly string[];
  /** Epoch ms the burst started, and seconds the burst took to settle. */
  readonly startedAt: number;
  readonly settleSeconds: number;
  readonly sends: readonly number[];
  /** The machine's 1-minute load average when the burst started (other work on it slows every answer). */
  readonly load: number;
}

interface ApiCalls {
  readonly total: number;
  readonly writes: number;
}

/** The syncing people, once their first syncs are done, with items prepared for the burst to edit. */
async function quietStack(stack: LocalStack, lines: readonly string[], sizes: Sizes): Promise<Prepared> {
  const people = await syncingPeople(stack);
  const prepared = await prepare(stack, people, Math.floor(sizes.changesPerSide / 2));
  await until('the prepared items on the other side', () => prepared.synced(snapshot(stack, people)), 60_000);
  if (!(await settle(stack, lines, 0, Date.now() + 60_000))) throw new Error('the stack did not go quiet');
  return prepared;
}

/** The notifications sent so far: their answers (pending until answered) and when each was sent (epoch ms). */
interface Traffic {
  readonly answers: Promise<Answer>[];
  readonly sends: number[];
}

/** Google's pushes, round-robin over the syncing people's channels, and the relay's signed notices. */
async function notifications(
  stack: LocalStack,
  sizes: Sizes,
  latestSevera: () => string | null,
  traffic: Traffic,
): Promise<Scheduled[]> {
  const headers = await pushHeaders(stack);
  if (headers.length === 0) throw new Error('no push channel of a syncing person');
  const secret = await stack.container.secrets.get(SECRET_NAMES.webhookSecret);
  const send = (endpoint: Endpoint, post: () => Promise<number>) => {
    traffic.sends.push(Date.now());
    traffic.answers.push(timed(endpoint, post));
  };
  const pushes = spread(sizes.pushes, sizes.windowMs, 0).map((at, i) => ({
    at,
    run: () => {
      const channel = headers[i % headers.length] ?? {};
      const number = String(FIRST_MESSAGE_NUMBER + Math.floor(i / headers.length));
      const url = `${stack.functionsUrl}/calendarPush`;
      send('calendarPush', () =>
        postPush(url, { ...channel, 'x-goog-message-number': number }, sizes.answerTimeoutMs),
      );
    },
  }));
  const notices = spread(sizes.notices, sizes.windowMs, 0.5).map((at) => ({
    at,
    run: () => {
      // A relay names what changed: the latest real change, and one change elsewhere in the organisation (nobody
      // syncing has it), so that no two notices are the same signed bytes, which the replay guard would absorb.
      const latest = latestSevera();
      const guids = latest === null ? [randomUUID()] : [latest, randomUUID()];
      const url = `${stack.functionsUrl}/severaWebhook`;
      send('severaWebhook', () => postNotice(url, secret, guids, sizes.answerTimeoutMs));
    },
  }));
  return [...pushes, ...notices];
}

/** Each side's changes spread over the window, the two sides interleaved with each other and the notifications. */
function changeSchedule(changes: readonly Change[], sizes: Sizes): Scheduled[] {
  const times = {
    'Severa → Google': spread(sizes.changesPerSide, sizes.windowMs, 0.25),
    'Google → Severa': spread(sizes.changesPerSide, sizes.windowMs, 0.75),
  };
  return changes.map((change, j) => ({
    at: times[change.direction][j % sizes.changesPerSide] ?? 0,
    run: () => {
      change.madeAt = Date.now();
      change.make();
    },
  }));
}

async function measure(
  stack: LocalStack,
  lines: string[],
  sizes: Sizes,
  log: (line: string) => void,
): Promise<Measured> {
  const prepared = await quietStack(stack, lines, sizes);
  const people = prepared.people;
  let latest: string | null = null;
  const changes = plannedChanges(stack, people, prepared, sizes.changesPerSide, (guid) => {
    latest = guid;
  });
  const traffic: Traffic = { answers: [], sends: [] };
  const schedule = [
    ...(await notifications(stack, sizes, () => latest, traffic)),
    ...changeSchedule(changes, sizes),
  ];
  log(`${String(people.length)} syncing people, ${String(changes.length)} changes planned; the burst starts`);

  stack.severaSim.stats.reset();
  stack.calendarSim.stats.reset();
  const from = lines.length;
  const startedAt = Date.now();
  const load = loadavg()[0] ?? Number.NaN;
  let scheduled = false;
  const deadline = startedAt + sizes.windowMs + sizes.convergenceMs;
  const watcher = watchConvergence(stack, people, changes, () => scheduled, deadline);
  await runSchedule(schedule, performance.now());
  scheduled = true;
  log(`sent in ${ms(Date.now() - startedAt)}; waiting for the answers and the other side`);
  const [answers] = await Promise.all([Promise.all(traffic.answers), watcher]);
  log(`answered and converged (or out of time) ${ms(Date.now() - startedAt)} after the start`);
  // Counting what a broken burst became would only wait out the deadline: it breaks the part anyway.
  const intact =
    answers.every((a) => a.status === EXPECTED_STATUS[a.endpoint]) && changes.every((c) => c.seenAt !== null);
  const settled = intact && (await settle(stack, lines, from, Date.now() + sizes.settleMs));
  return {
    answers,
    changes,
    account: accountWorker(parseLines(lines.slice(from))),
    settled,
    severaCalls: apiCalls(stack.severaSim.stats.rows()),
    googleCalls: apiCalls(stack.calendarSim.stats.rows()),
    duplicates: duplicates(stack),
    startedAt,
    settleSeconds: (Date.now() - startedAt) / 1000,
    sends: traffic.sends,
    load,
  };
}

function apiCalls(
  rows: readonly { readonly method: string; readonly route: string; readonly count: number }[],
): ApiCalls {
  const sum = (filter: (r: (typeof rows)[number]) => boolean) =>
    rows.filter(filter).reduce((n, r) => n + r.count, 0);
  return { total: sum(() => true), writes: sum((r) => r.method !== 'GET' && !r.route.includes('token')) };
}

/** Entries that exist twice: activities by owner, name and start; events per person by title and start. */
function duplicates(stack: LocalStack): string[] {
  const keys: string[] = stack.severaSim
    .allActivities()
    .filter((a) => a.recurrenceType === 'None' || a.recurrenceType === 'Series')
    .map((a) => `Severa ${a.ownerUser.guid} “${a.name}” ${String(Date.parse(a.startDateTime))}`);
  for (const person of stack.demoUsers) {
    for (const e of stack.calendarSim.events(person.email)) {
      if (e.status === 'cancelled' || e.recurringEventId !== undefined) continue;
      const start = e.start as { dateTime?: string; date?: string } | undefined;
      keys.push(
        `Google ${person.email} “${String(e.summary)}” ${String(Date.parse(start?.dateTime ?? start?.date ?? ''))}`,
      );
    }
  }
  return keys.filter((k, i) => keys.indexOf(k) !== i);
}

// ---- the section

function broken(m: Measured): string[] {
  const problems: string[] = [];
  for (const endpoint of ENDPOINTS) {
    const bad = m.answers.filter((a) => a.endpoint === endpoint && a.status !== EXPECTED_STATUS[endpoint]);
    if (bad.length > 0) {
      const first = bad[0];
      problems.push(
        `${endpoint}: ${String(bad.length)} answers not ${String(EXPECTED_STATUS[endpoint])} (${statusCounts(bad)}${first?.error ? `; ${first.error}` : ''})`,
      );
    }
  }
  const lost = m.changes.filter((c) => c.seenAt === null).map((c) => c.label);
  if (lost.length > 0)
    problems.push(`lost (not visible on the other side by the deadline): ${lost.join(', ')}`);
  if (m.duplicates.length > 0) problems.push(`duplicates: ${m.duplicates.join('; ')}`);
  if (m.account.runs === 0) problems.push('no sync run seen in the log (were its lines renamed?)');
  return problems;
}

function statusCounts(answers: readonly Answer[]): string {
  const counts = new Map<number, number>();
  for (const a of answers) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([status, n]) => `${num(n)} × ${status === 0 ? 'no answer' : String(status)}`)
    .join(', ');
}

function latencies(changes: readonly Change[], direction?: Change['direction']): number[] {
  return changes
    .filter((c) => direction === undefined || c.direction === direction)
    .flatMap((c) => (c.madeAt !== null && c.seenAt !== null ? [c.seenAt - c.madeAt] : []));
}

function rows(m: Measured, sizes: Sizes): Row[] {
  const notifications = sizes.pushes + sizes.notices;
  const per = (endpoint: Endpoint) => m.answers.filter((a) => a.endpoint === endpoint);
  const p = (endpoint: Endpoint, q: number) =>
    percentile(
      per(endpoint).map((a) => a.ms),
      q,
    );
  const answerRow = (endpoint: Endpoint): Row => ({
    what: `Burst: ${endpoint} answer time p50 / p95 / max`,
    target: '—',
    ours: `${ms(p(endpoint, 50))} / ${ms(p(endpoint, 95))} / ${ms(p(endpoint, 100))}`,
    baseline: '—',
    ratio: '—',
  });
  const visible = latencies(m.changes);
  const { account } = m;
  return [
    {
      what: `Burst: ${num(sizes.pushes)} pushes + ${num(sizes.notices)} signed notices in ${ms(sizes.windowMs)}, answers`,
      target: 'no 5xx',
      ours: ENDPOINTS.map((e) => `${e} ${statusCounts(per(e))}`).join('; '),
      baseline: '—',
      ratio: '—',
    },
    answerRow('calendarPush'),
    answerRow('severaWebhook'),
    {
      what: `Burst: sync runs for ${num(notifications)} notifications`,
      target: '—',
      ours: `${num(account.runs)} runs (${num(account.runsWithWork)} wrote something)${m.settled ? '' : ', not settled'}`,
      baseline: `${num(notifications)} (computed: one run per notification)`,
      ratio: betterBy(account.runs, notifications, 'fewer runs'),
    },
    {
      what: 'Burst: API calls for the whole burst, Severa / Google (writes)',
      target: '—',
      ours: `${num(m.severaCalls.total)} (${num(m.severaCalls.writes)}) / ${num(m.googleCalls.total)} (${num(m.googleCalls.writes)})`,
      baseline: '—',
      ratio: '—',
    },
    {
      what: `Burst: change → visible on the other side during the burst, p50 / p95 (n=${String(visible.length)})`,
      target: '≤ 3 s p95 (outside a burst)',
      ours: `${ms(percentile(visible, 50))} / ${ms(percentile(visible, 95))}`,
      baseline: '—',
      ratio: '—',
    },
    {
      what: 'Burst: changes lost / duplicates created',
      target: '0 / 0',
      ours: `${String(m.changes.filter((c) => c.seenAt === null).length)} of ${String(m.changes.length)} / ${String(m.duplicates.length)}`,
      baseline: '—',
      ratio: '—',
    },
  ];
}

function plots(m: Measured): Plot[] {
  const seconds = (at: number) => (at - m.startedAt) / 1000;
  // One point per tenth of a second (the count at its end), so thousands of sends stay a readable line.
  const cumulative = (name: string, times: readonly number[]) => {
    const byTenth = new Map<number, number>();
    [...times].sort((a, b) => a - b).forEach((t, i) => byTenth.set(Math.floor(seconds(t) * 10), i + 1));
    return { name, points: [...byTenth].map(([tenth, count]) => [tenth / 10, count] as const) };
  };
  return [
    {
      file: 'burst-answer-times.svg',
      title: 'Burst: answer time per endpoint',
      xLabel: 'answer time (ms)',
      yLabel: 'share of answers',
      kind: 'cdf',
      logX: true,
      series: ENDPOINTS.map((e) => ({
        name: e,
        points: m.answers.filter((a) => a.endpoint === e).map((a, i) => [i, a.ms] as const),
      })),
    },
    {
      file: 'burst-runs.svg',
      title: 'Burst: notifications sent, sync requests published, sync runs (cumulative)',
      xLabel: 'seconds since the burst started',
      yLabel: 'count',
      kind: 'line',
      logY: true,
      series: [
        cumulative('notifications sent', m.sends),
        cumulative('sync requests published', m.account.publishTimes),
        cumulative('sync runs finished', m.account.runTimes),
      ],
    },
  ];
}

function notes(m: Measured, sizes: Sizes, startup: { emulators: number; stack: number }): string[] {
  const { account } = m;
  const [g2s, s2g] = [latencies(m.changes, 'Google → Severa'), latencies(m.changes, 'Severa → Google')];
  return [
    `Ran on the local stack in one Node process: official Firestore and Pub/Sub emulators (ready in ${startup.emulators.toFixed(1)} s), ` +
      `both simulators with ${String(API_LATENCY_MS)} ms per API call, the functions behind one HTTP server (no concurrency limit; an accept queue of 4,096 stands in for Cloud Run's front end, which queues rather than refuses), real Pub/Sub push to syncWorker ` +
      `(stack with org setup up in ${startup.stack.toFixed(1)} s). The scheduler's tick was off (1 h), so only the burst drove syncs. ` +
      `Load average when the burst started: ${m.load.toFixed(1)} on ${String(cpus().length)} CPUs.`,
    `The load: ${num(sizes.pushes)} pushes to calendarPush spread evenly over the syncing people's channels (valid headers and token, ` +
      `growing message numbers) and ${num(sizes.notices)} signed notices to severaWebhook, sent open-loop at even intervals over ` +
      `${ms(sizes.windowMs)}; each notice names the latest real Severa change and one activity changed elsewhere in the organisation, so ` +
      `no two are the same signed bytes. Meanwhile ${String(sizes.changesPerSide)} real changes per side (half edits, half new entries) ` +
      'were made through the simulators\u2019 control surfaces.',
    `Sync runs are counted from the functions' own log lines ("sync run finished"), captured at debug level: ` +
      `${num(totalOf(account.published))} sync requests were published (${describeCounts(account.published)}; "push" includes the ` +
      `simulator's own notifications for real changes and for the sync's writes), the worker acked ${num(account.acked)} deliveries, ` +
      `handed ${num(account.redelivered)} back with 503 for redelivery (a user busy past the 10 s lease wait, or a transient failure), and ` +
      `ran ${num(account.runs)} syncs (${num(account.runsWithWork)} wrote something, ${num(account.failedRuns)} failed); deliveries ` +
      `acked without a run: ${describeCounts(account.skipped)}; lease found taken ${num(account.busy)} times.`,
    `Change → visible during the burst: Severa → Google p50 ${ms(percentile(s2g, 50))}, p95 ${ms(percentile(s2g, 95))}; ` +
      `Google → Severa p50 ${ms(percentile(g2s, 50))}, p95 ${ms(percentile(g2s, 95))}. ` +
      `Everything settled (every published request acked) ${m.settleSeconds.toFixed(1)} s after the burst started` +
      `${m.settled ? '' : ' — NOT settled by the deadline: the run counts may be short'}.`,
    ...(account.errors.length > 0 ? [`Error lines logged: ${account.errors.slice(0, 5).join(' | ')}`] : []),
    'The baseline (one sync run per notification) is computed, not measured.',
  ];
}

function section(m: Measured, sizes: Sizes, startup: { emulators: number; stack: number }): Section {
  const problems = broken(m);
  if (problems.length > 0) {
    throw new Error(
      `burst broke: ${problems.join(' · ')}\n${rows(m, sizes)
        .map((r) => `${r.what}: ${r.ours}`)
        .join('\n')}`,
    );
  }
  return {
    id: ID,
    title: TITLE,
    ranOn: RAN_ON,
    rows: rows(m, sizes),
    plots: plots(m),
    notes: notes(m, sizes, startup),
  };
}

function skipped(reason: string): Section {
  const row = (what: string): Row => ({ what, target: '—', ours: 'skipped', baseline: '—', ratio: '—' });
  return {
    id: ID,
    title: TITLE,
    ranOn: RAN_ON,
    rows: [row('Burst: answers'), row('Burst: sync runs'), row('Burst: changes lost / duplicates created')],
    plots: [],
    notes: [`skipped: ${reason}`],
  };
}

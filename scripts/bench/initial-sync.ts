/**
 * `initial-sync`: one person's first sync, with 5,000 Google events and 5,000 Severa activities in the sync window
 * (quick: 500 + 500). A fifth of them are weekly series; a tenth of them are the same meeting on both sides (half of
 * those series), which the matcher must pair instead of copying (S6).
 *
 * Infrastructure: the in-memory adapters (Severa, Google Calendar and the link store of the test World, the
 * operations stores, an in-memory Pub/Sub topic) and a manual clock; the person opts in and the real tick publishes
 * their first sync, which the real worker (`handleSyncRequest` → `syncUser`) runs as in production. No network:
 * times are the product's CPU time plus the test doubles'.
 *
 * Measured: the run's wall time, Severa and Google calls, peak memory (resident set sampled during the run), the
 * progress the person sees (the status the worker writes to the store while it runs), and the end state (every entry
 * once on each side, every matching pair linked, not copied). Baseline: the per-person poller's first cycle over the
 * same data. The same run at a few sizes gives the time-versus-entries plot.
 */
import { performance } from 'node:perf_hooks';

import { MemorySyncStore } from '../../shared/adapters/memory/memory.sync-store.js';
import { MAX_PAGE_SIZE as GOOGLE_PAGE_SIZE } from '../../shared/adapters/google-calendar/google-calendar.client.js';
import { SEVERA_PAGE_SIZE } from '../../shared/adapters/severa/severa.client.js';
import { WEEKDAYS, type EntryContent, type SyncUser } from '../../shared/domain/index.js';
import type { UserSyncStatus } from '../../shared/ports/index.js';
import { TYPES, World, timed } from '../../test/support/world.js';
import { pollCycle, type PollerCycle } from './baseline-poller.js';
import { MemoryOrg, type WorkerRun } from './memory-org.js';
import { ms, num, peakRssMiB, type Bench, type Plot, type Row } from './report.js';

/**
 * A person in Helsinki whom the World's Severa does not know the zone of, so it returns activities as written (in
 * Helsinki) without re-reading each in the owner's zone: a time-zone check per record in the test double would
 * otherwise dominate the run's time and memory (see the notes).
 */
const PERSON: SyncUser = {
  severaUserGuid: 'user-bench',
  email: 'bench@example.com',
  timeZone: 'Europe/Helsinki',
  defaultActivityTypeGuid: null,
};
const MIB = 2 ** 20;

// ---- the data

/**
 * Entry `j` of one side: every fifth a weekly series of ten; entries 0 and 3 of every twenty the same on both sides
 * (a tenth; half of them series); the rest of their own, spread over the coming year.
 */
function content(j: number, side: 'google' | 'severa'): EntryContent {
  const shared = j % 20 === 0 || j % 20 === 3;
  const title = shared
    ? `Shared ${String(j)}`
    : side === 'google'
      ? `Event ${String(j)}`
      : `Activity ${String(j)}`;
  const day = 1 + (j % 300) + (shared || side === 'google' ? 0 : 1);
  const entry = timed(title, day, 6 + (j % 12));
  if (j % 5 !== 0) return entry;
  const rule = {
    freq: 'weekly' as const,
    interval: 1,
    // 2026-03-02, day 0, is a Monday.
    byWeekday: [WEEKDAYS[day % 7] ?? 'MO'],
    byMonthDay: null,
    bySetPos: null,
    byMonth: null,
    end: { kind: 'count' as const, count: 10 },
  };
  return { ...entry, recurrence: { pattern: { kind: 'rule', rule }, exdates: [], overrides: [] } };
}

const isShared = (j: number) => j % 20 === 0 || j % 20 === 3;

function seed(world: World, n: number): void {
  for (let j = 0; j < n; j += 1) {
    world.calendar.humanCreate(PERSON.email, content(j, 'google'));
    world.severa.humanCreate({
      ownerGuid: PERSON.severaUserGuid,
      content: content(j, 'severa'),
      activityTypeGuid: TYPES.meeting.guid,
    });
  }
}

// ---- one run

interface Seen {
  readonly atMs: number;
  readonly status: UserSyncStatus;
}

interface Run {
  readonly n: number;
  readonly run: WorkerRun;
  readonly echo: readonly WorkerRun[];
  readonly baseline: PollerCycle;
  readonly progress: readonly Seen[];
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
  readonly heapPeakMiB: number;
  readonly rows: { readonly window: number; readonly google: number };
  readonly matched: number;
}

/** The store with every status the worker writes noted, with its time since `t0()`. */
function watchStatus(store: MemorySyncStore, seen: Seen[], t0: () => number): void {
  const setStatus = store.setStatus.bind(store);
  store.setStatus = async (user, status) => {
    // Only the run's own writes: the console's "queued" status at opt-in comes before the clock starts.
    if (t0() > 0) seen.push({ atMs: performance.now() - t0(), status });
    await setStatus(user, status);
  };
}

/** Resident set and heap, sampled every `every` durable steps of the run (timers would not fire: it never waits). */
function memorySampler(every: number): { sample: () => void; peak: { rss: number; heap: number } } {
  const peak = { rss: 0, heap: 0 };
  let steps = 0;
  const sample = () => {
    steps += 1;
    if (steps % every !== 0) return;
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  return { sample, peak };
}

async function firstSync(n: number): Promise<Run> {
  const world = new World();
  seed(world, n);
  // The entries are a day old when the person opts in: the first sync finds them, not the org poll.
  world.clock.advance(86_400_000);
  const store = new MemorySyncStore();
  const progress: Seen[] = [];
  let started = 0;
  watchStatus(store, progress, () => started);
  const org = await MemoryOrg.create(world, store, [PERSON]);
  const { sample, peak } = memorySampler(100);
  org.onStep = sample;

  const baseline = await pollCycle(
    { severa: world.severa, calendar: world.calendar, clock: world.clock, settings: world.settings },
    [PERSON],
  );
  const rssBefore = process.memoryUsage().rss;
  await org.optIn([PERSON]);
  started = performance.now();
  const tick = await org.tick();
  const [run, ...echo] = tick.runs;
  if (run?.outcome.kind !== 'synced')
    throw new Error(`the first sync did not run: ${run?.outcome.kind ?? 'none'}`);
  const matched = checkEndState(world, store, n);
  return {
    n,
    run,
    echo,
    baseline,
    progress,
    rssBeforeMiB: rssBefore / MIB,
    rssPeakMiB: Math.max(peak.rss, process.memoryUsage().rss) / MIB,
    heapPeakMiB: peak.heap / MIB,
    rows: { window: org.rows.window[0] ?? Number.NaN, google: org.rows.google[0] ?? Number.NaN },
    matched,
  };
}

/**
 * Throws unless each side holds every entry exactly once (the 9 in 10 of a side's own copied, the shared tenth
 * paired) and every pair is linked. Returns how many links came from matching (S6).
 */
function checkEndState(world: World, store: MemorySyncStore, n: number): number {
  const shared = Array.from({ length: n }, (_, j) => j).filter(isShared).length;
  const want = 2 * n - shared;
  const severa = world.severa.all().map((a) => a.content.title);
  const google = world.calendar.live(PERSON.email).map((e) => e.content.title);
  const links = store.allLinks();
  for (const [side, titles] of [
    ['Severa', severa],
    ['Google', google],
  ] as const) {
    if (titles.length !== want || new Set(titles).size !== want) {
      throw new Error(
        `${side} holds ${String(titles.length)} entries (${String(new Set(titles).size)} distinct), expected ${String(want)}`,
      );
    }
  }
  if (new Set([...severa, ...google]).size !== want) throw new Error('the two sides hold different entries');
  if (links.length !== want) throw new Error(`${String(links.length)} links, expected ${String(want)}`);
  const matched = links.filter((l) => l.origin === 'matched').length;
  if (matched !== shared) throw new Error(`${String(matched)} pairs matched, expected ${String(shared)}`);
  return matched;
}

// ---- the section

const plural = (n: number, word: string) => `${num(n)} ${word}${n === 1 ? '' : 's'}`;

/** "n pages": a listing of `rows` at `size` rows a page. */
const pages = (rows: number, size: number) => plural(Math.max(1, Math.ceil(rows / size)), 'page');

function describe(s: Seen): string {
  const p = s.status.progress;
  return p ? `${num(p.done)}/${num(p.total)}` : s.status.state;
}

/** The statuses the first run wrote, as the person would see them: how many, when the first came, the longest gap. */
function progressSummary(r: Run): string {
  const seen = r.progress.filter((s) => s.atMs <= r.run.ms);
  const times = [0, ...seen.map((s) => s.atMs), r.run.ms];
  const silence = Math.max(...times.slice(1).map((t, i) => t - (times[i] ?? 0)));
  const list =
    seen.length <= 6
      ? seen.map(describe).join(', ')
      : `${seen.slice(0, 3).map(describe).join(', ')}, …, ${seen.slice(-3).map(describe).join(', ')}`;
  return (
    `${num(seen.length)} status writes (${list}); the first after ${ms(seen[0]?.atMs ?? Number.NaN)} ` +
    `(until then it says the first sync is queued, as the console set it), longest gap ${ms(silence)}`
  );
}

const perEntry = (r: Run) => r.run.cpuMs / r.n;
const echoCpu = (r: Run) => r.echo.reduce((t, x) => t + x.cpuMs, 0);

function rows(r: Run, sizes: readonly Run[]): Row[] {
  const c = r.run.counts;
  const b = r.baseline;
  const entries = `${num(r.n)} + ${num(r.n)}`;
  const rereads = c.severaReads - 1;
  const echo = r.echo.reduce((t, x) => t + x.ms, 0);
  const echoWrites = r.echo.reduce((t, x) => t + x.counts.severaWrites + x.counts.googleWrites, 0);
  const echoReads = r.echo.reduce((t, x) => t + x.counts.severaReads + x.counts.googleReads, 0);
  return [
    {
      what: `first sync, ${entries} entries: time`,
      target: '—',
      ours: `${ms(r.run.ms)} (CPU ${ms(r.run.cpuMs)}; first progress after ${ms(r.progress[0]?.atMs ?? Number.NaN)})`,
      baseline: `${ms(b.ms)} (lists and diffs; writes nothing)`,
      ratio: '—',
    },
    {
      what: `first sync, ${entries}: Severa calls`,
      target: '—',
      ours:
        `${num(c.severaReads)} reads (1 window listing of ${num(r.rows.window)} rows = ` +
        `${pages(r.rows.window, SEVERA_PAGE_SIZE)}, then ${num(rereads)} single reads) · ` +
        `${num(c.severaWrites)} writes`,
      baseline: `1 listing (${plural(b.severaPages, 'page')}) · would write ${num(b.diff.onlyGoogle)}`,
      ratio: `${(c.severaWrites / b.diff.onlyGoogle).toFixed(2)} writes per copy`,
    },
    {
      what: `first sync, ${entries}: Google calls`,
      target: '—',
      ours:
        `${plural(c.googleReads, 'read')} (listing ${num(r.rows.google)} rows = ` +
        `${pages(r.rows.google, GOOGLE_PAGE_SIZE)}) · ${num(c.googleWrites)} writes`,
      baseline: `1 listing (${plural(b.googlePages, 'page')}) · would write ${num(b.diff.onlySevera)}`,
      ratio: `${(c.googleWrites / b.diff.onlySevera).toFixed(2)} writes per copy`,
    },
    {
      what: `first sync, ${entries}: end state`,
      target: 'matched, not duplicated (S6)',
      ours: `${num(2 * r.n - r.matched)} on each side, once; ${num(r.matched)} pairs matched; 0 duplicates`,
      baseline: `its diff: ${num(b.diff.same)} same, ${num(b.diff.onlySevera + b.diff.onlyGoogle)} to copy`,
      ratio: '—',
    },
    {
      what: `first sync, ${entries}: the run after (its own writes come back)`,
      target: 'echo ignored (SPEC §6)',
      ours: `${plural(r.echo.length, 'run')}, ${ms(echo)}: ${plural(echoReads, 'read')}, ${plural(echoWrites, 'write')}`,
      baseline: '—',
      ratio: '—',
    },
    {
      what: `first sync, ${entries}: memory`,
      target: '—',
      ours:
        `RSS ${num(r.rssBeforeMiB)} → peak ${num(r.rssPeakMiB)} MiB sampled during the run (heap peak ` +
        `${num(r.heapPeakMiB)} MiB); process max RSS ${num(peakRssMiB())} MiB`,
      baseline: '—',
      ratio: '—',
    },
    {
      what: `first sync, ${entries}: progress the person sees`,
      target: 'initial sync with progress (B7)',
      ours: progressSummary(r),
      baseline: 'none',
      ratio: '—',
    },
    {
      what: 'first sync: CPU per entry versus entries',
      target: 'linear',
      ours: sizes.map((x) => `${num(x.n)}: ${num(perEntry(x), 2)} ms`).join(' · '),
      baseline: sizes.map((x) => `${num(x.n)}: ${num(x.baseline.ms / x.n, 2)} ms`).join(' · '),
      ratio: '—',
    },
    {
      what: 'the run after the first sync: CPU per entry versus entries',
      target: 'linear',
      ours: sizes.map((x) => `${num(x.n)}: ${num(echoCpu(x) / x.n, 2)} ms`).join(' · '),
      baseline: '—',
      ratio: '—',
    },
  ];
}

function plot(runs: readonly Run[]): Plot {
  const line = (name: string, y: (r: Run) => number) => ({
    name,
    points: runs.map((r) => [r.n, y(r)] as const),
  });
  return {
    file: 'initial-sync-time.svg',
    title: 'First sync time versus entries',
    xLabel: 'entries on each side',
    yLabel: 'ms',
    kind: 'line',
    logX: true,
    logY: true,
    series: [
      line('ours: first sync, wall', (r) => r.run.ms),
      line('ours: first sync, CPU', (r) => r.run.cpuMs),
      line('ours: until the first progress', (r) => r.progress[0]?.atMs ?? Number.NaN),
      line('ours: the run after (its echo), CPU', echoCpu),
      line('baseline: first cycle (lists and diff only)', (r) => r.baseline.ms),
    ],
  };
}

function notes(runs: readonly Run[]): string[] {
  const largest = runs.at(-1);
  const smallest = runs[0];
  const growth =
    largest && smallest
      ? `CPU per entry went from ${num(perEntry(smallest), 2)} ms at ${num(smallest.n)} to ` +
        `${num(perEntry(largest), 2)} ms at ${num(largest.n)} entries a side`
      : '';
  return [
    'The person (in Helsinki) has n Google events and n Severa activities in the sync window: ' +
      'every fifth a weekly series of ten, and entries 0 and 3 of every twenty the same meeting on both sides (a ' +
      'tenth, half of them series). The end state is checked: each side holds 2n − n/10 entries, each once, every ' +
      'shared one paired by the matcher (link origin “matched”), none copied.',
    'The run is the worker’s (handleSyncRequest → syncUser, reconcile on) for the request the console publishes when ' +
      'the person opts in; wall time and the process’s CPU time are both given, since the machine may be shared. ' +
      `${growth}. The in-memory link store finds a person’s link to an event by an index, as Firestore’s query ` +
      'does (it used to scan every link on each write: a quarter of the run’s CPU at 5,000 entries, profiled while ' +
      'building this bench, and the reason the CPU per entry doubled from 2,500 to 5,000 entries).',
    'Severa reads: one window listing (the in-memory Severa answers it in one call; the API pages it by 100 rows, ' +
      'computed from the rows), then one single read per matched pair: pairing re-reads the activity right before ' +
      'linking it (runner/apply-update.ts stillAsRead, “make sure it still is”), even when the same run listed it a ' +
      'moment before.',
    'Progress is every status the worker wrote to the store during the run (B7: “Initial sync: n of m changes ' +
      'made.”, every 25 changes). It starts once the run has listed both sides and planned: until then the status ' +
      'is the one the console wrote when the person switched on (“The first sync is queued: …”).',
    'The run after: the org poll routes the first sync’s own Severa creations back to the person and the Google ' +
      'delta returns its own inserts. It writes nothing (the echo is recognised), but it plans every one of them ' +
      'against every link, and its CPU grows faster than the entries (google-side.ts looks up the occurrence links ' +
      'of each event by scanning all the person’s links).',
    'Memory is the resident set sampled every 100 durable steps of the run (a run that never waits starves timers) ' +
      'and the heap. The largest size runs first, so only what ran before this part is in it; the process maximum ' +
      'covers everything the bench did before, other parts included. The resident ' +
      'set is far above the heap: every time-zone check (luxon’s IANAZone.isValidZone, canonicalZoneName, the audit ' +
      'summary’s date) builds an Intl.DateTimeFormat, whose native memory is reclaimed late. (The in-memory Severa ' +
      'makes such a check for each record it returns when it knows the owner’s zone; the bench’s person is one it ' +
      'does not know, so those are not counted here.)',
    'The baseline is one cycle of baseline-poller.ts over the same person: the two listings and a diff. It writes ' +
      'nothing; its writes would be the copies its diff found.',
  ];
}

export const initialSync: Bench = async ({ quick, log }) => {
  const sizes = quick ? [100, 250, 500] : [500, 1_000, 2_500, 5_000];
  const runs: Run[] = [];
  // The largest first: its memory is measured before the smaller runs' garbage (native memory stays resident).
  for (const n of [...sizes].reverse()) {
    const r = await firstSync(n);
    runs.unshift(r);
    log(`${num(n)} + ${num(n)} entries: first sync in ${ms(r.run.ms)} (CPU ${ms(r.run.cpuMs)})`);
  }
  const largest = runs.at(-1);
  if (!largest) throw new Error('no size measured');
  return {
    id: 'initial-sync',
    title: 'One person’s first sync (in memory)',
    ranOn: 'in-memory adapters and a manual clock, the real tick and worker',
    rows: rows(largest, runs),
    plots: [plot(runs)],
    notes: notes(runs),
  };
};

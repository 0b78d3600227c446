/**
 * The cold-start bench's section: rows (p50 / p95 per target against the baseline), the distribution plot, and
 * notes saying how each function was pinged, where the time goes, and which packages each loads before and after
 * its first request (and through which of our modules). Everything here is computed from what cold-start.ts
 * measured.
 */
import type { Deployment } from './cold-start-deploy.js';
import { POLL_MS, type Resolved } from './cold-start-spawn.js';
import type { Target } from './cold-start-targets.js';
import { betterBy, ms, percentile, type Plot, type Row, type Section } from './report.js';

/** The modules a process had resolved: when its port first took a connection, after the first and deeper answers. */
export interface ModuleSnapshots {
  readonly atListen: readonly Resolved[];
  readonly afterFirst: readonly Resolved[];
  readonly afterDeeper: readonly Resolved[] | null;
}

type Samples = ReadonlyMap<string, readonly number[]>;

export interface Measured {
  readonly runs: number;
  readonly targets: readonly Target[];
  readonly modules: ReadonlyMap<string, ModuleSnapshots>;
  /** Per target id: spawn → port accepting a connection, → first answer, → deeper answer (ms). */
  readonly starts: { readonly listen: Samples; readonly first: Samples; readonly deeper: Samples };
  readonly imports: {
    readonly ours: readonly number[];
    readonly baseline: readonly number[];
    readonly alone: Samples;
  };
  readonly deployment: Pick<Deployment, 'packaged' | 'installSeconds' | 'dependencies'>;
  /** The 1-minute load average when the part started and ended, and the CPUs it shares. */
  readonly load: { readonly before: number; readonly after: number; readonly cpus: number };
}

const TARGET = '≤ 300 ms';

function p50(samples: readonly number[] | undefined): number {
  return percentile(samples ?? [], 50);
}

function p50p95(samples: readonly number[] | undefined): string {
  return `${ms(p50(samples))} / ${ms(percentile(samples ?? [], 95))}`;
}

function ratio(ours: readonly number[] | undefined, baseline: readonly number[] | undefined): string {
  const r = betterBy(p50(ours), p50(baseline), 'faster');
  return r === '—' ? r : `${r} (p50)`;
}

function ofKind(m: Measured, kind: Target['kind']): Target[] {
  return m.targets.filter((t) => t.kind === kind);
}

/** The package a module URL belongs to (the innermost node_modules), or null for our own files and builtins. */
export function packageOf(url: string): string | null {
  const found = [...url.matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)];
  return found.at(-1)?.[1] ?? null;
}

/** Our compiled module's path under build/ ("functions/index.js"), or null. */
function ownPath(url: string): string | null {
  if (packageOf(url) !== null) return null;
  return /\/build\/((?:functions|shared)\/.+)$/.exec(url)?.[1] ?? null;
}

/** Package → number of its files resolved. */
function packages(modules: readonly Resolved[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [url] of modules) {
    const name = packageOf(url);
    if (name !== null) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** The modules resolved between two snapshots. */
function since(before: readonly Resolved[], after: readonly Resolved[]): Resolved[] {
  const seen = new Set(before.map(([url]) => url));
  return after.filter(([url]) => !seen.has(url));
}

function ownModules(modules: readonly Resolved[]): number {
  return modules.filter(([url]) => ownPath(url) !== null).length;
}

/**
 * Why a package is loaded: the chain of our modules that first led to it, "shared/config.js ← functions/runtime.js
 * ← functions/index.js" (each module's first importer, up to the framework's loader or a package).
 */
function importedVia(modules: readonly Resolved[], dependency: string): string {
  const parents = new Map(modules);
  const entry = modules.find(
    ([url, parent]) => packageOf(url) === dependency && packageOf(parent ?? '') !== dependency,
  );
  const chain: string[] = [];
  let parent = entry?.[1] ?? null;
  while (parent !== null && chain.length < 10) {
    const own = ownPath(parent);
    if (own === null) break;
    chain.push(own);
    parent = parents.get(parent) ?? null;
  }
  return chain.length === 0 ? '' : ` via ${chain.join(' ← ')}`;
}

/** "12 packages, 340 files (zod 95, …)": the biggest by files loaded. */
function describe(modules: readonly Resolved[], top = 6): string {
  const pkgs = packages(modules);
  if (pkgs.size === 0) return 'no package';
  const biggest = [...pkgs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, files]) => `${name} ${String(files)}`);
  const files = [...pkgs.values()].reduce((a, b) => a + b, 0);
  return `${String(pkgs.size)} packages, ${String(files)} files (${biggest.join(', ')}${pkgs.size > top ? ', …' : ''})`;
}

function direct(modules: readonly Resolved[], dependencies: readonly string[]): string {
  const pkgs = packages(modules);
  const loaded = dependencies.filter((d) => pkgs.has(d));
  return loaded.length === 0 ? 'none' : loaded.join(', ');
}

function startRow(
  what: string,
  ours: readonly number[] | undefined,
  baseline: readonly number[] | undefined,
): Row {
  return {
    what,
    target: TARGET,
    ours: p50p95(ours),
    baseline: p50p95(baseline),
    ratio: ratio(ours, baseline),
  };
}

function startRows(m: Measured): Row[] {
  const baseline = m.starts.first.get(ofKind(m, 'baseline')[0]?.id ?? '');
  const rows: Row[] = [];
  for (const target of ofKind(m, 'function')) {
    const { status, label } = target.first();
    const answer =
      status < 300
        ? `first 2xx (${String(status)} ${label})`
        : `first answer (${String(status)} ${label}; no 2xx without Google)`;
    rows.push(
      startRow(
        `cold start ${target.id}, spawn → ${answer}, p50 / p95`,
        m.starts.first.get(target.id),
        baseline,
      ),
    );
    if (target.deeper !== undefined) {
      const { status: deeperStatus, label: deeperLabel } = target.deeper();
      const deeper = `first answer past the container (${String(deeperStatus)} ${deeperLabel})`;
      rows.push(
        startRow(
          `cold start ${target.id}, spawn → ${deeper}, p50 / p95`,
          m.starts.deeper.get(target.id),
          baseline,
        ),
      );
    }
  }
  for (const floor of ofKind(m, 'floor')) {
    rows.push({
      what: 'cold start of a function importing only the framework (the floor), p50 / p95',
      target: '—',
      ours: p50p95(m.starts.first.get(floor.id)),
      baseline: '—',
      ratio: '—',
    });
  }
  return rows;
}

function importRow(m: Measured): Row {
  return {
    what: 'module load: import() of build/functions/index.js in a fresh node, p50 / p95',
    target: '—',
    ours: p50p95(m.imports.ours),
    baseline: p50p95(m.imports.baseline),
    ratio: ratio(m.imports.ours, m.imports.baseline),
  };
}

function plot(m: Measured): Plot {
  return {
    file: 'cold-start.svg',
    title: 'Cold start: spawn → first answer, per function and the baseline',
    xLabel: 'ms from spawn to the first answer',
    yLabel: '% of starts',
    kind: 'cdf',
    series: m.targets
      .filter((t) => t.kind !== 'floor')
      .map((t) => ({
        name: t.kind === 'baseline' ? 'baseline (every dependency eager)' : t.id,
        points: (m.starts.first.get(t.id) ?? []).map((v, i): [number, number] => [i, v]),
      })),
  };
}

function methodNotes(m: Measured): string[] {
  const { packaged, installSeconds, dependencies } = m.deployment;
  return [
    `The deployable archive was ${packaged}; it was extracted into a fresh folder under the OS temp dir and ` +
      `installed there with \`npm ci --omit=dev\` in ${installSeconds.toFixed(1)} s, as test/deploy/archive.test.ts ` +
      "and the buildpack do (npm's local cache makes this fast; none of it is in the figures).",
    'Each start is `node node_modules/@google-cloud/functions-framework/build/src/main.js --target=<name> ' +
      '--signature-type=http` in that folder, with the production-like environment of the archive test (no ' +
      'emulator, no credentials, METADATA_SERVER_DETECTION=none), timed from just before spawn(): until the port ' +
      `accepts a TCP connection (tried every ${String(POLL_MS)} ms, the figures' resolution; nothing is sent on it), ` +
      `then until the status line of the first request's answer. ${String(m.runs)} starts per target, the targets ` +
      'interleaved, after one warm-up start each (the module listing below), so the files are in the OS page ' +
      'cache: a Cloud Run instance also fetches its image and starts its sandbox, which no local figure includes. ' +
      'Ratios compare p50s; p95 of few samples is close to their maximum.',
    "Baseline, the anchors' way: a tiny HTTP function in the same folder whose module imports every production " +
      `dependency at load (${dependencies.join(', ')}), answering GET / with 200. It is "every dependency eager", ` +
      'not `googleapis`: `googleapis` is not installed here (the project uses @googleapis/calendar) and is not ' +
      'downloaded for the bench. The floor is the same function importing only the framework.',
  ];
}

function loadNote(m: Measured): string {
  const { before, after, cpus } = m.load;
  // Busy before the part began: at its end the load includes the part's own starts.
  const busy = before > cpus * 0.75;
  return (
    `The machine's 1-minute load average was ${before.toFixed(1)} when this part started and ${after.toFixed(1)} ` +
    `when it ended, on ${String(cpus)} CPUs` +
    (busy
      ? ': other work shared the CPUs, so every figure here is inflated and noisy; the ratios, measured interleaved ' +
        'in the same run, hold better than the absolute times.'
      : '.')
  );
}

function pingNote(m: Measured): string {
  const said = ofKind(m, 'function').map((t) => {
    const deeper = t.deeper === undefined ? '' : `, then ${t.deeper().what}`;
    return `${t.id}: ${t.first().what}${deeper}`;
  });
  return (
    `How each function was pinged (requests it answers without calling Google): ${said.join('; ')}. ` +
    'syncTick and syncWorker run with PUSH_AUTH_VERIFIED_BY_CLOUD_RUN=true, as infra/main.tf deploys them, and get ' +
    "the token Cloud Run hands on (its signature replaced by SIGNATURE_REMOVED_BY_GOOGLE). severaWebhook's key " +
    'comes from the environment (SECRET_SOURCE=env) instead of Secret Manager, which it cannot reach here; in ' +
    'production its first request also loads @google-cloud/secret-manager and makes one Secret Manager call.'
  );
}

function timeNote(m: Measured): string {
  const floor = ofKind(m, 'floor')[0]?.id ?? '';
  const parts = m.targets.map((t) => {
    const deeper = m.starts.deeper.get(t.id) ?? [];
    return (
      `${t.id} ${ms(p50(m.starts.listen.get(t.id)))} → ${ms(p50(m.starts.first.get(t.id)))}` +
      (deeper.length > 0 ? ` → ${ms(p50(deeper))}` : '')
    );
  });
  return (
    'Where the time goes (p50 from spawn: port accepting → first answer → deeper answer): ' +
    `${parts.join('; ')}. The gap to the floor's port (${ms(p50(m.starts.listen.get(floor)))}) is our ` +
    'module graph loaded at import; the gap from the port to an answer is what the request loads on first use.'
  );
}

/** "N packages, F files (…) and K of our compiled modules (production dependencies: …)". */
function loaded(modules: readonly Resolved[], dependencies: readonly string[]): string {
  return (
    `${describe(modules)} and ${String(ownModules(modules))} of our compiled modules (production dependencies: ` +
    `${direct(modules, dependencies)})`
  );
}

/** Whether every snapshot loaded the same modules before its first request. */
function sameAtListen(snaps: readonly ModuleSnapshots[]): boolean {
  const key = (s: ModuleSnapshots) =>
    s.atListen
      .map(([url]) => url)
      .sort()
      .join('\n');
  return snaps.every((s) => key(s) === key(snaps[0] ?? s));
}

function afterRequests(id: string, snap: ModuleSnapshots, deps: readonly string[]): string {
  let text = `${id}'s first request added ${loaded(since(snap.atListen, snap.afterFirst), deps)}`;
  if (snap.afterDeeper !== null) {
    text += `; the deeper request added ${loaded(since(snap.afterFirst, snap.afterDeeper), deps)}`;
  }
  return `${text}.`;
}

function lazyNotes(m: Measured): string[] {
  const deps = m.deployment.dependencies;
  const functions = ofKind(m, 'function').flatMap((t) => {
    const snap = m.modules.get(t.id);
    return snap === undefined ? [] : [{ id: t.id, snap }];
  });
  const shared = functions[0];
  const atImport =
    shared !== undefined && sameAtListen(functions.map((f) => f.snap))
      ? [
          `Before any request, every function (one entry point) had loaded ${loaded(shared.snap.atListen, deps)}.`,
        ]
      : functions.map((f) => `Before any request, ${f.id} had loaded ${loaded(f.snap.atListen, deps)}.`);
  const baseline = ofKind(m, 'baseline').flatMap((t) => {
    const snap = m.modules.get(t.id);
    return snap === undefined
      ? []
      : [`The baseline had loaded ${describe(snap.atListen)} before any request.`];
  });
  return [
    'What "lazy" means here: a package is lazy when it is not loaded before the first request. A `node:module` ' +
      '`registerHooks` resolve hook (loaded with `--import` in the warm-up start) records every module URL, ' +
      'require and import alike, with its first importer; they are counted per package under node_modules when ' +
      'the port first accepts a connection and after each answer.',
    ...atImport,
    ...functions.map((f) => afterRequests(f.id, f.snap, deps)),
    ...baseline,
  ];
}

/** Where a production dependency is first loaded by the starts measured here, and through which of our modules. */
function whereLoaded(m: Measured, dependency: string): string {
  const loads = (modules: readonly Resolved[] | null) =>
    modules !== null && packages(modules).has(dependency);
  for (const t of ofKind(m, 'function')) {
    const snap = m.modules.get(t.id);
    if (snap !== undefined && loads(snap.atListen))
      return `at import${importedVia(snap.atListen, dependency)}`;
  }
  const later = ofKind(m, 'function').filter((t) => {
    const snap = m.modules.get(t.id);
    return snap !== undefined && loads(snap.afterDeeper ?? snap.afterFirst);
  });
  const snap = later[0] === undefined ? undefined : m.modules.get(later[0].id);
  if (snap === undefined) return 'not by these requests';
  const via = importedVia(snap.afterDeeper ?? snap.afterFirst, dependency);
  return `on first use by ${later.map((t) => t.id).join(', ')}${via}`;
}

function aloneNote(m: Measured): string {
  const runs = [...m.imports.alone.values()][0]?.length ?? 0;
  const cost = (samples: readonly number[]) => (samples.length === 0 ? '' : ` ${ms(p50(samples))}`);
  const each = [...m.imports.alone]
    .sort((a, b) => p50(b[1]) - p50(a[1]))
    .map(([dep, samples]) => `${dep}${cost(samples)}, ${whereLoaded(m, dep)}`);
  const measured =
    runs === 0
      ? 'Where our functions load each production dependency (their import cost alone is measured in full mode)'
      : `Each production dependency imported alone in a fresh node (median of ${String(runs)}; shared ` +
        'sub-dependencies make these overlap, so they do not add up), and where our functions load it';
  return `${measured}: ${each.join('; ')}.`;
}

/**
 * The ≤ 300 ms target read against the floor: which answers load nothing but our own modules, and what the ones
 * that need the organisation's data wait for (the Firestore client), with what the product does about it.
 */
function verdictNote(m: Measured): string {
  const FIRESTORE = '@google-cloud/firestore';
  const floorId = ofKind(m, 'floor')[0]?.id;
  if (floorId === undefined) return '';
  const floor = p50(m.starts.first.get(floorId));
  const light: string[] = [];
  const heavy: number[] = [];
  for (const t of ofKind(m, 'function')) {
    const snap = m.modules.get(t.id);
    const first = p50(m.starts.first.get(t.id));
    if (snap !== undefined && !packages(snap.afterFirst).has(FIRESTORE)) {
      light.push(`${t.id} ${ms(first)}`);
      const deeper = m.starts.deeper.get(t.id);
      if (deeper !== undefined && deeper.length > 0) heavy.push(p50(deeper));
    } else {
      heavy.push(first);
    }
  }
  const alone = m.imports.alone.get(FIRESTORE);
  const firestore =
    alone === undefined || alone.length === 0 ? '' : ` (${ms(p50(alone))} to import alone here)`;
  const sorted = [...heavy].sort((a, b) => a - b);
  const range =
    sorted.length === 0 ? '' : `${ms(sorted[0] ?? Number.NaN)}–${ms(sorted.at(-1) ?? Number.NaN)}`;
  return (
    `Against the ≤ 300 ms target: answers that load none of the data layer come within a few tens of ms of the ` +
    `floor (${ms(floor)}, Node and the Functions Framework alone on this machine): ${light.join(', ')}. Every ` +
    `answer that needs the organisation's data (${range} p50) first loads ${FIRESTORE}${firestore}, Google's ` +
    'official client, with google-gax, gRPC and protobufjs: that load, not our code, is the rest of the time, and ' +
    'the product keeps the official client rather than a hand-written one. What the product does about it: each ' +
    'function loads only its own modules on its first call (functions/index.ts), so Google’s channel handshake ' +
    'and the console page never wait for it; nothing depends on a first answer being fast (Pub/Sub and Google ' +
    'wait seconds for an answer; a change still arrives within the cycle); and `warm_instances` in infra/ keeps ' +
    'an instance warm where that second matters, at the price of an idle instance (docs/deploy.md).'
  );
}

export function coldStartSection(m: Measured): Section {
  return {
    id: 'cold-start',
    title: 'Cold start',
    ranOn:
      'this machine: the built archive extracted and installed (production dependencies) in the OS temp dir, the ' +
      'Functions Framework spawned per start, no Cloud Run sandbox',
    rows: [...startRows(m), importRow(m)],
    plots: [plot(m)],
    notes: [
      ...methodNotes(m),
      loadNote(m),
      pingNote(m),
      timeNote(m),
      verdictNote(m),
      ...lazyNotes(m),
      aloneNote(m),
    ].filter((n) => n !== ''),
  };
}

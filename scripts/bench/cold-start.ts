/**
 * Cold start (SPEC §10: "function cold start (spawn → first 200) ≤ 300 ms; anchor: `googleapis` whole ~840 ms").
 *
 * How: the deployable archive is built with the project's own packaging (`npm run package`; quick mode reuses one
 * newer than every source), extracted into a fresh folder under the OS temp dir and installed there with
 * `npm ci --omit=dev`, as test/deploy/archive.test.ts and Cloud Functions' buildpack do (cold-start-deploy.ts).
 * From that folder each function is started as Cloud Run starts it, `functions-framework --target=<name>` with the
 * archive test's production-like environment, and timed from just before spawn(): until its port accepts a TCP
 * connection (tried every 5 ms), then until the status line of the first request it answers without Google
 * (cold-start-targets.ts says which, per function). Each target is started `runs` times (full 10, quick 3), the
 * targets interleaved, after one warm-up start each.
 *
 * - Baseline (the anchors' way): a tiny HTTP function in the same folder whose module imports every production
 *   dependency at load, started and timed the same way. The floor (the framework alone) is measured too.
 * - Module load: `import()` of the compiled entry point (build/functions/index.js) in a fresh `node`, timed inside
 *   that process (`runs` times); the same for the baseline's module; and, in full mode, each production dependency
 *   imported alone (3 times).
 * - What is lazy: the warm-up start of each target runs with a `node:module` `registerHooks` resolve hook that
 *   records every module URL; the packages under node_modules are listed when the port first accepts a connection
 *   (before any request), after the first request and after the deeper one, with the chain of our modules that
 *   first imported each production dependency.
 *
 * Nothing is asserted on a time; the part throws only when something is broken: the packaging or install fails, a
 * function does not listen or exits, or answers another status than its request must get.
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { deploy, type Deployment } from './cold-start-deploy.js';
import { coldStartSection, type ModuleSnapshots } from './cold-start-report.js';
import { firstAnswer, importMs, listening, loadedModules, serve, stop } from './cold-start-spawn.js';
import { EAGER_DIR, importEnv, targets, type Target } from './cold-start-targets.js';
import type { Bench } from './report.js';

/** The packages a start has resolved at each moment (see {@link ModuleSnapshots}), from one start with the hook. */
async function snapshot(deployment: Deployment, target: Target): Promise<ModuleSnapshots> {
  const served = await serve(deployment.dir, target, deployment.hook);
  try {
    await listening(served, target.id);
    const atListen = await loadedModules(served);
    await firstAnswer(served, target.first(), target.id);
    const afterFirst = await loadedModules(served);
    const deeper = target.deeper;
    if (deeper === undefined) return { atListen, afterFirst, afterDeeper: null };
    await firstAnswer(served, deeper(), target.id);
    return { atListen, afterFirst, afterDeeper: await loadedModules(served) };
  } finally {
    await stop(served.child);
  }
}

/** One cold start: spawn → port accepting, → first answer, and → the deeper answer where the target has one. */
async function oneStart(dir: string, target: Target) {
  const served = await serve(dir, target);
  try {
    const listen = await listening(served, target.id);
    const first = await firstAnswer(served, target.first(), target.id);
    const deeper = target.deeper === undefined ? null : await firstAnswer(served, target.deeper(), target.id);
    return { listen, first: first.ms, deeper: deeper?.ms ?? null };
  } finally {
    await stop(served.child);
  }
}

/** `runs` starts of every target, interleaved (each round begins one target further) so drift hits all alike. */
async function coldStarts(dir: string, all: readonly Target[], runs: number, log: (line: string) => void) {
  const listen = new Map<string, number[]>(all.map((t) => [t.id, []]));
  const first = new Map<string, number[]>(all.map((t) => [t.id, []]));
  const deeper = new Map<string, number[]>(all.map((t) => [t.id, []]));
  for (let round = 0; round < runs; round++) {
    log(`cold starts, round ${String(round + 1)} of ${String(runs)}`);
    for (let k = 0; k < all.length; k++) {
      const target = all[(round + k) % all.length];
      if (target === undefined) continue;
      const start = await oneStart(dir, target);
      listen.get(target.id)?.push(start.listen);
      first.get(target.id)?.push(start.first);
      if (start.deeper !== null) deeper.get(target.id)?.push(start.deeper);
    }
  }
  return { listen, first, deeper };
}

/** Import times of the entry point, the baseline's module, and each production dependency alone. */
async function importTimes(deployment: Deployment, runs: number, aloneRuns: number) {
  const { dir } = deployment;
  const env = importEnv();
  const entry = pathToFileURL(join(dir, 'build', 'functions', 'index.js')).href;
  const eager = pathToFileURL(join(dir, EAGER_DIR, 'index.js')).href;
  const ours: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await importMs(dir, entry, env));
    baseline.push(await importMs(dir, eager, env));
  }
  const alone = new Map<string, number[]>();
  for (const dependency of deployment.dependencies) {
    const samples: number[] = [];
    for (let i = 0; i < aloneRuns; i++) samples.push(await importMs(dir, dependency, env));
    alone.set(dependency, samples);
  }
  return { ours, baseline, alone };
}

export const coldStart: Bench = async ({ quick, log }) => {
  const runs = quick ? 3 : 10;
  const loadBefore = loadavg()[0] ?? Number.NaN;
  const deployment = await deploy({ reuseArchive: quick, log });
  try {
    const all = targets();
    const modules = new Map<string, ModuleSnapshots>();
    for (const target of all) {
      log(`modules loaded by ${target.id} (also its warm-up start)`);
      modules.set(target.id, await snapshot(deployment, target));
    }
    const starts = await coldStarts(deployment.dir, all, runs, log);
    log('module load in a fresh node');
    // Each dependency alone only in full mode: ten more node starts per run would not fit --quick's budget.
    const imports = await importTimes(deployment, runs, quick ? 0 : 3);
    const load = { before: loadBefore, after: loadavg()[0] ?? Number.NaN, cpus: availableParallelism() };
    return coldStartSection({ runs, targets: all, modules, starts, imports, deployment, load });
  } finally {
    deployment.remove();
  }
};

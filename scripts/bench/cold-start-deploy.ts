/**
 * The deployment the cold-start bench starts functions from, made as test/deploy/archive.test.ts makes it and as
 * Cloud Functions' Node.js buildpack would: `npm run package` builds build/function-source.zip, which is unpacked
 * into a fresh folder under the OS temp dir and installed there with `npm ci --omit=dev` (production dependencies
 * only). The two reference functions (cold-start-targets.ts) and the module recorder are written into that folder
 * beside the archive's files; `remove` deletes all of it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { unzipSync } from 'fflate';

import { ARCHIVE_PATH, REPO_ROOT } from '../package.js';
import { filesUnder, npm } from '../../test/deploy/processes.js';
import { HOOK_SOURCE } from './cold-start-spawn.js';
import { EAGER_DIR, FLOOR_DIR, eagerModule, floorModule } from './cold-start-targets.js';

export interface Deployment {
  /** The extracted, installed folder. */
  readonly dir: string;
  /** The module recorder (loaded with `--import`). */
  readonly hook: string;
  /** The archive's production dependencies (package.json `dependencies`), in its order. */
  readonly dependencies: readonly string[];
  /** How the archive was had: "built by npm run package in 12.3 s" or "reused: …". */
  readonly packaged: string;
  readonly installSeconds: number;
  remove(): void;
}

/** What the compiled tree and the archive are made from (scripts/package.ts, tsconfig.build.json, `build`). */
const SOURCES = ['functions', 'shared', 'console'];
const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.build.json', 'tsconfig.json'];

function newestSourceMs(): number {
  const files = [
    ...SOURCE_FILES,
    ...SOURCES.flatMap((dir) => filesUnder(join(REPO_ROOT, dir)).map((f) => `${dir}/${f}`)),
  ];
  return Math.max(...files.map((f) => statSync(join(REPO_ROOT, f)).mtimeMs));
}

function archiveMs(): number | null {
  try {
    return statSync(join(REPO_ROOT, ARCHIVE_PATH)).mtimeMs;
  } catch {
    return null;
  }
}

/** Builds the archive with the project's own packaging, unless `reuse` and it is newer than every source. */
async function archive(reuse: boolean, log: (line: string) => void): Promise<string> {
  const built = archiveMs();
  if (reuse && built !== null && built > newestSourceMs()) {
    return `reused ${ARCHIVE_PATH} (newer than every file of functions/, shared/, console/ and the package files)`;
  }
  log('npm run package');
  const t0 = performance.now();
  const packaged = await npm(['run', 'package'], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (packaged.code !== 0) throw new Error(`npm run package failed:\n${packaged.output}`);
  return `built by npm run package in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

function extract(zip: Uint8Array, dir: string): void {
  for (const [name, data] of Object.entries(unzipSync(zip))) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
}

/** As the buildpack installs a package without a build script (test/deploy/archive.test.ts). */
async function install(dir: string): Promise<number> {
  const t0 = performance.now();
  const installed = await npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production' },
    timeoutMs: 300_000,
  });
  if (installed.code !== 0) {
    throw new Error(
      `npm ci --omit=dev in the extracted archive failed (is the npm registry reachable?):\n${installed.output}`,
    );
  }
  return (performance.now() - t0) / 1000;
}

function writeModule(dir: string, folder: string, source: string): void {
  mkdirSync(join(dir, folder));
  writeFileSync(join(dir, folder, 'package.json'), '{ "type": "module", "main": "index.js" }\n');
  writeFileSync(join(dir, folder, 'index.js'), source);
}

/** Packages (or reuses), extracts and installs the archive, and writes the reference functions beside it. */
export async function deploy(options: {
  reuseArchive: boolean;
  log: (line: string) => void;
}): Promise<Deployment> {
  const packaged = await archive(options.reuseArchive, options.log);
  const dir = mkdtempSync(join(tmpdir(), 'bench-cold-start-'));
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    extract(readFileSync(join(REPO_ROOT, ARCHIVE_PATH)), dir);
    options.log('npm ci --omit=dev in the extracted archive');
    const installSeconds = await install(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const dependencies = Object.keys(pkg.dependencies ?? {});
    writeModule(dir, EAGER_DIR, eagerModule(dependencies));
    writeModule(dir, FLOOR_DIR, floorModule());
    const hook = join(dir, 'bench-module-recorder.mjs');
    writeFileSync(hook, HOOK_SOURCE);
    return { dir, hook, dependencies, packaged, installSeconds, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * `npm run package`: the deployable archive, `build/function-source.zip`, that Terraform uploads (under a name made
 * from its hash) as the source of all five Cloud Functions.
 *
 * It holds exactly what Cloud Functions' Node.js buildpack needs to run `main` with production dependencies:
 *
 * - `package.json` without its `scripts`. The buildpack runs the first of `GOOGLE_NODE_RUN_SCRIPTS`, a
 *   `gcp-build` script or a `build` script that it finds, and as soon as it has one to run it installs with
 *   `NODE_ENV=development` (devDependencies included, pruned afterwards); with none it runs `npm ci` with
 *   `NODE_ENV=production` (GoogleCloudPlatform/buildpacks, `cmd/nodejs/npm/main.go`, `determineBuildCommands`).
 *   Our `build` needs the TypeScript sources, which the archive does not carry, and a development install would
 *   fetch the `node@22` devDependency's binary, TypeScript and the linters for nothing: so no script at all, not
 *   even an empty `gcp-build` (whose mere presence switches to the development install). The dependencies are
 *   left as they are, so `package-lock.json` stays in sync with it for `npm ci`.
 * - `package-lock.json` as it is: the production install is the locked one.
 * - the compiled tree under `build/` (`main` is `build/functions/index.js`): JavaScript only, no source maps (they
 *   point at `.ts` files that are not shipped, and the runtime does not read them without `--enable-source-maps`),
 *   no tests (tsconfig.build.json compiles `functions/` and `shared/` only), and `build/console/`, the page that
 *   `functions/console-page.ts` reads relative to itself.
 *
 * The same input gives the same bytes, hence the same hash and object name: entries in sorted order, one fixed
 * timestamp, fixed permissions, and `build/` is emptied before it is rebuilt, so no file of an earlier build is
 * carried along.
 *
 *   npm run package            (= node --import tsx scripts/package.ts)
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { zipSync, type Zippable } from 'fflate';

/** Where the archive is written, relative to the repository (the Terraform in `infra/` reads it there). */
export const ARCHIVE_PATH = 'build/function-source.zip';

/** The repository this script belongs to. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * One timestamp for every entry. ZIP stores local date and time fields and cannot go below 1980; a Date built from
 * local fields gives the same fields in every time zone.
 */
const ENTRY_TIME = new Date(1980, 0, 1, 0, 0, 0);

/** A regular file, `rw-r--r--`, as Unix (`os` 3) external attributes. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

export interface ArchiveEntry {
  /** The path inside the archive, with `/`. */
  readonly path: string;
  readonly data: Uint8Array;
}

/** The package.json the buildpack sees: the project's, without scripts (see above). */
export function archivePackageJson(pkg: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { scripts: _scripts, ...rest } = pkg;
  return rest;
}

/** Whether a file of the compiled tree belongs in the archive. */
export function shipsFromBuild(path: string): boolean {
  if (path === ARCHIVE_PATH) return false;
  if (path.endsWith('.map') || path.endsWith('.tsbuildinfo') || path.endsWith('.d.ts')) return false;
  return true;
}

function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(root, path));
    else out.push(path);
  }
  return out;
}

/**
 * What the archive holds, in its order, read from `root` (whose `build/` must be a fresh build). Throws when the
 * build is missing or carries a test: the archive would not be what production should run.
 */
export function archiveEntries(root: string = REPO_ROOT): ArchiveEntry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const main = typeof pkg.main === 'string' ? pkg.main : '';
  if (!main.startsWith('build/') || !existsSync(join(root, main))) {
    throw new Error(
      `package.json "main" (${main || 'unset'}) is not a built file under build/: run npm run build`,
    );
  }
  const built = filesUnder(root, 'build').filter(shipsFromBuild);
  const tests = built.filter((p) => /(^|\/)test\/|\.test\.js$/.test(p));
  if (tests.length > 0) throw new Error(`build/ holds tests, which are never deployed: ${tests.join(', ')}`);
  const encoder = new TextEncoder();
  const entries: ArchiveEntry[] = [
    { path: 'package.json', data: encoder.encode(`${JSON.stringify(archivePackageJson(pkg), null, 2)}\n`) },
    { path: 'package-lock.json', data: readFileSync(join(root, 'package-lock.json')) },
    ...built.map((path) => ({ path, data: readFileSync(join(root, path)) })),
  ];
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The archive's bytes: the same entries give the same bytes. */
export function createArchive(entries: readonly ArchiveEntry[]): Uint8Array {
  const files: Zippable = {};
  for (const entry of entries) {
    files[entry.path] = [entry.data, { level: 9, mtime: ENTRY_TIME, os: 3, attrs: FILE_ATTRIBUTES }];
  }
  return zipSync(files);
}

/** Runs `npm run build` with the npm that runs this script (or the one on PATH). */
function runBuild(root: string): void {
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`npm run build failed (${String(result.status ?? result.signal)})`);
}

/** Empties `build/`, builds, writes the archive; returns where it is and what it holds. */
export function packageFunctionSource(root: string = REPO_ROOT): {
  readonly path: string;
  readonly bytes: number;
  readonly files: number;
  readonly sha256: string;
} {
  rmSync(join(root, 'build'), { recursive: true, force: true });
  runBuild(root);
  const entries = archiveEntries(root);
  const zip = createArchive(entries);
  const path = join(root, ARCHIVE_PATH);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, zip);
  return {
    path: relative(root, path).split(sep).join('/'),
    bytes: zip.length,
    files: entries.length,
    sha256: createHash('sha256').update(zip).digest('hex'),
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const made = packageFunctionSource();
    console.log(
      `${made.path}: ${String(made.files)} files, ${String(made.bytes)} bytes, sha256 ${made.sha256}`,
    );
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}

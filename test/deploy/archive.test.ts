/**
 * The deployable archive (issue 12): built exactly as `npm run package` builds it, then installed and started as
 * Cloud Functions' Node.js buildpack would — unpacked into a clean folder, `npm ci` with production dependencies
 * only, `node --check` on `main`, and the Functions Framework from that folder's `node_modules` serving each of the
 * five functions (GoogleCloudPlatform/buildpacks `cmd/nodejs/npm`, `cmd/nodejs/functions_framework`).
 *
 * Each function must load and answer over HTTP with a production-like configuration (Secret Manager, Pub/Sub push
 * authentication and the console's sign-in configured) and no emulator: the requests are the ones answered before
 * any call leaves the process (the edge guard, a push without a token, a console call without a sign-in, the
 * calendar handshake), so nothing here reaches Google. The npm registry is needed for the install; where it cannot
 * be reached the test says `skipped: <reason>`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

import { unzipSync } from 'fflate';

import { FUNCTION_NAMES, type FunctionName } from '../../functions/edge.js';
import { ARCHIVE_PATH, REPO_ROOT, archiveEntries, createArchive } from '../../scripts/package.js';
import { freePort } from '../../scripts/emulators.js';
import { filesUnder, npm, run } from './processes.js';
import { PRODUCTION_ENV } from './production-env.js';

/** Only PATH and HOME from this process: the functions see the production configuration and nothing else. */
function productionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    ...PRODUCTION_ENV,
    ...extra,
  };
}

const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Probe {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly status: number;
  /** Further checks on the answer. */
  readonly check?: (res: Response, text: string) => void;
}

/** Per function: requests answered without leaving the process, and what each must get. */
const PROBES: Readonly<Record<FunctionName, readonly Probe[]>> = {
  calendarPush: [
    { what: 'a GET, refused by the edge guard', method: 'GET', path: '/', status: 405 },
    {
      what: "the channel handshake, answered by the function's handler",
      method: 'POST',
      path: '/',
      headers: { 'x-goog-resource-state': 'sync' },
      status: 200,
    },
    {
      what: 'a POST that is no notification, refused by the handler after the container is built',
      method: 'POST',
      path: '/',
      status: 400,
    },
  ],
  severaWebhook: [
    { what: 'a GET, refused by the edge guard', method: 'GET', path: '/', status: 405 },
    {
      what: 'a body that is not JSON, refused by the edge guard',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
      status: 415,
    },
    {
      what: 'malformed JSON, refused by the edge guard',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: '{',
      status: 400,
    },
  ],
  syncTick: [
    { what: 'a GET, refused by the edge guard', method: 'GET', path: '/', status: 405 },
    {
      what: 'a push without a token, refused by the push verifier',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      status: 401,
    },
  ],
  syncWorker: [
    { what: 'a GET, refused by the edge guard', method: 'GET', path: '/', status: 405 },
    {
      what: 'a push without a token, refused by the push verifier',
      method: 'POST',
      path: '/',
      headers: { 'content-type': 'application/json' },
      body: '{"message":{"data":"e30="}}',
      status: 401,
    },
  ],
  console: [
    {
      what: 'the page, with its headers',
      method: 'GET',
      path: '/',
      status: 200,
      check: (res, text) => {
        assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
        assert.equal(res.headers.get('x-frame-options'), 'DENY');
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(text, /<html/i);
      },
    },
    {
      what: "the page's script",
      method: 'GET',
      path: '/app.js',
      status: 200,
      check: (res) => {
        assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
      },
    },
    {
      what: 'an API call without a sign-in, refused after the console modules load',
      method: 'GET',
      path: '/api/me',
      status: 401,
      check: (res) => {
        assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
      },
    },
  ],
};

interface Served {
  readonly name: FunctionName;
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: string[];
}

/** Stops a process this test started and waits for it to be gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** Waits until the framework answers on its port (any status), or fails with its output. */
async function answering(served: Served, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (served.child.exitCode !== null) {
      throw new Error(`${served.name} exited with ${served.child.exitCode}:\n${served.output.join('')}`);
    }
    try {
      await fetch(`http://127.0.0.1:${String(served.port)}/`, {
        method: 'GET',
        signal: AbortSignal.timeout(1000),
      });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${served.name} did not answer within ${String(timeoutMs)} ms:\n${served.output.join('')}`);
}

describe('the deployable archive (build/function-source.zip)', { timeout: 300_000 }, () => {
  let zip: Uint8Array;
  let files: Record<string, Uint8Array>;

  before(async () => {
    // Exactly what Cloud Build's package step and a developer run.
    const packaged = await npm(['run', 'package'], { cwd: REPO_ROOT, timeoutMs: 180_000 });
    assert.equal(packaged.code, 0, packaged.output);
    zip = readFileSync(join(REPO_ROOT, ARCHIVE_PATH));
    files = unzipSync(zip);
    console.log(
      `archive: ${String(Object.keys(files).length)} files, ${String(zip.length)} bytes, sha256 ` +
        createHash('sha256').update(zip).digest('hex'),
    );
  });

  it('holds package.json, the lock, the compiled tree and the console page, and nothing else', () => {
    const names = Object.keys(files).sort();
    const pkg = JSON.parse(new TextDecoder().decode(files['package.json'])) as {
      main?: string;
      scripts?: unknown;
      dependencies?: Record<string, string>;
    };
    assert.equal(pkg.main, 'build/functions/index.js');
    assert.ok(names.includes(pkg.main), 'main is in the archive');
    // No script: any of build/gcp-build would make the buildpack install devDependencies and run it.
    assert.equal(pkg.scripts, undefined);
    assert.ok(pkg.dependencies?.['@google-cloud/functions-framework'], 'the framework is a dependency');
    assert.deepEqual(
      files['package-lock.json'],
      new Uint8Array(readFileSync(join(REPO_ROOT, 'package-lock.json'))),
    );
    for (const page of ['index.html', 'app.js', 'style.css']) {
      assert.deepEqual(
        files[`build/console/${page}`],
        new Uint8Array(readFileSync(join(REPO_ROOT, 'console', page))),
        `build/console/${page}`,
      );
    }
    const unexpected = names.filter(
      (n) =>
        !(n === 'package.json' || n === 'package-lock.json') &&
        !(/^build\/(functions|shared)\/[\w./-]+\.js$/.test(n) || /^build\/console\/[\w.-]+$/.test(n)),
    );
    assert.deepEqual(unexpected, [], 'only JavaScript of functions/ and shared/ and the console page');
    assert.deepEqual(
      names.filter((n) => /\.(map|ts)$|(^|\/)(test|node_modules)\//.test(n)),
      [],
      'no source map, source, test or node_modules',
    );
    // Every source of tsconfig.build.json has its compiled file.
    for (const dir of ['functions', 'shared']) {
      for (const source of filesUnder(join(REPO_ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
        const compiled = `build/${dir}/${source.replace(/\.ts$/, '.js')}`;
        assert.ok(names.includes(compiled), `${compiled} is in the archive`);
      }
    }
  });

  it('is the same bytes for the same input (its hash names the upload)', () => {
    const again = createArchive(archiveEntries(REPO_ROOT));
    assert.equal(Buffer.compare(Buffer.from(again), Buffer.from(zip)), 0);
  });

  it('installs with production dependencies only and serves each function', async (t) => {
    const ping = await npm(['ping', '--fetch-retries=0'], { cwd: tmpdir(), timeoutMs: 30_000 });
    if (ping.code !== 0) {
      const errors = ping.output.split('\n').filter((line) => line.startsWith('npm error'));
      const said = (errors.find((line) => /Error:|reason:/.test(line)) ?? errors[0] ?? '').slice(0, 200);
      const reason = `the npm registry cannot be reached (npm ping: ${ping.code === null ? 'no answer in 30 s' : said})`;
      console.log(`skipped: ${reason}`);
      t.skip(reason);
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'function-source-'));
    const started: Served[] = [];
    try {
      for (const [name, data] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), data);
      }
      // As the buildpack installs when the package has no build script: `npm ci` in production mode (with this
      // machine's npm settings, e.g. its registry).
      const install = await npm(['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: dir,
        env: { ...process.env, NODE_ENV: 'production' },
        timeoutMs: 180_000,
      });
      assert.equal(install.code, 0, install.output);
      // Whatever the lock marks as needed by devDependencies alone stays out (typescript, eslint, the node binary…).
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages)
        .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
        .map(([path]) => path);
      assert.ok(devOnly.includes('node_modules/typescript') && devOnly.includes('node_modules/node'));
      assert.deepEqual(
        devOnly.filter((path) => existsSync(join(dir, path))),
        [],
        'no package needed only by devDependencies is installed',
      );

      // The buildpack's syntax check of main.
      const checked = await run(process.execPath, ['--check', 'build/functions/index.js'], {
        cwd: dir,
        timeoutMs: 30_000,
      });
      assert.equal(checked.code, 0, checked.output);

      // Every compiled module loads with production dependencies alone, the lazily imported ones included.
      const modules = filesUnder(dir, 'build').filter((f) => /^build\/(functions|shared)\/.+\.js$/.test(f));
      const loadAll = await run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `for (const m of ${JSON.stringify(modules.map((m) => pathToFileURL(join(dir, m)).href))}) await import(m);\n` +
            'process.exit(0);',
        ],
        { cwd: dir, env: productionEnv(), timeoutMs: 60_000 },
      );
      assert.equal(loadAll.code, 0, loadAll.output);

      const framework = join(
        dir,
        'node_modules',
        '@google-cloud',
        'functions-framework',
        'build',
        'src',
        'main.js',
      );
      for (const name of FUNCTION_NAMES) {
        const port = await freePort();
        const child = spawn(
          process.execPath,
          [framework, `--target=${name}`, '--signature-type=http', `--port=${String(port)}`],
          {
            cwd: dir,
            // As Cloud Functions sets them for the framework, besides the flags.
            env: productionEnv({ FUNCTION_TARGET: name, FUNCTION_SIGNATURE_TYPE: 'http', K_SERVICE: name }),
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        const output: string[] = [];
        child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
        child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
        started.push({ name, port, child, output });
      }
      await Promise.all(started.map((s) => answering(s, 30_000)));

      for (const served of started) {
        const seen: string[] = [];
        for (const probe of PROBES[served.name]) {
          const res = await fetch(`http://127.0.0.1:${String(served.port)}${probe.path}`, {
            method: probe.method,
            headers: probe.headers ?? {},
            ...(probe.body === undefined ? {} : { body: probe.body }),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await res.text();
          assert.equal(res.status, probe.status, `${served.name}: ${probe.what}: ${text}`);
          probe.check?.(res, text);
          seen.push(`${probe.method} ${probe.path} ${String(res.status)}`);
        }
        console.log(`archive: ${served.name} loaded and answered ${seen.join(', ')}`);
      }
      for (const served of started) {
        const logged = served.output.join('');
        assert.doesNotMatch(
          logged,
          /"severity":"(ERROR|CRITICAL)"|Exception|Error:/,
          `${served.name}: ${logged}`,
        );
      }
    } finally {
      await Promise.all(started.map((s) => stop(s.child)));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The processes of the cold-start bench: a function started as Cloud Run starts it (`node …/functions-framework/
 * build/src/main.js --target=<name>` in the extracted archive), its first answer timed from just before spawn(),
 * the modules it has loaded (through a `node:module` `registerHooks` resolve hook, read over IPC), and the import
 * of one module in a fresh `node`. Every process started here is stopped by whoever started it (`stop`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { freePort } from '../emulators.js';
import type { Probe, Target } from './cold-start-targets.js';

/** How often a port that refuses connections is tried again: the resolution of every figure. */
export const POLL_MS = 5;
/** A start that takes longer than this is broken, not slow. */
const START_TIMEOUT_MS = 30_000;

export interface Served {
  readonly child: ChildProcess;
  readonly port: number;
  /** performance.now() just before spawn(). */
  readonly spawnedAt: number;
  readonly output: string[];
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  /** From spawn() to the answer's status line. */
  readonly ms: number;
}

/**
 * The module recorder, loaded with `--import`: every URL the process resolves (require and import alike) with the
 * module that first asked for it, sent as `[url, parent | null][]` when asked over IPC.
 */
export const HOOK_SOURCE = `import { registerHooks } from 'node:module';
const seen = new Map();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    if (!seen.has(resolved.url)) seen.set(resolved.url, context.parentURL ?? null);
    return resolved;
  },
});
process.on('message', () => { process.send([...seen]); });
`;

/** A module URL and the URL of the module that first resolved it (null for the entry point). */
export type Resolved = readonly [url: string, parent: string | null];

/** Starts a target from the extracted folder `dir`; with `hook`, the module recorder is loaded first. */
export async function serve(dir: string, target: Target, hook?: string): Promise<Served> {
  const port = await freePort();
  const framework = join(
    dir,
    'node_modules',
    '@google-cloud',
    'functions-framework',
    'build',
    'src',
    'main.js',
  );
  const args = [
    ...(hook === undefined ? [] : ['--import', pathToFileURL(hook).href]),
    framework,
    `--target=${target.target}`,
    '--signature-type=http',
    `--port=${String(port)}`,
    ...(target.source === undefined ? [] : [`--source=${join(dir, target.source)}`]),
  ];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: target.env,
    stdio: hook === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return { child, port, spawnedAt, output };
}

/** Stops a process started here and waits until it is gone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function refused(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ECONNREFUSED';
}

/** One request, on a connection of its own; rejects with the socket's error. */
function send(port: number, probe: Probe): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: probe.method,
        path: probe.path,
        headers: probe.headers,
        agent: false,
      },
      (res) => {
        const at = performance.now();
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), at });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(START_TIMEOUT_MS, () => req.destroy(new Error(`no answer to ${probe.what}`)));
    req.on('error', reject);
    req.end(probe.body === '' ? undefined : probe.body);
  });
}

function broken(served: Served, why: string): Error {
  return new Error(`${why}\n--- its output ---\n${served.output.join('').slice(-4000)}`);
}

/** Sends `probe` until the port takes it (retried every {@link POLL_MS} while refused); checks the status. */
export async function firstAnswer(served: Served, probe: Probe, target: string): Promise<Answer> {
  const deadline = served.spawnedAt + START_TIMEOUT_MS;
  for (;;) {
    if (served.child.exitCode !== null)
      throw broken(served, `${target} exited (${String(served.child.exitCode)})`);
    try {
      const { status, body, at } = await send(served.port, probe);
      if (status !== probe.status) {
        throw broken(
          served,
          `${target}: ${probe.what} answered ${String(status)}, not ${String(probe.status)}: ${body}`,
        );
      }
      return { status, body, ms: at - served.spawnedAt };
    } catch (error) {
      if (!refused(error)) throw error;
      if (performance.now() > deadline)
        throw broken(served, `${target} did not listen within ${String(START_TIMEOUT_MS)} ms`);
      await sleep(POLL_MS);
    }
  }
}

/**
 * Waits until the port accepts a connection, sending nothing on it (no request reaches the function); returns the
 * milliseconds since spawn().
 */
export async function listening(served: Served, target: string): Promise<number> {
  const deadline = served.spawnedAt + START_TIMEOUT_MS;
  for (;;) {
    if (served.child.exitCode !== null)
      throw broken(served, `${target} exited (${String(served.child.exitCode)})`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(served.port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
    });
    if (open) return performance.now() - served.spawnedAt;
    if (performance.now() > deadline)
      throw broken(served, `${target} did not listen within ${String(START_TIMEOUT_MS)} ms`);
    await sleep(POLL_MS);
  }
}

/** The modules the process has resolved so far, in order (it must have been started with the hook). */
export function loadedModules(served: Served): Promise<Resolved[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(broken(served, 'the module recorder did not answer'));
    }, 10_000);
    served.child.once('message', (urls: unknown) => {
      clearTimeout(timer);
      resolve(Array.isArray(urls) ? urls.map(resolvedEntry) : []);
    });
    served.child.send('modules');
  });
}

function resolvedEntry(entry: unknown): Resolved {
  const [url, parent] = Array.isArray(entry) ? (entry as unknown[]) : [];
  return [String(url), typeof parent === 'string' ? parent : null];
}

/**
 * Milliseconds to `import()` `specifier` (a file URL or a package name) in a fresh `node` whose working folder is
 * `dir`, measured inside that process around the import only.
 */
export function importMs(
  dir: string,
  specifier: string,
  env: Readonly<Record<string, string>>,
): Promise<number> {
  const script =
    'const t0 = performance.now();\n' +
    `await import(${JSON.stringify(specifier)});\n` +
    'process.stdout.write(`import-ms ${performance.now() - t0}\\n`);\n' +
    'process.exit(0);\n';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const match = /import-ms (\d+(?:\.\d+)?)/.exec(output.join(''));
      if (code === 0 && match?.[1] !== undefined) resolve(Number(match[1]));
      else
        reject(
          new Error(`importing ${specifier} failed (${String(code)}):\n${output.join('').slice(-4000)}`),
        );
    });
  });
}

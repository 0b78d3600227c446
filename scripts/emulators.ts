/**
 * Google's official Firestore and Pub/Sub emulators (Cloud SDK `platform/…`, Java 17), started directly from their
 * platform scripts in their own process group so that exactly what we started is stopped (local-emulators.md §0).
 *
 * `npm test` / `npm run test:integration` start both once (scripts/run-tests.ts) and pass their hosts in
 * `FIRESTORE_EMULATOR_HOST` / `PUBSUB_EMULATOR_HOST`; a test file run on its own starts what it needs itself.
 * Where the Cloud SDK, an emulator or Java is missing, {@link emulatorStatus} says why, and suites skip with it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export type EmulatorName = 'firestore' | 'pubsub';

export interface EmulatorHandle {
  /** `127.0.0.1:<port>`, the form the client libraries read from the `*_EMULATOR_HOST` variables. */
  readonly host: string;
  stop(): Promise<void>;
}

export const EMULATOR_PROJECT = 'demo-severa-sync';

const ENV_HOST: Record<EmulatorName, string> = {
  firestore: 'FIRESTORE_EMULATOR_HOST',
  pubsub: 'PUBSUB_EMULATOR_HOST',
};

let cachedSdkRoot: string | null | undefined;

/** The Cloud SDK root: `CLOUDSDK_ROOT`, else what `gcloud info` prints, else null. */
export function sdkRoot(): string | null {
  if (cachedSdkRoot !== undefined) return cachedSdkRoot;
  const fromEnv = process.env.CLOUDSDK_ROOT;
  if (fromEnv) return (cachedSdkRoot = fromEnv);
  try {
    const out = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    }).trim();
    cachedSdkRoot = out === '' ? null : out;
  } catch {
    cachedSdkRoot = null;
  }
  return cachedSdkRoot;
}

function emulatorScript(name: EmulatorName, root: string): string {
  return name === 'firestore'
    ? join(root, 'platform', 'cloud-firestore-emulator', 'cloud_firestore_emulator')
    : join(root, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
}

function hasJava(): boolean {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** `{ ok: true }` when the emulator can be started here, or the reason it cannot. */
export function emulatorStatus(
  name: EmulatorName,
): { ok: true; script: string } | { ok: false; reason: string } {
  const root = sdkRoot();
  const pkg =
    name === 'firestore' ? 'google-cloud-cli-firestore-emulator' : 'google-cloud-cli-pubsub-emulator';
  if (root === null) {
    return { ok: false, reason: `${name} emulator: Cloud SDK not found (install gcloud and ${pkg})` };
  }
  const script = emulatorScript(name, root);
  if (!existsSync(script)) return { ok: false, reason: `${name} emulator not installed (${pkg})` };
  if (!hasJava()) return { ok: false, reason: `${name} emulator needs Java 17+, not found on PATH` };
  return { ok: true, script };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

async function waitUntilUp(host: string, child: ChildProcess, timeoutMs: number, log: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`emulator exited with ${child.exitCode}: ${log()}`);
    try {
      const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`emulator at ${host} not ready after ${timeoutMs} ms: ${log()}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts one emulator on a free loopback port; throws with its output if it does not come up. A port taken between
 * choosing it and binding it (the Firestore emulator also opens a WebSocket port of its own) is retried.
 */
export async function startEmulator(name: EmulatorName, port?: number): Promise<EmulatorHandle> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(name, port);
    } catch (error) {
      const clash = error instanceof Error && /BindException|Address already in use/.test(error.message);
      if (!clash || port !== undefined || attempt >= 3) throw error;
    }
  }
}

async function startOnce(name: EmulatorName, port?: number): Promise<EmulatorHandle> {
  const status = emulatorStatus(name);
  if (!status.ok) throw new Error(status.reason);
  const chosen = port ?? (await freePort());
  const host = `127.0.0.1:${chosen}`;
  const args =
    name === 'firestore'
      ? ['start', `--host=127.0.0.1`, `--port=${chosen}`]
      : [`--host=127.0.0.1`, `--port=${chosen}`];
  const child = spawn(status.script, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const onExit = () => {
    killGroup(child, 'SIGKILL');
  };
  process.once('exit', onExit);
  try {
    await waitUntilUp(host, child, 60_000, () => output);
  } catch (error) {
    killGroup(child, 'SIGKILL');
    throw error;
  }
  return {
    host,
    async stop() {
      process.removeListener('exit', onExit);
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) =>
        child.once('exit', () => {
          resolve();
        }),
      );
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => {
        killGroup(child, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const started = new Map<EmulatorName, Promise<EmulatorHandle>>();

/**
 * The emulator's host for this test process: the shared one from the environment, or one started for this
 * process (stopped when the process exits). `{ skip }` carries the reason when it cannot run here.
 */
export async function emulatorHost(name: EmulatorName): Promise<{ host: string } | { skip: string }> {
  const fromEnv = process.env[ENV_HOST[name]];
  if (fromEnv) return { host: fromEnv };
  if (process.env.EMULATORS_SKIP) return { skip: `${name} emulator: ${process.env.EMULATORS_SKIP}` };
  const status = emulatorStatus(name);
  if (!status.ok) return { skip: status.reason };
  let handle = started.get(name);
  if (!handle) {
    handle = startEmulator(name);
    started.set(name, handle);
  }
  return { host: (await handle).host };
}

/** Stops the emulators this process started itself (call from an `after` hook). */
export async function stopOwnEmulators(): Promise<void> {
  const handles = [...started.values()];
  started.clear();
  await Promise.all(handles.map(async (h) => (await h).stop()));
}

/** Deletes every document of a Firestore emulator project (the emulator's own reset route). */
export async function clearFirestore(host: string, projectId: string): Promise<void> {
  const res = await fetch(`http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`, {
    method: 'DELETE',
  });
  if (!res.ok) throw new Error(`clearing the Firestore emulator failed: ${res.status}`);
}

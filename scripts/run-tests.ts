/**
 * The test command (`npm test`, `npm run test:integration`, …): starts the official Firestore and Pub/Sub emulators
 * once for the whole run when a selected suite needs them, runs `node --test` over the selected files with their
 * hosts in the environment, and stops exactly the processes it started. Missing emulators are reported as
 * `skipped: <reason>`; the suites that need them skip with the same reason.
 *
 *   node --import tsx scripts/run-tests.ts [glob…]      (default: every test)
 */
import { spawn } from 'node:child_process';

import { emulatorStatus, startEmulator, type EmulatorHandle, type EmulatorName } from './emulators.js';

const globs = process.argv.slice(2);
const patterns = globs.length > 0 ? globs : ['test/**/*.test.ts'];
// Suites that need the emulators: integration and chaos (and any pattern that may include them).
const needsEmulators = patterns.some((p) => !/test\/(unit|property|sim|contract|deploy|infra)\//.test(p));

const handles: EmulatorHandle[] = [];
const env: NodeJS.ProcessEnv = { ...process.env, METADATA_SERVER_DETECTION: 'none' };

function variableOf(name: EmulatorName): string {
  return name === 'firestore' ? 'FIRESTORE_EMULATOR_HOST' : 'PUBSUB_EMULATOR_HOST';
}

async function stopAll(): Promise<void> {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
}

async function main(): Promise<number> {
  if (needsEmulators) {
    const wanted = (['firestore', 'pubsub'] as EmulatorName[]).filter((name) => !env[variableOf(name)]);
    await Promise.all(
      wanted.map(async (name) => {
        const status = emulatorStatus(name);
        if (!status.ok) {
          console.log(`skipped: ${status.reason}`);
          return;
        }
        const started = Date.now();
        const handle = await startEmulator(name);
        handles.push(handle);
        env[variableOf(name)] = handle.host;
        console.log(`${name} emulator ready at ${handle.host} in ${Date.now() - started} ms`);
      }),
    );
  }
  const args = [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
    ...patterns,
  ];
  const child = spawn(process.execPath, args, { env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal ? 1 : 0));
    }),
  );
}

main()
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    await stopAll();
    process.exit(1);
  });

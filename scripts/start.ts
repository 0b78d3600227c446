/**
 * `npm start`: the whole system on this machine (docs/local-stack.md). Prints the URLs, the demo users and `ready`
 * when it takes traffic; Ctrl-C stops everything it started.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { pathForHint } from './cli.js';
import { startLocalStack } from './local-stack.js';
import { startRealStack } from './real-stack.js';

const port = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`${name} must be a port number (0–65535), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
};

/** `npm run` runs in the project root: the hints name files relative to it, so they work when copied. */
const ROOT = resolve(import.meta.dirname, '..');

const real = process.argv.includes('--real') || process.env.LOCAL_APIS === 'real';
if (real) {
  // The real Severa and Google APIs, configured in .env (docs/local-stack.md); state on the emulators.
  const envFile = process.env.ENV_FILE ?? '.env';
  if (!existsSync(envFile)) {
    console.error(`${envFile} not found: copy .env.example to .env and fill it in (docs/local-stack.md).`);
    process.exit(2);
  }
  process.loadEnvFile(envFile);
  console.log('starting the functions against the APIs in .env, with the Firestore and Pub/Sub emulators…');
  const stack = await startRealStack({
    functionsPort: port('FUNCTIONS_PORT', 8080),
    tickIntervalMs: Number(process.env.TICK_INTERVAL_MS ?? 60_000),
  });
  const c = stack.container.config;
  // The CLI must see the same emulators: .env plus their addresses.
  mkdirSync('.local', { recursive: true });
  const cliEnv = join('.local', 'local-stack-real.env');
  writeFileSync(
    cliEnv,
    `${readFileSync(envFile, 'utf8').trimEnd()}\n` +
      ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT', 'METADATA_SERVER_DETECTION']
        .map((k) => `${k}=${process.env[k] ?? ''}`)
        .join('\n') +
      '\n',
  );
  console.log(`
functions:       ${stack.functionsUrl}/calendarPush  ${stack.functionsUrl}/severaWebhook  (syncTick, syncWorker via Pub/Sub push)
Severa API:      ${c.severa.apiUrl}
Google API:      ${c.google.rootUrl}
push address:    ${c.pushAddress ?? 'none (Google cannot reach this machine: changes arrive by polling and safety syncs)'}
set up:          npm run cli -- --env-file ${pathForHint(cliEnv, ROOT)} org setup --service-account <email> --p12 <path> --types <names> --test-user <email> --enable
then:            each person switches their own sync on in the console: ${stack.functionsUrl}/console/
ready`);
  const stopReal = () => {
    void stack.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stopReal);
  process.once('SIGTERM', stopReal);
} else {
  console.log('starting the local stack: Firestore and Pub/Sub emulators, API simulators, functions…');
  const started = Date.now();
  const stack = await startLocalStack({
    id: 'local',
    functionsPort: port('FUNCTIONS_PORT', 8080),
    severaPort: port('SEVERA_SIM_PORT', 8701),
    calendarPort: port('CALENDAR_SIM_PORT', 8702),
    tickIntervalMs: Number(process.env.TICK_INTERVAL_MS ?? 60_000),
    secondPollDelayMs: Number(process.env.TICK_SECOND_POLL_DELAY_MS ?? 30_000),
    logLevel: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'info',
  });

  const f = stack.functionsUrl;
  console.log(`
functions (Functions Framework):
  calendarPush   POST ${f}/calendarPush      (the calendar simulator's push channels point here)
  severaWebhook  POST ${f}/severaWebhook     (signed change notices; npm run act sends them for Severa changes)
  syncTick       Pub/Sub push from topic ${stack.topics.syncTick} (a local scheduler publishes every ${String(Number(process.env.TICK_INTERVAL_MS ?? 60_000) / 1000)} s)
  syncWorker     Pub/Sub push from topic ${stack.topics.syncRequests}
  console        ${f}/console/  (sign in as a demo person; aino@demo.example is the administrator)
simulators:
  Severa         ${stack.severaSim.url}      (control surface: /_sim/seed, /_sim/act, /_sim/stats)
  Google         ${stack.calendarSim.url}      (control surface: /_sim/seed, /_sim/act, /_sim/stats)
emulators:
  Firestore      ${process.env.FIRESTORE_EMULATOR_HOST ?? ''}
  Pub/Sub        ${process.env.PUBSUB_EMULATOR_HOST ?? ''}
demo users:
${stack.demoUsers.map((u) => `  ${u.name.padEnd(17)} ${u.email.padEnd(22)} sync ${u.syncing ? 'on' : 'off'}`).join('\n')}
operator CLI:    npm run cli -- --env-file ${pathForHint(stack.envFile, ROOT)} user status
make changes:    npm run act -- help
ready (${String(Date.now() - started)} ms)`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    void stack.stop().then(() => {
      console.log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

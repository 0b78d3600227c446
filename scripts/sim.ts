/**
 * `npm run sim`: both API simulators, standalone, seeded with the demo organisation (docs/simulators.md).
 * Ports from SEVERA_SIM_PORT / CALENDAR_SIM_PORT (defaults 8701 / 8702; 0 picks a free port). The demo service
 * account's P12 key is made at start and written to .local/ (git-ignored), never committed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { createCalendarSim, createDemoKey, demoFixture as calendarDemo } from '../test/sim/calendar/index.js';
import { createSeveraSim, demoFixture as severaDemo } from '../test/sim/severa/index.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(`${name} must be a port number (0–65535), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return value;
}

const severa = createSeveraSim();
severa.seed(severaDemo);
const severaServer = await severa.start(port('SEVERA_SIM_PORT', 8701));
console.log(`severa-sim listening on ${severaServer.url}`);

const key = createDemoKey();
const calendar = createCalendarSim();
calendar.seed(calendarDemo(key));
const calendarUrl = await calendar.start(port('CALENDAR_SIM_PORT', 8702));
console.log(`calendar-sim listening on ${calendarUrl}`);

const dir = join(import.meta.dirname, '..', '.local');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'demo-service-account.p12'), key.p12);
console.log(`demo service account key: .local/demo-service-account.p12 (password "notasecret")`);
console.log(`demo users and credentials: GET ${severaServer.url}/_sim/seed and GET ${calendarUrl}/_sim/seed`);

const stop = () => {
  void Promise.all([severa.stop(), calendar.stop()]).then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

/**
 * `npm run act -- …`: what a person does in Severa or in Google Calendar, against the running local stack
 * (`npm start`), through the simulators' control surface. A Severa change is followed by the signed change notice a
 * relay would send (Severa has no webhooks of its own), so it shows on Google within a second or two; without it the
 * next scheduler tick finds it.
 *
 *   npm run act -- help
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { DateTime } from 'luxon';

import { createContainer } from '../shared/app/container.js';
import { sendSeveraNotice } from '../shared/app/webhook-signature.js';
import { SECRET_NAMES, parseConfig } from '../shared/config.js';
import { nullLogger } from '../shared/observability/logger.js';

const PEOPLE = {
  aino: { guid: '11111111-1111-4111-8111-000000000001', email: 'aino@demo.example', zone: 'Europe/Helsinki' },
  ben: { guid: '11111111-1111-4111-8111-000000000002', email: 'ben@demo.example', zone: 'America/New_York' },
  cecilia: {
    guid: '11111111-1111-4111-8111-000000000003',
    email: 'cecilia@demo.example',
    zone: 'Europe/London',
  },
} as const;
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

const TYPES: Record<string, string> = {
  meeting: '22222222-2222-4222-8222-000000000001',
  personal: '22222222-2222-4222-8222-000000000002',
  'customer-visit': '22222222-2222-4222-8222-000000000003',
  absence: '22222222-2222-4222-8222-000000000004',
  'project-task': '22222222-2222-4222-8222-000000000005',
};

const USAGE = `npm run act -- <side> <action> [options]      (people: aino, ben, cecilia; times in the person's zone)

  severa create --as aino --title "Budget review" --start 2026-12-10T10:00 --end 2026-12-10T11:00
                [--type meeting|personal|customer-visit|absence|project-task] [--with ben,cecilia] [--location L]
  severa update <guid> --as aino [--title T] [--start S --end E] [--location L]
  severa delete <guid> --as aino
  google create --as ben --title "Dentist" --start 2026-12-11T09:00 --end 2026-12-11T10:00 [--private] [--with aino]
  google update <event id> --as ben [--title T] [--start S --end E] [--location L]
  google delete <event id> --as ben
  list --as aino           what Aino has on both sides (the next 60 days)

Options: --env-file <path> (default .local/local-stack-local.env, written by npm start).`;

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function person(name: string | undefined): Person {
  const p = name === undefined ? undefined : PEOPLE[name.toLowerCase() as keyof typeof PEOPLE];
  return p ?? fail(`--as must be one of ${Object.keys(PEOPLE).join(', ')}\n\n${USAGE}`);
}

function instant(value: string | undefined, zone: string, what: string): string {
  if (value === undefined) fail(`${what} is required\n\n${USAGE}`);
  const dt = /[zZ]|[+-]\d\d:\d\d$/.test(value)
    ? DateTime.fromISO(value, { setZone: true })
    : DateTime.fromISO(value, { zone });
  if (!dt.isValid) fail(`${what}: not a date-time: ${value}`);
  return dt.toISO({ suppressMilliseconds: true });
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    as: { type: 'string' },
    title: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    location: { type: 'string' },
    type: { type: 'string' },
    with: { type: 'string' },
    private: { type: 'boolean' },
    'env-file': { type: 'string' },
  },
});
const [side, action, id] = positionals;
if (side === undefined || side === 'help') {
  console.log(USAGE);
  process.exit(0);
}

const envFile = values['env-file'] ?? join(import.meta.dirname, '..', '.local', 'local-stack-local.env');
if (!existsSync(envFile)) fail(`${envFile} not found: start the local stack first (npm start).`, 1);
process.loadEnvFile(envFile);
const config = parseConfig(process.env);
const container = createContainer(config, { logger: nullLogger });
const functionsUrl = (config.pushAddress ?? '').replace(/\/calendarPush$/, '');

async function sim(url: string, body: unknown): Promise<Record<string, unknown> | null> {
  const res = await fetch(`${url}/_sim/act`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) fail(`the simulator refused: ${res.status.toString()} ${text}`, 1);
  return text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
}

/** The relay's signed change notice for a Severa change. */
async function notify(guid: string): Promise<void> {
  const secret = await container.secrets.get(SECRET_NAMES.webhookSecret);
  const status = await sendSeveraNotice(`${functionsUrl}/severaWebhook`, secret, [guid]);
  console.log(`change notice sent to severaWebhook: ${status.toString()}`);
}

async function main(): Promise<void> {
  const who = side === 'list' || action !== undefined ? person(values.as) : person(undefined);
  const others = (values.with ?? '')
    .split(',')
    .filter((n) => n.trim() !== '')
    .map((n) => person(n.trim()));
  if (side === 'severa') {
    const changes: Record<string, unknown> = {};
    if (values.title !== undefined) changes.name = values.title;
    if (values.location !== undefined) changes.location = values.location;
    if (values.start !== undefined) changes.startDateTime = instant(values.start, who.zone, '--start');
    if (values.end !== undefined) changes.endDateTime = instant(values.end, who.zone, '--end');
    if (action === 'create') {
      const type =
        TYPES[values.type ?? 'meeting'] ?? fail(`--type must be one of ${Object.keys(TYPES).join(', ')}`);
      const created = await sim(config.severa.apiUrl, {
        action: 'create',
        as: who.guid,
        activity: {
          name: values.title ?? fail('--title is required'),
          startDateTime: instant(values.start, who.zone, '--start'),
          endDateTime: instant(values.end, who.zone, '--end'),
          ...(values.location !== undefined ? { location: values.location } : {}),
          activityType: { guid: type },
          ownerUser: { guid: who.guid },
          participantGuids: others.map((o) => o.guid),
        },
      });
      const guid = String(created?.guid);
      console.log(`created activity ${guid}`);
      await notify(guid);
    } else if (action === 'update' || action === 'delete') {
      if (id === undefined) fail(`the activity guid is required\n\n${USAGE}`);
      await sim(
        config.severa.apiUrl,
        action === 'update'
          ? { action, guid: id, as: who.guid, changes }
          : { action, guid: id, as: who.guid },
      );
      console.log(`${action}d activity ${id}`);
      await notify(id);
    } else fail(USAGE);
  } else if (side === 'google') {
    const changes: Record<string, unknown> = {};
    if (values.title !== undefined) changes.summary = values.title;
    if (values.location !== undefined) changes.location = values.location;
    if (values.start !== undefined) changes.start = { dateTime: instant(values.start, who.zone, '--start') };
    if (values.end !== undefined) changes.end = { dateTime: instant(values.end, who.zone, '--end') };
    if (action === 'create') {
      const created = await sim(config.google.rootUrl, {
        action: 'create',
        as: who.email,
        attendees: others.map((o) => o.email),
        event: {
          summary: values.title ?? fail('--title is required'),
          start: { dateTime: instant(values.start, who.zone, '--start') },
          end: { dateTime: instant(values.end, who.zone, '--end') },
          ...(values.location !== undefined ? { location: values.location } : {}),
          ...(values.private === true ? { visibility: 'private' } : {}),
        },
      });
      const result: unknown = created?.result;
      const eventId =
        typeof result === 'object' && result !== null && 'id' in result ? result.id : created?.id;
      console.log(`created event ${String(eventId)} (the calendar simulator notifies calendarPush)`);
    } else if (action === 'update' || action === 'delete') {
      if (id === undefined) fail(`the event id is required\n\n${USAGE}`);
      await sim(
        config.google.rootUrl,
        action === 'update' ? { action, as: who.email, id, changes } : { action, as: who.email, id },
      );
      console.log(`${action}d event ${id}`);
    } else fail(USAGE);
  } else if (side === 'list') {
    const now = Date.now();
    const window = {
      from: new Date(now - 30 * 86_400_000).toISOString(),
      to: new Date(now + 60 * 86_400_000).toISOString(),
    };
    const severa = await container.severa();
    const activities = await severa.listForUser(who.guid, window);
    console.log(`Severa (${String(activities.length)}):`);
    for (const a of activities) {
      console.log(`  ${a.guid}  ${a.content.title}  ${JSON.stringify(a.content.timing)}`);
    }
    const user = await container.stores.users.getUser(who.guid);
    if (user === null) fail(`${who.email} is not in the directory`, 1);
    const calendar = await container.calendar();
    const listed = await calendar.list(user, { timeMin: window.from });
    const live = listed.changes.flatMap((c) => (c.kind === 'upsert' ? [c.record] : []));
    console.log(`Google (${String(live.length)}):`);
    for (const e of live) console.log(`  ${e.id}  ${e.content.title}  ${JSON.stringify(e.content.timing)}`);
  } else fail(USAGE);
}

try {
  await main();
} finally {
  await container.close();
}

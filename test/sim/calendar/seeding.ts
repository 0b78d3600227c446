/**
 * Loading a seed (`POST /_sim/seed`, `sim.seed()`): parsed, its service account key read and its events' owners
 * checked before anything is replaced; a bad seed is a RangeError (400).
 */
import type { KeyObject } from 'node:crypto';

import type { CalendarContext } from './context.js';
import { seedSchema, type Seed } from './fixture.js';
import { publicKeyOf } from './oauth.js';

export function seedCalendar(ctx: CalendarContext, input: Seed): void {
  const parsed = seedSchema.parse(input);
  let key: KeyObject;
  try {
    key = publicKeyOf(parsed.serviceAccount);
  } catch (error) {
    throw new RangeError(
      `serviceAccount key does not parse: ${error instanceof Error ? error.message : ''}`,
      {
        cause: error,
      },
    );
  }
  const owners = Object.keys(parsed.events ?? {});
  const emails = parsed.users.map((u) => u.email.toLowerCase());
  const stranger = owners.find((o) => !emails.includes(o.toLowerCase()));
  if (stranger !== undefined) throw new RangeError(`events for ${stranger}, who is not a seeded user`);
  ctx.reset();
  ctx.seed = parsed;
  ctx.saKey = key;
  ctx.users = new Set(emails);
  for (const u of parsed.users) ctx.store.addUser(u.email, u.timeZone);
  for (const [owner, events] of Object.entries(parsed.events ?? {}))
    for (const ev of events) ctx.store.insert(owner, ev);
}

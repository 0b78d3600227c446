/** The calendar simulator's control surface under `/_sim/` (no auth): seed, reset, faults, stats, writes, act. */
import { faultsBodySchema, type SimRoute } from '../../common/index.js';
import { runAction, simActionSchema } from '../actions.js';
import type { CalendarContext } from '../context.js';
import { seedSchema } from '../fixture.js';
import { idTokenRequestSchema } from '../identity.js';
import { ok, parseJson } from '../request.js';
import { seedCalendar } from '../seeding.js';
import { issueIdToken } from './identity.js';

export function controlRoutes(ctx: CalendarContext): SimRoute[] {
  return [
    { method: 'POST', pattern: '/_sim/reset', handler: () => (ctx.reset(), { status: 204 }) },
    {
      method: 'POST',
      pattern: '/_sim/seed',
      handler: (req) => {
        seedCalendar(ctx, seedSchema.parse(parseJson(req.body)));
        return ok({ users: ctx.seed?.users.length ?? 0 });
      },
    },
    {
      method: 'GET',
      pattern: '/_sim/seed',
      handler: () => (ctx.seed === null ? { status: 404, body: { error: 'not seeded' } } : ok(ctx.seed)),
    },
    {
      method: 'POST',
      pattern: '/_sim/faults',
      handler: (req) => {
        ctx.faults.set(faultsBodySchema.parse(parseJson(req.body)).rules);
        return ok({ rules: ctx.faults.list() });
      },
    },
    { method: 'DELETE', pattern: '/_sim/faults', handler: () => (ctx.faults.clear(), { status: 204 }) },
    { method: 'GET', pattern: '/_sim/stats', handler: () => ok({ rows: ctx.stats.rows() }) },
    { method: 'GET', pattern: '/_sim/writes', handler: () => ok({ writes: [...ctx.writeLog] }) },
    {
      method: 'POST',
      pattern: '/_sim/act',
      handler: (req) => ok({ result: runAction(ctx.store, simActionSchema.parse(parseJson(req.body))) }),
    },
    {
      method: 'POST',
      pattern: '/_sim/id-token',
      handler: (req) => ok({ idToken: issueIdToken(ctx, idTokenRequestSchema.parse(parseJson(req.body))) }),
    },
  ];
}

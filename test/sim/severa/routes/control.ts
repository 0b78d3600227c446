/**
 * The Severa simulator's control surface under `/_sim/` (no auth, not rate-limited, not counted in stats): reset,
 * seed, faults, stats and UI-like actions (README "Control surface").
 */
import { faultsBodySchema } from '../../common/index.js';
import { act } from '../act.js';
import type { SeveraContext, SeveraRouteDef } from '../context.js';
import { json, parseJson, parseWith } from '../request.js';
import { seed, seedSummary } from '../seeding.js';

export function controlRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  const control = (method: string, pattern: string, run: SeveraRouteDef['run']): SeveraRouteDef => ({
    method,
    pattern,
    access: 'control',
    scope: null,
    run,
  });
  return [
    control('POST', '/_sim/reset', () => {
      ctx.reset();
      return { status: 204 };
    }),
    control('POST', '/_sim/seed', (req) => {
      seed(ctx, parseJson(req.body));
      return json(200, seedSummary(ctx));
    }),
    control('GET', '/_sim/seed', () => json(200, seedSummary(ctx))),
    control('POST', '/_sim/faults', (req) => {
      const body = parseWith(faultsBodySchema, parseJson(req.body));
      ctx.faults.set(body.rules);
      return json(200, { rules: ctx.faults.list() });
    }),
    control('DELETE', '/_sim/faults', () => {
      ctx.faults.clear();
      return { status: 204 };
    }),
    control('GET', '/_sim/stats', () => json(200, { rows: ctx.stats.rows() })),
    control('POST', '/_sim/act', (req) => {
      const result = act(ctx, parseJson(req.body));
      return result === null ? { status: 204 } : json(200, result);
    }),
  ];
}

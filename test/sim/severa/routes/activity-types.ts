/** Activity types (severa-api.md §9): the paged list (`active`, `changedSince`, `category`) and one type. */
import type { SeveraContext, SeveraRouteDef } from '../context.js';
import { activityTypeModel } from '../models.js';
import { json, paginate, queryBool, queryDate, queryList } from '../request.js';

export function activityTypeRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  const { store } = ctx;
  return [
    {
      method: 'GET',
      pattern: '/v1/activitytypes',
      access: 'api',
      scope: 'settings:read',
      run: (req) => {
        const active = queryBool(req.query, 'active');
        const changedSince = queryDate(req.query, 'changedSince');
        const categories = queryList(req.query, 'category');
        const list = [...store.activityTypes.values()].filter(
          (t) =>
            (active === null || t.isActive === active) &&
            (changedSince === null || t.updatedMs >= changedSince) &&
            (categories === null || categories.includes(t.category)),
        );
        const { page, headers } = paginate(list, (t) => t.guid, req.query);
        return json(
          200,
          page.map((t) => activityTypeModel(store, t.guid)),
          headers,
        );
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activitytypes/{guid}',
      access: 'api',
      scope: 'settings:read',
      run: (req) => json(200, activityTypeModel(store, req.params.guid ?? '')),
    },
  ];
}

/** Users (severa-api.md §10): the paged list (`email`, `isActive`, `code`, `changedSince`) and one user. */
import type { SeveraContext, SeveraRouteDef } from '../context.js';
import { userModel } from '../models.js';
import { json, paginate, queryBool, queryDate } from '../request.js';

export function userRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  const { store } = ctx;
  return [
    {
      method: 'GET',
      pattern: '/v1/users',
      access: 'api',
      scope: 'users:read',
      run: (req) => {
        const email = req.query.get('email');
        const isActive = queryBool(req.query, 'isActive');
        const changedSince = queryDate(req.query, 'changedSince');
        const code = req.query.get('code');
        const list = [...store.users.values()].filter(
          (u) =>
            // §10: exact filter; matched case-insensitively (real clients compare that way too).
            (email === null || (u.email ?? '').toLowerCase() === email.toLowerCase()) &&
            (isActive === null || u.isActive === isActive) &&
            (code === null || u.code === code) &&
            (changedSince === null || u.updatedMs >= changedSince),
        );
        const { page, headers } = paginate(list, (u) => u.guid, req.query);
        return json(
          200,
          page.map((u) => userModel(store, u.guid)),
          headers,
        );
      },
    },
    {
      method: 'GET',
      pattern: '/v1/users/{guid}',
      access: 'api',
      scope: 'users:read',
      run: (req) => json(200, userModel(store, req.params.guid ?? '')),
    },
  ];
}

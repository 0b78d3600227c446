/** Severa's heartbeats (severa-api.md §1): server and database without a token, `authorized` with one. */
import type { SeveraRouteDef } from '../context.js';
import { json } from '../request.js';

export function heartbeatRoutes(): SeveraRouteDef[] {
  return [
    {
      method: 'GET',
      pattern: '/heartbeat/server',
      access: 'public',
      scope: null,
      run: () => json(200, 'Server is alive.'),
    },
    {
      method: 'GET',
      pattern: '/heartbeat/database',
      access: 'public',
      scope: null,
      run: () => json(200, 'Database is alive.'),
    },
    {
      method: 'GET',
      pattern: '/heartbeat/authorized',
      access: 'api',
      scope: null,
      run: () => ({ status: 204 }),
    },
  ];
}

/**
 * `/v1/activities` (severa-api.md §3, §5–§7): the filtered, token-paged list; one activity; create, JSON Patch and
 * delete; and resetting a series' exceptions.
 */
import type { SimRequest, SimResponse } from '../../common/index.js';
import { activityInputSchema, createActivity, patchActivity } from '../activity-writes.js';
import { currentUser, type SeveraContext, type SeveraRouteDef } from '../context.js';
import { invalidQuery, notFound } from '../errors.js';
import { SEVERA_ACTIVITY_CATEGORIES } from '../fixture.js';
import { activityModel, modelOf } from '../models.js';
import { json, msKey, paginate, parseJson, parseWith, queryBool, queryDate, queryList } from '../request.js';
import { assertKnownRecurrenceType, type ActivityRow, type RecurrenceType } from '../store.js';

/** The list filters of `GET /v1/activities` (§6, §7). */
interface ActivityFilter {
  readonly changedSince: number | null;
  readonly from: number | null;
  readonly to: number | null;
  readonly strict: boolean;
  readonly userGuids: string[] | null;
  readonly asMember: boolean;
  readonly categories: string[] | null;
  readonly typeGuids: string[] | null;
  readonly closed: boolean | null;
  readonly recurrenceType: RecurrenceType | null;
}

/** The filters, read (and a bad one rejected) in this order. */
function filterOf(q: URLSearchParams): ActivityFilter {
  const changedSince = queryDate(q, 'changedSince');
  const from = queryDate(q, 'startDateTime');
  const to = queryDate(q, 'endDateTime');
  const strict = queryBool(q, 'useStrictStartAndEndDateTime') ?? false;
  const userGuids = queryList(q, 'userGuids');
  const asMember = queryBool(q, 'includeAsMember') ?? false;
  const categories = queryList(q, 'activityCategories');
  for (const c of categories ?? [])
    if (!(SEVERA_ACTIVITY_CATEGORIES as readonly string[]).includes(c))
      throw invalidQuery('activityCategories', `unknown category ${c}`);
  const typeGuids = queryList(q, 'activityTypeGuids');
  const closed = queryBool(q, 'closed');
  const rt = q.get('recurrenceType');
  const recurrenceType = rt === null || rt === '' ? null : assertKnownRecurrenceType(rt);
  return {
    changedSince,
    from,
    to,
    strict,
    userGuids,
    asMember,
    categories,
    typeGuids,
    closed,
    recurrenceType,
  };
}

/** Whether the row's time matches the window: loose by default (§6), or strictly inside it. */
function inWindow(row: ActivityRow, f: ActivityFilter): boolean {
  const endMs = row.endMs ?? row.startMs;
  if (f.strict) return !(f.from !== null && row.startMs < f.from) && !(f.to !== null && endMs > f.to);
  // §6: startDateTime = activities ending after it; endDateTime = activities starting on/before it.
  if (f.from !== null && !(endMs > f.from || (endMs === row.startMs && row.startMs >= f.from))) return false;
  return !(f.to !== null && row.startMs > f.to);
}

function matches(ctx: SeveraContext, row: ActivityRow, f: ActivityFilter): boolean {
  // §7: by default None + Occurrence + Exception, never Series masters; recurrenceType picks one kind.
  if (f.recurrenceType === null ? row.recurrenceType === 'Series' : row.recurrenceType !== f.recurrenceType)
    return false;
  const a = row.stored;
  if (f.changedSince !== null && a.updatedMs < f.changedSince) return false;
  if (f.closed !== null && a.isClosed !== f.closed) return false;
  if (f.typeGuids !== null && !f.typeGuids.includes(a.activityTypeGuid)) return false;
  if (f.categories !== null) {
    const category = ctx.store.categoryOf(a.activityTypeGuid);
    if (category === null || !f.categories.includes(category)) return false;
  }
  const userGuids = f.userGuids;
  if (userGuids !== null && !userGuids.includes(a.ownerGuid)) {
    if (!f.asMember) return false;
    const members = ctx.store.participantsOf(ctx.store.participantHost(row)).map((p) => p.participantGuid);
    if (!members.some((m) => userGuids.includes(m))) return false;
  }
  return inWindow(row, f);
}

function listActivities(ctx: SeveraContext, req: SimRequest): SimResponse {
  const filter = filterOf(req.query);
  const rows = ctx.store.rows().filter((row) => matches(ctx, row, filter));
  const { page, headers } = paginate(rows, (r) => `${msKey(r.startMs)}|${r.guid}`, req.query);
  return { status: 200, headers, body: page.map((row) => activityModel(ctx.store, row)) };
}

export function activityRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  const { store } = ctx;
  return [
    {
      method: 'GET',
      pattern: '/v1/activities',
      access: 'api',
      scope: 'activities:read',
      run: (req) => listActivities(ctx, req),
    },
    {
      method: 'GET',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:read',
      run: (req) => json(200, activityModel(store, store.require(req.params.guid ?? ''))),
    },
    {
      method: 'POST',
      pattern: '/v1/activities',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const input = parseWith(activityInputSchema, parseJson(req.body));
        const created = createActivity(ctx, input, currentUser(auth));
        return json(201, modelOf(store, created.guid));
      },
    },
    {
      method: 'PATCH',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const row = store.require(req.params.guid ?? '');
        const target = patchActivity(ctx, row, parseJson(req.body), currentUser(auth));
        // §3: PATCH answers 200 with an array of the updated models.
        return json(200, [modelOf(store, target.guid)]);
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        store.delete(store.require(req.params.guid ?? ''), currentUser(auth));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{guid}/exceptions',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        const a = store.activities.get(req.params.guid ?? '');
        // §6: 404 if the activity is not recurring.
        if (a?.kind !== 'Series') throw notFound('Recurring activity', req.params.guid ?? '');
        store.resetExceptions(a, currentUser(auth));
        return { status: 204 };
      },
    },
  ];
}

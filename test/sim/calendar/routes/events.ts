/**
 * The events methods the sync uses (google-calendar.md §1, §3): list, insert, get, update (PUT), patch, delete and
 * instances, on `primary` or the token user's own calendar.
 */
import type { SimRequest } from '../../common/index.js';
import { EVENTS_PATH, EVENT_PATH, type ApiRoute, type CalendarContext } from '../context.js';
import { notFound } from '../errors.js';
import type { Json } from '../event-time.js';
import type { EventsPage } from '../listing.js';
import {
  boolParam,
  header,
  jsonBody,
  listParams,
  maxResultsOf,
  ok,
  originalStartKey,
  windowOf,
} from '../request.js';

/** `primary` or the user's own address; another user's calendar is not visible to this token → 404. */
export function calendarOf(req: SimRequest, user: string): string {
  const id = req.params.calendarId ?? '';
  if (id === 'primary' || id.toLowerCase() === user) return user;
  throw notFound();
}

/** The `Events` resource around a page of items (discovery `Events`). */
function eventsEnvelope(ctx: CalendarContext, user: string, page: EventsPage): Json {
  const cal = ctx.store.calendar(user);
  return {
    kind: 'calendar#events',
    etag: `"${ctx.clock.now()}"`,
    summary: user,
    description: '',
    updated: new Date(ctx.clock.now()).toISOString(),
    timeZone: cal?.timeZone ?? 'UTC',
    accessRole: 'owner',
    defaultReminders: [],
    ...page,
  };
}

/** events.instances: offset paging over the expanded series, optionally one original start. */
function instancesPage(ctx: CalendarContext, req: SimRequest, user: string): Json {
  const cal = calendarOf(req, user);
  const items = ctx.store.instances(
    cal,
    req.params.eventId ?? '',
    windowOf(req.query),
    boolParam(req.query, 'showDeleted'),
  );
  const originalStart = req.query.get('originalStart');
  const filtered =
    originalStart === null
      ? items
      : items.filter((i) => JSON.stringify(i.originalStartTime).includes(originalStartKey(originalStart)));
  const max = maxResultsOf(req.query);
  const offset = Number(req.query.get('pageToken') ?? '0') || 0;
  const page = filtered.slice(offset, offset + max);
  return eventsEnvelope(ctx, user, {
    items: page,
    ...(offset + max < filtered.length ? { nextPageToken: String(offset + max) } : {}),
  });
}

export function eventRoutes(ctx: CalendarContext): ApiRoute[] {
  const { store } = ctx;
  const update = (mode: 'put' | 'patch'): ApiRoute['handler'] => {
    return (req, user) =>
      ok(
        store.update(
          calendarOf(req, user),
          req.params.eventId ?? '',
          jsonBody(req),
          header(req, 'if-match'),
          mode,
        ),
      );
  };
  return [
    {
      method: 'GET',
      pattern: EVENTS_PATH,
      handler: (req, user) =>
        ok(eventsEnvelope(ctx, user, store.list(calendarOf(req, user), listParams(req.query)))),
    },
    {
      method: 'POST',
      pattern: EVENTS_PATH,
      handler: (req, user) => ok(store.insert(calendarOf(req, user), jsonBody(req))),
    },
    {
      method: 'GET',
      pattern: EVENT_PATH,
      handler: (req, user) => ok(store.get(calendarOf(req, user), req.params.eventId ?? '')),
    },
    { method: 'PUT', pattern: EVENT_PATH, handler: update('put') },
    { method: 'PATCH', pattern: EVENT_PATH, handler: update('patch') },
    {
      method: 'DELETE',
      pattern: EVENT_PATH,
      handler: (req, user) => {
        store.remove(calendarOf(req, user), req.params.eventId ?? '', header(req, 'if-match'));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: `${EVENT_PATH}/instances`,
      handler: (req, user) => ok(instancesPage(ctx, req, user)),
    },
  ];
}

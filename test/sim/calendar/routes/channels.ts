/**
 * Push notifications (google-calendar.md §2): `events.watch` opens a channel on a user's calendar, every change to
 * that calendar POSTs a notification to its address, `channels.stop` closes it.
 */
import { createHash } from 'node:crypto';

import { API, EVENTS_PATH, type ApiRoute, type CalendarContext, type Channel } from '../context.js';
import { GoogleApiError, invalid } from '../errors.js';
import { isObject } from '../event-time.js';
import { jsonBody, ok } from '../request.js';
import { calendarOf } from './events.js';

/** Default channel lifetime, 7 days (google-calendar.md §2, `params.ttl` default 604800 s), also the maximum. */
export const DEFAULT_CHANNEL_TTL_SECONDS = 604_800;

const resourceIdOf = (email: string): string =>
  createHash('sha256').update(`events:${email}`).digest('base64url').slice(0, 27);

export function deliver(ctx: CalendarContext, channel: Channel, state: 'sync' | 'exists'): void {
  if (channel.stopped || channel.expiration <= ctx.clock.now()) return;
  // Message numbers increase but need not be consecutive, so a dropped message still uses its number.
  channel.messageNumber += 1;
  if (ctx.faults.dropNotification()) return;
  const headers: Record<string, string> = {
    'X-Goog-Channel-ID': channel.id,
    'X-Goog-Channel-Expiration': new Date(channel.expiration).toUTCString(),
    'X-Goog-Resource-State': state,
    'X-Goog-Message-Number': String(channel.messageNumber),
    'X-Goog-Resource-ID': channel.resourceId,
    'X-Goog-Resource-URI': channel.resourceUri,
  };
  if (channel.token !== undefined) headers['X-Goog-Channel-Token'] = channel.token;
  // Asynchronous, no body; a failed delivery is ignored (Google would retry with backoff).
  const p = fetch(channel.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) })
    .then(async (res) => {
      await res.body?.cancel();
    })
    .catch(() => undefined)
    .finally(() => ctx.pending.delete(p));
  ctx.pending.add(p);
}

/** A change to `email`'s calendar: every open channel on it is told (`exists`). */
export function notifyWatchers(ctx: CalendarContext, email: string): void {
  for (const channel of ctx.channels.values()) if (channel.user === email) deliver(ctx, channel, 'exists');
}

export function channelRoutes(ctx: CalendarContext): ApiRoute[] {
  return [
    {
      method: 'POST',
      pattern: `${EVENTS_PATH}/watch`,
      handler: (req, user) => {
        const cal = calendarOf(req, user);
        const body = jsonBody(req);
        const id = typeof body.id === 'string' ? body.id : '';
        const address = typeof body.address === 'string' ? body.address : '';
        if (id === '' || id.length > 64) throw invalid('Invalid channel id.');
        if (body.type !== 'web_hook' && body.type !== 'webhook')
          throw invalid(`Unknown channel type: ${String(body.type)}`);
        if (!/^https?:\/\//.test(address)) throw invalid(`Invalid address: ${address}`);
        if (ctx.channels.has(id)) throw invalid(`Channel id ${id} not unique`);
        const params = isObject(body.params) ? body.params : {};
        const now = ctx.clock.now();
        const max = now + DEFAULT_CHANNEL_TTL_SECONDS * 1000;
        const ttl = Number(params.ttl ?? DEFAULT_CHANNEL_TTL_SECONDS);
        const asked = body.expiration === undefined ? now + ttl * 1000 : Number(body.expiration);
        const channel: Channel = {
          id,
          resourceId: resourceIdOf(cal),
          resourceUri: `https://www.googleapis.com${API}/calendars/${encodeURIComponent(req.params.calendarId ?? '')}/events?alt=json`,
          token: typeof body.token === 'string' ? body.token : undefined,
          address,
          user: cal,
          expiration: Math.min(Number.isFinite(asked) ? asked : max, max),
          stopped: false,
          messageNumber: 0,
        };
        ctx.channels.set(id, channel);
        // The handshake right after watch (google-calendar.md §2).
        deliver(ctx, channel, 'sync');
        return ok({
          kind: 'api#channel',
          id,
          resourceId: channel.resourceId,
          resourceUri: channel.resourceUri,
          ...(channel.token === undefined ? {} : { token: channel.token }),
          expiration: String(channel.expiration),
        });
      },
    },
    {
      method: 'POST',
      pattern: `${API}/channels/stop`,
      handler: (req, user) => {
        const body = jsonBody(req);
        const channel = typeof body.id === 'string' ? ctx.channels.get(body.id) : undefined;
        if (
          channel === undefined ||
          channel.stopped ||
          channel.user !== user ||
          channel.resourceId !== body.resourceId
        )
          throw new GoogleApiError(404, 'notFound', `Channel '${String(body.id)}' not found`);
        channel.stopped = true;
        ctx.channels.delete(channel.id);
        return { status: 204 };
      },
    },
  ];
}

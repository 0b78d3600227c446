/**
 * `events.list` over one calendar (google-calendar.md §1): full and incremental listings, the filters, the order
 * and the paging. Every write gets the next value of one global change counter; a sync token remembers the
 * counter at the start of the full listing that produced it, so an incremental listing returns exactly the events
 * written after it (deletions as `status: cancelled` tombstones).
 */
import { GoogleApiError, invalid } from './errors.js';
import { isObject, str, type Json, type Window } from './event-time.js';
import { expandInstances, inWindow, startMsOf } from './series.js';
import { asReturned, type UserCalendar } from './user-calendar.js';

/** `maxResults` default and ceiling of events.list (google-calendar.md §1). */
export const DEFAULT_MAX_RESULTS = 250;
export const MAX_MAX_RESULTS = 2500;

export interface ListParams {
  readonly syncToken: string | null;
  readonly pageToken: string | null;
  readonly maxResults: number;
  readonly window: Window;
  readonly showDeleted: boolean;
  readonly singleEvents: boolean;
  readonly orderBy: 'startTime' | 'updated' | null;
  readonly q: string | null;
  readonly iCalUID: string | null;
  readonly updatedMin: number | null;
  readonly privateProps: readonly [string, string][];
  readonly sharedProps: readonly [string, string][];
  readonly eventTypes: readonly string[];
}

export interface EventsPage {
  readonly items: Json[];
  readonly nextPageToken?: string;
  readonly nextSyncToken?: string;
}

interface SyncTokenState {
  readonly c: string;
  readonly s: number;
  readonly e: number;
}
interface PageTokenState {
  /** Sort key of the last item of the previous page. */
  readonly k: string;
  /** Change counter at the first page: the next sync token's position. */
  readonly s: number;
}

const encode = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode(token: string): Json | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

/** The change counter an incremental listing starts after, or null for a full listing. */
function sinceOf(cal: UserCalendar, syncToken: string | null): number | null {
  if (syncToken === null) return null;
  const t = decode(syncToken);
  if (t === null || typeof t.s !== 'number' || typeof t.e !== 'number' || typeof t.c !== 'string')
    throw invalid('Invalid sync token value.');
  const token = t as unknown as SyncTokenState;
  if (token.c !== cal.email || token.e !== cal.epoch)
    throw new GoogleApiError(
      410,
      'fullSyncRequired',
      'Sync token is no longer valid, a full sync is required.',
    );
  return token.s;
}

/** events.list: one page, full or incremental (google-calendar.md §1); `seq` is the change counter now. */
export function listPage(cal: UserCalendar, p: ListParams, seq: number): EventsPage {
  const since = sinceOf(cal, p.syncToken);
  let snapshot = seq;
  let after: string | null = null;
  if (p.pageToken !== null) {
    const t = decode(p.pageToken);
    if (t === null || typeof t.k !== 'string' || typeof t.s !== 'number')
      throw invalid('Invalid page token value.');
    const page = t as unknown as PageTokenState;
    after = page.k;
    snapshot = page.s;
  }
  const items = matching(cal, p, since);
  const keyed = items
    .map((ev) => ({ ev, key: sortKey(cal, ev, p.orderBy) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rest = after === null ? keyed : keyed.filter((k) => k.key > after);
  const page = rest.slice(0, p.maxResults);
  const last = page[page.length - 1];
  // Filters and order apply to what is stored (an iCalUID query matches the server's iCalUID, not the stub's).
  const returned = page.map((k) => asReturned(k.ev));
  if (rest.length > page.length && last !== undefined)
    return { items: returned, nextPageToken: encode({ k: last.key, s: snapshot }) };
  // Only the last page carries nextSyncToken (google-calendar.md §1).
  return { items: returned, nextSyncToken: encode({ c: cal.email, s: snapshot, e: cal.epoch }) };
}

function sortKey(cal: UserCalendar, ev: Json, orderBy: ListParams['orderBy']): string {
  const id = String(ev.id);
  if (orderBy === 'updated') return `${String(ev.updated)}|${id}`;
  if (orderBy === 'startTime') return `${new Date(startMsOf(cal, ev)).toISOString()}|${id}`;
  return id;
}

function matching(cal: UserCalendar, p: ListParams, since: number | null): Json[] {
  const incremental = since !== null;
  const stored = [...cal.events.values()].filter((s) => since === null || s.seq > since);
  const out: Json[] = [];
  for (const { ev } of stored) {
    const cancelled = ev.status === 'cancelled';
    const isMaster = Array.isArray(ev.recurrence);
    if (p.singleEvents && isMaster) {
      if (cancelled) {
        // A deleted series: its tombstone, so the client learns of the deletion (incremental) or asked for it.
        if (incremental) out.push(structuredClone(ev));
        continue;
      }
      const w = incremental ? { fromMs: null, toMs: null } : p.window;
      out.push(
        ...expandInstances(cal, ev, w, p.showDeleted || incremental).filter(
          (i) => i.recurringEventId !== undefined && !cal.events.has(String(i.id)),
        ),
      );
      continue;
    }
    if (cancelled && !incremental && !p.showDeleted) {
      // Cancelled instances of a live series still show when showDeleted and singleEvents are both false (§1).
      const masterId = str(ev.recurringEventId);
      const master = masterId === undefined ? undefined : cal.events.get(masterId)?.ev;
      if (p.singleEvents || master === undefined || master.status === 'cancelled') continue;
    }
    if (!incremental && !inWindow(cal, ev, p.window)) continue;
    out.push(structuredClone(ev));
  }
  return out.filter((ev) => passesFilters(ev, p));
}

function passesFilters(ev: Json, p: ListParams): boolean {
  if (p.iCalUID !== null && ev.iCalUID !== p.iCalUID) return false;
  if (p.updatedMin !== null && Date.parse(String(ev.updated)) < p.updatedMin) return false;
  if (p.eventTypes.length > 0 && !p.eventTypes.includes(str(ev.eventType) ?? 'default')) return false;
  if (p.q !== null) {
    const q = p.q.toLowerCase();
    const text = [ev.summary, ev.description, ev.location]
      .map((v) => str(v) ?? '')
      .join('\n')
      .toLowerCase();
    if (!text.includes(q)) return false;
  }
  const ext = isObject(ev.extendedProperties) ? ev.extendedProperties : {};
  const priv = isObject(ext.private) ? ext.private : {};
  const shared = isObject(ext.shared) ? ext.shared : {};
  if (!p.privateProps.every(([k, v]) => priv[k] === v)) return false;
  if (!p.sharedProps.every(([k, v]) => shared[k] === v)) return false;
  return true;
}

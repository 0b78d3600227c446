/** Reading calendar API requests (discovery parameter names, google-calendar.md §1, §3) and shaping answers. */
import type { SimRequest, SimResponse } from '../common/index.js';
import { canonicalInstant, isDate } from '../common/wall-time.js';
import { GoogleApiError, invalid } from './errors.js';
import { isObject, type Json, type Window } from './event-time.js';
import { DEFAULT_MAX_RESULTS, MAX_MAX_RESULTS, type ListParams } from './listing.js';

/** `sendUpdates` values of insert/update/patch/delete (discovery `events.*.sendUpdates`, google-calendar.md §3). */
export const SEND_UPDATES = ['all', 'externalOnly', 'none'] as const;

/** Parameters that cannot accompany `syncToken` (google-calendar.md §1). */
const NOT_WITH_SYNC_TOKEN = [
  'timeMin',
  'timeMax',
  'updatedMin',
  'orderBy',
  'q',
  'iCalUID',
  'privateExtendedProperty',
  'sharedExtendedProperty',
] as const;

export const ok = (body: unknown, status = 200): SimResponse => ({ status, body });

export const parseJson = (text: string): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

export function jsonBody(req: SimRequest): Json {
  const body = parseJson(req.body);
  if (!isObject(body)) throw new GoogleApiError(400, 'parseError', 'Parse Error');
  return body;
}

export function header(req: SimRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/** An original start as sent (a date, or a date-time with an offset) in its canonical spelling. */
export function originalStartKey(value: string): string {
  return isDate(value) ? value : canonicalInstant(value);
}

function timeParam(q: URLSearchParams, name: string): number | null {
  const v = q.get(name);
  if (v === null) return null;
  const ms = Date.parse(v);
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(v) || Number.isNaN(ms)) throw invalid(`Bad Request: invalid ${name}`);
  return ms;
}

export function windowOf(q: URLSearchParams): Window {
  const w = { fromMs: timeParam(q, 'timeMin'), toMs: timeParam(q, 'timeMax') };
  if (w.fromMs !== null && w.toMs !== null && w.fromMs >= w.toMs)
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  return w;
}

/** Rejects a `sendUpdates` value Google does not know (400, as for any bad enum parameter). */
export function checkSendUpdates(q: URLSearchParams): void {
  const value = q.get('sendUpdates');
  if (value !== null && !(SEND_UPDATES as readonly string[]).includes(value))
    throw invalid(`Invalid value for sendUpdates: ${value}`);
}

export function boolParam(q: URLSearchParams, name: string): boolean {
  return q.get(name) === 'true';
}

function pairs(values: string[]): [string, string][] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw invalid(`Invalid extended property filter: ${v}`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

export function maxResultsOf(q: URLSearchParams): number {
  const raw = q.get('maxResults');
  if (raw === null) return DEFAULT_MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw invalid(`Invalid value '${raw}'. Values must be within the range: [1, 2500]`);
  // "The page size can never be larger than 2500 events" (discovery, events.list maxResults).
  return Math.min(n, MAX_MAX_RESULTS);
}

/** events.list's parameters, with the combinations Google refuses refused (google-calendar.md §1). */
export function listParams(q: URLSearchParams): ListParams {
  const syncToken = q.get('syncToken');
  if (syncToken !== null) {
    const clash = NOT_WITH_SYNC_TOKEN.find((name) => q.has(name));
    if (clash !== undefined) throw invalid(`${clash} is not supported with syncToken.`);
  }
  const orderBy = q.get('orderBy');
  if (orderBy !== null && orderBy !== 'startTime' && orderBy !== 'updated')
    throw invalid(`Invalid value for orderBy: ${orderBy}`);
  const singleEvents = boolParam(q, 'singleEvents');
  if (orderBy === 'startTime' && !singleEvents)
    throw invalid('The requested ordering is not available for the particular query.');
  return {
    syncToken,
    pageToken: q.get('pageToken'),
    maxResults: maxResultsOf(q),
    window: windowOf(q),
    showDeleted: boolParam(q, 'showDeleted'),
    singleEvents,
    orderBy,
    q: q.get('q'),
    iCalUID: q.get('iCalUID'),
    updatedMin: timeParam(q, 'updatedMin'),
    privateProps: pairs(q.getAll('privateExtendedProperty')),
    sharedProps: pairs(q.getAll('sharedExtendedProperty')),
    eventTypes: q.getAll('eventTypes'),
  };
}

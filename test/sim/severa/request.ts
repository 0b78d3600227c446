/**
 * Reading Severa requests and shaping responses: JSON bodies validated with zod into `ExceptionModel` details,
 * query lists, booleans and dates (§3), and token paging (§3, §14.3).
 */
import type { z } from 'zod';

import type { SimRequest, SimResponse } from '../common/index.js';
import { SeveraApiError, invalidQuery, type ErrorDetail } from './errors.js';
import { dateTimeSchema } from './fixture.js';
import { parseDateTime } from './store.js';

/** Paging (§3): default 20, maximum 100. */
export const DEFAULT_ROW_COUNT = 20;
export const MAX_ROW_COUNT = 100;

export const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse =>
  headers === undefined ? { status, body } : { status, body, headers };

export function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => {
    const field = prefix + (issue.path.length === 0 ? 'body' : issue.path.map(String).join('.'));
    return { message: `${field}: ${issue.message}`, location: { name: field, type: 'RequestBody' as const } };
  });
}

export function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SeveraApiError(400, 'InvalidRequest', 'The request body is not valid JSON.');
  }
}

/** A body for the response log: parsed JSON, or the text as it came. */
export function safeJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SeveraApiError(400, 'InvalidParameter', zodDetails(result.error, prefix));
  return result.data;
}

export function header(req: SimRequest, name: string): string | null {
  const v = req.headers[name.toLowerCase()];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
}

/** Array query params use repeated keys (§3); comma-separated values are tolerated too. */
export function queryList(query: URLSearchParams, name: string): string[] | null {
  const values = query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return values.length === 0 ? null : values;
}

export function queryBool(query: URLSearchParams, name: string): boolean | null {
  const v = query.get(name);
  if (v === null || v === '') return null;
  if (v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() === 'false') return false;
  throw invalidQuery(name, 'expected true or false');
}

/** A `+` in an offset arrives as a space when the client did not encode it (§3); put it back. */
export function queryDate(query: URLSearchParams, name: string): number | null {
  const raw = query.get(name);
  if (raw === null || raw === '') return null;
  const v = raw.replace(' ', '+');
  if (!dateTimeSchema.safeParse(v).success) throw invalidQuery(name, 'expected an ISO 8601 date-time');
  return parseDateTime(v, 'UTC');
}

function rowCountOf(query: URLSearchParams): number {
  const raw = query.get('rowCount');
  if (raw === null || raw === '') return DEFAULT_ROW_COUNT;
  const rowCount = Number(raw);
  if (!Number.isInteger(rowCount) || rowCount < 1 || rowCount > MAX_ROW_COUNT)
    throw invalidQuery('rowCount', `must be an integer between 1 and ${MAX_ROW_COUNT}`);
  return rowCount;
}

/** Token paging (§3): the token is the sort key of the last row returned; NextPageToken is absent on the last page. */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: URLSearchParams,
): { page: T[]; headers: Record<string, string> } {
  const rowCount = rowCountOf(query);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const token = query.get('pageToken');
  let rest = sorted;
  if (token !== null && token !== '') {
    let after: string;
    try {
      after = Buffer.from(token, 'base64url').toString('utf8');
    } catch {
      throw invalidQuery('pageToken', 'unknown page token');
    }
    if (!after.startsWith('k:')) throw invalidQuery('pageToken', 'unknown page token');
    const key = after.slice(2);
    rest = sorted.filter((item) => keyOf(item) > key);
  }
  const page = rest.slice(0, rowCount);
  const last = page.at(-1);
  const headers: Record<string, string> = {};
  if (rest.length > rowCount && last !== undefined)
    headers.NextPageToken = Buffer.from(`k:${keyOf(last)}`, 'utf8').toString('base64url');
  return { page, headers };
}

export function msKey(ms: number): string {
  // Fixed width so string order equals time order (years 1970..2286).
  return String(Math.max(0, ms)).padStart(13, '0');
}

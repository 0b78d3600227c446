/**
 * Severa's time stamps in the forms the port and the API want: record versions (the newest `lastUpdatedDateTime`),
 * the read-check before a write, and query instants with an explicit offset. Pure.
 */
import { DateTime } from 'luxon';

import {
  PreconditionFailedError,
  contentHash,
  type SeveraRecord,
  type SideVersion,
} from '../../domain/index.js';
import type { ActivityModel } from './severa.wire.js';

export function stampMs(value: string): number {
  const dt = DateTime.fromISO(value, { zone: 'utc' });
  if (!dt.isValid) throw new RangeError(`not a date-time: ${JSON.stringify(value)}`);
  return dt.toMillis();
}

/** Canonical version: UTC ISO instant with milliseconds, the form `MemorySevera` uses. */
export function versionOf(rows: readonly ActivityModel[]): string {
  let newest = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const stamp = row.lastUpdatedDateTime ?? row.createdDateTime;
    if (stamp !== undefined) newest = Math.max(newest, stampMs(stamp));
  }
  if (!Number.isFinite(newest)) throw new RangeError('activity without lastUpdatedDateTime/createdDateTime');
  return new Date(newest).toISOString();
}

export function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const ams = DateTime.fromISO(a, { zone: 'utc' });
  const bms = DateTime.fromISO(b, { zone: 'utc' });
  return ams.isValid && bms.isValid && ams.toMillis() === bms.toMillis();
}

/** An instant as a query value with an explicit offset in `zone` and milliseconds (§3, §6 "pass explicit offsets"). */
export function queryInstant(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
}

/**
 * Throws {@link PreconditionFailedError} unless `record` (read right now) is still the one the caller planned
 * against. Severa has no ETag (§4), and its `lastUpdatedDateTime` has whole seconds, so the content is compared too:
 * another write in the same second keeps the timestamp but not the content.
 */
export function checkUnchanged(record: SeveraRecord, expected: SideVersion): void {
  if (!sameVersion(record.version, expected.version) || contentHash(record.content) !== expected.hash) {
    throw new PreconditionFailedError(`Severa activity ${record.guid} changed meanwhile`);
  }
}

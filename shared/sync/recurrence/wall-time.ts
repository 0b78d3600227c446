/**
 * Local ("wall") time arithmetic for recurrence expansion.
 *
 * A wall time is a number of milliseconds whose UTC fields *are* the local date and time in some zone: the
 * "floating" time of RFC 5545 §3.3.5. Rules are expanded on wall times (so a 09:00 series stays 09:00 local across
 * DST changes, google-calendar.md §3: "timeZone is the zone the RRULE expands in") and each wall time is then turned
 * into an instant of the series' zone with luxon's IANA zone data.
 */
import { IANAZone } from 'luxon';

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The range rrule (MAXYEAR 9999) and ISO formatting both handle: years 0001..9999. */
export const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
export const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function zoneOf(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`not an IANA time zone: ${JSON.stringify(name)}`);
  return zone;
}

/** Zone names seen: a handful in practice; the bound only keeps hostile input from growing the maps. */
const ZONE_CACHE_LIMIT = 1_000;
const ZONE_VALIDITY = new Map<string, boolean>();
const CANONICAL_ZONES = new Map<string, string>();

/** True for a zone name the runtime's IANA database knows. */
export function isTimeZone(name: string): boolean {
  let valid = ZONE_VALIDITY.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    // Checking builds an Intl formatter (tens of microseconds, native memory freed late): once per zone, per
    // process, is enough. The zone database does not change under a running process.
    if (ZONE_VALIDITY.size < ZONE_CACHE_LIMIT) ZONE_VALIDITY.set(name, valid);
  }
  return valid;
}

/**
 * The runtime's canonical spelling of a zone (`Etc/UTC` and `UTC` stay distinct names in the database but resolve to
 * one ICU id), or the name itself when it is unknown.
 */
export function canonicalZoneName(name: string): string {
  const known = CANONICAL_ZONES.get(name);
  if (known !== undefined) return known;
  if (!isTimeZone(name)) return name;
  const canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  if (CANONICAL_ZONES.size < ZONE_CACHE_LIMIT) CANONICAL_ZONES.set(name, canonical);
  return canonical;
}

export function clampMs(ms: number): number {
  return Math.min(MAX_MS, Math.max(MIN_MS, ms));
}

/** The zone's UTC offset at an instant, in milliseconds. */
export function offsetMs(zone: string, instantMs: number): number {
  return zoneOf(zone).offset(clampMs(instantMs)) * MINUTE_MS;
}

/** Instant → wall time in `zone`. */
export function instantToWall(instantMs: number, zone: string): number {
  return instantMs + offsetMs(zone, instantMs);
}

/**
 * Wall time in `zone` → instant, resolved the way RFC 5545 §3.3.5 prescribes for DATE-TIME with TZID:
 * - a wall time that occurs twice (DST ends) is the *first* of the two (luxon alone would pick the second);
 * - a wall time that does not occur (DST starts) is read with the offset in effect before the gap, so 02:30 on a
 *   New York spring-forward day is 03:30 EDT.
 */
export function wallToInstant(wallMs: number, zone: string): number {
  const z = zoneOf(zone);
  const before = z.offset(clampMs(wallMs - DAY_MS));
  const after = z.offset(clampMs(wallMs + DAY_MS));
  // No change of offset within a day either side (the usual case): the one offset applies.
  if (before === after) return wallMs - before * MINUTE_MS;
  const here = z.offset(clampMs(wallMs));
  let best: number | null = null;
  for (const offset of [before, here, after]) {
    const instant = wallMs - offset * MINUTE_MS;
    if (z.offset(clampMs(instant)) === offset && (best === null || instant < best)) best = instant;
  }
  return best ?? wallMs - before * MINUTE_MS;
}

/** `YYYY-MM-DD` → the wall time of its midnight. Throws a RangeError for a date that does not exist. */
export function dateToWall(date: string): number {
  const m = DATE_RE.exec(date);
  if (m === null) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (wallDate(wall) !== date) throw new RangeError(`no such date: ${JSON.stringify(date)}`);
  return wall;
}

/** The `YYYY-MM-DD` of a wall time. */
export function wallDate(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 10);
}

/** Seconds since local midnight of a wall time. */
export function wallSecondOfDay(wallMs: number): number {
  return Math.floor((((wallMs % DAY_MS) + DAY_MS) % DAY_MS) / SECOND_MS);
}

/** Local midnight of a wall time's day. */
export function wallMidnight(wallMs: number): number {
  return wallMs - (((wallMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Canonical UTC instant `YYYY-MM-DDTHH:mm:ssZ` (timing.ts `canonicalInstant`) of epoch milliseconds. */
export function instantString(ms: number): string {
  return `${new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().slice(0, 19)}Z`;
}

/** iCalendar basic DATE-TIME digits `YYYYMMDDTHHMMSS` of a wall time or instant (RFC 5545 §3.3.5). */
export function basicDateTime(ms: number): string {
  return new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** iCalendar basic DATE digits `YYYYMMDD` (RFC 5545 §3.3.4). */
export function basicDate(ms: number): string {
  return basicDateTime(ms).slice(0, 8);
}

/** A DATE or DATE-TIME value as written in an iCalendar property (RFC 5545 §3.3.4, §3.3.5). */
export type IcalDateValue =
  /** `YYYYMMDD`: `wall` is its midnight. */
  | { readonly kind: 'date'; readonly wall: number }
  /** `YYYYMMDDTHHMMSS` without `Z`: local time (in a TZID, or floating). */
  | { readonly kind: 'local'; readonly wall: number }
  /** `YYYYMMDDTHHMMSSZ`: an instant. */
  | { readonly kind: 'utc'; readonly instant: number };

const ICAL_DATE_RE = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/;

/** Parses one DATE / DATE-TIME value; null when it is not one or names a time that does not exist. */
export function parseIcalDateValue(value: string): IcalDateValue | null {
  const m = ICAL_DATE_RE.exec(value.trim().toUpperCase());
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, z] = m;
  const date = `${y}-${mo}-${d}`;
  let midnight: number;
  try {
    midnight = dateToWall(date);
  } catch {
    return null;
  }
  if (h === undefined || mi === undefined || s === undefined) return { kind: 'date', wall: midnight };
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = midnight + hour * HOUR_MS + minute * MINUTE_MS + second * SECOND_MS;
  return z === 'Z' ? { kind: 'utc', instant: ms } : { kind: 'local', wall: ms };
}

/**
 * The simulators' own time-zone arithmetic, on the runtime's `Intl` zone data. A test double must not share the code
 * it checks, so nothing here comes from `shared/`: the simulators compute offsets, local times and canonical instants
 * themselves and the production code is measured against that.
 *
 * A "wall time" is a number of milliseconds whose UTC fields are the local date and time in some zone (the floating
 * time of RFC 5545 §3.3.5); recurrence rules are expanded on wall times and each is then placed in its zone.
 */
export const SECOND_MS = 1_000;
export const DAY_MS = 86_400_000;

/** Years 0001..9999: what ISO formatting and rrule (MAXYEAR 9999) both handle. */
const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59);
/** Formatters are built once per zone; the bound only keeps hostile zone names from growing the map. */
const FORMATTER_LIMIT = 1_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function clamp(ms: number): number {
  return Math.min(MAX_MS, Math.max(MIN_MS, ms));
}

function formatterOf(zone: string): Intl.DateTimeFormat {
  const known = formatters.get(zone);
  if (known !== undefined) return known;
  let made: Intl.DateTimeFormat;
  try {
    made = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    throw new RangeError(`not an IANA time zone: ${JSON.stringify(zone)}`, { cause: error });
  }
  if (formatters.size < FORMATTER_LIMIT) formatters.set(zone, made);
  return made;
}

/** True for a zone name the runtime's time-zone database knows. */
export function isTimeZone(name: string): boolean {
  if (name === '') return false;
  try {
    formatterOf(name);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset at an instant, in milliseconds (whole seconds of the instant are what Intl sees). */
export function offsetMs(zone: string, instantMs: number): number {
  const at = clamp(instantMs);
  const whole = at - (((at % SECOND_MS) + SECOND_MS) % SECOND_MS);
  const fields: Record<string, string> = {};
  for (const part of formatterOf(zone).formatToParts(new Date(whole))) fields[part.type] = part.value;
  const year = Number(fields.year);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0..99 as 1900..1999.
  const local = new Date(0);
  local.setUTCFullYear(fields.era === 'BC' ? 1 - year : year, Number(fields.month) - 1, Number(fields.day));
  local.setUTCHours(Number(fields.hour) % 24, Number(fields.minute), Number(fields.second), 0);
  return local.getTime() - whole;
}

/** Instant → wall time in `zone`. */
export function instantToWall(instantMs: number, zone: string): number {
  return instantMs + offsetMs(zone, instantMs);
}

/**
 * Wall time in `zone` → instant, as RFC 5545 §3.3.5 reads a DATE-TIME with a TZID: a local time that happens twice
 * (the night DST ends) is the earlier instant; one that never happens (the night DST starts) is read with the
 * offset in force before the change, so 02:30 on a New York spring-forward night is 03:30 EDT.
 */
export function wallToInstant(wallMs: number, zone: string): number {
  const offsetBefore = offsetMs(zone, wallMs - DAY_MS);
  const offsetAfter = offsetMs(zone, wallMs + DAY_MS);
  if (offsetBefore === offsetAfter) return wallMs - offsetBefore;
  const candidates = [offsetBefore, offsetMs(zone, wallMs), offsetAfter]
    .map((offset) => ({ offset, instant: wallMs - offset }))
    .filter((c) => offsetMs(zone, c.instant) === c.offset)
    .map((c) => c.instant);
  return candidates.length === 0 ? wallMs - offsetBefore : Math.min(...candidates);
}

/** True for an RFC 3339 date-time with an explicit offset. */
export function isInstant(value: string): boolean {
  return INSTANT_RE.test(value) && !Number.isNaN(Date.parse(value));
}

/** True for a `YYYY-MM-DD` date that exists. */
export function isDate(value: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}

/** `YYYY-MM-DDTHH:mm:ssZ`: the one spelling of an instant at the APIs' second precision. */
export function instantString(ms: number): string {
  return `${new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().slice(0, 19)}Z`;
}

/** Any RFC 3339 date-time with an offset in its canonical spelling; a RangeError for anything else. */
export function canonicalInstant(value: string): string {
  if (!isInstant(value))
    throw new RangeError(`not an RFC 3339 date-time with offset: ${JSON.stringify(value)}`);
  return instantString(Date.parse(value));
}

/** `YYYY-MM-DD` → the wall time of its midnight (the date must exist). */
export function dateToWall(date: string): number {
  if (!isDate(date)) throw new RangeError(`no such date: ${JSON.stringify(date)}`);
  return Date.parse(`${date}T00:00:00Z`);
}

/** The `YYYY-MM-DD` of a wall time. */
export function wallDate(wallMs: number): string {
  return new Date(wallMs).toISOString().slice(0, 10);
}

/** Local midnight of a wall time's day. */
export function wallMidnight(wallMs: number): number {
  return wallMs - (((wallMs % DAY_MS) + DAY_MS) % DAY_MS);
}

/** iCalendar basic DATE-TIME `YYYYMMDDTHHMMSS` of a wall time or instant (RFC 5545 §3.3.5). */
export function basicDateTime(ms: number): string {
  return new Date(Math.floor(ms / SECOND_MS) * SECOND_MS).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

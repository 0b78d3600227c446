/**
 * The simulators' own recurrence expansion: iCalendar lines (RRULE, EXRULE, RDATE, EXDATE; RFC 5545 §3.8.5) expanded
 * with the `rrule` package on wall times (wall-time.ts) and placed in the series' zone. Both simulators use it: the
 * calendar simulator on Google's `recurrence[]` lines, the Severa simulator on the lines it derives from Severa's
 * pattern (severa/severa-recurrence.ts). It shares no code with the sync's own engine, which it is there to check.
 *
 * What a server does, and so what this does:
 * - the first occurrence is the series' start (DTSTART), even when the rule would not produce it, and it counts
 *   towards COUNT (RFC 5545 §3.8.5.3);
 * - timed series expand on local wall times, so a 09:00 Europe/Helsinki series stays at 09:00 across DST changes
 *   (google-calendar.md §3: "timeZone is the zone the RRULE expands in"); each occurrence lasts as long as the first;
 * - all-day series expand on dates; each occurrence spans as many days as the first;
 * - an occurrence overlaps the half-open window `[fromMs, toMs)` when it starts before `toMs` and ends after
 *   `fromMs` (a zero-length one when it starts inside it); all-day dates count from UTC midnight.
 */
import rrulePkg from 'rrule';
import type { Options } from 'rrule';

import {
  DAY_MS,
  SECOND_MS,
  dateToWall,
  instantString,
  instantToWall,
  isTimeZone,
  wallDate,
  wallMidnight,
  wallToInstant,
} from './wall-time.js';

// rrule 2.8 is CommonJS on Node: its default export is what an ES module can import.
const { RRule } = rrulePkg;

/** When a series or one of its occurrences happens, in the form the simulators store. */
export type SimTiming =
  | {
      readonly kind: 'timed';
      /** `YYYY-MM-DDTHH:mm:ssZ`. */
      readonly start: string;
      readonly end: string;
      readonly timeZone: string;
    }
  | { readonly kind: 'allDay'; readonly startDate: string; readonly endDate: string };

export interface SimOccurrence {
  /** UTC instant `YYYY-MM-DDTHH:mm:ssZ` (timed series) or `YYYY-MM-DD` (all-day): how exceptions name it. */
  readonly originalStart: string;
  readonly timing: SimTiming;
}

export interface ExpandWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Occurrences returned per expansion by default: enough for any test, finite for a series without end. */
export const DEFAULT_MAX_OCCURRENCES = 5_000;
/** Dates rrule may produce per expansion (those before the window too), so a `FREQ=SECONDLY` rule stays bounded. */
export const MAX_RULE_DATES = 100_000;

type RuleOptions = Partial<Options>;

/** The series' first occurrence in its own local terms. */
interface Anchor {
  readonly wall: number;
  /** Null for all-day series, which are plain dates. */
  readonly zone: string | null;
  readonly secondOfDay: number;
}

/** The lines of one series, read. */
interface Series {
  readonly anchor: Anchor;
  readonly rules: RuleOptions[];
  readonly exrules: RuleOptions[];
  /** The start itself plus every RDATE, as wall times. */
  readonly rdates: number[];
  /** EXDATE values as original-start keys. */
  readonly exdates: Set<string>;
}

/** One iCalendar DATE / DATE-TIME value (RFC 5545 §3.3.4, §3.3.5). */
type IcalValue =
  | { readonly kind: 'date'; readonly wall: number }
  | { readonly kind: 'local'; readonly wall: number }
  | { readonly kind: 'utc'; readonly instant: number };

function anchorOf(first: SimTiming): Anchor {
  if (first.kind === 'allDay') return { wall: dateToWall(first.startDate), zone: null, secondOfDay: 0 };
  const wall = instantToWall(Date.parse(first.start), first.timeZone);
  return { wall, zone: first.timeZone, secondOfDay: (wall - wallMidnight(wall)) / SECOND_MS };
}

function parseIcalValue(text: string): IcalValue | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(text.trim().toUpperCase());
  if (m === null) return null;
  const date = `${m[1] ?? ''}-${m[2] ?? ''}-${m[3] ?? ''}`;
  let midnight: number;
  try {
    midnight = dateToWall(date);
  } catch {
    return null;
  }
  if (m[4] === undefined) return { kind: 'date', wall: midnight };
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = midnight + ((hour * 60 + minute) * 60 + second) * SECOND_MS;
  return m[7] === 'Z' ? { kind: 'utc', instant: ms } : { kind: 'local', wall: ms };
}

/**
 * An RDATE or UNTIL value as a wall time of the series, null for an unknown TZID. A bare date against a timed
 * series is that day at the series' time of day, or for UNTIL (`wholeDay`) the whole day.
 */
function valueWall(
  value: IcalValue,
  tzid: string | undefined,
  anchor: Anchor,
  wholeDay: boolean,
): number | null {
  if (anchor.zone === null) return wallMidnight(value.kind === 'utc' ? value.instant : value.wall);
  if (value.kind === 'utc') return instantToWall(value.instant, anchor.zone);
  if (value.kind === 'date')
    return value.wall + (wholeDay ? DAY_MS - SECOND_MS : anchor.secondOfDay * SECOND_MS);
  if (tzid === undefined) return value.wall;
  return isTimeZone(tzid) ? instantToWall(wallToInstant(value.wall, tzid), anchor.zone) : null;
}

/** An EXDATE value as the original-start key of the occurrence it cancels. */
function exdateKey(value: IcalValue, tzid: string | undefined, anchor: Anchor): string {
  if (anchor.zone === null) return wallDate(value.kind === 'utc' ? value.instant : value.wall);
  if (value.kind === 'utc') return instantString(value.instant);
  if (value.kind === 'date')
    return instantString(wallToInstant(value.wall + anchor.secondOfDay * SECOND_MS, anchor.zone));
  return instantString(wallToInstant(value.wall, tzid ?? anchor.zone));
}

/** `NAME;PARAM=VALUE:VALUE` → its parts; parameter values may be quoted (RFC 5545 §3.1). Null when malformed. */
function contentLine(line: string): { name: string; params: Map<string, string>; value: string } | null {
  const match = /^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^;:"]*))*):(.*)$/.exec(line.trim());
  if (match === null) return null;
  const params = new Map<string, string>();
  for (const param of (match[2] ?? '').split(';').slice(1)) {
    const eq = param.indexOf('=');
    params.set(param.slice(0, eq).toUpperCase(), param.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
  }
  return { name: (match[1] ?? '').toUpperCase(), params, value: (match[3] ?? '').trim() };
}

function list(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function within(values: number[], min: number, max: number, negative = false): boolean {
  return values.every(
    (v) => Number.isInteger(v) && ((v >= min && v <= max) || (negative && -v >= min && -v <= max)),
  );
}

/** BYDAY without its ordinals (`2TU` → TU), for the probe below; null when absent. */
function plainWeekdays(value: RuleOptions['byweekday']): number[] | null {
  if (value === null || value === undefined) return null;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  return items.map((item) =>
    typeof item === 'number'
      ? item
      : typeof item === 'string'
        ? WEEKDAY_CODES.indexOf(item)
        : (item as { weekday: number }).weekday,
  );
}

const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Rules rrule would search for without end (or until the year 9999) because no date can match: values out of
 * range, a sub-daily INTERVAL that never reaches the BYHOUR/BYMINUTE/BYSECOND asked for, set positions larger
 * than any weekly set, day filters no day meets (30 February). Such a rule adds no occurrence.
 */
function cannotMatch(o: RuleOptions, dtstart: Date): boolean {
  const freq = o.freq ?? RRule.YEARLY;
  const [hours, minutes, seconds] = [list(o.byhour), list(o.byminute), list(o.bysecond)];
  if (!within(hours, 0, 23) || !within(minutes, 0, 59) || !within(seconds, 0, 59)) return true;
  if (!within(list(o.bymonth), 1, 12) || !within(list(o.bymonthday), 1, 31, true)) return true;
  if (!within(list(o.byyearday), 1, 366, true) || !within(list(o.byweekno), 1, 53, true)) return true;
  if (freq >= RRule.HOURLY) {
    const unit = freq === RRule.HOURLY ? 3600 : freq === RRule.MINUTELY ? 60 : 1;
    const step = gcd(Math.max(1, o.interval ?? 1) * unit, 86_400);
    const first = (dtstart.getTime() - wallMidnight(dtstart.getTime())) / SECOND_MS;
    let reachable = false;
    for (let s = first % step; s < 86_400 && !reachable; s += step)
      reachable =
        (hours.length === 0 || hours.includes(Math.floor(s / 3600))) &&
        (freq < RRule.MINUTELY || minutes.length === 0 || minutes.includes(Math.floor(s / 60) % 60)) &&
        (freq < RRule.SECONDLY || seconds.length === 0 || seconds.includes(s % 60));
    if (!reachable) return true;
  }
  const positions = list(o.bysetpos);
  if (freq >= RRule.WEEKLY && positions.length > 0) {
    const [h, m, s] = [hours, minutes, seconds].map((v) => Math.max(1, v.length)) as [number, number, number];
    // The largest set one period can hold: its days times the times of day each day has.
    const times =
      freq <= RRule.DAILY ? h * m * s : freq === RRule.HOURLY ? m * s : freq === RRule.MINUTELY ? s : 1;
    const size = (freq === RRule.WEEKLY ? 7 : 1) * times;
    if (positions.every((p) => Math.abs(p) > size)) return true;
  }
  const dayFilters = [o.bymonth, o.bymonthday, o.byyearday, o.byweekno, o.byweekday, o.byeaster];
  if (freq === RRule.YEARLY || dayFilters.every((f) => f === undefined || f === null)) return false;
  // One pass over the years finds a day filter no day meets, where the rule itself would walk day by day.
  const probe = new RRule(
    {
      freq: RRule.YEARLY,
      dtstart: new Date(Date.UTC(dtstart.getUTCFullYear(), 0, 1)),
      bymonth: o.bymonth ?? null,
      bymonthday: o.bymonthday ?? null,
      byyearday: o.byyearday ?? null,
      byweekno: o.byweekno ?? null,
      byweekday: plainWeekdays(o.byweekday),
      byeaster: o.byeaster ?? null,
    },
    true,
  );
  return probe.all((_, i) => i < 1).length === 0;
}

/** An RRULE/EXRULE value → rrule options starting at the anchor, or null when it cannot be read or never matches. */
function ruleOptions(value: string, anchor: Anchor): RuleOptions | null {
  const parts = value
    .toUpperCase()
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const until = parts.find((p) => p.startsWith('UNTIL='));
  const rest = parts.filter((p) => p !== until && !p.startsWith('DTSTART=') && !p.startsWith('TZID='));
  try {
    const options: RuleOptions = { ...RRule.parseString(rest.join(';')) };
    if (options.freq === undefined) return null;
    const dtstart = new Date(anchor.wall);
    Object.assign(options, { dtstart, tzid: null });
    if (until !== undefined) {
      const parsed = parseIcalValue(until.slice('UNTIL='.length));
      const wall = parsed === null ? null : valueWall(parsed, undefined, anchor, true);
      if (wall === null) return null;
      options.until = new Date(wall);
    }
    new RRule(options, true);
    return cannotMatch(options, dtstart) ? null : options;
  } catch {
    return null;
  }
}

function readSeries(lines: readonly string[], first: SimTiming): Series {
  const anchor = anchorOf(first);
  const series: Series = { anchor, rules: [], exrules: [], rdates: [anchor.wall], exdates: new Set() };
  for (const raw of lines) {
    const line = contentLine(raw);
    if (line === null) continue;
    const tzid = line.params.get('TZID');
    if (line.name === 'RRULE' || line.name === 'EXRULE') {
      const options = ruleOptions(line.value, anchor);
      if (options === null) continue;
      if (line.name === 'EXRULE') series.exrules.push(options);
      else addRule(series, options);
    } else if (line.name === 'RDATE') {
      const period = line.params.get('VALUE')?.toUpperCase() === 'PERIOD';
      for (const text of line.value.split(',')) {
        // VALUE=PERIOD (`start/end` or `start/duration`): the instance starts at the period's start.
        const value = parseIcalValue(period ? (text.split('/')[0] ?? '') : text);
        const wall = value === null ? null : valueWall(value, tzid, anchor, false);
        if (wall !== null) series.rdates.push(wall);
      }
    } else if (line.name === 'EXDATE') {
      const type = line.params.get('VALUE')?.toUpperCase();
      // An all-day series' exception dates are the dates as written, whatever zone a TZID names.
      const unknownZone = tzid !== undefined && anchor.zone !== null && !isTimeZone(tzid);
      if ((type !== undefined && type !== 'DATE' && type !== 'DATE-TIME') || unknownZone) continue;
      const values = line.value.split(',').map((text) => parseIcalValue(text));
      // A line with one unreadable value is ignored whole.
      if (values.every((v): v is IcalValue => v !== null))
        for (const v of values) series.exdates.add(exdateKey(v, tzid, anchor));
    }
  }
  series.rdates.sort((a, b) => a - b);
  return series;
}

/** COUNT counts the start too: when the rule itself does not produce the start, it produces one date fewer. */
function addRule(series: Series, options: RuleOptions): void {
  if (typeof options.count !== 'number') {
    series.rules.push(options);
    return;
  }
  const [first] = new RRule(options, true).all((_, i) => i < 1);
  if (first?.getTime() === series.anchor.wall) series.rules.push(options);
  else if (options.count > 1) series.rules.push({ ...options, count: options.count - 1 });
}

function startMs(timing: SimTiming): number {
  return Date.parse(timing.kind === 'timed' ? timing.start : `${timing.startDate}T00:00:00Z`);
}

function endMs(timing: SimTiming): number {
  return Date.parse(timing.kind === 'timed' ? timing.end : `${timing.endDate}T00:00:00Z`);
}

function overlaps(timing: SimTiming, w: ExpandWindow): boolean {
  const [start, end] = [startMs(timing), endMs(timing)];
  return start < w.toMs && (end > w.fromMs || (end === start && start >= w.fromMs));
}

/** Wall time → the occurrence there, lasting as long as the first. */
function occurrenceMaker(first: SimTiming): (wall: number) => SimOccurrence {
  if (first.kind === 'allDay') {
    const days = Math.max(1, Math.round((dateToWall(first.endDate) - dateToWall(first.startDate)) / DAY_MS));
    return (wall) => ({
      originalStart: wallDate(wall),
      timing: { kind: 'allDay', startDate: wallDate(wall), endDate: wallDate(wall + days * DAY_MS) },
    });
  }
  const lengthMs = Math.max(0, Date.parse(first.end) - Date.parse(first.start));
  return (wall) => {
    const start = wallToInstant(wall, first.timeZone);
    return {
      originalStart: instantString(start),
      timing: {
        kind: 'timed',
        start: instantString(start),
        end: instantString(start + lengthMs),
        timeZone: first.timeZone,
      },
    };
  };
}

/**
 * The occurrences of the series that starts with `first` and repeats by `lines`, overlapping `window`, sorted by
 * start: at most `maxOccurrences`, the earliest found.
 */
export function expandSeries(
  lines: readonly string[],
  first: SimTiming,
  window: ExpandWindow,
  maxOccurrences = DEFAULT_MAX_OCCURRENCES,
): SimOccurrence[] {
  const series = readSeries(lines, first);
  const occurrenceAt = occurrenceMaker(first);
  const lengthMs = endMs(first) - startMs(first);
  // Wall times differ from instants by a zone offset (under a day): a day's margin either side is enough.
  const lowWall = window.fromMs - Math.max(0, lengthMs) - DAY_MS;
  const highWall = window.toMs + DAY_MS;
  let budget = MAX_RULE_DATES;
  const seen = new Set<number>();
  const excluded = exruleWalls(series, highWall);
  const found: SimOccurrence[] = [];
  const visit = (produced: number): boolean => {
    // An all-day series' occurrences are dates: a sub-daily rule yields each day once.
    const wall = series.anchor.zone === null ? wallMidnight(produced) : produced;
    if (wall < lowWall || wall > highWall || seen.has(wall)) return true;
    seen.add(wall);
    if (excluded.has(wall)) return true;
    const occurrence = occurrenceAt(wall);
    if (series.exdates.has(occurrence.originalStart)) return true;
    if (overlaps(occurrence.timing, window)) found.push(occurrence);
    return found.length < maxOccurrences;
  };
  let stopped = !series.rdates.every(visit);
  for (const options of series.rules) {
    if (stopped || budget <= 0) break;
    new RRule(options, true).all((date) => {
      budget -= 1;
      if (budget < 0 || date.getTime() > highWall) return false;
      stopped = !visit(date.getTime());
      return !stopped;
    });
  }
  return found.sort(byStart).slice(0, maxOccurrences);
}

function byStart(a: SimOccurrence, b: SimOccurrence): number {
  const d = startMs(a.timing) - startMs(b.timing);
  if (d !== 0) return d;
  return a.originalStart < b.originalStart ? -1 : a.originalStart > b.originalStart ? 1 : 0;
}

/** Every wall time an EXRULE produces up to `highWall` (within the same date budget as the rules). */
function exruleWalls(series: Series, highWall: number): Set<number> {
  const out = new Set<number>();
  let budget = MAX_RULE_DATES;
  for (const options of series.exrules)
    new RRule(options, true).all((date) => {
      budget -= 1;
      if (budget < 0 || date.getTime() > highWall) return false;
      out.add(series.anchor.zone === null ? wallMidnight(date.getTime()) : date.getTime());
      return true;
    });
  return out;
}

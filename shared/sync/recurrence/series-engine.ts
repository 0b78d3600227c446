/**
 * Expansion of recurrence lines (RRULE, EXRULE, RDATE, EXDATE) on wall times with the `rrule` library.
 *
 * The usual technique: rrule runs on "floating" times (a Date whose UTC fields are the local wall time, no TZID), so
 * its calendar arithmetic never meets a DST change; callers turn each wall time into an instant of the series' zone
 * (wall-time.ts). Two additions keep it bounded and fast:
 * - every default rrule would take from DTSTART (time of day, weekday, day of month, month) is pinned first, so the
 *   rule can restart at the beginning of a later period (a whole number of INTERVALs after DTSTART) instead of
 *   iterating from a DTSTART years before the window; rules with COUNT must count from DTSTART and do not skip;
 * - a budget of produced dates per call, so `FREQ=SECONDLY` cannot run away.
 *
 * RFC 5545 §3.8.5.3: DTSTART is always the first instance and counts towards COUNT, even when the rule would not
 * produce it ("not synchronized"); rrule (like python-dateutil) leaves such a DTSTART out, so it is added as an
 * RDATE and COUNT is reduced by one.
 */
import rrulePkg from 'rrule';
import type { Options } from 'rrule';

import { parseContentLine } from './content-line.js';
import type { SeriesAnchor } from './rule-shape.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  instantToWall,
  isTimeZone,
  parseIcalDateValue,
  wallMidnight,
  wallToInstant,
  type IcalDateValue,
} from './wall-time.js';

// rrule 2.8 ships CommonJS as its Node entry point: named ESM imports are not detectable, the default export is.
const { RRule } = rrulePkg;

/** Dates rrule may produce per call, those before the window included: the guard against runaway rules. */
export const MAX_ITERATIONS = 100_000;

type RuleOptions = Partial<Options>;

export interface CompiledSeries {
  readonly anchor: SeriesAnchor;
  /** RRULEs with every DTSTART default pinned; `dtstart` is the anchor's wall time. */
  readonly rules: readonly RuleOptions[];
  readonly exrules: readonly RuleOptions[];
  /** RDATE wall times plus DTSTART itself. */
  readonly rdates: readonly number[];
  /** EXDATE wall times found among the lines (the canonical exdates are applied by the caller). */
  readonly exdates: ReadonlySet<number>;
}

/** The dates rrule may still produce in one call (shared by every walk of that call). */
export class Budget {
  #remaining: number;

  constructor(dates: number = MAX_ITERATIONS) {
    this.#remaining = dates;
  }

  /** Spends one date; false when none is left. */
  take(): boolean {
    if (this.#remaining <= 0) return false;
    this.#remaining -= 1;
    return true;
  }
}

export type WalkResult = 'complete' | 'stopped' | 'exhausted';

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** Pins what rrule's `parseOptions` would derive from DTSTART, so DTSTART can move without changing the rule. */
function pinDefaults(options: RuleOptions, anchorWall: number): RuleOptions {
  const d = new Date(anchorWall);
  const freq = options.freq ?? RRule.YEARLY;
  const out: RuleOptions = { ...options, dtstart: d, tzid: null };
  const hasDayPart =
    present(options.byweekno) ||
    present(options.byyearday) ||
    present(options.bymonthday) ||
    present(options.byweekday) ||
    present(options.byeaster);
  if (!hasDayPart) {
    if (freq === RRule.YEARLY) {
      out.bymonth = options.bymonth ?? d.getUTCMonth() + 1;
      out.bymonthday = d.getUTCDate();
    } else if (freq === RRule.MONTHLY) {
      out.bymonthday = d.getUTCDate();
    } else if (freq === RRule.WEEKLY) {
      out.byweekday = [(d.getUTCDay() + 6) % 7];
    }
  }
  if (!present(options.byhour) && freq < RRule.HOURLY) out.byhour = [d.getUTCHours()];
  if (!present(options.byminute) && freq < RRule.MINUTELY) out.byminute = [d.getUTCMinutes()];
  if (!present(options.bysecond) && freq < RRule.SECONDLY) out.bysecond = [d.getUTCSeconds()];
  return out;
}

function wkstIndex(wkst: RuleOptions['wkst']): number {
  if (typeof wkst === 'number') return wkst;
  return wkst?.weekday ?? 0;
}

/**
 * A DTSTART at the beginning of the last period (a whole number of INTERVALs after the original one) that starts
 * on or before `fromWall`. Every occurrence at or after `fromWall` lies in that period or a later one.
 */
function restartWall(options: RuleOptions, anchorWall: number, fromWall: number): number {
  if (fromWall <= anchorWall || present(options.count)) return anchorWall;
  const interval = Math.max(1, options.interval ?? 1);
  const start = new Date(anchorWall);
  const target = new Date(fromWall);
  const byUnit = (base: number, unit: number): number => {
    const k = Math.floor(Math.floor((fromWall - base) / unit) / interval);
    return k > 0 ? base + k * interval * unit : anchorWall;
  };
  switch (options.freq) {
    case RRule.YEARLY: {
      const k = Math.floor((target.getUTCFullYear() - start.getUTCFullYear()) / interval);
      return k > 0 ? Date.UTC(start.getUTCFullYear() + k * interval, 0, 1) : anchorWall;
    }
    case RRule.MONTHLY: {
      const m0 = start.getUTCFullYear() * 12 + start.getUTCMonth();
      const k = Math.floor((target.getUTCFullYear() * 12 + target.getUTCMonth() - m0) / interval);
      const m = m0 + k * interval;
      return k > 0 ? Date.UTC(Math.floor(m / 12), m % 12, 1) : anchorWall;
    }
    case RRule.WEEKLY: {
      const weekday = (start.getUTCDay() + 6) % 7;
      const weekStart = wallMidnight(anchorWall) - ((weekday - wkstIndex(options.wkst) + 7) % 7) * DAY_MS;
      return byUnit(weekStart, 7 * DAY_MS);
    }
    case RRule.DAILY:
      return byUnit(wallMidnight(anchorWall), DAY_MS);
    case RRule.HOURLY:
      return byUnit(anchorWall - (anchorWall % HOUR_MS), HOUR_MS);
    case RRule.MINUTELY:
      return byUnit(anchorWall - (anchorWall % MINUTE_MS), MINUTE_MS);
    default:
      return byUnit(anchorWall - (anchorWall % SECOND_MS), SECOND_MS);
  }
}

/** Runs rrule from `startWall`, passing each date until `visit` returns false; false if the budget ran out. */
function runRule(
  options: RuleOptions,
  startWall: number,
  budget: Budget,
  visit: (wall: number) => boolean,
): boolean {
  let exhausted = false;
  new RRule({ ...options, dtstart: new Date(startWall) }, true).all((date) => {
    if (!budget.take()) {
      exhausted = true;
      return false;
    }
    return visit(date.getTime());
  });
  return !exhausted;
}

/** A DATE / DATE-TIME value (RDATE, EXDATE, UNTIL) as a wall time of the series; null for an unknown TZID. */
function valueToWall(
  value: IcalDateValue,
  tzid: string | undefined,
  anchor: SeriesAnchor,
  end: boolean,
): number | null {
  if (anchor.zone === null) {
    // All-day series: the day as written.
    return wallMidnight(value.kind === 'utc' ? value.instant : value.wall);
  }
  switch (value.kind) {
    case 'utc':
      return instantToWall(value.instant, anchor.zone);
    case 'local':
      if (tzid === undefined) return value.wall;
      if (!isTimeZone(tzid)) return null;
      return instantToWall(wallToInstant(value.wall, tzid), anchor.zone);
    case 'date':
      // A date against a timed series: for UNTIL the whole day, otherwise that day at the series' time of day.
      return value.wall + (end ? DAY_MS - SECOND_MS : anchor.secondOfDay * SECOND_MS);
  }
}

function numbers(value: number | readonly number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return typeof value === 'number' ? [value] : [...value];
}

const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function plainWeekdays(value: RuleOptions['byweekday']): number[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items.map((item) => {
    if (typeof item === 'number') return item;
    if (typeof item === 'string') return WEEKDAY_CODES.indexOf(item);
    return (item as { readonly weekday: number }).weekday;
  });
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function inRange(values: readonly number[], min: number, max: number, allowNegative = false): boolean {
  return values.every(
    (v) => Number.isInteger(v) && ((v >= min && v <= max) || (allowNegative && v <= -min && v >= -max)),
  );
}

/**
 * True for rules that can never produce a date, which rrule would search for until the year 9999 (seconds of CPU)
 * or forever: for HOURLY/MINUTELY/SECONDLY with an INTERVAL that never reaches a BYHOUR/BYMINUTE/BYSECOND, rrule
 * 2.8's `DateTime.addHours` (and minutes, seconds) loops without end, so this check must come first.
 */
function neverMatches(options: RuleOptions): boolean {
  const freq = options.freq ?? RRule.YEARLY;
  const interval = Math.max(1, options.interval ?? 1);
  const hours = numbers(options.byhour);
  const minutes = numbers(options.byminute);
  const seconds = numbers(options.bysecond);
  // Out-of-range values (RFC 5545 §3.3.10 ranges) make rrule build impossible times.
  if (!inRange(hours, 0, 23) || !inRange(minutes, 0, 59) || !inRange(seconds, 0, 59)) return true;
  if (!inRange(numbers(options.bymonth), 1, 12) || !inRange(numbers(options.bymonthday), 1, 31, true))
    return true;
  if (!inRange(numbers(options.byyearday), 1, 366, true) || !inRange(numbers(options.byweekno), 1, 53, true))
    return true;
  const start = options.dtstart ?? new Date(0);
  if (freq >= RRule.HOURLY) {
    // The counter advances by INTERVAL units of the time of day; it reaches the values ≡ start (mod gcd).
    const unit = freq === RRule.HOURLY ? 3600 : freq === RRule.MINUTELY ? 60 : 1;
    const step = gcd(interval * unit, 86_400);
    const startSecond = start.getUTCHours() * 3600 + start.getUTCMinutes() * 60 + start.getUTCSeconds();
    const checkMinute = freq >= RRule.MINUTELY;
    const checkSecond = freq >= RRule.SECONDLY;
    let reachable = false;
    for (let s = startSecond % step; s < 86_400 && !reachable; s += step) {
      reachable =
        (hours.length === 0 || hours.includes(Math.floor(s / 3600))) &&
        (!checkMinute || minutes.length === 0 || minutes.includes(Math.floor(s / 60) % 60)) &&
        (!checkSecond || seconds.length === 0 || seconds.includes(s % 60));
    }
    if (!reachable) return true;
  }
  const positions = numbers(options.bysetpos);
  if (positions.length > 0 && freq >= RRule.WEEKLY) {
    // The largest set a WEEKLY-or-finer period can hold: its days times the times of day per day.
    const times =
      freq <= RRule.DAILY
        ? Math.max(1, hours.length) * Math.max(1, minutes.length) * Math.max(1, seconds.length)
        : freq === RRule.HOURLY
          ? Math.max(1, minutes.length) * Math.max(1, seconds.length)
          : freq === RRule.MINUTELY
            ? Math.max(1, seconds.length)
            : 1;
    const size = (freq === RRule.WEEKLY ? 7 : 1) * times;
    if (positions.every((p) => Math.abs(p) > size)) return true;
  }
  if (freq === RRule.YEARLY) return false;
  // Day filters that no day satisfies (30 February): a YEARLY probe finds that in one pass over the years instead
  // of one pass per day or hour.
  const hasDayFilter =
    present(options.bymonth) ||
    present(options.bymonthday) ||
    present(options.byyearday) ||
    present(options.byweekno) ||
    present(options.byweekday) ||
    present(options.byeaster);
  if (!hasDayFilter) return false;
  const weekdays = plainWeekdays(options.byweekday);
  const probe = new RRule(
    {
      freq: RRule.YEARLY,
      dtstart: new Date(Date.UTC(start.getUTCFullYear(), 0, 1)),
      bymonth: options.bymonth ?? null,
      bymonthday: options.bymonthday ?? null,
      byyearday: options.byyearday ?? null,
      byweekno: options.byweekno ?? null,
      byweekday: weekdays.length > 0 ? weekdays : null,
      byeaster: options.byeaster ?? null,
      byhour: [0],
      byminute: [0],
      bysecond: [0],
    },
    true,
  );
  return probe.all((_, i) => i < 1).length === 0;
}

/** RRULE/EXRULE value → pinned rrule options, or null when rrule cannot read it. */
function ruleOptions(value: string, anchor: SeriesAnchor): RuleOptions | null {
  const parts = value.split(';').filter((p) => p.trim() !== '');
  const untilPart = parts.find((p) => /^UNTIL=/i.test(p.trim()));
  const rest = parts.filter((p) => p !== untilPart && !/^(DTSTART|TZID)=/i.test(p.trim()));
  try {
    const options = RRule.parseString(rest.join(';'));
    if (!present(options.freq)) return null;
    delete options.dtstart;
    if (untilPart !== undefined) {
      const parsed = parseIcalDateValue(untilPart.trim().slice('UNTIL='.length));
      const wall = parsed === null ? null : valueToWall(parsed, undefined, anchor, true);
      if (wall === null) return null;
      options.until = new Date(wall);
    }
    const pinned = pinDefaults(options, anchor.wall);
    // Validates the options (e.g. BYSETPOS=0 throws).
    new RRule(pinned, true);
    // A rule that never produces a date contributes nothing; rrule must not be left searching for one.
    return neverMatches(pinned) ? null : pinned;
  } catch {
    return null;
  }
}

function dateWalls(
  value: string,
  params: ReadonlyMap<string, string>,
  anchor: SeriesAnchor,
): number[] | null {
  const tzid = params.get('TZID');
  const period = params.get('VALUE')?.toUpperCase() === 'PERIOD';
  const walls: number[] = [];
  for (const raw of value.split(',')) {
    // VALUE=PERIOD (`start/end` or `start/duration`): the instance starts at the period's start.
    const parsed = parseIcalDateValue(period ? (raw.split('/')[0] ?? '') : raw);
    const wall = parsed === null ? null : valueToWall(parsed, tzid, anchor, false);
    if (wall === null) return null;
    walls.push(wall);
  }
  return walls;
}

/** Compiles recurrence lines for a series anchored at `anchor`; lines rrule cannot read contribute nothing. */
export function compileSeries(lines: readonly string[], anchor: SeriesAnchor): CompiledSeries {
  const rules: RuleOptions[] = [];
  const exrules: RuleOptions[] = [];
  const rdates = new Set<number>([anchor.wall]);
  const exdates = new Set<number>();
  for (const line of lines) {
    const parsed = parseContentLine(line);
    if (parsed === null) continue;
    switch (parsed.name) {
      case 'RRULE': {
        const options = ruleOptions(parsed.value, anchor);
        if (options === null) break;
        if (typeof options.count === 'number') {
          // DTSTART counts as the first occurrence (RFC 5545 §3.3.10 COUNT) even when the rule does not hit it.
          const [first] = new RRule(options, true).all((_, i) => i < 1);
          if (first?.getTime() !== anchor.wall) {
            if (options.count <= 1) break;
            rules.push({ ...options, count: options.count - 1 });
            break;
          }
        }
        rules.push(options);
        break;
      }
      case 'EXRULE': {
        const options = ruleOptions(parsed.value, anchor);
        if (options !== null) exrules.push(options);
        break;
      }
      case 'RDATE':
      case 'EXDATE': {
        const walls = dateWalls(parsed.value, parsed.params, anchor);
        const target = parsed.name === 'RDATE' ? rdates : exdates;
        for (const wall of walls ?? []) target.add(wall);
        break;
      }
      default:
        // DTSTART is not part of Google's lines; X- properties and the like carry no occurrences.
        break;
    }
  }
  return { anchor, rules, exrules, rdates: [...rdates].sort((a, b) => a - b), exdates };
}

function excludedByRule(options: RuleOptions, anchorWall: number, wall: number, budget: Budget): boolean {
  let hit = false;
  runRule(options, restartWall(options, anchorWall, wall), budget, (w) => {
    if (w === wall) hit = true;
    return w < wall;
  });
  return hit;
}

/**
 * Visits each occurrence wall time `w` of the series with `fromWall <= w <= toWall` once (`toWall` may be
 * Infinity), in ascending order per rule but not across rules, EXDATE lines and EXRULEs applied. Stops when
 * `visit` returns false ('stopped') or the budget runs out ('exhausted').
 */
export function walkSeries(
  series: CompiledSeries,
  fromWall: number,
  toWall: number,
  budget: Budget,
  visit: (wall: number) => boolean,
): WalkResult {
  const seen = new Set<number>();
  const state = { stopped: false };
  const emit = (produced: number): boolean => {
    // An all-day series' occurrences are dates: a sub-daily rule (invalid with a DATE DTSTART, RFC 5545 §3.3.10,
    // but kept verbatim) yields each day once.
    const wall = series.anchor.zone === null ? wallMidnight(produced) : produced;
    if (wall < fromWall || wall > toWall || seen.has(wall)) return true;
    seen.add(wall);
    if (series.exdates.has(wall)) return true;
    if (series.exrules.some((x) => excludedByRule(x, series.anchor.wall, wall, budget))) return true;
    state.stopped = !visit(wall);
    return !state.stopped;
  };
  for (const wall of series.rdates) if (!emit(wall)) return 'stopped';
  for (const options of series.rules) {
    const start = restartWall(options, series.anchor.wall, fromWall);
    const complete = runRule(options, start, budget, (wall) => wall <= toWall && emit(wall));
    if (state.stopped) return 'stopped';
    if (!complete) return 'exhausted';
  }
  return 'complete';
}

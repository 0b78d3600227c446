/**
 * The occurrences of an entry inside a time window: the series' rule (or its unsupported lines) expanded in the
 * series' zone, exception dates removed, modified occurrences applied.
 *
 * - Timed series expand on local wall times and each is placed in the zone with RFC 5545's DST rules (wall-time.ts):
 *   a 09:00 Europe/Helsinki series is 09:00 local before and after the March and October changes; every occurrence
 *   lasts as long as the first (an exact duration, RFC 5545 §3.8.5.3).
 * - All-day series expand on dates; each occurrence spans as many days as the first.
 * - The window is half-open, `[fromMs, toMs)`; an occurrence overlaps it when it starts before `toMs` and ends after
 *   `fromMs` (a zero-length one when it starts inside). All-day dates count from UTC midnight, as timing.ts does.
 * - A modified occurrence counts where it was moved to: in the window even if its original start is outside, and
 *   not in the window when it was moved out. Modifications and exception dates of starts that are not occurrences
 *   of the rule (stale after a rule change) are ignored.
 */
import type { EntryContent } from '../../domain/entry.js';
import type { RecurrenceOverride } from '../../domain/recurrence.js';
import {
  addDays,
  canonicalInstant,
  isDate,
  timingEndMs,
  timingStartMs,
  type Timing,
} from '../../domain/timing.js';
import { formatGoogleRecurrence } from './rrule.js';
import { seriesAnchor } from './rule-shape.js';
import { Budget, compileSeries, walkSeries, type CompiledSeries } from './series-engine.js';
import {
  DAY_MS,
  HOUR_MS,
  clampMs,
  dateToWall,
  instantString,
  instantToWall,
  wallDate,
  wallToInstant,
} from './wall-time.js';

/** One occurrence of a series. */
export interface Occurrence {
  /** Canonical UTC instant (timed series) or `YYYY-MM-DD` (all-day): the key of exdates and overrides. */
  readonly originalStart: string;
  /** Where the occurrence is: from the rule, or the override's timing when `overridden`. */
  readonly timing: Timing;
  readonly overridden: boolean;
}

/** A half-open time window `[fromMs, toMs)` in epoch milliseconds. */
export interface TimeWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface ExpandOptions {
  /** At most this many occurrences are returned (the earliest); default {@link MAX_OCCURRENCES}. */
  readonly maxOccurrences?: number;
}

/** Occurrences returned per call at most, so a rule such as `FREQ=SECONDLY` cannot blow up a sync run. */
export const MAX_OCCURRENCES = 5_000;

/**
 * How far a wall time can lag or lead the instant it names, beyond the zone's offset at a nearby instant: a DST
 * change moves it by an hour (two in a few historical zones), so three is a safe margin for the window bounds.
 */
const SHIFT_MARGIN_MS = 3 * HOUR_MS;

/** A series ready to expand: its compiled lines plus the conversions between wall times and its occurrences. */
interface Series {
  readonly compiled: CompiledSeries;
  readonly exdates: ReadonlySet<string>;
  readonly overrides: ReadonlyMap<string, RecurrenceOverride>;
  /** Wall time → the occurrence's original start key (canonical instant or date). */
  readonly keyOf: (wall: number) => string;
  /** Wall time → the occurrence's timing (the first occurrence's length). */
  readonly timingAt: (wall: number) => Timing;
  /** A wall time at or before that of every occurrence that ends after instant `ms`. */
  readonly lowWall: (ms: number) => number;
  /** A wall time at or after that of every occurrence that starts before instant `ms`. */
  readonly highWall: (ms: number) => number;
  /** Original start key → its wall time, null for a key of the wrong kind. */
  readonly wallOfKey: (key: string) => number | null;
}

/** Exdate/override keys in canonical spelling (recurrence.ts); null for a value that is neither a date nor an instant. */
function canonicalKey(key: string): string | null {
  if (isDate(key)) return key;
  try {
    return canonicalInstant(key);
  } catch {
    return null;
  }
}

function prepare(content: EntryContent): Series | null {
  const recurrence = content.recurrence;
  if (recurrence === null) return null;
  const timing = content.timing;
  const lines =
    recurrence.pattern.kind === 'rule'
      ? formatGoogleRecurrence({ pattern: recurrence.pattern, exdates: [], overrides: [] }, timing)
      : recurrence.pattern.lines;
  const exdates = new Set(recurrence.exdates.map(canonicalKey).filter((k) => k !== null));
  const overrides = new Map<string, RecurrenceOverride>();
  for (const o of recurrence.overrides) {
    const key = canonicalKey(o.originalStart);
    if (key !== null) overrides.set(key, o);
  }
  const compiled = compileSeries(lines, seriesAnchor(timing));
  if (timing.kind === 'allDay') {
    const days = Math.max(
      1,
      Math.round((dateToWall(timing.endDate) - dateToWall(timing.startDate)) / DAY_MS),
    );
    return {
      compiled,
      exdates,
      overrides,
      keyOf: wallDate,
      timingAt: (wall) => ({
        kind: 'allDay',
        startDate: wallDate(wall),
        endDate: addDays(wallDate(wall), days),
      }),
      // All-day occurrences start at UTC midnight of their date, so wall time and instant coincide.
      lowWall: (ms) => ms - days * DAY_MS,
      highWall: (ms) => ms,
      wallOfKey: (key) => (isDate(key) ? dateToWall(key) : null),
    };
  }
  const zone = timing.timeZone;
  const lengthMs = Math.max(0, Date.parse(timing.end) - Date.parse(timing.start));
  return {
    compiled,
    exdates,
    overrides,
    keyOf: (wall) => instantString(wallToInstant(wall, zone)),
    timingAt: (wall) => {
      const start = wallToInstant(wall, zone);
      return {
        kind: 'timed',
        start: instantString(start),
        end: instantString(start + lengthMs),
        timeZone: zone,
      };
    },
    lowWall: (ms) => instantToWall(clampMs(ms - lengthMs), zone) - SHIFT_MARGIN_MS,
    highWall: (ms) => instantToWall(clampMs(ms), zone) + SHIFT_MARGIN_MS,
    wallOfKey: (key) => (isDate(key) ? null : instantToWall(Date.parse(key), zone)),
  };
}

function overlaps(timing: Timing, window: TimeWindow): boolean {
  const start = timingStartMs(timing);
  const end = timingEndMs(timing);
  if (start >= window.toMs) return false;
  return end > window.fromMs || (end === start && start >= window.fromMs);
}

/** True when `key` (canonical) is the original start of an occurrence of the rule. */
function isOccurrence(series: Series, key: string, budget: Budget): boolean {
  const wall = series.wallOfKey(key);
  // An instant in the repeated hour of a DST end that the rule's wall time does not name is no occurrence.
  if (wall === null || series.keyOf(wall) !== key) return false;
  let found = false;
  walkSeries(series.compiled, wall, wall, budget, () => {
    found = true;
    return false;
  });
  return found;
}

function compareOccurrences(a: Occurrence, b: Occurrence): number {
  const d = timingStartMs(a.timing) - timingStartMs(b.timing);
  if (d !== 0) return d;
  return a.originalStart < b.originalStart ? -1 : a.originalStart > b.originalStart ? 1 : 0;
}

/**
 * Occurrences of `content` overlapping `window`, sorted by start. A single (non-recurring) entry is its own one
 * occurrence. At most `opts.maxOccurrences` (default {@link MAX_OCCURRENCES}) are returned.
 */
export function expandOccurrences(
  content: EntryContent,
  window: TimeWindow,
  opts?: ExpandOptions,
): Occurrence[] {
  const cap = opts?.maxOccurrences ?? MAX_OCCURRENCES;
  const series = prepare(content);
  if (series === null) {
    const originalStart =
      content.timing.kind === 'timed' ? canonicalInstant(content.timing.start) : content.timing.startDate;
    return overlaps(content.timing, window)
      ? [{ originalStart, timing: content.timing, overridden: false }]
      : [];
  }
  const budget = new Budget();
  const found: Occurrence[] = [];
  const seenOverridden = new Set<string>();
  walkSeries(series.compiled, series.lowWall(window.fromMs), series.highWall(window.toMs), budget, (wall) => {
    const key = series.keyOf(wall);
    if (series.exdates.has(key)) return true;
    if (series.overrides.has(key)) {
      seenOverridden.add(key);
      return true;
    }
    const timing = series.timingAt(wall);
    if (overlaps(timing, window)) found.push({ originalStart: key, timing, overridden: false });
    return found.length < cap;
  });
  for (const [key, override] of series.overrides) {
    if (series.exdates.has(key) || !overlaps(override.timing, window)) continue;
    if (!seenOverridden.has(key) && !isOccurrence(series, key, budget)) continue;
    found.push({ originalStart: key, timing: override.timing, overridden: true });
  }
  return found.sort(compareOccurrences).slice(0, cap);
}

/**
 * True when some occurrence of `content` ends after `ms` (the 30-day rule, SPEC S6: "recurring with occurrences in
 * the future still sync"). A series without end is true unless every later occurrence is excluded. When the
 * expansion budget runs out before an answer, the answer is true: the series certainly goes on that far.
 */
export function hasOccurrenceEndingAfter(content: EntryContent, ms: number): boolean {
  const series = prepare(content);
  if (series === null) return timingEndMs(content.timing) > ms;
  const budget = new Budget();
  for (const [key, override] of series.overrides) {
    if (series.exdates.has(key) || timingEndMs(override.timing) <= ms) continue;
    if (isOccurrence(series, key, budget)) return true;
  }
  // The first occurrence that is neither cancelled nor moved and ends after `ms` stops the walk.
  const result = walkSeries(series.compiled, series.lowWall(ms), Infinity, budget, (wall) => {
    const key = series.keyOf(wall);
    if (series.exdates.has(key) || series.overrides.has(key)) return true;
    return timingEndMs(series.timingAt(wall)) <= ms;
  });
  return result !== 'complete';
}

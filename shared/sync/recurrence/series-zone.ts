/**
 * Severa holds no time zone (reference/severa-api.md §5: activities carry offsets only), so the zone of a Severa
 * series is a reading, not a fact: the mapper reads an activity in its owner's Severa timezone. A Google series lives
 * in its own zone (google-calendar.md §3). A shared meeting in New York's zone owned in Severa by a person in
 * Helsinki is therefore read back "in Helsinki", though nothing about it changed.
 *
 * - {@link zonesKeepDates} says when one series can be read in two zones without changing what it means: every
 *   occurrence falls on the same local date in both, so the rule's weekdays and month days name the same days.
 *   Severa can then hold the series whichever of the two zones its owner has (S9). Between the zones' DST changes
 *   Severa's own expansion may show an occurrence an hour off; the sync compares series, never Severa's rows, so
 *   this never reads as a change (docs/sync-engine.md "Time zones of series").
 * - {@link seriesInZone} reads a series in another zone: the same first occurrence and rule, every cancelled or
 *   moved occurrence re-keyed to the occurrence nearest to it in the new zone, and an `until` end moved to the local
 *   date of the last occurrence there.
 */
import type { EntryContent } from '../../domain/entry.js';
import type { Recurrence, RecurrenceEnd } from '../../domain/recurrence.js';
import { canonicalInstant } from '../../domain/timing.js';
import { expandOccurrences } from './expand.js';
import { DAY_MS, HOUR_MS, canonicalZoneName, instantToWall, wallDate, wallToInstant } from './wall-time.js';

/** Occurrences are at least a day apart (Severa's finest pattern is daily), so ±14 h finds one occurrence only. */
const NEAR_MS = 14 * HOUR_MS;
/** How many monthly samples {@link zonesKeepDates} checks: a year covers both DST states of both zones. */
const MONTHS_SAMPLED = 13;

export function sameZone(a: string, b: string): boolean {
  return canonicalZoneName(a) === canonicalZoneName(b);
}

/**
 * True when the series `content` means the same read in `zone`: all-day series always; timed series when the local
 * date of its start time is the same in both zones all year round (sampled monthly over a year from its start).
 */
export function zonesKeepDates(content: EntryContent, zone: string): boolean {
  const timing = content.timing;
  if (timing.kind === 'allDay' || sameZone(timing.timeZone, zone)) return true;
  const startMs = Date.parse(timing.start);
  const wall = instantToWall(startMs, timing.timeZone);
  const timeOfDay = ((wall % DAY_MS) + DAY_MS) % DAY_MS;
  for (let month = 0; month < MONTHS_SAMPLED; month += 1) {
    const dayWall = wall - timeOfDay + month * 30 * DAY_MS;
    const instant = wallToInstant(dayWall + timeOfDay, timing.timeZone);
    if (wallDate(instantToWall(instant, timing.timeZone)) !== wallDate(instantToWall(instant, zone)))
      return false;
  }
  return true;
}

/**
 * The same entry read in `zone` (see the module comment). Single entries and all-day entries only change their zone
 * label; a series keeps its instants and rule and has its exception keys re-keyed. Callers check
 * {@link zonesKeepDates} first: across a date line the result would not mean the same.
 */
export function seriesInZone(content: EntryContent, zone: string): EntryContent {
  const timing = content.timing;
  if (timing.kind === 'allDay' || sameZone(timing.timeZone, zone)) return content;
  const moved = { ...timing, timeZone: zone };
  const recurrence = content.recurrence;
  if (recurrence === null) return { ...content, timing: moved };
  const bare: EntryContent = {
    ...content,
    timing: moved,
    recurrence: { ...recurrence, pattern: withEnd(recurrence, content, zone), exdates: [], overrides: [] },
  };
  const rekey = (key: string): string => nearestOccurrence(bare, key) ?? key;
  return {
    ...bare,
    recurrence: {
      pattern: bare.recurrence?.pattern ?? recurrence.pattern,
      exdates: [...new Set(recurrence.exdates.map(rekey))].sort(),
      overrides: recurrence.overrides
        .map((o) => ({ ...o, originalStart: rekey(o.originalStart) }))
        .sort((a, b) => (a.originalStart < b.originalStart ? -1 : 1)),
    },
  };
}

/** The original start of the occurrence of `series` nearest to `key` (within ±14 h), or null. */
function nearestOccurrence(series: EntryContent, key: string): string | null {
  if (key.length === 10) return key; // an all-day key is a date: no zone involved
  const ms = Date.parse(key);
  if (Number.isNaN(ms)) return null;
  let best: { key: string; distance: number } | null = null;
  for (const o of expandOccurrences(series, { fromMs: ms - NEAR_MS, toMs: ms + NEAR_MS })) {
    const distance = Math.abs(Date.parse(o.originalStart) - ms);
    if (distance <= NEAR_MS && (best === null || distance < best.distance))
      best = { key: o.originalStart, distance };
  }
  return best === null ? null : canonicalInstant(best.key);
}

/** The rule with an `until` end moved to the local date, in `zone`, of the series' last occurrence. */
function withEnd(recurrence: Recurrence, content: EntryContent, zone: string): Recurrence['pattern'] {
  const pattern = recurrence.pattern;
  if (pattern.kind !== 'rule' || pattern.rule.end.kind !== 'until' || content.timing.kind !== 'timed')
    return pattern;
  const bare: EntryContent = { ...content, recurrence: { pattern, exdates: [], overrides: [] } };
  const last = expandOccurrences(bare, {
    fromMs: Date.parse(content.timing.start),
    toMs: Number.MAX_SAFE_INTEGER,
  })
    .map((o) => Date.parse(o.originalStart))
    .at(-1);
  if (last === undefined) return pattern;
  const end: RecurrenceEnd = { kind: 'until', until: wallDate(instantToWall(last, zone)) };
  return { kind: 'rule', rule: { ...pattern.rule, end } };
}

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
 * - {@link seriesInZone} reads a series in another zone: the same first occurrence, rule and `until` date, every
 *   cancelled or moved occurrence re-keyed to the occurrence nearest to it in the new zone.
 */
import type { EntryContent } from '../../domain/entry.js';
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
 * True when the series `content` means the same read in `zone`: all-day series always; timed series when every
 * occurrence keeps its local date both ways, all year round (sampled monthly over a year from its start). Both ways,
 * because each side expands the rule at its own wall-clock time: Google at the series' time in its zone, Severa at
 * the first occurrence's time in its owner's zone; a date kept one way can still cross midnight the other way when
 * the two zones change DST on different days.
 */
export function zonesKeepDates(content: EntryContent, zone: string): boolean {
  const timing = content.timing;
  if (timing.kind === 'allDay' || sameZone(timing.timeZone, zone)) return true;
  const startMs = Date.parse(timing.start);
  return keepsDates(startMs, timing.timeZone, zone) && keepsDates(startMs, zone, timing.timeZone);
}

/** The wall-clock time of `startMs` in `from`, repeated monthly in `from`, falls on the same date in `to`. */
function keepsDates(startMs: number, from: string, to: string): boolean {
  const wall = instantToWall(startMs, from);
  const timeOfDay = ((wall % DAY_MS) + DAY_MS) % DAY_MS;
  for (let month = 0; month < MONTHS_SAMPLED; month += 1) {
    const dayWall = wall - timeOfDay + month * 30 * DAY_MS;
    const instant = wallToInstant(dayWall + timeOfDay, from);
    if (wallDate(instantToWall(instant, from)) !== wallDate(instantToWall(instant, to))) return false;
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
    // An `until` end is a local date: the same in both zones, since every occurrence keeps its date.
    recurrence: { ...recurrence, exdates: [], overrides: [] },
  };
  // Keys that name no occurrence where they are (an exception left behind by a moved series) mean nothing, and are
  // left out: carried into the other zone, such a key could name one of its occurrences and start to modify it.
  const before: EntryContent = { ...content, recurrence: { ...recurrence, exdates: [], overrides: [] } };
  const rekey = (key: string): string | null =>
    isOccurrence(before, key) ? (nearestOccurrence(bare, key) ?? key) : null;
  const exdates = recurrence.exdates.flatMap((d) => {
    const k = rekey(d);
    return k === null ? [] : [k];
  });
  const overrides = recurrence.overrides.flatMap((o) => {
    const k = rekey(o.originalStart);
    return k === null ? [] : [{ ...o, originalStart: k }];
  });
  return {
    ...bare,
    recurrence: {
      pattern: recurrence.pattern,
      exdates: [...new Set(exdates)].sort(),
      overrides: overrides.sort((a, b) => (a.originalStart < b.originalStart ? -1 : 1)),
    },
  };
}

function isOccurrence(series: EntryContent, key: string): boolean {
  if (key.length === 10) return true;
  const ms = Date.parse(key);
  return expandOccurrences(series, { fromMs: ms - 1, toMs: ms + 1 }).some(
    (o) => Date.parse(o.originalStart) === ms,
  );
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

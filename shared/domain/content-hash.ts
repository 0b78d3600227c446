import { createHash } from 'node:crypto';

import { normaliseNotes, normaliseTitle, type EntryContent } from './entry.js';
import type { Recurrence, RecurrenceOverride, RecurrencePattern } from './recurrence.js';
import { canonicalInstant, type Timing } from './timing.js';

/**
 * The canonical form of an entry's synced fields: a plain JSON value with a fixed key order, in which equal
 * meanings are spelled once.
 * - Text goes through the same normalisation as the mappers (idempotent), so stray white space never counts.
 * - Instants are UTC at second precision: `09:00+03:00` and `06:00Z` are the same time.
 * - A single timed entry's zone is *not* part of its meaning (only the instants are); a series' zone is, because
 *   the rule expands in it (google-calendar.md §3: "for recurring events timeZone is required").
 * - Exception dates and overrides are sorted and de-duplicated.
 */
export function canonicalContent(content: EntryContent): unknown {
  const recurring = content.recurrence !== null;
  return {
    title: normaliseTitle(content.title),
    notes: normaliseNotes(content.notes),
    location: normaliseTitle(content.location),
    timing: canonicalTiming(content.timing, recurring),
    isPrivate: content.isPrivate,
    recurrence: content.recurrence === null ? null : canonicalRecurrence(content.recurrence),
  };
}

function canonicalTiming(timing: Timing, keepZone: boolean): unknown {
  if (timing.kind === 'allDay')
    return { kind: 'allDay', startDate: timing.startDate, endDate: timing.endDate };
  return {
    kind: 'timed',
    start: canonicalInstant(timing.start),
    end: canonicalInstant(timing.end),
    timeZone: keepZone ? timing.timeZone : null,
  };
}

function canonicalPattern(pattern: RecurrencePattern): unknown {
  if (pattern.kind === 'unsupported')
    return { kind: 'unsupported', lines: [...pattern.lines].map((l) => l.trim()) };
  const r = pattern.rule;
  return {
    kind: 'rule',
    freq: r.freq,
    interval: r.interval,
    byWeekday: [...new Set(r.byWeekday)].sort(weekdayOrder),
    byMonthDay: r.byMonthDay,
    bySetPos: r.bySetPos,
    byMonth: r.byMonth,
    end: r.end,
  };
}

const WEEKDAY_INDEX: Readonly<Record<string, number>> = { MO: 0, TU: 1, WE: 2, TH: 3, FR: 4, SA: 5, SU: 6 };
function weekdayOrder(a: string, b: string): number {
  return (WEEKDAY_INDEX[a] ?? 9) - (WEEKDAY_INDEX[b] ?? 9);
}

function canonicalStartKey(value: string): string {
  return value.length === 10 ? value : canonicalInstant(value);
}

function canonicalRecurrence(recurrence: Recurrence): unknown {
  const overrides = new Map<string, RecurrenceOverride>();
  for (const o of recurrence.overrides) overrides.set(canonicalStartKey(o.originalStart), o);
  return {
    pattern: canonicalPattern(recurrence.pattern),
    exdates: [...new Set(recurrence.exdates.map(canonicalStartKey))].sort(),
    overrides: [...overrides.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, o]) => ({
        originalStart: key,
        title: normaliseTitle(o.title),
        notes: normaliseNotes(o.notes),
        location: normaliseTitle(o.location),
        timing: canonicalTiming(o.timing, false),
      })),
  };
}

/** JSON with object keys sorted at every level: stable across key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical content: equal for entries that mean the same, different otherwise. */
export function contentHash(content: EntryContent): string {
  return createHash('sha256')
    .update(stableStringify(canonicalContent(content)))
    .digest('hex');
}

/** True when two contents mean the same (same hash). */
export function sameContent(a: EntryContent, b: EntryContent): boolean {
  return stableStringify(canonicalContent(a)) === stableStringify(canonicalContent(b));
}

/** Equality of one merge field's values, under the same canonical rules as the hash. */
export function sameFieldValue(field: keyof EntryContent, a: EntryContent, b: EntryContent): boolean {
  const ca = canonicalContent(a) as Record<string, unknown>;
  const cb = canonicalContent(b) as Record<string, unknown>;
  if (field === 'timing' && a.recurrence === null && b.recurrence === null) {
    return stableStringify(ca.timing) === stableStringify(cb.timing);
  }
  if (field === 'timing') {
    // For series the zone matters; compare with zones kept on both.
    return (
      stableStringify(canonicalTiming(a.timing, true)) === stableStringify(canonicalTiming(b.timing, true))
    );
  }
  return stableStringify(ca[field]) === stableStringify(cb[field]);
}

/**
 * Everything the sync reads of a Severa activity, hashed: an inbox item is acknowledged only when the item still
 * stored is exactly the one the run processed. The version alone cannot tell (whole seconds, severa-api.md §5): a
 * second change within the same second, routed while the run worked, must stay for the next run.
 */
export function severaRecordFingerprint(record: {
  readonly version: string;
  readonly content: EntryContent;
  readonly activityType: { readonly guid: string };
  readonly ownerGuid: string;
  readonly participantGuids: readonly string[];
  readonly isProjectTask: boolean;
}): string {
  return createHash('sha256')
    .update(
      stableStringify({
        version: record.version,
        content: canonicalContent(record.content),
        type: record.activityType.guid,
        owner: record.ownerGuid,
        participants: [...record.participantGuids].sort(),
        task: record.isProjectTask,
      }),
    )
    .digest('hex');
}

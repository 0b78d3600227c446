/**
 * What a write sends when it knows the content Google holds (`CalendarWrite.current`, read at the etag the write is
 * conditional on): only the synced fields whose domain value changes. An unchanged field keeps Google's own spelling
 * of it — an HTML description read as text (html-text.ts), `public` read as "not private" and `confidential` as
 * "private" (google-calendar.md §3), recurrence lines another client wrote. Pure.
 */
import { sameFieldValue, type EntryContent } from '../../domain/index.js';

/** The event fields the sync writes, each from one content field (SPEC §7). */
export const SYNCED_EVENT_FIELDS = [
  'summary',
  'description',
  'location',
  'start',
  'end',
  'recurrence',
  'visibility',
] as const;
export type SyncedEventField = (typeof SYNCED_EVENT_FIELDS)[number];

/** The series' own part: cancelled occurrences and the rule, not the modified occurrences (exception instances). */
function seriesLevel(content: EntryContent): EntryContent {
  const recurrence = content.recurrence;
  return recurrence === null ? content : { ...content, recurrence: { ...recurrence, overrides: [] } };
}

/** The synced fields whose value in `content` is the one in `current`: a write leaves them out. */
export function unchangedEventFields(
  content: EntryContent,
  current: EntryContent,
): ReadonlySet<SyncedEventField> {
  const unchanged = new Set<SyncedEventField>();
  if (sameFieldValue('title', content, current)) unchanged.add('summary');
  if (sameFieldValue('notes', content, current)) unchanged.add('description');
  if (sameFieldValue('location', content, current)) unchanged.add('location');
  const sameTiming = sameFieldValue('timing', content, current);
  // EXDATE lines carry the occurrences' start times, so the lines are written again when the series moves.
  const sameSeries =
    (content.recurrence === null && current.recurrence === null) ||
    (sameTiming && sameFieldValue('recurrence', seriesLevel(content), seriesLevel(current)));
  if (sameSeries) unchanged.add('recurrence');
  // Recurrence lines go with the start: its `timeZone` is the zone they expand in, required on a series (§3).
  if (sameTiming && sameSeries) {
    unchanged.add('start');
    unchanged.add('end');
  }
  if (content.isPrivate === current.isPrivate) unchanged.add('visibility');
  return unchanged;
}

/**
 * `body` without the fields unchanged from `current`; the whole body when `current` is unknown (every synced field
 * is written, as the port says).
 */
export function changedPart<T extends object>(
  body: T,
  content: EntryContent,
  current: EntryContent | undefined,
): T {
  if (current === undefined) return body;
  const copy = { ...body };
  for (const field of unchangedEventFields(content, current)) Reflect.deleteProperty(copy, field);
  return copy;
}

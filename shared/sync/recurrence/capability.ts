/**
 * Which series Severa can hold as a series (S9).
 *
 * A Google series is written to Severa as one recurring activity only when Severa can express its rule exactly:
 * its pattern is a canonical rule that Severa's `ActivityRecurrenceModel` has a form for (daily, weekly, monthly or
 * yearly pattern plus count/until range; severa-api.md §7), and its occurrences fall where Google puts them. The
 * second condition is about time zones: Severa stores offsets only and expands a series in the user's Severa
 * timezone (severa-api.md §5, §12), so a timed series is expressible only when its zone is that timezone — a 09:00
 * New York series written for a Helsinki user would drift by an hour on the weeks between the two DST changes.
 * All-day series are dates and expand the same in every zone.
 *
 * Any other series (hourly, several days of the month, BYWEEKNO, RDATE, a foreign zone, …) is left untouched in
 * Google and synced to Severa by the fallback in fallback.ts: one single activity per occurrence inside the sync
 * window.
 */
import type { EntryContent } from '../../domain/entry.js';
import { severaProblem } from './rule-shape.js';
import { canonicalZoneName } from './wall-time.js';

/** True when `content` is single, or a series Severa can hold as a series for a user in `userTimeZone`. */
export function severaCanExpress(content: EntryContent, userTimeZone: string): boolean {
  const recurrence = content.recurrence;
  if (recurrence === null) return true;
  if (recurrence.pattern.kind !== 'rule') return false;
  // The same check `ruleToSeveraRecurrence` makes before it writes.
  if (severaProblem(recurrence.pattern.rule) !== null) return false;
  if (content.timing.kind === 'allDay') return true;
  return canonicalZoneName(content.timing.timeZone) === canonicalZoneName(userTimeZone);
}

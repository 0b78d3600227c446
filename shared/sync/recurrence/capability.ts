/**
 * Which series Severa can hold as a series (S9).
 *
 * A Google series is written to Severa as one recurring activity only when Severa can express its rule exactly:
 * its pattern is a canonical rule that Severa's `ActivityRecurrenceModel` has a form for (daily, weekly, monthly or
 * yearly pattern plus count/until range; severa-api.md §7), and its occurrences fall where Google puts them. The
 * second condition is about time zones: Severa stores offsets only and reads a series in its owner's Severa timezone
 * (severa-api.md §5, §12). A series in another zone is still the same series there when every occurrence keeps its
 * local date (series-zone.ts `zonesKeepDates`: a 09:00 New York meeting is a Helsinki afternoon all year); one whose
 * occurrences cross midnight between the zones (20:00 New York is the next day in Helsinki) would land on the wrong
 * weekdays. All-day series are dates and expand the same in every zone.
 *
 * Any other series (hourly, several days of the month, BYWEEKNO, RDATE, a zone across a date line, …) is left
 * untouched in Google. Unlinked, it syncs to Severa by the fallback in fallback.ts (one single activity per
 * occurrence inside the sync window); linked, the pair keeps its dates apart (plan/decide.ts).
 */
import type { EntryContent } from '../../domain/entry.js';
import { severaProblem } from './rule-shape.js';
import { zonesKeepDates } from './series-zone.js';

/** True when `content` is single, or a series Severa can hold as a series for an owner in `ownerTimeZone`. */
export function severaCanExpress(content: EntryContent, ownerTimeZone: string): boolean {
  const recurrence = content.recurrence;
  if (recurrence === null) return true;
  if (recurrence.pattern.kind !== 'rule') return false;
  // The same check `ruleToSeveraRecurrence` makes before it writes.
  if (severaProblem(recurrence.pattern.rule) !== null) return false;
  return zonesKeepDates(content, ownerTimeZone);
}

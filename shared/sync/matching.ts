import { canonicalContent, normaliseTitle, stableStringify, type EntryContent } from '../domain/index.js';

/**
 * The initial-sync match key (S6): name, start date and time, end date and time, and recurrence. Names compare
 * case-insensitively after white-space normalisation; times compare as instants (so equivalent encodings match, and
 * a series read in its Severa owner's zone matches the same series in Google's zone: Severa holds no zone,
 * series-zone.ts); recurrence compares by rule only (exceptions are content that merges after linking).
 */
export function matchKey(content: EntryContent): string {
  const canonical = canonicalContent({ ...content, recurrence: null }) as { timing: unknown };
  const recurrence = canonicalContent(content) as { recurrence: { pattern: unknown } | null };
  return stableStringify({
    name: normaliseTitle(content.title).toLocaleLowerCase('en'),
    timing: canonical.timing,
    rule: recurrence.recurrence === null ? null : recurrence.recurrence.pattern,
  });
}

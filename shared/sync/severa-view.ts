/**
 * What a Severa activity says about an entry, read against the pair it belongs to. Severa cannot hold everything a
 * Google event can, and where it cannot, its silence is not a change:
 *
 * - **Zone.** Severa stores offsets, not zones (severa-api.md §5): the mapper reads an activity in its owner's zone.
 *   A pair's series is read in the zone the pair agreed on (series-zone.ts), so a meeting in New York's zone owned
 *   by a person in Helsinki does not read as "moved to Helsinki" on every edit (B5, S10).
 * - **Privacy.** Severa says privacy only through the type's category `Personal` (SPEC §7, S4). An activity of
 *   another type is private in Google and "not Personal" in Severa when the organisation has no Personal type, or
 *   when the type is kept for what it is (an absence). So: Personal means private; a type that *left* Personal since
 *   the last sync means a person lowered privacy; any other type keeps the pair's privacy. The sync never lowers
 *   privacy because of what Severa cannot say (SPEC §11).
 *
 * Change detection still compares the record as read (version and hash, SPEC §6); the view is what the merge and
 * the writes work with.
 */
import type { EntryContent, Link, SeveraRecord } from '../domain/index.js';
import { seriesInZone, zonesKeepDates } from './recurrence/index.js';
import { categoryOf } from './rules.js';
import type { SyncSettings } from '../domain/settings.js';

/** What the view is read against: the pair's agreed content and the activity type as last synced. */
export interface SeveraViewContext {
  readonly base: EntryContent;
  readonly activityType?: string | undefined;
}

export function viewContextOf(link: Link): SeveraViewContext {
  return { base: link.base, activityType: link.activityType };
}

/**
 * The record's content as the pair sees it (see the module comment). With no context (an activity not linked yet)
 * only the privacy of an unlinked pairing partner can be given: `partnerIsPrivate`, Google's privacy, which Severa
 * cannot contradict unless the activity is Personal.
 */
export function severaView(
  record: SeveraRecord,
  context: SeveraViewContext | null,
  settings: SyncSettings,
  partner?: EntryContent,
): EntryContent {
  const reference = context?.base ?? partner;
  let content = record.content;
  if (reference !== undefined && reference.timing.kind === 'timed' && content.timing.kind === 'timed') {
    const zone = reference.timing.timeZone;
    if (content.recurrence === null || zonesKeepDates(content, zone)) content = seriesInZone(content, zone);
  }
  const isPrivate = severaPrivacy(record, context, settings, partner);
  return isPrivate === content.isPrivate ? content : { ...content, isPrivate };
}

function severaPrivacy(
  record: SeveraRecord,
  context: SeveraViewContext | null,
  settings: SyncSettings,
  partner: EntryContent | undefined,
): boolean {
  if (record.activityType.category === 'Personal') return true;
  // Taken out of Personal by a person since the last sync: that person lowered privacy.
  if (context !== null && categoryOf(settings, context.activityType) === 'Personal') return false;
  return context?.base.isPrivate ?? partner?.isPrivate ?? false;
}

/**
 * The Google side of a plan, before the decision table: which events count (by kind), which linked events were
 * deleted, which series Severa cannot hold and how they are handled (S9), and how many events are left out by kind.
 * Pure: part of {@link import('./plan/plan-sync.js').planSync}.
 */
import {
  contentHash,
  googleEventIdFor,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type Link,
  type SeveraRecord,
  type SyncUser,
} from '../domain/index.js';
import {
  expandSeriesToInstances,
  hasOccurrenceEndingAfter,
  parseInstanceId,
  severaCanExpress,
} from './recurrence/index.js';
import { googleEventKind } from './rules.js';
import { timingEndMs } from '../domain/index.js';

/**
 * The Severa guid an event carries as our copy (B4), or null for a person's own event. Only an event under the
 * deterministic id of that guid is our copy: Google copies `extendedProperties` into a "this and following" split
 * (`<id>_R<start>`) or a duplicate may copy them too (google-calendar.md §3, unconfirmed), and those events are the
 * person's own, never "a stale copy" to remove.
 */
export function ourCopyOf(record: Pick<GoogleRecord, 'id' | 'severaGuid'>): string | null {
  const guid = record.severaGuid;
  return guid !== null && record.id === googleEventIdFor(guid) ? guid : null;
}

export interface GoogleSide {
  /** Live records by id: masters, and the occurrences of series synced by the fallback. */
  readonly live: Map<string, GoogleRecord>;
  /** Ids of linked events (or fallback occurrences) that are gone. */
  readonly deleted: Set<string>;
  /**
   * Linked series whose rule or zone Severa cannot hold any more: the pair stays, Severa keeps its series' dates and
   * Google keeps the person's (SPEC §11 "kept on its own side and reported on that entry").
   */
  readonly apart: Set<string>;
  /** Unlinked events the sync leaves out, by `eventType` (shown on the preview). */
  readonly leftOut: Record<string, number>;
  /**
   * Activities to read before deciding: a linked series whose rule or zone changed in Google is judged against its
   * activity's owner's zone, which only the activity tells.
   */
  readonly readFirst: readonly string[];
}

export interface GoogleSideInput {
  readonly user: SyncUser;
  readonly changes: readonly GoogleChange[];
  readonly links: readonly Link[];
  readonly severaLive: ReadonlyMap<string, SeveraRecord>;
  readonly severaDeleted: ReadonlySet<string>;
  /** Other attendees' links to meetings (masters) by iCalUID. */
  readonly peerByICalUID: ReadonlyMap<string, Link>;
  /** Masters whose meeting other attendees hold as fallback occurrences (their instance links). */
  readonly peerOccurrenceMasters: ReadonlySet<string>;
  readonly cutoffMs: number;
  readonly horizonMs: number;
}

export function googleSide(input: GoogleSideInput): GoogleSide {
  const { links, severaLive, cutoffMs, horizonMs } = input;
  const live = new Map<string, GoogleRecord>();
  const deleted = new Set<string>();
  const apart = new Set<string>();
  const leftOut: Record<string, number> = {};
  const readFirst: string[] = [];
  const linksByGoogleId = new Map(links.map((l) => [l.googleId, l]));
  // Built once: looking them up per change by scanning every link made a full listing quadratic.
  const occurrenceLinksByMaster = new Map<string, Link[]>();
  for (const l of links) {
    const masterId = parseInstanceId(l.googleId)?.masterId;
    if (masterId === undefined) continue;
    const list = occurrenceLinksByMaster.get(masterId);
    if (list) list.push(l);
    else occurrenceLinksByMaster.set(masterId, [l]);
  }
  const occurrenceLinksOf = (masterId: string): readonly Link[] =>
    occurrenceLinksByMaster.get(masterId) ?? [];

  for (const change of input.changes) {
    if (change.kind === 'deleted') {
      deleted.add(change.id);
      for (const l of occurrenceLinksOf(change.id)) deleted.add(l.googleId);
      continue;
    }
    const record = change.record;
    const linked = linksByGoogleId.get(record.id);
    if (googleEventKind(record.eventType) === 'left-out') {
      // Working location, birthdays, Gmail events: not entries (rules.ts). Counted for the preview.
      if (linked === undefined) leftOut[record.eventType] = (leftOut[record.eventType] ?? 0) + 1;
      continue;
    }
    const own = ourCopyOf(record);
    const severaSide = severaLive.get(own ?? linked?.severaGuid ?? '');
    const isMaster = parseInstanceId(record.id) === null;
    const peer = isMaster ? input.peerByICalUID.get(record.iCalUID) : undefined;
    // Severa reads a series in its owner's zone: that of the activity (read in its owner's zone), else the pair's,
    // else that of the meeting's activity another attendee has (B5), else this user's (the future owner).
    const ownerZone =
      severaSide?.ownerTimeZone ??
      zoneOf(severaSide?.content ?? linked?.base ?? peer?.base) ??
      input.user.timeZone;
    if (linked !== undefined && severaSide === undefined && reshaped(record.content, linked.base)) {
      readFirst.push(linked.severaGuid);
    }
    // An unlinked copy of ours came from a Severa series: it is paired (or removed) whole, never expanded; unless it
    // is held as its occurrences already (its activity was deleted while a person reshaped it: re-created so).
    const ourUnlinkedCopy = own !== null && linked === undefined && occurrenceLinksOf(record.id).length === 0;
    // A linked series whose activity was deleted while the series changed is re-created (SPEC §6 "deleted on one
    // side but changed on the other → re-create the changed one").
    // A kept-apart series counts as changed: its dates are the person's own change, which Severa never took.
    const recreated =
      linked !== undefined &&
      input.severaDeleted.has(linked.severaGuid) &&
      (contentHash(record.content) !== linked.google.hash || linked.datesApart === true);
    // A meeting other attendees hold as occurrences stays occurrences for everyone, whoever synced first (B5); once
    // one of them holds it as a series (its occurrences became a series Severa can hold), the series is joined.
    const heldAsOccurrences =
      (linked === undefined || recreated) &&
      isMaster &&
      peer === undefined &&
      input.peerOccurrenceMasters.has(record.id);
    if (
      record.content.recurrence !== null &&
      !ourUnlinkedCopy &&
      (heldAsOccurrences || !severaCanExpress(record.content, ownerZone))
    ) {
      // Re-created as its occurrences: Severa cannot hold it, or the meeting is held so (unless another attendee
      // holds it as a series already: that one is joined, below).
      if (recreated && peer === undefined) deleted.add(record.id);
      else if (
        (linked !== undefined && parseInstanceId(linked.googleId) === null) ||
        (linked === undefined && peer !== undefined && !heldAsOccurrences)
      ) {
        // A linked series reshaped so that Severa cannot hold it: never a deletion; the dates stay apart. So too a
        // meeting another attendee already holds as a series: it is joined (B5), with its dates apart. Held whole,
        // it has no occurrences of its own in Severa (any left from before give way).
        apart.add(record.id);
        live.set(record.id, record);
        for (const l of occurrenceLinksOf(record.id)) deleted.add(l.googleId);
        continue;
      }
      // S9 fallback: a series Severa cannot express syncs as its occurrences inside the window, one activity each.
      const instances = expandSeriesToInstances(record, { fromMs: cutoffMs, toMs: horizonMs });
      const ids = new Set(instances.map((i) => i.id));
      for (const i of instances) live.set(i.id, i);
      for (const l of occurrenceLinksOf(record.id)) {
        if (!ids.has(l.googleId) && endsAfter(l.base, cutoffMs)) deleted.add(l.googleId);
      }
      continue;
    }
    live.set(record.id, record);
    // The series became expressible again: its expanded occurrences give way to the series.
    for (const l of occurrenceLinksOf(record.id)) deleted.add(l.googleId);
  }
  return { live, deleted, apart, leftOut, readFirst };
}

/** A series whose rule or zone is not the pair's any more. */
function reshaped(content: EntryContent, base: EntryContent): boolean {
  if (content.recurrence === null) return false;
  if (zoneOf(content) !== zoneOf(base)) return true;
  return JSON.stringify(content.recurrence.pattern) !== JSON.stringify(base.recurrence?.pattern ?? null);
}

export function zoneOf(content: EntryContent | undefined): string | undefined {
  return content?.timing.kind === 'timed' ? content.timing.timeZone : undefined;
}

export function endsAfter(content: EntryContent, cutoffMs: number): boolean {
  if (content.recurrence !== null) return hasOccurrenceEndingAfter(content, cutoffMs);
  return timingEndMs(content.timing) > cutoffMs;
}

/** What a kept-apart pair writes to Google: the merged content with the event's own dates and rule. */
export function keepGoogleDates(merged: EntryContent, google: EntryContent): EntryContent {
  return { ...merged, timing: google.timing, recurrence: google.recurrence };
}

/** How a kept-apart pair reads from Google: the event's content with the pair's agreed dates and rule. */
export function withAgreedDates(google: EntryContent, base: EntryContent): EntryContent {
  return { ...google, timing: base.timing, recurrence: base.recurrence };
}

/**
 * An occurrence synced by the fallback is not private unless its series is: Google holds visibility per series, so
 * one occurrence cannot say "public" (google-calendar.md §3), and its "not private" keeps the pair's privacy.
 */
export function occurrencePrivacy(
  content: EntryContent,
  googleId: string,
  agreed: EntryContent,
): EntryContent {
  const occurrence = parseInstanceId(googleId) !== null;
  return occurrence && !content.isPrivate && agreed.isPrivate ? { ...content, isPrivate: true } : content;
}

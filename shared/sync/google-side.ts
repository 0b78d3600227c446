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
   * Occurrence links of a person's own activity (paired by content, S6) whose occurrence went with a change to its
   * whole series (moved, reshaped, held whole again), not cancelled on its own: the pair ends and the activity stays,
   * since a person's entry goes only by a person's deletion.
   */
  readonly unpaired: Set<string>;
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

/** A {@link GoogleSide} being built. */
type Building = Omit<GoogleSide, 'readFirst'> & { readonly readFirst: string[] };

export function googleSide(input: GoogleSideInput): GoogleSide {
  const side: Building = {
    live: new Map(),
    deleted: new Set(),
    unpaired: new Set(),
    apart: new Set(),
    leftOut: {},
    readFirst: [],
  };
  const links = indexLinks(input.links);
  for (const change of input.changes) {
    if (change.kind === 'upsert') {
      sideOfEvent(input, links, side, change.record);
      continue;
    }
    side.deleted.add(change.id);
    for (const l of links.occurrencesOf(change.id)) side.deleted.add(l.googleId);
  }
  return side;
}

/** The user's links by Google id, and the occurrence links of each master. */
interface LinkIndex {
  readonly byGoogleId: ReadonlyMap<string, Link>;
  occurrencesOf(masterId: string): readonly Link[];
}

function indexLinks(links: readonly Link[]): LinkIndex {
  // Built once: looking them up per change by scanning every link made a full listing quadratic.
  const byMaster = new Map<string, Link[]>();
  for (const l of links) {
    const masterId = parseInstanceId(l.googleId)?.masterId;
    if (masterId === undefined) continue;
    const list = byMaster.get(masterId);
    if (list) list.push(l);
    else byMaster.set(masterId, [l]);
  }
  return {
    byGoogleId: new Map(links.map((l) => [l.googleId, l])),
    occurrencesOf: (masterId) => byMaster.get(masterId) ?? [],
  };
}

/** What one listed event is to this plan: counted live (itself or its occurrences), kept apart, or left out. */
function sideOfEvent(input: GoogleSideInput, links: LinkIndex, side: Building, record: GoogleRecord): void {
  const linked = links.byGoogleId.get(record.id);
  if (googleEventKind(record.eventType) === 'left-out') {
    // Working location, birthdays, Gmail events: not entries (rules.ts). Counted for the preview.
    if (linked === undefined) side.leftOut[record.eventType] = (side.leftOut[record.eventType] ?? 0) + 1;
    return;
  }
  const own = ourCopyOf(record);
  const severaSide = input.severaLive.get(own ?? linked?.severaGuid ?? '');
  const isMaster = parseInstanceId(record.id) === null;
  const peer = isMaster ? input.peerByICalUID.get(record.iCalUID) : undefined;
  // Severa reads a series in its owner's zone: that of the activity (read in its owner's zone), else the pair's,
  // else that of the meeting's activity another attendee has (B5), else this user's (the future owner).
  const ownerZone =
    severaSide?.ownerTimeZone ??
    zoneOf(severaSide?.content ?? linked?.base ?? peer?.base) ??
    input.user.timeZone;
  if (linked !== undefined && severaSide === undefined && reshaped(record.content, linked.base)) {
    side.readFirst.push(linked.severaGuid);
  }
  // An unlinked copy of ours came from a Severa series: it is paired (or removed) whole, never expanded; unless it
  // is held as its occurrences already (its activity was deleted while a person reshaped it: re-created so).
  const ourUnlinkedCopy = own !== null && linked === undefined && links.occurrencesOf(record.id).length === 0;
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
    seriesSeveraDoesNotHold(input, links, side, record, { linked, peer, recreated, heldAsOccurrences });
    return;
  }
  side.live.set(record.id, record);
  // The series became expressible again: its expanded occurrences give way to the series.
  for (const l of links.occurrencesOf(record.id)) goneWithSeries(side, record, l);
}

/**
 * A series Severa does not hold as a series (it cannot, or the meeting is held as occurrences): kept apart as a
 * whole, or synced as its occurrences (S9).
 */
function seriesSeveraDoesNotHold(
  input: GoogleSideInput,
  links: LinkIndex,
  side: Building,
  record: GoogleRecord,
  how: {
    readonly linked: Link | undefined;
    readonly peer: Link | undefined;
    readonly recreated: boolean;
    readonly heldAsOccurrences: boolean;
  },
): void {
  const { linked, peer } = how;
  // Re-created as its occurrences: Severa cannot hold it, or the meeting is held so (unless another attendee holds
  // it as a series already: that one is joined, below).
  if (how.recreated && peer === undefined) side.deleted.add(record.id);
  else if (
    (linked !== undefined && parseInstanceId(linked.googleId) === null) ||
    (linked === undefined && peer !== undefined && !how.heldAsOccurrences)
  ) {
    // A linked series reshaped so that Severa cannot hold it: never a deletion; the dates stay apart. So too a
    // meeting another attendee already holds as a series: it is joined (B5), with its dates apart. Held whole, it
    // has no occurrences of its own in Severa (any left from before give way).
    side.apart.add(record.id);
    side.live.set(record.id, record);
    for (const l of links.occurrencesOf(record.id)) goneWithSeries(side, record, l);
    return;
  }
  // S9 fallback: a series Severa cannot express syncs as its occurrences inside the window, one activity each.
  const instances = expandSeriesToInstances(record, { fromMs: input.cutoffMs, toMs: input.horizonMs });
  const ids = new Set(instances.map((i) => i.id));
  for (const i of instances) side.live.set(i.id, i);
  for (const l of links.occurrencesOf(record.id)) {
    if (!ids.has(l.googleId) && endsAfter(l.base, input.cutoffMs)) goneWithSeries(side, record, l);
  }
}

/**
 * An occurrence link whose occurrence the series no longer has as its own: deleted, unless its activity is a
 * person's own (paired by content) and the occurrence went with a change to the whole series rather than being
 * cancelled by itself (an EXDATE); then the pair ends and the activity stays.
 */
function goneWithSeries(side: Building, series: GoogleRecord, l: Link): void {
  const start = parseInstanceId(l.googleId)?.originalStart;
  const cancelled = start !== undefined && (series.content.recurrence?.exdates.includes(start) ?? false);
  if (l.origin === 'matched' && !cancelled) side.unpaired.add(l.googleId);
  else side.deleted.add(l.googleId);
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

/**
 * The first phase of a plan: both sides indexed for the tables that follow. Severa's live records and confirmed
 * deletions, other attendees' links (B5), the Google side (google-side.ts) and what a full Google listing says of
 * the linked events it does not hold. Pure.
 */
import {
  linkKey,
  type GoogleRecord,
  type Link,
  type SeveraChange,
  type SeveraRecord,
} from '../../domain/index.js';
import type { HeldDeletion } from '../../ports/index.js';
import { endsAfter, googleSide } from '../google-side.js';
import { parseInstanceId } from '../recurrence/index.js';
import type { PlanInput } from './plan-sync.js';

/** Other attendees' links (B5): meetings by iCalUID, activities by guid, fallback occurrences by instance id. */
export interface PeerIndex {
  readonly byICalUID: ReadonlyMap<string, Link>;
  readonly bySevera: ReadonlyMap<string, Link>;
  readonly byOccurrence: ReadonlyMap<string, Link>;
  /** Masters whose meeting other attendees hold as fallback occurrences. */
  readonly occurrenceMasters: ReadonlySet<string>;
}

export interface Sides {
  readonly severaLive: ReadonlyMap<string, SeveraRecord>;
  /** Activities confirmed gone (a 404 the runner saw: Severa never reports deletions, severa-api.md §11). */
  readonly severaDeleted: ReadonlySet<string>;
  /** Live Google records by id: masters, and the occurrences of series synced by the fallback. */
  readonly googleLive: ReadonlyMap<string, GoogleRecord>;
  /** Linked events (or fallback occurrences) that are gone, including those a full listing no longer holds. */
  readonly googleDeleted: ReadonlySet<string>;
  /** Linked series whose dates are kept apart (google-side.ts). */
  /** Occurrence links whose pair ends while the activity stays (google-side.ts `unpaired`). */
  readonly unpaired: ReadonlySet<string>;
  readonly apart: ReadonlySet<string>;
  readonly peers: PeerIndex;
  /** B3: pairs (link keys) whose deletion is held: the input's, and those an empty listing holds. */
  readonly frozen: ReadonlySet<string>;
  /** B3: pairs whose events an empty Google listing does not hold: held for a person's word. */
  readonly emptyListingHeld: readonly HeldDeletion[];
  /** Activities to read before deciding (google-side.ts `readFirst`). */
  readonly readFirst: readonly string[];
  /** Unlinked Google events left out, by `eventType`. */
  readonly leftOut: Readonly<Record<string, number>>;
}

/** What indexing needs of the planner's input, and the window it computed. */
export interface IndexInput extends Pick<
  PlanInput,
  'user' | 'links' | 'google' | 'severa' | 'peerLinks' | 'frozen' | 'confirmDeletions'
> {
  /** Entries that ended before this instant (ms) are not synced (S6). */
  readonly cutoffMs: number;
  /** How far ahead a fallback series is expanded (S9). */
  readonly horizonMs: number;
}

export function indexSides(input: IndexInput): Sides {
  const { severaLive, severaDeleted } = indexSevera(input.severa.changes);
  const peers = indexPeers(input.peerLinks, input.user.severaUserGuid, severaDeleted);
  const google = googleSide({
    user: input.user,
    changes: input.google.changes,
    links: input.links,
    severaLive,
    severaDeleted,
    peerByICalUID: peers.byICalUID,
    peerOccurrenceMasters: peers.occurrenceMasters,
    cutoffMs: input.cutoffMs,
    horizonMs: input.horizonMs,
  });
  // B3: pairs whose deletion is held are left alone; an empty listing may add more.
  const frozen = new Set(input.frozen ?? []);
  const emptyListingHeld: HeldDeletion[] = [];
  if (input.google.complete) {
    // A full listing covers every event ending after now − pastDays: a linked event inside that window and absent
    // from the listing was deleted. Outside the window, absence says nothing.
    const absent = input.links.filter(
      (l) =>
        !google.live.has(l.googleId) &&
        !google.deleted.has(l.googleId) &&
        !google.unpaired.has(l.googleId) &&
        !frozen.has(linkKey(l.user, l.severaGuid)) &&
        endsAfter(l.base, input.cutoffMs),
    );
    if (google.live.size === 0 && absent.length > 0 && !input.confirmDeletions) {
      // B3: an empty listing is never taken as "everything was deleted": those pairs wait for a person's word.
      for (const l of absent) {
        emptyListingHeld.push({ link: l, side: 'severa', confirmed: false });
        frozen.add(linkKey(l.user, l.severaGuid));
      }
    } else for (const l of absent) google.deleted.add(l.googleId);
  }
  return {
    severaLive,
    severaDeleted,
    googleLive: google.live,
    googleDeleted: google.deleted,
    unpaired: google.unpaired,
    apart: google.apart,
    peers,
    frozen,
    emptyListingHeld,
    readFirst: google.readFirst,
    leftOut: google.leftOut,
  };
}

function indexSevera(changes: readonly SeveraChange[]): {
  severaLive: Map<string, SeveraRecord>;
  severaDeleted: Set<string>;
} {
  const severaLive = new Map<string, SeveraRecord>();
  const severaDeleted = new Set<string>();
  for (const change of changes) {
    if (change.kind === 'deleted') severaDeleted.add(change.guid);
    else severaLive.set(change.record.guid, change.record);
  }
  return { severaLive, severaDeleted };
}

function indexPeers(
  peerLinks: readonly Link[],
  userGuid: string,
  severaDeleted: ReadonlySet<string>,
): PeerIndex {
  const byICalUID = new Map<string, Link>();
  const bySevera = new Map<string, Link>();
  const byOccurrence = new Map<string, Link>();
  const occurrenceMasters = new Set<string>();
  for (const l of peerLinks) {
    // A peer's activity that is known to be gone is no meeting to join.
    if (l.user === userGuid || severaDeleted.has(l.severaGuid)) continue;
    const occurrence = parseInstanceId(l.googleId);
    if (occurrence !== null) {
      // A meeting Severa holds as occurrences: each is joined on its own (attendees share the event id).
      if (!byOccurrence.has(l.googleId)) byOccurrence.set(l.googleId, l);
      occurrenceMasters.add(occurrence.masterId);
    } else if (l.iCalUID !== null && !byICalUID.has(l.iCalUID)) byICalUID.set(l.iCalUID, l);
    if (!bySevera.has(l.severaGuid)) bySevera.set(l.severaGuid, l);
  }
  return { byICalUID, bySevera, byOccurrence, occurrenceMasters };
}

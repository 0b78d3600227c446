/**
 * The baseline of the scale and initial-sync benches: the job done the way the anchors do it, a per-person poller
 * (Severa's own ~30 s cycle; OGCS and CalendarBridge every ~2 min). Each cycle it lists every person's Severa
 * activities in the sync window and their Google events, and diffs the two.
 *
 * It calls the list methods of the same in-memory adapters the product runs on, and counts its own calls (one per
 * listing; pages are derived from the rows, at Severa's 100 and Google's 2,500 rows a page). It writes nothing: what
 * it would write is reported as the differences it found, and a real poller writes at least that much (as ours does).
 */
import { performance } from 'node:perf_hooks';

import { MAX_PAGE_SIZE as GOOGLE_PAGE_SIZE } from '../../shared/adapters/google-calendar/google-calendar.client.js';
import { SEVERA_PAGE_SIZE } from '../../shared/adapters/severa/severa.client.js';
import {
  sameContent,
  type GoogleRecord,
  type SeveraRecord,
  type SyncUser,
} from '../../shared/domain/index.js';
import type { CalendarPort, Clock, SeveraPort } from '../../shared/ports/index.js';
import { matchKey } from '../../shared/sync/matching.js';
import type { SyncSettings } from '../../shared/domain/settings.js';

const DAY_MS = 86_400_000;

export interface PollerDeps {
  readonly severa: SeveraPort;
  readonly calendar: CalendarPort;
  readonly clock: Clock;
  /** The sync window, the product's own (past and future days). */
  readonly settings: Pick<SyncSettings, 'pastDays' | 'futureDays'>;
}

/** What one person's two sides look like to a poller. */
export interface Diff {
  /** The same entry on both sides, with the same content. */
  readonly same: number;
  /** Paired (our stamp names the activity) but with different content: an update to write. */
  readonly changed: number;
  /** Only in Severa / only in Google: a copy to create (or a deletion to propagate). */
  readonly onlySevera: number;
  readonly onlyGoogle: number;
}

export interface PollerCycle {
  readonly people: number;
  readonly severaCalls: number;
  readonly googleCalls: number;
  /** Requests at the APIs' page sizes, derived from the rows each listing returned. */
  readonly severaPages: number;
  readonly googlePages: number;
  readonly ms: number;
  readonly diff: Diff;
}

const pages = (rows: number, size: number) => Math.max(1, Math.ceil(rows / size));

/** Pairs events to activities: by the activity guid our copies carry, then by the initial-sync match key. */
export function diffSides(activities: readonly SeveraRecord[], events: readonly GoogleRecord[]): Diff {
  const byGuid = new Map(activities.map((a) => [a.guid, a]));
  const byKey = new Map<string, SeveraRecord[]>();
  for (const a of activities) byKey.set(matchKey(a.content), [...(byKey.get(matchKey(a.content)) ?? []), a]);
  const paired = new Set<string>();
  let same = 0;
  let changed = 0;
  let onlyGoogle = 0;
  for (const e of events) {
    const stamped = e.severaGuid === null ? undefined : byGuid.get(e.severaGuid);
    const partner = stamped ?? byKey.get(matchKey(e.content))?.find((a) => !paired.has(a.guid));
    if (partner === undefined || paired.has(partner.guid)) {
      onlyGoogle += 1;
      continue;
    }
    paired.add(partner.guid);
    if (sameContent(partner.content, e.content)) same += 1;
    else changed += 1;
  }
  return { same, changed, onlySevera: activities.length - paired.size, onlyGoogle };
}

function addDiff(a: Diff, b: Diff): Diff {
  return {
    same: a.same + b.same,
    changed: a.changed + b.changed,
    onlySevera: a.onlySevera + b.onlySevera,
    onlyGoogle: a.onlyGoogle + b.onlyGoogle,
  };
}

/** One cycle over every person: two listings each, then the diff. */
export async function pollCycle(deps: PollerDeps, people: readonly SyncUser[]): Promise<PollerCycle> {
  const t0 = performance.now();
  const nowMs = deps.clock.now().getTime();
  const from = new Date(nowMs - deps.settings.pastDays * DAY_MS).toISOString();
  const window = { from, to: new Date(nowMs + deps.settings.futureDays * DAY_MS).toISOString() };
  let diff: Diff = { same: 0, changed: 0, onlySevera: 0, onlyGoogle: 0 };
  let severaPages = 0;
  let googlePages = 0;
  for (const person of people) {
    const activities = await deps.severa.listForUser(person.severaUserGuid, window);
    const listing = await deps.calendar.list(person, { timeMin: from });
    const events = listing.changes.flatMap((c) => (c.kind === 'upsert' ? [c.record] : []));
    severaPages += pages(activities.length, SEVERA_PAGE_SIZE);
    googlePages += pages(events.length, GOOGLE_PAGE_SIZE);
    diff = addDiff(diff, diffSides(activities, events));
  }
  return {
    people: people.length,
    severaCalls: people.length,
    googleCalls: people.length,
    severaPages,
    googlePages,
    ms: performance.now() - t0,
    diff,
  };
}

import { canonicalInstant, type Link, type SeveraRecord } from '../domain/index.js';
import type { Clock, SeveraPort, SyncStore } from '../ports/index.js';

/**
 * Which syncing users a changed activity concerns (S5): its owner and participants who have sync on, and anyone
 * who still has a link to it (someone just taken off it must see their copy removed). Pure.
 */
export function routeSeveraChanges(
  records: readonly SeveraRecord[],
  syncingUserGuids: ReadonlySet<string>,
  linksBySevera: ReadonlyMap<string, readonly Link[]>,
): Map<string, SeveraRecord[]> {
  const routed = new Map<string, SeveraRecord[]>();
  const route = (user: string, record: SeveraRecord) => {
    const list = routed.get(user) ?? [];
    if (!list.some((r) => r.guid === record.guid)) list.push(record);
    routed.set(user, list);
  };
  for (const record of records) {
    for (const user of [record.ownerGuid, ...record.participantGuids]) {
      if (syncingUserGuids.has(user)) route(user, record);
    }
    for (const link of linksBySevera.get(record.guid) ?? []) {
      if (syncingUserGuids.has(link.user)) route(link.user, record);
    }
  }
  return routed;
}

/**
 * Keeps only the newest version of each activity: `changedSince` is "greater or equal" and the watermark overlaps,
 * so the same row comes back on consecutive polls (severa-api.md §15).
 */
export function dedupeByGuid(records: readonly SeveraRecord[]): SeveraRecord[] {
  const newest = new Map<string, SeveraRecord>();
  for (const r of records) {
    const current = newest.get(r.guid);
    if (!current || Date.parse(current.version) < Date.parse(r.version)) newest.set(r.guid, r);
  }
  return [...newest.values()];
}

export interface OrgPollDeps {
  readonly severa: SeveraPort;
  readonly store: SyncStore;
  readonly clock: Clock;
}

export interface OrgPollOptions {
  readonly syncingUserGuids: ReadonlySet<string>;
  /** How far the query reaches back before the watermark, for rows whose timestamps land out of order. */
  readonly overlapMs: number;
  /** Where a first poll starts (no watermark yet). */
  readonly initialLookbackMs: number;
}

export interface OrgPollResult {
  /** Users who received changes: each gets a sync request. */
  readonly users: readonly string[];
  readonly changed: number;
  /** Guids of the activities the poll saw changed (a webhook's guids missing here may have been deleted). */
  readonly guids: readonly string[];
  readonly watermark: string | null;
}

/**
 * One org-wide `changedSince` query per cycle, whatever the number of users (SPEC §5 syncTick, §10 "Severa calls per
 * idle org cycle: 1"). Changes are routed into each user's inbox before the watermark moves, so a crash in between
 * only repeats work.
 */
export async function pollSeveraChanges(deps: OrgPollDeps, options: OrgPollOptions): Promise<OrgPollResult> {
  const nowMs = deps.clock.now().getTime();
  const watermark = await deps.store.getWatermark();
  const sinceMs =
    watermark === null ? nowMs - options.initialLookbackMs : Date.parse(watermark) - options.overlapMs;
  const records = dedupeByGuid(await deps.severa.listChangedSince(new Date(sinceMs).toISOString()));

  const linksBySevera = new Map<string, Link[]>(records.map((r) => [r.guid, []]));
  for (const link of await deps.store.findLinksBySeveraGuids(records.map((r) => r.guid))) {
    linksBySevera.get(link.severaGuid)?.push(link);
  }
  const routed = routeSeveraChanges(records, options.syncingUserGuids, linksBySevera);
  for (const [user, list] of routed) await deps.store.addToInbox(user, list);

  // The watermark is the newest server timestamp seen, never our own clock: no skew between the two matters.
  const newest = records.reduce<number | null>((max, r) => Math.max(max ?? 0, Date.parse(r.version)), null);
  let next = watermark;
  if (newest !== null && (watermark === null || newest > Date.parse(watermark))) {
    next = canonicalInstant(new Date(newest).toISOString());
    await deps.store.setWatermark(next);
  }
  return {
    users: [...routed.keys()].sort(),
    changed: records.length,
    guids: records.map((r) => r.guid),
    watermark: next,
  };
}

import { canonicalInstant, severaRecordFingerprint, type Link, type SeveraRecord } from '../domain/index.js';
import type { Clock, SeveraPollState, SeveraPort, SyncStore } from '../ports/index.js';

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
  /**
   * Which of these users have sync on. Asked only when the poll found something new, and only about the people the
   * new rows concern (owners, participants, link holders): an idle poll reads no user at all.
   */
  readonly syncingAmong: (userGuids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** How far the query reaches back before the watermark, for rows whose timestamps land out of order. */
  readonly overlapMs: number;
  /** Where a first poll starts (no watermark yet). */
  readonly initialLookbackMs: number;
}

export interface OrgPollResult {
  /** Users who received changes: each gets a sync request. */
  readonly users: readonly string[];
  /** Activities routed by this poll: changed since the last poll (rows the overlap returned again are not counted). */
  readonly changed: number;
  /** Guids of every activity the query returned (a webhook's guids missing here may have been deleted). */
  readonly guids: readonly string[];
  readonly watermark: string | null;
}

/** Entries kept in `routed` at most: past it the oldest go, which costs only a repeated routing. */
export const MAX_ROUTED_REMEMBERED = 5_000;

/**
 * How far our clock may run ahead of Severa's. Once the newest stamp seen is older than the overlap and this margin,
 * every row stamped inside the overlap has landed and been polled: the query starts at the watermark itself, so an
 * idle organisation's poll returns only the rows of the watermark's own second (not the last two minutes' rows, on
 * every poll, for as long as nothing newer happens).
 */
export const CLOCK_SKEW_MARGIN_MS = 60_000;

/** Where the next `changedSince` query starts. Pure. */
export function pollStart(
  watermark: string | null,
  nowMs: number,
  options: Pick<OrgPollOptions, 'overlapMs' | 'initialLookbackMs'>,
): number {
  if (watermark === null) return nowMs - options.initialLookbackMs;
  const watermarkMs = Date.parse(watermark);
  const settled = nowMs - watermarkMs >= options.overlapMs + CLOCK_SKEW_MARGIN_MS;
  return settled ? watermarkMs : watermarkMs - options.overlapMs;
}

/**
 * One org-wide `changedSince` query per cycle, whatever the number of users (SPEC §5 syncTick, §10 "Severa calls per
 * idle org cycle: 1"). The query reaches back `overlapMs` before the watermark for rows whose stamps land out of
 * order, so it returns recent rows again: those routed before (same fingerprint) are left alone, and an idle
 * organisation's poll routes nothing. Changes are routed into each user's inbox before the state moves, so a crash
 * in between only repeats work.
 */
export async function pollSeveraChanges(deps: OrgPollDeps, options: OrgPollOptions): Promise<OrgPollResult> {
  const nowMs = deps.clock.now().getTime();
  const state = await deps.store.getSeveraPoll();
  const sinceMs = pollStart(state.watermark, nowMs, options);
  const returned = dedupeByGuid(await deps.severa.listChangedSince(new Date(sinceMs).toISOString()));
  const fingerprints = new Map(returned.map((r) => [r.guid, severaRecordFingerprint(r)]));
  const fresh = returned.filter((r) => state.routed[r.guid] !== fingerprints.get(r.guid));

  const linksBySevera = new Map<string, Link[]>(fresh.map((r) => [r.guid, []]));
  if (fresh.length > 0) {
    for (const link of await deps.store.findLinksBySeveraGuids(fresh.map((r) => r.guid))) {
      linksBySevera.get(link.severaGuid)?.push(link);
    }
  }
  const concerned = new Set<string>();
  for (const r of fresh) for (const user of [r.ownerGuid, ...r.participantGuids]) concerned.add(user);
  for (const links of linksBySevera.values()) for (const link of links) concerned.add(link.user);
  const syncing = concerned.size > 0 ? await options.syncingAmong([...concerned].sort()) : new Set<string>();
  const routed = routeSeveraChanges(fresh, syncing, linksBySevera);
  for (const [user, list] of routed) await deps.store.addToInbox(user, list);

  const next = nextPollState(state, returned, fingerprints, options.overlapMs);
  if (fresh.length > 0 || next.watermark !== state.watermark) await deps.store.setSeveraPoll(next);
  return {
    users: [...routed.keys()].sort(),
    changed: fresh.length,
    guids: returned.map((r) => r.guid),
    watermark: next.watermark,
  };
}

/**
 * The watermark is the newest server stamp seen, never our own clock: no skew between the two matters. `routed`
 * keeps what the next query will return again (stamps at or after the next watermark minus the overlap). Pure.
 */
export function nextPollState(
  state: SeveraPollState,
  returned: readonly SeveraRecord[],
  fingerprints: ReadonlyMap<string, string>,
  overlapMs: number,
): SeveraPollState {
  const newest = returned.reduce<number | null>((max, r) => Math.max(max ?? 0, Date.parse(r.version)), null);
  const watermark =
    newest !== null && (state.watermark === null || newest > Date.parse(state.watermark))
      ? canonicalInstant(new Date(newest).toISOString())
      : state.watermark;
  if (watermark === null) return { watermark, routed: {} };
  const reachedFromMs = Date.parse(watermark) - overlapMs;
  const kept = returned
    .filter((r) => Date.parse(r.version) >= reachedFromMs)
    .sort((a, b) => Date.parse(b.version) - Date.parse(a.version))
    .slice(0, MAX_ROUTED_REMEMBERED);
  return {
    watermark,
    routed: Object.fromEntries(kept.map((r) => [r.guid, fingerprints.get(r.guid) ?? ''])),
  };
}

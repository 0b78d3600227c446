/**
 * B3 deletion safety in a run: deletions held for a person's decision freeze their pairs (not read, not planned),
 * a decision releases them, and the hold is saved as the run leaves it.
 */
import {
  contentHash,
  linkKey,
  type GoogleChange,
  type SeveraChange,
  type SyncUser,
} from '../../domain/index.js';
import type { DeletionHold, HeldDeletion, HoldReason } from '../../ports/index.js';
import { parseInstanceId } from '../recurrence/index.js';
import { readGoogle, type Collected } from './collect.js';
import { step, type RunnerDeps, type SyncRunOptions } from './deps.js';

/** A person's decision on held deletions: confirmed, rejected, or none yet. */
export type HoldDecision = 'confirm' | 'reject' | null;

/** The hold a run starts with. */
export interface HeldAtStart {
  readonly hold: DeletionHold | null;
  readonly decision: HoldDecision;
  readonly heldItems: readonly HeldDeletion[];
  /** Undecided, the held pairs (by link key) are frozen; {@link releaseHeld} lets some go. */
  readonly frozen: Map<string, HeldDeletion>;
}

/** A hold as this run leaves it: what the status says of it. */
export interface OpenHold {
  readonly reason: HoldReason;
  readonly since: string;
  readonly links: number;
  /** Deletions waiting. */
  readonly count: number;
}

/** B3: deletions held for a person's decision. Undecided, their pairs are frozen: not read, not planned. */
export async function readHold(
  deps: RunnerDeps,
  user: SyncUser,
  options: SyncRunOptions,
): Promise<HeldAtStart> {
  const hold = await deps.store.getHold(user.severaUserGuid);
  const decision = options.confirmDeletions === true ? 'confirm' : (hold?.decision?.kind ?? null);
  const heldItems = hold === null ? [] : await deps.store.listHeld(user.severaUserGuid);
  const frozen = new Map(
    decision === null ? heldItems.map((h) => [linkKey(h.link.user, h.link.severaGuid), h] as const) : [],
  );
  return { hold, decision, heldItems, frozen };
}

/**
 * The held pairs this run lets go, with what their planning needs. On a decision every held pair goes back to the
 * planner: the deletion its hold saw is told again (an event merely missing from an empty listing is read first),
 * and a rejection asks for the entry to be made again. Undecided, a pair whose remaining side changed since is let
 * go too (a change wins over a deletion, SPEC §6), and one whose deleted side came back; the rest stay frozen.
 */
export async function releaseHeld(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
  heldItems: readonly HeldDeletion[],
  frozen: Map<string, HeldDeletion>,
  decision: HoldDecision,
): Promise<{
  readonly google: GoogleChange[];
  readonly severa: SeveraChange[];
  readonly restore: Map<string, HeldDeletion['side']>;
}> {
  const google: GoogleChange[] = [];
  const severa: SeveraChange[] = [];
  const restore = new Map<string, HeldDeletion['side']>();
  const googleNews = new Map(
    collected.google.changes.map((c) => [c.kind === 'deleted' ? c.id : c.record.id, c] as const),
  );
  const told = (item: HeldDeletion) => {
    if (item.side === 'google') {
      if (!collected.severa.has(item.link.severaGuid))
        severa.push({ kind: 'deleted', guid: item.link.severaGuid });
    } else if (!googleNews.has(item.link.googleId)) google.push({ kind: 'deleted', id: item.link.googleId });
  };
  for (const item of heldItems) {
    const key = linkKey(item.link.user, item.link.severaGuid);
    const g = googleNews.get(item.link.googleId);
    const s = collected.severa.get(item.link.severaGuid);
    if (decision !== null) {
      // An occurrence whose series changed since the hold may be there again (the series moved back, or was
      // reshaped onto it): read, not assumed.
      const master = parseInstanceId(item.link.googleId)?.masterId;
      const seriesChanged = master !== undefined && googleNews.get(master)?.kind === 'upsert';
      let gone = item.confirmed && !seriesChanged;
      if (gone) told(item);
      else if (g === undefined) {
        const [read] = await readGoogle(deps, user, [item.link.googleId]);
        if (read) google.push(read);
        gone = read?.kind === 'deleted';
      } else gone = g.kind === 'deleted';
      if (decision === 'reject' && gone) restore.set(key, item.side);
      continue;
    }
    const changed = (c: GoogleChange | SeveraChange | undefined, hash: string) =>
      c?.kind === 'upsert' && contentHash(c.record.content) !== hash;
    const remainingChanged =
      item.side === 'severa' ? changed(s, item.link.severa.hash) : changed(g, item.link.google.hash);
    const cameBack = item.side === 'severa' ? g?.kind === 'upsert' : s?.kind === 'upsert' && !item.confirmed;
    if (!remainingChanged && !cameBack) continue;
    frozen.delete(key);
    if (remainingChanged && !cameBack && item.confirmed) told(item);
    else if (!item.confirmed && g === undefined) {
      // Merely missing from an empty listing: whether the event is there is read now, not assumed.
      google.push(...(await readGoogle(deps, user, [item.link.googleId])));
    }
  }
  return { google, severa, restore };
}

/**
 * Saves the hold as this run leaves it: decided holds end once their run settled every item; undecided, the pairs
 * let go leave it and this run's new held deletions join it. Returns what the status says, or null: no hold.
 */
export async function keepHold(
  deps: RunnerDeps,
  user: SyncUser,
  run: {
    readonly hold: DeletionHold | null;
    readonly decision: HoldDecision;
    readonly heldItems: readonly HeldDeletion[];
    readonly frozen: ReadonlyMap<string, HeldDeletion>;
    readonly newlyHeld: readonly HeldDeletion[];
    readonly reason: HoldReason;
    readonly links: number;
    readonly settled: boolean;
    readonly now: string;
  },
): Promise<OpenHold | null> {
  const { store } = deps;
  const userGuid = user.severaUserGuid;
  const keyOf = (h: HeldDeletion) => linkKey(h.link.user, h.link.severaGuid);
  let hold = run.hold;
  let waiting = new Set(run.frozen.keys());
  if (run.decision !== null && hold !== null) {
    if (!run.settled) return { ...hold, count: hold.deletions };
    await store.deleteHeld(userGuid, run.heldItems.map(keyOf));
    step(deps, 'store.deleteHeld');
    await store.setHold(userGuid, null);
    step(deps, 'store.setHold');
    hold = null;
    waiting = new Set();
  } else if (run.decision === null) {
    const letGo = run.heldItems.map(keyOf).filter((k) => !waiting.has(k));
    if (letGo.length > 0) {
      await store.deleteHeld(userGuid, letGo);
      step(deps, 'store.deleteHeld');
    }
  }
  if (run.newlyHeld.length > 0) {
    await store.putHeld(userGuid, run.newlyHeld);
    step(deps, 'store.putHeld');
    for (const h of run.newlyHeld) waiting.add(keyOf(h));
  }
  if (waiting.size === 0) {
    if (hold !== null) {
      await store.setHold(userGuid, null);
      step(deps, 'store.setHold');
    }
    return null;
  }
  if (hold === null || hold.deletions !== waiting.size) {
    hold = {
      reason: hold?.reason ?? run.reason,
      since: hold?.since ?? run.now,
      links: hold?.links ?? run.links,
      deletions: waiting.size,
      decision: null,
    };
    await store.setHold(userGuid, hold);
    step(deps, 'store.setHold');
  }
  return { reason: hold.reason, since: hold.since, links: hold.links, count: waiting.size };
}

/** What a person (and the administrator who decides) reads about a hold (B3, B7). */
export function holdWords(user: SyncUser, hold: OpenHold): string {
  const decide =
    "An administrator confirms them, or releases them to restore the entries, on the console's Health page " +
    `(or with "npm run cli -- user hold confirm ${user.email}" or "… reject").`;
  const what =
    hold.reason === 'google-listing-empty'
      ? `Google returned an empty calendar for ${user.email} while ${hold.count} synced entries exist: their ` +
        'deletion is held.'
      : `${hold.count} deletions are held for ${user.email}: together they would delete ${hold.count} of ` +
        `${hold.links} synced entries at once.`;
  return `${what} Nothing was deleted, and everything else keeps syncing. ${decide}`;
}

/**
 * The planner: collect → **plan** → apply (STYLE "Pure planner"). It composes the phases, each in its own module:
 * index both sides (index-sides.ts), decide each link by the table of SPEC §6 (decide.ts), decide the items
 * without a link (match-unlinked.ts), leave out what a side refused for good (refusals.ts) and hold deletions
 * (deletion-hold.ts). No I/O and no clock: the same input always gives the same plan.
 */
import type { GoogleChange, Link, SeveraChange, SyncUser } from '../../domain/index.js';
import type { EntryNote, HeldDeletion, HoldReason } from '../../ports/index.js';
import type { SyncSettings } from '../../domain/settings.js';
import type { Action } from './actions.js';
import { GONE_FROM_BOTH_SIDES, decideLink } from './decide.js';
import type { Decision, PlanContext } from './decision.js';
import { holdDeletions } from './deletion-hold.js';
import { indexSides } from './index-sides.js';
import { matchUnlinked } from './match-unlinked.js';
import { dropRefused } from './refusals.js';

const DAY_MS = 86_400_000;

/** Everything the planner knows for one user's run. No I/O happens inside {@link planSync}. */
export interface PlanInput {
  readonly user: SyncUser;
  /** This user's links. */
  readonly links: readonly Link[];
  /**
   * Google changes. `complete` means a full listing of the window (first sync or after a 410): then a linked event
   * that is absent was deleted. Otherwise (sync-token delta) absence means "unchanged".
   */
  readonly google: { readonly complete: boolean; readonly changes: readonly GoogleChange[] };
  /**
   * Severa changes routed to this user. Severa never reports deletions (severa-api.md §11): `deleted` entries are
   * only those the runner confirmed with a 404.
   */
  readonly severa: { readonly changes: readonly SeveraChange[] };
  /** Other users' links to the Severa activities and meetings (iCalUIDs) in this run: for B5. */
  readonly peerLinks: readonly Link[];
  readonly settings: SyncSettings;
  /** Canonical instant: the core reads no clock. */
  readonly now: string;
  /** The user confirmed a held mass deletion (B3). */
  readonly confirmDeletions: boolean;
  /**
   * Activities read from Severa in this run, as opposed to records a poll routed earlier (which may be stale by now).
   * Absent: every record is fresh. An activity is only copied to Google or deleted on a fresh read.
   */
  readonly freshSevera?: ReadonlySet<string>;
  /** Activities whose other attendees' links `peerLinks` holds, all of them (absent: all are known). */
  readonly peersKnown?: ReadonlySet<string>;
  /**
   * Entries a side refused for good (key → fingerprint, see refusals.ts `refusalOf`): not planned again while they are
   * unchanged (issue 9 #8).
   */
  readonly refused?: ReadonlyMap<string, string>;
  /** B3: pairs (link keys) whose deletion is held: left alone entirely until the hold is decided. */
  readonly frozen?: ReadonlySet<string>;
  /**
   * Held deletions a person rejected (link key → the side whose entry went): the entry is made again from the
   * other side instead of the deletion spreading.
   */
  readonly restore?: ReadonlyMap<string, HeldDeletion['side']>;
  /** A hold is open (B3): every further deletion waits with it for the person's decision. */
  readonly holdOpen?: boolean;
}

export interface NeedsRead {
  /** Severa activity guids. */
  readonly severa: readonly string[];
  /** Google event ids. */
  readonly google: readonly string[];
  /** Severa activity guids whose other syncing attendees' links are needed (B5 hand-over). */
  readonly peers: readonly string[];
}

export interface Plan {
  readonly actions: readonly Action[];
  /**
   * B3: set when this run holds deletions (it would delete too much at once, Google listed an empty calendar, or a
   * hold is open already). Only the deletions wait, in `heldDeletions`; every other action is in `actions`.
   */
  readonly held: null | { readonly reason: HoldReason; readonly deletions: number; readonly links: number };
  readonly heldDeletions: readonly HeldDeletion[];
  /** Things only a person can fix, in plain words (shown on the user's status). */
  readonly problems: readonly string[];
  /** Entries that sync with a difference the person should know of (shown on the status, with the entry). */
  readonly notes: readonly EntryNote[];
  /**
   * What to read before the plan is complete: a deletion is only planned on an activity freshly read, and a kept-apart
   * series is only written knowing the person's dates in Google. The runner reads them and plans again.
   */
  readonly needsRead: NeedsRead;
  /** Unlinked Google events left out, by `eventType` (working location, birthdays, …: rules.ts `googleEventKind`). */
  readonly leftOut: Readonly<Record<string, number>>;
}

/**
 * Plans one user's sync: the decision table of SPEC §6 over the user's links and the changes of both sides.
 * Pure: the same input always gives the same plan.
 */
export function planSync(input: PlanInput): Plan {
  const { settings } = input;
  const nowMs = Date.parse(input.now);
  const cutoffMs = nowMs - settings.pastDays * DAY_MS;
  const horizonMs = nowMs + settings.futureDays * DAY_MS;
  const sides = indexSides({ ...input, cutoffMs, horizonMs });
  const ctx: PlanContext = {
    user: input.user,
    settings,
    sides,
    peerLinks: input.peerLinks,
    fresh: (guid) => input.freshSevera?.has(guid) ?? true,
    peersKnown: (guid) => input.peersKnown?.has(guid) ?? true,
    refused: input.refused,
    restore: input.restore,
    cutoffMs,
  };
  const linked = input.links.map((link) => decideLink(ctx, link));
  const unlinked = matchUnlinked(ctx, {
    google: [...input.links.map((l) => l.googleId), ...linked.flatMap((d) => d.claims ?? [])],
    severa: input.links.map((l) => l.severaGuid),
  });
  const { actions, problems, notes, needsRead } = gather([...linked, ...unlinked], sides.readFirst);
  const hold = holdDeletions(dropRefused(unlinkGoneLast(actions), input.refused), {
    safety: settings.deletionSafety,
    links: input.links.length,
    holdOpen: input.holdOpen === true,
    confirmDeletions: input.confirmDeletions,
    emptyListingHeld: sides.emptyListingHeld,
  });
  return {
    actions: hold.actions,
    held: hold.held,
    heldDeletions: hold.heldDeletions,
    problems,
    notes,
    needsRead,
    leftOut: sides.leftOut,
  };
}

/** The decisions of every row, in order, as one plan's parts. */
function gather(decisions: readonly Decision[], readFirst: readonly string[]) {
  const actions: Action[] = [];
  const problems: string[] = [];
  const notes: EntryNote[] = [];
  const needsRead = { severa: [...readFirst], google: [] as string[], peers: [] as string[] };
  for (const d of decisions) {
    actions.push(...d.actions);
    if (d.read !== undefined) needsRead[d.read.side].push(d.read.id);
    if (d.note !== undefined) notes.push(d.note);
    if (d.problem !== undefined && !problems.includes(d.problem)) problems.push(d.problem);
  }
  return { actions, problems, notes, needsRead };
}

/**
 * A pair gone from both sides lets go of its link last: when its Google series is re-created as its occurrences
 * (its activity deleted while its dates were kept apart), that link is what says the copy is being re-created; a
 * run that dies after the unlink but before the creates would leave the copy as nobody's (found by the model).
 */
function unlinkGoneLast(actions: readonly Action[]): readonly Action[] {
  const goneBoth = (a: Action) => a.kind === 'unlink' && a.why === GONE_FROM_BOTH_SIDES;
  return [...actions.filter((a) => !goneBoth(a)), ...actions.filter(goneBoth)];
}

/**
 * B3, deletion safety, where it touches the plan: a held deletion a person rejected is undone (the entry that went
 * is made again), and a run that would delete too much, or runs while a hold is open, holds its deletions for a
 * person's word. (A full Google listing that comes back empty holds its pairs as it is indexed: index-sides.ts.)
 * Pure.
 */
import type { GoogleRecord, Link, SeveraRecord } from '../../domain/index.js';
import type { HeldDeletion, HoldReason } from '../../ports/index.js';
import type { DeletionSafety } from '../../domain/settings.js';
import type { Action } from './actions.js';
import { act, readFirst, recreateGoogle, recreateInSevera } from './decision.js';
import type { Decision, PlanContext } from './decision.js';
import type { SideChange } from './side-change.js';

/**
 * A held deletion the person rejected (B3): the entry that went is made again from the other side. Null when
 * that entry is there after all (the pair is then planned as usual).
 */
export function restoreHeld(
  ctx: PlanContext,
  link: Link,
  g: SideChange<GoogleRecord>,
  s: SideChange<SeveraRecord>,
  side: HeldDeletion['side'],
): Decision | null {
  if (side === 'severa') {
    // The event went; the activity stays and gets a new copy.
    if ('record' in g) return null;
    if (s.state === 'deleted')
      return act({ kind: 'unlink', link, why: 'held deletion rejected: gone on both sides' });
    if (!('record' in s) || !ctx.fresh(link.severaGuid)) return readFirst('severa', link.severaGuid);
    return recreateGoogle(s.record, link, 'held deletion rejected: the event is made again');
  }
  // The activity went; the event stays and gets a new activity.
  if ('record' in s) return null;
  if (g.state === 'deleted')
    return act({ kind: 'unlink', link, why: 'held deletion rejected: gone on both sides' });
  if (!('record' in g)) return readFirst('google', link.googleId);
  return recreateInSevera(ctx, g.record, link, 'held deletion rejected: the activity is made again');
}

export interface HoldInput {
  readonly safety: DeletionSafety;
  /** How many links the user has. */
  readonly links: number;
  /** A hold is open already: every further deletion waits with it. */
  readonly holdOpen: boolean;
  /** The user confirmed a held mass deletion. */
  readonly confirmDeletions: boolean;
  /** Pairs an empty Google listing holds (index-sides.ts). */
  readonly emptyListingHeld: readonly HeldDeletion[];
}

export interface Held {
  /** The plan's actions without the deletions held. */
  readonly actions: readonly Action[];
  readonly held: null | { readonly reason: HoldReason; readonly deletions: number; readonly links: number };
  readonly heldDeletions: readonly HeldDeletion[];
}

/**
 * B3: a run that would delete too much holds its deletions (only those: everything else goes on), and so does
 * every run while a hold is open.
 */
export function holdDeletions(planned: readonly Action[], input: HoldInput): Held {
  const actions = [...planned];
  const deletions = actions.filter((a) => a.kind === 'delete-google' || a.kind === 'delete-severa').length;
  const { maxCount, maxShare, shareFloor } = input.safety;
  const linkCount = Math.max(1, input.links);
  const tooMany = deletions > maxCount || (deletions >= shareFloor && deletions / linkCount > maxShare);
  const heldDeletions = [...input.emptyListingHeld];
  if ((tooMany || input.holdOpen) && !input.confirmDeletions) {
    for (let i = actions.length - 1; i >= 0; i -= 1) {
      const action = actions[i] as Action;
      // A stale copy of ours (no link) is no entry of the person's: its removal is not held.
      if (action.kind !== 'delete-google' && action.kind !== 'delete-severa') continue;
      if (action.link === null) continue;
      heldDeletions.push({
        link: action.link,
        side: action.kind === 'delete-google' ? 'google' : 'severa',
        confirmed: true,
      });
      actions.splice(i, 1);
    }
  }
  const held =
    heldDeletions.length === 0
      ? null
      : {
          reason:
            input.emptyListingHeld.length > 0
              ? ('google-listing-empty' as const)
              : ('too-many-deletions' as const),
          deletions: heldDeletions.length,
          links: input.links,
        };
  return { actions, held, heldDeletions };
}

import { deleteExpectationOf, type GoogleRecord, type Link, type SeveraRecord } from '../../domain/index.js';
import { severaExclusion } from '../rules.js';
import type { Action } from './actions.js';
import { act, readFirst, recreateGoogle, recreateInSevera } from './decision.js';
import type { Decision, PlanContext } from './decision.js';
import { pairAction } from './pair.js';
import { isRefused } from './refusals.js';
import { MATCHED } from './match-unlinked.js';
import type { SideChange } from './side-change.js';

/**
 * A pairing the run did not finish (Link.pendingPair): whether a join happened is known only from the activity as
 * it is now, and the two are merged as strangers, as first planned. The event is the person's and is never dropped.
 */
export function resumePair(
  ctx: PlanContext,
  link: Link,
  g: SideChange<GoogleRecord>,
  s: SideChange<SeveraRecord>,
): Decision {
  const userGuid = ctx.user.severaUserGuid;
  if (s.state === 'deleted') {
    if (g.state === 'deleted') return act({ kind: 'unlink', link, why: 'joining: gone from both sides' });
    if (!('record' in g)) return readFirst('google', link.googleId);
    // Case: the meeting's activity went while this user was joining it → the event comes to Severa anew (or joins
    // the activity another attendee made again, B5).
    return recreateInSevera(ctx, g.record, link, 'joining a deleted activity: created anew');
  }
  if (!('record' in s) || !ctx.fresh(link.severaGuid)) return readFirst('severa', link.severaGuid);
  const record = s.record;
  const involved = record.ownerGuid === userGuid || record.participantGuids.includes(userGuid);
  if (severaExclusion(record, userGuid, ctx.settings, link) === 'project-task') {
    // Case: the activity became a project task while this user was joining it → project tasks never sync (S3): the
    // event stays the person's own and the pair is released, or forgotten if the event is gone too (found by the
    // model: seed -1166831662, the join's pairing refused by Google and waiting on it forever).
    return act(
      g.state === 'deleted'
        ? { kind: 'unlink', link, why: 'joining: deleted in Google, and the activity is a project task' }
        : { kind: 'release', link, why: 'joining: the activity became a project task' },
    );
  }
  if (g.state === 'deleted') {
    // Case: the person deleted the event while joining → leave the activity if the join happened. An activity
    // handed to this user meanwhile (B5) is not deleted: with no synced state, a change to it cannot be ruled
    // out, and a change wins over a deletion (SPEC §6) → its copy is made again.
    if (!involved) return act({ kind: 'unlink', link, why: 'joining: deleted in Google' });
    if (record.ownerGuid === userGuid)
      return recreateGoogle(record, link, 'joining: deleted in Google, the activity is kept');
    return act({
      kind: 'delete-severa',
      link,
      mode: 'participation',
      expected: deleteExpectationOf(record),
      why: 'joining: deleted in Google',
    });
  }
  if (!('record' in g)) return readFirst('google', link.googleId);
  // Case: joined (or adopted, or matched) → pair; not joined yet → join again; taken off an adopted or matched
  // activity since → released.
  if (involved)
    return act(
      link.pendingPair === 'match'
        ? pairAction(record, g.record, 'matched', MATCHED, ctx.user, ctx.settings)
        : pairAction(record, g.record, 'google', 'paired with the meeting (B5)', ctx.user, ctx.settings),
    );
  if (link.pendingPair !== 'join')
    return act({ kind: 'release', link, why: `${link.pendingPair}ing: no longer on the activity` });
  const join: Action = {
    kind: 'join-severa',
    google: g.record,
    severaGuid: link.severaGuid,
    replaces: link,
    why: 'joining the meeting again (B5)',
  };
  if (isRefused(join, ctx.refused)) {
    // Case: Severa took the join but Google refused the pairing for good (a refused join leaves no pending link
    // otherwise), and a person has since taken this user off the activity → released: joining again would undo
    // their change, and the refused join would wait forever (found by the model: seed -1545046647).
    return act({ kind: 'release', link, why: 'joined, refused by Google, then taken off the activity' });
  }
  return act(join);
}

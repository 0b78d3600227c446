/** Other syncing attendees' links the planner needs for shared meetings (B5): joins, hand-overs, deletions. */
import type { GoogleChange, Link, SeveraChange, SyncUser } from '../../domain/index.js';
import type { RunnerDeps } from './deps.js';
import { othersMayResolve, resolveIntent } from './intents.js';

/**
 * Other users' links to the meetings and activities of this run, and the activities whose links were all looked up
 * (`of`: the planner's `peersKnown`).
 */
export async function peerLinks(
  deps: RunnerDeps,
  now: string,
  user: SyncUser,
  links: readonly Link[],
  google: readonly GoogleChange[],
  severa: ReadonlyMap<string, SeveraChange>,
  gone: readonly Link[],
  asked: ReadonlySet<string>,
): Promise<{ readonly links: Link[]; readonly of: Set<string> }> {
  const { store } = deps;
  const linkedGoogle = new Set(links.map((l) => l.googleId));
  const linkedSevera = new Set(links.map((l) => l.severaGuid));
  const found = new Map<string, Link>();
  const of = new Set<string>();
  const add = (list: readonly Link[]) => {
    for (const l of list) if (l.user !== user.severaUserGuid) found.set(`${l.user}|${l.severaGuid}`, l);
  };
  const bySevera = async (guid: string) => {
    if (of.has(guid)) return;
    of.add(guid);
    add(await store.findLinksBySeveraGuid(guid));
  };
  const linkByGoogle = new Map(links.map((l) => [l.googleId, l]));
  for (const c of google) {
    if (c.kind !== 'upsert') continue;
    // Unlinked events may be meetings another attendee brought in; so may linked ones whose activity was deleted.
    const link = linkByGoogle.get(c.record.id);
    if (!linkedGoogle.has(c.record.id) || (link && severa.get(link.severaGuid)?.kind === 'deleted')) {
      // Another attendee's run may have created the meeting's activity and died before linking it: finish that,
      // once its claim has lapsed (until then, its own next run does).
      for (const other of await store.findIntentsByICalUID(c.record.iCalUID)) {
        if (other.user !== user.severaUserGuid && othersMayResolve(other.intent, now))
          await resolveIntent(deps, other.user, other.intent, now);
      }
      add(await store.findLinksByICalUID(c.record.iCalUID));
    }
  }
  for (const [guid, c] of severa) {
    if (c.kind === 'upsert' && !linkedSevera.has(guid)) await bySevera(guid);
  }
  // A Google copy of a shared meeting is gone: do other syncing attendees still have it? (Also what the planner asked
  // about: an activity it would delete that others take part in.)
  for (const link of gone) await bySevera(link.severaGuid);
  for (const guid of asked) await bySevera(guid);
  return { links: [...found.values()], of };
}

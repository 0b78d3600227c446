/**
 * Severa creates and crashes: Severa has no idempotency key, so before creating an activity the runner writes a
 * create intent; these find the activity an intent may have produced before its run died.
 */
import { contentHash, type SeveraRecord } from '../../domain/index.js';
import type { CreateIntent } from '../../ports/index.js';
import { matchKey } from '../matching.js';
import { step, type RunnerDeps } from './deps.js';

const DAY_MS = 86_400_000;
/** Clocks of Severa and of our functions may differ by a few seconds (SPEC §11). */
const CLOCK_SKEW_MS = 60_000;
/**
 * How long a meeting claim keeps other attendees out (B5, apply-create.ts): one older than this is taken over, its
 * holder's run having died and never come back. So too another attendee's run leaves an intent this long to the run
 * that wrote it.
 */
export const MEETING_CLAIM_TTL_MS = 10 * 60_000;

/**
 * Whether another attendee's run may resolve this intent: only once the claim it was written under has lapsed.
 * Younger, its own user's run may still be creating, and an activity of the same content that run creates for
 * another event (a duplicate) would be taken for this one's; meanwhile the claim keeps the meeting from a second
 * activity, and the user's next run resolves its own intent.
 */
export function othersMayResolve(intent: CreateIntent, now: string): boolean {
  return Date.parse(intent.at) <= Date.parse(now) - MEETING_CLAIM_TTL_MS;
}

/**
 * Looks for the activity a create intent may have produced before its run died; when found, saves the link that
 * run would have saved. Safe to call from any user's run (another attendee's intent, B5) and to repeat.
 */
export async function resolveIntent(
  deps: RunnerDeps,
  user: string,
  intent: CreateIntent,
  now: string,
): Promise<SeveraRecord | null> {
  const { store, severa, settings } = deps;
  const links = await store.listLinks(user);
  // A link of the event to another activity than the one this create replaces: the create's link was saved.
  const previous = links.find((l) => l.googleId === intent.googleId);
  if (previous && previous.severaGuid !== (intent.replaces ?? null)) return null;
  const linked = new Set((await store.findLinksByICalUID(intent.iCalUID)).map((l) => l.severaGuid));
  for (const l of links) linked.add(l.severaGuid);
  const nowMs = Date.parse(now);
  const window = {
    from: new Date(Math.min(Date.parse(intent.from), nowMs - settings.pastDays * DAY_MS)).toISOString(),
    to: new Date(Math.max(Date.parse(intent.to), nowMs + settings.futureDays * DAY_MS)).toISOString(),
  };
  // The activity we created is an unlinked one of the owner, created by our API user since the intent was written,
  // with exactly the intended content. Nothing looser is safe: a person's own activity must never be taken for
  // ours. (A person who edits it between a crash and the redelivery leaves one duplicate: docs/sync-engine.md.)
  const since = Date.parse(intent.at) - CLOCK_SKEW_MS;
  const apiUser = await severa.apiUserGuid();
  const key = matchKey(intent.content);
  const ours = (rows: readonly SeveraRecord[]) =>
    rows
      .filter(
        (r) =>
          !linked.has(r.guid) &&
          r.ownerGuid === intent.ownerGuid &&
          r.createdAt !== null &&
          Date.parse(r.createdAt) >= since &&
          (apiUser === null || r.createdBy === apiUser) &&
          matchKey(r.content) === key,
      )
      .sort((a, b) => (a.guid < b.guid ? -1 : 1))[0];
  // The window listing shows a series only by its occurrences: one whose every occurrence is cancelled (a Google
  // series emptied by exceptions) is found among what changed since the intent instead.
  const created =
    ours(await severa.listForUser(intent.ownerGuid, window)) ??
    ours(await severa.listChangedSince(new Date(since).toISOString()));
  if (created === undefined) return null;
  await store.putLink(
    {
      user,
      severaGuid: created.guid,
      googleId: intent.googleId,
      iCalUID: intent.iCalUID,
      origin: 'google',
      // What we created, not what it is now: a person's edit since then must show as a change to sync.
      severa: { version: '', hash: contentHash(intent.content) },
      // The event's etag at the time is unknown: the next listing shows it as churn, or as the change it is.
      google: { version: '', hash: contentHash(intent.content) },
      base: intent.content,
      syncedAt: now,
      activityType: created.activityType.guid,
    },
    previous,
  );
  step(deps, 'store.putLink');
  await store.deleteIntent(user, intent.googleId);
  await store.releaseMeeting(intent.iCalUID, user);
  return created;
}

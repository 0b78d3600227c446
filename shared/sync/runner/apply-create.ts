/**
 * Applying the actions that make a new pair: a Google copy of an activity, a Severa activity for an event, a meeting
 * joined (B5). Each leaves a trace before its remote write (a pending link, a create intent), so that a lost answer
 * or a crash leaves something that knows what was under way.
 */
import {
  contentHash,
  DeferredError,
  NotFoundError,
  PermanentError,
  sameContent,
  sideVersionOf,
  timingEndMs,
  timingStartMs,
  type GoogleRecord,
  type Link,
  type LinkOrigin,
  type PendingPair,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/index.js';
import { pairAction } from '../plan/pair.js';
import type {
  CreateGoogleAction,
  CreateSeveraAction,
  JoinSeveraAction,
  UpdateAction,
} from '../plan/index.js';
import { parseInstanceId } from '../recurrence/index.js';
import type { ApplyContext } from './apply.js';
import { applyUpdate } from './apply-update.js';
import { step, type RunnerDeps } from './deps.js';
import { MEETING_CLAIM_TTL_MS, othersMayResolve, resolveIntent } from './intents.js';

const DAY_MS = 86_400_000;

/** The Google copy of an activity, with its deterministic id (B4); or the user's own copy of the meeting, adopted. */
export async function applyCreateGoogle(ctx: ApplyContext, action: CreateGoogleAction): Promise<void> {
  const { deps, user, now } = ctx;
  const { calendar, store } = deps;
  const s = action.severa;
  const write = { content: s.content, severaGuid: s.guid };
  if (action.adoptICalUID !== null && (await adoptMeeting(ctx, action, action.adoptICalUID))) return;
  // The link first, marked pending with what is about to be written: a lost answer leaves a link that knows it.
  const pending: Link = {
    user: user.severaUserGuid,
    severaGuid: s.guid,
    googleId: action.googleId,
    iCalUID: null,
    origin: 'severa',
    severa: sideVersionOf(s),
    google: { version: '', hash: contentHash(s.content) },
    base: s.content,
    syncedAt: now,
    activityType: s.activityType.guid,
    pendingInsert: true,
  };
  await store.putLink(pending, action.replaces ?? undefined);
  step(deps, 'store.putLink');
  let inserted;
  try {
    inserted = await calendar.insert(user, action.googleId, write);
  } catch (error) {
    // Refused (a 4xx): nothing was created, and the pending link has nothing to wait for.
    if (error instanceof PermanentError) await store.deleteLink(pending);
    throw error;
  }
  let record = inserted.record;
  step(deps, 'calendar.insert');
  if (!inserted.created && !sameContent(record.content, s.content)) {
    // 409: an earlier attempt's event is there, with older content or with the person's edits since (its
    // response was lost before the link was saved). Without a common history the two merge field by field, the
    // later change winning, privacy the more private (B6): a person's edit is not overwritten.
    const merge = pairAction(s, record, 'severa', action.why, user, deps.settings);
    await applyUpdate(deps, user, merge, now, action.replaces ?? undefined);
    ctx.audit(s.guid, record.id, merge.decisions);
    return;
  }
  if (!sameContent(record.content, s.content)) {
    record = await calendar.update(user, action.googleId, record.etag, write);
    step(deps, 'calendar.update');
  }
  await store.putLink(newLink(user, s, record, 'severa', s.content, now));
  ctx.audit(s.guid, record.id);
  step(deps, 'store.putLink');
}

/** B5: this user may already hold the meeting the activity came from; pair with it instead of copying. */
async function adoptMeeting(
  ctx: ApplyContext,
  action: CreateGoogleAction,
  iCalUID: string,
): Promise<boolean> {
  const { deps, user, now } = ctx;
  const s = action.severa;
  const existing = await deps.calendar.findByICalUID(user, iCalUID);
  if (!existing) return false;
  await pendingPair(deps, user, s.guid, existing, 'adopt', now, action.replaces ?? undefined);
  await applyUpdate(deps, user, pairAction(s, existing, 'google', action.why, user, deps.settings), now);
  ctx.audit(s.guid, existing.id);
  return true;
}

/** The Severa activity for a Google event, under a create intent and the meeting's claim. */
export async function applyCreateSevera(ctx: ApplyContext, action: CreateSeveraAction): Promise<void> {
  const { deps, user, now } = ctx;
  const { severa, store } = deps;
  const g = action.google;
  const span = spanOf(g);
  // Severa has no idempotency key: leave a note first, so a crash after the create is recovered by matching.
  await store.putIntent(user.severaUserGuid, {
    googleId: g.id,
    iCalUID: g.iCalUID,
    content: g.content,
    ownerGuid: user.severaUserGuid,
    from: span.from,
    to: span.to,
    at: now,
    replaces: action.replaces?.severaGuid ?? null,
  });
  step(deps, 'store.putIntent');
  try {
    await claimMeeting(deps, user, g, now, ctx.seenPeers);
  } catch (error) {
    // Deferred to another attendee: nothing was created, so the intent goes. Left open, it would later take an
    // activity this user creates with the same content (a duplicate of the event) for this event's.
    if (error instanceof DeferredError) await store.deleteIntent(user.severaUserGuid, g.id);
    throw error;
  }
  let created: SeveraRecord;
  try {
    created = await severa.create({
      content: g.content,
      activityTypeGuid: action.activityTypeGuid,
      ownerGuid: user.severaUserGuid,
    });
  } catch (error) {
    if (error instanceof PermanentError) {
      // Refused (a 4xx): nothing was created, so there is nothing to look for later. A pair this was to
      // re-create ends (its activity is gone): the event waits as the person's own, its refusal noted.
      await store.deleteIntent(user.severaUserGuid, g.id);
      await store.releaseMeeting(g.iCalUID, user.severaUserGuid);
      if (action.replaces) await store.deleteLink(action.replaces);
      throw error;
    }
    // A lost response may hide a successful create: look for it now, before anyone can edit it.
    const intent = (await store.listIntents(user.severaUserGuid)).find((i) => i.googleId === g.id);
    if (intent) await resolveIntent(deps, user.severaUserGuid, intent, now);
    throw error;
  }
  step(deps, 'severa.create');
  await store.putLink(newLink(user, created, g, 'google', g.content, now), action.replaces ?? undefined);
  ctx.audit(created.guid, g.id);
  step(deps, 'store.putLink');
  await store.deleteIntent(user.severaUserGuid, g.id);
  await store.releaseMeeting(g.iCalUID, user.severaUserGuid);
}

/**
 * S6: an event paired with an activity of the same content. Another attendee's run may be bringing the same meeting
 * to Severa at this moment (a create under the meeting claim, B5), which would give the meeting a second activity.
 * So the pair is marked first (a pending link, which that create checks for under its claim) and then checked
 * against that attendee's open create (its intent) and the links saved since this run planned: whichever of the two
 * marked first is seen by the other, and one of them waits for the next run.
 */
export async function applyMatch(
  ctx: ApplyContext,
  action: UpdateAction & { readonly iCalUID: string },
): Promise<void> {
  const { deps, user, now } = ctx;
  const { store } = deps;
  const me = user.severaUserGuid;
  const sameMeeting = samePartOf(action.googleId);
  const event = { id: action.googleId, iCalUID: action.iCalUID, content: action.content };
  const pending = await pendingPair(deps, user, action.severaGuid, event, 'match', now);
  const intents = await store.findIntentsByICalUID(action.iCalUID);
  // This user's own create intent for the event is void: it is paired, not created (an activity that create made
  // would have been found before planning, intents.ts). Left open, it would keep the other attendees' pairs waiting.
  if (intents.some((i) => i.user === me && i.intent.googleId === action.googleId)) {
    await store.deleteIntent(me, action.googleId);
    step(deps, 'store.deleteIntent');
  }
  const creating = intents.some(
    (i) => i.user !== me && !othersMayResolve(i.intent, now) && sameMeeting(i.intent.googleId),
  );
  const linked = (await store.findLinksByICalUID(action.iCalUID)).some(
    (l) =>
      l.user !== me &&
      l.dormant !== true &&
      l.severaGuid !== action.severaGuid &&
      !ctx.seenPeers.has(`${l.user}|${l.severaGuid}`) &&
      sameMeeting(l.googleId),
  );
  if (creating || linked) {
    await store.deleteLink(pending);
    step(deps, 'store.deleteLink');
    throw new DeferredError(
      'another attendee is bringing this meeting to Severa; it is paired on the next run',
    );
  }
  await applyUpdate(deps, user, action, now, pending);
  ctx.audit(action.severaGuid, action.googleId, action.decisions);
}

/** The user joins the activity that already stands for the meeting (B5), and the pair is merged. */
export async function applyJoinSevera(ctx: ApplyContext, action: JoinSeveraAction): Promise<void> {
  const { deps, user, now } = ctx;
  // The link first, marked pending: a run that stops after the join leaves a link that knows to look.
  const pending = await pendingPair(
    deps,
    user,
    action.severaGuid,
    action.google,
    'join',
    now,
    action.replaces ?? undefined,
  );
  let joined;
  try {
    joined = await deps.severa.addParticipant(action.severaGuid, user.severaUserGuid);
  } catch (error) {
    // Refused (a 4xx), or the activity is gone: the user was not added, and the pending link has nothing to
    // wait for.
    if (error instanceof PermanentError || error instanceof NotFoundError)
      await deps.store.deleteLink(pending);
    throw error;
  }
  step(deps, 'severa.addParticipant');
  const pairing = pairAction(joined, action.google, 'google', action.why, user, deps.settings);
  await applyUpdate(deps, user, pairing, now);
  ctx.audit(action.severaGuid, action.google.id);
}

function newLink(
  user: SyncUser,
  severa: SeveraRecord,
  google: GoogleRecord,
  origin: LinkOrigin,
  base: SeveraRecord['content'],
  now: string,
): Link {
  return {
    user: user.severaUserGuid,
    severaGuid: severa.guid,
    googleId: google.id,
    iCalUID: google.iCalUID,
    origin,
    severa: { version: severa.version, hash: contentHash(severa.content) },
    google: { version: google.etag, hash: contentHash(google.content) },
    base,
    syncedAt: now,
    activityType: severa.activityType.guid,
  };
}

/**
 * Links an event to an activity it was not made from before anything is written for the pair (Link.pendingPair).
 * The store keeps one link per user and event, so this also ends the event's old pair: if the run dies before the
 * merge completes, the next run must not judge the event by its old (perhaps deleted) activity, nor either side by
 * the other's old state; it merges them again as first planned.
 */
async function pendingPair(
  deps: RunnerDeps,
  user: SyncUser,
  severaGuid: string,
  google: Pick<GoogleRecord, 'id' | 'iCalUID' | 'content'>,
  kind: PendingPair,
  now: string,
  replaces?: Link,
): Promise<Link> {
  const link: Link = {
    user: user.severaUserGuid,
    severaGuid,
    googleId: google.id,
    iCalUID: google.iCalUID,
    origin: 'google',
    severa: { version: '', hash: '' },
    google: { version: '', hash: '' },
    base: google.content,
    syncedAt: now,
    pendingPair: kind,
  };
  await deps.store.putLink(link, replaces);
  step(deps, 'store.putLink');
  return link;
}

/**
 * B5: one activity per meeting, even when attendees' runs overlap. The claim is atomic; the loser waits and, on its
 * next run, joins the activity the winner created. A claim protects only while its holder has an open intent for the
 * meeting (written before the claim) and is younger than the TTL; otherwise it is taken over. One claim covers the
 * whole meeting, its occurrences too (a series Severa holds as occurrences): whoever brings the meeting to Severa
 * first decides how it is held, and nobody else brings it in meanwhile, as a series or as an occurrence.
 */
async function claimMeeting(
  deps: RunnerDeps,
  user: SyncUser,
  event: GoogleRecord,
  now: string,
  seenPeers: ReadonlySet<string>,
): Promise<void> {
  const { store } = deps;
  const iCalUID = event.iCalUID;
  const me = user.severaUserGuid;
  const staleBefore = new Date(Date.parse(now) - MEETING_CLAIM_TTL_MS).toISOString();
  let holder = await store.claimMeeting(iCalUID, me, now, staleBefore);
  if (holder !== me && !(await store.findIntentsByICalUID(iCalUID)).some((i) => i.user === holder)) {
    // The holder's run finished (or gave up) without creating it: nothing is in flight, take the claim over.
    holder = await store.claimMeeting(iCalUID, me, now, new Date(Date.parse(now) + 1).toISOString());
  }
  step(deps, 'store.claimMeeting');
  if (holder !== me) {
    throw new DeferredError(
      'another attendee is bringing this meeting to Severa; it is joined on the next run',
    );
  }
  // Checked again under the claim: another attendee's run may have created the activity and released its claim
  // after this run read the links it planned with (double-checked, so the meeting still gets one activity). Links
  // the planner saw and still chose to create past (e.g. to a deleted activity) do not count.
  // For an occurrence: another attendee's link to the same occurrence, or to the meeting as a series.
  const peers = (await store.findLinksByICalUID(iCalUID)).filter(
    (l) =>
      l.user !== me &&
      l.dormant !== true &&
      !seenPeers.has(`${l.user}|${l.severaGuid}`) &&
      samePartOf(event.id)(l.googleId),
  );
  if (peers.length > 0) {
    await store.releaseMeeting(iCalUID, me);
    throw new DeferredError(
      'another attendee brought this meeting to Severa meanwhile; it is joined on the next run',
    );
  }
}

/**
 * Whether an attendee's event or intent (by Google id) stands for the same part of the meeting as `eventId`: any, for
 * a series or single event; for an occurrence, the same occurrence or the meeting as a series.
 */
function samePartOf(eventId: string): (googleId: string) => boolean {
  if (parseInstanceId(eventId) === null) return () => true;
  return (googleId) => googleId === eventId || parseInstanceId(googleId) === null;
}

/** Where a Google entry sits in time, widened by a day each way: the window to look for a lost create in. */
function spanOf(g: GoogleRecord): { from: string; to: string } {
  const start = timingStartMs(g.content.timing);
  const end = timingEndMs(g.content.timing);
  return { from: new Date(start - DAY_MS).toISOString(), to: new Date(end + DAY_MS).toISOString() };
}

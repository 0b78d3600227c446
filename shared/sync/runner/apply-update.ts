/** Applying an update: the merged content written to the side(s) that differ, then the pair's link. */
import {
  contentHash,
  NotFoundError,
  PreconditionFailedError,
  sameContent,
  sideVersionOf,
  type EntryContent,
  type GoogleRecord,
  type Link,
  type SeveraRecord,
  type SideVersion,
  type SyncUser,
} from '../../domain/index.js';
import { occurrencePrivacy } from '../google-side.js';
import type { UpdateAction } from '../plan/index.js';
import { severaView } from '../severa-view.js';
import { step, type RunnerDeps } from './deps.js';
import { isRefusal, RefusedAfterWrite, RefusedByGoogle } from './refusals.js';

export async function applyUpdate(
  deps: RunnerDeps,
  user: SyncUser,
  action: UpdateAction,
  now: string,
  replaces?: Link,
): Promise<void> {
  const expected = { version: action.severa.version, hash: action.severa.hash };
  let severaSide: SideVersion = expected;
  let googleSide: SideVersion = { version: action.google.version, hash: action.google.hash };
  let activityType = action.severa.activityType;
  if (action.link === null && !action.severa.write) await stillAsRead(deps, action.severaGuid, expected);
  let writtenSevera: SeveraRecord | null = null;
  if (action.severa.write) {
    const written = await deps.severa.update(action.severaGuid, expected, {
      content: action.content,
      ...action.severa.write,
    });
    step(deps, 'severa.update');
    writtenSevera = written;
    activityType = written.activityType.guid;
    const seen = severaView(written, { base: action.content, activityType }, deps.settings);
    severaSide = writtenSide(written.version, written.content, seen, action.content);
  }
  if (action.google.write !== null) {
    const write = action.google.write;
    googleSide = await writeGoogle(deps, user, action, write, writtenSevera, activityType);
  }
  await deps.store.putLink(
    {
      user: user.severaUserGuid,
      severaGuid: action.severaGuid,
      googleId: action.googleId,
      iCalUID: action.iCalUID,
      origin: action.origin,
      severa: severaSide,
      google: googleSide,
      base: action.content,
      syncedAt: now,
      ...(activityType === undefined ? {} : { activityType }),
      ...(action.severa.typeBeforePrivate === undefined
        ? {}
        : { typeBeforePrivate: action.severa.typeBeforePrivate }),
      ...(action.google.apart ? { datesApart: true } : {}),
    },
    replaces,
  );
  step(deps, 'store.putLink');
}

/**
 * A new pair rests on the activity as the inbox last saw it: make sure it still is (a conditional write checks
 * this by itself), or a deleted activity would take a person's event down with it.
 */
async function stillAsRead(deps: RunnerDeps, severaGuid: string, expected: SideVersion): Promise<void> {
  const current = await deps.severa.get(severaGuid);
  if (current === null) throw new NotFoundError(`activity ${severaGuid} is gone`);
  const now = sideVersionOf(current);
  if (now.version !== expected.version || now.hash !== expected.hash) {
    throw new PreconditionFailedError(`activity ${severaGuid} changed meanwhile`);
  }
}

/** Writes the pair's Google side, after Severa took its part (`writtenSevera`, null when it had none to take). */
async function writeGoogle(
  deps: RunnerDeps,
  user: SyncUser,
  action: UpdateAction,
  write: EntryContent,
  writtenSevera: SeveraRecord | null,
  activityType: string | undefined,
): Promise<SideVersion> {
  let written: GoogleRecord;
  try {
    written = await deps.calendar.update(user, action.googleId, action.google.version, {
      content: write,
      // Only our own copies carry the Severa guid; a person's own event stays theirs.
      severaGuid: action.origin === 'severa' ? action.severaGuid : null,
      ...(action.google.current === null ? {} : { current: action.google.current }),
      notifyGuests: action.google.notifyGuests,
    });
  } catch (error) {
    // Google refused what Severa took: the refusal remembers the activity as written (issue 9 #8).
    if (isRefusal(error)) {
      throw writtenSevera === null ? new RefusedByGoogle(error) : new RefusedAfterWrite(error, writtenSevera);
    }
    if (action.link !== null && activityType !== action.severa.activityType) {
      // Severa took the write, Google did not: the next run finds Severa changed and sends it on. Only the type
      // our write set is learnt, so it is not taken for a person's (privacy is the type, severa-view.ts).
      await deps.store.putLink({
        ...action.link,
        activityType,
        typeBeforePrivate: action.severa.typeBeforePrivate,
      });
      step(deps, 'store.putLink');
    }
    throw error;
  }
  step(deps, 'calendar.update');
  const seen = occurrencePrivacy(written.content, action.googleId, action.content);
  return writtenSide(written.etag, written.content, seen, write);
}

/**
 * What a link remembers of a side after our write. The write's result may already hold someone else's edit made
 * between our write and its read-back (Severa answers a PATCH, but an adapter may read the activity again): then it
 * must not be taken for our echo, or that edit would never be synced. Its hash is then what we meant to write, which
 * differs from what the side holds, so the next run sees the side as changed and merges it. `seen` is the written
 * record as the pair sees it (severa-view.ts), `raw` as read.
 */
function writtenSide(
  version: string,
  raw: EntryContent,
  seen: EntryContent,
  intended: EntryContent,
): SideVersion {
  return sameContent(seen, intended)
    ? { version, hash: contentHash(raw) }
    : { version: `${version}#not-synced`, hash: contentHash(intended) };
}

/** The end of a run: progress markers saved last, and the status the person and the health console read (B7). */
import type { SyncError, SyncUser } from '../../domain/index.js';
import type { UserSyncStatus } from '../../ports/index.js';
import type { Plan } from '../plan/index.js';
import type { Collected } from './collect.js';
import { step, type RunnerDeps } from './deps.js';
import { holdWords, type OpenHold } from './holds.js';
import { refusalNotes } from './refusals.js';

export async function finish(
  deps: RunnerDeps,
  user: SyncUser,
  collected: Collected,
  plan: Plan,
  errors: readonly SyncError[],
  now: string,
  hold: OpenHold | null,
): Promise<UserSyncStatus> {
  const { store } = deps;
  const userGuid = user.severaUserGuid;
  const previous = await store.getStatus(userGuid);
  const held = hold === null ? [] : [holdWords(user, hold)];
  let status: UserSyncStatus;
  if (errors.length > 0) {
    status = {
      state: 'error',
      lastSuccessAt: previous.lastSuccessAt,
      message: [describeErrors(errors), ...held].join(' '),
      pendingRetries: errors.length,
    };
  } else {
    // Everything applied: now, and only now, the progress markers move (tokens saved last, SPEC §6).
    await store.saveSyncToken(userGuid, collected.nextSyncToken);
    step(deps, 'store.saveSyncToken');
    await store.ackInbox(userGuid, collected.inbox);
    step(deps, 'store.ackInbox');
    if (collected.intents > 0) {
      for (const intent of await store.listIntents(userGuid))
        await store.deleteIntent(userGuid, intent.googleId);
    }
    const notes = [...plan.notes, ...refusalNotes(await store.listRefusals(userGuid))];
    const words =
      plan.problems.length > 0 ? [...plan.problems] : notes.length > 0 ? notes.map((n) => n.message) : [];
    // Held deletions wait for a decision, but the rest of the run counts: its markers moved, it succeeded.
    status = {
      state: hold !== null ? 'held' : plan.problems.length > 0 ? 'error' : 'healthy',
      lastSuccessAt: now,
      message: [...held, ...words].join(' ') || null,
      pendingRetries: 0,
      ...(notes.length > 0 ? { notes } : {}),
    };
  }
  await store.setStatus(userGuid, status);
  return status;
}

/** The status words for a run's failed items (B7). */
export function describeErrors(errors: readonly SyncError[]): string {
  const transient = errors.filter((e) => e.transient).length;
  const permanent = errors.filter((e) => !e.transient);
  if (permanent.length > 0) {
    const first = permanent[0];
    const words =
      first && 'userMessage' in first ? String(first.userMessage) : 'An entry could not be synced.';
    return `${words}${errors.length > 1 ? ` (${errors.length} entries affected)` : ''}`;
  }
  const waiting = errors.filter((e) => e.code === 'deferred').length;
  const busy = transient - waiting;
  const parts: string[] = [];
  if (busy > 0)
    parts.push(
      `${busy} ${busy === 1 ? 'entry' : 'entries'} could not be synced yet because a service was busy or unreachable`,
    );
  if (waiting > 0)
    parts.push(
      `${waiting} shared ${waiting === 1 ? 'meeting waits' : 'meetings wait'} for another attendee's sync to bring ${waiting === 1 ? 'it' : 'them'} to Severa`,
    );
  return `${parts.join('; ')}. They will be retried automatically.`;
}

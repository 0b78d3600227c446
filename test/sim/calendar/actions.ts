/**
 * `POST /_sim/act`: what a person does in Google Calendar's UI, so tests can make changes "on the Google side"
 * without going through the API the sync uses.
 */
import { z } from 'zod';

import { originalStartKey } from './request.js';
import { instanceId } from './series.js';
import type { CalendarStore } from './store.js';

const email = z.string().min(3);
const json = z.record(z.string(), z.unknown());

export const simActionSchema = z.discriminatedUnion('action', [
  /** A new event in `as`'s calendar; `attendees` (domain users) get a copy with the same id (a meeting). */
  z.strictObject({
    action: z.literal('create'),
    as: email,
    event: json,
    attendees: z.array(email).optional(),
  }),
  /** Patch semantics; an organiser's change reaches every copy. */
  z.strictObject({ action: z.literal('update'), as: email, id: z.string(), changes: json }),
  /** Deletes `as`'s copy, or every copy when `everyCopy` and `as` organises it. */
  z.strictObject({
    action: z.literal('delete'),
    as: email,
    id: z.string(),
    everyCopy: z.boolean().optional(),
  }),
  /** A new etag and `updated` with the same content (version churn). */
  z.strictObject({ action: z.literal('touch'), as: email, id: z.string() }),
  z.strictObject({
    action: z.literal('cancelOccurrence'),
    as: email,
    id: z.string(),
    originalStart: z.string(),
  }),
  /**
   * A cancelled occurrence stored as nothing but its stub, without an iCalUID (what an import can leave): only a
   * listing returns it, an `iCalUID` query does not.
   */
  z.strictObject({
    action: z.literal('importCancelledOccurrence'),
    as: email,
    id: z.string(),
    originalStart: z.string(),
  }),
  z.strictObject({
    action: z.literal('moveOccurrence'),
    as: email,
    id: z.string(),
    originalStart: z.string(),
    start: json.optional(),
    end: json.optional(),
  }),
  z.strictObject({ action: z.literal('invalidateSyncTokens'), as: email }),
]);
export type SimAction = z.infer<typeof simActionSchema>;

/** Performs one action on the store as the person `as`; the answer is what `POST /_sim/act` returns as `result`. */
export function runAction(store: CalendarStore, a: SimAction): unknown {
  switch (a.action) {
    case 'create':
      return store.insert(a.as, {
        ...a.event,
        ...(a.attendees === undefined
          ? {}
          : {
              attendees: [a.as, ...a.attendees].map((email, i) => ({
                email,
                ...(i === 0
                  ? { organizer: true, responseStatus: 'accepted' }
                  : { responseStatus: 'needsAction' }),
              })),
            }),
      });
    case 'update':
      return store.update(a.as, a.id, a.changes, null, 'patch');
    case 'delete':
      store.remove(a.as, a.id, null, a.everyCopy ?? false);
      return { deleted: a.id };
    case 'touch':
      return store.touch(a.as, a.id);
    case 'importCancelledOccurrence':
      return store.importCancelledOccurrence(a.as, a.id, originalStartKey(a.originalStart));
    case 'cancelOccurrence':
      store.remove(a.as, instanceId(a.id, originalStartKey(a.originalStart)), null);
      return { cancelled: instanceId(a.id, originalStartKey(a.originalStart)) };
    case 'moveOccurrence':
      return store.update(
        a.as,
        instanceId(a.id, originalStartKey(a.originalStart)),
        {
          ...(a.start === undefined ? {} : { start: a.start }),
          ...(a.end === undefined ? {} : { end: a.end }),
        },
        null,
        'patch',
      );
    case 'invalidateSyncTokens':
      store.invalidateSyncTokens(a.as);
      return { invalidated: a.as };
  }
}

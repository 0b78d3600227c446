/**
 * `POST /_sim/act`: what a person does in Google Calendar's UI, so tests can make changes "on the Google side"
 * without going through the API the sync uses.
 */
import { z } from 'zod';

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

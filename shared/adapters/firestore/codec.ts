/**
 * How the sync's values are written to and read from Firestore documents.
 *
 * - **Writing**: domain values are plain objects. Firestore rejects `undefined`, so {@link toFirestore} drops
 *   `undefined` properties (an absent optional field and an `undefined` one mean the same in the domain; they read
 *   back absent). Nothing else is converted: strings, numbers, booleans, null, arrays and maps round-trip as-is.
 * - **Reading**: every document is validated with the zod schemas below, which mirror the domain types exactly
 *   (`z.ZodType<Link>` and so on, so the compiler keeps them in step). Unknown fields (index and bookkeeping fields
 *   stored next to a value) are stripped. A document that does not fit fails with a {@link PermanentError} naming
 *   the document and the offending fields, never with a half-read value.
 * - **Document ids**: {@link docId} makes any string a valid Firestore document id, injectively.
 */
import { createHash } from 'node:crypto';

import { Timestamp } from '@google-cloud/firestore';
import { z } from 'zod';

import {
  ACTIVITY_CATEGORIES,
  FREQUENCIES,
  LINK_ORIGINS,
  PENDING_PAIRS,
  PermanentError,
  WEEKDAYS,
  type ActivityType,
  type ActivityTypeRef,
  type EntryContent,
  type GoogleRecord,
  type Link,
  type Recurrence,
  type SeveraRecord,
  type Timing,
} from '../../domain/index.js';
import type { WatchChannel } from '../../ports/calendar.port.js';
import {
  ENTRY_NOTE_KINDS,
  HOLD_REASONS,
  USER_SYNC_STATES,
  type AuditEntry,
  type DeletionHold,
  type EntryNote,
  type HeldDeletion,
  type Refusal,
  type CreateIntent,
  type OrgConfig,
  type UserRecord,
  type UserSyncStatus,
} from '../../ports/index.js';
import { CONFLICT_POLICIES, type SyncSettings } from '../../domain/settings.js';

// ---------------------------------------------------------------------------------------------------------------
// Document ids

/** Firestore's limit on a document id, in UTF-8 bytes. */
const MAX_ID_BYTES = 1500;

/**
 * A valid Firestore document id for any string, one-to-one: `%`, `/` and `|` are percent-encoded (`|` separates
 * the parts of {@link compositeId}); the reserved ids `.`, `..` and `__…__` and the empty string get an encoded
 * first character. An id longer than Firestore allows becomes `%h` + the SHA-256 of the encoded id (`%h` never
 * results from the encoding, so it cannot collide with a short id).
 */
export function docId(value: string): string {
  return finishId(escapeIdPart(value));
}

/** One document id for a tuple of strings (e.g. user and Severa guid), one-to-one: escaped parts joined by `|`. */
export function compositeId(...parts: readonly string[]): string {
  return finishId(parts.map(escapeIdPart).join('|'));
}

function escapeIdPart(value: string): string {
  return value.replace(/[%/|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function finishId(escaped: string): string {
  let id = escaped;
  if (id === '') id = '%00';
  else if (id === '.' || id === '..') id = `%2E${id.slice(1)}`;
  else if (/^__.*__$/s.test(id)) id = `%5F${id.slice(1)}`;
  if (Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES)
    id = `%h${createHash('sha256').update(escaped).digest('hex')}`;
  return id;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** A deep copy without `undefined` properties, ready for Firestore (which rejects them). */
export function toFirestore(value: object): Record<string, unknown> {
  const out = strip(value);
  if (out === null || typeof out !== 'object' || Array.isArray(out))
    throw new TypeError('a Firestore document must be an object');
  return out as Record<string, unknown>;
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = strip(v);
    return out;
  }
  return value;
}

/** A canonical instant as a Firestore Timestamp (the type a TTL policy field must have). */
export function timestampOf(instant: string): Timestamp {
  const ms = Date.parse(instant);
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${JSON.stringify(instant)}`);
  return Timestamp.fromMillis(ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

/**
 * Validates a document read back. `path` names the document in the error (no field values are quoted, so no
 * personal content leaks into logs).
 */
export function decode<T>(schema: z.ZodType<T>, data: unknown, path: string, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.code}`)
    .join('; ');
  throw new PermanentError(
    'validation',
    `Stored sync data is damaged: Firestore document ${path} is not a valid ${what} (${fields}).`,
    { cause: parsed.error },
  );
}

const str = z.string();
const nullableStr = z.string().nullable();

const timingSchema: z.ZodType<Timing> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('timed'), start: str, end: str, timeZone: str }),
  z.object({ kind: z.literal('allDay'), startDate: str, endDate: str }),
]);

const recurrenceSchema: z.ZodType<Recurrence> = z.object({
  pattern: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('rule'),
      rule: z.object({
        freq: z.enum(FREQUENCIES),
        interval: z.number(),
        byWeekday: z.array(z.enum(WEEKDAYS)),
        byMonthDay: z.number().nullable(),
        bySetPos: z.number().nullable(),
        byMonth: z.number().nullable(),
        end: z.discriminatedUnion('kind', [
          z.object({ kind: z.literal('forever') }),
          z.object({ kind: z.literal('count'), count: z.number() }),
          z.object({ kind: z.literal('until'), until: str }),
        ]),
      }),
    }),
    z.object({ kind: z.literal('unsupported'), lines: z.array(str) }),
  ]),
  exdates: z.array(str),
  overrides: z.array(
    z.object({ originalStart: str, title: str, notes: str, location: str, timing: timingSchema }),
  ),
});

export const entryContentSchema: z.ZodType<EntryContent> = z.object({
  title: str,
  notes: str,
  location: str,
  timing: timingSchema,
  recurrence: recurrenceSchema.nullable(),
  isPrivate: z.boolean(),
});

const sideVersionSchema = z.object({ version: str, hash: str });

export const linkSchema: z.ZodType<Link> = z.object({
  user: str,
  severaGuid: str,
  googleId: str,
  iCalUID: nullableStr,
  origin: z.enum(LINK_ORIGINS),
  severa: sideVersionSchema,
  google: sideVersionSchema,
  base: entryContentSchema,
  syncedAt: str,
  dormant: z.boolean().optional(),
  activityType: str.optional(),
  typeBeforePrivate: str.optional(),
  datesApart: z.boolean().optional(),
  pendingInsert: z.boolean().optional(),
  pendingPair: z.enum(PENDING_PAIRS).optional(),
});

const activityTypeRefSchema: z.ZodType<ActivityTypeRef> = z.object({
  guid: str,
  name: str,
  category: z.enum(ACTIVITY_CATEGORIES),
});

export const severaRecordSchema: z.ZodType<SeveraRecord> = z.object({
  guid: str,
  version: str,
  content: entryContentSchema,
  activityType: activityTypeRefSchema,
  ownerGuid: str,
  participantGuids: z.array(str),
  isProjectTask: z.boolean(),
  createdAt: nullableStr,
  createdBy: nullableStr,
  ownerTimeZone: str.optional(),
});

const createIntentShape = {
  googleId: str,
  iCalUID: str,
  content: entryContentSchema,
  ownerGuid: str,
  from: str,
  to: str,
  at: str,
  replaces: nullableStr.optional(),
};

export const createIntentSchema: z.ZodType<CreateIntent> = z.object(createIntentShape);

/** An intent as stored: its fields next to the user's guid. */
export const storedIntentSchema: z.ZodType<{ user: string; intent: CreateIntent }> = z
  .object({ user: str, ...createIntentShape })
  .transform(({ user, ...intent }) => ({ user, intent }));

const entryNoteSchema: z.ZodType<EntryNote> = z.object({
  kind: z.enum(ENTRY_NOTE_KINDS),
  title: str,
  severaGuid: nullableStr,
  googleId: nullableStr,
  message: str,
});

export const userSyncStatusSchema: z.ZodType<UserSyncStatus> = z.object({
  state: z.enum(USER_SYNC_STATES),
  lastSuccessAt: nullableStr,
  message: nullableStr,
  pendingRetries: z.number(),
  notes: z.array(entryNoteSchema).optional(),
  pausedUntil: str.optional(),
  quotaPauses: z.number().int().positive().optional(),
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }).optional(),
});

export const googleRecordSchema: z.ZodType<GoogleRecord> = z.object({
  id: str,
  etag: str,
  updated: str,
  iCalUID: str,
  content: entryContentSchema,
  severaGuid: nullableStr,
  eventType: str,
  organizerOfMeeting: z.boolean(),
});

export const refusalSchema: z.ZodType<Refusal> = z.object({
  key: str,
  fingerprint: str,
  title: str,
  side: z.enum(['severa', 'google']),
  message: str,
  at: str,
  google: googleRecordSchema.optional(),
  severa: severaRecordSchema.optional(),
});

export const heldDeletionSchema: z.ZodType<HeldDeletion> = z.object({
  link: linkSchema,
  side: z.enum(['google', 'severa']),
  confirmed: z.boolean(),
});

export const deletionHoldSchema: z.ZodType<DeletionHold> = z.object({
  reason: z.enum(HOLD_REASONS),
  since: str,
  links: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  decision: z.object({ kind: z.enum(['confirm', 'reject']), at: str, by: str }).nullable(),
});

const watchChannelSchema: z.ZodType<WatchChannel> = z.object({
  id: str,
  resourceId: str,
  expiration: str,
  token: str,
  address: str,
});

export const userRecordSchema: z.ZodType<UserRecord> = z.object({
  severaUserGuid: str,
  email: str,
  timeZone: str,
  defaultActivityTypeGuid: nullableStr,
  enabled: z.boolean(),
  channel: watchChannelSchema.nullable(),
  lastReconcileAt: nullableStr,
  lastCompleteRunStartedAt: nullableStr,
  lastSafetyRequestAt: nullableStr,
});

/** The fields of a {@link UserRecord} as stored (the same names), replaced as a whole by `putUser`. */
export const USER_RECORD_FIELDS = [
  'severaUserGuid',
  'email',
  'timeZone',
  'defaultActivityTypeGuid',
  'enabled',
  'channel',
  'lastReconcileAt',
  'lastCompleteRunStartedAt',
  'lastSafetyRequestAt',
] as const satisfies readonly (keyof UserRecord)[];

// Fails to compile when UserRecord gains a field that USER_RECORD_FIELDS does not list.
type MissingUserField = Exclude<keyof UserRecord, (typeof USER_RECORD_FIELDS)[number]>;
const _allUserFieldsListed: MissingUserField extends never ? true : never = true;

const activityTypeSchema: z.ZodType<ActivityType> = z.object({
  guid: str,
  name: str,
  category: z.enum(ACTIVITY_CATEGORIES),
  isActive: z.boolean(),
  isDefault: z.boolean(),
});

const syncSettingsSchema: z.ZodType<SyncSettings> = z.object({
  syncedActivityTypeGuids: z.array(str),
  activityTypes: z.array(activityTypeSchema),
  conflictPolicy: z.enum(CONFLICT_POLICIES),
  deletionSafety: z.object({ maxCount: z.number(), maxShare: z.number(), shareFloor: z.number() }),
  pastDays: z.number(),
  futureDays: z.number(),
});

export const orgConfigSchema: z.ZodType<OrgConfig> = z.object({
  enabled: z.boolean(),
  serviceAccountEmail: str,
  severaClientId: str,
  sync: syncSettingsSchema,
  updatedAt: str,
});

/**
 * An audit entry as stored: the entry's fields, except that `expiresAt` is a Firestore Timestamp (the collection's
 * TTL policy field) and the instant as given is kept in `expiresAtText` so it reads back exactly.
 */
export const storedAuditSchema: z.ZodType<AuditEntry> = z
  .object({
    user: str,
    at: str,
    kind: str,
    severaGuid: nullableStr,
    googleId: nullableStr,
    why: str,
    decisions: z.array(str),
    // Entries written before the audit named its entry and changes read back without them.
    title: str.default(''),
    date: nullableStr.default(null),
    private: z.boolean().default(false),
    changes: z.array(str).default([]),
    expiresAt: z.instanceof(Timestamp),
    expiresAtText: str,
  })
  .transform(({ expiresAtText, expiresAt: _ttl, ...entry }) => ({ ...entry, expiresAt: expiresAtText }));

/** A claim on creating a shared meeting's activity (B5). */
export const claimSchema = z.object({ user: str, at: str });

/** A lease: who holds it and until when (a canonical instant). */
export const leaseSchema = z.object({ holder: str, until: str });

/** The one-link-per-user-and-event guard (see firestore.sync-store.ts). */
export const eventGuardSchema = z.object({ linkId: str });

/**
 * Severa REST wire formats, validated on the way in. Field names, nullability and required keys follow the official
 * OpenAPI document (contracts/severa-openapi-v1.sync-subset.yaml, `components.schemas.*`; summarised in
 * reference/severa-api.md §5, §7–§10). Every object is a zod *loose* object: the real API may add fields, and an
 * unknown extra field must never fail a sync.
 *
 * Deliberate tolerances (all documented where they apply):
 * - date-times may omit seconds or the offset ({@link severaDateTime});
 * - `maxLength` limits are input constraints for Severa and are not enforced when reading;
 * - open vocabularies that only describe errors (`ExceptionTypeEnum`) are read as plain strings.
 */
import { z } from 'zod';

import { ACTIVITY_CATEGORIES } from '../../domain/entry.js';
import {
  DAY_ORDINAL_OPTIONS,
  DAY_ORDINALS,
  MONTHS,
  SEVERA_FREQUENCIES,
  type SeveraRecurrence,
} from './severa-recurrence.wire.js';

// ---------------------------------------------------------------------------------------------------------------
// Scalars

/**
 * ISO 8601 date and time: `YYYY-MM-DDTHH:mm[:ss[.fff…]]` with an optional offset (`Z`, `+03:00`, `+0300`).
 * - The contract says `format: date-time` (DateTimeOffset, severa-api.md §3), which .NET writes with seconds and
 *   up to 7 fractional digits; the legacy all-day example (§12) omits seconds (`2013-12-15T22:00Z`), so seconds are
 *   optional here.
 * - Which zone applies when the offset is missing is [UNCONFIRMED] (§14.7): such a value is accepted and the mapper
 *   reads it in the user's Severa timezone.
 */
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validCalendarDate(year: string, month: string, day: string): boolean {
  const d = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  return (
    d.getUTCFullYear() === Number(year) &&
    d.getUTCMonth() === Number(month) - 1 &&
    d.getUTCDate() === Number(day)
  );
}

/** True for a Severa date-time (see {@link severaDateTime}) that names a real calendar date and time of day. */
export function isSeveraDateTime(value: string): boolean {
  const m = DATE_TIME_RE.exec(value);
  if (m === null) return false;
  const [, y = '', mo = '', d = '', h = '', mi = '', s = '0'] = m;
  return validCalendarDate(y, mo, d) && Number(h) <= 23 && Number(mi) <= 59 && Number(s) <= 59;
}

export const severaDateTime = z.string().refine(isSeveraDateTime, {
  error: (issue) =>
    `expected an ISO 8601 date-time such as 2026-05-04T09:00:00+03:00, got ${JSON.stringify(issue.input)}`,
});

/** `format: date` (`RecurrenceRange.recursUntilDate`). */
export const severaDate = z.string().refine(
  (value) => {
    const m = DATE_RE.exec(value);
    return m !== null && validCalendarDate(m[1] ?? '', m[2] ?? '', m[3] ?? '');
  },
  { error: (issue) => `expected an ISO 8601 date such as 2026-12-31, got ${JSON.stringify(issue.input)}` },
);

// ---------------------------------------------------------------------------------------------------------------
// Vocabularies (contract enums)

/** `RecurrenceType`: Series = master, Occurrence = expanded instance, Exception = modified instance (§7). */
export const RECURRENCE_TYPES = ['None', 'Occurrence', 'Exception', 'Series'] as const;
export type RecurrenceType = (typeof RECURRENCE_TYPES)[number];

/** `ParticipantType` (§8). */
export const PARTICIPANT_TYPES = ['User', 'Contact', 'Resource', 'Other'] as const;
export type ParticipantType = (typeof PARTICIPANT_TYPES)[number];

/** `MemberStatus` (§8). */
export const MEMBER_STATUSES = ['Unknown', 'Invited', 'Accepted', 'Tentative', 'Declined'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/**
 * `PatchOperationType`. The contract spells the values in PascalCase (they are the .NET enum names); JSON Patch
 * (RFC 6902) and the support article's example (§3) use lower case, which is what this project sends. Reading accepts
 * either spelling. Severa supports only `replace` (§3, doc S4).
 */
export const PATCH_OPERATION_TYPES = ['Add', 'Copy', 'Move', 'Remove', 'Replace'] as const;
export type PatchOperationType = (typeof PATCH_OPERATION_TYPES)[number];

/** `ExceptionTypeEnum` (§4). Read as a plain string, so a new error type never hides the error itself. */
export const EXCEPTION_TYPES = [
  'InternalSystemError',
  'AuthenticationRequired',
  'AddonMissing',
  'FeatureIsNotEnabled',
  'InvalidParameter',
  'InvalidOperation',
  'InvalidRequest',
  'InsufficientApiScope',
  'InvalidApiVersion',
  'ConfigurationError',
  'UserLicenseType',
  'TermsOfServiceNotApproved',
  'HttpsRequired',
  'OrganizationNotActive',
  'PermissionDenied',
  'TrialExpired',
  'NotAvailableInTrial',
  'InvalidRecaptcha',
  'AddonMissingTermsOfServiceApproval',
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];

export function isExceptionType(value: unknown): value is ExceptionType {
  return typeof value === 'string' && (EXCEPTION_TYPES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Recurrence (`ActivityRecurrenceModel` and its parts; §7). The vocabulary is in severa-recurrence.wire.ts.

export const dailyModelSchema = z.looseObject({
  interval: z.number().int().nullish(),
  everyWeekday: z.boolean().optional(),
});

export const weeklyModelSchema = z.looseObject({
  interval: z.number().int().optional(),
  monday: z.boolean().optional(),
  tuesday: z.boolean().optional(),
  wednesday: z.boolean().optional(),
  thursday: z.boolean().optional(),
  friday: z.boolean().optional(),
  saturday: z.boolean().optional(),
  sunday: z.boolean().optional(),
});

export const monthlyModelSchema = z.looseObject({
  interval: z.number().int().optional(),
  dayOfMonth: z.number().int().nullish(),
  dayOrdinal: z.enum(DAY_ORDINALS).nullish(),
  dayOrdinalOption: z.enum(DAY_ORDINAL_OPTIONS).nullish(),
});

export const yearlyModelSchema = z.looseObject({
  month: z.enum(MONTHS).optional(),
  dayOfMonth: z.number().int().nullish(),
  dayOrdinal: z.enum(DAY_ORDINALS).nullish(),
  dayOrdinalOption: z.enum(DAY_ORDINAL_OPTIONS).nullish(),
});

export const recurrencePatternSchema = z.looseObject({
  daily: dailyModelSchema.nullish(),
  weekly: weeklyModelSchema.nullish(),
  monthly: monthlyModelSchema.nullish(),
  yearly: yearlyModelSchema.nullish(),
});

export const recurrenceRangeSchema = z.looseObject({
  maxOccurrences: z.number().int().nullish(),
  recursUntilDate: severaDate.nullish(),
});

export const activityRecurrenceModelSchema = z.looseObject({
  frequency: z.enum(SEVERA_FREQUENCIES),
  pattern: recurrencePatternSchema.nullish(),
  range: recurrenceRangeSchema.nullish(),
  /** Read-only: start date-times of the occurrences that are not as the rule says (cancelled or modified). */
  exceptions: z.array(severaDateTime).nullish(),
  lastOccurrenceDateTime: severaDateTime.nullish(),
});
/** Assignable to `SeveraRecurrence` (severa-recurrence.wire.ts), so a validated model goes to `severaRecurrenceToRule` as-is. */
export type ActivityRecurrenceModel = z.infer<typeof activityRecurrenceModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Sub-models of ActivityModel

/** `UserWithFirstNameLastNameAndPhotoFileModel` (createdBy / lastUpdatedBy): every field nullable. */
export const userRefSchema = z.looseObject({
  guid: z.string().nullish(),
  code: z.string().nullish(),
  name: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
});

/** `ActivityActivityType`: `guid` required; `name` and `category` are read-only (present in responses). */
export const activityActivityTypeSchema = z.looseObject({
  guid: z.string().min(1),
  name: z.string().nullish(),
  category: z.enum(ACTIVITY_CATEGORIES).optional(),
});

/** `ActivityOwnerModel`: `guid` required. */
export const activityOwnerSchema = z.looseObject({
  guid: z.string().min(1),
  code: z.string().nullish(),
  name: z.string().nullish(),
  keywords: z.array(z.looseObject({ guid: z.string().nullish(), value: z.string().nullish() })).nullish(),
});

/** `ActivityCustomer`. */
export const activityCustomerSchema = z.looseObject({
  guid: z.string().nullish(),
  name: z.string().nullish(),
  number: z.number().int().nullish(),
});

/** `ActivityPhase`: the project link of an activity (§5, §9: a set phase marks a project task). */
export const activityPhaseSchema = z.looseObject({
  guid: z.string().nullish(),
  name: z.string().nullish(),
  isLocked: z.boolean().optional(),
  projectGuid: z.string().nullish(),
  projectName: z.string().nullish(),
  projectNumber: z.number().int().nullish(),
  projectOwnerGuid: z.string().nullish(),
});

/** `ModelWithName` (projectTaskStatus, defaultActivityType). */
export const modelWithNameSchema = z.looseObject({
  guid: z.string().nullish(),
  name: z.string().nullish(),
});

// ---------------------------------------------------------------------------------------------------------------
// ActivityModel (§5)

export const activityModelSchema = z.looseObject({
  guid: z.string().nullish(),
  name: z
    .string({ error: 'ActivityModel.name is required (a non-empty string)' })
    .min(1, { error: 'ActivityModel.name must not be empty' }),
  startDateTime: severaDateTime,
  endDateTime: severaDateTime.nullish(),
  isAllDay: z.boolean().optional(),
  hasDuration: z.boolean().optional(),
  isClosed: z.boolean().optional(),
  isUnassigned: z.boolean().optional(),
  hasHours: z.boolean().optional(),
  notes: z.string().nullish(),
  location: z.string().nullish(),
  activityType: activityActivityTypeSchema,
  ownerUser: activityOwnerSchema,
  customer: activityCustomerSchema.nullish(),
  phase: activityPhaseSchema.nullish(),
  projectTaskStatus: modelWithNameSchema.nullish(),
  recurrence: activityRecurrenceModelSchema.nullish(),
  recurrenceRule: z.string().nullish(),
  recurrenceType: z.enum(RECURRENCE_TYPES).optional(),
  recurrenceParentActivityGuid: z.string().nullish(),
  createdDateTime: severaDateTime.optional(),
  createdBy: userRefSchema.nullish(),
  lastUpdatedDateTime: severaDateTime.nullish(),
  lastUpdatedBy: userRefSchema.nullish(),
});
export type ActivityModel = z.infer<typeof activityModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// ActivityTypeModel (§9)

export const activityTypeModelSchema = z.looseObject({
  guid: z.string().nullish(),
  name: z.string().min(1),
  code: z.string().nullish(),
  category: z.enum(ACTIVITY_CATEGORIES),
  isActive: z.boolean().optional(),
  isDefault: z.boolean().optional(),
  isPaidLeave: z.boolean().nullish(),
  createdDateTime: severaDateTime.optional(),
  createdBy: userRefSchema.nullish(),
  lastUpdatedDateTime: severaDateTime.nullish(),
  lastUpdatedBy: userRefSchema.nullish(),
});
export type ActivityTypeModel = z.infer<typeof activityTypeModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// ActivityParticipantModel (§8)

export const activityParticipantModelSchema = z.looseObject({
  guid: z.string().nullish(),
  activityGuid: z.string().min(1),
  participantGuid: z.string().min(1),
  type: z.enum(PARTICIPANT_TYPES).optional(),
  status: z.enum(MEMBER_STATUSES).optional(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  isActive: z.boolean().optional(),
  phone: z.string().nullish(),
  mobilePhone: z.string().nullish(),
});
export type ActivityParticipantModel = z.infer<typeof activityParticipantModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// UserOutputModel (§10): the fields the sync reads; the rest pass through.

/** `TimezoneModel`. `ianaName` is what the mappers need (an IANA zone for luxon). */
export const timezoneModelSchema = z.looseObject({
  guid: z.string().nullish(),
  ianaName: z.string().nullish(),
  name: z.string().nullish(),
  systemName: z.string().nullish(),
});
export type TimezoneModel = z.infer<typeof timezoneModelSchema>;

export const userOutputModelSchema = z.looseObject({
  guid: z.string().nullish(),
  email: z.string().nullish(),
  // Required by the contract; `minLength: 1` is an input rule and is not enforced on read.
  firstName: z.string(),
  lastName: z.string(),
  isActive: z.boolean().optional(),
  code: z.string().nullish(),
  timezone: timezoneModelSchema.nullish(),
  defaultActivityType: modelWithNameSchema.nullish(),
  userType: z.string().nullish(),
  businessUnit: z.looseObject({ guid: z.string().nullish(), name: z.string().nullish() }).nullish(),
  lastUpdatedDateTime: severaDateTime.nullish(),
});
export type UserOutputModel = z.infer<typeof userOutputModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// PatchOperation (§3)

/**
 * `PatchOperation` as read (a simulator validating our PATCH bodies uses this). The contract types `value` as a
 * nullable string, an artefact of its generator: a JSON Patch value is any JSON value (booleans for `/isAllDay`,
 * objects for `/recurrence`), so it is read as `unknown`.
 */
export const patchOperationSchema = z.looseObject({
  op: z.string().refine((op) => PATCH_OPERATION_TYPES.some((t) => t.toLowerCase() === op.toLowerCase()), {
    error: (issue) => `unknown JSON Patch op ${JSON.stringify(issue.input)}`,
  }),
  path: z.string().nullish(),
  value: z.unknown().optional(),
  from: z.string().nullish(),
});
export type PatchOperation = z.infer<typeof patchOperationSchema>;

export const patchDocumentSchema = z.array(patchOperationSchema);

/** Paths this project patches on an activity; all are top-level `ActivityModel` fields (§5). */
export const ACTIVITY_PATCH_PATHS = [
  '/name',
  '/notes',
  '/location',
  '/startDateTime',
  '/endDateTime',
  '/isAllDay',
  '/recurrence',
  '/activityType',
] as const;
export type ActivityPatchPath = (typeof ACTIVITY_PATCH_PATHS)[number];

/** What this project sends: `replace` only (Severa supports nothing else, §3). */
export interface ReplaceOperation {
  readonly op: 'replace';
  readonly path: ActivityPatchPath;
  readonly value: unknown;
}

// ---------------------------------------------------------------------------------------------------------------
// ExceptionModel (§4)

export const exceptionModelSchema = z.looseObject({
  error: z
    .looseObject({
      httpStatusCode: z.number().int().optional(),
      type: z.string().optional(),
      details: z
        .array(
          z.looseObject({
            message: z.string().nullish(),
            url: z.string().nullish(),
            location: z
              .looseObject({
                identifier: z.string().nullish(),
                name: z.string().nullish(),
                type: z.string().optional(),
              })
              .nullish(),
          }),
        )
        .nullish(),
      stack: z.string().nullish(),
    })
    .nullish(),
});
export type ExceptionModel = z.infer<typeof exceptionModelSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Create body (POST /v1/activities, §6, §15 "Writes")

/**
 * The body this project POSTs. The contract's body is `ActivityModel`; these are the fields the sync owns.
 * `recurrence` carries only `frequency`, `pattern` and `range`: `exceptions` is read-only, so cancelled and modified
 * occurrences are written afterwards on the occurrence rows.
 */
export interface ActivityCreateBody {
  readonly name: string;
  readonly startDateTime: string;
  readonly endDateTime: string;
  readonly isAllDay: boolean;
  readonly hasDuration: boolean;
  readonly notes: string;
  readonly location: string;
  readonly activityType: { readonly guid: string };
  readonly ownerUser: { readonly guid: string };
  readonly recurrence?: SeveraRecurrence;
}

/** The fields written onto an occurrence row to make it an exception (see `overrideToExceptionFields`). */
export interface ActivityExceptionFields {
  readonly name: string;
  readonly notes: string;
  readonly location: string;
  readonly startDateTime: string;
  readonly endDateTime: string;
  readonly isAllDay: boolean;
}

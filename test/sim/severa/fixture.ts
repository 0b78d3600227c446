/**
 * The seed format of the Severa simulator (`POST /_sim/seed`, `sim.seed()`). Field names follow the official
 * OpenAPI document where a field exists there (contracts/severa-openapi-v1.sync-subset.yaml); the fixture-only
 * fields (credentials, `ownerGuid`, `participantGuids`, …) are flat so a fixture stays short to write by hand.
 */
import { z } from 'zod';

import { isTimeZone } from '../common/wall-time.js';
import { DAY_ORDINAL_OPTIONS, DAY_ORDINALS, MONTHS, SEVERA_FREQUENCIES } from './severa-recurrence.js';

/** `ActivityCategory` (severa-api.md §9). */
export const SEVERA_ACTIVITY_CATEGORIES = [
  'Personal',
  'Absences',
  'CalendarEntry',
  'SalesEvent',
  'Task',
] as const;
export type SeveraActivityCategory = (typeof SEVERA_ACTIVITY_CATEGORIES)[number];

/** The scopes the simulator knows (severa-api.md §2). Others are accepted on credentials but guard no route. */
export const SYNC_SCOPES = [
  'activities:read',
  'activities:write',
  'activities:delete',
  'users:read',
  'settings:read',
] as const;

/** RFC 3339 / DateTimeOffset, offset optional (severa-api.md §14.7: a missing offset is read in the owner's zone). */
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
export const dateTimeSchema = z
  .string()
  .refine((v) => DATE_TIME_RE.test(v) && !Number.isNaN(Date.parse(v.length === 16 ? `${v}:00` : v)), {
    error: 'expected an ISO 8601 date-time such as 2026-05-04T09:00:00+03:00',
  });

const positiveInt = z.number().int().min(1);

/** `ActivityRecurrenceModel` (severa-api.md §7); `exceptions` is read-only and ignored on input. */
export const recurrenceSchema = z.looseObject({
  frequency: z.enum(SEVERA_FREQUENCIES),
  pattern: z
    .looseObject({
      daily: z
        .looseObject({ interval: positiveInt.nullish(), everyWeekday: z.boolean().optional() })
        .nullish(),
      weekly: z
        .looseObject({
          interval: positiveInt.optional(),
          monday: z.boolean().optional(),
          tuesday: z.boolean().optional(),
          wednesday: z.boolean().optional(),
          thursday: z.boolean().optional(),
          friday: z.boolean().optional(),
          saturday: z.boolean().optional(),
          sunday: z.boolean().optional(),
        })
        .nullish(),
      monthly: z
        .looseObject({
          interval: positiveInt.optional(),
          dayOfMonth: z.number().int().min(1).max(31).nullish(),
          dayOrdinal: z.enum(DAY_ORDINALS).nullish(),
          dayOrdinalOption: z.enum(DAY_ORDINAL_OPTIONS).nullish(),
        })
        .nullish(),
      yearly: z
        .looseObject({
          month: z.enum(MONTHS).optional(),
          dayOfMonth: z.number().int().min(1).max(31).nullish(),
          dayOrdinal: z.enum(DAY_ORDINALS).nullish(),
          dayOrdinalOption: z.enum(DAY_ORDINAL_OPTIONS).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  range: z
    .looseObject({
      maxOccurrences: positiveInt.nullish(),
      recursUntilDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .nullish(),
    })
    .nullish(),
  exceptions: z.array(z.string()).nullish(),
  lastOccurrenceDateTime: z.string().nullish(),
});
export type RecurrenceInput = z.infer<typeof recurrenceSchema>;

const guid = z.string().min(1);

export const credentialSchema = z.strictObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  /** Scopes granted to this credential (severa-api.md §2: chosen per credential by the administrator). */
  scopes: z.array(z.string().min(1)),
  /** The user that API writes are attributed to (`createdBy` / `lastUpdatedBy`, severa-api.md §15 [UNCONFIRMED]). */
  apiUserGuid: guid,
});

export const userSchema = z.strictObject({
  guid,
  firstName: z.string().min(1),
  lastName: z.string().min(1),
  email: z.string().nullable().optional(),
  code: z.string().nullable().optional(),
  isActive: z.boolean().default(true),
  /** IANA zone (`TimezoneModel.ianaName`, severa-api.md §10). */
  timezone: z.string().refine(isTimeZone, { error: 'unknown IANA time zone' }),
  defaultActivityTypeGuid: guid.nullable().optional(),
});

export const activityTypeSchema = z.strictObject({
  guid,
  name: z.string().min(1),
  code: z.string().nullable().optional(),
  category: z.enum(SEVERA_ACTIVITY_CATEGORIES),
  isActive: z.boolean().default(true),
  isDefault: z.boolean().default(false),
});

export const fixtureActivitySchema = z.strictObject({
  guid: guid.optional(),
  name: z.string().min(1),
  startDateTime: dateTimeSchema,
  endDateTime: dateTimeSchema.nullable().optional(),
  isAllDay: z.boolean().default(false),
  hasDuration: z.boolean().default(true),
  isClosed: z.boolean().default(false),
  notes: z.string().nullable().optional(),
  location: z.string().max(1000).nullable().optional(),
  activityTypeGuid: guid,
  ownerGuid: guid,
  /** Users that take part besides the owner (`ActivityParticipantModel` type User, severa-api.md §8). */
  participantGuids: z.array(guid).default([]),
  recurrence: recurrenceSchema.nullable().optional(),
  /** Project link (`ActivityPhase`, severa-api.md §9): marks a project task together with category Task. */
  phase: z
    .strictObject({
      guid,
      name: z.string(),
      projectGuid: z.string().optional(),
      projectName: z.string().optional(),
    })
    .nullable()
    .optional(),
  projectTaskStatus: z.strictObject({ guid, name: z.string() }).nullable().optional(),
});

export const fixtureSchema = z.strictObject({
  organisation: z.strictObject({ guid: guid.optional(), name: z.string().min(1) }),
  credentials: z.array(credentialSchema).min(1),
  users: z.array(userSchema),
  activityTypes: z.array(activityTypeSchema),
  activities: z.array(fixtureActivitySchema).default([]),
});

/** What a fixture file contains (defaults optional). */
export type SeveraFixture = z.input<typeof fixtureSchema>;
/** A fixture after validation (defaults filled in). */
export type ParsedFixture = z.output<typeof fixtureSchema>;
export type FixtureUser = z.output<typeof userSchema>;
export type FixtureActivityType = z.output<typeof activityTypeSchema>;
export type FixtureCredential = z.output<typeof credentialSchema>;
export type FixtureActivity = z.output<typeof fixtureActivitySchema>;

/**
 * The subset of the Google Calendar v3 `Event` resource the sync reads and writes, validated on the way in. Field
 * names follow the discovery document (contracts/google-calendar-v3-discovery.json, `schemas.Event`,
 * `schemas.EventDateTime`, `schemas.EventAttendee`; summarised in reference/google-calendar.md §3). Objects are zod
 * *loose* objects: every field the sync does not use (reminders, conferenceData, …) passes through untouched.
 * Values the discovery document lists only in prose (`status`, `visibility`, `eventType`, `transparency`) are read as
 * strings so a new value never fails a listing; the constants below name the documented ones.
 */
import { z } from 'zod';

/** `status` values (discovery `Event.status`). A cancelled exception of a live series hides one occurrence. */
export const EVENT_STATUSES = ['confirmed', 'tentative', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** `visibility` values. `private` and `confidential` both mean private (google-calendar.md §3). */
export const EVENT_VISIBILITIES = ['default', 'public', 'private', 'confidential'] as const;
export type EventVisibility = (typeof EVENT_VISIBILITIES)[number];

/** The `extendedProperties.private` key holding the Severa guid of an event the sync wrote (SPEC B4). */
export const SEVERA_GUID_PROPERTY = 'severaGuid';

const rfc3339 = z.iso.datetime({ offset: true, error: 'expected an RFC 3339 date-time with an offset' });

/**
 * `EventDateTime`: `date` for all-day, else `dateTime`; "a time zone offset is required unless a time zone is
 * explicitly specified in timeZone" (discovery `EventDateTime.dateTime`), so an offset-less `dateTime` is accepted and
 * read in `timeZone` by the mapper.
 */
export const eventDateTimeSchema = z.looseObject({
  date: z.iso.date({ error: 'expected a date yyyy-mm-dd' }).optional(),
  dateTime: z.iso
    .datetime({
      offset: true,
      local: true,
      error: 'expected an RFC 3339 date-time, e.g. 2026-05-04T09:00:00+03:00',
    })
    .optional(),
  timeZone: z.string().optional(),
});
export type EventDateTime = z.infer<typeof eventDateTimeSchema>;

const stringMap = z.record(z.string(), z.string());

export const eventAttendeeSchema = z.looseObject({
  id: z.string().optional(),
  email: z.string().optional(),
  displayName: z.string().optional(),
  organizer: z.boolean().optional(),
  self: z.boolean().optional(),
  resource: z.boolean().optional(),
  optional: z.boolean().optional(),
  responseStatus: z.string().optional(),
  comment: z.string().optional(),
  additionalGuests: z.number().int().optional(),
});

const eventFields = {
  status: z.string().optional(),
  etag: z.string().optional(),
  updated: rfc3339.optional(),
  created: rfc3339.optional(),
  summary: z.string().optional(),
  description: z.string().optional(),
  location: z.string().optional(),
  start: eventDateTimeSchema.optional(),
  end: eventDateTimeSchema.optional(),
  endTimeUnspecified: z.boolean().optional(),
  recurrence: z.array(z.string()).optional(),
  recurringEventId: z.string().optional(),
  originalStartTime: eventDateTimeSchema.optional(),
  iCalUID: z.string().optional(),
  visibility: z.string().optional(),
  eventType: z.string().optional(),
  extendedProperties: z
    .looseObject({ private: stringMap.optional(), shared: stringMap.optional() })
    .optional(),
  organizer: z
    .looseObject({
      id: z.string().optional(),
      email: z.string().optional(),
      displayName: z.string().optional(),
      self: z.boolean().optional(),
    })
    .optional(),
  attendees: z.array(eventAttendeeSchema).optional(),
  sequence: z.number().int().optional(),
  transparency: z.string().optional(),
};

/**
 * A live event must say when it happens; a cancelled one may carry only `id` (and, for a cancelled occurrence,
 * `recurringEventId` + `originalStartTime`), google-calendar.md §3.
 */
function requireTimesUnlessCancelled(
  event: { readonly status?: string | undefined; readonly start?: EventDateTime | undefined },
  ctx: z.RefinementCtx,
): void {
  if (event.status === 'cancelled') return;
  const start = event.start;
  if (start?.date === undefined && start?.dateTime === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['start'],
      message: 'a live event needs start.date or start.dateTime',
    });
  }
}

/** A request body (insert/update/patch, or an exception instance): `id` optional. */
export const eventBodySchema = z.looseObject({ id: z.string().min(1).optional(), ...eventFields });
export type EventBody = z.infer<typeof eventBodySchema>;

/** An event as Google returns it: every event, even a cancelled tombstone, has an `id`. */
export const eventSchema = z
  .looseObject({ id: z.string({ error: 'Event.id is required' }).min(1), ...eventFields })
  .superRefine(requireTimesUnlessCancelled);
export type Event = z.infer<typeof eventSchema>;

/**
 * Google Calendar `Event` (master + exception instances) ⇄ the core's {@link GoogleRecord} / {@link EntryContent}.
 * Pure: no I/O, no clock. Zone arithmetic is luxon's; HTML descriptions are read as text by html-text.ts. Field
 * facts: reference/google-calendar.md §3 and the discovery document's `schemas.Event` / `schemas.EventDateTime`.
 */
import { DateTime, Info } from 'luxon';

import { normaliseNotes, normaliseTitle, type EntryContent, type GoogleRecord } from '../../domain/entry.js';
import type { Recurrence, RecurrenceOverride } from '../../domain/recurrence.js';
import { addDays, canonicalInstant, type Timing } from '../../domain/timing.js';
import { formatGoogleRecurrence, parseGoogleRecurrence } from '../../sync/recurrence/rrule.js';
import {
  SEVERA_GUID_PROPERTY,
  type Event,
  type EventBody,
  type EventDateTime,
} from './google-calendar.wire.js';
import { htmlToText, looksLikeHtml, textAsHtml } from './html-text.js';

const OFFSET_FORMAT = "yyyy-MM-dd'T'HH:mm:ssZZ";
const UTC_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'";

/** `updated` stand-in when Google sends none: the oldest possible, so "latest modification wins" never favours it. */
const UNKNOWN_UPDATED = '1970-01-01T00:00:00Z';

function assertZone(zone: string): void {
  if (!Info.isValidIANAZone(zone)) throw new RangeError(`not an IANA time zone: ${JSON.stringify(zone)}`);
}

/** A `dateTime` as a canonical UTC instant; one without an offset is wall-clock time in `zone` (EventDateTime). */
function instant(value: string, zone: string): string {
  const dt = DateTime.fromISO(value, { zone });
  if (!dt.isValid) throw new RangeError(`not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  return canonicalInstant(dt.toUTC().toFormat(UTC_FORMAT));
}

/** An instant written with the zone's offset at that instant (`2026-05-04T09:00:00+03:00` in Europe/Helsinki). */
function offsetDateTime(value: string, zone: string): string {
  const dt = DateTime.fromISO(value, { zone });
  if (!dt.isValid) throw new RangeError(`not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  return dt.toFormat(OFFSET_FORMAT);
}

/**
 * `description` → notes. Google's editor stores rich text as HTML; the notes are the text a person reads there
 * (html-text.ts). Writes that leave the notes as read never send the description (`CalendarWrite.current`), so the
 * HTML stays as Google holds it.
 */
function descriptionToNotes(description: string | undefined): string {
  const value = description ?? '';
  return normaliseNotes(looksLikeHtml(value) ? htmlToText(value) : value);
}

/** Notes → `description`: plain text, unless it would read back as HTML ("use <br>"): then escaped HTML of it. */
function notesToDescription(notes: string): string {
  const text = normaliseNotes(notes);
  return looksLikeHtml(text) ? textAsHtml(text) : text;
}

/**
 * Google's `organizer.self` with at least one guest who is not the calendar's owner (`self`) nor a room or other
 * resource: a meeting this user sends (discovery `Event.organizer`, `EventAttendee.self`/`resource`).
 */
function organisesMeeting(event: Pick<Event, 'organizer' | 'attendees'>): boolean {
  if (event.organizer?.self !== true) return false;
  return (event.attendees ?? []).some((a) => a.self !== true && a.resource !== true);
}

function zoneOrDefault(candidate: string | undefined, fallback: string): string {
  return candidate !== undefined && Info.isValidIANAZone(candidate) ? candidate : fallback;
}

/**
 * `start`/`end` → timing.
 * - All-day (`start.date`): dates with the exclusive `end.date` (google-calendar.md §3); a missing or non-increasing
 *   end means one day.
 * - Timed: instants canonicalised; the zone is `start.timeZone`, else the calendar's (`zone`). With
 *   `endTimeUnspecified` the end is synthetic (§3), so end = start; an end before the start is clamped to it.
 */
function eventTiming(event: Pick<Event, 'start' | 'end' | 'endTimeUnspecified'>, zone: string): Timing {
  const start = event.start;
  if (start?.date !== undefined) {
    const minEnd = addDays(start.date, 1);
    const endDate = event.end?.date;
    return {
      kind: 'allDay',
      startDate: start.date,
      endDate: endDate !== undefined && endDate > start.date ? endDate : minEnd,
    };
  }
  if (start?.dateTime === undefined) throw new RangeError('event has neither start.date nor start.dateTime');
  const timeZone = zoneOrDefault(start.timeZone, zone);
  const startInstant = instant(start.dateTime, timeZone);
  const endValue = event.endTimeUnspecified === true ? undefined : event.end?.dateTime;
  const endInstant =
    endValue === undefined ? startInstant : instant(endValue, zoneOrDefault(event.end?.timeZone, timeZone));
  return {
    kind: 'timed',
    start: startInstant,
    end: endInstant < startInstant ? startInstant : endInstant,
    timeZone,
  };
}

/**
 * `originalStartTime` → an original-start key in the series' encoding (domain `RecurrenceOverride.originalStart`):
 * a canonical instant for a timed series, a date for an all-day one.
 */
function originalStartKey(original: EventDateTime | undefined, series: Timing, zone: string): string | null {
  if (original === undefined) return null;
  if (series.kind === 'allDay') {
    if (original.date !== undefined) return original.date;
    if (original.dateTime === undefined) return null;
    return DateTime.fromISO(original.dateTime, { zone: zoneOrDefault(original.timeZone, zone) }).toFormat(
      'yyyy-MM-dd',
    );
  }
  if (original.dateTime !== undefined)
    return instant(original.dateTime, zoneOrDefault(original.timeZone, zone));
  if (original.date === undefined) return null;
  // A date on a timed series: the occurrence that day at the series' local start time.
  const wall = DateTime.fromISO(series.start, { zone: series.timeZone });
  const dt = DateTime.fromISO(original.date, { zone: series.timeZone }).set({
    hour: wall.hour,
    minute: wall.minute,
    second: wall.second,
  });
  return canonicalInstant(dt.toUTC().toFormat(UTC_FORMAT));
}

function foldSeries(
  master: Event,
  lines: readonly string[],
  exceptions: readonly Event[],
  timing: Timing,
  calendarZone: string,
): Recurrence {
  const zone = timing.kind === 'timed' ? timing.timeZone : calendarZone;
  const parsed = parseGoogleRecurrence(lines, timing);
  const exdates = new Set(parsed.exdates);
  const overrides = new Map<string, RecurrenceOverride>();
  for (const instance of exceptions) {
    if (instance.recurringEventId !== master.id) continue;
    const key = originalStartKey(instance.originalStartTime, timing, zone);
    if (key === null) continue;
    if (instance.status === 'cancelled') {
      // A cancelled exception of a live series hides that one occurrence (google-calendar.md §3).
      exdates.add(key);
      continue;
    }
    overrides.set(key, {
      originalStart: key,
      title: normaliseTitle(instance.summary),
      notes: descriptionToNotes(instance.description),
      location: normaliseTitle(instance.location),
      timing: eventTiming(instance, zone),
    });
  }
  for (const key of exdates) overrides.delete(key);
  return {
    pattern: parsed.pattern,
    exdates: [...exdates].sort(),
    overrides: [...overrides.values()].sort((a, b) => (a.originalStart < b.originalStart ? -1 : 1)),
  };
}

export interface EventToRecordContext {
  /** The calendar's time zone: the zone of a timed event whose `start.timeZone` is absent. */
  readonly defaultTimeZone: string;
}

/**
 * A master event (single or recurring) plus its exception instances → the core's record; null for a cancelled
 * master (a deletion, google-calendar.md §3). Exceptions of other masters are ignored.
 */
export function eventToRecord(
  master: Event,
  exceptions: readonly Event[],
  ctx: EventToRecordContext,
): GoogleRecord | null {
  assertZone(ctx.defaultTimeZone);
  if (master.status === 'cancelled') return null;
  const timing = eventTiming(master, ctx.defaultTimeZone);
  const lines = master.recurrence ?? [];
  const visibility = master.visibility;
  const severaGuid = master.extendedProperties?.private?.[SEVERA_GUID_PROPERTY];
  const updated = master.updated ?? master.created;
  return {
    id: master.id,
    etag: master.etag ?? '',
    updated: updated === undefined ? UNKNOWN_UPDATED : instant(updated, 'UTC'),
    // Google gives every event an iCalUID; `<id>@google.com` is what it assigns to events created with an id.
    iCalUID: master.iCalUID ?? `${master.id}@google.com`,
    content: {
      title: normaliseTitle(master.summary),
      notes: descriptionToNotes(master.description),
      location: normaliseTitle(master.location),
      timing,
      recurrence:
        lines.length === 0 ? null : foldSeries(master, lines, exceptions, timing, ctx.defaultTimeZone),
      // `confidential` is "the same as private" (google-calendar.md §3); `default` and `public` are not private.
      isPrivate: visibility === 'private' || visibility === 'confidential',
    },
    severaGuid: severaGuid === undefined || severaGuid === '' ? null : severaGuid,
    eventType: master.eventType ?? 'default',
    organizerOfMeeting: organisesMeeting(master),
  };
}

function timingToEvent(timing: Timing): { readonly start: EventDateTime; readonly end: EventDateTime } {
  if (timing.kind === 'allDay') return { start: { date: timing.startDate }, end: { date: timing.endDate } };
  assertZone(timing.timeZone);
  // `timeZone` is required on recurring events (the zone the RRULE expands in, §3) and harmless on single ones.
  return {
    start: { dateTime: offsetDateTime(timing.start, timing.timeZone), timeZone: timing.timeZone },
    end: { dateTime: offsetDateTime(timing.end, timing.timeZone), timeZone: timing.timeZone },
  };
}

export interface RecordToEventInput {
  /** The deterministic event id (`googleEventIdFor`, B4). */
  readonly id: string;
  readonly content: EntryContent;
  readonly severaGuid: string;
}

/**
 * The insert/update body of a master event. It holds only the synced fields: `eventType` is left out (immutable,
 * default `default`), no attendees are written (no invitations, SPEC §7), and `status: confirmed` is explicit so an
 * update also revives a cancelled event with this id (the 409 path of a retried insert). Modified occurrences are
 * written separately with {@link overrideToInstanceEvent}; cancelled ones travel as EXDATE lines.
 */
export function recordToEvent(input: RecordToEventInput): Event {
  const { content } = input;
  return {
    id: input.id,
    status: 'confirmed',
    summary: normaliseTitle(content.title),
    description: notesToDescription(content.notes),
    location: normaliseTitle(content.location),
    ...timingToEvent(content.timing),
    ...(content.recurrence === null
      ? {}
      : { recurrence: formatGoogleRecurrence(content.recurrence, content.timing) }),
    visibility: content.isPrivate ? 'private' : 'default',
    extendedProperties: { private: { [SEVERA_GUID_PROPERTY]: input.severaGuid } },
  };
}

/**
 * The body of the exception instance for a modified occurrence of master `masterId`: its own content and times plus
 * the immutable `recurringEventId` and `originalStartTime` that identify the occurrence (google-calendar.md §3).
 * `zone` is the series' zone, in which a timed `originalStartTime` is written.
 */
export function overrideToInstanceEvent(
  masterId: string,
  override: RecurrenceOverride,
  zone: string,
): EventBody {
  assertZone(zone);
  const isDate = /^\d{4}-\d{2}-\d{2}$/.test(override.originalStart);
  return {
    recurringEventId: masterId,
    originalStartTime: isDate
      ? { date: override.originalStart }
      : { dateTime: offsetDateTime(override.originalStart, zone), timeZone: zone },
    status: 'confirmed',
    summary: normaliseTitle(override.title),
    description: notesToDescription(override.notes),
    location: normaliseTitle(override.location),
    ...timingToEvent(override.timing),
  };
}

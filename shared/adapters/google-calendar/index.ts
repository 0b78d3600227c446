export {
  EVENT_STATUSES,
  EVENT_VISIBILITIES,
  SEVERA_GUID_PROPERTY,
  eventAttendeeSchema,
  eventBodySchema,
  eventDateTimeSchema,
  eventSchema,
} from './google-calendar.wire.js';
export type {
  Event,
  EventBody,
  EventDateTime,
  EventStatus,
  EventVisibility,
} from './google-calendar.wire.js';
export { eventToRecord, overrideToInstanceEvent, recordToEvent } from './google-calendar.mapper.js';
export type { EventToRecordContext, RecordToEventInput } from './google-calendar.mapper.js';

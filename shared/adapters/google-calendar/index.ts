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
export {
  CALENDAR_SCOPE,
  DEFAULT_P12_PASSWORD,
  DEFAULT_TIMEOUT_MS,
  DelegatedAuth,
  GOOGLE_TOKEN_URL,
  privateKeyPemFromP12,
} from './google.auth.js';
export type { DelegatedAuthOptions } from './google.auth.js';
export { classifyGoogleError, describeGoogleFailure, isTokenEndpointFailure } from './google.errors.js';
export type { ClassifyContext, GoogleFailure, GoogleOperation } from './google.errors.js';
export { GoogleCalendarAdapter } from './google-calendar.adapter.js';
export { MAX_PAGE_SIZE, quotaUserFor } from './google-calendar.client.js';
export type { GoogleCalendarAdapterOptions } from './google-calendar.adapter.js';

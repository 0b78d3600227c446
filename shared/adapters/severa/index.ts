export {
  ACTIVITY_PATCH_PATHS,
  EXCEPTION_TYPES,
  MEMBER_STATUSES,
  PARTICIPANT_TYPES,
  PATCH_OPERATION_TYPES,
  RECURRENCE_TYPES,
  activityModelSchema,
  activityParticipantModelSchema,
  activityRecurrenceModelSchema,
  activityTypeModelSchema,
  exceptionModelSchema,
  isExceptionType,
  isSeveraDateTime,
  patchDocumentSchema,
  patchOperationSchema,
  timezoneModelSchema,
  userOutputModelSchema,
} from './severa.wire.js';
export type {
  ActivityCreateBody,
  ActivityExceptionFields,
  ActivityModel,
  ActivityParticipantModel,
  ActivityPatchPath,
  ActivityRecurrenceModel,
  ActivityTypeModel,
  ExceptionModel,
  ExceptionType,
  MemberStatus,
  ParticipantType,
  PatchOperation,
  PatchOperationType,
  RecurrenceType,
  ReplaceOperation,
  TimezoneModel,
  UserOutputModel,
} from './severa.wire.js';
export {
  UNTITLED_ACTIVITY_NAME,
  activityToRecord,
  activityTypeFromModel,
  contentToActivityCreate,
  contentToPatch,
  isProjectTask,
  overrideToExceptionFields,
  userParticipantGuids,
  userToSyncUser,
} from './severa.mapper.js';
export type { ActivityCreateInput, ActivityToRecordContext, ContentPatchOptions } from './severa.mapper.js';
export { localMidnight, severaInstant, toOffsetDateTime } from './severa.time.js';
export {
  DEFAULT_TIMEOUT_MS,
  MAX_PAGES,
  SEVERA_PAGE_SIZE,
  SEVERA_PRODUCTION_BASE_URL,
  SeveraHttpClient,
  TOKEN_RENEW_MARGIN_MS,
} from './severa.client.js';
export { SEVERA_SYNC_SCOPES, readExceptionModel, severaErrorFor } from './severa.errors.js';
export type { FailedResponse } from './severa.errors.js';
export type {
  HttpMethod,
  QueryValue,
  SeveraAccess,
  SeveraHttpClientOptions,
  SeveraRequest,
  SeveraResponse,
} from './severa.client.js';
export { SeveraAdapter } from './severa.adapter.js';
export type { SeveraAdapterOptions } from './severa.adapter.js';
export { DEFAULT_DIRECTORY_TTL_MS } from './severa.directory-cache.js';
export type { SeveraUserLookup } from './severa.directory-cache.js';

/**
 * The JSON the Severa simulator answers with: `ActivityModel` (§5), `ActivityParticipantModel` (§8), `UserModel`
 * (§10) and `ActivityTypeModel` (§9), built from the store. Date-times carry the owner's offset, stamps UTC (§3).
 */
import { notFound } from './errors.js';
import {
  formatInZone,
  formatStamp,
  type ActivityRow,
  type SeveraStore,
  type StoredParticipant,
} from './store.js';

/** The JSON shape of an activity (`ActivityModel`, §5). */
export interface ActivityModel {
  readonly guid: string;
  readonly name: string;
  readonly startDateTime: string;
  readonly endDateTime: string | null;
  readonly isAllDay: boolean;
  readonly hasDuration: boolean;
  readonly isClosed: boolean;
  readonly isUnassigned: boolean;
  readonly hasHours: boolean;
  readonly notes: string | null;
  readonly location: string | null;
  readonly activityType: { guid: string; name: string | null; category: string | null };
  readonly ownerUser: { guid: string; code: string | null; name: string | null; keywords: [] };
  readonly customer: null;
  readonly phase: Record<string, unknown> | null;
  readonly projectTaskStatus: { guid: string; name: string } | null;
  readonly recurrence: Record<string, unknown> | null;
  readonly recurrenceRule: null;
  readonly recurrenceType: string;
  readonly recurrenceParentActivityGuid: string | null;
  readonly createdDateTime: string;
  readonly createdBy: UserRef | null;
  readonly lastUpdatedDateTime: string;
  readonly lastUpdatedBy: UserRef | null;
}

export interface UserRef {
  readonly guid: string;
  readonly name: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly code: string | null;
}

export interface ActivityParticipantModel {
  readonly guid: string;
  readonly activityGuid: string;
  readonly participantGuid: string;
  readonly type: string;
  readonly status: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly isActive: boolean;
  readonly phone: string | null;
  readonly mobilePhone: string | null;
}

function userRef(store: SeveraStore, guid: string): UserRef | null {
  const u = store.users.get(guid);
  if (u === undefined) return { guid, name: null, firstName: null, lastName: null, code: null };
  return {
    guid,
    name: `${u.firstName} ${u.lastName}`,
    firstName: u.firstName,
    lastName: u.lastName,
    code: u.code ?? null,
  };
}

function phaseModel(phase: ActivityRow['stored']['phase']): ActivityModel['phase'] {
  if (phase === null) return null;
  return {
    guid: phase.guid,
    name: phase.name,
    isLocked: false,
    projectGuid: phase.projectGuid ?? null,
    projectName: phase.projectName ?? null,
    projectNumber: null,
    projectOwnerGuid: null,
  };
}

/** `recurrence` is shown on the Series master only, with its exception dates (read-only, §7). */
function recurrenceModel(store: SeveraStore, row: ActivityRow): ActivityModel['recurrence'] {
  const a = row.stored;
  if (row.recurrenceType !== 'Series' || a.recurrence === null) return null;
  return {
    frequency: a.recurrence.frequency,
    pattern: a.recurrence.pattern ?? null,
    range: a.recurrence.range ?? null,
    exceptions: store.exceptionDates(a),
    lastOccurrenceDateTime: a.recurrence.lastOccurrenceDateTime ?? null,
  };
}

export function activityModel(store: SeveraStore, row: ActivityRow): ActivityModel {
  const a = row.stored;
  const zone = store.zoneOf(a.ownerGuid);
  const type = store.activityTypes.get(a.activityTypeGuid);
  const owner = userRef(store, a.ownerGuid);
  const isOccurrence = row.recurrenceType === 'Occurrence';
  return {
    guid: row.guid,
    name: a.name,
    startDateTime: formatInZone(row.startMs, zone),
    endDateTime: row.endMs === null ? null : formatInZone(row.endMs, zone),
    isAllDay: a.isAllDay,
    hasDuration: a.hasDuration,
    isClosed: a.isClosed,
    isUnassigned: a.isUnassigned,
    hasHours: false,
    notes: a.notes,
    location: a.location,
    activityType: { guid: a.activityTypeGuid, name: type?.name ?? null, category: type?.category ?? null },
    ownerUser: { guid: a.ownerGuid, code: owner?.code ?? null, name: owner?.name ?? null, keywords: [] },
    customer: null,
    phase: phaseModel(a.phase),
    projectTaskStatus: a.projectTaskStatus,
    recurrence: recurrenceModel(store, row),
    recurrenceRule: null,
    recurrenceType: row.recurrenceType,
    recurrenceParentActivityGuid: isOccurrence ? a.guid : a.kind === 'Exception' ? a.parentGuid : null,
    createdDateTime: formatStamp(a.createdMs),
    createdBy: userRef(store, a.createdBy),
    lastUpdatedDateTime: formatStamp(a.updatedMs),
    lastUpdatedBy: userRef(store, a.updatedBy),
  };
}

/** The activity as `GET /v1/activities/{guid}` returns it, or null. */
export function modelOf(store: SeveraStore, guid: string): ActivityModel | null {
  const row = store.find(guid);
  return row === null ? null : activityModel(store, row);
}

export function participantModel(store: SeveraStore, p: StoredParticipant): ActivityParticipantModel {
  const u = p.type === 'User' ? store.users.get(p.participantGuid) : undefined;
  return {
    guid: p.guid,
    activityGuid: p.activityGuid,
    participantGuid: p.participantGuid,
    type: p.type,
    status: p.status,
    name: u === undefined ? null : `${u.firstName} ${u.lastName}`,
    email: u?.email ?? null,
    isActive: u?.isActive ?? true,
    phone: p.phone,
    mobilePhone: p.mobilePhone,
  };
}

export function userModel(store: SeveraStore, guid: string): Record<string, unknown> {
  const u = store.users.get(guid);
  if (u === undefined) throw notFound('User', guid);
  const dt =
    u.defaultActivityTypeGuid == null ? undefined : store.activityTypes.get(u.defaultActivityTypeGuid);
  return {
    guid: u.guid,
    firstName: u.firstName,
    lastName: u.lastName,
    email: u.email ?? null,
    code: u.code ?? null,
    isActive: u.isActive,
    // TimezoneModel (§10): the sim only knows the IANA name.
    timezone: { guid: null, ianaName: u.timezone, name: u.timezone, systemName: null },
    defaultActivityType: dt === undefined ? null : { guid: dt.guid, name: dt.name },
    userType: 'FullUser',
    createdDateTime: formatStamp(u.createdMs),
    lastUpdatedDateTime: formatStamp(u.updatedMs),
  };
}

export function activityTypeModel(store: SeveraStore, guid: string): Record<string, unknown> {
  const t = store.activityTypes.get(guid);
  if (t === undefined) throw notFound('Activity type', guid);
  return {
    guid: t.guid,
    name: t.name,
    code: t.code ?? null,
    category: t.category,
    isActive: t.isActive,
    isDefault: t.isDefault,
    isPaidLeave: null,
    createdDateTime: formatStamp(t.createdMs),
    lastUpdatedDateTime: formatStamp(t.updatedMs),
  };
}

/**
 * Severa `ActivityModel` ⇄ the core's {@link SeveraRecord} / {@link EntryContent}. Pure: no I/O, no clock. Time-zone
 * arithmetic is luxon's (severa.time.ts for times); the only zone a Severa activity has is its owner's (`UserOutputModel.timezone`), because
 * activities carry offsets but no zone (reference/severa-api.md §5).
 */
import { DateTime, Info } from 'luxon';

import {
  normaliseNotes,
  normaliseTitle,
  type ActivityCategory,
  type ActivityType,
  type EntryContent,
  type SeveraRecord,
  type SyncUser,
} from '../../domain/entry.js';
import type { Recurrence, RecurrenceOverride } from '../../domain/recurrence.js';
import type { Timing } from '../../domain/timing.js';
import { readFromSevera } from '../../sync/severa-fields.js';
import type {
  ActivityCreateBody,
  ActivityExceptionFields,
  ActivityModel,
  ActivityParticipantModel,
  ActivityTypeModel,
  ReplaceOperation,
  UserOutputModel,
} from './severa.wire.js';
import { ruleToSeveraRecurrence, severaRecurrenceToRule } from './severa-recurrence.mapper.js';
import type { SeveraRecurrence } from './severa-recurrence.wire.js';
import {
  allDayBoundary,
  assertZone,
  isoDate,
  localMidnight,
  parseIn,
  severaInstant,
  severaTiming,
  timingToSevera,
  toCanonical,
} from './severa.time.js';

// ---------------------------------------------------------------------------------------------------------------
// Text

/**
 * `ActivityModel.name` is required with `minLength: 1` (contract), while a Google event may have no summary. An empty
 * title is written as this placeholder (Google's own UI label for such events) and read back as empty, so the two
 * sides hash equal.
 */
export const UNTITLED_ACTIVITY_NAME = '(No title)';

function titleFromName(name: string | null | undefined): string {
  const title = normaliseTitle(name);
  return title === UNTITLED_ACTIVITY_NAME ? '' : title;
}

function nameFromTitle(title: string): string {
  const name = normaliseTitle(title);
  return name === '' ? UNTITLED_ACTIVITY_NAME : name;
}

// ---------------------------------------------------------------------------------------------------------------
// Classification (S3, S4; severa-api.md §9)

function isSet(
  ref: { readonly guid?: string | null; readonly name?: string | null } | null | undefined,
): boolean {
  if (ref === null || ref === undefined) return false;
  return (ref.guid ?? '') !== '' || (ref.name ?? '') !== '';
}

/** Project tasks are never synced (S3): category `Task`, or a `phase` (project link), or a `projectTaskStatus`. */
export function isProjectTask(
  activity: Pick<ActivityModel, 'phase' | 'projectTaskStatus'>,
  category: ActivityCategory,
): boolean {
  return category === 'Task' || isSet(activity.phase) || isSet(activity.projectTaskStatus);
}

function resolveCategory(
  activity: ActivityModel,
  types: readonly ActivityType[] | undefined,
): ActivityCategory {
  // `category` is read-only on `ActivityActivityType`, so responses carry it; a cached `/v1/activitytypes` listing
  // (§15) covers a response that does not.
  const category =
    activity.activityType.category ?? types?.find((t) => t.guid === activity.activityType.guid)?.category;
  if (category === undefined) {
    throw new RangeError(
      `activity ${activity.guid ?? '(no guid)'}: activity type ${activity.activityType.guid} has no category`,
    );
  }
  return category;
}

// ---------------------------------------------------------------------------------------------------------------
// Series (severa-api.md §7)

interface ExceptionDate {
  /** Canonical original start: UTC instant (timed series) or date (all-day series). */
  readonly originalStart: string;
  /** Local date of that occurrence in the owner's zone. */
  readonly localDate: string;
  readonly ms: number;
}

/**
 * The original start of the occurrence an `exceptions[]` value names. Severa's examples give the occurrence's start
 * date-time (§12); to be robust to a date-only spelling too, the value is reduced to its local date (all-day
 * boundary rules) and, for a timed series, combined with the series' local start time: occurrences of a rule
 * expanded in a zone keep their wall-clock time across DST, so this is the exact original start.
 */
function exceptionDate(value: string, series: Timing, zone: string): ExceptionDate {
  const localDate = allDayBoundary(value, zone).date;
  if (series.kind === 'allDay') {
    return { originalStart: localDate, localDate, ms: DateTime.fromISO(localDate, { zone }).toMillis() };
  }
  const wall = parseIn(series.start, zone);
  const occurrence = DateTime.fromISO(localDate, { zone }).set({
    hour: wall.hour,
    minute: wall.minute,
    second: wall.second,
  });
  return { originalStart: toCanonical(occurrence), localDate, ms: occurrence.toMillis() };
}

/**
 * A row's start for matching against `exceptions[]`: `originalStart` is its start in the series' encoding (empty when
 * the encodings differ, so rule 1 below cannot match), plus its local date and instant.
 */
function rowStart(timing: Timing, series: Timing, zone: string): ExceptionDate {
  if (timing.kind === 'allDay') {
    const ms = DateTime.fromISO(timing.startDate, { zone }).toMillis();
    return {
      originalStart: series.kind === 'allDay' ? timing.startDate : '',
      localDate: timing.startDate,
      ms,
    };
  }
  const local = parseIn(timing.start, zone);
  const localDate = isoDate(local);
  return {
    originalStart: series.kind === 'timed' ? timing.start : localDate,
    localDate,
    ms: local.toMillis(),
  };
}

/**
 * Folds `Exception` rows into the series' overrides and leaves the rest of `exceptions[]` as cancelled occurrences.
 * The API does not say which listed exception a modified row replaces ([UNCONFIRMED], §14.5), so each row (in start
 * order) takes, among the listed exceptions not yet taken:
 * 1. the one equal to its start (the row kept its time: only text changed);
 * 2. else the one on the same local date (moved within its day);
 * 3. else the nearest one in time (moved to another day).
 * A row with nothing left to take is kept as an override of the occurrence on its own local date at the series'
 * start time (in case Severa lists only deleted occurrences in `exceptions[]`).
 */
function foldSeries(
  master: ActivityModel,
  wire: SeveraRecurrence,
  timing: Timing,
  zone: string,
  exceptionRows: readonly ActivityModel[],
): Recurrence {
  const rule = severaRecurrenceToRule(wire, timing);
  const free = new Map<string, ExceptionDate>();
  for (const value of wire.exceptions ?? []) {
    const e = exceptionDate(value, timing, zone);
    free.set(e.originalStart, e);
  }
  const rows = exceptionRows
    .filter((r) => r.recurrenceType === 'Exception' && r.recurrenceParentActivityGuid === master.guid)
    .map((row) => {
      const rowTiming = severaTiming(row, zone);
      return { row, timing: rowTiming, start: rowStart(rowTiming, timing, zone) };
    })
    .sort((a, b) => a.start.ms - b.start.ms);

  const overrides = new Map<string, RecurrenceOverride>();
  for (const { row, timing: rowTiming, start } of rows) {
    const candidates = [...free.values()];
    const match =
      free.get(start.originalStart) ??
      candidates.find((c) => c.localDate === start.localDate) ??
      candidates.sort((a, b) => Math.abs(a.ms - start.ms) - Math.abs(b.ms - start.ms) || a.ms - b.ms)[0];
    const originalStart =
      match?.originalStart ?? exceptionDate(localMidnight(start.localDate, zone), timing, zone).originalStart;
    if (match !== undefined) free.delete(match.originalStart);
    if (overrides.has(originalStart)) continue;
    overrides.set(originalStart, {
      originalStart,
      title: titleFromName(row.name),
      notes: normaliseNotes(row.notes),
      location: normaliseTitle(row.location),
      timing: rowTiming,
    });
  }
  return {
    pattern: { kind: 'rule', rule },
    exdates: [...free.keys()].sort(),
    overrides: [...overrides.values()].sort((a, b) => (a.originalStart < b.originalStart ? -1 : 1)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Activity → record

export interface ActivityToRecordContext {
  /** The owner's Severa timezone (`UserOutputModel.timezone.ianaName`): activities carry offsets, not zones. */
  readonly timeZone: string;
  /** `participantGuid`s of the activity's participants of type User (see {@link userParticipantGuids}). */
  readonly participantGuids: readonly string[];
  /** For a series: its `Exception` rows (other rows are ignored). */
  readonly exceptionRows?: readonly ActivityModel[];
  /** Cached `/v1/activitytypes`, used only when a response lacks `activityType.category`. */
  readonly activityTypes?: readonly ActivityType[];
}

/**
 * A validated `ActivityModel` → the core's record. A `Series` master with `recurrence` becomes one series entry
 * (rule + cancelled occurrences + modified occurrences from `exceptionRows`); any other row is a single entry.
 */
export function activityToRecord(activity: ActivityModel, ctx: ActivityToRecordContext): SeveraRecord {
  assertZone(ctx.timeZone);
  const guid = activity.guid;
  if (guid === null || guid === undefined || guid === '') throw new RangeError('activity without a guid');
  const stamp = activity.lastUpdatedDateTime ?? activity.createdDateTime;
  if (stamp === undefined) {
    throw new RangeError(`activity ${guid}: neither lastUpdatedDateTime nor createdDateTime is set`);
  }
  const category = resolveCategory(activity, ctx.activityTypes);
  const timing = severaTiming(activity, ctx.timeZone);
  const recurrence =
    activity.recurrenceType === 'Series' && activity.recurrence !== null && activity.recurrence !== undefined
      ? foldSeries(activity, activity.recurrence, timing, ctx.timeZone, ctx.exceptionRows ?? [])
      : null;
  const ownerGuid = activity.ownerUser.guid;
  return {
    guid,
    // No ETag exists: `lastUpdatedDateTime` is the only change stamp (§4); a never-edited row may lack it.
    version: severaInstant(stamp, ctx.timeZone),
    // A location too long for Severa was written shortened with the full text in the notes: read back whole.
    content: readFromSevera({
      title: titleFromName(activity.name),
      notes: normaliseNotes(activity.notes),
      location: normaliseTitle(activity.location),
      timing,
      recurrence,
      // Severa has no private flag (§5); privacy is the activity type's category `Personal` (SPEC §7, S4).
      isPrivate: category === 'Personal',
    }),
    activityType: {
      guid: activity.activityType.guid,
      name:
        activity.activityType.name ??
        ctx.activityTypes?.find((t) => t.guid === activity.activityType.guid)?.name ??
        '',
      category,
    },
    ownerGuid,
    participantGuids: [...new Set(ctx.participantGuids)].filter((g) => g !== ownerGuid).sort(),
    isProjectTask: isProjectTask(activity, category),
    createdAt:
      activity.createdDateTime === undefined ? null : severaInstant(activity.createdDateTime, ctx.timeZone),
    createdBy: activity.createdBy?.guid ?? null,
    ownerTimeZone: ctx.timeZone,
  };
}

/** The user participants (`type: User`) of an activity, owner excluded, sorted: `ctx.participantGuids`. */
export function userParticipantGuids(
  participants: readonly ActivityParticipantModel[],
  ownerGuid: string,
): readonly string[] {
  const guids = participants
    .filter((p) => (p.type ?? 'User') === 'User' && p.participantGuid !== ownerGuid)
    .map((p) => p.participantGuid);
  return [...new Set(guids)].sort();
}

/** `ActivityTypeModel` → the domain's type; null when the model has no guid (never in a response). */
export function activityTypeFromModel(model: ActivityTypeModel): ActivityType | null {
  if (model.guid === null || model.guid === undefined || model.guid === '') return null;
  return {
    guid: model.guid,
    name: model.name,
    category: model.category,
    isActive: model.isActive ?? true, // contract default: true
    isDefault: model.isDefault ?? false,
  };
}

/**
 * `UserOutputModel` → the sync's view of a user (S2: e-mail compared lower-case). Null without a guid or e-mail.
 * `timezone.ianaName` may be missing or not an IANA zone luxon knows; `fallbackTimeZone` (the org's) is used then.
 */
export function userToSyncUser(user: UserOutputModel, fallbackTimeZone: string): SyncUser | null {
  const email = (user.email ?? '').trim().toLowerCase();
  if (user.guid === null || user.guid === undefined || user.guid === '' || email === '') return null;
  const iana = user.timezone?.ianaName ?? '';
  const defaultType = user.defaultActivityType?.guid ?? '';
  return {
    severaUserGuid: user.guid,
    email,
    timeZone: Info.isValidIANAZone(iana) ? iana : fallbackTimeZone,
    defaultActivityTypeGuid: defaultType === '' ? null : defaultType,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Content → writes

function recurrenceToSevera(content: EntryContent): SeveraRecurrence | null {
  const recurrence = content.recurrence;
  if (recurrence === null) return null;
  if (recurrence.pattern.kind === 'unsupported') {
    // Severa cannot hold it; the planner degrades such series before asking for a write (S9).
    throw new RangeError('Severa cannot express this recurrence (unsupported pattern)');
  }
  const wire = ruleToSeveraRecurrence(recurrence.pattern.rule, content.timing);
  // Only the writable parts: `exceptions` is read-only (contract `ActivityRecurrenceModel`), and
  // `lastOccurrenceDateTime` follows from the range.
  return {
    frequency: wire.frequency,
    ...(wire.pattern === undefined ? {} : { pattern: wire.pattern }),
    ...(wire.range === undefined ? {} : { range: wire.range }),
  };
}

export interface ActivityCreateInput {
  readonly content: EntryContent;
  readonly activityTypeGuid: string;
  readonly ownerGuid: string;
  /** The owner's Severa timezone: offsets and all-day midnights are written in it. */
  readonly timeZone: string;
}

/**
 * The `POST /v1/activities` body (§6, §15 "Writes"): explicit offsets, `hasDuration: true` (legacy all-day needed it,
 * §12), all-day as local midnights with an exclusive end. A series carries its rule only: cancelled and modified
 * occurrences are written afterwards, because `recurrence.exceptions` is read-only.
 */
export function contentToActivityCreate(input: ActivityCreateInput): ActivityCreateBody {
  assertZone(input.timeZone);
  const { content } = input;
  const recurrence = recurrenceToSevera(content);
  return {
    name: nameFromTitle(content.title),
    ...timingToSevera(content.timing, input.timeZone),
    hasDuration: true,
    notes: normaliseNotes(content.notes),
    location: normaliseTitle(content.location),
    activityType: { guid: input.activityTypeGuid },
    ownerUser: { guid: input.ownerGuid },
    ...(recurrence === null ? {} : { recurrence }),
  };
}

export interface ContentPatchOptions {
  /** The owner's Severa timezone. */
  readonly timeZone: string;
  /** The activity type the entry must have after the update (set when privacy changed, S4). */
  readonly activityTypeGuid?: string;
  /** The activity's current type; when equal to `activityTypeGuid` no `/activityType` operation is sent. */
  readonly currentActivityTypeGuid?: string;
}

function recurrenceKey(content: EntryContent): string {
  if (content.recurrence === null) return 'null';
  if (content.recurrence.pattern.kind === 'unsupported')
    return `unsupported:${JSON.stringify(content.recurrence)}`;
  try {
    return JSON.stringify(sortKeys(recurrenceToSevera(content)));
  } catch (error) {
    // `before` may hold a rule Severa cannot express; it then differs from anything written.
    if (error instanceof RangeError) return `inexpressible:${JSON.stringify(content.recurrence.pattern)}`;
    throw error;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, sortKeys(v)]),
  );
}

/**
 * JSON Patch for `PATCH /v1/activities/{guid}`: `replace` operations only (Severa supports nothing else, §3), one per
 * field whose Severa value differs between `before` and `after`.
 * - Times are compared as written in `timeZone`, so re-spelling the same instant (`+03:00` vs `Z`) sends nothing.
 * - `/recurrence` carries the rule only (`exceptions` is read-only): exdates and overrides are written on the
 *   occurrence rows (see {@link overrideToExceptionFields}). It is re-sent when the rule or the series start changes
 *   what Severa's pattern looks like, and set to null when the entry stops recurring.
 * - `/activityType` is replaced whole with `{ guid }`: a top-level path to a required sub-model, rather than
 *   `/activityType/guid`, whose casing the API does not document ([UNCONFIRMED], severa-api.md §3).
 */
export function contentToPatch(
  before: EntryContent,
  after: EntryContent,
  opts: ContentPatchOptions,
): ReplaceOperation[] {
  assertZone(opts.timeZone);
  const ops: ReplaceOperation[] = [];
  const replace = (path: ReplaceOperation['path'], a: unknown, b: unknown, value: unknown = b): void => {
    if (a !== b) ops.push({ op: 'replace', path, value });
  };
  replace('/name', nameFromTitle(before.title), nameFromTitle(after.title));
  replace('/notes', normaliseNotes(before.notes), normaliseNotes(after.notes));
  replace('/location', normaliseTitle(before.location), normaliseTitle(after.location));
  const tb = timingToSevera(before.timing, opts.timeZone);
  const ta = timingToSevera(after.timing, opts.timeZone);
  replace('/startDateTime', tb.startDateTime, ta.startDateTime);
  replace('/endDateTime', tb.endDateTime, ta.endDateTime);
  replace('/isAllDay', tb.isAllDay, ta.isAllDay);
  const rb = recurrenceKey(before);
  const ra = recurrenceKey(after);
  if (rb !== ra) ops.push({ op: 'replace', path: '/recurrence', value: recurrenceToSevera(after) });
  if (opts.activityTypeGuid !== undefined && opts.activityTypeGuid !== opts.currentActivityTypeGuid) {
    ops.push({ op: 'replace', path: '/activityType', value: { guid: opts.activityTypeGuid } });
  }
  return ops;
}

/**
 * The fields to write (as `replace` operations) onto an occurrence row so that it carries a modified occurrence.
 * Whether PATCH on an `Occurrence` guid turns it into an `Exception` is [UNCONFIRMED] (severa-api.md §7, §14.5).
 */
export function overrideToExceptionFields(
  override: RecurrenceOverride,
  timeZone: string,
): ActivityExceptionFields {
  assertZone(timeZone);
  return {
    name: nameFromTitle(override.title),
    notes: normaliseNotes(override.notes),
    location: normaliseTitle(override.location),
    ...timingToSevera(override.timing, timeZone),
  };
}

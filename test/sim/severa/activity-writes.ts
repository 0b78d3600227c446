/**
 * Activity writes shared by the API routes and `/_sim/act`: create (§5), JSON Patch `replace` (§3; an occurrence
 * first becomes an Exception, §7) and adding a participant (§8).
 */
import { z } from 'zod';

import type { SeveraContext } from './context.js';
import { SeveraApiError, invalidBody } from './errors.js';
import { dateTimeSchema, recurrenceSchema } from './fixture.js';
import { parseWith } from './request.js';
import { parseDateTime, type ActivityRow, type StoredActivity, type StoredParticipant } from './store.js';

/** `ActivityModel` input on POST (§5): loose, read-only fields ignored. */
export const activityInputSchema = z.looseObject({
  name: z.string().min(1),
  startDateTime: dateTimeSchema,
  endDateTime: dateTimeSchema.nullish(),
  isAllDay: z.boolean().optional(),
  hasDuration: z.boolean().optional(),
  isClosed: z.boolean().optional(),
  isUnassigned: z.boolean().optional(),
  notes: z.string().nullish(),
  location: z.string().max(1000).nullish(),
  activityType: z.looseObject({ guid: z.string().min(1) }),
  ownerUser: z.looseObject({ guid: z.string().min(1) }),
  recurrence: recurrenceSchema.nullish(),
  phase: z.looseObject({ guid: z.string().min(1), name: z.string().optional() }).nullish(),
  projectTaskStatus: z.looseObject({ guid: z.string().min(1), name: z.string().optional() }).nullish(),
});
export type ActivityInput = z.output<typeof activityInputSchema>;

/** PATCH paths the simulator accepts on an activity (§3: top-level fields, `replace` only). */
export const ACTIVITY_PATCH_PATHS = [
  '/name',
  '/notes',
  '/location',
  '/startDateTime',
  '/endDateTime',
  '/isAllDay',
  '/hasDuration',
  '/isClosed',
  '/recurrence',
  '/activityType',
  '/ownerUser',
] as const;
type PatchPath = (typeof ACTIVITY_PATCH_PATHS)[number];

const patchOpSchema = z.looseObject({ op: z.string(), path: z.string(), value: z.unknown().optional() });

export function createActivity(ctx: SeveraContext, input: ActivityInput, by: string): StoredActivity {
  const { store } = ctx;
  store.requireType(input.activityType.guid);
  store.requireUser(input.ownerUser.guid);
  const zone = store.zoneOf(input.ownerUser.guid);
  const startMs = parseDateTime(input.startDateTime, zone);
  const endMs = input.endDateTime == null ? null : parseDateTime(input.endDateTime, zone);
  if (endMs !== null && endMs < startMs) throw invalidBody('endDateTime', 'must not be before startDateTime');
  const recurrence =
    input.recurrence == null ? null : store.checkRecurrence(input.recurrence, startMs, input.ownerUser.guid);
  const stamp = store.stamp();
  const a: StoredActivity = {
    guid: ctx.newGuid(),
    name: input.name,
    notes: input.notes ?? null,
    location: input.location ?? null,
    startMs,
    endMs,
    isAllDay: input.isAllDay ?? false,
    hasDuration: input.hasDuration ?? true,
    isClosed: input.isClosed ?? false,
    isUnassigned: input.isUnassigned ?? false,
    activityTypeGuid: input.activityType.guid,
    ownerGuid: input.ownerUser.guid,
    phase: input.phase == null ? null : { guid: input.phase.guid, name: input.phase.name ?? '' },
    projectTaskStatus:
      input.projectTaskStatus == null
        ? null
        : { guid: input.projectTaskStatus.guid, name: input.projectTaskStatus.name ?? '' },
    recurrence,
    kind: recurrence === null ? 'None' : 'Series',
    parentGuid: null,
    originalStartMs: null,
    createdMs: stamp,
    createdBy: by,
    updatedMs: stamp,
    updatedBy: by,
    seriesExceptions: new Map(),
  };
  store.activities.set(a.guid, a);
  return a;
}

export function addParticipant(
  ctx: SeveraContext,
  activityGuid: string,
  userGuid: string,
  type: StoredParticipant['type'],
): void {
  const p: StoredParticipant = {
    guid: ctx.newGuid(),
    activityGuid,
    participantGuid: userGuid,
    type,
    status: 'Accepted',
    phone: null,
    mobilePhone: null,
  };
  ctx.store.participants.set(p.guid, p);
}

/** A JSON Patch body → its `replace` operations on known paths (§3), or a 400 naming the first bad one. */
function patchChanges(ops: unknown): [PatchPath, unknown][] {
  if (!Array.isArray(ops)) throw new SeveraApiError(400, 'InvalidRequest', 'Expected a JSON Patch array.');
  return ops.map((raw: unknown, i): [PatchPath, unknown] => {
    const op = parseWith(patchOpSchema, raw, `[${i}].`);
    if (op.op.toLowerCase() !== 'replace')
      throw new SeveraApiError(400, 'InvalidRequest', [
        {
          message: `[${i}].op: only "replace" is supported, got "${op.op}"`,
          location: { name: 'op', type: 'RequestBody' },
        },
      ]);
    const path = ACTIVITY_PATCH_PATHS.find((p) => p.toLowerCase() === op.path.toLowerCase());
    if (path === undefined) throw invalidBody(op.path, 'this path cannot be patched');
    return [path, op.value];
  });
}

/**
 * Applies one change to the draft of a row; throws a 400 for a bad value. Date-times without an offset are read in
 * `zone`, the row's owner's before the patch.
 */
function applyChange(
  ctx: SeveraContext,
  draft: StoredActivity,
  zone: string,
  [path, value]: [PatchPath, unknown],
): void {
  const guidSchema = z.looseObject({ guid: z.string().min(1) });
  switch (path) {
    case '/name':
      draft.name = parseWith(z.string().min(1), value, 'name: ');
      return;
    case '/notes':
      draft.notes = parseWith(z.string().nullable(), value, 'notes: ');
      return;
    case '/location':
      draft.location = parseWith(z.string().max(1000).nullable(), value, 'location: ');
      return;
    case '/startDateTime':
      draft.startMs = parseDateTime(parseWith(dateTimeSchema, value, 'startDateTime: '), zone);
      return;
    case '/endDateTime': {
      const v = parseWith(dateTimeSchema.nullable(), value, 'endDateTime: ');
      draft.endMs = v === null ? null : parseDateTime(v, zone);
      return;
    }
    case '/isAllDay':
      draft.isAllDay = parseWith(z.boolean(), value, 'isAllDay: ');
      return;
    case '/hasDuration':
      draft.hasDuration = parseWith(z.boolean(), value, 'hasDuration: ');
      return;
    case '/isClosed':
      draft.isClosed = parseWith(z.boolean(), value, 'isClosed: ');
      return;
    case '/activityType': {
      const v = parseWith(guidSchema, value, 'activityType.');
      ctx.store.requireType(v.guid);
      draft.activityTypeGuid = v.guid;
      return;
    }
    case '/ownerUser': {
      const v = parseWith(guidSchema, value, 'ownerUser.');
      ctx.store.requireUser(v.guid);
      draft.ownerGuid = v.guid;
      return;
    }
    case '/recurrence': {
      const v = parseWith(recurrenceSchema.nullable(), value, 'recurrence.');
      draft.recurrence = v === null ? null : ctx.store.checkRecurrence(v, draft.startMs, draft.ownerGuid);
      return;
    }
  }
}

/** Applies JSON Patch `replace` operations (§3) to a row; an occurrence first becomes an Exception (§7). */
export function patchActivity(
  ctx: SeveraContext,
  row: ActivityRow,
  ops: unknown,
  by: string,
): StoredActivity {
  const { store } = ctx;
  const changes = patchChanges(ops);
  const isOccurrence = row.recurrenceType === 'Occurrence';
  const setsRecurrence = changes.some(([p]) => p === '/recurrence');
  if (setsRecurrence && (isOccurrence || row.stored.kind === 'Exception'))
    throw new SeveraApiError(400, 'InvalidOperation', [
      {
        message: 'recurrence: cannot be set on an occurrence or exception',
        location: { name: 'recurrence', type: 'RequestBody' },
      },
    ]);
  // Validate on a draft first so a failing op leaves the row untouched.
  const base = row.stored;
  const draft = { ...base, startMs: row.startMs, endMs: row.endMs };
  const zone = store.zoneOf(base.ownerGuid);
  for (const change of changes) applyChange(ctx, draft, zone, change);
  if (draft.endMs !== null && draft.endMs < draft.startMs)
    throw invalidBody('endDateTime', 'must not be before startDateTime');
  const target = isOccurrence ? store.materialiseException(row, by) : base;
  const wasSeries = target.kind === 'Series';
  Object.assign(target, {
    name: draft.name,
    notes: draft.notes,
    location: draft.location,
    startMs: draft.startMs,
    endMs: draft.endMs,
    isAllDay: draft.isAllDay,
    hasDuration: draft.hasDuration,
    isClosed: draft.isClosed,
    activityTypeGuid: draft.activityTypeGuid,
    ownerGuid: draft.ownerGuid,
  });
  if (!isOccurrence && target.kind !== 'Exception' && setsRecurrence) {
    target.recurrence = draft.recurrence;
    if (draft.recurrence === null && wasSeries) store.resetExceptions(target, by);
    target.kind = draft.recurrence === null ? 'None' : 'Series';
  }
  store.touchRow(target, by);
  return target;
}

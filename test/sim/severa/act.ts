/**
 * `/_sim/act` (and `sim.act()`): changes made "as a person in the Severa UI", which the sync must pick up. Each
 * goes through the same writes as the API (activity-writes.ts), attributed to the person named by `as`.
 */
import { z } from 'zod';

import { activityInputSchema, addParticipant, createActivity, patchActivity } from './activity-writes.js';
import type { SeveraContext } from './context.js';
import { invalidBody, notFound } from './errors.js';
import { dateTimeSchema } from './fixture.js';
import { modelOf, type ActivityModel } from './models.js';
import { parseWith } from './request.js';
import { parseDateTime } from './store.js';

const guid = z.string().min(1);

export const actSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('update'),
    guid,
    as: z.string().min(1),
    changes: z.strictObject({
      name: z.string().min(1).optional(),
      notes: z.string().nullable().optional(),
      location: z.string().max(1000).nullable().optional(),
      startDateTime: dateTimeSchema.optional(),
      endDateTime: dateTimeSchema.nullable().optional(),
      isAllDay: z.boolean().optional(),
      activityTypeGuid: z.string().min(1).optional(),
      participantGuids: z.array(z.string().min(1)).optional(),
    }),
  }),
  z.strictObject({ action: z.literal('delete'), guid, as: z.string().min(1).optional() }),
  z.strictObject({
    action: z.literal('create'),
    as: z.string().min(1),
    activity: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ action: z.literal('touch'), guid, as: z.string().min(1).optional() }),
  z.strictObject({
    action: z.literal('cancelOccurrence'),
    seriesGuid: z.string().min(1),
    originalStart: dateTimeSchema,
    as: z.string().min(1).optional(),
  }),
  z.strictObject({
    action: z.literal('moveOccurrence'),
    seriesGuid: z.string().min(1),
    originalStart: dateTimeSchema,
    newStart: dateTimeSchema,
    newEnd: dateTimeSchema.optional(),
    as: z.string().min(1).optional(),
  }),
]);
export type SeveraSimAction = z.input<typeof actSchema>;
type Action = z.output<typeof actSchema>;
type PatchOp = { op: string; path: string; value: unknown };

/** The UI's edit form: a patch of the fields given, then the participant list made to match. */
function update(ctx: SeveraContext, action: Extract<Action, { action: 'update' }>): ActivityModel | null {
  const { store } = ctx;
  store.requireUser(action.as, 'as');
  const row = store.require(action.guid);
  const c = action.changes;
  const ops: PatchOp[] = [];
  const replace = (path: string, value: unknown): void => {
    if (value !== undefined) ops.push({ op: 'replace', path, value });
  };
  replace('/name', c.name);
  replace('/notes', c.notes);
  replace('/location', c.location);
  replace('/startDateTime', c.startDateTime);
  replace('/endDateTime', c.endDateTime);
  replace('/isAllDay', c.isAllDay);
  replace('/activityType', c.activityTypeGuid === undefined ? undefined : { guid: c.activityTypeGuid });
  const target = patchActivity(ctx, row, ops, action.as);
  if (c.participantGuids !== undefined) {
    const wanted = c.participantGuids;
    wanted.forEach((g, i) => {
      store.requireUser(g, `changes.participantGuids.${i}`);
    });
    const current = store.participantsOf(target.guid).filter((p) => p.type === 'User');
    for (const p of current) if (!wanted.includes(p.participantGuid)) store.participants.delete(p.guid);
    for (const g of wanted)
      if (!current.some((p) => p.participantGuid === g)) addParticipant(ctx, target.guid, g, 'User');
  }
  return modelOf(store, target.guid);
}

function create(ctx: SeveraContext, action: Extract<Action, { action: 'create' }>): ActivityModel | null {
  ctx.store.requireUser(action.as, 'as');
  const { participantGuids, ...rest } = action.activity;
  const input = parseWith(activityInputSchema, rest, 'activity.');
  const guids = parseWith(
    z.array(z.string().min(1)).optional(),
    participantGuids,
    'activity.participantGuids',
  );
  guids?.forEach((g, i) => {
    ctx.store.requireUser(g, `activity.participantGuids.${i}`);
  });
  const created = createActivity(ctx, input, action.as);
  for (const g of guids ?? []) addParticipant(ctx, created.guid, g, 'User');
  return modelOf(ctx.store, created.guid);
}

/** One occurrence cancelled, or moved (its new end keeps the duration unless given). */
function occurrence(
  ctx: SeveraContext,
  action: Extract<Action, { action: 'cancelOccurrence' | 'moveOccurrence' }>,
): ActivityModel | null {
  const { store } = ctx;
  const series = store.activities.get(action.seriesGuid);
  if (series?.kind !== 'Series') throw notFound('Series', action.seriesGuid);
  const originalMs = parseDateTime(action.originalStart, store.zoneOf(series.ownerGuid));
  const row = store.occurrences(series).find((o) => o.originalStartMs === originalMs);
  if (row === undefined) throw invalidBody('originalStart', 'no occurrence of the series starts then');
  const by = action.as ?? series.ownerGuid;
  if (action.action === 'cancelOccurrence') {
    store.delete(row, by);
    return null;
  }
  const ops: PatchOp[] = [{ op: 'replace', path: '/startDateTime', value: action.newStart }];
  const newEnd =
    action.newEnd ??
    (row.endMs === null
      ? undefined
      : new Date(parseDateTime(action.newStart, 'UTC') + row.endMs - row.startMs).toISOString());
  if (newEnd !== undefined) ops.push({ op: 'replace', path: '/endDateTime', value: newEnd });
  const target = patchActivity(ctx, row, ops, by);
  return modelOf(store, target.guid);
}

/** Runs one action; returns the affected activity model when there is one. */
export function act(ctx: SeveraContext, input: unknown): ActivityModel | null {
  const action = parseWith(actSchema, input);
  const { store } = ctx;
  switch (action.action) {
    case 'update':
      return update(ctx, action);
    case 'delete': {
      const row = store.require(action.guid);
      store.delete(row, action.as ?? row.stored.ownerGuid);
      return null;
    }
    case 'create':
      return create(ctx, action);
    case 'touch': {
      const row = store.require(action.guid);
      store.touchRow(row.stored, action.as ?? row.stored.updatedBy);
      return modelOf(store, row.guid);
    }
    case 'cancelOccurrence':
    case 'moveOccurrence':
      return occurrence(ctx, action);
  }
}

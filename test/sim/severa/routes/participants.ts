/**
 * Activity participants (severa-api.md §8): list, add, remove. Occurrences share their series' participants; a
 * change through an occurrence guid first turns the occurrence into an Exception.
 */
import { z } from 'zod';

import { currentUser, type SeveraContext, type SeveraRouteDef } from '../context.js';
import { invalidBody, notFound } from '../errors.js';
import { participantModel } from '../models.js';
import { json, parseJson, parseWith } from '../request.js';
import type { StoredParticipant } from '../store.js';

const participantInputSchema = z.looseObject({
  activityGuid: z.string().min(1),
  participantGuid: z.string().min(1),
  type: z.enum(['User', 'Contact', 'Resource', 'Other']).optional(),
  status: z.enum(['Unknown', 'Invited', 'Accepted', 'Tentative', 'Declined']).optional(),
  phone: z.string().nullish(),
  mobilePhone: z.string().nullish(),
});

export function participantRoutes(ctx: SeveraContext): SeveraRouteDef[] {
  const { store } = ctx;
  return [
    {
      method: 'GET',
      pattern: '/v1/activities/{activityGuid}/activityparticipants',
      access: 'api',
      scope: 'activities:read',
      run: (req) => {
        const row = store.require(req.params.activityGuid ?? '');
        return json(
          200,
          store.participantsOf(store.participantHost(row)).map((p) => participantModel(store, p)),
        );
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activityparticipants',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const input = parseWith(participantInputSchema, parseJson(req.body));
        const row = store.find(input.activityGuid);
        if (row === null) throw invalidBody('activityGuid', `activity ${input.activityGuid} does not exist`);
        const type = input.type ?? 'User';
        if (type === 'User') store.requireUser(input.participantGuid, 'participantGuid');
        const host =
          row.recurrenceType === 'Occurrence'
            ? store.materialiseException(row, currentUser(auth))
            : row.stored;
        if (store.participantsOf(host.guid).some((p) => p.participantGuid === input.participantGuid))
          throw invalidBody('participantGuid', 'already a participant of the activity');
        const p: StoredParticipant = {
          guid: ctx.newGuid(),
          activityGuid: host.guid,
          participantGuid: input.participantGuid,
          type,
          status: input.status ?? 'Invited',
          phone: input.phone ?? null,
          mobilePhone: input.mobilePhone ?? null,
        };
        store.participants.set(p.guid, p);
        // Participant changes stamp the activity so changedSince sees them (§14.4 [UNCONFIRMED]).
        store.touchRow(host, currentUser(auth));
        return json(201, participantModel(store, p));
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{activityGuid}/activityparticipants/{activityParticipantGuid}',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        const row = store.require(req.params.activityGuid ?? '');
        const wanted = req.params.activityParticipantGuid ?? '';
        // The row guid per the contract; the person's guid is tolerated too (§8 names it participantGuid).
        const list = store.participantsOf(store.participantHost(row));
        const found = list.find((p) => p.guid === wanted) ?? list.find((p) => p.participantGuid === wanted);
        if (found === undefined) throw notFound('Participant', wanted);
        // §8: deleting through an occurrence guid creates an exception first, then deletes from that.
        const host =
          row.recurrenceType === 'Occurrence'
            ? store.materialiseException(row, currentUser(auth))
            : row.stored;
        const target = store
          .participantsOf(host.guid)
          .find((p) => p.participantGuid === found.participantGuid);
        if (target !== undefined) store.participants.delete(target.guid);
        store.touchRow(host, currentUser(auth));
        return { status: 204 };
      },
    },
  ];
}

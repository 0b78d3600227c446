/**
 * Loading a fixture (`POST /_sim/seed`, `sim.seed()`): zod-validated, then checked for references (credentials,
 * default types, owners, participants) before anything is replaced; a bad fixture is a 400 `ExceptionModel`.
 */
import { addParticipant, createActivity } from './activity-writes.js';
import type { SeveraContext } from './context.js';
import { SeveraApiError, type ErrorDetail } from './errors.js';
import { fixtureSchema, type FixtureActivity, type ParsedFixture } from './fixture.js';
import { zodDetails } from './request.js';
import type { StoredActivity } from './store.js';

/** Every reference of the fixture to a user or type it does not hold, as `ExceptionModel` details. */
function referenceProblems(f: ParsedFixture): ErrorDetail[] {
  const userGuids = new Set(f.users.map((u) => u.guid));
  const typeGuids = new Set(f.activityTypes.map((t) => t.guid));
  const problems: ErrorDetail[] = [];
  const check = (ok: boolean, field: string, message: string): void => {
    if (!ok)
      problems.push({ message: `${field}: ${message}`, location: { name: field, type: 'RequestBody' } });
  };
  f.credentials.forEach((c, i) => {
    check(userGuids.has(c.apiUserGuid), `credentials.${i}.apiUserGuid`, 'unknown user');
  });
  f.users.forEach((u, i) => {
    check(
      u.defaultActivityTypeGuid == null || typeGuids.has(u.defaultActivityTypeGuid),
      `users.${i}.defaultActivityTypeGuid`,
      'unknown activity type',
    );
  });
  f.activities.forEach((a, i) => {
    check(userGuids.has(a.ownerGuid), `activities.${i}.ownerGuid`, 'unknown user');
    check(typeGuids.has(a.activityTypeGuid), `activities.${i}.activityTypeGuid`, 'unknown activity type');
    a.participantGuids.forEach((p, j) => {
      check(userGuids.has(p), `activities.${i}.participantGuids.${j}`, 'unknown user');
    });
  });
  return problems;
}

/** Replaces all state with the fixture. */
export function seed(ctx: SeveraContext, input: unknown): void {
  const parsed = fixtureSchema.safeParse(input);
  if (!parsed.success) throw new SeveraApiError(400, 'InvalidParameter', zodDetails(parsed.error));
  const f = parsed.data;
  const problems = referenceProblems(f);
  if (problems.length > 0) throw new SeveraApiError(400, 'InvalidParameter', problems);
  ctx.reset();
  ctx.fixture = f;
  const now = ctx.clock.now();
  for (const u of f.users) ctx.store.users.set(u.guid, { ...u, createdMs: now, updatedMs: now });
  for (const t of f.activityTypes)
    ctx.store.activityTypes.set(t.guid, { ...t, createdMs: now, updatedMs: now });
  f.activities.forEach((a, i) => {
    seedActivity(ctx, a, i);
  });
}

function seedActivity(ctx: SeveraContext, a: FixtureActivity, i: number): void {
  let created: StoredActivity;
  try {
    created = createActivity(
      ctx,
      {
        name: a.name,
        startDateTime: a.startDateTime,
        endDateTime: a.endDateTime ?? null,
        isAllDay: a.isAllDay,
        hasDuration: a.hasDuration,
        isClosed: a.isClosed,
        notes: a.notes ?? null,
        location: a.location ?? null,
        activityType: { guid: a.activityTypeGuid },
        ownerUser: { guid: a.ownerGuid },
        recurrence: a.recurrence ?? null,
        phase: null,
        projectTaskStatus: a.projectTaskStatus ?? null,
      },
      a.ownerGuid,
    );
  } catch (error) {
    ctx.reset();
    if (error instanceof SeveraApiError)
      throw new SeveraApiError(
        400,
        'InvalidParameter',
        error.details.map((d) => ({ message: `activities.${i}.${d.message}` })),
      );
    throw error;
  }
  if (a.phase != null)
    created.phase = {
      guid: a.phase.guid,
      name: a.phase.name,
      projectGuid: a.phase.projectGuid,
      projectName: a.phase.projectName,
    };
  if (a.guid !== undefined) {
    ctx.store.activities.delete(created.guid);
    created.guid = a.guid;
    ctx.store.activities.set(a.guid, created);
  }
  for (const p of a.participantGuids) addParticipant(ctx, created.guid, p, 'User');
}

/** `GET /_sim/seed`: the loaded organisation, credentials, users and types. */
export function seedSummary(ctx: SeveraContext): Record<string, unknown> {
  const fixture = ctx.fixture;
  if (fixture === null) return { loaded: false };
  return {
    loaded: true,
    organisation: fixture.organisation,
    credentials: fixture.credentials,
    users: fixture.users.map((u) => ({
      guid: u.guid,
      name: `${u.firstName} ${u.lastName}`,
      email: u.email ?? null,
      timezone: u.timezone,
      isActive: u.isActive,
    })),
    activityTypes: fixture.activityTypes.map((t) => ({ guid: t.guid, name: t.name, category: t.category })),
    activityCount: ctx.store.activities.size,
  };
}

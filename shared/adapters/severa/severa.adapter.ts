/**
 * The production {@link SeveraPort}: Severa's REST API (reference/severa-api.md, cited as §n) through
 * {@link SeveraHttpClient}, behaving from the port's point of view like the in-memory reference
 * (shared/adapters/memory/memory-severa.ts):
 *
 * - A series is **one record**: the `Series` master with its cancelled occurrences (`recurrence.exceptions` without
 *   an `Exception` row) and modified ones (`Exception` rows) folded in by the mapper. `Occurrence` and `Exception`
 *   rows never appear as records of their own; a listing that meets one returns its series instead.
 * - `version` is the newest `lastUpdatedDateTime` of the master and its `Exception` rows, as a UTC ISO instant with
 *   milliseconds (the in-memory service's form; Severa's own stamps have whole seconds). Editing an existing
 *   exception row may not stamp the master (§14.4 [UNCONFIRMED]), so the series' version must include its rows for
 *   the edit to count as a change.
 * - Updates and deletes are read-check-write on that version and the content hash (no ETag exists, §4; two writes in
 *   one second share a timestamp): a mismatch throws {@link PreconditionFailedError} before anything is written.
 * - Participants are the activity's `User` participants other than the owner (§8).
 */
import { DateTime, Info } from 'luxon';

import {
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  SyncError,
  contentHash,
  deleteExpectationOf,
  timingStartMs,
  type ActivityType,
  type EntryContent,
  type Recurrence,
  type RecurrenceOverride,
  type SeveraRecord,
  type SideVersion,
  type SyncUser,
} from '../../domain/index.js';
import type {
  Clock,
  Logger,
  SeveraCreate,
  SeveraDeleteExpected,
  SeveraPort,
  SeveraUpdate,
  SeveraWindow,
} from '../../ports/index.js';
import { nullLogger } from '../../observability/logger.js';
import { hasOccurrenceEndingAfter } from '../../sync/recurrence/index.js';
import { fitForSevera } from '../../sync/severa-fields.js';
import { systemClock } from '../throttle.js';
import type { SeveraAccess, SeveraHttpClient } from './severa-http.js';
import {
  activityToRecord,
  activityTypeFromModel,
  contentToActivityCreate,
  contentToPatch,
  localMidnight,
  overrideToExceptionFields,
  userParticipantGuids,
  userToSyncUser,
} from './severa.mapper.js';
import {
  activityModelSchema,
  activityParticipantModelSchema,
  activityTypeModelSchema,
  userOutputModelSchema,
  type ActivityExceptionFields,
  type ActivityModel,
  type ActivityParticipantModel,
  type UserOutputModel,
} from './severa.wire.js';

/** How long the user directory (time zones) and activity types are reused before they are read again. */
export const DEFAULT_DIRECTORY_TTL_MS = 60 * 60_000;

/**
 * `Exception` rows are looked for from this long before their series' first start: a modified occurrence can be
 * moved, and no filter by parent exists (§6), so the query is by owner and time ([UNCONFIRMED] how far real users
 * move occurrences; a month earlier than the series' own start is taken as the limit).
 */
const EXCEPTION_LOOKBACK_MS = 31 * 86_400_000;

/** Participant lists kept per activity version, at most this many (a plain size cap). */
const PARTICIPANT_CACHE_MAX = 5_000;

const READ = 'activities:read';
const WRITE = 'activities:write';
const DELETE = 'activities:delete';

const EMPTY_EXCEPTIONS: Pick<Recurrence, 'exdates' | 'overrides'> = { exdates: [], overrides: [] };

export interface SeveraAdapterOptions {
  readonly client: SeveraHttpClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** IANA zone for a user whose Severa timezone is missing or unknown (the organisation's zone); default UTC. */
  readonly fallbackTimeZone?: string;
  /**
   * The Severa user the credential writes as, when configured. Otherwise it is learned from `createdBy` /
   * `lastUpdatedBy` of this adapter's own writes, and {@link SeveraAdapter.apiUserGuid} is null until then.
   */
  readonly apiUserGuid?: string;
  readonly directoryTtlMs?: number;
}

/** A user looked up by e-mail (S2: no match and an inactive user are distinct statuses). */
export type SeveraUserLookup =
  | { readonly kind: 'active'; readonly user: SyncUser }
  | { readonly kind: 'inactive'; readonly severaUserGuid: string }
  | { readonly kind: 'not-found' };

/** A record plus the rows it was read from (what writes need). */
interface Loaded {
  readonly record: SeveraRecord;
  /** The single activity or the series master. */
  readonly row: ActivityModel;
  readonly exceptionRows: readonly ActivityModel[];
  readonly participants: readonly ActivityParticipantModel[];
  readonly zone: string;
}

interface Directory {
  readonly loadedAtMs: number;
  readonly users: readonly UserOutputModel[];
}

interface ReplaceOp {
  readonly op: 'replace';
  readonly path: string;
  readonly value: unknown;
}

function stampMs(value: string): number {
  const dt = DateTime.fromISO(value, { zone: 'utc' });
  if (!dt.isValid) throw new RangeError(`not a date-time: ${JSON.stringify(value)}`);
  return dt.toMillis();
}

/** Canonical version: UTC ISO instant with milliseconds, the form `MemorySevera` uses. */
function versionOf(rows: readonly ActivityModel[]): string {
  let newest = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const stamp = row.lastUpdatedDateTime ?? row.createdDateTime;
    if (stamp !== undefined) newest = Math.max(newest, stampMs(stamp));
  }
  if (!Number.isFinite(newest)) throw new RangeError('activity without lastUpdatedDateTime/createdDateTime');
  return new Date(newest).toISOString();
}

function sameVersion(a: string, b: string): boolean {
  if (a === b) return true;
  const ams = DateTime.fromISO(a, { zone: 'utc' });
  const bms = DateTime.fromISO(b, { zone: 'utc' });
  return ams.isValid && bms.isValid && ams.toMillis() === bms.toMillis();
}

/** An instant as a query value with an explicit offset in `zone` and milliseconds (§3, §6 "pass explicit offsets"). */
function queryInstant(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
}

function zoneOrNull(user: UserOutputModel): string | null {
  const iana = user.timezone?.ianaName ?? '';
  return iana !== '' && Info.isValidIANAZone(iana) ? iana : null;
}

function isSeriesChild(row: ActivityModel): boolean {
  return row.recurrenceType === 'Occurrence' || row.recurrenceType === 'Exception';
}

/** The key of an occurrence in a series' exdates/overrides: canonical UTC instant, or the date of an all-day one. */
function occurrenceKey(content: EntryContent): string {
  return content.timing.kind === 'timed' ? content.timing.start : content.timing.startDate;
}

function sameOverride(a: RecurrenceOverride, b: RecurrenceOverride): boolean {
  return (
    a.title === b.title &&
    a.notes === b.notes &&
    a.location === b.location &&
    JSON.stringify(a.timing) === JSON.stringify(b.timing)
  );
}

/** The fields of a modified occurrence as JSON Patch `replace` operations (top-level paths only, §3). */
function exceptionOps(fields: ActivityExceptionFields): ReplaceOp[] {
  const replace = (path: string, value: unknown): ReplaceOp => ({ op: 'replace', path, value });
  return [
    replace('/name', fields.name),
    replace('/notes', fields.notes),
    replace('/location', fields.location),
    replace('/startDateTime', fields.startDateTime),
    replace('/endDateTime', fields.endDateTime),
    replace('/isAllDay', fields.isAllDay),
  ];
}

export class SeveraAdapter implements SeveraPort {
  readonly #client: SeveraHttpClient;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #fallbackZone: string;
  readonly #ttlMs: number;
  #apiUser: string | null;
  #directory: Directory | null = null;
  /** User guid → time zone, with when it was read. */
  readonly #zones = new Map<string, { readonly zone: string; readonly atMs: number }>();
  #types: { readonly loadedAtMs: number; readonly types: readonly ActivityType[] } | null = null;
  readonly #participants = new Map<
    string,
    { readonly stamp: string; readonly list: readonly ActivityParticipantModel[] }
  >();

  constructor(options: SeveraAdapterOptions) {
    this.#client = options.client;
    this.#clock = options.clock ?? systemClock;
    this.#logger = (options.logger ?? nullLogger).child({ component: 'severa-adapter' });
    const fallback = options.fallbackTimeZone ?? 'UTC';
    if (!Info.isValidIANAZone(fallback)) {
      throw new PermanentError('configuration', `The fallback time zone ${fallback} is not an IANA zone.`);
    }
    this.#fallbackZone = fallback;
    this.#ttlMs = options.directoryTtlMs ?? DEFAULT_DIRECTORY_TTL_MS;
    this.#apiUser = options.apiUserGuid ?? null;
  }

  // ---- SeveraPort

  apiUserGuid(): Promise<string | null> {
    return Promise.resolve(this.#apiUser);
  }

  /**
   * One `changedSince` listing (≥, §6) of the default row kinds (None, Occurrence, Exception: masters are not
   * listed by default, §7), so an idle cycle costs one call (SPEC §10). Rows of a series resolve to the series.
   */
  async listChangedSince(since: string): Promise<readonly SeveraRecord[]> {
    const rows = await this.#listActivities({ changedSince: queryInstant(stampMs(since), 'UTC') });
    return (await this.#resolve(rows)).map((l) => l.record);
  }

  /**
   * The user's activities (owner, or participant via `includeAsMember`) overlapping the window, scoped server-side:
   * single activities by the window (§6: `startDateTime` = ending after, `endDateTime` = starting on/before), series
   * masters that start on/before its end, kept when an occurrence ends after its start (as `MemorySevera` does).
   */
  async listForUser(userGuid: string, window: SeveraWindow): Promise<readonly SeveraRecord[]> {
    const zone = await this.#zoneOf(userGuid);
    const fromMs = stampMs(window.from);
    const toMs = stampMs(window.to);
    const member = { userGuids: [userGuid], includeAsMember: true };
    const singles = await this.#listActivities({
      ...member,
      recurrenceType: 'None',
      startDateTime: queryInstant(fromMs, zone),
      endDateTime: queryInstant(toMs, zone),
    });
    const masters = await this.#listActivities({
      ...member,
      recurrenceType: 'Series',
      endDateTime: queryInstant(toMs, zone),
    });
    const loaded = await this.#resolve([...singles, ...masters]);
    return loaded
      .map((l) => l.record)
      .filter(
        (r) =>
          (r.ownerGuid === userGuid || r.participantGuids.includes(userGuid)) &&
          (r.content.recurrence === null ||
            (timingStartMs(r.content.timing) <= toMs && hasOccurrenceEndingAfter(r.content, fromMs))),
      );
  }

  async get(guid: string): Promise<SeveraRecord | null> {
    return (await this.#load(guid))?.record ?? null;
  }

  async create(input: SeveraCreate): Promise<SeveraRecord> {
    const zone = await this.#zoneOf(input.ownerGuid);
    // Severa's field limits, met without loss: read back whole by the mapper (severa-fields.ts).
    const content = fitForSevera(input.content);
    const body = mapped(() =>
      contentToActivityCreate({
        content,
        activityTypeGuid: input.activityTypeGuid,
        ownerGuid: input.ownerGuid,
        timeZone: zone,
      }),
    );
    const response = await this.#client.request({
      method: 'POST',
      path: '/v1/activities',
      body,
      scope: WRITE,
    });
    const created = this.#activity(response.body, 'POST /v1/activities');
    this.#learnApiUser(created.createdBy?.guid ?? created.lastUpdatedBy?.guid);
    const guid = created.guid ?? '';
    const recurrence = content.recurrence;
    if (recurrence !== null && hasExceptions(recurrence)) {
      // `recurrence.exceptions` is read-only: cancelled and modified occurrences are written on their rows (§7).
      await this.#writeExceptions(guid, input.ownerGuid, zone, [], EMPTY_EXCEPTIONS, recurrence);
      return this.#mustLoad(guid);
    }
    // A new activity has no participants yet: the response is the whole record.
    this.#rememberParticipants(created, []);
    return this.#toLoaded(created, zone, [], []).record;
  }

  async update(guid: string, expected: SideVersion, input: SeveraUpdate): Promise<SeveraRecord> {
    const current = await this.#load(guid);
    if (current === null) throw new NotFoundError(`Severa activity ${guid} not found`);
    this.#check(current, expected);
    // Compared and written as Severa holds them: fitted to its field limits (severa-fields.ts).
    const before = fitForSevera(current.record.content);
    const after = fitForSevera(input.content);
    const ops = mapped(() =>
      contentToPatch(before, after, {
        timeZone: current.zone,
        ...(input.activityTypeGuid === undefined ? {} : { activityTypeGuid: input.activityTypeGuid }),
        currentActivityTypeGuid: current.record.activityType.guid,
      }),
    );
    const masterGuid = current.record.guid;
    if (ops.length > 0) await this.#patch(masterGuid, ops);
    let seriesWritten = false;
    if (after.recurrence !== null) {
      let base: Pick<Recurrence, 'exdates' | 'overrides'> = before.recurrence ?? EMPTY_EXCEPTIONS;
      // The rule or the series' start changed (not just its length): old exceptions name original starts that
      // may no longer be occurrences, so they are reset and the wanted ones written anew.
      const moved = ops.some((op) => ['/recurrence', '/startDateTime', '/isAllDay'].includes(op.path));
      if (moved && before.recurrence !== null && hasExceptions(before.recurrence)) {
        await this.#resetExceptions(masterGuid);
        base = EMPTY_EXCEPTIONS;
      }
      seriesWritten = await this.#writeExceptions(
        masterGuid,
        current.record.ownerGuid,
        current.zone,
        base === EMPTY_EXCEPTIONS ? [] : current.exceptionRows,
        base,
        after.recurrence,
      );
    }
    if (ops.length === 0 && !seriesWritten) return current.record; // nothing differs: no write, no new version
    return this.#mustLoad(masterGuid);
  }

  async delete(guid: string, expected: SeveraDeleteExpected): Promise<void> {
    const current = await this.#load(guid);
    if (current === null) return; // 404: already deleted
    this.#check(current, expected);
    // Someone joined or left since it was read (B5): the deletion was planned for other people.
    const now = deleteExpectationOf(current.record);
    if (
      now.ownerGuid !== expected.ownerGuid ||
      now.participantGuids.join() !== [...expected.participantGuids].sort().join()
    ) {
      throw new PreconditionFailedError(
        `Severa activity ${current.record.guid}: its people changed meanwhile`,
      );
    }
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/v1/activities/${encodeURIComponent(current.record.guid)}`,
        scope: DELETE,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    this.#participants.delete(current.record.guid);
  }

  async addParticipant(guid: string, userGuid: string): Promise<SeveraRecord> {
    const current = await this.#load(guid);
    if (current === null) throw new NotFoundError(`Severa activity ${guid} not found`);
    if (current.record.ownerGuid === userGuid || current.record.participantGuids.includes(userGuid)) {
      return current.record;
    }
    try {
      const response = await this.#client.request({
        method: 'POST',
        path: '/v1/activityparticipants',
        body: { activityGuid: current.record.guid, participantGuid: userGuid, type: 'User' },
        scope: WRITE,
        // Repeating it after a lost response is safe: "already a participant" is handled below.
        idempotent: true,
      });
      const lastUpdatedBy = (response.body as { lastUpdatedBy?: { guid?: unknown } } | undefined)
        ?.lastUpdatedBy;
      if (typeof lastUpdatedBy?.guid === 'string') this.#learnApiUser(lastUpdatedBy.guid);
    } catch (error) {
      // Added meanwhile by someone else (a 400 "already a participant"): the result is the same.
      if (!(error instanceof PermanentError && error.code === 'validation')) throw error;
      const again = await this.#mustLoad(current.record.guid);
      if (!again.participantGuids.includes(userGuid)) throw error;
      return again;
    }
    return this.#mustLoad(current.record.guid);
  }

  async removeParticipant(
    guid: string,
    userGuid: string,
    newOwnerGuid?: string,
  ): Promise<SeveraRecord | null> {
    const current = await this.#load(guid);
    if (current === null) return null;
    const masterGuid = current.record.guid;
    if (current.record.ownerGuid === userGuid && newOwnerGuid !== undefined && newOwnerGuid !== userGuid) {
      // Hand-over (B5): the meeting stays for the others with a new owner, who is then no longer a participant. It
      // was planned while that person took part: someone who left since cannot take it (the run plans again).
      if (!current.record.participantGuids.includes(newOwnerGuid)) {
        throw new PreconditionFailedError(
          `Severa activity ${masterGuid}: the attendee it was to be handed to no longer takes part`,
        );
      }
      const owner = [{ op: 'replace', path: '/ownerUser', value: { guid: newOwnerGuid } } as const];
      await this.#patch(masterGuid, owner);
      // Exception rows carry their own owner; they move with the series so they stay found by owner
      // ([UNCONFIRMED] whether Severa moves them itself).
      for (const row of current.exceptionRows) {
        if (row.guid !== null && row.guid !== undefined && row.ownerUser.guid !== newOwnerGuid) {
          await this.#patch(row.guid, owner);
        }
      }
      const asParticipant = this.#userParticipant(current, newOwnerGuid);
      if (asParticipant !== undefined) await this.#deleteParticipant(masterGuid, asParticipant);
    } else {
      const participant = this.#userParticipant(current, userGuid);
      if (participant === undefined) return current.record;
      await this.#deleteParticipant(masterGuid, participant);
    }
    return (await this.#load(masterGuid))?.record ?? null;
  }

  // ---- Directory (setup, opt-in, mapping)

  /** Active Severa users with an e-mail, as the sync sees them (S2), each with their time zone. */
  async listUsers(): Promise<SyncUser[]> {
    const directory = await this.#loadDirectory();
    return directory.users
      .filter((u) => u.isActive !== false)
      .map((u) => userToSyncUser(u, this.#fallbackZone))
      .filter((u): u is SyncUser => u !== null);
  }

  /** The active Severa user with this e-mail (case-insensitive; the first when several match), or null. */
  async findUserByEmail(email: string): Promise<SyncUser | null> {
    const found = await this.lookupUserByEmail(email);
    return found.kind === 'active' ? found.user : null;
  }

  /**
   * The user with this e-mail: `GET /v1/users?email=` (§10), compared case-insensitively; when that filter finds
   * nobody (it may be case-sensitive, [UNCONFIRMED]), the whole directory is searched.
   */
  async lookupUserByEmail(email: string): Promise<SeveraUserLookup> {
    const wanted = email.trim().toLowerCase();
    if (wanted === '') return { kind: 'not-found' };
    const pick = (users: readonly UserOutputModel[]): SeveraUserLookup | null => {
      const same = users.filter((u) => (u.email ?? '').trim().toLowerCase() === wanted);
      if (same.length > 1)
        this.#logger.warn('several Severa users share an e-mail; taking the first active one');
      for (const u of same) {
        if (u.isActive === false) continue;
        const user = userToSyncUser(u, this.#fallbackZone);
        if (user !== null) return { kind: 'active', user };
      }
      const inactive = same.find((u) => typeof u.guid === 'string' && u.guid !== '');
      return inactive?.guid ? { kind: 'inactive', severaUserGuid: inactive.guid } : null;
    };
    const filtered = this.#users(
      await this.#client.getAllPages('/v1/users', { email: email.trim() }, 'users:read'),
    );
    this.#rememberZones(filtered);
    const direct = pick(filtered);
    if (direct?.kind === 'active') return direct;
    return pick((await this.#loadDirectory()).users) ?? direct ?? { kind: 'not-found' };
  }

  /** Every activity type (active and inactive), §9. */
  async listActivityTypes(): Promise<ActivityType[]> {
    return [...(await this.#loadTypes(true))];
  }

  /** For setup (S1): the credential works and has the sync's scopes; throws precise `PermanentError`s otherwise. */
  checkAccess(): Promise<SeveraAccess> {
    return this.#client.checkAccess();
  }

  /** Forgets the cached users (time zones), activity types and participant lists. */
  refreshDirectory(): void {
    this.#directory = null;
    this.#zones.clear();
    this.#types = null;
    this.#participants.clear();
  }

  // ---- reading

  #check(current: Loaded, expected: SideVersion): void {
    // Severa has no ETag (§4): the activity read right now must still be the one the caller planned against. Its
    // `lastUpdatedDateTime` has whole seconds, so the content is compared too: another write in the same second
    // keeps the timestamp but not the content.
    if (
      !sameVersion(current.record.version, expected.version) ||
      contentHash(current.record.content) !== expected.hash
    ) {
      throw new PreconditionFailedError(`Severa activity ${current.record.guid} changed meanwhile`);
    }
  }

  async #mustLoad(guid: string): Promise<SeveraRecord> {
    const loaded = await this.#load(guid);
    if (loaded === null) throw new NotFoundError(`Severa activity ${guid} not found`);
    return loaded.record;
  }

  /** The record an activity guid belongs to (an occurrence's or exception's guid gives its series), or null. */
  async #load(guid: string): Promise<Loaded | null> {
    const row = await this.#getActivity(guid);
    if (row === null) return null;
    const loaded = await this.#resolve([row]);
    return loaded[0] ?? null;
  }

  async #getActivity(guid: string): Promise<ActivityModel | null> {
    try {
      const body = await this.#client.getJson(`/v1/activities/${encodeURIComponent(guid)}`, undefined, READ);
      return this.#activity(body, 'GET /v1/activities/{guid}');
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  #activity(body: unknown, operation: string): ActivityModel {
    const parsed = activityModelSchema.safeParse(body);
    if (!parsed.success) {
      throw new PermanentError(
        'validation',
        `Severa answered ${operation} with an activity this integration cannot read: ${parsed.error.issues
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')
          .slice(0, 300)}`,
      );
    }
    return parsed.data;
  }

  async #listActivities(
    query: Record<string, string | boolean | readonly string[]>,
  ): Promise<ActivityModel[]> {
    const rows = await this.#client.getAllPages('/v1/activities', query, READ);
    const out: ActivityModel[] = [];
    for (const raw of rows) {
      const parsed = activityModelSchema.safeParse(raw);
      if (parsed.success) out.push(parsed.data);
      else {
        const guid = (raw as { guid?: unknown } | null)?.guid;
        this.#logger.warn('unreadable Severa activity skipped', {
          activityGuid: typeof guid === 'string' ? guid : null,
        });
      }
    }
    return out;
  }

  /**
   * Listed rows → records: singles as they are; every row of a series → its series (master read once, with all its
   * Exception rows), each record once.
   */
  async #resolve(rows: readonly ActivityModel[]): Promise<Loaded[]> {
    const singles = new Map<string, ActivityModel>();
    const masters = new Map<string, ActivityModel>();
    const children: ActivityModel[] = [];
    const wantedParents = new Set<string>();
    for (const row of rows) {
      const guid = row.guid ?? '';
      if (guid === '') continue;
      if (row.recurrenceType === 'Series') masters.set(guid, row);
      else if (isSeriesChild(row) && (row.recurrenceParentActivityGuid ?? '') !== '') {
        children.push(row);
        wantedParents.add(row.recurrenceParentActivityGuid ?? '');
      } else singles.set(guid, row);
    }
    for (const parent of wantedParents) {
      if (masters.has(parent)) continue;
      const master = await this.#getActivity(parent);
      if (master?.recurrenceType === 'Series') masters.set(parent, master);
      else if (master !== null && (master.guid ?? '') !== '') singles.set(parent, master); // no longer a series
    }
    const exceptionRows = await this.#exceptionRowsOf([...masters.values()], children);

    if ([...singles.values(), ...masters.values()].some((r) => r.activityType.category === undefined)) {
      await this.#loadTypes(false);
    }
    const out: Loaded[] = [];
    for (const row of [...singles.values(), ...masters.values()]) {
      const guid = row.guid ?? '';
      try {
        const zone = await this.#zoneOf(row.ownerUser.guid);
        const participants = await this.#participantsOf(row);
        if (participants === null) continue; // deleted between the listing and now
        out.push(this.#toLoaded(row, zone, participants, exceptionRows.get(guid) ?? []));
      } catch (error) {
        if (error instanceof SyncError) throw error;
        // A row the mapper cannot read (unknown zone, missing category…) must not stop everyone's sync.
        this.#logger.warn('Severa activity skipped: cannot map it', {
          activityGuid: guid,
          reason: error instanceof Error ? error.message : 'unknown',
        });
      }
    }
    return out;
  }

  #toLoaded(
    row: ActivityModel,
    zone: string,
    participants: readonly ActivityParticipantModel[],
    exceptionRows: readonly ActivityModel[],
  ): Loaded {
    const base = activityToRecord(row, {
      timeZone: zone,
      participantGuids: userParticipantGuids(participants, row.ownerUser.guid),
      exceptionRows,
      ...(this.#types === null ? {} : { activityTypes: this.#types.types }),
    });
    const version = versionOf(row.recurrenceType === 'Series' ? [row, ...exceptionRows] : [row]);
    return { record: { ...base, version }, row, exceptionRows, participants, zone };
  }

  /**
   * Every `Exception` row of these series, by series guid. No filter by parent exists (§6), so one listing of
   * the owners' Exception rows from before the earliest series start, filtered by `recurrenceParentActivityGuid`;
   * only series whose `recurrence.exceptions` is not empty need it.
   */
  async #exceptionRowsOf(
    masters: readonly ActivityModel[],
    known: readonly ActivityModel[],
  ): Promise<Map<string, ActivityModel[]>> {
    const needing = masters.filter((m) => (m.recurrence?.exceptions ?? []).length > 0);
    const byParent = new Map<string, Map<string, ActivityModel>>();
    const add = (row: ActivityModel) => {
      const parent = row.recurrenceParentActivityGuid ?? '';
      const guid = row.guid ?? '';
      if (row.recurrenceType !== 'Exception' || parent === '' || guid === '') return;
      const rows = byParent.get(parent) ?? new Map<string, ActivityModel>();
      rows.set(guid, row);
      byParent.set(parent, rows);
    };
    if (needing.length > 0) {
      const owners = [...new Set(needing.map((m) => m.ownerUser.guid))].sort();
      const fromMs = Math.min(...needing.map((m) => stampMs(m.startDateTime))) - EXCEPTION_LOOKBACK_MS;
      const wanted = new Set(needing.map((m) => m.guid ?? ''));
      const rows = await this.#listActivities({
        userGuids: owners,
        recurrenceType: 'Exception',
        startDateTime: queryInstant(fromMs, 'UTC'),
      });
      for (const row of rows) if (wanted.has(row.recurrenceParentActivityGuid ?? '')) add(row);
    }
    // Rows the caller listed are fresher than nothing, but the query above is at least as fresh: it wins.
    for (const row of known) {
      const parent = row.recurrenceParentActivityGuid ?? '';
      if (!(byParent.get(parent)?.has(row.guid ?? '') ?? false) && needing.some((m) => m.guid === parent))
        add(row);
    }
    return new Map([...byParent].map(([parent, rows]) => [parent, [...rows.values()]]));
  }

  /**
   * The activity's participants (§8), reused while its `lastUpdatedDateTime` stays the same (participant changes
   * stamp the activity in the simulator, §14.4 [UNCONFIRMED] in Severa). Null when the activity is gone.
   */
  async #participantsOf(row: ActivityModel): Promise<readonly ActivityParticipantModel[] | null> {
    const guid = row.guid ?? '';
    const stamp = row.lastUpdatedDateTime ?? row.createdDateTime ?? '';
    const cached = this.#participants.get(guid);
    if (cached !== undefined && cached.stamp === stamp && stamp !== '') return cached.list;
    let body: unknown;
    try {
      body = await this.#client.getJson(
        `/v1/activities/${encodeURIComponent(guid)}/activityparticipants`,
        undefined,
        READ,
      );
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    const list = (Array.isArray(body) ? body : []).flatMap((raw: unknown) => {
      const parsed = activityParticipantModelSchema.safeParse(raw);
      return parsed.success ? [parsed.data] : [];
    });
    this.#rememberParticipants(row, list);
    return list;
  }

  #rememberParticipants(row: ActivityModel, list: readonly ActivityParticipantModel[]): void {
    const stamp = row.lastUpdatedDateTime ?? row.createdDateTime ?? '';
    if (this.#participants.size >= PARTICIPANT_CACHE_MAX) this.#participants.clear();
    this.#participants.set(row.guid ?? '', { stamp, list });
  }

  #userParticipant(current: Loaded, userGuid: string): ActivityParticipantModel | undefined {
    return current.participants.find((p) => (p.type ?? 'User') === 'User' && p.participantGuid === userGuid);
  }

  // ---- writing

  async #patch(guid: string, ops: readonly ReplaceOp[]): Promise<void> {
    const response = await this.#client.request({
      method: 'PATCH',
      path: `/v1/activities/${encodeURIComponent(guid)}`,
      body: ops,
      scope: WRITE,
    });
    // §3: 200 with an array of the updated models.
    const first: unknown = Array.isArray(response.body) ? response.body[0] : response.body;
    const by = (first as { lastUpdatedBy?: { guid?: unknown } } | undefined)?.lastUpdatedBy?.guid;
    if (typeof by === 'string') this.#learnApiUser(by);
  }

  async #deleteParticipant(activityGuid: string, participant: ActivityParticipantModel): Promise<void> {
    // The path names the participant row (`activityParticipantGuid`, contract); the person's guid if it has none.
    const id = participant.guid ?? participant.participantGuid;
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/v1/activities/${encodeURIComponent(activityGuid)}/activityparticipants/${encodeURIComponent(id)}`,
        scope: DELETE,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async #resetExceptions(seriesGuid: string): Promise<void> {
    // §6: `DELETE /v1/activities/{guid}/exceptions` puts the series back to its rule.
    await this.#client.request({
      method: 'DELETE',
      path: `/v1/activities/${encodeURIComponent(seriesGuid)}/exceptions`,
      scope: DELETE,
    });
  }

  /**
   * Makes the series' cancelled and modified occurrences those of `target`, starting from `base` (what it has now,
   * read from `rows`). Severa writes them on the occurrence rows (§7, [UNCONFIRMED] choices the simulator shares):
   * DELETE on an Occurrence cancels it, PATCH makes it an Exception. An occurrence cannot be restored one by one, so
   * when `target` drops one of `base`'s, all are reset and written again. Returns whether anything was written.
   */
  async #writeExceptions(
    seriesGuid: string,
    ownerGuid: string,
    zone: string,
    rows: readonly ActivityModel[],
    base: Pick<Recurrence, 'exdates' | 'overrides'>,
    target: Pick<Recurrence, 'exdates' | 'overrides'>,
  ): Promise<boolean> {
    const targetKeys = new Set([...target.exdates, ...target.overrides.map((o) => o.originalStart)]);
    const restored = [...base.exdates, ...base.overrides.map((o) => o.originalStart)].some(
      (k) => !targetKeys.has(k),
    );
    let wrote = false;
    if (restored) {
      await this.#resetExceptions(seriesGuid);
      base = EMPTY_EXCEPTIONS;
      rows = [];
      wrote = true;
    }
    const baseOverrides = new Map(base.overrides.map((o) => [o.originalStart, o]));
    const rowFor = this.#exceptionRowMatcher(rows, zone);
    const onOccurrence: { key: string; write: 'cancel' | RecurrenceOverride }[] = [];

    for (const key of target.exdates) {
      if (base.exdates.includes(key)) continue;
      const existing = baseOverrides.get(key);
      const row = existing === undefined ? undefined : rowFor(existing);
      if (row !== undefined) {
        await this.#deleteRow(row);
        wrote = true;
      } else onOccurrence.push({ key, write: 'cancel' });
    }
    for (const override of target.overrides) {
      if (target.exdates.includes(override.originalStart)) continue;
      const existing = baseOverrides.get(override.originalStart);
      if (existing !== undefined && sameOverride(existing, override)) continue;
      const row = existing === undefined ? undefined : rowFor(existing);
      const fields = mapped(() => overrideToExceptionFields(override, zone));
      if (row !== undefined) {
        await this.#patch(row, exceptionOps(fields));
        wrote = true;
      } else onOccurrence.push({ key: override.originalStart, write: override });
    }
    if (onOccurrence.length === 0) return wrote;

    const occurrences = await this.#occurrenceRows(
      seriesGuid,
      ownerGuid,
      zone,
      onOccurrence.map((o) => o.key),
    );
    for (const { key, write } of onOccurrence) {
      const guid = occurrences.get(key);
      if (guid === undefined) {
        // Outside the occurrences Severa generates, or not an occurrence of the rule: nothing to write it on.
        this.#logger.warn('Severa occurrence not found; exception not written', {
          activityGuid: seriesGuid,
          occurrenceKey: key,
        });
        continue;
      }
      if (write === 'cancel') await this.#deleteRow(guid);
      else await this.#patch(guid, exceptionOps(mapped(() => overrideToExceptionFields(write, zone))));
      wrote = true;
    }
    return wrote;
  }

  /** Finds the Exception row an override was folded from (same title, text and timing), each row once. */
  #exceptionRowMatcher(
    rows: readonly ActivityModel[],
    zone: string,
  ): (o: RecurrenceOverride) => string | undefined {
    const candidates = rows.flatMap((row) => {
      const guid = row.guid ?? '';
      if (guid === '') return [];
      const content = this.#rowContent(row, zone);
      return content === null ? [] : [{ guid, content }];
    });
    const used = new Set<string>();
    return (o) => {
      const found = candidates.find(
        (c) =>
          !used.has(c.guid) &&
          c.content.title === o.title &&
          c.content.notes === o.notes &&
          c.content.location === o.location &&
          JSON.stringify(c.content.timing) === JSON.stringify(o.timing),
      );
      if (found !== undefined) used.add(found.guid);
      return found?.guid;
    };
  }

  /** The content of one occurrence or exception row read as a single entry; null when unreadable (not matched). */
  #rowContent(row: ActivityModel, zone: string): EntryContent | null {
    try {
      return activityToRecord(
        { ...row, recurrenceType: 'None', recurrence: null },
        {
          timeZone: zone,
          participantGuids: [],
          ...(this.#types === null ? {} : { activityTypes: this.#types.types }),
        },
      ).content;
    } catch {
      return null;
    }
  }

  /** Occurrence row guids of the series by original start key, for the given keys (one windowed listing). */
  async #occurrenceRows(
    seriesGuid: string,
    ownerGuid: string,
    zone: string,
    keys: readonly string[],
  ): Promise<Map<string, string>> {
    const instants = keys.map((k) => (k.includes('T') ? stampMs(k) : stampMs(localMidnight(k, zone))));
    const rows = await this.#listActivities({
      userGuids: [ownerGuid],
      recurrenceType: 'Occurrence',
      startDateTime: queryInstant(Math.min(...instants), zone),
      endDateTime: queryInstant(Math.max(...instants), zone),
    });
    const found = new Map<string, string>();
    for (const row of rows) {
      if (row.recurrenceParentActivityGuid !== seriesGuid || (row.guid ?? '') === '') continue;
      const content = this.#rowContent(row, zone);
      if (content !== null) found.set(occurrenceKey(content), row.guid ?? '');
    }
    return found;
  }

  async #deleteRow(guid: string): Promise<void> {
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/v1/activities/${encodeURIComponent(guid)}`,
        scope: DELETE,
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  #learnApiUser(guid: string | null | undefined): void {
    if (this.#apiUser === null && typeof guid === 'string' && guid !== '') this.#apiUser = guid;
  }

  // ---- directory

  #users(rows: readonly unknown[]): UserOutputModel[] {
    return rows.flatMap((raw) => {
      const parsed = userOutputModelSchema.safeParse(raw);
      return parsed.success ? [parsed.data] : [];
    });
  }

  #rememberZones(users: readonly UserOutputModel[]): void {
    const atMs = this.#clock.now().getTime();
    for (const u of users) {
      if (typeof u.guid === 'string')
        this.#zones.set(u.guid, { zone: zoneOrNull(u) ?? this.#fallbackZone, atMs });
    }
  }

  #fresh(loadedAtMs: number): boolean {
    return this.#clock.now().getTime() - loadedAtMs < this.#ttlMs;
  }

  async #loadDirectory(): Promise<Directory> {
    if (this.#directory !== null && this.#fresh(this.#directory.loadedAtMs)) return this.#directory;
    const users = this.#users(await this.#client.getAllPages('/v1/users', {}, 'users:read'));
    this.#rememberZones(users);
    this.#directory = { loadedAtMs: this.#clock.now().getTime(), users };
    return this.#directory;
  }

  /**
   * The user's Severa time zone (`UserOutputModel.timezone`, §10), or the fallback zone. Read per user
   * (`GET /v1/users/{guid}`) and kept for the directory TTL: a cold instance does not page through the whole
   * directory to map a few activities.
   */
  async #zoneOf(userGuid: string): Promise<string> {
    const known = this.#zones.get(userGuid);
    if (known !== undefined && this.#fresh(known.atMs)) return known.zone;
    try {
      const body = await this.#client.getJson(
        `/v1/users/${encodeURIComponent(userGuid)}`,
        undefined,
        'users:read',
      );
      this.#rememberZones(this.#users([body]));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const zone = this.#zones.get(userGuid)?.zone ?? this.#fallbackZone;
    this.#zones.set(userGuid, { zone, atMs: this.#clock.now().getTime() });
    return zone;
  }

  async #loadTypes(force: boolean): Promise<readonly ActivityType[]> {
    if (!force && this.#types !== null && this.#fresh(this.#types.loadedAtMs)) return this.#types.types;
    const rows = await this.#client.getAllPages('/v1/activitytypes', {}, 'settings:read');
    const types = rows.flatMap((raw) => {
      const parsed = activityTypeModelSchema.safeParse(raw);
      const type = parsed.success ? activityTypeFromModel(parsed.data) : null;
      return type === null ? [] : [type];
    });
    this.#types = { loadedAtMs: this.#clock.now().getTime(), types };
    return types;
  }
}

function hasExceptions(recurrence: Pick<Recurrence, 'exdates' | 'overrides'>): boolean {
  return recurrence.exdates.length > 0 || recurrence.overrides.length > 0;
}

/** Runs a mapper; its RangeError (content Severa cannot hold) becomes a `validation` error for the user's status. */
function mapped<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError) {
      throw new PermanentError('validation', `This entry cannot be written to Severa: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The production {@link SeveraPort}: Severa's REST API (reference/severa-api.md, cited as §n) through
 * {@link SeveraHttpClient}, behaving from the port's point of view like the in-memory reference
 * (shared/adapters/memory/memory.severa.ts):
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
 *
 * Reads (a record with its rows, a window's listing) are severa.reader.ts; the writes below the port's operations (a
 * PATCH, a participant row removed, a series' exceptions brought to a target) severa.writer.ts; the pure series
 * arithmetic severa.series.ts.
 */
import { Info } from 'luxon';

import {
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  deleteExpectationOf,
  timingStartMs,
  type ActivityType,
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
import { systemClock } from '../system-time.js';
import type { SeveraAccess, SeveraHttpClient } from './severa.client.js';
import { SeveraDirectoryCache, type SeveraUserLookup } from './severa.directory-cache.js';
import { contentToActivityCreate, contentToPatch } from './severa.mapper.js';
import { SeveraReader, parseActivity, type Loaded } from './severa.reader.js';
import { EMPTY_EXCEPTIONS, hasExceptions, movesOccurrences, type SeriesExceptions } from './severa.series.js';
import { checkUnchanged, queryInstant, stampMs } from './severa.stamps.js';
import { DELETE, SeveraWriter, WRITE, mapped } from './severa.writer.js';
import type { ActivityParticipantModel } from './severa.wire.js';

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
  /** How long users (time zones) and activity types are reused (severa.directory-cache.ts). */
  readonly directoryTtlMs?: number;
}

export class SeveraAdapter implements SeveraPort {
  readonly #client: SeveraHttpClient;
  readonly #logger: Logger;
  readonly #directory: SeveraDirectoryCache;
  readonly #reader: SeveraReader;
  readonly #writer: SeveraWriter;
  #apiUser: string | null;

  constructor(options: SeveraAdapterOptions) {
    this.#client = options.client;
    this.#logger = (options.logger ?? nullLogger).child({ component: 'severa-adapter' });
    const fallback = options.fallbackTimeZone ?? 'UTC';
    if (!Info.isValidIANAZone(fallback)) {
      throw new PermanentError('configuration', `The fallback time zone ${fallback} is not an IANA zone.`);
    }
    this.#directory = new SeveraDirectoryCache({
      client: options.client,
      clock: options.clock ?? systemClock,
      fallbackZone: fallback,
      logger: this.#logger,
      ...(options.directoryTtlMs === undefined ? {} : { ttlMs: options.directoryTtlMs }),
    });
    this.#reader = new SeveraReader({
      client: options.client,
      logger: this.#logger,
      directory: this.#directory,
    });
    this.#writer = new SeveraWriter({
      client: options.client,
      logger: this.#logger,
      directory: this.#directory,
      reader: this.#reader,
      onWriter: (guid) => {
        this.#learnApiUser(guid);
      },
    });
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
    const rows = await this.#reader.list({ changedSince: queryInstant(stampMs(since), 'UTC') });
    return (await this.#reader.resolve(rows)).map((l) => l.record);
  }

  /**
   * The user's activities (owner, or participant via `includeAsMember`) overlapping the window, scoped server-side:
   * single activities by the window (§6: `startDateTime` = ending after, `endDateTime` = starting on/before), series
   * masters that start on/before its end, kept when an occurrence ends after its start (as `MemorySevera` does).
   */
  async listForUser(userGuid: string, window: SeveraWindow): Promise<readonly SeveraRecord[]> {
    const zone = await this.#directory.zoneOf(userGuid);
    const fromMs = stampMs(window.from);
    const toMs = stampMs(window.to);
    const member = { userGuids: [userGuid], includeAsMember: true };
    const singles = await this.#reader.list({
      ...member,
      recurrenceType: 'None',
      startDateTime: queryInstant(fromMs, zone),
      endDateTime: queryInstant(toMs, zone),
    });
    const masters = await this.#reader.list({
      ...member,
      recurrenceType: 'Series',
      endDateTime: queryInstant(toMs, zone),
    });
    const loaded = await this.#reader.resolve([...singles, ...masters]);
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
    return (await this.#reader.load(guid))?.record ?? null;
  }

  async create(input: SeveraCreate): Promise<SeveraRecord> {
    const zone = await this.#directory.zoneOf(input.ownerGuid);
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
    const created = parseActivity(response.body, 'POST /v1/activities');
    this.#learnApiUser(created.createdBy?.guid ?? created.lastUpdatedBy?.guid);
    const guid = created.guid ?? '';
    const recurrence = content.recurrence;
    if (recurrence !== null && hasExceptions(recurrence)) {
      // `recurrence.exceptions` is read-only: cancelled and modified occurrences are written on their rows (§7).
      await this.#writer.writeExceptions(guid, input.ownerGuid, zone, [], EMPTY_EXCEPTIONS, recurrence);
      return this.#mustLoad(guid);
    }
    // A new activity has no participants yet: the response is the whole record.
    this.#reader.rememberParticipants(created, []);
    return this.#reader.toLoaded(created, zone, [], []).record;
  }

  async update(guid: string, expected: SideVersion, input: SeveraUpdate): Promise<SeveraRecord> {
    const current = await this.#reader.load(guid);
    if (current === null) throw new NotFoundError(`Severa activity ${guid} not found`);
    checkUnchanged(current.record, expected);
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
    if (ops.length > 0) await this.#writer.patch(masterGuid, ops);
    let seriesWritten = false;
    if (after.recurrence !== null) {
      let base: SeriesExceptions = before.recurrence ?? EMPTY_EXCEPTIONS;
      // The rule or the series' start changed (not just its length): old exceptions name original starts that
      // may no longer be occurrences, so they are reset and the wanted ones written anew.
      const moved = movesOccurrences(ops);
      if (moved && before.recurrence !== null && hasExceptions(before.recurrence)) {
        await this.#writer.resetExceptions(masterGuid);
        base = EMPTY_EXCEPTIONS;
      }
      seriesWritten = await this.#writer.writeExceptions(
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
    const current = await this.#reader.load(guid);
    if (current === null) return; // 404: already deleted
    checkUnchanged(current.record, expected);
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
    this.#reader.forgetParticipants(current.record.guid);
  }

  async addParticipant(guid: string, userGuid: string): Promise<SeveraRecord> {
    const current = await this.#reader.load(guid);
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
    const current = await this.#reader.load(guid);
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
      await this.#writer.patch(masterGuid, owner);
      // Exception rows carry their own owner; they move with the series so they stay found by owner
      // ([UNCONFIRMED] whether Severa moves them itself).
      for (const row of current.exceptionRows) {
        if (row.guid !== null && row.guid !== undefined && row.ownerUser.guid !== newOwnerGuid) {
          await this.#writer.patch(row.guid, owner);
        }
      }
      const asParticipant = this.#userParticipant(current, newOwnerGuid);
      if (asParticipant !== undefined) await this.#writer.deleteParticipant(masterGuid, asParticipant);
    } else {
      const participant = this.#userParticipant(current, userGuid);
      if (participant === undefined) return current.record;
      await this.#writer.deleteParticipant(masterGuid, participant);
    }
    return (await this.#reader.load(masterGuid))?.record ?? null;
  }

  // ---- Directory (setup, opt-in, mapping)

  /** Active Severa users with an e-mail, as the sync sees them (S2), each with their time zone. */
  listUsers(): Promise<SyncUser[]> {
    return this.#directory.syncUsers();
  }

  /** The active Severa user with this e-mail (case-insensitive; the first when several match), or null. */
  async findUserByEmail(email: string): Promise<SyncUser | null> {
    const found = await this.lookupUserByEmail(email);
    return found.kind === 'active' ? found.user : null;
  }

  /** The user with this e-mail, active or not (severa.directory-cache.ts). */
  lookupUserByEmail(email: string): Promise<SeveraUserLookup> {
    return this.#directory.lookupUserByEmail(email);
  }

  /** Every activity type (active and inactive), §9. */
  async listActivityTypes(): Promise<ActivityType[]> {
    return [...(await this.#directory.activityTypes(true))];
  }

  /** For setup (S1): the credential works and has the sync's scopes; throws precise `PermanentError`s otherwise. */
  checkAccess(): Promise<SeveraAccess> {
    return this.#client.checkAccess();
  }

  /** Forgets the cached users (time zones), activity types and participant lists. */
  refreshDirectory(): void {
    this.#directory.clear();
    this.#reader.clearParticipants();
  }

  // ---- reading

  async #mustLoad(guid: string): Promise<SeveraRecord> {
    const loaded = await this.#reader.load(guid);
    if (loaded === null) throw new NotFoundError(`Severa activity ${guid} not found`);
    return loaded.record;
  }

  #userParticipant(current: Loaded, userGuid: string): ActivityParticipantModel | undefined {
    return current.participants.find((p) => (p.type ?? 'User') === 'User' && p.participantGuid === userGuid);
  }

  #learnApiUser(guid: string | null | undefined): void {
    if (this.#apiUser === null && typeof guid === 'string' && guid !== '') this.#apiUser = guid;
  }
}

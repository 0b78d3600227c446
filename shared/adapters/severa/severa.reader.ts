/**
 * The reading side of the Severa adapter: activity rows from Severa's REST API (§6–§8) resolved into the port's
 * records. A series is **one record**: every row of a series (`Occurrence`, `Exception`) resolves to its `Series`
 * master, read once with all its `Exception` rows, which the mapper folds in. Participant lists are kept per
 * activity version. Also the Occurrence rows an exception is written on (severa.series.ts plans those writes).
 */
import { NotFoundError, PermanentError, SyncError, type SeveraRecord } from '../../domain/index.js';
import type { Logger } from '../../ports/index.js';
import type { SeveraHttpClient } from './severa.client.js';
import type { SeveraDirectoryCache } from './severa.directory-cache.js';
import { activityToRecord, userParticipantGuids } from './severa.mapper.js';
import { occurrenceKey, occurrenceSpanMs, rowContent } from './severa.series.js';
import { queryInstant, stampMs, versionOf } from './severa.stamps.js';
import {
  activityModelSchema,
  activityParticipantModelSchema,
  type ActivityModel,
  type ActivityParticipantModel,
} from './severa.wire.js';

/**
 * `Exception` rows are looked for from this long before their series' first start: a modified occurrence can be
 * moved, and no filter by parent exists (§6), so the query is by owner and time ([UNCONFIRMED] how far real users
 * move occurrences; a month earlier than the series' own start is taken as the limit).
 */
const EXCEPTION_LOOKBACK_MS = 31 * 86_400_000;

/** Participant lists kept per activity version, at most this many (a plain size cap). */
const PARTICIPANT_CACHE_MAX = 5_000;

const READ = 'activities:read';

/** A record plus the rows it was read from (what writes need). */
export interface Loaded {
  readonly record: SeveraRecord;
  /** The single activity or the series master. */
  readonly row: ActivityModel;
  readonly exceptionRows: readonly ActivityModel[];
  readonly participants: readonly ActivityParticipantModel[];
  readonly zone: string;
}

export interface SeveraReaderOptions {
  readonly client: SeveraHttpClient;
  readonly logger: Logger;
  readonly directory: SeveraDirectoryCache;
}

function isSeriesChild(row: ActivityModel): boolean {
  return row.recurrenceType === 'Occurrence' || row.recurrenceType === 'Exception';
}

/** An activity the API answered, validated; a shape this integration cannot read is a `validation` error. */
export function parseActivity(body: unknown, operation: string): ActivityModel {
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

export class SeveraReader {
  readonly #client: SeveraHttpClient;
  readonly #logger: Logger;
  readonly #directory: SeveraDirectoryCache;
  readonly #participants = new Map<
    string,
    { readonly stamp: string; readonly list: readonly ActivityParticipantModel[] }
  >();

  constructor(options: SeveraReaderOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#directory = options.directory;
  }

  /** The record an activity guid belongs to (an occurrence's or exception's guid gives its series), or null. */
  async load(guid: string): Promise<Loaded | null> {
    const row = await this.#getActivity(guid);
    if (row === null) return null;
    const loaded = await this.resolve([row]);
    return loaded[0] ?? null;
  }

  /** `GET /v1/activities` (all pages); a row this integration cannot read is logged and left out. */
  async list(query: Record<string, string | boolean | readonly string[]>): Promise<ActivityModel[]> {
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

  /** Occurrence row guids of the series by original start key, for the given keys (one windowed listing). */
  async occurrenceRows(
    seriesGuid: string,
    ownerGuid: string,
    zone: string,
    keys: readonly string[],
  ): Promise<Map<string, string>> {
    const { fromMs, toMs } = occurrenceSpanMs(keys, zone);
    const rows = await this.list({
      userGuids: [ownerGuid],
      recurrenceType: 'Occurrence',
      startDateTime: queryInstant(fromMs, zone),
      endDateTime: queryInstant(toMs, zone),
    });
    const types = this.#directory.knownActivityTypes();
    const found = new Map<string, string>();
    for (const row of rows) {
      if (row.recurrenceParentActivityGuid !== seriesGuid || (row.guid ?? '') === '') continue;
      const content = rowContent(row, zone, types);
      if (content !== null) found.set(occurrenceKey(content), row.guid ?? '');
    }
    return found;
  }

  /**
   * Listed rows → records: singles as they are; every row of a series → its series (master read once, with all its
   * Exception rows), each record once.
   */
  async resolve(rows: readonly ActivityModel[]): Promise<Loaded[]> {
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
      await this.#directory.activityTypes(false);
    }
    const out: Loaded[] = [];
    for (const row of [...singles.values(), ...masters.values()]) {
      const guid = row.guid ?? '';
      try {
        const zone = await this.#directory.zoneOf(row.ownerUser.guid);
        const participants = await this.#participantsOf(row);
        if (participants === null) continue; // deleted between the listing and now
        out.push(this.toLoaded(row, zone, participants, exceptionRows.get(guid) ?? []));
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

  /** A row (single or master) and what was read for it → the record; a series' version spans its rows. */
  toLoaded(
    row: ActivityModel,
    zone: string,
    participants: readonly ActivityParticipantModel[],
    exceptionRows: readonly ActivityModel[],
  ): Loaded {
    const activityTypes = this.#directory.knownActivityTypes();
    const base = activityToRecord(row, {
      timeZone: zone,
      participantGuids: userParticipantGuids(participants, row.ownerUser.guid),
      exceptionRows,
      ...(activityTypes === null ? {} : { activityTypes }),
    });
    const version = versionOf(row.recurrenceType === 'Series' ? [row, ...exceptionRows] : [row]);
    return { record: { ...base, version }, row, exceptionRows, participants, zone };
  }

  /** Keeps `list` as the participants of this version of the activity. */
  rememberParticipants(row: ActivityModel, list: readonly ActivityParticipantModel[]): void {
    const stamp = row.lastUpdatedDateTime ?? row.createdDateTime ?? '';
    if (this.#participants.size >= PARTICIPANT_CACHE_MAX) this.#participants.clear();
    this.#participants.set(row.guid ?? '', { stamp, list });
  }

  forgetParticipants(guid: string): void {
    this.#participants.delete(guid);
  }

  clearParticipants(): void {
    this.#participants.clear();
  }

  async #getActivity(guid: string): Promise<ActivityModel | null> {
    try {
      const body = await this.#client.getJson(`/v1/activities/${encodeURIComponent(guid)}`, undefined, READ);
      return parseActivity(body, 'GET /v1/activities/{guid}');
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
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
      const rows = await this.list({
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
    this.rememberParticipants(row, list);
    return list;
  }
}

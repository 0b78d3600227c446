/**
 * Writes of the Severa adapter (severa.adapter.ts) below the port's operations: a PATCH that learns who wrote, a
 * participant row removed, and a series' cancelled and modified occurrences brought to a target by the writes
 * severa.series.ts plans (§6, §7).
 */
import { NotFoundError, PermanentError, type RecurrenceOverride } from '../../domain/index.js';
import type { Logger } from '../../ports/index.js';
import type { SeveraHttpClient } from './severa.client.js';
import type { SeveraDirectoryCache } from './severa.directory-cache.js';
import { overrideToExceptionFields } from './severa.mapper.js';
import type { SeveraReader } from './severa.reader.js';
import {
  exceptionOps,
  exceptionRows,
  planExceptionWrites,
  type OccurrenceWrite,
  type ReplaceOp,
  type SeriesExceptions,
} from './severa.series.js';
import type { ActivityExceptionFields, ActivityModel, ActivityParticipantModel } from './severa.wire.js';

export const WRITE = 'activities:write';
export const DELETE = 'activities:delete';

export interface SeveraWriterOptions {
  readonly client: SeveraHttpClient;
  readonly logger: Logger;
  readonly directory: SeveraDirectoryCache;
  readonly reader: SeveraReader;
  /** Told the Severa user a write answered with (`lastUpdatedBy`): the credential's own user. */
  readonly onWriter: (guid: string) => void;
}

export class SeveraWriter {
  readonly #client: SeveraHttpClient;
  readonly #logger: Logger;
  readonly #directory: SeveraDirectoryCache;
  readonly #reader: SeveraReader;
  readonly #onWriter: (guid: string) => void;

  constructor(options: SeveraWriterOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#directory = options.directory;
    this.#reader = options.reader;
    this.#onWriter = options.onWriter;
  }

  async patch(guid: string, ops: readonly ReplaceOp[]): Promise<void> {
    const response = await this.#client.request({
      method: 'PATCH',
      path: `/v1/activities/${encodeURIComponent(guid)}`,
      body: ops,
      scope: WRITE,
    });
    // §3: 200 with an array of the updated models.
    const first: unknown = Array.isArray(response.body) ? response.body[0] : response.body;
    const by = (first as { lastUpdatedBy?: { guid?: unknown } } | undefined)?.lastUpdatedBy?.guid;
    if (typeof by === 'string') this.#onWriter(by);
  }

  async deleteParticipant(activityGuid: string, participant: ActivityParticipantModel): Promise<void> {
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

  async resetExceptions(seriesGuid: string): Promise<void> {
    // §6: `DELETE /v1/activities/{guid}/exceptions` puts the series back to its rule.
    await this.#client.request({
      method: 'DELETE',
      path: `/v1/activities/${encodeURIComponent(seriesGuid)}/exceptions`,
      scope: DELETE,
    });
  }

  /**
   * Makes the series' cancelled and modified occurrences those of `target`, starting from `base` (what it has now,
   * read from `rows`), by the writes severa.series.ts plans. Returns whether anything was written.
   */
  async writeExceptions(
    seriesGuid: string,
    ownerGuid: string,
    zone: string,
    rows: readonly ActivityModel[],
    base: SeriesExceptions,
    target: SeriesExceptions,
  ): Promise<boolean> {
    const plan = planExceptionWrites(
      base,
      target,
      exceptionRows(rows, zone, this.#directory.knownActivityTypes()),
    );
    if (plan.reset) await this.resetExceptions(seriesGuid);
    let wrote = plan.reset;
    const onOccurrence: OccurrenceWrite[] = [];
    for (const write of plan.writes) {
      if (write.kind === 'delete-row') {
        await this.#deleteRow(write.rowGuid);
        wrote = true;
      } else if (write.kind === 'patch-row') {
        await this.#patchException(write.rowGuid, write.override, zone);
        wrote = true;
      } else {
        // Mapped where it is planned: a modification Severa cannot hold fails before the writes planned after it.
        if (write.kind === 'modify-occurrence') exceptionFields(write.override, zone);
        onOccurrence.push(write);
      }
    }
    if (onOccurrence.length === 0) return wrote;
    const wroteOnOccurrences = await this.#writeOnOccurrences(seriesGuid, ownerGuid, zone, onOccurrence);
    return wroteOnOccurrences || wrote;
  }

  /** Cancels or modifies occurrences on the Occurrence rows Severa generated for them; whether any was written. */
  async #writeOnOccurrences(
    seriesGuid: string,
    ownerGuid: string,
    zone: string,
    writes: readonly OccurrenceWrite[],
  ): Promise<boolean> {
    const occurrences = await this.#reader.occurrenceRows(
      seriesGuid,
      ownerGuid,
      zone,
      writes.map((w) => w.key),
    );
    let wrote = false;
    for (const write of writes) {
      const guid = occurrences.get(write.key);
      if (guid === undefined) {
        // Outside the occurrences Severa generates, or not an occurrence of the rule: nothing to write it on.
        this.#logger.warn('Severa occurrence not found; exception not written', {
          activityGuid: seriesGuid,
          occurrenceKey: write.key,
        });
        continue;
      }
      if (write.kind === 'cancel-occurrence') await this.#deleteRow(guid);
      else await this.#patchException(guid, write.override, zone);
      wrote = true;
    }
    return wrote;
  }

  /** Writes a modified occurrence on its row: an Exception row, or an Occurrence row it turns into one (§7). */
  async #patchException(rowGuid: string, override: RecurrenceOverride, zone: string): Promise<void> {
    await this.patch(rowGuid, exceptionOps(exceptionFields(override, zone)));
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
}

function exceptionFields(override: RecurrenceOverride, zone: string): ActivityExceptionFields {
  return mapped(() => overrideToExceptionFields(override, zone));
}

/** Runs a mapper; its RangeError (content Severa cannot hold) becomes a `validation` error for the user's status. */
export function mapped<T>(build: () => T): T {
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

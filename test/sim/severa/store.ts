/**
 * In-memory state of the Severa simulator: users, activity types, activities, participants, and the rules that turn
 * series into Occurrence rows (severa-api.md §5, §7, §8). No HTTP here; errors are {@link SeveraApiError}s.
 */
import { createHash } from 'node:crypto';

import { expandSeries, type SimTiming } from '../common/recurrence.js';
import { DAY_MS, instantString, instantToWall, offsetMs } from '../common/wall-time.js';
import { SeveraApiError, invalidBody, notFound } from './errors.js';
import type { FixtureActivityType, FixtureUser, RecurrenceInput, SeveraActivityCategory } from './fixture.js';
import { seriesStartOf, severaRecurrenceLines, type SeveraRecurrence } from './severa-recurrence.js';

/**
 * Occurrences of a series exist only inside this many days either side of the clock's "now". The real API's
 * horizon is not documented (severa-api.md §7); a bounded one keeps never-ending series finite.
 */
export const OCCURRENCE_HORIZON_DAYS = 400;

export const RECURRENCE_TYPES = ['None', 'Occurrence', 'Exception', 'Series'] as const;
export type RecurrenceType = (typeof RECURRENCE_TYPES)[number];

/** A stored row: a single activity, a series master, or an Exception (a modified occurrence). */
export interface StoredActivity {
  guid: string;
  name: string;
  notes: string | null;
  location: string | null;
  startMs: number;
  endMs: number | null;
  isAllDay: boolean;
  hasDuration: boolean;
  isClosed: boolean;
  isUnassigned: boolean;
  activityTypeGuid: string;
  ownerGuid: string;
  phase: {
    guid: string;
    name: string;
    projectGuid?: string | undefined;
    projectName?: string | undefined;
  } | null;
  projectTaskStatus: { guid: string; name: string } | null;
  /** Series masters only; `exceptions` is derived from {@link seriesExceptions}. */
  recurrence: SeveraRecurrence | null;
  kind: 'None' | 'Series' | 'Exception';
  parentGuid: string | null;
  /** Exception rows: the original start of the occurrence they replace. */
  originalStartMs: number | null;
  createdMs: number;
  createdBy: string;
  updatedMs: number;
  updatedBy: string;
  /** Series masters: original start → exception row guid, or null when that occurrence is cancelled. */
  seriesExceptions: Map<number, string | null>;
}

export interface StoredParticipant {
  guid: string;
  activityGuid: string;
  participantGuid: string;
  type: 'User' | 'Contact' | 'Resource' | 'Other';
  status: 'Unknown' | 'Invited' | 'Accepted' | 'Tentative' | 'Declined';
  phone: string | null;
  mobilePhone: string | null;
}

/** A row as the API lists it: stored, or an Occurrence generated from its series. */
export interface ActivityRow {
  readonly stored: StoredActivity;
  readonly guid: string;
  readonly recurrenceType: RecurrenceType;
  readonly startMs: number;
  readonly endMs: number | null;
  /** Occurrence rows: the original start (equals startMs). */
  readonly originalStartMs: number | null;
}

/** Deterministic occurrence guid: the same series and original start always give the same guid (§7 [UNCONFIRMED]). */
export function occurrenceGuid(seriesGuid: string, originalStartMs: number): string {
  const hex = createHash('sha1')
    .update(`${seriesGuid}|${new Date(originalStartMs).toISOString()}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `2026-05-04T09:00:00+03:00` in the given zone (Severa returns DateTimeOffset values, severa-api.md §3). */
export function formatInZone(ms: number, zone: string): string {
  const offset = offsetMs(zone, ms);
  const local = new Date(ms + offset).toISOString().slice(0, 19);
  const abs = Math.abs(offset) / 60_000;
  const sign = offset < 0 ? '-' : '+';
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${local}${sign}${hh}:${mm}`;
}

/** Change stamps keep milliseconds so writes in one second stay ordered (precision is [UNCONFIRMED], §14.4). */
export function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** Parses a DateTimeOffset; without an offset it is read in `zone` (severa-api.md §14.7 [UNCONFIRMED]). */
export function parseDateTime(value: string, zone: string): number {
  const text = value.length === 16 ? `${value}:00` : value;
  if (/(Z|[+-]\d{2}:?\d{2})$/.test(text)) return Date.parse(text);
  const wall = Date.parse(`${text}Z`);
  const first = wall - offsetMs(zone, wall);
  return wall - offsetMs(zone, first);
}

export class SeveraStore {
  readonly users = new Map<string, FixtureUser & { createdMs: number; updatedMs: number }>();
  readonly activityTypes = new Map<string, FixtureActivityType & { createdMs: number; updatedMs: number }>();
  readonly activities = new Map<string, StoredActivity>();
  readonly participants = new Map<string, StoredParticipant>();
  #lastStamp = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  clear(): void {
    this.users.clear();
    this.activityTypes.clear();
    this.activities.clear();
    this.participants.clear();
  }

  /** A strictly increasing change stamp from the clock (severa-api.md §4: `lastUpdatedDateTime` is the only marker). */
  stamp(): number {
    const now = this.now();
    this.#lastStamp = now > this.#lastStamp ? now : this.#lastStamp + 1;
    return this.#lastStamp;
  }

  zoneOf(userGuid: string): string {
    return this.users.get(userGuid)?.timezone ?? 'UTC';
  }

  // ---- reading

  /** Every visible row: single activities, series masters, exceptions and generated occurrences. */
  rows(): ActivityRow[] {
    const out: ActivityRow[] = [];
    for (const a of this.activities.values()) {
      out.push(this.#storedRow(a));
      if (a.kind === 'Series') out.push(...this.occurrences(a));
    }
    return out;
  }

  #storedRow(a: StoredActivity): ActivityRow {
    return {
      stored: a,
      guid: a.guid,
      recurrenceType: a.kind,
      startMs: a.startMs,
      endMs: a.endMs,
      originalStartMs: a.originalStartMs,
    };
  }

  /** The series' Occurrence rows inside the horizon, minus cancelled and modified ones. */
  occurrences(series: StoredActivity): ActivityRow[] {
    const now = this.now();
    const window = {
      fromMs: now - OCCURRENCE_HORIZON_DAYS * DAY_MS,
      toMs: now + OCCURRENCE_HORIZON_DAYS * DAY_MS,
    };
    const out: ActivityRow[] = [];
    for (const o of this.#expand(series, window)) {
      if (series.seriesExceptions.has(o.startMs)) continue;
      out.push({
        stored: series,
        guid: occurrenceGuid(series.guid, o.startMs),
        recurrenceType: 'Occurrence',
        startMs: o.startMs,
        endMs: o.endMs,
        originalStartMs: o.startMs,
      });
    }
    return out;
  }

  /** Expands a series with the simulator's own expander, in the owner's zone (§7, §10 timezone). */
  #expand(
    series: StoredActivity,
    window: { fromMs: number; toMs: number },
  ): { startMs: number; endMs: number }[] {
    if (series.recurrence === null) return [];
    const durationMs = series.endMs === null ? 0 : series.endMs - series.startMs;
    const zone = this.zoneOf(series.ownerGuid);
    const first: SimTiming = {
      kind: 'timed',
      start: instantString(series.startMs),
      end: instantString(series.startMs + durationMs),
      timeZone: zone,
    };
    const lines = this.#lines(series.recurrence, series.startMs, zone);
    return expandSeries(lines, first, window).map((o) => {
      const startMs = Date.parse(o.timing.kind === 'timed' ? o.timing.start : o.timing.startDate);
      const endMs = Date.parse(o.timing.kind === 'timed' ? o.timing.end : o.timing.endDate);
      return { startMs, endMs: series.endMs === null ? startMs : endMs };
    });
  }

  /** The series' RRULE lines; parts the pattern leaves out come from its start in the owner's zone. */
  #lines(recurrence: SeveraRecurrence, startMs: number, zone: string): string[] {
    const wall = instantToWall(Date.parse(instantString(startMs)), zone);
    return severaRecurrenceLines(recurrence, seriesStartOf(wall));
  }

  /** Finds a row by guid, including generated occurrences. */
  find(guid: string): ActivityRow | null {
    const stored = this.activities.get(guid);
    if (stored !== undefined) return this.#storedRow(stored);
    for (const a of this.activities.values()) {
      if (a.kind !== 'Series') continue;
      const row = this.occurrences(a).find((o) => o.guid === guid);
      if (row !== undefined) return row;
    }
    return null;
  }

  require(guid: string): ActivityRow {
    const row = this.find(guid);
    if (row === null) throw notFound('Activity', guid);
    return row;
  }

  /** Exception dates of a series as the API shows them (`recurrence.exceptions`, read-only, §7). */
  exceptionDates(series: StoredActivity): string[] {
    const zone = this.zoneOf(series.ownerGuid);
    return [...series.seriesExceptions.keys()].sort((a, b) => a - b).map((ms) => formatInZone(ms, zone));
  }

  // ---- validation helpers

  requireType(guid: string, field = 'activityType.guid'): void {
    if (!this.activityTypes.has(guid)) throw invalidBody(field, `activity type ${guid} does not exist`);
  }

  requireUser(guid: string, field = 'ownerUser.guid'): void {
    if (!this.users.has(guid)) throw invalidBody(field, `user ${guid} does not exist`);
  }

  /** Rejects a recurrence no calendar can hold (e.g. dayOfMonth 31 in a yearly February rule). */
  checkRecurrence(recurrence: RecurrenceInput, startMs: number, ownerGuid: string): SeveraRecurrence {
    const { exceptions: _ignored, ...rest } = recurrence;
    const wire = rest as SeveraRecurrence;
    try {
      this.#lines(wire, startMs, this.zoneOf(ownerGuid));
    } catch (error) {
      throw invalidBody('recurrence', error instanceof Error ? error.message : 'invalid recurrence');
    }
    return wire;
  }

  // ---- writing

  /**
   * Turns an occurrence into an Exception row with the same guid and records its original start in the series'
   * exceptions (severa-api.md §7: per-instance changes create exceptions; the guid staying the same is our choice).
   */
  materialiseException(row: ActivityRow, by: string): StoredActivity {
    if (row.recurrenceType !== 'Occurrence' || row.originalStartMs === null) return row.stored;
    const series = row.stored;
    const stamp = this.stamp();
    const exception: StoredActivity = {
      ...series,
      guid: row.guid,
      startMs: row.startMs,
      endMs: row.endMs,
      recurrence: null,
      kind: 'Exception',
      parentGuid: series.guid,
      originalStartMs: row.originalStartMs,
      updatedMs: stamp,
      updatedBy: by,
      seriesExceptions: new Map(),
      phase: series.phase === null ? null : { ...series.phase },
      projectTaskStatus: series.projectTaskStatus === null ? null : { ...series.projectTaskStatus },
    };
    this.activities.set(exception.guid, exception);
    series.seriesExceptions.set(row.originalStartMs, exception.guid);
    // The series' exception list changed, so the master is stamped too (severa-api.md §14.4 [UNCONFIRMED]).
    this.touchRow(series, by);
    for (const p of this.participantsOf(series.guid)) {
      const copy = { ...p, guid: occurrenceGuid(p.guid, row.originalStartMs), activityGuid: exception.guid };
      this.participants.set(copy.guid, copy);
    }
    return exception;
  }

  touchRow(a: StoredActivity, by: string): void {
    a.updatedMs = this.stamp();
    a.updatedBy = by;
  }

  /** Deletes a row (DELETE /v1/activities/{guid}, §6): occurrences are cancelled, masters take their exceptions along. */
  delete(row: ActivityRow, by: string): void {
    const a = row.stored;
    if (row.recurrenceType === 'Occurrence' && row.originalStartMs !== null) {
      a.seriesExceptions.set(row.originalStartMs, null);
      this.touchRow(a, by);
      return;
    }
    if (a.kind === 'Exception' && a.parentGuid !== null && a.originalStartMs !== null) {
      const series = this.activities.get(a.parentGuid);
      if (series !== undefined) {
        series.seriesExceptions.set(a.originalStartMs, null);
        this.touchRow(series, by);
      }
    }
    if (a.kind === 'Series') {
      for (const g of a.seriesExceptions.values()) if (g !== null) this.#remove(g);
    }
    this.#remove(a.guid);
  }

  /** `DELETE /v1/activities/{guid}/exceptions`: the series goes back to its rule (§6). */
  resetExceptions(series: StoredActivity, by: string): void {
    for (const g of series.seriesExceptions.values()) if (g !== null) this.#remove(g);
    series.seriesExceptions.clear();
    this.touchRow(series, by);
  }

  #remove(guid: string): void {
    this.activities.delete(guid);
    for (const [pg, p] of this.participants) if (p.activityGuid === guid) this.participants.delete(pg);
  }

  participantsOf(activityGuid: string): StoredParticipant[] {
    return [...this.participants.values()].filter((p) => p.activityGuid === activityGuid);
  }

  /** Which stored row participants of a listed row live on: occurrences share their series' participants (§8). */
  participantHost(row: ActivityRow): string {
    return row.recurrenceType === 'Occurrence' ? row.stored.guid : row.guid;
  }

  categoryOf(typeGuid: string): SeveraActivityCategory | null {
    return this.activityTypes.get(typeGuid)?.category ?? null;
  }
}

export function assertKnownRecurrenceType(value: string): RecurrenceType {
  const found = RECURRENCE_TYPES.find((t) => t.toLowerCase() === value.toLowerCase());
  if (found === undefined)
    throw new SeveraApiError(400, 'InvalidParameter', [
      {
        message: `recurrenceType: expected one of ${RECURRENCE_TYPES.join(', ')}`,
        location: { name: 'recurrenceType', type: 'UriParameter' },
      },
    ]);
  return found;
}

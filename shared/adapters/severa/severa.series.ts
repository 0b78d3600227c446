/**
 * The series arithmetic of the Severa adapter, apart from its I/O: which writes make a series' cancelled and
 * modified occurrences (what it has, `base`) those a write wants (`target`), and the JSON Patch a modified
 * occurrence is written with. Pure.
 *
 * Severa writes them on the occurrence rows (§7, [UNCONFIRMED] choices the simulator shares): DELETE on an
 * Occurrence cancels it, PATCH makes it an Exception. An occurrence cannot be restored one by one, so when `target`
 * drops one of `base`'s, all are reset and written again.
 */
import {
  sameOverride,
  type ActivityType,
  type EntryContent,
  type Recurrence,
  type RecurrenceOverride,
} from '../../domain/index.js';
import { activityToRecord } from './severa.mapper.js';
import { localMidnight } from './severa.time.js';
import { stampMs } from './severa.stamps.js';
import type { ActivityExceptionFields, ActivityModel } from './severa.wire.js';

/** A series' cancelled (`exdates`) and modified (`overrides`) occurrences. */
export type SeriesExceptions = Pick<Recurrence, 'exdates' | 'overrides'>;

export const EMPTY_EXCEPTIONS: SeriesExceptions = { exdates: [], overrides: [] };

export function hasExceptions(recurrence: SeriesExceptions): boolean {
  return recurrence.exdates.length > 0 || recurrence.overrides.length > 0;
}

export interface ReplaceOp {
  readonly op: 'replace';
  readonly path: string;
  readonly value: unknown;
}

/** The fields of a modified occurrence as JSON Patch `replace` operations (top-level paths only, §3). */
export function exceptionOps(fields: ActivityExceptionFields): ReplaceOp[] {
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

/** Master patch paths that move the series' occurrences: its rule, or its start (not just its length). */
const MOVING_PATHS: readonly string[] = ['/recurrence', '/startDateTime', '/isAllDay'];

/**
 * Whether a patch of the master moves its occurrences. Old exceptions then name original starts that may no longer
 * be occurrences, so they are reset and the wanted ones written anew.
 */
export function movesOccurrences(ops: readonly { readonly path: string }[]): boolean {
  return ops.some((op) => MOVING_PATHS.includes(op.path));
}

/** The key of an occurrence in a series' exdates/overrides: canonical UTC instant, or the date of an all-day one. */
export function occurrenceKey(content: EntryContent): string {
  return content.timing.kind === 'timed' ? content.timing.start : content.timing.startDate;
}

/** The instants (ms) of occurrence keys: an all-day occurrence's is its local midnight in `zone`. */
export function occurrenceSpanMs(
  keys: readonly string[],
  zone: string,
): { readonly fromMs: number; readonly toMs: number } {
  const instants = keys.map((k) => (k.includes('T') ? stampMs(k) : stampMs(localMidnight(k, zone))));
  return { fromMs: Math.min(...instants), toMs: Math.max(...instants) };
}

/** The content of one occurrence or exception row read as a single entry; null when unreadable (not matched). */
export function rowContent(
  row: ActivityModel,
  zone: string,
  activityTypes: readonly ActivityType[] | null,
): EntryContent | null {
  try {
    return activityToRecord(
      { ...row, recurrenceType: 'None', recurrence: null },
      { timeZone: zone, participantGuids: [], ...(activityTypes === null ? {} : { activityTypes }) },
    ).content;
  } catch {
    return null;
  }
}

/** An existing `Exception` row of the series, read as a single entry. */
export interface ExceptionRow {
  readonly guid: string;
  readonly content: EntryContent;
}

/** The rows as {@link ExceptionRow}s; one without a guid or that cannot be read is left out (never matched). */
export function exceptionRows(
  rows: readonly ActivityModel[],
  zone: string,
  activityTypes: readonly ActivityType[] | null,
): ExceptionRow[] {
  return rows.flatMap((row) => {
    const guid = row.guid ?? '';
    if (guid === '') return [];
    const content = rowContent(row, zone, activityTypes);
    return content === null ? [] : [{ guid, content }];
  });
}

/** One write, in the order it is made. Rows are written directly; the others on the occurrence Severa generated. */
export type ExceptionWrite =
  | { readonly kind: 'delete-row'; readonly rowGuid: string }
  | { readonly kind: 'patch-row'; readonly rowGuid: string; readonly override: RecurrenceOverride }
  | { readonly kind: 'cancel-occurrence'; readonly key: string }
  | { readonly kind: 'modify-occurrence'; readonly key: string; readonly override: RecurrenceOverride };

/** The writes made on an occurrence row Severa generated (found by its original start, `key`). */
export type OccurrenceWrite = Extract<
  ExceptionWrite,
  { readonly kind: 'cancel-occurrence' | 'modify-occurrence' }
>;

export interface ExceptionPlan {
  /** Whether every exception is reset first (`DELETE /v1/activities/{guid}/exceptions`, §6). */
  readonly reset: boolean;
  readonly writes: readonly ExceptionWrite[];
}

/**
 * The writes that turn `base` into `target`, given the series' `Exception` rows (`rows`, what `base`'s overrides
 * were folded from): a cancellation or modification of an occurrence that already has a row goes to that row,
 * others to the occurrence; an override already as wanted is not written.
 */
export function planExceptionWrites(
  base: SeriesExceptions,
  target: SeriesExceptions,
  rows: readonly ExceptionRow[],
): ExceptionPlan {
  const targetKeys = new Set([...target.exdates, ...target.overrides.map((o) => o.originalStart)]);
  const reset = [...base.exdates, ...base.overrides.map((o) => o.originalStart)].some(
    (k) => !targetKeys.has(k),
  );
  const from = reset ? EMPTY_EXCEPTIONS : base;
  const fromOverrides = new Map(from.overrides.map((o) => [o.originalStart, o]));
  const rowFor = exceptionRowMatcher(reset ? [] : rows);
  const writes: ExceptionWrite[] = [];
  for (const key of target.exdates) {
    if (from.exdates.includes(key)) continue;
    const existing = fromOverrides.get(key);
    const row = existing === undefined ? undefined : rowFor(existing);
    writes.push(
      row === undefined ? { kind: 'cancel-occurrence', key } : { kind: 'delete-row', rowGuid: row },
    );
  }
  for (const override of target.overrides) {
    const key = override.originalStart;
    if (target.exdates.includes(key)) continue;
    const existing = fromOverrides.get(key);
    if (existing !== undefined && sameOverride(existing, override)) continue;
    const row = existing === undefined ? undefined : rowFor(existing);
    writes.push(
      row === undefined
        ? { kind: 'modify-occurrence', key, override }
        : { kind: 'patch-row', rowGuid: row, override },
    );
  }
  return { reset, writes };
}

/** Finds the Exception row an override was folded from (same title, text and timing), each row once. */
function exceptionRowMatcher(rows: readonly ExceptionRow[]): (o: RecurrenceOverride) => string | undefined {
  const used = new Set<string>();
  return (o) => {
    const found = rows.find((c) => !used.has(c.guid) && sameOverride(c.content, o));
    if (found !== undefined) used.add(found.guid);
    return found?.guid;
  };
}

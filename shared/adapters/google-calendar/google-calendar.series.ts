/**
 * The series arithmetic of the Google adapter, apart from its I/O: a master and its exception instances
 * (reference/google-calendar.md §3) folded into one record, and compared with the content a write wants: which
 * occurrences already match, which cancelled ones travel as EXDATE lines, the series etag, and the exception-instance
 * writes (patch or delete, with their bodies) that make the series so. Pure.
 */
import { createHash } from 'node:crypto';

import {
  canonicalInstant,
  contentHash,
  isDate,
  sameOverride,
  type EntryContent,
  type GoogleRecord,
  type Recurrence,
  type RecurrenceOverride,
  type Timing,
} from '../../domain/index.js';
import { expandOccurrences, parseInstanceId } from '../../sync/recurrence/index.js';
import { eventToRecord, overrideToInstanceEvent } from './google-calendar.mapper.js';
import { changedPart } from './google-calendar.patch.js';
import type { Event, EventBody } from './google-calendar.wire.js';

export function isSeries(event: Event): boolean {
  return (event.recurrence ?? []).some((line) => line.trim() !== '');
}

export function canonicalKey(key: string): string {
  return isDate(key) ? key : canonicalInstant(key);
}

export function seriesEtag(master: Event, exceptions: readonly Event[]): string {
  const hash = createHash('sha256').update(master.etag ?? '');
  for (const e of [...exceptions].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)))
    hash.update(`\n${e.id}\n${e.etag ?? ''}`);
  return `"s-${hash.digest('hex').slice(0, 32)}"`;
}

/** Exceptions of master `id` by canonical original start (their instance ids say which occurrence they are). */
export function exceptionsByKey(
  id: string,
  exceptions: readonly Event[],
): { live: Map<string, Event>; cancelled: Map<string, Event> } {
  const live = new Map<string, Event>();
  const cancelled = new Map<string, Event>();
  for (const e of exceptions) {
    const parsed = parseInstanceId(e.id);
    if (e.recurringEventId !== id || parsed === null || parsed.masterId !== id) continue;
    (e.status === 'cancelled' ? cancelled : live).set(canonicalKey(parsed.originalStart), e);
  }
  return { live, cancelled };
}

/** The master's own part of `content`: no overrides, and only the exdates that travel as EXDATE lines. */
export function masterLevel(content: EntryContent, lineExdates: ReadonlySet<string>): EntryContent {
  const recurrence: Recurrence | null =
    content.recurrence === null
      ? null
      : { pattern: content.recurrence.pattern, exdates: [...lineExdates].sort(), overrides: [] };
  return { ...content, recurrence };
}

/** EXDATE keys on the stored master's recurrence lines. */
export function currentLineExdates(master: Event | null, zone: string): readonly string[] {
  if (master === null || !isSeries(master)) return [];
  try {
    const record = eventToRecord({ ...master, status: 'confirmed' }, [], { defaultTimeZone: zone });
    return record?.content.recurrence?.exdates ?? [];
  } catch {
    return [];
  }
}

export function sameMasterFields(
  master: Event,
  content: EntryContent,
  severaGuid: string | null,
  zone: string,
): boolean {
  const current = eventToRecord(master, [], { defaultTimeZone: zone });
  if (current === null) return false;
  if (severaGuid !== null && current.severaGuid !== severaGuid) return false;
  return contentHash(current.content) === contentHash(content);
}

/** A live exception's own content: read on its own it maps like a single event. Null for a cancelled one. */
function instanceContent(event: Event, zone: string): EntryContent | null {
  if (event.status === 'cancelled') return null;
  const { recurringEventId: _r, originalStartTime: _o, ...alone } = event;
  return eventToRecord(alone, [], { defaultTimeZone: zone })?.content ?? null;
}

/** Whether a live exception instance already holds `override`. */
export function sameException(event: Event, override: RecurrenceOverride, zone: string): boolean {
  const c = instanceContent(event, zone);
  return c !== null && sameOverride(c, override);
}

/**
 * What occurrence `key` holds now: its live exception's content, else the series' own at its natural time (Google
 * makes a new exception from the master); undefined when not known (a cancelled stub says nothing).
 */
export function heldContent(
  content: EntryContent,
  bare: EntryContent,
  key: string,
  event: Event | undefined,
  zone: string,
): EntryContent | undefined {
  if (event !== undefined) return instanceContent(event, zone) ?? undefined;
  const timing = naturalTiming(bare, key);
  return timing === null ? undefined : { ...content, timing, recurrence: null };
}

/**
 * The patch body of one occurrence's exception instance; with `held` (what it holds now) only the fields that
 * change. `recurringEventId` and `originalStartTime` identify the occurrence and are immutable (§3): the instance id
 * already says which one it is.
 */
export function instanceBody(
  masterId: string,
  override: RecurrenceOverride,
  zone: string,
  held: EntryContent | undefined,
): EventBody {
  const {
    recurringEventId: _r,
    originalStartTime: _o,
    ...body
  } = overrideToInstanceEvent(masterId, override, zone);
  const own: EntryContent = { ...override, recurrence: null, isPrivate: held?.isPrivate ?? false };
  return changedPart(body, own, held);
}

/** Where occurrence `key` of the bare series (no exdates, no overrides) is; null when it is not an occurrence. */
export function naturalTiming(bare: EntryContent, key: string): Timing | null {
  if (bare.recurrence === null) return null;
  const content: EntryContent = {
    ...bare,
    recurrence: { pattern: bare.recurrence.pattern, exdates: [], overrides: [] },
  };
  const ms = isDate(key) ? Date.parse(`${key}T00:00:00Z`) : Date.parse(key);
  const hit = expandOccurrences(content, { fromMs: ms, toMs: ms + 1 }).find((o) => o.originalStart === key);
  return hit?.timing ?? null;
}

/**
 * Overrides that change nothing (an exception put back to the series' own content) are not modifications: dropping
 * them keeps a series that was reverted equal to the content written.
 */
export function withoutNoOpOverrides(content: EntryContent): Recurrence | null {
  const recurrence = content.recurrence;
  if (recurrence === null || recurrence.overrides.length === 0) return recurrence;
  const bare = masterLevel(content, new Set());
  const overrides = recurrence.overrides.filter((o) => {
    const timing = naturalTiming(bare, canonicalKey(o.originalStart));
    return !(timing !== null && sameOverride(o, { ...content, timing }));
  });
  return overrides.length === recurrence.overrides.length ? recurrence : { ...recurrence, overrides };
}

/**
 * Master + exceptions → a record (a series etag and latest `updated` for a series); null when cancelled. Timed events
 * that name no zone are read in `defaultZone`.
 */
export function foldRecord(
  master: Event,
  exceptions: readonly Event[],
  defaultZone: string,
): GoogleRecord | null {
  const own = exceptions.filter((e) => e.recurringEventId === master.id);
  const record = eventToRecord(master, own, { defaultTimeZone: defaultZone });
  if (record?.content.recurrence == null) return record;
  let updated = record.updated;
  for (const e of own) {
    const stamp = e.updated === undefined ? null : canonicalInstant(e.updated);
    if (stamp !== null && stamp > updated) updated = stamp;
  }
  return {
    ...record,
    etag: seriesEtag(master, own),
    updated,
    content: { ...record.content, recurrence: withoutNoOpOverrides(record.content) },
  };
}

/**
 * The exdates of `content` that travel as EXDATE lines on master `masterId` (`master` as stored, null when there is
 * none yet, and its `exceptions`); `zone` reads the stored master's own lines.
 */
export function lineExdatesOf(
  content: EntryContent,
  masterId: string,
  master: Event | null,
  exceptions: readonly Event[],
  zone: string,
): Set<string> {
  const lines = new Set<string>();
  if (content.recurrence === null) return lines;
  const byKey = exceptionsByKey(masterId, exceptions);
  const kept = new Set(currentLineExdates(master, zone));
  for (const key of content.recurrence.exdates.map(canonicalKey)) {
    // Occurrences that already have an exception instance are cancelled through it; others by EXDATE lines.
    if (!byKey.live.has(key) && !byKey.cancelled.has(key)) lines.add(key);
    else if (kept.has(key)) lines.add(key);
  }
  return lines;
}

/** One exception-instance write: a patch (its body) or a delete (a cancellation), `If-Match` on its etag if any. */
export type InstanceOp =
  | {
      readonly kind: 'patch';
      readonly key: string;
      readonly body: EventBody;
      readonly ifMatch: string | null;
    }
  | { readonly kind: 'delete'; readonly key: string; readonly ifMatch: string | null };

/**
 * The exception-instance writes that turn master `masterId`'s `exceptions` into `content`'s overrides and exdates.
 * `changedOnly`: a patch leaves out the fields the occurrence already has (its live exception's, else the series'
 * own). `zone` is the series' (or, for an all-day series, the user's).
 */
export function instanceOps(
  masterId: string,
  content: EntryContent,
  exceptions: readonly Event[],
  zone: string,
  changedOnly: boolean,
): InstanceOp[] {
  const recurrence = content.recurrence;
  if (recurrence === null) return [];
  const { live, cancelled } = exceptionsByKey(masterId, exceptions);
  const exdates = new Set(recurrence.exdates.map(canonicalKey));
  const overrides = new Map(recurrence.overrides.map((o) => [canonicalKey(o.originalStart), o]));
  const bare = masterLevel(content, new Set());
  const ops: InstanceOp[] = [];
  const patch = (key: string, override: RecurrenceOverride, currentEvent: Event | undefined) => {
    const held = changedOnly ? heldContent(content, bare, key, currentEvent, zone) : undefined;
    const body = instanceBody(masterId, override, zone, held);
    ops.push({ kind: 'patch', key, body, ifMatch: currentEvent?.etag ?? null });
  };
  for (const [key, override] of overrides) {
    if (exdates.has(key) || naturalTiming(bare, key) === null) continue; // cancelled, or not an occurrence
    const existing = live.get(key);
    if (existing !== undefined && sameException(existing, override, zone)) continue;
    patch(key, override, existing ?? cancelled.get(key));
  }
  for (const key of exdates) {
    const existing = live.get(key);
    if (existing !== undefined) ops.push({ kind: 'delete', key, ifMatch: existing.etag ?? null });
  }
  // Occurrences modified or cancelled in Google that `content` has as plain ones: back to the series' content.
  for (const [key, existing] of [...live, ...cancelled]) {
    if (overrides.has(key) || exdates.has(key)) continue;
    const timing = naturalTiming(bare, key);
    if (timing === null) continue;
    const natural = occurrenceOverride(key, { ...content, timing });
    if (existing.status !== 'cancelled' && sameException(existing, natural, zone)) continue;
    patch(key, natural, existing);
  }
  return ops;
}

/** Occurrence `key` holding `fields` (the synced fields of an entry) as an override. */
export function occurrenceOverride(
  key: string,
  fields: Pick<EntryContent, 'title' | 'notes' | 'location' | 'timing'>,
): RecurrenceOverride {
  return {
    originalStart: key,
    title: fields.title,
    notes: fields.notes,
    location: fields.location,
    timing: fields.timing,
  };
}

/**
 * The series arithmetic of the Google adapter, apart from its I/O: a master and its exception instances
 * (reference/google-calendar.md §3) compared with the content a write wants: which occurrences already match, which
 * cancelled ones travel as EXDATE lines, the series etag, and the exception bodies to send. Pure.
 */
import { createHash } from 'node:crypto';

import {
  canonicalInstant,
  contentHash,
  isDate,
  type EntryContent,
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

function sameTiming(a: Timing, b: Timing): boolean {
  if (a.kind === 'allDay' || b.kind === 'allDay')
    return a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b);
  return a.start === b.start && a.end === b.end && a.timeZone === b.timeZone;
}

/** A live exception's own content: read on its own it maps like a single event. Null for a cancelled one. */
function instanceContent(event: Event, zone: string): EntryContent | null {
  if (event.status === 'cancelled') return null;
  const { recurringEventId: _r, originalStartTime: _o, ...alone } = event;
  return eventToRecord(alone, [], { defaultTimeZone: zone })?.content ?? null;
}

export function sameOverride(event: Event, override: RecurrenceOverride, zone: string): boolean {
  const c = instanceContent(event, zone);
  if (c === null) return false;
  return (
    c.title === override.title &&
    c.notes === override.notes &&
    c.location === override.location &&
    sameTiming(c.timing, override.timing)
  );
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
    return !(
      timing !== null &&
      sameTiming(timing, o.timing) &&
      o.title === content.title &&
      o.notes === content.notes &&
      o.location === content.location
    );
  });
  return overrides.length === recurrence.overrides.length ? recurrence : { ...recurrence, overrides };
}

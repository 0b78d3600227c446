/**
 * The fallback for series Severa cannot express (S9: "a rule the other side cannot express degrades in a defined,
 * tested way").
 *
 * When a Google series fails `severaCanExpress` (capability.ts), the Google series stays as it is and Severa gets
 * one single activity per occurrence that overlaps the sync window, each linked to the Google instance it stands
 * for. The instance records use Google's own instance ids, `<masterId>_<YYYYMMDDTHHMMSSZ>` for timed series (the
 * occurrence's original start in UTC) and `<masterId>_<YYYYMMDD>` for all-day ones, so a link survives restarts and
 * points at what `events.instances` would return (google-calendar.md §1, §3). Each carries the master's title,
 * notes, location and privacy with the occurrence's time, or a modified occurrence's own content; cancelled
 * occurrences have no record. Nothing inside the window is lost: every occurrence there has exactly one record.
 * Occurrences leave Severa as the window moves past them, and new ones arrive as it reaches them; a change to the
 * master changes every record's etag, so the change reaches every linked activity.
 */
import { createHash } from 'node:crypto';

import { contentHash } from '../../domain/content-hash.js';
import type { EntryContent, GoogleRecord } from '../../domain/entry.js';
import { canonicalInstant, isDate, isInstant } from '../../domain/timing.js';
import { expandOccurrences, type ExpandOptions, type TimeWindow } from './expand.js';
import {
  basicDate,
  basicDateTime,
  dateToWall,
  instantString,
  parseIcalDateValue,
  wallDate,
} from './wall-time.js';

/** Google's id of one instance of series `masterId` with original start `originalStart` (canonical). */
export function instanceId(masterId: string, originalStart: string): string {
  if (isDate(originalStart)) return `${masterId}_${basicDate(dateToWall(originalStart))}`;
  if (!isInstant(originalStart))
    throw new RangeError(`not an original start: ${JSON.stringify(originalStart)}`);
  return `${masterId}_${basicDateTime(Date.parse(originalStart))}Z`;
}

const INSTANCE_ID_RE = /^(.+)_(\d{8}(?:T\d{6}Z)?)$/;

/**
 * The master id and canonical original start of an instance id, or null when `id` is not one. Google's own ids are
 * base32hex (google-calendar.md §3), so the last `_` separates the two parts.
 */
export function parseInstanceId(
  id: string,
): { readonly masterId: string; readonly originalStart: string } | null {
  const m = INSTANCE_ID_RE.exec(id);
  const masterId = m?.[1];
  const suffix = m?.[2];
  if (masterId === undefined || suffix === undefined) return null;
  const value = parseIcalDateValue(suffix);
  if (value === null || value.kind === 'local') return null;
  return {
    masterId,
    originalStart: value.kind === 'utc' ? instantString(value.instant) : wallDate(value.wall),
  };
}

/**
 * One single record per occurrence of the series `record` overlapping `window` (see the module comment). A record
 * that is not a series yields nothing.
 */
export function expandSeriesToInstances(
  record: GoogleRecord,
  window: TimeWindow,
  opts?: ExpandOptions,
): GoogleRecord[] {
  const master = record.content;
  const recurrence = master.recurrence;
  if (recurrence === null) return [];
  const overrides = new Map(recurrence.overrides.map((o) => [originalStartKey(o.originalStart), o]));
  return expandOccurrences(master, window, opts).map((occurrence) => {
    const override = occurrence.overridden ? overrides.get(occurrence.originalStart) : undefined;
    const content: EntryContent = {
      title: override?.title ?? master.title,
      notes: override?.notes ?? master.notes,
      location: override?.location ?? master.location,
      timing: occurrence.timing,
      recurrence: null,
      // An override carries no privacy of its own: Google applies visibility to the whole series (§3).
      isPrivate: master.isPrivate,
    };
    const id = instanceId(record.id, occurrence.originalStart);
    return {
      id,
      etag: instanceEtag(record.etag, id, content),
      updated: record.updated,
      iCalUID: record.iCalUID,
      content,
      severaGuid: null,
      eventType: record.eventType,
      organizerOfMeeting: record.organizerOfMeeting,
    };
  });
}

function originalStartKey(value: string): string {
  return isDate(value) || !isInstant(value) ? value : canonicalInstant(value);
}

/** Deterministic: changes whenever the master's etag or the instance's content changes. */
function instanceEtag(masterEtag: string, id: string, content: EntryContent): string {
  const digest = createHash('sha256')
    .update(`${masterEtag}\n${id}\n${contentHash(content)}`)
    .digest('hex');
  return `"${digest.slice(0, 32)}"`;
}

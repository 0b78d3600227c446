/**
 * Severa's field limits, met in a defined way that loses nothing (issue 9 #8). The published `ActivityModel` limits
 * (contracts/severa-openapi-v1.yaml): `location` at most 1,000 characters; `name` at least one (written as
 * "(No title)" by the mapper). Google has no such limits, so an event can carry more than Severa holds.
 *
 * {@link fitForSevera} shortens what is too long and keeps the full text at the end of the notes, under a marker;
 * {@link readFromSevera} undoes it. The two are applied where Severa is written and read (the Severa adapters), so
 * the sync always sees the full text on both sides: the fitted copy is never taken for a change, and Google is never
 * rewritten with the shortened one. A person who edits the location in Severa replaces it (the kept text is dropped);
 * one who edits the notes keeps the marker block as long as it stays intact at the end.
 *
 * Applied to a series' modified occurrences too (each is a row of its own in Severa, severa-api.md §7).
 */
import type { EntryContent } from '../domain/entry.js';
import type { RecurrenceOverride } from '../domain/recurrence.js';

/** `ActivityModel.location` `maxLength` (contracts/severa-openapi-v1.yaml). */
export const SEVERA_LOCATION_MAX = 1000;

/** The line that starts the kept full text in the notes. */
export const FULL_LOCATION_MARKER = '— Location in full (too long for Severa’s location field):';

const ELLIPSIS = '…';

interface Fields {
  readonly notes: string;
  readonly location: string;
}

function fit<T extends Fields>(fields: T): T {
  if (fields.location.length <= SEVERA_LOCATION_MAX) return fields;
  const short = shortened(fields.location);
  const block = `${FULL_LOCATION_MARKER}\n${fields.location}`;
  return { ...fields, location: short, notes: fields.notes === '' ? block : `${fields.notes}\n\n${block}` };
}

/** The location as Severa holds it: cut at the limit, ending with an ellipsis. */
function shortened(location: string): string {
  return `${location.slice(0, SEVERA_LOCATION_MAX - ELLIPSIS.length).trimEnd()}${ELLIPSIS}`;
}

function unfit<T extends Fields>(fields: T): T {
  const at = fields.notes.lastIndexOf(FULL_LOCATION_MARKER);
  if (at < 0) return fields;
  const full = fields.notes.slice(at + FULL_LOCATION_MARKER.length).replace(/^\n/, '');
  // The block is ours only if it ends the notes and still holds what the location was shortened from.
  if (full.length <= SEVERA_LOCATION_MAX) return fields;
  const notes = fields.notes.slice(0, at).replace(/\n*$/, '');
  // A location edited in Severa since replaces the kept text.
  return { ...fields, notes, location: fields.location === shortened(full) ? full : fields.location };
}

function mapFields(content: EntryContent, f: <T extends Fields>(fields: T) => T): EntryContent {
  const recurrence = content.recurrence;
  const master = f(content);
  if (recurrence === null || recurrence.overrides.length === 0) return master;
  return {
    ...master,
    recurrence: { ...recurrence, overrides: recurrence.overrides.map((o) => f<RecurrenceOverride>(o)) },
  };
}

/** The content as Severa can hold it (see the module comment). */
export function fitForSevera(content: EntryContent): EntryContent {
  return mapFields(content, fit);
}

/** The content a fitted activity stands for: the inverse of {@link fitForSevera}. */
export function readFromSevera(content: EntryContent): EntryContent {
  return mapFields(content, unfit);
}

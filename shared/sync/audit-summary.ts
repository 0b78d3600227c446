/**
 * What an applied action is about, in words a person reads on their audit trail (B2): the entry's title and date,
 * whether it is private, and for an update each change applied (field by field, before → after). Pure: the runner
 * hands it the action it applied.
 */
import type { EntryContent } from '../domain/entry.js';
import type { Action } from './plan/index.js';

export interface AuditSummary {
  /** The entry's title as it is after the action ('' when it has none). */
  readonly title: string;
  /** The entry's first day (`YYYY-MM-DD`, in its own zone for a timed entry), when known. */
  readonly date: string | null;
  /** A private entry: its title is not shown to anyone but the person (console-api.ts). */
  readonly isPrivate: boolean;
  /** For an update: each field it changed, before → after, and which calendar(s) were written. */
  readonly changes: readonly string[];
}

/** Long texts are cut in the trail; the entry itself keeps them whole. */
const SHOWN = 80;

function quoted(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return `“${flat.length > SHOWN ? `${flat.slice(0, SHOWN - 1)}…` : flat}”`;
}

/**
 * Formatters by zone, day or day and time: making one costs far more than formatting with it, and a first sync
 * describes thousands of entries in a handful of zones. An unknown zone throws here, as the constructor does.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${withTime ? 'time' : 'day'}|${timeZone}`;
  let found = formatters.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
    });
    formatters.set(key, found);
  }
  return found;
}

/** The entry's first day, in its own zone for a timed entry. */
function firstDay(content: EntryContent): string | null {
  if (content.timing.kind === 'allDay') return content.timing.startDate;
  try {
    return formatter(content.timing.timeZone, false).format(new Date(content.timing.start));
  } catch {
    return content.timing.start.slice(0, 10);
  }
}

/** When an entry is, in words: local start and end in its zone, or its days. */
function whenOf(content: EntryContent): string {
  const t = content.timing;
  if (t.kind === 'allDay') {
    // `endDate` is the day after the last (exclusive).
    const last = new Date(Date.parse(`${t.endDate}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    return last === t.startDate ? `${t.startDate}, all day` : `${t.startDate} – ${last}, all day`;
  }
  try {
    const local = (iso: string) => formatter(t.timeZone, true).format(new Date(iso)).replace(',', '');
    return `${local(t.start)} – ${local(t.end).slice(11)} (${t.timeZone})`;
  } catch {
    return `${t.start} – ${t.end}`;
  }
}

/** Each synced field that differs between `before` and `after`, in words. */
export function describeChanges(before: EntryContent, after: EntryContent): string[] {
  const changes: string[] = [];
  if (before.title !== after.title) changes.push(`title: ${quoted(before.title)} → ${quoted(after.title)}`);
  if (whenOf(before) !== whenOf(after)) changes.push(`time: ${whenOf(before)} → ${whenOf(after)}`);
  if (before.location !== after.location) {
    changes.push(`location: ${quoted(before.location)} → ${quoted(after.location)}`);
  }
  if (before.notes !== after.notes) changes.push('notes changed');
  if (JSON.stringify(before.recurrence) !== JSON.stringify(after.recurrence)) {
    changes.push(
      before.recurrence === null
        ? 'now repeats'
        : after.recurrence === null
          ? 'no longer repeats'
          : 'repetition changed',
    );
  }
  if (before.isPrivate !== after.isPrivate) changes.push(after.isPrivate ? 'made private' : 'made public');
  return changes;
}

/** An entry in a few words: its title, first day and privacy (an audit line, a held deletion). */
export function about(content: EntryContent, changes: readonly string[] = []): AuditSummary {
  return { title: content.title, date: firstDay(content), isPrivate: content.isPrivate, changes };
}

/** The summary of an applied action; null for one that wrote nothing a person would call a change. */
export function auditSummary(action: Action): AuditSummary | null {
  switch (action.kind) {
    case 'update': {
      const written = [
        ...(action.severa.write === null ? [] : ['Severa']),
        ...(action.google.write === null ? [] : ['Google']),
      ];
      // A new version with the same content (an echo, a save that changed nothing synced): the link is brought up
      // to date, and no calendar was written.
      if (written.length === 0) return null;
      const before = action.link?.base ?? action.google.current;
      const fields = before === null ? [] : describeChanges(before, action.content);
      return about(action.content, [...fields, `written to ${written.join(' and ')}`]);
    }
    case 'create-google':
      return about(action.severa.content);
    case 'create-severa':
    case 'join-severa':
      return about(action.google.content);
    case 'delete-google':
      return action.link === null
        ? { title: '', date: null, isPrivate: false, changes: [] }
        : about(action.link.base);
    case 'delete-severa':
    case 'release':
    case 'unlink':
      return about(action.link.base);
  }
}

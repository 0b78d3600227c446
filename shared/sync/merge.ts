import {
  CONTENT_FIELDS,
  sameFieldValue,
  type ContentField,
  type EntryContent,
  type Recurrence,
  type RecurrenceOverride,
  canonicalInstant,
} from '../domain/index.js';
import type { ConflictPolicy } from '../domain/settings.js';

export type Side = 'google' | 'severa';

/** Why one field of a merged entry has the value it has: the audit trail of B6. */
export interface FieldDecision {
  readonly field: ContentField;
  readonly winner: Side;
  readonly reason:
    | 'only-google-changed'
    | 'only-severa-changed'
    | 'conflict-latest'
    | 'conflict-policy'
    | 'no-base'
    /** Privacy differed with no common history: the more private side wins (the sync never lowers privacy). */
    | 'more-private';
}

export interface MergeInput {
  /** The last agreed content, or null when two items are paired without a common history. */
  readonly base: EntryContent | null;
  readonly google: EntryContent;
  readonly severa: EntryContent;
  /** Google `updated` and Severa `lastUpdatedDateTime`: the "latest modification" of each side. */
  readonly googleModified: string;
  readonly severaModified: string;
  readonly policy: ConflictPolicy;
}

export interface MergeResult {
  readonly content: EntryContent;
  /** One entry per field whose value came from one side over a different value on the other. */
  readonly decisions: readonly FieldDecision[];
}

/**
 * Field-level three-way merge (B6). A field changed on one side only takes that side's value; a field changed on
 * both sides to the same value is no conflict; a field changed on both sides to different values (a true conflict)
 * follows the org policy, by default the side modified last. Without a base every differing field is a conflict.
 * A series' exception dates and modified occurrences merge item by item, so cancelling one occurrence in Google
 * and another in Severa keeps both cancellations. Privacy without a common history is never settled by the policy:
 * the private side wins (SPEC §11: the sync never makes an entry less private).
 */
export function mergeContent(input: MergeInput): MergeResult {
  const { base, google, severa } = input;
  const conflictWinner = resolveConflict(input);
  const decisions: FieldDecision[] = [];
  const merged: Record<ContentField, unknown> = { ...severa };

  for (const field of CONTENT_FIELDS) {
    if (sameFieldValue(field, google, severa)) continue;
    if (field === 'isPrivate' && base === null) {
      // Without a common history the private side wins. (With one, a boolean cannot change to two values.)
      merged.isPrivate = true;
      decisions.push({ field, winner: google.isPrivate ? 'google' : 'severa', reason: 'more-private' });
      continue;
    }
    if (base === null) {
      merged[field] = conflictWinner.side === 'google' ? google[field] : severa[field];
      decisions.push({ field, winner: conflictWinner.side, reason: 'no-base' });
      continue;
    }
    const googleChanged = !sameFieldValue(field, base, google);
    const severaChanged = !sameFieldValue(field, base, severa);
    if (googleChanged && !severaChanged) {
      merged[field] = google[field];
      decisions.push({ field, winner: 'google', reason: 'only-google-changed' });
    } else if (severaChanged && !googleChanged) {
      merged[field] = severa[field];
      decisions.push({ field, winner: 'severa', reason: 'only-severa-changed' });
    } else if (field === 'recurrence' && base.recurrence && google.recurrence && severa.recurrence) {
      merged[field] = mergeRecurrence(
        base.recurrence,
        google.recurrence,
        severa.recurrence,
        conflictWinner.side,
      );
      decisions.push({ field, winner: conflictWinner.side, reason: conflictWinner.reason });
    } else {
      merged[field] = conflictWinner.side === 'google' ? google[field] : severa[field];
      decisions.push({ field, winner: conflictWinner.side, reason: conflictWinner.reason });
    }
  }
  return { content: merged as unknown as EntryContent, decisions };
}

function resolveConflict(input: MergeInput): { side: Side; reason: 'conflict-latest' | 'conflict-policy' } {
  if (input.policy === 'google-wins') return { side: 'google', reason: 'conflict-policy' };
  if (input.policy === 'severa-wins') return { side: 'severa', reason: 'conflict-policy' };
  // Latest modification wins; on an exact tie Severa, the system of record for work planning, wins.
  const g = Date.parse(input.googleModified);
  const s = Date.parse(input.severaModified);
  return { side: g > s ? 'google' : 'severa', reason: 'conflict-latest' };
}

function key(value: string): string {
  return value.length === 10 ? value : canonicalInstant(value);
}

/** Three-way merge of two changed series: the rule by policy, exception dates as sets, overrides by occurrence. */
function mergeRecurrence(base: Recurrence, google: Recurrence, severa: Recurrence, winner: Side): Recurrence {
  const pattern = (winner === 'google' ? google : severa).pattern;

  const baseEx = new Set(base.exdates.map(key));
  const gEx = new Set(google.exdates.map(key));
  const sEx = new Set(severa.exdates.map(key));
  const exdates = new Set<string>();
  for (const d of new Set([...baseEx, ...gEx, ...sEx])) {
    const inG = gEx.has(d);
    const inS = sEx.has(d);
    const inBase = baseEx.has(d);
    // Added on either side stays added; removed on either side (restored occurrence) stays removed.
    if (inBase ? inG && inS : inG || inS) exdates.add(d);
  }

  const byKey = (list: readonly RecurrenceOverride[]) => new Map(list.map((o) => [key(o.originalStart), o]));
  const bo = byKey(base.overrides);
  const go = byKey(google.overrides);
  const so = byKey(severa.overrides);
  const overrides: RecurrenceOverride[] = [];
  for (const k of new Set([...bo.keys(), ...go.keys(), ...so.keys()])) {
    const b = bo.get(k);
    const g = go.get(k);
    const s = so.get(k);
    const gChanged = JSON.stringify(g) !== JSON.stringify(b);
    const sChanged = JSON.stringify(s) !== JSON.stringify(b);
    const pick = gChanged && !sChanged ? g : sChanged && !gChanged ? s : winner === 'google' ? g : s;
    if (pick && !exdates.has(k)) overrides.push(pick);
  }
  overrides.sort((a, b) => (key(a.originalStart) < key(b.originalStart) ? -1 : 1));
  return { pattern, exdates: [...exdates].sort(), overrides };
}

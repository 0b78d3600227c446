import {
  contentHash,
  type EntryContent,
  type GoogleRecord,
  type Link,
  type SeveraRecord,
} from '../../domain/index.js';
import type { SideState } from './actions.js';
import type { Sides } from './index-sides.js';

/** What one side of a linked pair did since the pair last synced (SPEC §6). */
export type SideChange<T> =
  | { readonly state: 'absent' }
  | { readonly state: 'deleted' }
  | { readonly state: 'same' | 'churn' | 'changed'; readonly record: T };

export function classify<T>(
  stored: SideState,
  record: T | undefined,
  deleted: boolean,
  version: (r: T) => string,
  content: (r: T) => EntryContent,
): SideChange<T> {
  if (deleted) return { state: 'deleted' };
  if (record === undefined) return { state: 'absent' };
  // SPEC §6: a new version with the same content is churn (our own write's echo, or an edit that changed nothing we
  // sync): the link just learns the new version. A content difference is a change even under the same version:
  // Severa's `lastUpdatedDateTime` has whole seconds, so a second write within one second keeps it.
  if (contentHash(content(record)) !== stored.hash) return { state: 'changed', record };
  return { state: version(record) === stored.version ? 'same' : 'churn', record };
}

/** What each side of a linked pair did since the pair last synced, as this run sees it. */
export function changesOf(
  sides: Sides,
  link: Link,
): { readonly g: SideChange<GoogleRecord>; readonly s: SideChange<SeveraRecord> } {
  const g = classify(
    link.google,
    sides.googleLive.get(link.googleId),
    sides.googleDeleted.has(link.googleId),
    (r) => r.etag,
    (r) => r.content,
  );
  const s = classify(
    link.severa,
    sides.severaLive.get(link.severaGuid),
    sides.severaDeleted.has(link.severaGuid),
    (r) => r.version,
    (r) => r.content,
  );
  return { g, s };
}

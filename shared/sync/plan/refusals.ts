/**
 * Entries a side refused for good (issue 9 #8): which entry an action writes on behalf of, and the plan without
 * the actions that would only be refused again.
 */
import { contentHash } from '../../domain/index.js';
import type { Action } from './actions.js';

/**
 * Which entry an action writes on behalf of, and what it writes (its refusal key and fingerprint), so that a
 * permanent refusal is remembered on that entry (issue 9 #8); null for actions a refusal does not concern.
 */
export function refusalOf(action: Action): {
  readonly key: string;
  readonly fingerprint: string;
  readonly title: string;
  readonly side: 'severa' | 'google';
} | null {
  switch (action.kind) {
    case 'create-severa':
    case 'join-severa':
      return {
        key: `google:${action.google.id}`,
        // A join is refused for one activity: the same event brought to Severa otherwise is another attempt.
        fingerprint:
          action.kind === 'join-severa'
            ? `${contentHash(action.google.content)}|join:${action.severaGuid}`
            : contentHash(action.google.content),
        title: action.google.content.title,
        side: 'severa',
      };
    case 'create-google':
      return {
        key: `severa:${action.severa.guid}`,
        fingerprint: contentHash(action.severa.content),
        title: action.severa.content.title,
        side: 'google',
      };
    case 'update':
      return {
        key: `pair:${action.severaGuid}`,
        fingerprint: `${action.google.hash}|${action.severa.hash}`,
        title: action.content.title,
        side: action.severa.write === null ? 'google' : 'severa',
      };
    default:
      return null;
  }
}

/** Whether this action would write exactly what its entry's side refused for good. */
export function isRefused(action: Action, refused: ReadonlyMap<string, string> | undefined): boolean {
  const r = refusalOf(action);
  return r !== null && refused?.get(r.key) === r.fingerprint;
}

/** Entries a side refused for good, unchanged since: not tried again (they stay noted on the status). */
export function dropRefused(
  actions: readonly Action[],
  refused: ReadonlyMap<string, string> | undefined,
): readonly Action[] {
  if (refused === undefined || refused.size === 0) return actions;
  return actions.flatMap((action): Action[] => {
    if (!isRefused(action, refused)) return [action];
    // A refused re-creation still ends the pair it would have replaced (its activity is gone), as the refusal did.
    if (action.kind === 'create-severa' && action.replaces !== null)
      return [{ kind: 'unlink', link: action.replaces, why: 'refused for good: the pair ends' }];
    return [];
  });
}

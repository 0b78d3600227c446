import type { ActivityType } from './entry.js';

/** How a true conflict on one field is settled (B6). */
export const CONFLICT_POLICIES = ['latest-wins', 'severa-wins', 'google-wins'] as const;
export type ConflictPolicy = (typeof CONFLICT_POLICIES)[number];

export function isConflictPolicy(value: unknown): value is ConflictPolicy {
  return typeof value === 'string' && (CONFLICT_POLICIES as readonly string[]).includes(value);
}

/** B3: a run that would delete more than this is held and reported instead of applied. */
export interface DeletionSafety {
  /** Held when more than this many deletions are planned in one run. */
  readonly maxCount: number;
  /** Held when more than this share (0..1) of the user's links would be deleted… */
  readonly maxShare: number;
  /** …and at least this many deletions are planned (so deleting 1 of 2 entries is not "50 %"). */
  readonly shareFloor: number;
}

/** The org's sync settings as the planner needs them. */
export interface SyncSettings {
  /** Severa → Google: only activities of these types are synced (S3). Google → Severa is never restricted (S4). */
  readonly syncedActivityTypeGuids: readonly string[];
  /** Every activity type of the org (for "Personal" and default-type choices). */
  readonly activityTypes: readonly ActivityType[];
  readonly conflictPolicy: ConflictPolicy;
  readonly deletionSafety: DeletionSafety;
  /** Entries that ended more than this many days ago are not synced, unless recurring with future occurrences (S6). */
  readonly pastDays: number;
  /** How far ahead Google series Severa cannot express are expanded into single activities (fallback, S9). */
  readonly futureDays: number;
}

export const DEFAULT_DELETION_SAFETY: DeletionSafety = { maxCount: 50, maxShare: 0.5, shareFloor: 5 };

export function defaultSettings(overrides: Partial<SyncSettings> = {}): SyncSettings {
  return {
    syncedActivityTypeGuids: [],
    activityTypes: [],
    conflictPolicy: 'latest-wins',
    deletionSafety: DEFAULT_DELETION_SAFETY,
    pastDays: 30,
    futureDays: 365,
    ...overrides,
  };
}

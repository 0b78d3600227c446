import type { ActivityType, SeveraRecord, SyncUser } from '../domain/index.js';
import type { SyncSettings } from './settings.js';

/** Why a Severa activity does not sync to a user's calendar (S3, S5). */
export type Exclusion = 'not-involved' | 'project-task' | 'type-not-synced';

/**
 * Whether a Severa activity belongs in this user's Google calendar, and if not, why.
 * - S5: the user must be its owner or one of its participants.
 * - S3: project tasks never sync; only the activity types the admin selected go to Google.
 */
export function severaExclusion(
  record: SeveraRecord,
  userGuid: string,
  settings: SyncSettings,
): Exclusion | null {
  if (record.ownerGuid !== userGuid && !record.participantGuids.includes(userGuid)) return 'not-involved';
  if (record.isProjectTask || record.activityType.category === 'Task') return 'project-task';
  if (!settings.syncedActivityTypeGuids.includes(record.activityType.guid)) return 'type-not-synced';
  return null;
}

function activeType(types: readonly ActivityType[], guid: string | null): ActivityType | undefined {
  if (guid === null) return undefined;
  return types.find((t) => t.guid === guid && t.isActive);
}

/** The type named "Personal" (S4), when the org has an active one. */
export function personalActivityType(settings: SyncSettings): ActivityType | undefined {
  return settings.activityTypes.find(
    (t) => t.isActive && t.name.trim().toLocaleLowerCase('en') === 'personal',
  );
}

/** The user's default activity type, else the org's default (S4). */
export function defaultActivityType(user: SyncUser, settings: SyncSettings): ActivityType | undefined {
  return (
    activeType(settings.activityTypes, user.defaultActivityTypeGuid) ??
    settings.activityTypes.find((t) => t.isActive && t.isDefault)
  );
}

/**
 * The activity type for an entry that comes from Google (S4): private and confidential events get "Personal" when
 * such a type exists; every other event (and private ones without a "Personal" type) gets the default type.
 */
export function activityTypeForGoogleEntry(
  isPrivate: boolean,
  user: SyncUser,
  settings: SyncSettings,
): ActivityType | undefined {
  if (isPrivate) return personalActivityType(settings) ?? defaultActivityType(user, settings);
  return defaultActivityType(user, settings);
}

/** Plain words for the status page when no type can be chosen. */
export function missingTypeMessage(user: SyncUser): string {
  return (
    `Events from ${user.email}'s Google calendar cannot be copied to Severa because no default activity type is ` +
    'set. Set a default activity type for the user, or mark one activity type as the default in Severa settings.'
  );
}

import type { ActivityCategory, ActivityType, Link, SeveraRecord, SyncUser } from '../domain/index.js';
import type { SyncSettings } from '../domain/settings.js';

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
  link?: Pick<Link, 'severaGuid'>,
): Exclusion | null {
  if (record.ownerGuid !== userGuid && !record.participantGuids.includes(userGuid)) return 'not-involved';
  if (record.isProjectTask || record.activityType.category === 'Task') return 'project-task';
  // A linked entry that became Personal stays: privacy is a change of type in Severa (S4), made by the sync when
  // someone made a copy private, and a person's entry must not vanish for being made private (SPEC §11). The
  // synced-types filter decides which activities come to Google, not which private ones leave it.
  if (link !== undefined && record.activityType.category === 'Personal') return null;
  if (!settings.syncedActivityTypeGuids.includes(record.activityType.guid)) return 'type-not-synced';
  return null;
}

function activeType(types: readonly ActivityType[], guid: string | null): ActivityType | undefined {
  if (guid === null) return undefined;
  return types.find((t) => t.guid === guid && t.isActive);
}

/** Active types of a category, the org's default one first, then by name (one deterministic choice). */
function typesOfCategory(settings: SyncSettings, category: ActivityType['category']): ActivityType[] {
  return settings.activityTypes
    .filter((t) => t.isActive && t.category === category)
    .sort(
      (a, b) =>
        Number(b.isDefault) - Number(a.isDefault) ||
        Number(isNamedPersonal(b)) - Number(isNamedPersonal(a)) ||
        a.name.localeCompare(b.name, 'en') ||
        (a.guid < b.guid ? -1 : 1),
    );
}

function isNamedPersonal(type: ActivityType): boolean {
  return type.name.trim().toLocaleLowerCase('en') === 'personal';
}

/**
 * The type private entries get (S4): an active type of category `Personal`, whatever the organisation calls it
 * ("Personal", "Henkilökohtainen", …), because privacy is the category (severa-api.md §9; the mappers read
 * `isPrivate` from it). With several, the org's default among them, else the one named "Personal", else the first
 * by name. Undefined when the organisation has none: Severa then cannot hold privacy, and the sync keeps it in
 * Google (severa-view.ts).
 */
export function personalActivityType(settings: SyncSettings): ActivityType | undefined {
  return typesOfCategory(settings, 'Personal')[0];
}

/** The type out-of-office events get: an active type of category `Absences`, chosen like the Personal type. */
export function absenceActivityType(settings: SyncSettings): ActivityType | undefined {
  return typesOfCategory(settings, 'Absences')[0];
}

/** The user's default activity type, else the org's default (S4). */
export function defaultActivityType(user: SyncUser, settings: SyncSettings): ActivityType | undefined {
  return (
    activeType(settings.activityTypes, user.defaultActivityTypeGuid) ??
    settings.activityTypes.find((t) => t.isActive && t.isDefault)
  );
}

/**
 * What a Google event is to the sync, by its immutable `eventType` (google-calendar.md §3):
 * - `entry`: normal events and focus time (a block a person planned, like any meeting);
 * - `absence`: out of office, which becomes an activity of the Absences category when the org has such a type;
 * - `left-out`: working location (where someone works is not a calendar entry), birthdays (contacts' dates) and
 *   events from Gmail (read-only copies of mail), and any type Google adds later. Shown on the preview, never synced.
 */
export type GoogleEventKind = 'entry' | 'absence' | 'left-out';

export function googleEventKind(eventType: string): GoogleEventKind {
  if (eventType === 'default' || eventType === 'focusTime') return 'entry';
  if (eventType === 'outOfOffice') return 'absence';
  return 'left-out';
}

/**
 * The activity type for an entry that comes from Google (S4): out of office gets the Absences type when one exists;
 * private and confidential events get the Personal type when one exists; every other event (and those without such
 * a type) gets the default type.
 */
export function activityTypeForGoogleEntry(
  isPrivate: boolean,
  user: SyncUser,
  settings: SyncSettings,
  eventType = 'default',
): ActivityType | undefined {
  const special =
    googleEventKind(eventType) === 'absence'
      ? absenceActivityType(settings)
      : isPrivate
        ? personalActivityType(settings)
        : undefined;
  return special ?? defaultActivityType(user, settings);
}

/** The category of a type guid, when the org knows the type. */
export function categoryOf(settings: SyncSettings, guid: string | undefined): ActivityCategory | undefined {
  return guid === undefined ? undefined : settings.activityTypes.find((t) => t.guid === guid)?.category;
}

/** The type change privacy asks for (S4): the new type, and what the link remembers of the type it replaced. */
export interface PrivacyTypeChange {
  readonly activityTypeGuid: string;
  readonly typeBeforePrivate: string | undefined;
}

/**
 * The activity type an entry must have for the privacy it now has, or null to keep the type:
 * - going private: the Personal type, remembering the type it replaces, for a calendar entry or a sales event; not
 *   when the organisation has no Personal type, for an absence (an out-of-office keeps its Absences type), or for a
 *   project task (never touched, S3): Google then holds the privacy;
 * - going public from Personal: the type the sync replaced (item 7 of issue 9), else the default type.
 */
export function typeForPrivacy(
  isPrivate: boolean,
  current: Pick<ActivityType, 'guid' | 'category'> | undefined,
  typeBeforePrivate: string | undefined,
  user: SyncUser,
  settings: SyncSettings,
): PrivacyTypeChange | null {
  if (current === undefined) return null;
  if (isPrivate) {
    if (current.category !== 'CalendarEntry' && current.category !== 'SalesEvent') return null;
    const personal = personalActivityType(settings);
    return personal === undefined
      ? null
      : { activityTypeGuid: personal.guid, typeBeforePrivate: current.guid };
  }
  if (current.category !== 'Personal') return null;
  const restored =
    activeType(settings.activityTypes, typeBeforePrivate ?? null) ?? defaultActivityType(user, settings);
  return restored === undefined || restored.guid === current.guid
    ? null
    : { activityTypeGuid: restored.guid, typeBeforePrivate: undefined };
}

/** Plain words for the status page when no type can be chosen. */
export function missingTypeMessage(user: SyncUser): string {
  return (
    `Events from ${user.email}'s Google calendar cannot be copied to Severa because no default activity type is ` +
    'set. Set a default activity type for the user, or mark one activity type as the default in Severa settings.'
  );
}

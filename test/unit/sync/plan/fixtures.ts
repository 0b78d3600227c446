/**
 * Builders shared by the planner's table tests: one user, one org's types, an activity and its Google copy, the
 * link between them as last synced, and the input that plans them. Each side of a pair can be put in any state of
 * SPEC §6 (`absent`, `same`, `churn`, `changed`, `deleted`).
 */
import {
  contentHash,
  googleEventIdFor,
  sideVersionOf,
  type EntryContent,
  type GoogleChange,
  type GoogleRecord,
  type Link,
  type SeveraChange,
  type SeveraRecord,
  type SyncUser,
} from '../../../../shared/domain/index.js';
import type { Action, Plan, PlanInput } from '../../../../shared/sync/plan/index.js';
import { defaultSettings, type SyncSettings } from '../../../../shared/domain/settings.js';
import { TYPES, USERS } from '../../../support/world.js';

export const NOW = '2026-03-02T00:00:00Z';

export const AINO: SyncUser = USERS.aino;
export const BEN = 'user-ben';

export { TYPES };

export const SETTINGS: SyncSettings = defaultSettings({
  syncedActivityTypeGuids: [TYPES.meeting.guid, TYPES.personal.guid],
  activityTypes: Object.values(TYPES),
});

/** A one-hour entry `day` days after NOW at 09:00 UTC (negative: in the past). */
export function entry(title = 'Workshop', day = 2): EntryContent {
  const start = Date.parse(NOW) + day * 86_400_000 + 9 * 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  return {
    title,
    notes: '',
    location: '',
    timing: { kind: 'timed', start: iso(start), end: iso(start + 3_600_000), timeZone: 'Europe/Helsinki' },
    recurrence: null,
    isPrivate: false,
  };
}

export function activity(over: Partial<SeveraRecord> = {}): SeveraRecord {
  return {
    guid: 's1',
    version: '2026-03-01T10:00:00Z',
    content: entry(),
    activityType: { guid: TYPES.meeting.guid, name: TYPES.meeting.name, category: TYPES.meeting.category },
    ownerGuid: AINO.severaUserGuid,
    participantGuids: [],
    isProjectTask: false,
    createdAt: null,
    createdBy: null,
    ...over,
  };
}

/** An event; by default our copy of activity `s1`. */
export function event(over: Partial<GoogleRecord> = {}): GoogleRecord {
  return {
    id: googleEventIdFor('s1'),
    etag: '"e1"',
    updated: '2026-03-01T10:00:00Z',
    iCalUID: 'ical-s1',
    content: entry(),
    severaGuid: 's1',
    eventType: 'default',
    organizerOfMeeting: false,
    ...over,
  };
}

/** The link of a pair as last synced: both sides as given, agreed on the activity's content. */
export function linkOf(s: SeveraRecord, g: GoogleRecord, over: Partial<Link> = {}): Link {
  return {
    user: AINO.severaUserGuid,
    severaGuid: s.guid,
    googleId: g.id,
    iCalUID: g.iCalUID,
    origin: 'severa',
    severa: sideVersionOf(s),
    google: { version: g.etag, hash: contentHash(g.content) },
    base: s.content,
    syncedAt: '2026-03-01T10:00:00Z',
    activityType: s.activityType.guid,
    ...over,
  };
}

/** What a side did since the pair last synced (SPEC §6). */
export const SIDE_STATES = ['absent', 'same', 'churn', 'changed', 'deleted'] as const;
export type SideState = (typeof SIDE_STATES)[number];

/** The Google side of a pair in a state: Google's change (if any) moves the location. */
export function googleIn(state: SideState, g: GoogleRecord): GoogleChange[] {
  switch (state) {
    case 'absent':
      return [];
    case 'deleted':
      return [{ kind: 'deleted', id: g.id }];
    case 'same':
      return [{ kind: 'upsert', record: g }];
    case 'churn':
      return [{ kind: 'upsert', record: { ...g, etag: '"e2"', updated: '2026-03-01T12:00:00Z' } }];
    case 'changed':
      return [
        {
          kind: 'upsert',
          record: {
            ...g,
            etag: '"e2"',
            updated: '2026-03-01T12:00:00Z',
            content: { ...g.content, location: 'Room G' },
          },
        },
      ];
  }
}

/** The Severa side of a pair in a state: Severa's change (if any) writes notes. */
export function severaIn(state: SideState, s: SeveraRecord): SeveraChange[] {
  switch (state) {
    case 'absent':
      return [];
    case 'deleted':
      return [{ kind: 'deleted', guid: s.guid }];
    case 'same':
      return [{ kind: 'upsert', record: s }];
    case 'churn':
      return [{ kind: 'upsert', record: { ...s, version: '2026-03-01T12:00:00Z' } }];
    case 'changed':
      return [
        {
          kind: 'upsert',
          record: { ...s, version: '2026-03-01T12:00:00Z', content: { ...s.content, notes: 'Agenda' } },
        },
      ];
  }
}

export function planInput(over: Partial<PlanInput> = {}): PlanInput {
  return {
    user: AINO,
    links: [],
    google: { complete: false, changes: [] },
    severa: { changes: [] },
    peerLinks: [],
    settings: SETTINGS,
    now: NOW,
    confirmDeletions: false,
    ...over,
  };
}

/** One action in words: its kind, what it writes or how, and why. */
export function described(action: Action): string {
  switch (action.kind) {
    case 'update': {
      const writes = [
        ...(action.severa.write === null ? [] : ['Severa']),
        ...(action.google.write === null ? [] : ['Google']),
      ];
      const pair = action.link === null ? ' new pair' : '';
      return `update${pair} (${writes.length === 0 ? 'writes nothing' : `writes ${writes.join(' and ')}`}): ${action.why}`;
    }
    case 'delete-severa':
      return `delete-severa ${action.mode}${action.newOwnerGuid === undefined ? '' : ` to ${action.newOwnerGuid}`}: ${action.why}`;
    case 'create-google':
      return `create-google${action.adoptICalUID === null ? '' : ` adopting ${action.adoptICalUID}`}: ${action.why}`;
    case 'create-severa':
      return `create-severa ${action.activityTypeGuid}: ${action.why}`;
    case 'join-severa':
      return `join-severa ${action.severaGuid}: ${action.why}`;
    default:
      return `${action.kind}: ${action.why}`;
  }
}

/** A plan in words: its actions, then what it reads first, then its problems. */
export function outcome(plan: Plan): string[] {
  return [
    ...plan.actions.map(described),
    ...plan.needsRead.severa.map((id) => `read Severa ${id}`),
    ...plan.needsRead.google.map((id) => `read Google ${id}`),
    ...plan.needsRead.peers.map((id) => `read the attendees of ${id}`),
    ...plan.problems.map(() => 'problem: no activity type'),
  ];
}

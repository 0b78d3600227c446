/**
 * A whole organisation in memory: Severa, each user's Google calendar, the link store and a manual clock, wired to
 * the real runner and org poll. Unit, scenario and property tests drive it the way people and Cloud Scheduler would.
 */
import { MemoryCalendar } from '../../shared/adapters/memory/memory.calendar.js';
import { MemorySevera } from '../../shared/adapters/memory/memory.severa.js';
import { MemorySyncStore } from '../../shared/adapters/memory/memory.sync-store.js';
import { ServerClock } from '../../shared/adapters/memory/server-clock.js';
import type { ActivityType, EntryContent, Link, SyncUser } from '../../shared/domain/index.js';
import type { Clock } from '../../shared/ports/index.js';
import { pollSeveraChanges } from '../../shared/sync/org-poll.js';
import { severaExclusion } from '../../shared/sync/rules.js';
import {
  syncUser,
  type AppliedAction,
  type RunnerDeps,
  type SyncRunOptions,
  type SyncRunResult,
} from '../../shared/sync/runner/index.js';
import { defaultSettings, type SyncSettings } from '../../shared/domain/settings.js';

export class ManualClock implements Clock {
  #ms: number;
  constructor(start: string) {
    this.#ms = Date.parse(start);
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

export const TYPES = {
  meeting: {
    guid: 'type-meeting',
    name: 'Meeting',
    category: 'CalendarEntry',
    isActive: true,
    isDefault: true,
  },
  personal: {
    guid: 'type-personal',
    name: 'Personal',
    category: 'Personal',
    isActive: true,
    isDefault: false,
  },
  sales: {
    guid: 'type-sales',
    name: 'Customer visit',
    category: 'SalesEvent',
    isActive: true,
    isDefault: false,
  },
  absence: { guid: 'type-absence', name: 'Absence', category: 'Absences', isActive: true, isDefault: false },
  task: { guid: 'type-task', name: 'Project task', category: 'Task', isActive: true, isDefault: false },
} as const satisfies Record<string, ActivityType>;

export const ALL_TYPES: readonly ActivityType[] = Object.values(TYPES);

/** Three people: Aino (Helsinki) and Ben (New York) sync; Cecilia (Helsinki) does not. */
export const USERS = {
  aino: {
    severaUserGuid: 'user-aino',
    email: 'aino@example.com',
    timeZone: 'Europe/Helsinki',
    defaultActivityTypeGuid: null,
  },
  ben: {
    severaUserGuid: 'user-ben',
    email: 'ben@example.com',
    timeZone: 'America/New_York',
    defaultActivityTypeGuid: 'type-meeting',
  },
  cecilia: {
    severaUserGuid: 'user-cecilia',
    email: 'cecilia@example.com',
    timeZone: 'Europe/Helsinki',
    defaultActivityTypeGuid: null,
  },
} as const satisfies Record<string, SyncUser>;

export const SYNCING: readonly SyncUser[] = [USERS.aino, USERS.ben];

export interface WorldOptions {
  readonly start?: string;
  readonly settings?: Partial<SyncSettings>;
  /** The organisation's activity types (default {@link ALL_TYPES}), in Severa and in the settings. */
  readonly types?: readonly ActivityType[];
}

export class World {
  readonly clock: ManualClock;
  readonly severa: MemorySevera;
  readonly calendar: MemoryCalendar;
  readonly store = new MemorySyncStore();
  readonly settings: SyncSettings;
  /** Throws from here simulate a worker dying after a given step. */
  onStep: ((step: string) => void) | undefined;
  /** Every link the sync tried to delete (recorded before the attempt, so a lost response still counts). */
  readonly unlinked: Link[] = [];
  /**
   * Whether a filter released this person's event from its pair (S3: the activity became a project task, or the
   * user was taken off it): its link is dormant, or it was removed and its activity is excluded or gone since.
   */
  released(user: SyncUser, googleId: string): boolean {
    const mine = this.store.allLinks().find((l) => l.user === user.severaUserGuid && l.googleId === googleId);
    if (mine?.dormant === true) return true;
    const activities = new Map(this.severa.all().map((s) => [s.guid, s]));
    return this.unlinked.some((l) => {
      if (l.user !== user.severaUserGuid || l.googleId !== googleId) return false;
      const activity = activities.get(l.severaGuid);
      // Released before the activity was deleted, the event stays the person's own.
      return activity === undefined || severaExclusion(activity, user.severaUserGuid, this.settings) !== null;
    });
  }

  /** Every applied action, as the audit trail would record it. */
  readonly applied: AppliedAction[] = [];
  #guid = 0;
  #id = 0;

  constructor(options: WorldOptions = {}) {
    this.clock = new ManualClock(options.start ?? '2026-03-02T08:00:00Z');
    const serverTime = new ServerClock(this.clock);
    const types = options.types ?? ALL_TYPES;
    this.severa = new MemorySevera({
      clock: serverTime,
      activityTypes: types,
      userTimeZone: (guid) => Object.values(USERS).find((u) => u.severaUserGuid === guid)?.timeZone,
      newGuid: () => `00000000-0000-4000-8000-${(++this.#guid).toString(16).padStart(12, '0')}`,
    });
    this.calendar = new MemoryCalendar({
      clock: serverTime,
      newId: () => `g${(++this.#id).toString(32).padStart(8, '0')}`,
    });
    const deleteLink = this.store.deleteLink.bind(this.store);
    this.store.deleteLink = (link: Link) => {
      this.unlinked.push(link);
      return deleteLink(link);
    };
    this.settings = defaultSettings({
      activityTypes: types,
      syncedActivityTypeGuids: [TYPES.meeting.guid, TYPES.personal.guid, TYPES.sales.guid].filter((guid) =>
        types.some((t) => t.guid === guid),
      ),
      ...options.settings,
    });
  }

  deps(): RunnerDeps {
    const onStep = this.onStep;
    return {
      severa: this.severa,
      calendar: this.calendar,
      store: this.store,
      clock: this.clock,
      settings: this.settings,
      onApplied: (entry) => {
        this.applied.push(entry);
      },
      ...(onStep ? { onStep } : {}),
    };
  }

  async poll(): Promise<readonly string[]> {
    const result = await pollSeveraChanges(
      { severa: this.severa, store: this.store, clock: this.clock },
      {
        syncingAmong: (guids) =>
          Promise.resolve(new Set(guids.filter((g) => SYNCING.some((u) => u.severaUserGuid === g)))),
        overlapMs: 120_000,
        initialLookbackMs: 60 * 86_400_000,
      },
    );
    return result.users;
  }

  sync(user: SyncUser, options: SyncRunOptions = {}): Promise<SyncRunResult> {
    return syncUser(this.deps(), user, options);
  }

  /** One scheduler cycle: the org poll, then every syncing user. */
  async cycle(options: SyncRunOptions = {}): Promise<SyncRunResult[]> {
    await this.poll();
    const results: SyncRunResult[] = [];
    for (const user of SYNCING) results.push(await this.sync(user, options));
    return results;
  }

  writes(): number {
    return this.severa.calls.writes + this.calendar.calls.writes;
  }

  clearFaults(): void {
    this.severa.faults.clear();
    this.calendar.faults.clear();
    this.store.faults.clear();
  }
}

/** A timed single entry `hours` long, starting `dayOffset` days after 2026-03-02 at `hour`:00 UTC. */
export function timed(
  title: string,
  dayOffset: number,
  hour: number,
  hours = 1,
  zone = 'Europe/Helsinki',
): EntryContent {
  const start = Date.parse('2026-03-02T00:00:00Z') + dayOffset * 86_400_000 + hour * 3_600_000;
  return {
    title,
    notes: '',
    location: '',
    timing: {
      kind: 'timed',
      start: new Date(start).toISOString().replace('.000Z', 'Z'),
      end: new Date(start + hours * 3_600_000).toISOString().replace('.000Z', 'Z'),
      timeZone: zone,
    },
    recurrence: null,
    isPrivate: false,
  };
}

export function allDay(title: string, startDate: string, endDate: string): EntryContent {
  return {
    title,
    notes: '',
    location: '',
    timing: { kind: 'allDay', startDate, endDate },
    recurrence: null,
    isPrivate: false,
  };
}

import { randomUUID } from 'node:crypto';

import {
  NotFoundError,
  PermanentError,
  PreconditionFailedError,
  deleteExpectationOf,
  sideVersionOf,
  type ActivityType,
  type EntryContent,
  type SeveraRecord,
  type SideVersion,
} from '../../domain/index.js';
import type {
  Clock,
  SeveraCreate,
  SeveraDeleteExpected,
  SeveraPort,
  SeveraUpdate,
  SeveraWindow,
} from '../../ports/index.js';
import { hasOccurrenceEndingAfter, seriesInZone, zonesKeepDates } from '../../sync/recurrence/index.js';
import { fitForSevera, readFromSevera } from '../../sync/severa-fields.js';
import { timingEndMs, timingStartMs } from '../../domain/index.js';
import { FaultQueue } from './faults.js';

interface StoredActivity {
  readonly guid: string;
  version: string;
  content: EntryContent;
  activityType: ActivityType;
  ownerGuid: string;
  participantGuids: string[];
  isProjectTask: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface MemorySeveraOptions {
  readonly clock: Clock;
  readonly activityTypes: readonly ActivityType[];
  /** Deterministic guids for tests; defaults to random UUIDs. */
  readonly newGuid?: () => string;
  /** The user the API credential acts as (`createdBy` of activities created through the port). */
  readonly apiUserGuid?: string;
  /**
   * A user's Severa timezone (`UserOutputModel.timezone`). Severa stores offsets, not zones: an activity is read in
   * its owner's zone, as the production mapper reads it (severa-api.md §5). Unknown users: as written.
   */
  readonly userTimeZone?: (userGuid: string) => string | undefined;
}

/**
 * Severa in memory, faithful in what the sync relies on (reference/severa-api.md): `lastUpdatedDateTime` moves on
 * every write to the server's current time at **whole seconds** (the API's published examples carry no fraction,
 * §5/§12, and its precision is unconfirmed, §14.4: the coarser reading is the safe one), so two writes within one
 * second leave the same version; `changedSince` is "greater or equal", deleted
 * activities vanish without a trace (no deleted feed), there is no ETag (the port's read-check-write is done here
 * the way the real adapter does it), and write calls can be made to fail before or after their effect.
 */
export class MemorySevera implements SeveraPort {
  readonly faults = new FaultQueue();
  readonly calls = { reads: 0, writes: 0 };
  readonly #activities = new Map<string, StoredActivity>();
  readonly #clock: Clock;
  readonly #types: readonly ActivityType[];
  readonly #newGuid: () => string;
  readonly #apiUser: string;
  readonly #userZone: (userGuid: string) => string | undefined;

  constructor(options: MemorySeveraOptions) {
    this.#clock = options.clock;
    this.#types = options.activityTypes;
    this.#newGuid = options.newGuid ?? randomUUID;
    this.#apiUser = options.apiUserGuid ?? 'user-api-integration';
    this.#userZone = options.userTimeZone ?? (() => undefined);
  }

  async apiUserGuid(): Promise<string | null> {
    await Promise.resolve();
    return this.#apiUser;
  }

  // ---- SeveraPort

  async listChangedSince(since: string): Promise<readonly SeveraRecord[]> {
    await Promise.resolve();
    this.calls.reads += 1;
    const sinceMs = Date.parse(since);
    return [...this.#activities.values()]
      .filter((a) => Date.parse(a.version) >= sinceMs)
      .map((a) => this.#toRecord(a));
  }

  async listForUser(userGuid: string, window: SeveraWindow): Promise<readonly SeveraRecord[]> {
    await Promise.resolve();
    this.calls.reads += 1;
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    return [...this.#activities.values()]
      .filter((a) => a.ownerGuid === userGuid || a.participantGuids.includes(userGuid))
      .filter((a) => {
        if (timingStartMs(a.content.timing) > to) return false;
        return a.content.recurrence === null
          ? timingEndMs(a.content.timing) > from
          : hasOccurrenceEndingAfter(a.content, from);
      })
      .map((a) => this.#toRecord(a));
  }

  async get(guid: string): Promise<SeveraRecord | null> {
    await Promise.resolve();
    this.calls.reads += 1;
    const a = this.#activities.get(guid);
    return a ? this.#toRecord(a) : null;
  }

  create(input: SeveraCreate): Promise<SeveraRecord> {
    return this.faults.run('severa.create', () => {
      this.calls.writes += 1;
      // The adapter's side of the port: fitted to Severa's limits on the way in, read back whole (severa-fields.ts).
      const content = fitForSevera(input.content);
      validate(content);
      return this.#toRecord(
        this.#insert(content, this.#type(input.activityTypeGuid), input.ownerGuid, [], this.#apiUser),
      );
    });
  }

  update(guid: string, expected: SideVersion, input: SeveraUpdate): Promise<SeveraRecord> {
    return this.faults.run('severa.update', () => {
      this.calls.writes += 1;
      const a = this.#checked(guid, expected);
      const content = fitForSevera(input.content);
      validate(content);
      a.content = content;
      if (input.activityTypeGuid !== undefined) a.activityType = this.#type(input.activityTypeGuid);
      this.#bump(a);
      return this.#toRecord(a);
    });
  }

  delete(guid: string, expected: SeveraDeleteExpected): Promise<void> {
    return this.faults.run('severa.delete', () => {
      this.calls.writes += 1;
      if (!this.#activities.has(guid)) return; // 404: already deleted
      const a = this.#checked(guid, expected);
      const now = deleteExpectationOf(this.#toRecord(a));
      if (
        now.ownerGuid !== expected.ownerGuid ||
        now.participantGuids.join() !== [...expected.participantGuids].sort().join()
      )
        throw new PreconditionFailedError(`activity ${guid}: its people changed meanwhile`);
      this.#activities.delete(guid);
    });
  }

  addParticipant(guid: string, userGuid: string): Promise<SeveraRecord> {
    return this.faults.run('severa.addParticipant', () => {
      this.calls.writes += 1;
      const a = this.#activities.get(guid);
      if (!a) throw new NotFoundError(`activity ${guid} not found`);
      if (a.ownerGuid !== userGuid && !a.participantGuids.includes(userGuid)) {
        a.participantGuids = [...a.participantGuids, userGuid].sort();
        this.#bump(a);
      }
      return this.#toRecord(a);
    });
  }

  removeParticipant(guid: string, userGuid: string, newOwnerGuid?: string): Promise<SeveraRecord | null> {
    return this.faults.run('severa.removeParticipant', () => {
      this.calls.writes += 1;
      const a = this.#activities.get(guid);
      if (!a) return null;
      if (a.ownerGuid === userGuid && newOwnerGuid !== undefined && newOwnerGuid !== userGuid) {
        // The hand-over was planned while the new owner took part (B5): someone who left since cannot take it.
        if (!a.participantGuids.includes(newOwnerGuid))
          throw new PreconditionFailedError(`activity ${guid}: ${newOwnerGuid} no longer takes part`);
        a.ownerGuid = newOwnerGuid;
        a.participantGuids = a.participantGuids.filter((p) => p !== newOwnerGuid && p !== userGuid);
        this.#bump(a);
      } else if (a.participantGuids.includes(userGuid)) {
        a.participantGuids = a.participantGuids.filter((p) => p !== userGuid);
        this.#bump(a);
      }
      return this.#toRecord(a);
    });
  }

  // ---- What people do in Severa's UI (tests, demo)

  humanCreate(input: {
    readonly ownerGuid: string;
    readonly content: EntryContent;
    readonly activityTypeGuid: string;
    readonly participantGuids?: readonly string[];
    readonly isProjectTask?: boolean;
  }): SeveraRecord {
    const a = this.#insert(
      input.content,
      this.#type(input.activityTypeGuid),
      input.ownerGuid,
      input.participantGuids ?? [],
      input.ownerGuid,
    );
    a.isProjectTask = input.isProjectTask ?? false;
    return this.#toRecord(a);
  }

  humanUpdate(
    guid: string,
    change: {
      readonly content?: Partial<EntryContent>;
      readonly activityTypeGuid?: string;
      readonly participantGuids?: readonly string[];
      readonly isProjectTask?: boolean;
    },
  ): SeveraRecord {
    const a = this.#activities.get(guid);
    if (!a) throw new NotFoundError(`activity ${guid} not found`);
    if (change.content) a.content = { ...a.content, ...change.content };
    if (change.activityTypeGuid !== undefined) a.activityType = this.#type(change.activityTypeGuid);
    if (change.participantGuids)
      a.participantGuids = [...new Set(change.participantGuids)].filter((p) => p !== a.ownerGuid).sort();
    if (change.isProjectTask !== undefined) a.isProjectTask = change.isProjectTask;
    this.#bump(a);
    return this.#toRecord(a);
  }

  /** A save that changes nothing the sync cares about: only the version moves. */
  humanTouch(guid: string): void {
    const a = this.#activities.get(guid);
    if (a) this.#bump(a);
  }

  humanDelete(guid: string): void {
    this.#activities.delete(guid);
  }

  /** Every activity, as the tests' oracle sees them. */
  all(): SeveraRecord[] {
    return [...this.#activities.values()].map((a) => this.#toRecord(a));
  }

  // ---- internals

  #toRecord(a: StoredActivity): SeveraRecord {
    return toRecord(a, this.#userZone(a.ownerGuid));
  }

  #type(guid: string): ActivityType {
    const t = this.#types.find((x) => x.guid === guid);
    if (!t) throw new NotFoundError(`activity type ${guid} not found`);
    return t;
  }

  #checked(guid: string, expected: SideVersion): StoredActivity {
    const a = this.#activities.get(guid);
    if (!a) throw new NotFoundError(`activity ${guid} not found`);
    // Severa has no ETag: the adapter re-reads the activity right before writing (severa-api.md §15) and compares
    // its timestamp and its content (two writes in one second share the timestamp).
    const now = sideVersionOf(this.#toRecord(a));
    if (now.version !== expected.version || now.hash !== expected.hash)
      throw new PreconditionFailedError(`activity ${guid} changed meanwhile`);
    return a;
  }

  #insert(
    content: EntryContent,
    type: ActivityType,
    ownerGuid: string,
    participants: readonly string[],
    createdBy: string,
  ): StoredActivity {
    const a: StoredActivity = {
      guid: this.#newGuid(),
      version: '',
      content,
      activityType: type,
      ownerGuid,
      participantGuids: [...new Set(participants)].filter((p) => p !== ownerGuid).sort(),
      isProjectTask: false,
      createdAt: new Date(this.#clock.now().getTime()).toISOString(),
      createdBy,
    };
    this.#bump(a);
    this.#activities.set(a.guid, a);
    return a;
  }

  #bump(a: StoredActivity): void {
    const ms = this.#clock.now().getTime();
    a.version = new Date(Math.floor(ms / 1000) * 1000).toISOString();
  }
}

/** `ActivityModel.location` has `maxLength: 1000` (contract): Severa answers 400 to a longer one. */
const LOCATION_MAX = 1000;

function validate(content: EntryContent): void {
  const locations = [content.location, ...(content.recurrence?.overrides.map((o) => o.location) ?? [])];
  if (locations.some((l) => l.length > LOCATION_MAX)) {
    throw new PermanentError(
      'validation',
      `This entry cannot be written to Severa: location is longer than ${LOCATION_MAX} characters.`,
    );
  }
}

function toRecord(a: StoredActivity, ownerZone: string | undefined): SeveraRecord {
  // Read whole (a location too long for Severa was kept in the notes, severa-fields.ts) and in the owner's zone, as
  // Severa (which holds offsets only) and the production mapper have it.
  const whole = readFromSevera(a.content);
  const content =
    ownerZone === undefined || (whole.recurrence !== null && !zonesKeepDates(whole, ownerZone))
      ? whole
      : seriesInZone(whole, ownerZone);
  return {
    guid: a.guid,
    version: a.version,
    content: { ...content, isPrivate: a.activityType.category === 'Personal' },
    activityType: { guid: a.activityType.guid, name: a.activityType.name, category: a.activityType.category },
    ownerGuid: a.ownerGuid,
    participantGuids: [...a.participantGuids],
    isProjectTask: a.isProjectTask,
    createdAt: a.createdAt,
    createdBy: a.createdBy,
    ...(ownerZone === undefined ? {} : { ownerTimeZone: ownerZone }),
  };
}

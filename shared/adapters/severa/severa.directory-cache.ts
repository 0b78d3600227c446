/**
 * Severa's user directory (with each user's time zone) and activity types, read through {@link SeveraHttpClient}
 * and reused for a TTL: the adapter needs a user's zone to map every activity they own, and the types to map an
 * activity whose listing leaves its category out (§9, §10). Users are also looked up here by e-mail (setup, opt-in).
 */
import { Info } from 'luxon';

import { NotFoundError, type ActivityType, type SyncUser } from '../../domain/index.js';
import type { Clock, Logger } from '../../ports/index.js';
import type { SeveraHttpClient } from './severa.client.js';
import { activityTypeFromModel, userToSyncUser } from './severa.mapper.js';
import { activityTypeModelSchema, userOutputModelSchema, type UserOutputModel } from './severa.wire.js';

/** How long the user directory (time zones) and activity types are reused before they are read again. */
export const DEFAULT_DIRECTORY_TTL_MS = 60 * 60_000;

export interface SeveraDirectoryCacheOptions {
  readonly client: SeveraHttpClient;
  readonly clock: Clock;
  /** IANA zone for a user whose Severa timezone is missing or unknown. */
  readonly fallbackZone: string;
  readonly logger: Logger;
  readonly ttlMs?: number;
}

/** A user looked up by e-mail (S2: no match and an inactive user are distinct statuses). */
export type SeveraUserLookup =
  | { readonly kind: 'active'; readonly user: SyncUser }
  | { readonly kind: 'inactive'; readonly severaUserGuid: string }
  | { readonly kind: 'not-found' };

interface Directory {
  readonly loadedAtMs: number;
  readonly users: readonly UserOutputModel[];
}

function zoneOrNull(user: UserOutputModel): string | null {
  const iana = user.timezone?.ianaName ?? '';
  return iana !== '' && Info.isValidIANAZone(iana) ? iana : null;
}

/** The rows that read as `UserOutputModel`; others are left out. */
function usersOf(rows: readonly unknown[]): UserOutputModel[] {
  return rows.flatMap((raw) => {
    const parsed = userOutputModelSchema.safeParse(raw);
    return parsed.success ? [parsed.data] : [];
  });
}

export class SeveraDirectoryCache {
  readonly #client: SeveraHttpClient;
  readonly #clock: Clock;
  readonly #fallbackZone: string;
  readonly #logger: Logger;
  readonly #ttlMs: number;
  #directory: Directory | null = null;
  /** User guid → time zone, with when it was read. */
  readonly #zones = new Map<string, { readonly zone: string; readonly atMs: number }>();
  #types: { readonly loadedAtMs: number; readonly types: readonly ActivityType[] } | null = null;

  constructor(options: SeveraDirectoryCacheOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#fallbackZone = options.fallbackZone;
    this.#logger = options.logger;
    this.#ttlMs = options.ttlMs ?? DEFAULT_DIRECTORY_TTL_MS;
  }

  /** Every user (`GET /v1/users`, all pages), read again once the TTL has passed. */
  async users(): Promise<readonly UserOutputModel[]> {
    if (this.#directory !== null && this.#fresh(this.#directory.loadedAtMs)) return this.#directory.users;
    const users = usersOf(await this.#client.getAllPages('/v1/users', {}, 'users:read'));
    this.#rememberZones(users);
    this.#directory = { loadedAtMs: this.#clock.now().getTime(), users };
    return users;
  }

  /** Active Severa users with an e-mail, as the sync sees them (S2), each with their time zone. */
  async syncUsers(): Promise<SyncUser[]> {
    return (await this.users())
      .filter((u) => u.isActive !== false)
      .map((u) => userToSyncUser(u, this.#fallbackZone))
      .filter((u): u is SyncUser => u !== null);
  }

  /**
   * The user with this e-mail: `GET /v1/users?email=` (§10), compared case-insensitively; when that filter finds
   * nobody (it may be case-sensitive, [UNCONFIRMED]), the whole directory is searched.
   */
  async lookupUserByEmail(email: string): Promise<SeveraUserLookup> {
    const wanted = email.trim().toLowerCase();
    if (wanted === '') return { kind: 'not-found' };
    const pick = (users: readonly UserOutputModel[]): SeveraUserLookup | null => {
      const same = users.filter((u) => (u.email ?? '').trim().toLowerCase() === wanted);
      if (same.length > 1)
        this.#logger.warn('several Severa users share an e-mail; taking the first active one');
      for (const u of same) {
        if (u.isActive === false) continue;
        const user = userToSyncUser(u, this.#fallbackZone);
        if (user !== null) return { kind: 'active', user };
      }
      const inactive = same.find((u) => typeof u.guid === 'string' && u.guid !== '');
      return inactive?.guid ? { kind: 'inactive', severaUserGuid: inactive.guid } : null;
    };
    const filtered = usersOf(
      await this.#client.getAllPages('/v1/users', { email: email.trim() }, 'users:read'),
    );
    this.#rememberZones(filtered);
    const direct = pick(filtered);
    if (direct?.kind === 'active') return direct;
    return pick(await this.users()) ?? direct ?? { kind: 'not-found' };
  }

  /**
   * The user's Severa time zone (`UserOutputModel.timezone`, §10), or the fallback zone. Read per user
   * (`GET /v1/users/{guid}`) and kept for the directory TTL: a cold instance does not page through the whole
   * directory to map a few activities.
   */
  async zoneOf(userGuid: string): Promise<string> {
    const known = this.#zones.get(userGuid);
    if (known !== undefined && this.#fresh(known.atMs)) return known.zone;
    try {
      const body = await this.#client.getJson(
        `/v1/users/${encodeURIComponent(userGuid)}`,
        undefined,
        'users:read',
      );
      this.#rememberZones(usersOf([body]));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const zone = this.#zones.get(userGuid)?.zone ?? this.#fallbackZone;
    this.#zones.set(userGuid, { zone, atMs: this.#clock.now().getTime() });
    return zone;
  }

  /** Every activity type (`GET /v1/activitytypes`, §9); `force` reads them even within the TTL. */
  async activityTypes(force: boolean): Promise<readonly ActivityType[]> {
    if (!force && this.#types !== null && this.#fresh(this.#types.loadedAtMs)) return this.#types.types;
    const rows = await this.#client.getAllPages('/v1/activitytypes', {}, 'settings:read');
    const types = rows.flatMap((raw) => {
      const parsed = activityTypeModelSchema.safeParse(raw);
      const type = parsed.success ? activityTypeFromModel(parsed.data) : null;
      return type === null ? [] : [type];
    });
    this.#types = { loadedAtMs: this.#clock.now().getTime(), types };
    return types;
  }

  /** The activity types read last (however old), for the mapper; null before the first read. */
  knownActivityTypes(): readonly ActivityType[] | null {
    return this.#types?.types ?? null;
  }

  /** Forgets the users, their time zones and the activity types. */
  clear(): void {
    this.#directory = null;
    this.#zones.clear();
    this.#types = null;
  }

  #rememberZones(users: readonly UserOutputModel[]): void {
    const atMs = this.#clock.now().getTime();
    for (const u of users) {
      if (typeof u.guid === 'string')
        this.#zones.set(u.guid, { zone: zoneOrNull(u) ?? this.#fallbackZone, atMs });
    }
  }

  #fresh(loadedAtMs: number): boolean {
    return this.#clock.now().getTime() - loadedAtMs < this.#ttlMs;
  }
}

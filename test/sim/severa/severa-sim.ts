/**
 * A Visma Severa REST API simulator: a real HTTP server with in-memory state, following
 * ../shared/reference/severa-api.md beside the repository (cited as §n) and the official OpenAPI subset in contracts/.
 * Test and dev infrastructure only; production code never imports it.
 */
import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import {
  Faults,
  RequestStats,
  faultsBodySchema,
  listen,
  matchRoute,
  seededRandom,
  systemClock,
  type ResponseHook,
  type RunningServer,
  type SimClock,
  type SimRequest,
  type SimResponse,
  type SimRoute,
} from '../common/index.js';
import {
  SeveraApiError,
  exceptionBody,
  invalidBody,
  invalidQuery,
  notFound,
  quotaMessage,
  type ErrorDetail,
} from './errors.js';
import {
  dateTimeSchema,
  fixtureSchema,
  recurrenceSchema,
  SEVERA_ACTIVITY_CATEGORIES,
  type FixtureActivity,
  type ParsedFixture,
  type SeveraFixture,
} from './fixture.js';
import {
  SeveraStore,
  assertKnownRecurrenceType,
  formatInZone,
  formatStamp,
  parseDateTime,
  type ActivityRow,
  type StoredActivity,
  type StoredParticipant,
} from './store.js';

/** Access tokens live an hour (severa-api.md §2: not documented; generoi's stubs use 3600 s). */
export const ACCESS_TOKEN_SECONDS = 3600;
/** Refresh tokens: not documented (§14.1); a day is long enough for any test or demo session. */
export const REFRESH_TOKEN_SECONDS = 86_400;
/** Paging (§3): default 20, maximum 100. */
export const DEFAULT_ROW_COUNT = 20;
export const MAX_ROW_COUNT = 100;
/** The documented limit (§4); injected 429 faults quote it whatever the configured limit is. */
export const DOCUMENTED_RATE_LIMIT = 10;

export interface SeveraSimOptions {
  readonly clock?: SimClock;
  /** Makes guids, tokens and fault dice deterministic. */
  readonly seed?: number;
  readonly onResponse?: ResponseHook;
  /** Requests per organisation in any 1 s window before 429 (§4: 10). */
  readonly rateLimitPerSecond?: number;
}

type Access = 'public' | 'control' | 'api';

interface SeveraRoute extends SimRoute {
  readonly access: Access;
  /** Scope required on `api` routes (§2, §6, §9, §10); null = any valid token. */
  readonly scope: string | null;
  readonly run: (req: SimRequest, auth: AuthContext | null) => SimResponse | Promise<SimResponse>;
}

interface AuthContext {
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** The credential's API user: `createdBy` / `lastUpdatedBy` of API writes. */
  readonly userGuid: string;
}

interface TokenGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly expiresMs: number;
}

/** `/_sim/act`: changes made "as a person in the Severa UI", which the sync must pick up. */
const actSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('update'),
    guid: z.string().min(1),
    as: z.string().min(1),
    changes: z.strictObject({
      name: z.string().min(1).optional(),
      notes: z.string().nullable().optional(),
      location: z.string().max(1000).nullable().optional(),
      startDateTime: dateTimeSchema.optional(),
      endDateTime: dateTimeSchema.nullable().optional(),
      isAllDay: z.boolean().optional(),
      activityTypeGuid: z.string().min(1).optional(),
      participantGuids: z.array(z.string().min(1)).optional(),
    }),
  }),
  z.strictObject({ action: z.literal('delete'), guid: z.string().min(1), as: z.string().min(1).optional() }),
  z.strictObject({
    action: z.literal('create'),
    as: z.string().min(1),
    activity: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ action: z.literal('touch'), guid: z.string().min(1), as: z.string().min(1).optional() }),
  z.strictObject({
    action: z.literal('cancelOccurrence'),
    seriesGuid: z.string().min(1),
    originalStart: dateTimeSchema,
    as: z.string().min(1).optional(),
  }),
  z.strictObject({
    action: z.literal('moveOccurrence'),
    seriesGuid: z.string().min(1),
    originalStart: dateTimeSchema,
    newStart: dateTimeSchema,
    newEnd: dateTimeSchema.optional(),
    as: z.string().min(1).optional(),
  }),
]);
export type SeveraSimAction = z.input<typeof actSchema>;

/** `ActivityModel` input on POST (§5): loose, read-only fields ignored. */
const activityInputSchema = z.looseObject({
  name: z.string().min(1),
  startDateTime: dateTimeSchema,
  endDateTime: dateTimeSchema.nullish(),
  isAllDay: z.boolean().optional(),
  hasDuration: z.boolean().optional(),
  isClosed: z.boolean().optional(),
  isUnassigned: z.boolean().optional(),
  notes: z.string().nullish(),
  location: z.string().max(1000).nullish(),
  activityType: z.looseObject({ guid: z.string().min(1) }),
  ownerUser: z.looseObject({ guid: z.string().min(1) }),
  recurrence: recurrenceSchema.nullish(),
  phase: z.looseObject({ guid: z.string().min(1), name: z.string().optional() }).nullish(),
  projectTaskStatus: z.looseObject({ guid: z.string().min(1), name: z.string().optional() }).nullish(),
});

const participantInputSchema = z.looseObject({
  activityGuid: z.string().min(1),
  participantGuid: z.string().min(1),
  type: z.enum(['User', 'Contact', 'Resource', 'Other']).optional(),
  status: z.enum(['Unknown', 'Invited', 'Accepted', 'Tentative', 'Declined']).optional(),
  phone: z.string().nullish(),
  mobilePhone: z.string().nullish(),
});

/** PATCH paths the simulator accepts on an activity (§3: top-level fields, `replace` only). */
export const ACTIVITY_PATCH_PATHS = [
  '/name',
  '/notes',
  '/location',
  '/startDateTime',
  '/endDateTime',
  '/isAllDay',
  '/hasDuration',
  '/isClosed',
  '/recurrence',
  '/activityType',
  '/ownerUser',
] as const;

function zodDetails(error: z.ZodError, prefix = ''): ErrorDetail[] {
  return error.issues.map((issue) => {
    const field = prefix + (issue.path.length === 0 ? 'body' : issue.path.map(String).join('.'));
    return { message: `${field}: ${issue.message}`, location: { name: field, type: 'RequestBody' as const } };
  });
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new SeveraApiError(400, 'InvalidRequest', 'The request body is not valid JSON.');
  }
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SeveraApiError(400, 'InvalidParameter', zodDetails(result.error, prefix));
  return result.data;
}

/** Array query params use repeated keys (§3); comma-separated values are tolerated too. */
function queryList(query: URLSearchParams, name: string): string[] | null {
  const values = query
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return values.length === 0 ? null : values;
}

function queryBool(query: URLSearchParams, name: string): boolean | null {
  const v = query.get(name);
  if (v === null || v === '') return null;
  if (v.toLowerCase() === 'true') return true;
  if (v.toLowerCase() === 'false') return false;
  throw invalidQuery(name, 'expected true or false');
}

/** A `+` in an offset arrives as a space when the client did not encode it (§3); put it back. */
function queryDate(query: URLSearchParams, name: string): number | null {
  const raw = query.get(name);
  if (raw === null || raw === '') return null;
  const v = raw.replace(' ', '+');
  if (!dateTimeSchema.safeParse(v).success) throw invalidQuery(name, 'expected an ISO 8601 date-time');
  return parseDateTime(v, 'UTC');
}

/** Token paging (§3): the token is the sort key of the last row returned; NextPageToken is absent on the last page. */
function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  query: URLSearchParams,
): { page: T[]; headers: Record<string, string> } {
  const rowCountRaw = query.get('rowCount');
  let rowCount = DEFAULT_ROW_COUNT;
  if (rowCountRaw !== null && rowCountRaw !== '') {
    rowCount = Number(rowCountRaw);
    if (!Number.isInteger(rowCount) || rowCount < 1 || rowCount > MAX_ROW_COUNT)
      throw invalidQuery('rowCount', `must be an integer between 1 and ${MAX_ROW_COUNT}`);
  }
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const token = query.get('pageToken');
  let rest = sorted;
  if (token !== null && token !== '') {
    let after: string;
    try {
      after = Buffer.from(token, 'base64url').toString('utf8');
    } catch {
      throw invalidQuery('pageToken', 'unknown page token');
    }
    if (!after.startsWith('k:')) throw invalidQuery('pageToken', 'unknown page token');
    const key = after.slice(2);
    rest = sorted.filter((item) => keyOf(item) > key);
  }
  const page = rest.slice(0, rowCount);
  const last = page.at(-1);
  const headers: Record<string, string> = {};
  if (rest.length > rowCount && last !== undefined)
    headers.NextPageToken = Buffer.from(`k:${keyOf(last)}`, 'utf8').toString('base64url');
  return { page, headers };
}

function msKey(ms: number): string {
  // Fixed width so string order equals time order (years 1970..2286).
  return String(Math.max(0, ms)).padStart(13, '0');
}

export interface SeveraSim {
  start(port?: number): Promise<RunningServer>;
  stop(): Promise<void>;
  /** Base URL once started. */
  readonly url: string;
  /** Replaces all state with the fixture (throws a SeveraApiError 400 on a bad fixture). */
  seed(fixture: SeveraFixture): void;
  /** Empties all state, tokens, faults, stats and the rate-limit window. */
  reset(): void;
  /** Runs a `/_sim/act` action; returns the affected activity model when there is one. */
  act(action: SeveraSimAction): ActivityModel | null;
  /** The activity as `GET /v1/activities/{guid}` would return it, or null. */
  activity(guid: string): ActivityModel | null;
  /** Every visible row (incl. series masters and occurrences), unpaged. */
  allActivities(): ActivityModel[];
  participants(activityGuid: string): ActivityParticipantModel[];
  /** Mints a token without HTTP (for tests that do not test auth). */
  issueToken(clientId: string): string;
  readonly stats: RequestStats;
  readonly faults: Faults;
  readonly clock: SimClock;
  /** The loaded fixture (after defaults), or null. */
  readonly fixture: ParsedFixture | null;
}

/** The JSON shape of an activity (`ActivityModel`, §5). */
export interface ActivityModel {
  readonly guid: string;
  readonly name: string;
  readonly startDateTime: string;
  readonly endDateTime: string | null;
  readonly isAllDay: boolean;
  readonly hasDuration: boolean;
  readonly isClosed: boolean;
  readonly isUnassigned: boolean;
  readonly hasHours: boolean;
  readonly notes: string | null;
  readonly location: string | null;
  readonly activityType: { guid: string; name: string | null; category: string | null };
  readonly ownerUser: { guid: string; code: string | null; name: string | null; keywords: [] };
  readonly customer: null;
  readonly phase: Record<string, unknown> | null;
  readonly projectTaskStatus: { guid: string; name: string } | null;
  readonly recurrence: Record<string, unknown> | null;
  readonly recurrenceRule: null;
  readonly recurrenceType: string;
  readonly recurrenceParentActivityGuid: string | null;
  readonly createdDateTime: string;
  readonly createdBy: UserRef | null;
  readonly lastUpdatedDateTime: string;
  readonly lastUpdatedBy: UserRef | null;
}

export interface UserRef {
  readonly guid: string;
  readonly name: string | null;
  readonly firstName: string | null;
  readonly lastName: string | null;
  readonly code: string | null;
}

export interface ActivityParticipantModel {
  readonly guid: string;
  readonly activityGuid: string;
  readonly participantGuid: string;
  readonly type: string;
  readonly status: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly isActive: boolean;
  readonly phone: string | null;
  readonly mobilePhone: string | null;
}

export function createSeveraSim(options: SeveraSimOptions = {}): SeveraSim {
  const clock = options.clock ?? systemClock;
  const rateLimit = options.rateLimitPerSecond ?? DOCUMENTED_RATE_LIMIT;
  const random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  const faultRandom = options.seed === undefined ? Math.random : seededRandom(options.seed ^ 0x5eed);
  const store = new SeveraStore(() => clock.now());
  const faults = new Faults(faultRandom);
  const stats = new RequestStats();
  let fixture: ParsedFixture | null = null;
  let server: RunningServer | null = null;
  const tokens = new Map<string, TokenGrant>();
  const refreshTokens = new Map<string, TokenGrant>();
  let recent: number[] = [];

  function newGuid(): string {
    if (options.seed === undefined) return randomUUID();
    const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  function newSecret(): string {
    return (newGuid() + newGuid()).replaceAll('-', '');
  }

  // ---- models

  function userRef(guid: string): UserRef | null {
    const u = store.users.get(guid);
    if (u === undefined) return { guid, name: null, firstName: null, lastName: null, code: null };
    return {
      guid,
      name: `${u.firstName} ${u.lastName}`,
      firstName: u.firstName,
      lastName: u.lastName,
      code: u.code ?? null,
    };
  }

  function activityModel(row: ActivityRow): ActivityModel {
    const a = row.stored;
    const zone = store.zoneOf(a.ownerGuid);
    const type = store.activityTypes.get(a.activityTypeGuid);
    const owner = userRef(a.ownerGuid);
    const isOccurrence = row.recurrenceType === 'Occurrence';
    return {
      guid: row.guid,
      name: a.name,
      startDateTime: formatInZone(row.startMs, zone),
      endDateTime: row.endMs === null ? null : formatInZone(row.endMs, zone),
      isAllDay: a.isAllDay,
      hasDuration: a.hasDuration,
      isClosed: a.isClosed,
      isUnassigned: a.isUnassigned,
      hasHours: false,
      notes: a.notes,
      location: a.location,
      activityType: { guid: a.activityTypeGuid, name: type?.name ?? null, category: type?.category ?? null },
      ownerUser: { guid: a.ownerGuid, code: owner?.code ?? null, name: owner?.name ?? null, keywords: [] },
      customer: null,
      phase:
        a.phase === null
          ? null
          : {
              guid: a.phase.guid,
              name: a.phase.name,
              isLocked: false,
              projectGuid: a.phase.projectGuid ?? null,
              projectName: a.phase.projectName ?? null,
              projectNumber: null,
              projectOwnerGuid: null,
            },
      projectTaskStatus: a.projectTaskStatus,
      recurrence:
        row.recurrenceType === 'Series' && a.recurrence !== null
          ? {
              frequency: a.recurrence.frequency,
              pattern: a.recurrence.pattern ?? null,
              range: a.recurrence.range ?? null,
              exceptions: store.exceptionDates(a),
              lastOccurrenceDateTime: a.recurrence.lastOccurrenceDateTime ?? null,
            }
          : null,
      recurrenceRule: null,
      recurrenceType: row.recurrenceType,
      recurrenceParentActivityGuid: isOccurrence ? a.guid : a.kind === 'Exception' ? a.parentGuid : null,
      createdDateTime: formatStamp(a.createdMs),
      createdBy: userRef(a.createdBy),
      lastUpdatedDateTime: formatStamp(a.updatedMs),
      lastUpdatedBy: userRef(a.updatedBy),
    };
  }

  function participantModel(p: StoredParticipant): ActivityParticipantModel {
    const u = p.type === 'User' ? store.users.get(p.participantGuid) : undefined;
    return {
      guid: p.guid,
      activityGuid: p.activityGuid,
      participantGuid: p.participantGuid,
      type: p.type,
      status: p.status,
      name: u === undefined ? null : `${u.firstName} ${u.lastName}`,
      email: u?.email ?? null,
      isActive: u?.isActive ?? true,
      phone: p.phone,
      mobilePhone: p.mobilePhone,
    };
  }

  function userModel(guid: string): Record<string, unknown> {
    const u = store.users.get(guid);
    if (u === undefined) throw notFound('User', guid);
    const dt =
      u.defaultActivityTypeGuid == null ? undefined : store.activityTypes.get(u.defaultActivityTypeGuid);
    return {
      guid: u.guid,
      firstName: u.firstName,
      lastName: u.lastName,
      email: u.email ?? null,
      code: u.code ?? null,
      isActive: u.isActive,
      // TimezoneModel (§10): the sim only knows the IANA name.
      timezone: { guid: null, ianaName: u.timezone, name: u.timezone, systemName: null },
      defaultActivityType: dt === undefined ? null : { guid: dt.guid, name: dt.name },
      userType: 'FullUser',
      createdDateTime: formatStamp(u.createdMs),
      lastUpdatedDateTime: formatStamp(u.updatedMs),
    };
  }

  function activityTypeModel(guid: string): Record<string, unknown> {
    const t = store.activityTypes.get(guid);
    if (t === undefined) throw notFound('Activity type', guid);
    return {
      guid: t.guid,
      name: t.name,
      code: t.code ?? null,
      category: t.category,
      isActive: t.isActive,
      isDefault: t.isDefault,
      isPaidLeave: null,
      createdDateTime: formatStamp(t.createdMs),
      lastUpdatedDateTime: formatStamp(t.updatedMs),
    };
  }

  // ---- writes shared by the API and /_sim/act

  function createActivity(input: z.output<typeof activityInputSchema>, by: string): StoredActivity {
    store.requireType(input.activityType.guid);
    store.requireUser(input.ownerUser.guid);
    const zone = store.zoneOf(input.ownerUser.guid);
    const startMs = parseDateTime(input.startDateTime, zone);
    const endMs = input.endDateTime == null ? null : parseDateTime(input.endDateTime, zone);
    if (endMs !== null && endMs < startMs)
      throw invalidBody('endDateTime', 'must not be before startDateTime');
    const recurrence =
      input.recurrence == null
        ? null
        : store.checkRecurrence(input.recurrence, startMs, input.ownerUser.guid);
    const stamp = store.stamp();
    const a: StoredActivity = {
      guid: newGuid(),
      name: input.name,
      notes: input.notes ?? null,
      location: input.location ?? null,
      startMs,
      endMs,
      isAllDay: input.isAllDay ?? false,
      hasDuration: input.hasDuration ?? true,
      isClosed: input.isClosed ?? false,
      isUnassigned: input.isUnassigned ?? false,
      activityTypeGuid: input.activityType.guid,
      ownerGuid: input.ownerUser.guid,
      phase: input.phase == null ? null : { guid: input.phase.guid, name: input.phase.name ?? '' },
      projectTaskStatus:
        input.projectTaskStatus == null
          ? null
          : { guid: input.projectTaskStatus.guid, name: input.projectTaskStatus.name ?? '' },
      recurrence,
      kind: recurrence === null ? 'None' : 'Series',
      parentGuid: null,
      originalStartMs: null,
      createdMs: stamp,
      createdBy: by,
      updatedMs: stamp,
      updatedBy: by,
      seriesExceptions: new Map(),
    };
    store.activities.set(a.guid, a);
    return a;
  }

  function addParticipant(activityGuid: string, userGuid: string, type: StoredParticipant['type']): void {
    const p: StoredParticipant = {
      guid: newGuid(),
      activityGuid,
      participantGuid: userGuid,
      type,
      status: 'Accepted',
      phone: null,
      mobilePhone: null,
    };
    store.participants.set(p.guid, p);
  }

  /** Applies JSON Patch `replace` operations (§3) to a row; an occurrence first becomes an Exception (§7). */
  function patchActivity(row: ActivityRow, ops: unknown, by: string): StoredActivity {
    if (!Array.isArray(ops)) throw new SeveraApiError(400, 'InvalidRequest', 'Expected a JSON Patch array.');
    const changes: [string, unknown][] = [];
    ops.forEach((raw: unknown, i) => {
      const op = parseWith(
        z.looseObject({ op: z.string(), path: z.string(), value: z.unknown().optional() }),
        raw,
        `[${i}].`,
      );
      if (op.op.toLowerCase() !== 'replace')
        throw new SeveraApiError(400, 'InvalidRequest', [
          {
            message: `[${i}].op: only "replace" is supported, got "${op.op}"`,
            location: { name: 'op', type: 'RequestBody' },
          },
        ]);
      const path = ACTIVITY_PATCH_PATHS.find((p) => p.toLowerCase() === op.path.toLowerCase());
      if (path === undefined) throw invalidBody(op.path, 'this path cannot be patched');
      changes.push([path, op.value]);
    });
    const isOccurrence = row.recurrenceType === 'Occurrence';
    if (changes.some(([p]) => p === '/recurrence') && (isOccurrence || row.stored.kind === 'Exception'))
      throw new SeveraApiError(400, 'InvalidOperation', [
        {
          message: 'recurrence: cannot be set on an occurrence or exception',
          location: { name: 'recurrence', type: 'RequestBody' },
        },
      ]);
    // Validate on a draft first so a failing op leaves the row untouched.
    const base = row.stored;
    const draft = { ...base, startMs: row.startMs, endMs: row.endMs };
    const zone = store.zoneOf(base.ownerGuid);
    for (const [path, value] of changes) {
      const field = path.slice(1);
      switch (path) {
        case '/name':
          draft.name = parseWith(z.string().min(1), value, 'name: ');
          break;
        case '/notes':
          draft.notes = parseWith(z.string().nullable(), value, 'notes: ');
          break;
        case '/location':
          draft.location = parseWith(z.string().max(1000).nullable(), value, 'location: ');
          break;
        case '/startDateTime':
          draft.startMs = parseDateTime(parseWith(dateTimeSchema, value, 'startDateTime: '), zone);
          break;
        case '/endDateTime': {
          const v = parseWith(dateTimeSchema.nullable(), value, 'endDateTime: ');
          draft.endMs = v === null ? null : parseDateTime(v, zone);
          break;
        }
        case '/isAllDay':
        case '/hasDuration':
        case '/isClosed': {
          const v = parseWith(z.boolean(), value, `${field}: `);
          if (path === '/isAllDay') draft.isAllDay = v;
          else if (path === '/hasDuration') draft.hasDuration = v;
          else draft.isClosed = v;
          break;
        }
        case '/activityType': {
          const v = parseWith(z.looseObject({ guid: z.string().min(1) }), value, 'activityType.');
          store.requireType(v.guid);
          draft.activityTypeGuid = v.guid;
          break;
        }
        case '/ownerUser': {
          const v = parseWith(z.looseObject({ guid: z.string().min(1) }), value, 'ownerUser.');
          store.requireUser(v.guid);
          draft.ownerGuid = v.guid;
          break;
        }
        case '/recurrence': {
          const v = parseWith(recurrenceSchema.nullable(), value, 'recurrence.');
          draft.recurrence = v === null ? null : store.checkRecurrence(v, draft.startMs, draft.ownerGuid);
          break;
        }
      }
    }
    if (draft.endMs !== null && draft.endMs < draft.startMs)
      throw invalidBody('endDateTime', 'must not be before startDateTime');
    const target = isOccurrence ? store.materialiseException(row, by) : base;
    const wasSeries = target.kind === 'Series';
    Object.assign(target, {
      name: draft.name,
      notes: draft.notes,
      location: draft.location,
      startMs: draft.startMs,
      endMs: draft.endMs,
      isAllDay: draft.isAllDay,
      hasDuration: draft.hasDuration,
      isClosed: draft.isClosed,
      activityTypeGuid: draft.activityTypeGuid,
      ownerGuid: draft.ownerGuid,
    });
    if (!isOccurrence && target.kind !== 'Exception' && changes.some(([p]) => p === '/recurrence')) {
      target.recurrence = draft.recurrence;
      if (draft.recurrence === null && wasSeries) store.resetExceptions(target, by);
      target.kind = draft.recurrence === null ? 'None' : 'Series';
    }
    store.touchRow(target, by);
    return target;
  }

  // ---- auth

  function credentialOf(clientId: string): ParsedFixture['credentials'][number] | undefined {
    return fixture?.credentials.find((c) => c.clientId === clientId);
  }

  function grant(clientId: string, scopes: readonly string[]): Record<string, unknown> {
    const now = clock.now();
    const access = newSecret();
    const refresh = newSecret();
    tokens.set(access, { clientId, scopes, expiresMs: now + ACCESS_TOKEN_SECONDS * 1000 });
    refreshTokens.set(refresh, { clientId, scopes, expiresMs: now + REFRESH_TOKEN_SECONDS * 1000 });
    return {
      access_token: access,
      access_token_type: 'Bearer',
      access_token_expires_in: ACCESS_TOKEN_SECONDS,
      access_token_expires_utc: formatStamp(now + ACCESS_TOKEN_SECONDS * 1000),
      refresh_token: refresh,
      refresh_token_expires_in: REFRESH_TOKEN_SECONDS,
      refresh_token_expires_utc: formatStamp(now + REFRESH_TOKEN_SECONDS * 1000),
      scope: scopes.join(','),
    };
  }

  function header(req: SimRequest, name: string): string | null {
    const v = req.headers[name.toLowerCase()];
    return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? null) : null;
  }

  function authenticate(req: SimRequest): AuthContext {
    // §2: Authorization: Bearer <token> and Client_Id on every call.
    const auth = header(req, 'authorization');
    const match = auth === null ? null : /^Bearer\s+(\S+)$/i.exec(auth);
    const grantRow = match?.[1] === undefined ? undefined : tokens.get(match[1]);
    if (grantRow === undefined || grantRow.expiresMs <= clock.now())
      throw new SeveraApiError(401, 'AuthenticationRequired', [
        {
          message: 'A valid access token is required.',
          location: { name: 'Authorization', type: 'RequestHeader' },
        },
      ]);
    const clientId = header(req, 'client_id');
    if (clientId === null || clientId !== grantRow.clientId)
      throw new SeveraApiError(401, 'AuthenticationRequired', [
        {
          message:
            clientId === null
              ? 'The Client_Id header is required.'
              : 'The Client_Id header does not match the token.',
          location: { name: 'Client_Id', type: 'RequestHeader' },
        },
      ]);
    const credential = credentialOf(grantRow.clientId);
    if (credential === undefined)
      throw new SeveraApiError(401, 'AuthenticationRequired', 'The credential no longer exists.');
    return {
      clientId: grantRow.clientId,
      scopes: new Set(grantRow.scopes),
      userGuid: credential.apiUserGuid,
    };
  }

  function tokenRoute(req: SimRequest): SimResponse {
    const body = parseJson(req.body);
    if (typeof body !== 'object' || body === null)
      throw new SeveraApiError(400, 'InvalidRequest', 'Expected client credentials.');
    // §2: the spec says client_id/client_secret; working clients send client_Id/client_Secret, so match any casing.
    const fields = new Map<string, unknown>(
      Object.entries(body as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const clientId = fields.get('client_id');
    const secret = fields.get('client_secret');
    const scope = fields.get('scope');
    const credential = typeof clientId === 'string' ? credentialOf(clientId) : undefined;
    if (credential === undefined || secret !== credential.clientSecret)
      throw new SeveraApiError(401, 'AuthenticationRequired', 'Invalid client credentials.');
    // §2: comma- or space-separated; missing = everything the credential has.
    const requested =
      typeof scope === 'string' && scope.trim() !== ''
        ? scope.split(/[\s,]+/).filter(Boolean)
        : credential.scopes;
    const missing = requested.filter((s) => !credential.scopes.includes(s));
    if (missing.length > 0)
      throw new SeveraApiError(
        401,
        'AuthenticationRequired',
        `The credential does not have the scope(s): ${missing.join(', ')}`,
      );
    return { status: 200, body: grant(credential.clientId, requested) };
  }

  function refreshRoute(req: SimRequest): SimResponse {
    const body = parseJson(req.body);
    const token = typeof body === 'string' ? body : null;
    const row = token === null ? undefined : refreshTokens.get(token);
    if (
      token === null ||
      row === undefined ||
      row.expiresMs <= clock.now() ||
      credentialOf(row.clientId) === undefined
    )
      throw new SeveraApiError(401, 'AuthenticationRequired', 'Invalid or expired refresh token.');
    refreshTokens.delete(token);
    return { status: 200, body: grant(row.clientId, row.scopes) };
  }

  // ---- activity routes

  function listActivities(req: SimRequest): SimResponse {
    const q = req.query;
    const changedSince = queryDate(q, 'changedSince');
    const from = queryDate(q, 'startDateTime');
    const to = queryDate(q, 'endDateTime');
    const strict = queryBool(q, 'useStrictStartAndEndDateTime') ?? false;
    const userGuids = queryList(q, 'userGuids');
    const asMember = queryBool(q, 'includeAsMember') ?? false;
    const categories = queryList(q, 'activityCategories');
    for (const c of categories ?? [])
      if (!(SEVERA_ACTIVITY_CATEGORIES as readonly string[]).includes(c))
        throw invalidQuery('activityCategories', `unknown category ${c}`);
    const typeGuids = queryList(q, 'activityTypeGuids');
    const closed = queryBool(q, 'closed');
    const rt = q.get('recurrenceType');
    const recurrenceType = rt === null || rt === '' ? null : assertKnownRecurrenceType(rt);
    const rows = store.rows().filter((row) => {
      // §7: by default None + Occurrence + Exception, never Series masters; recurrenceType picks one kind.
      if (recurrenceType === null ? row.recurrenceType === 'Series' : row.recurrenceType !== recurrenceType)
        return false;
      const a = row.stored;
      if (changedSince !== null && a.updatedMs < changedSince) return false;
      if (closed !== null && a.isClosed !== closed) return false;
      if (typeGuids !== null && !typeGuids.includes(a.activityTypeGuid)) return false;
      if (categories !== null) {
        const category = store.categoryOf(a.activityTypeGuid);
        if (category === null || !categories.includes(category)) return false;
      }
      if (userGuids !== null && !userGuids.includes(a.ownerGuid)) {
        if (!asMember) return false;
        const members = store.participantsOf(store.participantHost(row)).map((p) => p.participantGuid);
        if (!members.some((m) => userGuids.includes(m))) return false;
      }
      const endMs = row.endMs ?? row.startMs;
      if (strict) {
        if (from !== null && row.startMs < from) return false;
        if (to !== null && endMs > to) return false;
      } else {
        // §6: startDateTime = activities ending after it; endDateTime = activities starting on/before it.
        if (from !== null && !(endMs > from || (endMs === row.startMs && row.startMs >= from))) return false;
        if (to !== null && row.startMs > to) return false;
      }
      return true;
    });
    const { page, headers } = paginate(rows, (r) => `${msKey(r.startMs)}|${r.guid}`, q);
    return { status: 200, headers, body: page.map(activityModel) };
  }

  function currentUser(auth: AuthContext | null): string {
    return auth?.userGuid ?? '';
  }

  // ---- control surface

  function seed(input: unknown): void {
    const parsed = fixtureSchema.safeParse(input);
    if (!parsed.success) throw new SeveraApiError(400, 'InvalidParameter', zodDetails(parsed.error));
    const f = parsed.data;
    const userGuids = new Set(f.users.map((u) => u.guid));
    const typeGuids = new Set(f.activityTypes.map((t) => t.guid));
    const problems: ErrorDetail[] = [];
    const check = (ok: boolean, field: string, message: string): void => {
      if (!ok)
        problems.push({ message: `${field}: ${message}`, location: { name: field, type: 'RequestBody' } });
    };
    f.credentials.forEach((c, i) => {
      check(userGuids.has(c.apiUserGuid), `credentials.${i}.apiUserGuid`, 'unknown user');
    });
    f.users.forEach((u, i) => {
      check(
        u.defaultActivityTypeGuid == null || typeGuids.has(u.defaultActivityTypeGuid),
        `users.${i}.defaultActivityTypeGuid`,
        'unknown activity type',
      );
    });
    f.activities.forEach((a, i) => {
      check(userGuids.has(a.ownerGuid), `activities.${i}.ownerGuid`, 'unknown user');
      check(typeGuids.has(a.activityTypeGuid), `activities.${i}.activityTypeGuid`, 'unknown activity type');
      a.participantGuids.forEach((p, j) => {
        check(userGuids.has(p), `activities.${i}.participantGuids.${j}`, 'unknown user');
      });
    });
    if (problems.length > 0) throw new SeveraApiError(400, 'InvalidParameter', problems);
    reset();
    fixture = f;
    const now = clock.now();
    for (const u of f.users) store.users.set(u.guid, { ...u, createdMs: now, updatedMs: now });
    for (const t of f.activityTypes)
      store.activityTypes.set(t.guid, { ...t, createdMs: now, updatedMs: now });
    f.activities.forEach((a, i) => {
      seedActivity(a, i);
    });
  }

  function seedActivity(a: FixtureActivity, i: number): void {
    let created: StoredActivity;
    try {
      created = createActivity(
        {
          name: a.name,
          startDateTime: a.startDateTime,
          endDateTime: a.endDateTime ?? null,
          isAllDay: a.isAllDay,
          hasDuration: a.hasDuration,
          isClosed: a.isClosed,
          notes: a.notes ?? null,
          location: a.location ?? null,
          activityType: { guid: a.activityTypeGuid },
          ownerUser: { guid: a.ownerGuid },
          recurrence: a.recurrence ?? null,
          phase: null,
          projectTaskStatus: a.projectTaskStatus ?? null,
        },
        a.ownerGuid,
      );
    } catch (error) {
      reset();
      if (error instanceof SeveraApiError)
        throw new SeveraApiError(
          400,
          'InvalidParameter',
          error.details.map((d) => ({ message: `activities.${i}.${d.message}` })),
        );
      throw error;
    }
    if (a.phase != null)
      created.phase = {
        guid: a.phase.guid,
        name: a.phase.name,
        projectGuid: a.phase.projectGuid,
        projectName: a.phase.projectName,
      };
    if (a.guid !== undefined) {
      store.activities.delete(created.guid);
      created.guid = a.guid;
      store.activities.set(a.guid, created);
    }
    for (const p of a.participantGuids) addParticipant(created.guid, p, 'User');
  }

  function reset(): void {
    store.clear();
    tokens.clear();
    refreshTokens.clear();
    faults.clear();
    stats.reset();
    recent = [];
    fixture = null;
  }

  function act(input: unknown): ActivityModel | null {
    const action = parseWith(actSchema, input);
    switch (action.action) {
      case 'update': {
        store.requireUser(action.as, 'as');
        const row = store.require(action.guid);
        const c = action.changes;
        const ops: { op: string; path: string; value: unknown }[] = [];
        if (c.name !== undefined) ops.push({ op: 'replace', path: '/name', value: c.name });
        if (c.notes !== undefined) ops.push({ op: 'replace', path: '/notes', value: c.notes });
        if (c.location !== undefined) ops.push({ op: 'replace', path: '/location', value: c.location });
        if (c.startDateTime !== undefined)
          ops.push({ op: 'replace', path: '/startDateTime', value: c.startDateTime });
        if (c.endDateTime !== undefined)
          ops.push({ op: 'replace', path: '/endDateTime', value: c.endDateTime });
        if (c.isAllDay !== undefined) ops.push({ op: 'replace', path: '/isAllDay', value: c.isAllDay });
        if (c.activityTypeGuid !== undefined)
          ops.push({ op: 'replace', path: '/activityType', value: { guid: c.activityTypeGuid } });
        const target = patchActivity(row, ops, action.as);
        if (c.participantGuids !== undefined) {
          c.participantGuids.forEach((g, i) => {
            store.requireUser(g, `changes.participantGuids.${i}`);
          });
          const current = store.participantsOf(target.guid).filter((p) => p.type === 'User');
          for (const p of current)
            if (!c.participantGuids.includes(p.participantGuid)) store.participants.delete(p.guid);
          for (const g of c.participantGuids)
            if (!current.some((p) => p.participantGuid === g)) addParticipant(target.guid, g, 'User');
        }
        return modelOf(target.guid);
      }
      case 'delete': {
        const row = store.require(action.guid);
        store.delete(row, action.as ?? row.stored.ownerGuid);
        return null;
      }
      case 'create': {
        store.requireUser(action.as, 'as');
        const { participantGuids, ...rest } = action.activity;
        const input = parseWith(activityInputSchema, rest, 'activity.');
        const guids = parseWith(
          z.array(z.string().min(1)).optional(),
          participantGuids,
          'activity.participantGuids',
        );
        guids?.forEach((g, i) => {
          store.requireUser(g, `activity.participantGuids.${i}`);
        });
        const created = createActivity(input, action.as);
        for (const g of guids ?? []) addParticipant(created.guid, g, 'User');
        return modelOf(created.guid);
      }
      case 'touch': {
        const row = store.require(action.guid);
        store.touchRow(row.stored, action.as ?? row.stored.updatedBy);
        return modelOf(row.guid);
      }
      case 'cancelOccurrence':
      case 'moveOccurrence': {
        const series = store.activities.get(action.seriesGuid);
        if (series?.kind !== 'Series') throw notFound('Series', action.seriesGuid);
        const originalMs = parseDateTime(action.originalStart, store.zoneOf(series.ownerGuid));
        const row = store.occurrences(series).find((o) => o.originalStartMs === originalMs);
        if (row === undefined) throw invalidBody('originalStart', 'no occurrence of the series starts then');
        const by = action.as ?? series.ownerGuid;
        if (action.action === 'cancelOccurrence') {
          store.delete(row, by);
          return null;
        }
        const ops = [{ op: 'replace', path: '/startDateTime', value: action.newStart }];
        const newEnd =
          action.newEnd ??
          (row.endMs === null
            ? undefined
            : new Date(parseDateTime(action.newStart, 'UTC') + row.endMs - row.startMs).toISOString());
        if (newEnd !== undefined) ops.push({ op: 'replace', path: '/endDateTime', value: newEnd });
        const target = patchActivity(row, ops, by);
        return modelOf(target.guid);
      }
    }
  }

  function modelOf(guid: string): ActivityModel | null {
    const row = store.find(guid);
    return row === null ? null : activityModel(row);
  }

  // ---- routes

  const json = (status: number, body: unknown, headers?: Record<string, string>): SimResponse =>
    headers === undefined ? { status, body } : { status, body, headers };

  const defs: Omit<SeveraRoute, 'handler'>[] = [
    {
      method: 'GET',
      pattern: '/heartbeat/server',
      access: 'public',
      scope: null,
      run: () => json(200, 'Server is alive.'),
    },
    {
      method: 'GET',
      pattern: '/heartbeat/database',
      access: 'public',
      scope: null,
      run: () => json(200, 'Database is alive.'),
    },
    {
      method: 'GET',
      pattern: '/heartbeat/authorized',
      access: 'api',
      scope: null,
      run: () => ({ status: 204 }),
    },
    { method: 'POST', pattern: '/v1/token', access: 'public', scope: null, run: tokenRoute },
    { method: 'POST', pattern: '/v1/refreshtoken', access: 'public', scope: null, run: refreshRoute },
    {
      method: 'GET',
      pattern: '/v1/activities',
      access: 'api',
      scope: 'activities:read',
      run: listActivities,
    },
    {
      method: 'GET',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:read',
      run: (req) => json(200, activityModel(store.require(req.params.guid ?? ''))),
    },
    {
      method: 'POST',
      pattern: '/v1/activities',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const input = parseWith(activityInputSchema, parseJson(req.body));
        const created = createActivity(input, currentUser(auth));
        return json(201, modelOf(created.guid));
      },
    },
    {
      method: 'PATCH',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const row = store.require(req.params.guid ?? '');
        const target = patchActivity(row, parseJson(req.body), currentUser(auth));
        // §3: PATCH answers 200 with an array of the updated models.
        return json(200, [modelOf(target.guid)]);
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{guid}',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        store.delete(store.require(req.params.guid ?? ''), currentUser(auth));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{guid}/exceptions',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        const a = store.activities.get(req.params.guid ?? '');
        // §6: 404 if the activity is not recurring.
        if (a?.kind !== 'Series') throw notFound('Recurring activity', req.params.guid ?? '');
        store.resetExceptions(a, currentUser(auth));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activities/{activityGuid}/activityparticipants',
      access: 'api',
      scope: 'activities:read',
      run: (req) => {
        const row = store.require(req.params.activityGuid ?? '');
        return json(200, store.participantsOf(store.participantHost(row)).map(participantModel));
      },
    },
    {
      method: 'POST',
      pattern: '/v1/activityparticipants',
      access: 'api',
      scope: 'activities:write',
      run: (req, auth) => {
        const input = parseWith(participantInputSchema, parseJson(req.body));
        const row = store.find(input.activityGuid);
        if (row === null) throw invalidBody('activityGuid', `activity ${input.activityGuid} does not exist`);
        const type = input.type ?? 'User';
        if (type === 'User') store.requireUser(input.participantGuid, 'participantGuid');
        const host =
          row.recurrenceType === 'Occurrence'
            ? store.materialiseException(row, currentUser(auth))
            : row.stored;
        if (store.participantsOf(host.guid).some((p) => p.participantGuid === input.participantGuid))
          throw invalidBody('participantGuid', 'already a participant of the activity');
        const p: StoredParticipant = {
          guid: newGuid(),
          activityGuid: host.guid,
          participantGuid: input.participantGuid,
          type,
          status: input.status ?? 'Invited',
          phone: input.phone ?? null,
          mobilePhone: input.mobilePhone ?? null,
        };
        store.participants.set(p.guid, p);
        // Participant changes stamp the activity so changedSince sees them (§14.4 [UNCONFIRMED]).
        store.touchRow(host, currentUser(auth));
        return json(201, participantModel(p));
      },
    },
    {
      method: 'DELETE',
      pattern: '/v1/activities/{activityGuid}/activityparticipants/{activityParticipantGuid}',
      access: 'api',
      scope: 'activities:delete',
      run: (req, auth) => {
        const row = store.require(req.params.activityGuid ?? '');
        const wanted = req.params.activityParticipantGuid ?? '';
        // The row guid per the contract; the person's guid is tolerated too (§8 names it participantGuid).
        const list = store.participantsOf(store.participantHost(row));
        const found = list.find((p) => p.guid === wanted) ?? list.find((p) => p.participantGuid === wanted);
        if (found === undefined) throw notFound('Participant', wanted);
        // §8: deleting through an occurrence guid creates an exception first, then deletes from that.
        const host =
          row.recurrenceType === 'Occurrence'
            ? store.materialiseException(row, currentUser(auth))
            : row.stored;
        const target = store
          .participantsOf(host.guid)
          .find((p) => p.participantGuid === found.participantGuid);
        if (target !== undefined) store.participants.delete(target.guid);
        store.touchRow(host, currentUser(auth));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activitytypes',
      access: 'api',
      scope: 'settings:read',
      run: (req) => {
        const active = queryBool(req.query, 'active');
        const changedSince = queryDate(req.query, 'changedSince');
        const categories = queryList(req.query, 'category');
        const list = [...store.activityTypes.values()].filter(
          (t) =>
            (active === null || t.isActive === active) &&
            (changedSince === null || t.updatedMs >= changedSince) &&
            (categories === null || categories.includes(t.category)),
        );
        const { page, headers } = paginate(list, (t) => t.guid, req.query);
        return json(
          200,
          page.map((t) => activityTypeModel(t.guid)),
          headers,
        );
      },
    },
    {
      method: 'GET',
      pattern: '/v1/activitytypes/{guid}',
      access: 'api',
      scope: 'settings:read',
      run: (req) => json(200, activityTypeModel(req.params.guid ?? '')),
    },
    {
      method: 'GET',
      pattern: '/v1/users',
      access: 'api',
      scope: 'users:read',
      run: (req) => {
        const email = req.query.get('email');
        const isActive = queryBool(req.query, 'isActive');
        const changedSince = queryDate(req.query, 'changedSince');
        const code = req.query.get('code');
        const list = [...store.users.values()].filter(
          (u) =>
            // §10: exact filter; matched case-insensitively (real clients compare that way too).
            (email === null || (u.email ?? '').toLowerCase() === email.toLowerCase()) &&
            (isActive === null || u.isActive === isActive) &&
            (code === null || u.code === code) &&
            (changedSince === null || u.updatedMs >= changedSince),
        );
        const { page, headers } = paginate(list, (u) => u.guid, req.query);
        return json(
          200,
          page.map((u) => userModel(u.guid)),
          headers,
        );
      },
    },
    {
      method: 'GET',
      pattern: '/v1/users/{guid}',
      access: 'api',
      scope: 'users:read',
      run: (req) => json(200, userModel(req.params.guid ?? '')),
    },
    // ---- control surface (no auth)
    {
      method: 'POST',
      pattern: '/_sim/reset',
      access: 'control',
      scope: null,
      run: () => {
        reset();
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: '/_sim/seed',
      access: 'control',
      scope: null,
      run: (req) => {
        seed(parseJson(req.body));
        return json(200, seedSummary());
      },
    },
    {
      method: 'GET',
      pattern: '/_sim/seed',
      access: 'control',
      scope: null,
      run: () => json(200, seedSummary()),
    },
    {
      method: 'POST',
      pattern: '/_sim/faults',
      access: 'control',
      scope: null,
      run: (req) => {
        const body = parseWith(faultsBodySchema, parseJson(req.body));
        faults.set(body.rules);
        return json(200, { rules: faults.list() });
      },
    },
    {
      method: 'DELETE',
      pattern: '/_sim/faults',
      access: 'control',
      scope: null,
      run: () => {
        faults.clear();
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      pattern: '/_sim/stats',
      access: 'control',
      scope: null,
      run: () => json(200, { rows: stats.rows() }),
    },
    {
      method: 'POST',
      pattern: '/_sim/act',
      access: 'control',
      scope: null,
      run: (req) => {
        const result = act(parseJson(req.body));
        return result === null ? { status: 204 } : json(200, result);
      },
    },
  ];
  const routes: SeveraRoute[] = defs.map((d) => ({ ...d, handler: (req) => d.run(req, null) }));

  function seedSummary(): Record<string, unknown> {
    if (fixture === null) return { loaded: false };
    return {
      loaded: true,
      organisation: fixture.organisation,
      credentials: fixture.credentials,
      users: fixture.users.map((u) => ({
        guid: u.guid,
        name: `${u.firstName} ${u.lastName}`,
        email: u.email ?? null,
        timezone: u.timezone,
        isActive: u.isActive,
      })),
      activityTypes: fixture.activityTypes.map((t) => ({ guid: t.guid, name: t.name, category: t.category })),
      activityCount: store.activities.size,
    };
  }

  /** Which credential a request belongs to, for stats (`user` = client id). */
  function statsUser(req: SimRequest, routeKey: string): string | null {
    if (routeKey === 'POST /v1/token') {
      try {
        const body = JSON.parse(req.body) as unknown;
        if (typeof body === 'object' && body !== null)
          for (const [k, v] of Object.entries(body))
            if (k.toLowerCase() === 'client_id' && typeof v === 'string') return v;
      } catch {
        return null;
      }
      return null;
    }
    const clientId = header(req, 'client_id');
    if (clientId !== null) return clientId;
    const auth = header(req, 'authorization');
    const token = auth === null ? undefined : /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    return token === undefined ? null : (tokens.get(token)?.clientId ?? null);
  }

  /** Sliding 1 s window per organisation (§4). The sim holds one organisation, so one window. */
  function rateLimited(): boolean {
    const now = clock.now();
    recent = recent.filter((t) => t > now - 1000);
    if (recent.length >= rateLimit) return true;
    recent.push(now);
    return false;
  }

  function errorResponse(error: unknown): SimResponse {
    if (error instanceof SeveraApiError)
      return json(error.status, exceptionBody(error.status, error.type, error.details));
    const message = error instanceof Error ? error.message : 'internal error';
    return json(500, exceptionBody(500, 'InternalSystemError', [{ message }]));
  }

  function faultResponse(status: number, reason: string | undefined): SimResponse {
    if (status === 429)
      return json(
        429,
        exceptionBody(429, 'InvalidRequest', [{ message: quotaMessage(DOCUMENTED_RATE_LIMIT) }]),
      );
    const type =
      reason ??
      (status === 401
        ? 'AuthenticationRequired'
        : status === 403
          ? 'PermissionDenied'
          : status >= 500
            ? 'InternalSystemError'
            : 'InvalidRequest');
    return json(status, exceptionBody(status, type, [{ message: `Injected fault (${status}).` }]));
  }

  async function dispatch(raw: Omit<SimRequest, 'params'>): Promise<SimResponse> {
    const matched = matchRoute(routes, raw.method, raw.path);
    const route = matched === null ? undefined : routes.find((r) => r === matched.route);
    const routeKey = route === undefined ? `${raw.method} ${raw.path}` : `${raw.method} ${route.pattern}`;
    const req: SimRequest = { ...raw, params: matched?.params ?? {} };
    let response: SimResponse;
    if (route === undefined) {
      response = json(404, exceptionBody(404, 'InvalidRequest', [{ message: `No route ${routeKey}.` }]));
    } else if (route.access === 'control') {
      try {
        response = await route.run(req, null);
      } catch (error) {
        response = errorResponse(error);
      }
    } else {
      response = await apiResponse(route, req, routeKey);
    }
    // Control routes stay out of the stats so API cost assertions count only API calls.
    if (route?.access !== 'control')
      stats.record(raw.method, route?.pattern ?? raw.path, response.status, statsUser(req, routeKey));
    options.onResponse?.({
      sim: 'severa',
      routeKey,
      status: response.status,
      requestBody: safeJson(raw.body),
      responseBody: response.body,
    });
    return response;
  }

  async function apiResponse(route: SeveraRoute, req: SimRequest, routeKey: string): Promise<SimResponse> {
    const decision = faults.decide(routeKey);
    if (decision.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.latencyMs));
    if (decision.fail !== null && !decision.fail.afterEffect)
      return faultResponse(decision.fail.status, decision.fail.reason);
    if (rateLimited())
      return json(429, exceptionBody(429, 'InvalidRequest', [{ message: quotaMessage(rateLimit) }]));
    try {
      let auth: AuthContext | null = null;
      if (route.access === 'api') {
        auth = authenticate(req);
        if (route.scope !== null && !auth.scopes.has(route.scope))
          throw new SeveraApiError(403, 'InsufficientApiScope', `The API scope ${route.scope} is required.`);
      }
      const response = await route.run(req, auth);
      if (decision.fail !== null) return faultResponse(decision.fail.status, decision.fail.reason);
      return response;
    } catch (error) {
      return errorResponse(error);
    }
  }

  return {
    async start(port = 0) {
      if (server !== null) return server;
      server = await listen(dispatch, port);
      return server;
    },
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
    get url() {
      if (server === null) throw new Error('the Severa simulator is not started');
      return server.url;
    },
    seed: (f) => {
      seed(f);
    },
    reset,
    act,
    activity: modelOf,
    allActivities: () => store.rows().map(activityModel),
    participants: (guid) => {
      const row = store.find(guid);
      return row === null ? [] : store.participantsOf(store.participantHost(row)).map(participantModel);
    },
    issueToken(clientId) {
      const credential = credentialOf(clientId);
      if (credential === undefined) throw new Error(`unknown client id ${clientId}`);
      const body = grant(clientId, credential.scopes);
      return String(body.access_token);
    },
    stats,
    faults,
    clock,
    get fixture() {
      return fixture;
    },
  };
}

function safeJson(body: string): unknown {
  if (body.trim() === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

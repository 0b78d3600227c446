/**
 * `npm run act -- …`: what a person does in Severa or in Google Calendar, against the running local stack
 * (`npm start`), through the simulators' control surface (`POST /_sim/act`, docs/simulators.md). A Severa change is
 * followed by the signed change notice a relay would send (Severa has no webhooks of its own), so it shows on Google
 * within a second or two; without it the next scheduler tick finds it.
 *
 *   npm run act -- help
 *
 * Exit codes as the operator CLI's: 0 done, 2 a usage error (one sentence, then the usage), 1 refused or failed (one
 * sentence; a stack trace only with `--debug`). A usage error names the option or the argument's position, never a
 * value typed. Before it builds any client it checks that the stack answers (scripts/cli.ts `answers`), so a stopped
 * stack is said at once instead of after the Firestore client's retries.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { DateTime } from 'luxon';

import { createContainer } from '../shared/app/container.js';
import { sendSeveraNotice } from '../shared/app/webhook-signature.js';
import { ConfigError, SECRET_NAMES, parseConfig, type AppConfig } from '../shared/config.js';
import {
  WEEKDAYS,
  addDays,
  type EntryContent,
  type Recurrence,
  type RecurrenceRule,
  type Timing,
  type Weekday,
} from '../shared/domain/index.js';
import { nullLogger, redactString } from '../shared/observability/logger.js';
import { firstSilent, localStackAddresses, pathForHint, stackDownMessage, type StackAddress } from './cli.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The demo organisation's people (test/sim/severa/demo-fixture.ts, test/sim/calendar/demo-fixture.ts). */
export const PEOPLE = {
  aino: {
    name: 'Aino Aalto',
    guid: '11111111-1111-4111-8111-000000000001',
    email: 'aino@demo.example',
    zone: 'Europe/Helsinki',
  },
  ben: {
    name: 'Ben Brown',
    guid: '11111111-1111-4111-8111-000000000002',
    email: 'ben@demo.example',
    zone: 'America/New_York',
  },
  cecilia: {
    name: 'Cecilia Carlsson',
    guid: '11111111-1111-4111-8111-000000000003',
    email: 'cecilia@demo.example',
    zone: 'Europe/London',
  },
} as const;
export type Person = (typeof PEOPLE)[keyof typeof PEOPLE];

/** The demo organisation's activity types, by the name `--type` takes. */
export const TYPES = {
  meeting: '22222222-2222-4222-8222-000000000001',
  personal: '22222222-2222-4222-8222-000000000002',
  'customer-visit': '22222222-2222-4222-8222-000000000003',
  absence: '22222222-2222-4222-8222-000000000004',
  'project-task': '22222222-2222-4222-8222-000000000005',
} as const;
export type TypeName = keyof typeof TYPES;

/** Occurrences a `--daily` / `--weekly` series may have (the Severa simulator expands ±400 days). */
export const MAX_OCCURRENCES = 365;

export const USAGE = `Usage: npm run act -- <side> <action> [options]   (people: aino, ben, cecilia)

  severa create --as aino --title "Budget review" --start 2026-12-10T10:00 --end 2026-12-10T11:00
                [--type meeting|personal|customer-visit|absence|project-task | --personal]
                [--with ben,cecilia] [--location L] [--notes N] [--daily N | --weekly N] [--all-day]
  severa update <guid> --as aino [--title T] [--start S] [--end E] [--all-day] [--location L] [--notes N]
                [--type T | --personal]
  severa delete <guid> --as aino
  google create --as ben --title "Dentist" --start 2026-12-11T09:00 --end 2026-12-11T10:00
                [--private] [--with aino] [--location L] [--notes N] [--daily N | --weekly N] [--all-day]
  google update <event id> --as ben [--title T] [--start S] [--end E] [--all-day] [--location L] [--notes N]
                [--private | --not-private]
  google delete <event id> --as ben
  list --as aino             what Aino has on both sides (30 days back, 60 ahead), in her time zone

Options:
  --start, --end     a date-time; without an offset it is in the person's time zone (2026-12-10T10:00)
  --all-day          an all-day entry: --start is its first day (2026-12-10), --end its last day (default: the
                     same day)
  --daily N          a series of N occurrences (1 to ${String(MAX_OCCURRENCES)}), every day from --start
  --weekly N         a series of N occurrences, every week on --start's weekday
  --notes N          Severa's notes, Google's description
  --personal         Severa: the Personal activity type (what a private Google event becomes, S4)
  --private          Google: a private event (becomes a Personal activity in Severa); --not-private undoes it
  --with a,b         participants (Severa) or guests (Google), by name
  --env-file <path>  the stack's env file (default .local/local-stack-local.env, written by npm start)
  --debug            print the stack of an unexpected error
`;

export class ActUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActUsageError';
  }
}

/** A refusal or failure said in one sentence (exit 1). */
export class ActFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActFailure';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const OPTIONS = {
  as: { type: 'string' },
  title: { type: 'string' },
  start: { type: 'string' },
  end: { type: 'string' },
  'all-day': { type: 'boolean' },
  notes: { type: 'string' },
  location: { type: 'string' },
  type: { type: 'string' },
  personal: { type: 'boolean' },
  private: { type: 'boolean' },
  'not-private': { type: 'boolean' },
  with: { type: 'string' },
  daily: { type: 'string' },
  weekly: { type: 'string' },
  'env-file': { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
type OptionName = keyof typeof OPTIONS;

const GLOBAL_OPTIONS: readonly OptionName[] = ['env-file', 'debug', 'help'];
const TIMING_OPTIONS: readonly OptionName[] = ['title', 'start', 'end', 'all-day', 'notes', 'location'];

export const SIDES = ['severa', 'google'] as const;
export type Side = (typeof SIDES)[number];
export const ACTIONS = ['create', 'update', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/** The options each command takes besides the global ones. */
const TAKES: Readonly<Record<`${Side} ${Action}` | 'list', readonly OptionName[]>> = {
  'severa create': ['as', ...TIMING_OPTIONS, 'type', 'personal', 'with', 'daily', 'weekly'],
  'severa update': ['as', ...TIMING_OPTIONS, 'type', 'personal'],
  'severa delete': ['as'],
  'google create': ['as', ...TIMING_OPTIONS, 'private', 'with', 'daily', 'weekly'],
  'google update': ['as', ...TIMING_OPTIONS, 'private', 'not-private'],
  'google delete': ['as'],
  list: ['as'],
};

/** Why a command does not take an option, when there is more to say than that. */
function notTakenBecause(command: string, option: OptionName): string {
  if (option === 'personal' && command.startsWith('google')) {
    return ' (in Google an entry is made private with --private)';
  }
  if ((option === 'private' || option === 'not-private') && command.startsWith('severa')) {
    return ' (in Severa a private entry has the Personal type: --personal)';
  }
  if ((option === 'daily' || option === 'weekly') && command.endsWith('update')) {
    return ' (a series is made with create)';
  }
  return '';
}

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

function isSide(value: string): value is Side {
  return (SIDES as readonly string[]).includes(value);
}

function isAction(value: string): value is Action {
  return (ACTIONS as readonly string[]).includes(value);
}

function isTypeName(value: string): value is TypeName {
  return Object.hasOwn(TYPES, value);
}

function isPersonName(value: string): value is keyof typeof PEOPLE {
  return Object.hasOwn(PEOPLE, value);
}

/** An all-day entry's days, or a timed entry's instants (ISO 8601 with the offset of the person's zone). */
export type ActTiming =
  | { readonly kind: 'timed'; readonly start: string; readonly end: string }
  | { readonly kind: 'allDay'; readonly startDate: string; readonly endDate: string };

/** A timing change: an all-day one is whole, a timed one may move either end. */
export type ActTimingChange =
  | { readonly kind: 'timed'; readonly start?: string; readonly end?: string }
  | { readonly kind: 'allDay'; readonly startDate: string; readonly endDate: string };

/** A simple series: `count` occurrences, every day or every week on the start's weekday. */
export interface ActRepeat {
  readonly freq: 'daily' | 'weekly';
  readonly count: number;
}

export interface ActCreate {
  readonly kind: 'create';
  readonly side: Side;
  readonly as: Person;
  readonly title: string;
  readonly timing: ActTiming;
  readonly notes: string | null;
  readonly location: string | null;
  readonly with: readonly Person[];
  /** Severa: the activity type (default meeting; --personal is personal). */
  readonly type: TypeName;
  /** Google: `visibility: private`. */
  readonly isPrivate: boolean;
  readonly repeat: ActRepeat | null;
}

export interface ActUpdate {
  readonly kind: 'update';
  readonly side: Side;
  readonly id: string;
  readonly as: Person;
  readonly title?: string;
  readonly notes?: string;
  readonly location?: string;
  readonly timing?: ActTimingChange;
  readonly type?: TypeName;
  readonly isPrivate?: boolean;
}

export type ActCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list'; readonly as: Person }
  | ActCreate
  | ActUpdate
  | { readonly kind: 'delete'; readonly side: Side; readonly id: string; readonly as: Person };

export interface ParsedAct {
  readonly command: ActCommand;
  readonly envFile: string | null;
  readonly debug: boolean;
}

/** "argument 3": a position on the command line, 1-based, never the text typed there. */
function argumentAt(index: number | undefined): string {
  return `argument ${String((index ?? 0) + 1)}`;
}

/**
 * Refuses an unknown or malformed option in a sentence that names it, before `parseArgs`' strict mode could (its
 * messages quote what was typed). The name is said, a value typed with it never is.
 */
function checkOptions(argv: readonly string[]): void {
  const { tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    if (!isOptionName(token.name)) {
      throw new ActUsageError(`Unknown option ${token.rawName}: see the options below.`);
    }
    const flag = `--${token.name}`;
    if (OPTIONS[token.name].type === 'boolean') {
      if (token.value !== undefined) throw new ActUsageError(`${flag} takes no value.`);
    } else if (token.value === undefined) {
      throw new ActUsageError(`${flag} needs a value.`);
    } else if (!token.inlineValue && token.value.startsWith('-')) {
      throw new ActUsageError(
        `${flag} needs a value, not an option; write ${flag}=<value> for a value that starts with "-".`,
      );
    }
  }
}

const OFFSET = /(?:[zZ]|[+-]\d\d:?\d\d)$/;

/** A date-time in the person's zone (or with its own offset) → ISO 8601 with the offset of the person's zone. */
function dateTime(value: string, zone: string, flag: string): string {
  const dt = OFFSET.test(value)
    ? DateTime.fromISO(value, { setZone: true })
    : DateTime.fromISO(value, { zone });
  if (!dt.isValid || !value.includes('T')) {
    throw new ActUsageError(
      `${flag} is not a date-time such as 2026-12-10T10:00 (or 2026-12-10T10:00+02:00); a date alone is for --all-day.`,
    );
  }
  return dt.setZone(zone).toISO({ suppressMilliseconds: true }) ?? '';
}

function date(value: string, flag: string): string {
  const dt = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: 'UTC' }) : null;
  if (dt === null || !dt.isValid)
    throw new ActUsageError(`${flag} is not a date such as 2026-12-10 (with --all-day).`);
  return value;
}

function count(value: string, flag: string): number {
  const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_OCCURRENCES)) {
    throw new ActUsageError(`${flag} takes a number of occurrences from 1 to ${String(MAX_OCCURRENCES)}.`);
  }
  return n;
}

function person(value: string | undefined, flag: string): Person {
  const name = value?.trim().toLowerCase() ?? '';
  if (!isPersonName(name)) {
    throw new ActUsageError(
      value === undefined
        ? `${flag} is needed: one of ${Object.keys(PEOPLE).join(', ')}.`
        : `${flag} takes one of ${Object.keys(PEOPLE).join(', ')}.`,
    );
  }
  return PEOPLE[name];
}

/**
 * The command line → what to do. Throws {@link ActUsageError} in one sentence naming the option or argument
 * position at fault. Reads no file, variable or clock.
 */
export function parseAct(argv: readonly string[]): ParsedAct {
  checkOptions(argv);
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch {
    // checkOptions found nothing wrong, so this is not expected; parseArgs' message may quote what was typed.
    throw new ActUsageError('The options could not be read: see the usage below.');
  }
  const { values, positionals, tokens } = parsed;
  const places = tokens.flatMap((t) => (t.kind === 'positional' ? [t.index] : []));
  const envFile = values['env-file'] ?? null;
  const debug = values.debug ?? false;
  const [side, action, id, ...extra] = positionals;
  if (values.help === true || side === undefined || side === 'help') {
    return { command: { kind: 'help' }, envFile, debug };
  }

  let name: keyof typeof TAKES;
  if (side === 'list') {
    if (action !== undefined) {
      throw new ActUsageError(`Unexpected ${argumentAt(places[1])}: "list" takes only --as.`);
    }
    name = 'list';
  } else if (!isSide(side)) {
    throw new ActUsageError(`Unknown side (${argumentAt(places[0])}): it is severa, google, list or help.`);
  } else if (action === undefined || !isAction(action)) {
    throw new ActUsageError(
      `${action === undefined ? 'No action' : `Unknown action (${argumentAt(places[1])})`} for ${side}: it is create, update or delete.`,
    );
  } else {
    name = `${side} ${action}`;
    const what = side === 'severa' ? 'the activity guid' : 'the event id';
    if (action === 'create' && id !== undefined) {
      throw new ActUsageError(`Unexpected ${argumentAt(places[2])}: "${name}" takes no id, only options.`);
    }
    if (action !== 'create' && id === undefined) throw new ActUsageError(`"${name}" needs ${what}.`);
    if (extra.length > 0) {
      throw new ActUsageError(`Unexpected ${argumentAt(places[3])}: "${name}" takes only ${what}.`);
    }
  }

  const given = (Object.keys(values) as OptionName[]).filter((o) => values[o] !== undefined);
  for (const option of given) {
    if (!GLOBAL_OPTIONS.includes(option) && !TAKES[name].includes(option)) {
      throw new ActUsageError(`"${name}" does not take --${option}${notTakenBecause(name, option)}.`);
    }
  }
  const as = person(values.as, '--as');
  const base = { envFile, debug };
  if (name === 'list') return { ...base, command: { kind: 'list', as } };
  const [sideName, actionName] = name.split(' ') as [Side, Action];
  if (actionName === 'delete') {
    return { ...base, command: { kind: 'delete', side: sideName, id: id ?? '', as } };
  }

  if (values['all-day'] === true && values.start === undefined) {
    throw new ActUsageError('--all-day needs --start, the first day (such as 2026-12-10).');
  }
  if (values.daily !== undefined && values.weekly !== undefined) {
    throw new ActUsageError('Give --daily or --weekly, not both.');
  }
  if (values.private === true && values['not-private'] === true) {
    throw new ActUsageError('Give --private or --not-private, not both.');
  }
  let type: TypeName | undefined;
  if (values.type !== undefined) {
    const typeName = values.type.trim().toLowerCase();
    if (!isTypeName(typeName)) {
      throw new ActUsageError(`--type takes one of ${Object.keys(TYPES).join(', ')}.`);
    }
    type = typeName;
  }
  if (values.personal === true) {
    if (type !== undefined && type !== 'personal') {
      throw new ActUsageError('--personal is the Personal type: give it or --type, not both.');
    }
    type = 'personal';
  }
  const timing = timingOf(values.start, values.end, values['all-day'] === true, as.zone);
  const title = values.title;
  if (title?.trim() === '') throw new ActUsageError('--title needs some text.');

  if (actionName === 'create') {
    if (title === undefined) throw new ActUsageError(`"${name}" needs --title.`);
    if (timing === undefined) throw new ActUsageError(`"${name}" needs --start.`);
    if (timing.kind === 'timed' && (timing.start === undefined || timing.end === undefined)) {
      throw new ActUsageError(`"${name}" needs --end (or --all-day).`);
    }
    const others = (values.with ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '')
      .map((n) => person(n, '--with'))
      .filter((p, i, all) => p !== as && all.indexOf(p) === i);
    const repeat: ActRepeat | null =
      values.daily !== undefined
        ? { freq: 'daily', count: count(values.daily, '--daily') }
        : values.weekly !== undefined
          ? { freq: 'weekly', count: count(values.weekly, '--weekly') }
          : null;
    return {
      ...base,
      command: {
        kind: 'create',
        side: sideName,
        as,
        title,
        timing:
          timing.kind === 'allDay'
            ? timing
            : { kind: 'timed', start: timing.start ?? '', end: timing.end ?? '' },
        notes: values.notes ?? null,
        location: values.location ?? null,
        with: others,
        type: type ?? 'meeting',
        isPrivate: values.private === true,
        repeat,
      },
    };
  }

  const changes = (
    ['title', 'notes', 'location', 'start', 'end', 'type', 'personal', 'private', 'not-private'] as const
  ).filter((o) => values[o] !== undefined);
  if (changes.length === 0) {
    throw new ActUsageError(
      `"${name}" needs something to change: ${TAKES[name]
        .filter((o) => o !== 'as' && o !== 'all-day')
        .map((o) => `--${o}`)
        .join(', ')}.`,
    );
  }
  const update: ActUpdate = {
    kind: 'update',
    side: sideName,
    id: id ?? '',
    as,
    ...(title === undefined ? {} : { title }),
    ...(values.notes === undefined ? {} : { notes: values.notes }),
    ...(values.location === undefined ? {} : { location: values.location }),
    ...(timing === undefined ? {} : { timing }),
    ...(type === undefined ? {} : { type }),
    ...(values.private === true ? { isPrivate: true } : {}),
    ...(values['not-private'] === true ? { isPrivate: false } : {}),
  };
  return { ...base, command: update };
}

/** --start / --end / --all-day → the timing (an all-day --end is the last day, inclusive), or undefined. */
function timingOf(
  start: string | undefined,
  end: string | undefined,
  allDay: boolean,
  zone: string,
): ActTimingChange | undefined {
  if (allDay) {
    const startDate = date(start ?? '', '--start');
    const lastDay = end === undefined ? startDate : date(end, '--end');
    if (lastDay < startDate) throw new ActUsageError('--end is before --start.');
    return { kind: 'allDay', startDate, endDate: addDays(lastDay, 1) };
  }
  if (start === undefined && end === undefined) return undefined;
  const s = start === undefined ? undefined : dateTime(start, zone, '--start');
  const e = end === undefined ? undefined : dateTime(end, zone, '--end');
  if (s !== undefined && e !== undefined && Date.parse(e) < Date.parse(s)) {
    throw new ActUsageError('--end is before --start.');
  }
  return { kind: 'timed', ...(s === undefined ? {} : { start: s }), ...(e === undefined ? {} : { end: e }) };
}

// ---------------------------------------------------------------------------------------------------------------
// What the simulators are sent (`POST /_sim/act`)

/** Severa's weekday field names (`WeeklyModel`, severa-api.md §7), Monday first as luxon's `weekday` 1..7. */
const SEVERA_WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** Luxon's weekday (1 = Monday) of the first occurrence, in the person's zone. */
function firstWeekday(timing: ActTiming, zone: string): number {
  return timing.kind === 'allDay'
    ? DateTime.fromISO(timing.startDate, { zone }).weekday
    : DateTime.fromISO(timing.start, { zone }).weekday;
}

/** Local midnight of a date in the zone, with its offset: how Severa stores all-day boundaries (severa-api.md §12). */
function localMidnight(day: string, zone: string): string {
  return DateTime.fromISO(day, { zone }).startOf('day').toISO({ suppressMilliseconds: true }) ?? '';
}

/** `ActivityRecurrenceModel` (severa-api.md §7) of a simple series: interval 1, a number of occurrences. */
export function severaRecurrence(
  repeat: ActRepeat,
  timing: ActTiming,
  zone: string,
): Record<string, unknown> {
  const day = SEVERA_WEEKDAYS[firstWeekday(timing, zone) - 1] ?? 'monday';
  return repeat.freq === 'daily'
    ? { frequency: 'Daily', pattern: { daily: { interval: 1 } }, range: { maxOccurrences: repeat.count } }
    : {
        frequency: 'Weekly',
        pattern: { weekly: { interval: 1, [day]: true } },
        range: { maxOccurrences: repeat.count },
      };
}

/** Google's `recurrence[]` of a simple series (RFC 5545 RRULE, google-calendar.md §3). */
export function googleRecurrence(repeat: ActRepeat, timing: ActTiming, zone: string): string[] {
  const day = WEEKDAYS[firstWeekday(timing, zone) - 1] ?? 'MO';
  return [
    repeat.freq === 'daily'
      ? `RRULE:FREQ=DAILY;COUNT=${String(repeat.count)}`
      : `RRULE:FREQ=WEEKLY;BYDAY=${day};COUNT=${String(repeat.count)}`,
  ];
}

/** Severa's three timing fields: explicit offsets; all-day as local midnights with an exclusive end. */
function severaTiming(timing: ActTimingChange, zone: string): Record<string, unknown> {
  if (timing.kind === 'allDay') {
    return {
      startDateTime: localMidnight(timing.startDate, zone),
      endDateTime: localMidnight(timing.endDate, zone),
      isAllDay: true,
    };
  }
  return {
    ...(timing.start === undefined ? {} : { startDateTime: timing.start }),
    ...(timing.end === undefined ? {} : { endDateTime: timing.end }),
    isAllDay: false,
  };
}

/**
 * Google's `start` / `end`: `date` for all-day (exclusive end), else `dateTime` with the person's zone (a series
 * needs the zone: Google refuses a recurring event without `start.timeZone`, google-calendar.md §3). A patch
 * replaces the whole object, so a timed entry made all-day loses its `dateTime`.
 */
function googleTiming(timing: ActTimingChange, zone: string): Record<string, unknown> {
  if (timing.kind === 'allDay') return { start: { date: timing.startDate }, end: { date: timing.endDate } };
  return {
    ...(timing.start === undefined ? {} : { start: { dateTime: timing.start, timeZone: zone } }),
    ...(timing.end === undefined ? {} : { end: { dateTime: timing.end, timeZone: zone } }),
  };
}

/** The `/_sim/act` body of a change, for the simulator of its side. */
export function simAction(command: ActCreate | ActUpdate | Extract<ActCommand, { kind: 'delete' }>): unknown {
  const who = command.as;
  if (command.kind === 'delete') {
    return command.side === 'severa'
      ? { action: 'delete', guid: command.id, as: who.guid }
      : { action: 'delete', as: who.email, id: command.id };
  }
  if (command.kind === 'create' && command.side === 'severa') {
    return {
      action: 'create',
      as: who.guid,
      activity: {
        name: command.title,
        ...severaTiming(command.timing, who.zone),
        ...(command.notes === null ? {} : { notes: command.notes }),
        ...(command.location === null ? {} : { location: command.location }),
        activityType: { guid: TYPES[command.type] },
        ownerUser: { guid: who.guid },
        participantGuids: command.with.map((p) => p.guid),
        ...(command.repeat === null
          ? {}
          : { recurrence: severaRecurrence(command.repeat, command.timing, who.zone) }),
      },
    };
  }
  if (command.kind === 'create') {
    return {
      action: 'create',
      as: who.email,
      ...(command.with.length === 0 ? {} : { attendees: command.with.map((p) => p.email) }),
      event: {
        summary: command.title,
        ...googleTiming(command.timing, who.zone),
        ...(command.notes === null ? {} : { description: command.notes }),
        ...(command.location === null ? {} : { location: command.location }),
        ...(command.isPrivate ? { visibility: 'private' } : {}),
        ...(command.repeat === null
          ? {}
          : { recurrence: googleRecurrence(command.repeat, command.timing, who.zone) }),
      },
    };
  }
  if (command.side === 'severa') {
    return {
      action: 'update',
      guid: command.id,
      as: who.guid,
      changes: {
        ...(command.title === undefined ? {} : { name: command.title }),
        ...(command.notes === undefined ? {} : { notes: command.notes }),
        ...(command.location === undefined ? {} : { location: command.location }),
        ...(command.timing === undefined ? {} : severaTiming(command.timing, who.zone)),
        ...(command.type === undefined ? {} : { activityTypeGuid: TYPES[command.type] }),
      },
    };
  }
  return {
    action: 'update',
    as: who.email,
    id: command.id,
    changes: {
      ...(command.title === undefined ? {} : { summary: command.title }),
      ...(command.notes === undefined ? {} : { description: command.notes }),
      ...(command.location === undefined ? {} : { location: command.location }),
      ...(command.timing === undefined ? {} : googleTiming(command.timing, who.zone)),
      ...(command.isPrivate === undefined ? {} : { visibility: command.isPrivate ? 'private' : 'default' }),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The listing

/** One row of `list`: what the sync's adapters read, and how a person calls its kind. */
export interface ListedEntry {
  readonly id: string;
  readonly content: EntryContent;
  /** Severa: the activity type's name; Google: the event's type and privacy. */
  readonly type: string;
}

const DAY_FORMAT = 'yyyy-LL-dd ccc';

function local(instant: string, zone: string): DateTime {
  return DateTime.fromISO(instant, { zone }).setLocale('en-GB');
}

/** When an entry happens, in the person's zone: "2026-12-10 Thu 10:00–11:00", "2026-12-07 Mon all day". */
export function whenText(timing: Timing, zone: string): string {
  if (timing.kind === 'allDay') {
    const first = DateTime.fromISO(timing.startDate).setLocale('en-GB').toFormat(DAY_FORMAT);
    const lastDay = addDays(timing.endDate, -1);
    if (lastDay <= timing.startDate) return `${first} all day`;
    return `${first} – ${DateTime.fromISO(lastDay).setLocale('en-GB').toFormat(DAY_FORMAT)} all day`;
  }
  const start = local(timing.start, zone);
  const end = local(timing.end, zone);
  return start.hasSame(end, 'day')
    ? `${start.toFormat(`${DAY_FORMAT} HH:mm`)}–${end.toFormat('HH:mm')}`
    : `${start.toFormat(`${DAY_FORMAT} HH:mm`)} – ${end.toFormat(`${DAY_FORMAT} HH:mm`)}`;
}

const DAY_NAMES: Readonly<Record<Weekday, string>> = {
  MO: 'Mon',
  TU: 'Tue',
  WE: 'Wed',
  TH: 'Thu',
  FR: 'Fri',
  SA: 'Sat',
  SU: 'Sun',
};
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FREQ_WORDS = {
  daily: ['daily', 'days'],
  weekly: ['weekly', 'weeks'],
  monthly: ['monthly', 'months'],
  yearly: ['yearly', 'years'],
} as const;

function ordinal(n: number): string {
  if (n === -1) return 'last';
  return `${String(n)}${n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'}`;
}

function ruleText(rule: RecurrenceRule): string {
  const [every, unit] = FREQ_WORDS[rule.freq];
  const days = rule.byWeekday.map((d) => DAY_NAMES[d]).join(', ');
  const parts = [rule.interval === 1 ? every : `every ${String(rule.interval)} ${unit}`];
  if (rule.bySetPos !== null) parts.push(`on the ${ordinal(rule.bySetPos)} ${days}`);
  else if (days !== '') parts.push(`on ${days}`);
  if (rule.byMonthDay !== null) {
    parts.push(rule.byMonthDay === -1 ? 'on the last day' : `on day ${String(rule.byMonthDay)}`);
  }
  if (rule.byMonth !== null) parts.push(`in ${MONTH_NAMES[rule.byMonth - 1] ?? String(rule.byMonth)}`);
  const end =
    rule.end.kind === 'count'
      ? `, ${String(rule.end.count)} times`
      : rule.end.kind === 'until'
        ? `, until ${rule.end.until}`
        : '';
  return `${parts.join(' ')}${end}`;
}

/** A series in words: "weekly on Mon, 10 times (1 changed, 2 cancelled)"; "-" for a single entry. */
export function repeatsText(recurrence: Recurrence | null): string {
  if (recurrence === null) return '-';
  const pattern = recurrence.pattern;
  const rule = pattern.kind === 'rule' ? ruleText(pattern.rule) : `custom: ${pattern.lines.join(' ')}`;
  const changes = [
    ...(recurrence.overrides.length === 0 ? [] : [`${String(recurrence.overrides.length)} changed`]),
    ...(recurrence.exdates.length === 0 ? [] : [`${String(recurrence.exdates.length)} cancelled`]),
  ];
  return changes.length === 0 ? rule : `${rule} (${changes.join(', ')})`;
}

/** Google's event types as a person calls them (`eventType`, google-calendar.md). */
const EVENT_TYPE_NAMES: Readonly<Record<string, string>> = {
  default: 'event',
  outOfOffice: 'out of office',
  focusTime: 'focus time',
  workingLocation: 'working location',
  birthday: 'birthday',
  fromGmail: 'from Gmail',
};

export function googleTypeText(eventType: string, isPrivate: boolean): string {
  return `${EVENT_TYPE_NAMES[eventType] ?? eventType}${isPrivate ? ', private' : ''}`;
}

function startMs(timing: Timing, zone: string): number {
  return timing.kind === 'allDay'
    ? DateTime.fromISO(timing.startDate, { zone }).toMillis()
    : Date.parse(timing.start);
}

/** A cell on one line: a title or an id may hold line breaks or tabs. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim() || '-';
}

/** One side's entries as a table (soonest first), in the person's zone; the id last, to copy. */
export function listingTable(entries: readonly ListedEntry[], zone: string, idHeader: string): string[] {
  if (entries.length === 0) return ['  (nothing)'];
  const header = ['WHEN', 'TYPE', 'REPEATS', 'TITLE', idHeader];
  const rows = [...entries]
    .sort((a, b) => startMs(a.content.timing, zone) - startMs(b.content.timing, zone))
    .map((e) => [
      whenText(e.content.timing, zone),
      cell(e.type),
      repeatsText(e.content.recurrence),
      cell(e.content.title),
      e.id,
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (row: readonly string[]) =>
    `  ${row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}`;
  return [format(header), ...rows.map(format)];
}

// ---------------------------------------------------------------------------------------------------------------
// Running

export interface ActIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs a parsed command against the stack its configuration names. */
export type ActRunner = (
  command: Exclude<ActCommand, { kind: 'help' }>,
  config: AppConfig,
  say: (line: string) => void,
) => Promise<void>;

export interface ActDeps {
  /** Where `.local/local-stack-local.env` is looked for (default: the project root). */
  readonly projectRoot?: string;
  /** Loads an env file into `io.env` (default `process.loadEnvFile`, which never overrides a set variable). */
  readonly loadEnvFile?: (path: string) => void;
  /** Whether something answers at an address of the stack (default: a short TCP connect, scripts/cli.ts). */
  readonly probe?: (address: StackAddress) => Promise<boolean>;
  /** Default: the simulators' control surface and the sync's own adapters ({@link runOnStack}). */
  readonly run?: ActRunner;
}

const PROJECT_ROOT = resolve(import.meta.dirname, '..');

/** The simulators and functions `act` talks to; only on this machine (a remote API is not the local stack). */
function stackUrls(config: AppConfig): Record<string, string | null> {
  return {
    'the Severa simulator': config.severa.apiUrl,
    'the Google Calendar simulator': config.google.rootUrl,
    'the functions': config.pushAddress,
  };
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runAct(
  argv: readonly string[],
  io: ActIo = processIo(),
  deps: ActDeps = {},
): Promise<number> {
  let act: ParsedAct;
  try {
    act = parseAct(argv);
  } catch (error) {
    if (error instanceof ActUsageError) {
      io.stderr(`${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    throw error;
  }
  const { command } = act;
  if (command.kind === 'help') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  const fail = (message: string) => {
    io.stderr(`${message}\n`);
    return EXIT_FAILED;
  };

  const root = deps.projectRoot ?? PROJECT_ROOT;
  const envFile = act.envFile ?? join(root, '.local', 'local-stack-local.env');
  if (!existsSync(envFile)) {
    return fail(
      act.envFile === null
        ? 'The local stack has not run here (no .local/local-stack-local.env): start it with npm start.'
        : `The env file ${envFile} does not exist: pass the one the stack wrote (npm start writes .local/local-stack-local.env).`,
    );
  }
  let config: AppConfig;
  try {
    const load =
      deps.loadEnvFile ??
      ((path: string) => {
        process.loadEnvFile(path);
      });
    load(envFile);
    config = parseConfig(io.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return fail(
        `The env file ${envFile} does not hold a usable configuration (${error.problems.join('; ')}): start the stack again with npm start.`,
      );
    }
    return fail(`Cannot load the env file ${envFile} (${codeOf(error)}).`);
  }

  const addresses = localStackAddresses(io.env, stackUrls(config));
  if (
    !addresses.some((a) => a.what === 'the Severa simulator') ||
    !addresses.some((a) => a.what === 'the Google Calendar simulator')
  ) {
    return fail(
      `The env file ${envFile} names no simulators on this machine: act works on the local stack (npm start), not on the real APIs.`,
    );
  }
  // A stopped stack is said at once: the Firestore client would retry the emulator for about 45 s.
  const silent = await firstSilent(addresses, deps.probe);
  if (silent !== null) return fail(stackDownMessage(silent, 'npm start'));

  try {
    await (deps.run ?? runOnStack)(command, config, (line) => {
      io.stdout(`${line}\n`);
    });
    if (command.kind === 'create') {
      const file = act.envFile === null ? '' : ` --env-file ${pathForHint(act.envFile, root)}`;
      io.stdout(`see both sides with: npm run act --${file} list --as ${personKey(command.as)}\n`);
    }
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ActFailure) return fail(error.message);
    const refused = connectionRefused(error);
    if (refused !== null) return fail(stackDownMessage(refused, 'npm start'));
    const name = error instanceof Error ? error.name : typeof error;
    const detail = error instanceof Error ? redactString(error.message) : '';
    const stack = act.debug && error instanceof Error && error.stack ? `\n${redactString(error.stack)}` : '';
    return fail(
      `Unexpected error (${name}${detail === '' ? '' : `: ${detail}`}).${act.debug ? '' : ' Run again with --debug for details.'}${stack}`,
    );
  }
}

function personKey(p: Person): string {
  return Object.entries(PEOPLE).find(([, q]) => q === p)?.[0] ?? p.email;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unreadable';
}

/** fetch's "fetch failed" for a refused connection (the stack stopped in the middle), as an address. */
function connectionRefused(error: unknown): StackAddress | null {
  const cause = (error as { cause?: { code?: unknown; address?: unknown; port?: unknown } } | null)?.cause;
  if (cause?.code !== 'ECONNREFUSED' || typeof cause.address !== 'string' || typeof cause.port !== 'number') {
    return null;
  }
  return { what: 'a part of the stack', host: cause.address, port: cause.port };
}

/** A simulator's error in words: Google's `error.message`, Severa's `error.details[].message`. */
function simError(status: number, text: string): string {
  let detail: string;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; details?: { message?: unknown }[] } };
    const messages = [body.error?.message, ...(body.error?.details ?? []).map((d) => d.message)].filter(
      (m): m is string => typeof m === 'string' && m !== '',
    );
    detail = messages.join('; ').replace(/\.$/, '');
  } catch {
    detail = '';
  }
  return `The simulator refused the change (HTTP ${String(status)}${detail === '' ? '' : `: ${redactString(detail)}`}).`;
}

/** The production runner: the simulators' control surface for changes, the sync's adapters for `list`. */
export const runOnStack: ActRunner = async (command, config, say) => {
  const container = createContainer(config, { logger: nullLogger });
  const sim = async (url: string, body: unknown): Promise<Record<string, unknown> | null> => {
    const res = await fetch(`${url.replace(/\/$/, '')}/_sim/act`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new ActFailure(simError(res.status, text));
    return text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
  };
  /** The relay's signed change notice for a Severa change. */
  const notify = async (guid: string) => {
    const functionsUrl = (config.pushAddress ?? '').replace(/\/calendarPush$/, '');
    const secret = await container.secrets.get(SECRET_NAMES.webhookSecret);
    const status = await sendSeveraNotice(`${functionsUrl}/severaWebhook`, secret, [guid]);
    say(`change notice sent to severaWebhook: ${String(status)}`);
  };
  try {
    if (command.kind === 'list') {
      await list(command.as, container, say);
    } else if (command.side === 'severa') {
      const result = await sim(config.severa.apiUrl, simAction(command));
      const guid = command.kind === 'create' ? String(result?.guid) : command.id;
      say(
        `${command.kind}d activity ${guid}${command.kind === 'create' && command.repeat !== null ? ' (a series)' : ''}`,
      );
      await notify(guid);
    } else {
      const answer = await sim(config.google.rootUrl, simAction(command));
      const result: unknown = answer?.result;
      const id =
        command.kind !== 'create'
          ? command.id
          : typeof result === 'object' && result !== null && 'id' in result
            ? String(result.id)
            : '(no id returned)';
      say(`${command.kind}d event ${id} (the calendar simulator notifies calendarPush)`);
    }
  } finally {
    await container.close();
  }
};

async function list(
  who: Person,
  container: ReturnType<typeof createContainer>,
  say: (line: string) => void,
): Promise<void> {
  const now = DateTime.now().setZone(who.zone);
  const from = now.minus({ days: 30 }).startOf('day');
  const to = now.plus({ days: 60 }).endOf('day');
  const window = { from: from.toUTC().toISO() ?? '', to: to.toUTC().toISO() ?? '' };
  const severa = await container.severa();
  const activities = await severa.listForUser(who.guid, window);
  const user = await container.stores.users.getUser(who.guid);
  if (user === null) throw new ActFailure(`${who.email} is not in the sync's directory of people.`);
  const calendar = await container.calendar();
  const listed = await calendar.list(user, { timeMin: window.from });
  const events = listed.changes.flatMap((c) => (c.kind === 'upsert' ? [c.record] : []));
  say(
    `${who.name} (${who.email}), ${from.toISODate() ?? ''} to ${to.toISODate() ?? ''}, times in ${who.zone}`,
  );
  say('');
  say(`Severa (${String(activities.length)}):`);
  for (const line of listingTable(
    activities.map((a) => ({ id: a.guid, content: a.content, type: a.activityType.name })),
    who.zone,
    'GUID',
  ))
    say(line);
  say('');
  say(`Google (${String(events.length)}):`);
  for (const line of listingTable(
    events.map((e) => ({
      id: e.id,
      content: e.content,
      type: googleTypeText(e.eventType, e.content.isPrivate),
    })),
    who.zone,
    'EVENT ID',
  ))
    say(line);
}

function processIo(): ActIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  };
}

// ---------------------------------------------------------------------------------------------------------------

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const code = await runAct(process.argv.slice(2));
  process.exitCode = code;
  // Every client was closed; should a library still hold a handle, do not hang the terminal.
  setTimeout(() => process.exit(code), 2_000).unref();
}

/**
 * `npm run act` (scripts/act.ts) without a stack: argument parsing and its one-sentence refusals, what each change
 * sends to the simulators' control surface (checked by running it on in-process simulators and reading the result
 * back through the sync's own mappers), the listing's local times, types and series in words, and how a missing or
 * stopped stack is reported.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseEnv } from 'node:util';

import {
  ActUsageError,
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  PEOPLE,
  USAGE,
  googleTypeText,
  listingTable,
  parseAct,
  repeatsText,
  runAct,
  simAction,
  whenText,
  type ActCommand,
  type ActDeps,
  type ActIo,
  type ActRunner,
} from '../../../scripts/act.js';
import { eventSchema } from '../../../shared/adapters/google-calendar/google-calendar.wire.js';
import { eventToRecord } from '../../../shared/adapters/google-calendar/google-calendar.mapper.js';
import { activityToRecord } from '../../../shared/adapters/severa/severa.mapper.js';
import { activityModelSchema } from '../../../shared/adapters/severa/severa.wire.js';
import type { Recurrence, RecurrenceRule } from '../../../shared/domain/index.js';
import { simActionSchema } from '../../sim/calendar/actions.js';
import { createCalendarSim } from '../../sim/calendar/calendar-sim.js';
import { createDemoKey, demoFixture as calendarDemo } from '../../sim/calendar/demo-fixture.js';
import { demoFixture as severaDemo } from '../../sim/severa/demo-fixture.js';
import { createSeveraSim, type SeveraSimAction } from '../../sim/severa/index.js';

const dir = mkdtempSync(join(tmpdir(), 'act-test-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function command(argv: readonly string[]): ActCommand {
  return parseAct(argv).command;
}

function refusal(argv: readonly string[]): string {
  try {
    parseAct(argv);
  } catch (error) {
    assert.ok(error instanceof ActUsageError, `an ActUsageError for ${argv.join(' ')}`);
    return error.message;
  }
  assert.fail(`no refusal for: ${argv.join(' ')}`);
}

type Change = Extract<ActCommand, { kind: 'create' | 'update' | 'delete' }>;

function change(argv: readonly string[]): Change {
  const parsed = command(argv);
  assert.ok(parsed.kind === 'create' || parsed.kind === 'update' || parsed.kind === 'delete');
  return parsed;
}

const timed = ['--start', '2026-12-10T22:00', '--end', '2026-12-10T23:00'] as const;

describe('act: parsing', () => {
  it("reads times in the person's zone, or with their own offset, and writes them with the person's offset", () => {
    const ben = change(['severa', 'create', '--as', 'ben', '--title', 'Late call', ...timed]);
    assert.ok(ben.kind === 'create');
    assert.deepEqual(ben.timing, {
      kind: 'timed',
      start: '2026-12-10T22:00:00-05:00',
      end: '2026-12-10T23:00:00-05:00',
    });
    assert.equal(ben.type, 'meeting');
    assert.equal(ben.repeat, null);
    const offset = change([
      'google',
      'create',
      '--as',
      'AINO',
      '--title',
      'T',
      '--start',
      '2026-12-10T08:00Z',
      '--end',
      '2026-12-10T09:00+00:00',
    ]);
    assert.ok(offset.kind === 'create');
    assert.equal(offset.as, PEOPLE.aino);
    assert.deepEqual(offset.timing, {
      kind: 'timed',
      start: '2026-12-10T10:00:00+02:00',
      end: '2026-12-10T11:00:00+02:00',
    });
  });

  it('all-day: --start is the first day, --end the last (default the same day); stored with an exclusive end', () => {
    const one = change([
      'google',
      'create',
      '--as',
      'ben',
      '--title',
      'Off',
      '--all-day',
      '--start',
      '2026-12-24',
    ]);
    assert.ok(one.kind === 'create');
    assert.deepEqual(one.timing, { kind: 'allDay', startDate: '2026-12-24', endDate: '2026-12-25' });
    const three = change([
      'severa',
      'update',
      'g-1',
      '--as',
      'cecilia',
      '--all-day',
      '--start',
      '2026-12-30',
      '--end',
      '2027-01-01',
    ]);
    assert.ok(three.kind === 'update');
    assert.deepEqual(three.timing, { kind: 'allDay', startDate: '2026-12-30', endDate: '2027-01-02' });
  });

  it('series, notes, location, participants, the Personal type and privacy', () => {
    const weekly = change([
      'severa',
      'create',
      '--as',
      'aino',
      '--title',
      'Standup',
      ...timed,
      '--weekly',
      '6',
      '--notes',
      'Agenda: none',
      '--location',
      'Room 1',
      '--with',
      'ben, cecilia,aino,ben',
      '--personal',
    ]);
    assert.ok(weekly.kind === 'create');
    assert.deepEqual(weekly.repeat, { freq: 'weekly', count: 6 });
    assert.equal(weekly.notes, 'Agenda: none');
    assert.equal(weekly.location, 'Room 1');
    assert.deepEqual(weekly.with, [PEOPLE.ben, PEOPLE.cecilia], 'the person and repeats left out');
    assert.equal(weekly.type, 'personal');
    const daily = change([
      'google',
      'create',
      '--as',
      'ben',
      '--title',
      'Run',
      ...timed,
      '--daily=3',
      '--private',
    ]);
    assert.ok(daily.kind === 'create');
    assert.deepEqual(daily.repeat, { freq: 'daily', count: 3 });
    assert.equal(daily.isPrivate, true);
    const typed = change(['severa', 'update', 'g', '--as', 'ben', '--type', 'Customer-Visit']);
    assert.ok(typed.kind === 'update');
    assert.equal(typed.type, 'customer-visit');
    const open = change(['google', 'update', 'e', '--as', 'ben', '--not-private']);
    assert.ok(open.kind === 'update');
    assert.equal(open.isPrivate, false);
  });

  it('update and delete take the id; list and help', () => {
    assert.deepEqual(command(['severa', 'delete', 'g-9', '--as', 'ben']), {
      kind: 'delete',
      side: 'severa',
      id: 'g-9',
      as: PEOPLE.ben,
    });
    const update = change(['google', 'update', 'e-1', '--as', 'ben', '--start', '2026-12-11T09:00']);
    assert.deepEqual(update, {
      kind: 'update',
      side: 'google',
      id: 'e-1',
      as: PEOPLE.ben,
      timing: { kind: 'timed', start: '2026-12-11T09:00:00-05:00' },
    });
    assert.deepEqual(command(['list', '--as', 'cecilia']), { kind: 'list', as: PEOPLE.cecilia });
    for (const argv of [[], ['help'], ['--help'], ['severa', 'create', '-h']]) {
      assert.deepEqual(command(argv), { kind: 'help' }, argv.join(' '));
    }
    assert.deepEqual(parseAct(['list', '--as', 'ben', '--env-file', 'x.env', '--debug']), {
      command: { kind: 'list', as: PEOPLE.ben },
      envFile: 'x.env',
      debug: true,
    });
  });

  it('refuses each mistake in one sentence that names the option or the position, never a value typed', () => {
    const secret = 'pAsTeD-s3cr3t';
    const cases: [readonly string[], string][] = [
      [[`--titel=${secret}`], 'Unknown option --titel: see the options below.'],
      [['list', '--as', 'ben', '-x'], 'Unknown option -x: see the options below.'],
      [['list', '--as', 'ben', '--repeat', secret], 'Unknown option --repeat: see the options below.'],
      [['list', '--as'], '--as needs a value.'],
      [[`--private=${secret}`], '--private takes no value.'],
      [
        ['severa', 'create', '--title', '--as', 'ben'],
        '--title needs a value, not an option; write --title=<value> for a value that starts with "-".',
      ],
      [[secret], 'Unknown side (argument 1): it is severa, google, list or help.'],
      [['severa', secret], 'Unknown action (argument 2) for severa: it is create, update or delete.'],
      [['google'], 'No action for google: it is create, update or delete.'],
      [['severa', 'update', '--as', 'ben'], '"severa update" needs the activity guid.'],
      [['google', 'delete', '--as', 'ben'], '"google delete" needs the event id.'],
      [
        ['google', 'delete', 'e', secret, '--as', 'ben'],
        'Unexpected argument 4: "google delete" takes only the event id.',
      ],
      [
        ['severa', 'create', secret, '--as', 'ben'],
        'Unexpected argument 3: "severa create" takes no id, only options.',
      ],
      [['list', secret, '--as', 'ben'], 'Unexpected argument 2: "list" takes only --as.'],
      [['list'], '--as is needed: one of aino, ben, cecilia.'],
      [['list', '--as', secret], '--as takes one of aino, ben, cecilia.'],
      [['list', '--as', 'ben', '--title', 'x'], '"list" does not take --title.'],
      [['severa', 'delete', 'g', '--as', 'ben', '--title', 'x'], '"severa delete" does not take --title.'],
      [
        ['google', 'create', '--as', 'ben', '--personal'],
        '"google create" does not take --personal (in Google an entry is made private with --private).',
      ],
      [
        ['severa', 'create', '--as', 'ben', '--private'],
        '"severa create" does not take --private (in Severa a private entry has the Personal type: --personal).',
      ],
      [
        ['severa', 'update', 'g', '--as', 'ben', '--not-private'],
        '"severa update" does not take --not-private (in Severa a private entry has the Personal type: --personal).',
      ],
      [
        ['google', 'update', 'e', '--as', 'ben', '--weekly', '3'],
        '"google update" does not take --weekly (a series is made with create).',
      ],
      [['severa', 'create', '--as', 'ben', ...timed], '"severa create" needs --title.'],
      [['severa', 'create', '--as', 'ben', '--title', ' '], '--title needs some text.'],
      [['google', 'create', '--as', 'ben', '--title', 'T'], '"google create" needs --start.'],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', '--start', '2026-12-10T10:00'],
        '"google create" needs --end (or --all-day).',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', '--start', secret, '--end', '2026-12-10T10:00'],
        '--start is not a date-time such as 2026-12-10T10:00 (or 2026-12-10T10:00+02:00); a date alone is for --all-day.',
      ],
      [
        [
          'google',
          'create',
          '--as',
          'ben',
          '--title',
          'T',
          '--start',
          '2026-12-10',
          '--end',
          '2026-12-10T10:00',
        ],
        '--start is not a date-time such as 2026-12-10T10:00 (or 2026-12-10T10:00+02:00); a date alone is for --all-day.',
      ],
      [
        [
          'google',
          'create',
          '--as',
          'ben',
          '--title',
          'T',
          '--start',
          '2026-12-10T11:00',
          '--end',
          '2026-12-10T10:00',
        ],
        '--end is before --start.',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', '--all-day', '--start', '2026-12-10T10:00'],
        '--start is not a date such as 2026-12-10 (with --all-day).',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', '--all-day', '--start', '2026-02-30'],
        '--start is not a date such as 2026-12-10 (with --all-day).',
      ],
      [
        [
          'google',
          'create',
          '--as',
          'ben',
          '--title',
          'T',
          '--all-day',
          '--start',
          '2026-12-10',
          '--end',
          '2026-12-09',
        ],
        '--end is before --start.',
      ],
      [
        ['google', 'update', 'e', '--as', 'ben', '--all-day'],
        '--all-day needs --start, the first day (such as 2026-12-10).',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', ...timed, '--daily', '2', '--weekly', '2'],
        'Give --daily or --weekly, not both.',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', ...timed, '--weekly', '0'],
        '--weekly takes a number of occurrences from 1 to 365.',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', ...timed, '--daily', '366'],
        '--daily takes a number of occurrences from 1 to 365.',
      ],
      [
        ['google', 'create', '--as', 'ben', '--title', 'T', ...timed, '--daily', secret],
        '--daily takes a number of occurrences from 1 to 365.',
      ],
      [
        ['google', 'update', 'e', '--as', 'ben', '--private', '--not-private'],
        'Give --private or --not-private, not both.',
      ],
      [
        ['severa', 'create', '--as', 'ben', '--type', secret],
        '--type takes one of meeting, personal, customer-visit, absence, project-task.',
      ],
      [
        ['severa', 'update', 'g', '--as', 'ben', '--type', 'meeting', '--personal'],
        '--personal is the Personal type: give it or --type, not both.',
      ],
      [
        ['severa', 'create', '--as', 'ben', '--title', 'T', ...timed, '--with', secret],
        '--with takes one of aino, ben, cecilia.',
      ],
      [
        ['google', 'update', 'e', '--as', 'ben'],
        '"google update" needs something to change: --title, --start, --end, --notes, --location, --private, --not-private.',
      ],
      [
        ['severa', 'update', 'g', '--as', 'ben'],
        '"severa update" needs something to change: --title, --start, --end, --notes, --location, --type, --personal.',
      ],
    ];
    for (const [argv, expected] of cases) {
      const message = refusal(argv);
      assert.equal(message, expected, argv.join(' '));
      assert.ok(!message.includes(secret), `no value echoed: ${argv.join(' ')}`);
    }
  });
});

describe('act: what the simulators are sent', () => {
  it("Severa: offsets in the owner's zone, all-day as local midnights, a weekly series on the local weekday", () => {
    // 22:00 on Thursday in New York is Friday in UTC: the series is on Ben's Thursday.
    const weekly = change([
      'severa',
      'create',
      '--as',
      'ben',
      '--title',
      'Late call',
      ...timed,
      '--weekly',
      '4',
    ]);
    assert.deepEqual(simAction(weekly), {
      action: 'create',
      as: PEOPLE.ben.guid,
      activity: {
        name: 'Late call',
        startDateTime: '2026-12-10T22:00:00-05:00',
        endDateTime: '2026-12-10T23:00:00-05:00',
        isAllDay: false,
        activityType: { guid: '22222222-2222-4222-8222-000000000001' },
        ownerUser: { guid: PEOPLE.ben.guid },
        participantGuids: [],
        recurrence: {
          frequency: 'Weekly',
          pattern: { weekly: { interval: 1, thursday: true } },
          range: { maxOccurrences: 4 },
        },
      },
    });
    const allDay = change([
      'severa',
      'update',
      'g-1',
      '--as',
      'aino',
      '--all-day',
      '--start',
      '2026-12-24',
      '--end',
      '2026-12-26',
      '--notes',
      'N',
      '--personal',
    ]);
    assert.deepEqual(simAction(allDay), {
      action: 'update',
      guid: 'g-1',
      as: PEOPLE.aino.guid,
      changes: {
        notes: 'N',
        startDateTime: '2026-12-24T00:00:00+02:00',
        endDateTime: '2026-12-27T00:00:00+02:00',
        isAllDay: true,
        activityTypeGuid: '22222222-2222-4222-8222-000000000002',
      },
    });
    assert.deepEqual(simAction(change(['severa', 'delete', 'g-2', '--as', 'ben'])), {
      action: 'delete',
      guid: 'g-2',
      as: PEOPLE.ben.guid,
    });
  });

  it('Google: dateTime with the zone (a series needs it), date for all-day, RRULE with COUNT, privacy', () => {
    const weekly = change([
      'google',
      'create',
      '--as',
      'ben',
      '--title',
      'Late call',
      ...timed,
      '--weekly',
      '4',
      '--with',
      'aino',
      '--notes',
      'Bring slides',
      '--private',
    ]);
    assert.deepEqual(simAction(weekly), {
      action: 'create',
      as: 'ben@demo.example',
      attendees: ['aino@demo.example'],
      event: {
        summary: 'Late call',
        start: { dateTime: '2026-12-10T22:00:00-05:00', timeZone: 'America/New_York' },
        end: { dateTime: '2026-12-10T23:00:00-05:00', timeZone: 'America/New_York' },
        description: 'Bring slides',
        visibility: 'private',
        recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4'],
      },
    });
    const daily = change([
      'google',
      'create',
      '--as',
      'cecilia',
      '--title',
      'Off',
      '--all-day',
      '--start',
      '2026-12-28',
      '--daily',
      '5',
    ]);
    assert.deepEqual(simAction(daily), {
      action: 'create',
      as: 'cecilia@demo.example',
      event: {
        summary: 'Off',
        start: { date: '2026-12-28' },
        end: { date: '2026-12-29' },
        recurrence: ['RRULE:FREQ=DAILY;COUNT=5'],
      },
    });
    assert.deepEqual(
      simAction(change(['google', 'update', 'e-1', '--as', 'ben', '--not-private', '--title', 'T'])),
      {
        action: 'update',
        as: 'ben@demo.example',
        id: 'e-1',
        changes: { summary: 'T', visibility: 'default' },
      },
    );
  });

  it('the simulators accept what is sent, and the sync reads back what was asked for', () => {
    const severa = createSeveraSim();
    severa.seed(severaDemo);
    const readSevera = (argv: readonly string[]) => {
      const model = severa.act(simAction(change(argv)) as SeveraSimAction);
      assert.ok(model !== null);
      return activityToRecord(activityModelSchema.parse(model), {
        timeZone: 'America/New_York',
        participantGuids: [],
      });
    };
    const series = readSevera([
      'severa',
      'create',
      '--as',
      'ben',
      '--title',
      'Late call',
      ...timed,
      '--weekly',
      '4',
    ]);
    assert.deepEqual(series.content.timing, {
      kind: 'timed',
      start: '2026-12-11T03:00:00Z',
      end: '2026-12-11T04:00:00Z',
      timeZone: 'America/New_York',
    });
    assert.equal(repeatsText(series.content.recurrence), 'weekly on Thu, 4 times');
    const holiday = readSevera([
      'severa',
      'create',
      '--as',
      'ben',
      '--title',
      'Holiday',
      '--all-day',
      '--start',
      '2026-12-24',
      '--end',
      '2026-12-26',
      '--personal',
      '--notes',
      'Away',
    ]);
    assert.deepEqual(holiday.content.timing, {
      kind: 'allDay',
      startDate: '2026-12-24',
      endDate: '2026-12-27',
    });
    assert.equal(holiday.content.isPrivate, true);
    assert.equal(holiday.content.notes, 'Away');
    assert.equal(holiday.activityType.name, 'Personal');

    const calendar = createCalendarSim();
    calendar.seed(calendarDemo(createDemoKey()));
    const readGoogle = (argv: readonly string[]) => {
      const event = eventSchema.parse(calendar.act(simActionSchema.parse(simAction(change(argv)))));
      const record = eventToRecord(event, [], { defaultTimeZone: 'America/New_York' });
      assert.ok(record !== null);
      return record;
    };
    const daily = readGoogle([
      'google',
      'create',
      '--as',
      'ben',
      '--title',
      'Run',
      ...timed,
      '--daily',
      '3',
      '--private',
    ]);
    assert.equal(daily.content.isPrivate, true);
    assert.equal(repeatsText(daily.content.recurrence), 'daily, 3 times');
    assert.equal(whenText(daily.content.timing, PEOPLE.ben.zone), '2026-12-10 Thu 22:00–23:00');
    const off = readGoogle([
      'google',
      'create',
      '--as',
      'ben',
      '--title',
      'Off',
      '--all-day',
      '--start',
      '2026-12-31',
      '--end',
      '2027-01-01',
      '--notes',
      'Skiing',
    ]);
    assert.deepEqual(off.content.timing, { kind: 'allDay', startDate: '2026-12-31', endDate: '2027-01-02' });
    assert.equal(off.content.notes, 'Skiing');
  });
});

describe('act: the listing', () => {
  const rule = (overrides: Partial<RecurrenceRule>): Recurrence => ({
    pattern: {
      kind: 'rule',
      rule: {
        freq: 'weekly',
        interval: 1,
        byWeekday: [],
        byMonthDay: null,
        bySetPos: null,
        byMonth: null,
        end: { kind: 'forever' },
        ...overrides,
      },
    },
    exdates: [],
    overrides: [],
  });

  it('says a series in words', () => {
    assert.equal(repeatsText(null), '-');
    assert.equal(
      repeatsText(rule({ byWeekday: ['MO'], end: { kind: 'count', count: 10 } })),
      'weekly on Mon, 10 times',
    );
    assert.equal(
      repeatsText(
        rule({ interval: 2, byWeekday: ['TU', 'TH'], end: { kind: 'until', until: '2027-03-01' } }),
      ),
      'every 2 weeks on Tue, Thu, until 2027-03-01',
    );
    assert.equal(
      repeatsText(rule({ freq: 'monthly', byWeekday: ['FR'], bySetPos: -1 })),
      'monthly on the last Fri',
    );
    assert.equal(
      repeatsText(rule({ freq: 'yearly', byMonthDay: 24, byMonth: 12 })),
      'yearly on day 24 in Dec',
    );
    assert.equal(
      repeatsText({
        ...rule({ freq: 'daily' }),
        exdates: ['2026-12-01T08:00:00Z', '2026-12-02T08:00:00Z'],
        overrides: [
          {
            originalStart: '2026-12-03T08:00:00Z',
            title: 'x',
            notes: '',
            location: '',
            timing: {
              kind: 'timed',
              start: '2026-12-03T09:00:00Z',
              end: '2026-12-03T10:00:00Z',
              timeZone: 'UTC',
            },
          },
        ],
      }),
      'daily (1 changed, 2 cancelled)',
    );
    assert.equal(
      repeatsText({
        pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=HOURLY'] },
        exdates: [],
        overrides: [],
      }),
      'custom: RRULE:FREQ=HOURLY',
    );
  });

  it("shows times in the person's zone, all-day entries as days, Google's types and privacy", () => {
    const timing = {
      kind: 'timed',
      start: '2026-12-02T07:00:00Z',
      end: '2026-12-02T08:30:00Z',
      timeZone: 'Europe/Helsinki',
    } as const;
    assert.equal(whenText(timing, 'Europe/Helsinki'), '2026-12-02 Wed 09:00–10:30');
    assert.equal(whenText(timing, 'America/New_York'), '2026-12-02 Wed 02:00–03:30');
    assert.equal(
      whenText({ ...timing, start: '2026-12-02T04:00:00Z', end: '2026-12-02T06:00:00Z' }, 'America/New_York'),
      '2026-12-01 Tue 23:00 – 2026-12-02 Wed 01:00',
    );
    assert.equal(
      whenText({ kind: 'allDay', startDate: '2026-12-07', endDate: '2026-12-08' }, 'UTC'),
      '2026-12-07 Mon all day',
    );
    assert.equal(
      whenText({ kind: 'allDay', startDate: '2026-12-24', endDate: '2026-12-27' }, 'UTC'),
      '2026-12-24 Thu – 2026-12-26 Sat all day',
    );
    assert.equal(googleTypeText('default', false), 'event');
    assert.equal(googleTypeText('default', true), 'event, private');
    assert.equal(googleTypeText('outOfOffice', false), 'out of office');
  });

  it('a table, soonest first, the id last so it can be copied', () => {
    const content = {
      title: 'Weekly sync',
      notes: '',
      location: '',
      isPrivate: false,
      timing: {
        kind: 'timed',
        start: '2026-11-02T15:00:00Z',
        end: '2026-11-02T15:30:00Z',
        timeZone: 'America/New_York',
      },
      recurrence: rule({ byWeekday: ['MO'], end: { kind: 'count', count: 10 } }),
    } as const;
    assert.deepEqual(
      listingTable(
        [
          {
            id: '33333333-3333-4333-8333-000000000004',
            type: 'Personal',
            content: {
              ...content,
              title: 'Dentist\nvisit',
              recurrence: null,
              timing: { kind: 'allDay', startDate: '2026-12-04', endDate: '2026-12-05' },
            },
          },
          { id: '33333333-3333-4333-8333-000000000002', type: 'Meeting', content },
        ],
        'America/New_York',
        'GUID',
      ),
      [
        '  WHEN                        TYPE      REPEATS                  TITLE          GUID',
        '  2026-11-02 Mon 10:00–10:30  Meeting   weekly on Mon, 10 times  Weekly sync    33333333-3333-4333-8333-000000000002',
        '  2026-12-04 Fri all day      Personal  -                        Dentist visit  33333333-3333-4333-8333-000000000004',
      ],
    );
    assert.deepEqual(listingTable([], 'UTC', 'GUID'), ['  (nothing)']);
  });
});

/** A port on this machine where nothing listens (it was just free). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

interface Captured extends ActIo {
  text(): string;
  errors(): string;
}

function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    text: () => out.join(''),
    errors: () => err.join(''),
  };
}

/** Loads an env file into the captured environment only (never into this process's). */
function depsFor(io: Captured, root: string, more: Partial<ActDeps> = {}): ActDeps {
  return {
    projectRoot: root,
    loadEnvFile: (path) => {
      Object.assign(io.env, parseEnv(readFileSync(path, 'utf8')));
    },
    run: () => assert.fail('nothing must run'),
    ...more,
  };
}

function stackEnv(root: string, ports: { firestore: number; severa: number; calendar: number }): string {
  mkdirSync(join(root, '.local'), { recursive: true });
  const file = join(root, '.local', 'local-stack-local.env');
  writeFileSync(
    file,
    [
      'GOOGLE_CLOUD_PROJECT=demo-severa-sync',
      `FIRESTORE_EMULATOR_HOST=127.0.0.1:${String(ports.firestore)}`,
      'SECRET_SOURCE=env',
      `SEVERA_API_URL=http://127.0.0.1:${String(ports.severa)}`,
      `GOOGLE_API_ROOT_URL=http://127.0.0.1:${String(ports.calendar)}`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('act: running', () => {
  it('help and usage errors print the usage; usage errors exit 2', async () => {
    const help = capture();
    assert.equal(await runAct(['help'], help, depsFor(help, dir)), EXIT_OK);
    assert.equal(help.text(), USAGE);
    const bad = capture();
    assert.equal(await runAct(['list', '--as', 'ben', '--colour=red'], bad, depsFor(bad, dir)), EXIT_USAGE);
    assert.equal(bad.errors(), `Unknown option --colour: see the options below.\n\n${USAGE}`);
    assert.ok(!bad.errors().includes('red'));
  });

  it('a stack that never ran here, or an env file that is not there, is said in one sentence', async () => {
    const root = mkdtempSync(join(dir, 'never-'));
    const io = capture();
    assert.equal(await runAct(['list', '--as', 'ben'], io, depsFor(io, root)), EXIT_FAILED);
    assert.equal(
      io.errors(),
      'The local stack has not run here (no .local/local-stack-local.env): start it with npm start.\n',
    );
    const named = capture();
    const missing = join(root, 'nope.env');
    assert.equal(
      await runAct(['list', '--as', 'ben', '--env-file', missing], named, depsFor(named, root)),
      EXIT_FAILED,
    );
    assert.equal(
      named.errors(),
      `The env file ${missing} does not exist: pass the one the stack wrote (npm start writes .local/local-stack-local.env).\n`,
    );
  });

  it('a stopped stack is said at once, before any client is built', async () => {
    const root = mkdtempSync(join(dir, 'stopped-'));
    const [firestore, severa, calendar] = [await closedPort(), await closedPort(), await closedPort()];
    stackEnv(root, { firestore, severa, calendar });
    const io = capture();
    const started = Date.now();
    assert.equal(await runAct(['list', '--as', 'ben'], io, depsFor(io, root)), EXIT_FAILED);
    assert.ok(Date.now() - started < 2_000, 'within the probe time');
    assert.equal(
      io.errors(),
      `The local stack is not running (nothing answers at 127.0.0.1:${String(firestore)}, the Firestore emulator): start it with npm start.\n`,
    );
  });

  it('refuses an env file of the real APIs: act works on the simulators', async () => {
    const root = mkdtempSync(join(dir, 'real-'));
    const file = join(root, 'real.env');
    writeFileSync(file, 'GOOGLE_CLOUD_PROJECT=p\nSECRET_SOURCE=env\n');
    const io = capture();
    assert.equal(
      await runAct(['list', '--as', 'ben', '--env-file', file], io, depsFor(io, root)),
      EXIT_FAILED,
    );
    assert.match(
      io.errors(),
      /names no simulators on this machine: act works on the local stack \(npm start\)/,
    );
  });

  it('runs the command when the stack answers; after a create, says how to see both sides', async () => {
    const root = mkdtempSync(join(dir, 'running-'));
    const file = stackEnv(root, { firestore: 1, severa: 2, calendar: 3 });
    const ran: string[] = [];
    const run: ActRunner = (cmd, config, say) => {
      ran.push(`${cmd.kind} ${config.severa.apiUrl}`);
      say('created activity g-1');
      return Promise.resolve();
    };
    const io = capture();
    const deps = depsFor(io, root, { run, probe: () => Promise.resolve(true) });
    const argv = ['severa', 'create', '--as', 'aino', '--title', 'T', ...timed];
    assert.equal(await runAct(argv, io, deps), EXIT_OK);
    assert.deepEqual(ran, ['create http://127.0.0.1:2']);
    assert.equal(io.text(), 'created activity g-1\nsee both sides with: npm run act -- list --as aino\n');
    const other = capture();
    assert.equal(
      await runAct(
        [...argv, '--env-file', file],
        other,
        depsFor(other, root, { run, probe: () => Promise.resolve(true) }),
      ),
      EXIT_OK,
    );
    assert.match(
      other.text(),
      /\nsee both sides with: npm run act -- --env-file \.local\/local-stack-local\.env list --as aino\n$/,
    );
  });

  it('a failure is one sentence; its stack only with --debug', async () => {
    const root = mkdtempSync(join(dir, 'failing-'));
    stackEnv(root, { firestore: 1, severa: 2, calendar: 3 });
    const run: ActRunner = () => Promise.reject(new Error('boom'));
    const io = capture();
    const deps = depsFor(io, root, { run, probe: () => Promise.resolve(true) });
    assert.equal(await runAct(['list', '--as', 'ben'], io, deps), EXIT_FAILED);
    assert.equal(io.errors(), 'Unexpected error (Error: boom). Run again with --debug for details.\n');
    const debug = capture();
    assert.equal(
      await runAct(
        ['list', '--as', 'ben', '--debug'],
        debug,
        depsFor(debug, root, { run, probe: () => Promise.resolve(true) }),
      ),
      EXIT_FAILED,
    );
    assert.match(debug.errors(), /^Unexpected error \(Error: boom\)\.\nError: boom\n {4}at /);
  });
});

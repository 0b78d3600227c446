import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntryContent, SeveraRecord } from '../../../shared/domain/index.js';
import { matchKey } from '../../../shared/sync/matching.js';
import { mergeContent } from '../../../shared/sync/merge.js';
import { dedupeByGuid, routeSeveraChanges } from '../../../shared/sync/org-poll.js';
import { activityTypeForGoogleEntry, severaExclusion } from '../../../shared/sync/rules.js';
import { defaultSettings } from '../../../shared/domain/settings.js';
import { ALL_TYPES, TYPES, USERS, timed } from '../../support/world.js';

const base = timed('Plan', 1, 9);

describe('mergeContent (B6)', () => {
  const cases: {
    name: string;
    google: Partial<EntryContent>;
    severa: Partial<EntryContent>;
    policy?: 'latest-wins' | 'severa-wins' | 'google-wins';
    gMod?: string;
    sMod?: string;
    expect: Partial<EntryContent>;
  }[] = [
    {
      name: 'one side each',
      google: { title: 'G' },
      severa: { location: 'S' },
      expect: { title: 'G', location: 'S' },
    },
    {
      name: 'same change both sides',
      google: { notes: 'x' },
      severa: { notes: 'x' },
      expect: { notes: 'x' },
    },
    {
      name: 'conflict: latest wins (Google later)',
      google: { title: 'G' },
      severa: { title: 'S' },
      gMod: '2026-03-02T10:00:01Z',
      sMod: '2026-03-02T10:00:00Z',
      expect: { title: 'G' },
    },
    {
      name: 'conflict: latest wins (Severa later)',
      google: { title: 'G' },
      severa: { title: 'S' },
      gMod: '2026-03-02T10:00:00Z',
      sMod: '2026-03-02T10:00:01Z',
      expect: { title: 'S' },
    },
    {
      name: 'conflict: tie goes to Severa',
      google: { title: 'G' },
      severa: { title: 'S' },
      expect: { title: 'S' },
    },
    {
      name: 'conflict: google-wins policy',
      google: { title: 'G' },
      severa: { title: 'S' },
      policy: 'google-wins',
      gMod: '2026-03-02T09:00:00Z',
      expect: { title: 'G' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = mergeContent({
        base,
        google: { ...base, ...c.google },
        severa: { ...base, ...c.severa },
        googleModified: c.gMod ?? '2026-03-02T10:00:00Z',
        severaModified: c.sMod ?? '2026-03-02T10:00:00Z',
        policy: c.policy ?? 'latest-wins',
      });
      assert.deepEqual(result.content, { ...base, ...c.expect });
    });
  }

  it('keeps cancellations made on both sides of a series', () => {
    const series = (exdates: string[]): EntryContent => ({
      ...base,
      recurrence: {
        pattern: {
          kind: 'rule',
          rule: {
            freq: 'daily',
            interval: 1,
            byWeekday: [],
            byMonthDay: null,
            bySetPos: null,
            byMonth: null,
            end: { kind: 'count', count: 5 },
          },
        },
        exdates,
        overrides: [],
      },
    });
    const result = mergeContent({
      base: series([]),
      google: series(['2026-03-04T09:00:00Z']),
      severa: series(['2026-03-05T09:00:00Z']),
      googleModified: '2026-03-02T10:00:00Z',
      severaModified: '2026-03-02T10:00:00Z',
      policy: 'latest-wins',
    });
    assert.deepEqual(result.content.recurrence?.exdates, ['2026-03-04T09:00:00Z', '2026-03-05T09:00:00Z']);
  });
});

describe('matchKey (S6)', () => {
  it('matches name case-insensitively and times as instants', () => {
    const other: EntryContent = {
      ...base,
      title: '  PLAN ',
      notes: 'different notes do not matter',
      timing: {
        kind: 'timed',
        start: '2026-03-03T11:00:00+02:00',
        end: '2026-03-03T12:00:00+02:00',
        timeZone: 'Europe/Helsinki',
      },
    };
    assert.equal(matchKey(other), matchKey(base));
    assert.notEqual(matchKey({ ...base, title: 'Plan B' }), matchKey(base));
    assert.notEqual(
      matchKey({
        ...base,
        timing: { ...base.timing, end: '2026-03-03T10:30:00Z' } as EntryContent['timing'],
      }),
      matchKey(base),
    );
  });
});

describe('rules (S3, S4, S5)', () => {
  const settings = defaultSettings({
    activityTypes: ALL_TYPES,
    syncedActivityTypeGuids: [TYPES.meeting.guid, TYPES.personal.guid],
  });
  const record = (over: Partial<SeveraRecord>): SeveraRecord => ({
    guid: 'a1',
    version: '2026-03-02T10:00:00Z',
    content: base,
    activityType: TYPES.meeting,
    ownerGuid: USERS.aino.severaUserGuid,
    participantGuids: [],
    isProjectTask: false,
    createdAt: null,
    createdBy: null,
    ...over,
  });
  const table: [string, Partial<SeveraRecord>, ReturnType<typeof severaExclusion>][] = [
    ['owner, selected type', {}, null],
    ['participant', { ownerGuid: 'someone', participantGuids: [USERS.aino.severaUserGuid] }, null],
    ['neither owner nor participant', { ownerGuid: 'someone' }, 'not-involved'],
    ['category Task', { activityType: TYPES.task }, 'project-task'],
    ['phase or projectTaskStatus set', { isProjectTask: true }, 'project-task'],
    ['type not selected', { activityType: TYPES.sales }, 'type-not-synced'],
  ];
  for (const [name, over, expected] of table) {
    it(`severaExclusion: ${name}`, () => {
      assert.equal(severaExclusion(record(over), USERS.aino.severaUserGuid, settings), expected);
    });
  }

  it('activityTypeForGoogleEntry: Personal for private, user default, else org default', () => {
    assert.equal(activityTypeForGoogleEntry(true, USERS.aino, settings)?.guid, TYPES.personal.guid);
    assert.equal(activityTypeForGoogleEntry(false, USERS.aino, settings)?.guid, TYPES.meeting.guid);
    const userDefault = { ...USERS.aino, defaultActivityTypeGuid: TYPES.sales.guid };
    assert.equal(activityTypeForGoogleEntry(false, userDefault, settings)?.guid, TYPES.sales.guid);
    const noPersonal = defaultSettings({ activityTypes: ALL_TYPES.filter((t) => t.name !== 'Personal') });
    assert.equal(activityTypeForGoogleEntry(true, userDefault, noPersonal)?.guid, TYPES.sales.guid);
  });
});

describe('routing the org-wide change feed (S5)', () => {
  const rec = (guid: string, owner: string, participants: string[], version = '2026-03-02T10:00:00Z') =>
    ({
      guid,
      version,
      content: base,
      activityType: TYPES.meeting,
      ownerGuid: owner,
      participantGuids: participants,
      isProjectTask: false,
      createdAt: null,
      createdBy: null,
    }) satisfies SeveraRecord;

  it('routes to syncing owners, participants and people who still hold a link', () => {
    const routed = routeSeveraChanges(
      [rec('x', 'user-cecilia', ['user-aino']), rec('y', 'user-ben', [])],
      new Set(['user-aino', 'user-ben']),
      new Map([['y', [{ user: 'user-aino' } as never]]]),
    );
    assert.deepEqual([...routed.entries()].map(([u, rs]) => [u, rs.map((r) => r.guid)]).sort(), [
      ['user-aino', ['x', 'y']],
      ['user-ben', ['y']],
    ]);
  });

  it('de-duplicates the overlap of a ≥ watermark, keeping the newest version', () => {
    const out = dedupeByGuid([
      rec('x', 'a', [], '2026-03-02T10:00:00Z'),
      rec('x', 'a', [], '2026-03-02T10:05:00Z'),
    ]);
    assert.deepEqual(
      out.map((r) => r.version),
      ['2026-03-02T10:05:00Z'],
    );
  });
});

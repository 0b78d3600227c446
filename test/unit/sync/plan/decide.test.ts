/**
 * The decision table of SPEC §6 (shared/sync/plan/decide.ts), row by row: one linked pair, its link's state, what
 * each side did since it last synced → the actions planned and what is read first. Called on the pure planner
 * directly, no world: a row that changes meaning fails here by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  contentHash,
  linkKey,
  type GoogleRecord,
  type Link,
  type SeveraChange,
  type SeveraRecord,
} from '../../../../shared/domain/index.js';
import { planSync, type Action, type Plan, type PlanInput } from '../../../../shared/sync/plan/index.js';
import { defaultSettings } from '../../../../shared/domain/settings.js';
import {
  AINO,
  BEN,
  SETTINGS,
  TYPES,
  activity,
  event,
  googleIn,
  linkOf,
  outcome,
  planInput,
  severaIn,
  SIDE_STATES,
  type SideState,
} from './fixtures.js';

const KEY = linkKey(AINO.severaUserGuid, 's1');
const NOBODY_FRESH = { freshSevera: new Set<string>() };
const sales = { guid: TYPES.sales.guid, name: TYPES.sales.name, category: TYPES.sales.category };

interface Row {
  /** The case the row covers, in the words of its comment in decide.ts. */
  readonly name: string;
  readonly google: SideState;
  readonly severa: SideState;
  readonly activity?: Partial<SeveraRecord>;
  readonly event?: Partial<GoogleRecord>;
  readonly link?: Partial<Link>;
  /** Severa's changes as routed, instead of `severa`'s. */
  readonly severaChanges?: (s: SeveraRecord) => SeveraChange[];
  readonly input?: (s: SeveraRecord, g: GoogleRecord, link: Link) => Partial<PlanInput>;
  readonly expect: (g: GoogleRecord) => readonly string[];
}

function plan(row: Row) {
  const s = activity(row.activity);
  const g = event(row.event);
  const link = linkOf(s, g, row.link);
  return planSync(
    planInput({
      links: [link],
      google: { complete: false, changes: googleIn(row.google, g) },
      severa: { changes: row.severaChanges?.(s) ?? severaIn(row.severa, s) },
      ...row.input?.(s, g, link),
    }),
  );
}

/** The plan's one action, of this kind. */
function only<K extends Action['kind']>(result: Plan, kind: K): Extract<Action, { kind: K }> {
  const [action, ...more] = result.actions;
  if (action?.kind !== kind || more.length > 0)
    assert.fail(`expected one ${kind}: ${outcome(result).join('; ')}`);
  return action as Extract<Action, { kind: K }>;
}

function table(rows: readonly Row[]): void {
  for (const row of rows) {
    it(`${row.name} [Google ${row.google}, Severa ${row.severa}]`, () => {
      assert.deepEqual(outcome(plan(row)), row.expect(event(row.event)));
    });
  }
}

/** The outcomes of the grid below, each named by its case in SPEC §6. */
const CASES = {
  /** Unchanged on both sides (or no news) → nothing to do. */
  nothing: [],
  /** A new version with unchanged content (an echo of our own write) → only the link learns the version. */
  learns: ['update (writes nothing): new version, same content'],
  /** Changed in Google only → update Severa. */
  toSevera: ['update (writes Severa): changed in Google'],
  /** Changed in Severa only → update Google. */
  toGoogle: ['update (writes Google): changed in Severa'],
  /** Changed on both sides → field-level three-way merge (B6), both written. */
  merged: ['update (writes Severa and Google): changed on both sides: merged'],
  /** Deleted in Severa, unchanged in Google → delete the event. */
  deleteEvent: ['delete-google: deleted in Severa'],
  /** Deleted in Google, unchanged in Severa → delete the activity. */
  deleteActivity: ['delete-severa activity: deleted in Google'],
  /** Deleted in Google, the activity not read in this run → read it first. */
  readActivity: ['read Severa s1'],
  /** Deleted in Google but changed in Severa → the change wins: the Google copy is re-created. */
  recreateEvent: ['create-google: deleted in Google but changed in Severa: re-created'],
  /** Deleted in Severa but changed in Google → the change wins: the activity is re-created. */
  recreateActivity: ['create-severa type-meeting: deleted in Severa but changed in Google: re-created'],
  /** Gone from both sides → drop the link. */
  unlink: ['unlink: deleted on both sides'],
} as const satisfies Record<string, readonly string[]>;

/** SPEC §6 as a grid: a row per state of the Google side (left), a column per state of the Severa side (top). */
// prettier-ignore
const GRID: Readonly<Record<SideState, readonly (keyof typeof CASES)[]>> = {
  //         absent           same              churn             changed          deleted
  absent:  ['nothing',       'nothing',        'learns',         'toGoogle',      'deleteEvent'],
  same:    ['nothing',       'nothing',        'learns',         'toGoogle',      'deleteEvent'],
  churn:   ['learns',        'learns',         'learns',         'toGoogle',      'deleteEvent'],
  changed: ['toSevera',      'toSevera',       'toSevera',       'merged',        'recreateActivity'],
  deleted: ['readActivity',  'deleteActivity', 'deleteActivity', 'recreateEvent', 'unlink'],
};

describe('decide: a linked pair by what each side did (SPEC §6, the whole grid)', () => {
  table(
    SIDE_STATES.flatMap((google) =>
      SIDE_STATES.map((severa, column): Row => {
        const outcomeName = GRID[google][column]!;
        return { name: outcomeName, google, severa, expect: () => CASES[outcomeName] };
      }),
    ),
  );
});

describe('decide: the link’s own state comes first', () => {
  table([
    {
      name: 'its deletion is held (B3) → nothing is read or planned for it',
      google: 'deleted',
      severa: 'same',
      input: () => ({ frozen: new Set([KEY]) }),
      expect: () => [],
    },
    {
      name: 'a routed record with our last version but other content → read it fresh',
      google: 'same',
      severa: 'changed',
      severaChanges: (s) => [
        { kind: 'upsert', record: { ...s, content: { ...s.content, notes: 'Older?' } } },
      ],
      input: () => NOBODY_FRESH,
      expect: () => ['read Severa s1'],
    },
    {
      name: 'a released pair lost one side → forget it',
      google: 'deleted',
      severa: 'same',
      link: { dormant: true },
      expect: () => ['unlink: released pair: one side deleted'],
    },
    {
      name: 'a released pair, its activity still excluded → nothing flows',
      google: 'same',
      severa: 'changed',
      activity: { ownerGuid: BEN },
      link: { dormant: true, origin: 'google' },
      expect: () => [],
    },
    {
      name: 'a released pair, no news from Severa → nothing flows',
      google: 'changed',
      severa: 'absent',
      link: { dormant: true, origin: 'google' },
      expect: () => [],
    },
    {
      name: 'a released pair whose activity belongs here again, nothing changed → it resumes',
      google: 'same',
      severa: 'same',
      link: { dormant: true, origin: 'google' },
      expect: () => ['update (writes nothing): released pair resumed'],
    },
    {
      name: 'the user was taken off the activity, our copy → the copy is removed',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      expect: () => ['delete-google: excluded: not-involved'],
    },
    {
      name: 'the user was taken off the activity, our copy already gone → the pair ends',
      google: 'deleted',
      severa: 'same',
      activity: { ownerGuid: BEN },
      expect: () => ['unlink: excluded: not-involved'],
    },
    {
      name: 'the user was taken off the activity, the person’s own event → the pair is released',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { origin: 'google' },
      expect: () => ['release: excluded: not-involved'],
    },
    {
      name: 'the activity became a project task, our copy → the copy is removed',
      google: 'same',
      severa: 'same',
      activity: { isProjectTask: true },
      expect: () => ['delete-google: excluded: project-task'],
    },
    {
      name: 'the activity’s type was deselected, our copy → the copy is removed',
      google: 'same',
      severa: 'same',
      activity: { activityType: sales },
      expect: () => ['delete-google: excluded: type-not-synced'],
    },
    {
      name: 'a type not synced to Google, on a pair from Google → changes still flow',
      google: 'same',
      severa: 'changed',
      activity: { activityType: sales },
      link: { origin: 'google' },
      expect: () => ['update (writes Google): changed in Severa'],
    },
    {
      name: 'our copy’s creation was not confirmed → read the event to know',
      google: 'absent',
      severa: 'same',
      link: { pendingInsert: true },
      expect: (g) => [`read Google ${g.id}`],
    },
    {
      name: 'our copy never came to be → create it again (no deletion by the person)',
      google: 'deleted',
      severa: 'same',
      link: { pendingInsert: true },
      expect: () => ['create-google: an unconfirmed copy did not exist: created'],
    },
    {
      name: 'our copy never came to be, the activity not freshly read → read it first',
      google: 'deleted',
      severa: 'same',
      link: { pendingInsert: true },
      input: () => NOBODY_FRESH,
      expect: () => ['read Severa s1'],
    },
  ]);
});

describe('decide: deleted in Google, the activity still there', () => {
  table([
    {
      name: 'changed in Severa as a poll saw it → read it first',
      google: 'deleted',
      severa: 'changed',
      input: () => NOBODY_FRESH,
      expect: () => ['read Severa s1'],
    },
    {
      name: 'unchanged, but not freshly read → read it first',
      google: 'deleted',
      severa: 'same',
      input: () => NOBODY_FRESH,
      expect: () => ['read Severa s1'],
    },
    {
      name: 'changed in Severa, of a type that does not go to Google (pair from Google) → the pair ends',
      google: 'deleted',
      severa: 'changed',
      activity: { activityType: sales },
      link: { origin: 'google' },
      expect: () => ['unlink: deleted in Google; not re-created (type-not-synced)'],
    },
    {
      name: 'changed in Severa, an occurrence of a fallback series → no standalone copy: deleted',
      google: 'deleted',
      severa: 'changed',
      event: { id: 'series1_20260304T090000Z' },
      expect: () => ['delete-severa activity: deleted in Google'],
    },
    {
      name: 'changed in Severa, a person’s activity matched with an occurrence (S6) → its own copy is made',
      google: 'deleted',
      severa: 'changed',
      event: { id: 'series1_20260304T090000Z' },
      link: { origin: 'matched' },
      expect: () => ['create-google: deleted in Google but changed in Severa: re-created'],
    },
    {
      name: 'others take part in the activity, who of them syncs is not known → learn that first',
      google: 'deleted',
      severa: 'same',
      activity: { participantGuids: [BEN] },
      input: () => ({ peersKnown: new Set<string>() }),
      expect: () => ['read the attendees of s1'],
    },
    {
      name: 'a shared meeting from Google, deleted by its owner → handed to another syncing attendee',
      google: 'deleted',
      severa: 'same',
      activity: { participantGuids: [BEN] },
      link: { origin: 'google' },
      input: (_s, _g, link) => ({ peerLinks: [{ ...link, user: BEN, googleId: 'ben-copy' }] }),
      expect: () => [
        `delete-severa participation to ${BEN}: deleted in Google by one attendee of a shared meeting`,
      ],
    },
    {
      name: 'a meeting matched with the owner’s own activity (S6), which another attendee joined → handed over',
      google: 'deleted',
      severa: 'same',
      activity: { participantGuids: [BEN] },
      link: { origin: 'matched' },
      input: (_s, _g, link) => ({ peerLinks: [{ ...link, user: BEN, googleId: 'ben-copy' }] }),
      expect: () => [
        `delete-severa participation to ${BEN}: deleted in Google by one attendee of a shared meeting`,
      ],
    },
    {
      name: 'the owner’s activity our copy was made from, another attendee syncing it too → deleted (S5)',
      google: 'deleted',
      severa: 'same',
      activity: { participantGuids: [BEN] },
      link: { origin: 'severa' },
      input: (_s, _g, link) => ({ peerLinks: [{ ...link, user: BEN, googleId: 'ben-copy' }] }),
      expect: () => ['delete-severa activity: deleted in Google'],
    },
    {
      name: 'the user only takes part → leaves the activity',
      google: 'deleted',
      severa: 'same',
      activity: { ownerGuid: BEN, participantGuids: [AINO.severaUserGuid] },
      expect: () => ['delete-severa participation: deleted in Google'],
    },
  ]);
});

describe('decide: deleted in Severa', () => {
  table([
    {
      name: 'while the series’ dates are kept apart in Google → read the event to re-create it',
      google: 'absent',
      severa: 'deleted',
      link: { datesApart: true },
      expect: (g) => [`read Google ${g.id}`],
    },
    {
      name: 'changed in Google, no activity type to create it with → a problem for a person',
      google: 'changed',
      severa: 'deleted',
      input: () => ({
        settings: defaultSettings({ ...SETTINGS, activityTypes: [{ ...TYPES.meeting, isDefault: false }] }),
      }),
      expect: () => ['problem: no activity type'],
    },
  ]);
});

describe('decide: a held deletion a person rejected (B3)', () => {
  table([
    {
      name: 'the event went, the activity stays → the event is made again',
      google: 'absent',
      severa: 'same',
      input: () => ({ restore: new Map([[KEY, 'severa' as const]]) }),
      expect: () => ['create-google: held deletion rejected: the event is made again'],
    },
    {
      name: 'the event went, the activity not freshly read → read it first',
      google: 'absent',
      severa: 'same',
      input: () => ({ restore: new Map([[KEY, 'severa' as const]]), ...NOBODY_FRESH }),
      expect: () => ['read Severa s1'],
    },
    {
      name: 'the activity went, the event stays → the activity is made again',
      google: 'same',
      severa: 'absent',
      input: () => ({ restore: new Map([[KEY, 'google' as const]]) }),
      expect: () => ['create-severa type-meeting: held deletion rejected: the activity is made again'],
    },
    {
      name: 'gone on both sides → the pair ends',
      google: 'absent',
      severa: 'deleted',
      input: () => ({ restore: new Map([[KEY, 'severa' as const]]) }),
      expect: () => ['unlink: held deletion rejected: gone on both sides'],
    },
    {
      name: 'the entry that went is there after all → planned as usual',
      google: 'same',
      severa: 'changed',
      input: () => ({ restore: new Map([[KEY, 'severa' as const]]) }),
      expect: () => ['update (writes Google): changed in Severa'],
    },
  ]);
});

describe('decide: a pairing the run did not finish (Link.pendingPair)', () => {
  const onIt = { ownerGuid: BEN, participantGuids: [AINO.severaUserGuid] };
  table([
    {
      name: 'joined → the two are paired as strangers',
      google: 'same',
      severa: 'same',
      activity: onIt,
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['update new pair (writes nothing): paired with the meeting (B5)'],
    },
    {
      name: 'not joined yet → join again',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['join-severa s1: joining the meeting again (B5)'],
    },
    {
      name: 'taken off an adopted activity since → released',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { pendingPair: 'adopt', origin: 'google' },
      expect: () => ['release: adopting: no longer on the activity'],
    },
    {
      name: 'matched by content (S6), still on the activity → the two are paired as strangers',
      google: 'same',
      severa: 'same',
      activity: onIt,
      link: { pendingPair: 'match', origin: 'google' },
      expect: () => ['update new pair (writes nothing): matched by name, start, end and recurrence (S6)'],
    },
    {
      name: 'taken off a matched activity since → released',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { pendingPair: 'match', origin: 'google' },
      expect: () => ['release: matching: no longer on the activity'],
    },
    {
      name: 'joined, refused by Google for good, then taken off → released',
      google: 'same',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { pendingPair: 'join', origin: 'google' },
      input: (_s, g) => ({ refused: new Map([[`google:${g.id}`, `${contentHash(g.content)}|join:s1`]]) }),
      expect: () => ['release: joined, refused by Google, then taken off the activity'],
    },
    {
      name: 'the activity went while joining → the event comes to Severa anew',
      google: 'same',
      severa: 'deleted',
      activity: onIt,
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['create-severa type-meeting: joining a deleted activity: created anew'],
    },
    {
      name: 'the activity became a project task while joining → released',
      google: 'same',
      severa: 'same',
      activity: { ...onIt, isProjectTask: true },
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['release: joining: the activity became a project task'],
    },
    {
      name: 'the person deleted the event, the join never happened → forgotten',
      google: 'deleted',
      severa: 'same',
      activity: { ownerGuid: BEN },
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['unlink: joining: deleted in Google'],
    },
    {
      name: 'the person deleted the event after joining → leaves the activity',
      google: 'deleted',
      severa: 'same',
      activity: onIt,
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['delete-severa participation: joining: deleted in Google'],
    },
    {
      name: 'the person deleted the event, the activity was handed to them → its copy is made again',
      google: 'deleted',
      severa: 'same',
      link: { pendingPair: 'join', origin: 'google' },
      expect: () => ['create-google: joining: deleted in Google, the activity is kept'],
    },
  ]);
});

describe('decide: what a row writes', () => {
  const row = (google: SideState, severa: SideState): Row => ({ name: '', google, severa, expect: () => [] });

  it('merges both sides’ changes field by field (B6)', () => {
    const update = only(plan(row('changed', 'changed')), 'update');
    assert.equal(update.content.location, 'Room G');
    assert.equal(update.content.notes, 'Agenda');
  });

  it('deletes the event against the etag it was read with, else the one the link knows', () => {
    assert.equal(only(plan(row('churn', 'deleted')), 'delete-google').etag, '"e2"');
    assert.equal(only(plan(row('absent', 'deleted')), 'delete-google').etag, '"e1"');
  });

  it('notes a kept-apart series on every run, even one where nothing changes (SPEC §11)', () => {
    const result = plan({ ...row('absent', 'same'), link: { datesApart: true } });
    assert.deepEqual(result.actions, []);
    assert.deepEqual(
      result.notes.map((n) => [n.kind, n.title, n.severaGuid]),
      [['dates-kept-apart', 'Workshop', 's1']],
    );
  });

  it('re-creates the Google copy in place of the pair it replaces', () => {
    const created = only(plan(row('deleted', 'changed')), 'create-google');
    assert.deepEqual(created.replaces, linkOf(activity(), event()));
  });
});

/**
 * Items without a link (shared/sync/plan/match-unlinked.ts), row by row: the unlinked events and activities in a
 * run, and the links around them → what is planned. Called on the pure planner directly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type {
  GoogleChange,
  GoogleRecord,
  Link,
  SeveraChange,
  SeveraRecord,
} from '../../../../shared/domain/index.js';
import { planSync, type PlanInput } from '../../../../shared/sync/plan/index.js';
import { defaultSettings } from '../../../../shared/domain/settings.js';
import {
  AINO,
  BEN,
  SETTINGS,
  TYPES,
  activity,
  entry,
  event,
  linkOf,
  outcome,
  planInput,
} from './fixtures.js';

/** A person's own event (not our copy), by default at the same time and with the same title as `activity()`. */
function own(over: Partial<GoogleRecord> = {}): GoogleRecord {
  return event({ id: 'own1', iCalUID: 'ical-own1', severaGuid: null, ...over });
}

/** Another syncing attendee's link to the meeting `iCalUID`, held in Severa by `severaGuid`. */
function peerLink(severaGuid: string, iCalUID: string): Link {
  return { ...linkOf(activity({ guid: severaGuid }), own({ id: 'ben-copy', iCalUID })), user: BEN };
}

interface Row {
  readonly name: string;
  readonly google?: readonly GoogleRecord[];
  readonly severa?: readonly SeveraRecord[];
  readonly links?: readonly Link[];
  readonly input?: Partial<PlanInput>;
  readonly expect: readonly string[];
}

function planOf(row: Row) {
  return planSync(
    planInput({
      links: row.links ?? [],
      google: {
        complete: false,
        changes: (row.google ?? []).map((record): GoogleChange => ({ kind: 'upsert', record })),
      },
      severa: { changes: (row.severa ?? []).map((record): SeveraChange => ({ kind: 'upsert', record })) },
      ...row.input,
    }),
  );
}

const rows: readonly Row[] = [
  {
    name: 'new in Google → created in Severa with the default type (S4)',
    google: [own()],
    expect: ['create-severa type-meeting: new in Google'],
  },
  {
    name: 'new in Google, private → created with the Personal type (S4)',
    google: [own({ content: { ...entry(), isPrivate: true } })],
    expect: ['create-severa type-personal: new in Google'],
  },
  {
    name: 'new in Google, no type to create it with → a problem for a person, said once',
    google: [own(), own({ id: 'own2', content: entry('Lunch') })],
    input: {
      settings: defaultSettings({ ...SETTINGS, activityTypes: [{ ...TYPES.meeting, isDefault: false }] }),
    },
    expect: ['problem: no activity type'],
  },
  {
    name: 'new in Google, ended more than pastDays ago → not synced (S6)',
    google: [own({ content: entry('Old', -40) })],
    expect: [],
  },
  {
    name: 'new in Severa → the Google copy, under its deterministic id (B4)',
    severa: [activity()],
    expect: ['create-google: new in Severa'],
  },
  {
    name: 'new in Severa as a poll saw it → read it first (a deleted activity is never brought back)',
    severa: [activity()],
    input: { freshSevera: new Set<string>() },
    expect: ['read Severa s1'],
  },
  {
    name: 'new in Severa, ended more than pastDays ago → not synced (S6)',
    severa: [activity({ content: entry('Old', -40) })],
    expect: [],
  },
  {
    name: 'new in Severa, of a type the admin did not select → not copied (S3)',
    severa: [activity({ activityType: { ...TYPES.sales } })],
    expect: [],
  },
  {
    name: 'new in Severa, a project task → not copied (S3)',
    severa: [activity({ isProjectTask: true })],
    expect: [],
  },
  {
    name: 'new in Severa, the user neither owns nor takes part → not copied (S5)',
    severa: [activity({ ownerGuid: BEN })],
    expect: [],
  },
  {
    name: 'new in Severa, newly shared with this user → copied (S5)',
    severa: [activity({ ownerGuid: BEN, participantGuids: [AINO.severaUserGuid] })],
    expect: ['create-google: new in Severa'],
  },
  {
    name: 'new in Severa, another attendee’s link names the meeting → the copy adopts its iCalUID (B5)',
    severa: [activity()],
    input: { peerLinks: [peerLink('s1', 'ical-meet')] },
    expect: ['create-google adopting ical-meet: new in Severa'],
  },
  {
    name: 'the same entry on both sides without a link (initial sync) → linked, not duplicated (S6)',
    google: [own()],
    severa: [activity()],
    expect: ['update new pair (writes nothing): matched by name, start, end and recurrence (S6)'],
  },
  {
    name: 'two events match one activity → the first by id is linked, the other is new',
    google: [own({ id: 'own2' }), own()],
    severa: [activity()],
    expect: [
      'update new pair (writes nothing): matched by name, start, end and recurrence (S6)',
      'create-severa type-meeting: new in Google',
    ],
  },
  {
    name: 'our own copy whose link was lost → paired, never duplicated (B4)',
    google: [event()],
    severa: [activity()],
    expect: ['update new pair (writes nothing): recovered our copy by its severaGuid'],
  },
  {
    name: 'our copy (link lost) of an activity known only from the inbox → the activity is read first; nothing else',
    google: [event()],
    severa: [activity()],
    input: { freshSevera: new Set<string>() },
    expect: ['read Severa s1'],
  },
  {
    name: 'our copy (link lost) of an activity out of this calendar, known only from the inbox → read first',
    google: [event()],
    severa: [activity({ ownerGuid: BEN })],
    input: { freshSevera: new Set<string>() },
    expect: ['read Severa s1'],
  },
  {
    name: 'our copy (link lost) of an activity no longer in this calendar → the copy is removed',
    google: [event()],
    severa: [activity({ ownerGuid: BEN })],
    expect: ['delete-google: stale copy: not-involved'],
  },
  {
    name: 'our copy (link lost) of an activity paired with another event here → the copy is removed',
    google: [event()],
    severa: [activity()],
    links: [linkOf(activity(), own({ id: 'other' }))],
    expect: ['delete-google: stale copy: the activity is paired with another event'],
  },
  {
    name: 'our copy of an activity that no longer exists → the person’s own event now: brought to Severa',
    google: [event()],
    expect: ['create-severa type-meeting: new in Google'],
  },
  {
    name: 'a meeting another syncing attendee already brought to Severa → joined, not copied (B5)',
    google: [own({ iCalUID: 'ical-meet' })],
    input: { peerLinks: [peerLink('s9', 'ical-meet')] },
    expect: ['join-severa s9: meeting already in Severa (B5)'],
  },
  {
    name: 'the shared meeting’s activity already lists this user → paired with it (B5)',
    google: [own({ iCalUID: 'ical-meet' })],
    severa: [activity({ guid: 's9', ownerGuid: BEN, participantGuids: [AINO.severaUserGuid] })],
    input: { peerLinks: [peerLink('s9', 'ical-meet')] },
    expect: ['update new pair (writes nothing): meeting already in Severa (B5)'],
  },
];

describe('match-unlinked: items without a link', () => {
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(outcome(planOf(row)), row.expect);
    });
  }

  it('pairs a recovered copy with Severa’s side as the change (the copy was written from Severa)', () => {
    const s = activity({ content: { ...entry(), notes: 'Severa’s news' } });
    const [pair] = planOf({ name: '', google: [event()], severa: [s], expect: [] }).actions;
    assert.ok(pair?.kind === 'update');
    assert.deepEqual(pair.content, s.content);
    assert.equal(pair.origin, 'severa');
  });
});

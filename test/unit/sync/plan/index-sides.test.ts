/**
 * The first phase (shared/sync/plan/index-sides.ts): both sides indexed, other attendees' links by meeting, and
 * what a full Google listing says of the linked events it does not hold (B3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { linkKey, type GoogleChange, type Link, type SeveraChange } from '../../../../shared/domain/index.js';
import { indexSides, type IndexInput } from '../../../../shared/sync/plan/index-sides.js';
import { AINO, BEN, NOW, SETTINGS, activity, entry, event, linkOf } from './fixtures.js';

const DAY_MS = 86_400_000;

function indexOf(over: Partial<IndexInput>) {
  return indexSides({
    user: AINO,
    links: [],
    google: { complete: false, changes: [] },
    severa: { changes: [] },
    peerLinks: [],
    confirmDeletions: false,
    cutoffMs: Date.parse(NOW) - SETTINGS.pastDays * DAY_MS,
    horizonMs: Date.parse(NOW) + SETTINGS.futureDays * DAY_MS,
    ...over,
  });
}

const pairs = ['s1', 's2', 's3'].map((guid) => {
  const s = activity({ guid });
  return linkOf(s, event({ id: `ev${guid}`, iCalUID: `ical-${guid}`, severaGuid: guid }));
});
const keys = (links: readonly Link[]) => links.map((l) => linkKey(l.user, l.severaGuid));

describe('index-sides: Severa’s records and confirmed deletions', () => {
  it('keeps live records by guid and deletions apart', () => {
    const changes: SeveraChange[] = [
      { kind: 'upsert', record: activity({ guid: 's1' }) },
      { kind: 'deleted', guid: 's2' },
    ];
    const sides = indexOf({ severa: { changes } });
    assert.deepEqual([...sides.severaLive.keys()], ['s1']);
    assert.deepEqual([...sides.severaDeleted], ['s2']);
  });
});

describe('index-sides: other attendees’ links (B5)', () => {
  const peer = (over: Partial<Link>): Link => ({ ...pairs[0]!, user: BEN, ...over });
  const rows: readonly {
    name: string;
    links: readonly Link[];
    deleted?: readonly string[];
    expect: { iCal: string[]; severa: string[]; occurrences: string[]; masters: string[] };
  }[] = [
    {
      name: 'a meeting by its iCalUID and its activity by guid',
      links: [peer({ googleId: 'ben1', iCalUID: 'ical-m' })],
      expect: { iCal: ['ical-m'], severa: ['s1'], occurrences: [], masters: [] },
    },
    {
      name: 'the user’s own links are no peers',
      links: [peer({ user: AINO.severaUserGuid })],
      expect: { iCal: [], severa: [], occurrences: [], masters: [] },
    },
    {
      name: 'an activity known to be gone is no meeting to join',
      links: [peer({ googleId: 'ben1' })],
      deleted: ['s1'],
      expect: { iCal: [], severa: [], occurrences: [], masters: [] },
    },
    {
      name: 'a meeting held as occurrences: each by its instance id, and its master',
      links: [peer({ googleId: 'm1_20260304T090000Z', iCalUID: 'ical-m' })],
      expect: { iCal: [], severa: ['s1'], occurrences: ['m1_20260304T090000Z'], masters: ['m1'] },
    },
    {
      name: 'the first link of a meeting wins',
      links: [
        peer({ googleId: 'ben1', iCalUID: 'ical-m' }),
        peer({ googleId: 'cec1', iCalUID: 'ical-m', user: 'c' }),
      ],
      expect: { iCal: ['ical-m'], severa: ['s1'], occurrences: [], masters: [] },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const sides = indexOf({
        peerLinks: row.links,
        severa: { changes: (row.deleted ?? []).map((guid): SeveraChange => ({ kind: 'deleted', guid })) },
      });
      const { peers } = sides;
      assert.deepEqual(
        {
          iCal: [...peers.byICalUID.keys()],
          severa: [...peers.bySevera.keys()],
          occurrences: [...peers.byOccurrence.keys()],
          masters: [...peers.occurrenceMasters],
        },
        row.expect,
      );
    });
  }
});

describe('index-sides: the first of several attendees’ links to one meeting', () => {
  it('is the one a meeting is found by', () => {
    const first = { ...pairs[0]!, user: BEN, googleId: 'ben1', iCalUID: 'ical-m' };
    const second = { ...first, user: 'user-cecilia', googleId: 'cec1' };
    const { peers } = indexOf({ peerLinks: [first, second] });
    assert.equal(peers.byICalUID.get('ical-m'), first);
    assert.equal(peers.bySevera.get('s1'), first);
  });
});

describe('index-sides: what a full Google listing says of linked events it does not hold', () => {
  const listed = (...ids: string[]): GoogleChange[] =>
    ids.map((id): GoogleChange => ({ kind: 'upsert', record: event({ id, severaGuid: null }) }));
  const rows: readonly {
    name: string;
    input: Partial<IndexInput>;
    deleted: readonly string[];
    held: readonly string[];
  }[] = [
    {
      name: 'a delta listing: absence means unchanged',
      input: { google: { complete: false, changes: listed('evs1') } },
      deleted: [],
      held: [],
    },
    {
      name: 'a full listing: a linked event inside the window and absent was deleted',
      input: { google: { complete: true, changes: listed('evs1') } },
      deleted: ['evs2', 'evs3'],
      held: [],
    },
    {
      name: 'a full listing: absence outside the window says nothing',
      input: {
        links: [pairs[0]!, { ...pairs[1]!, base: entry('Old', -40) }],
        google: { complete: true, changes: listed('other') },
      },
      deleted: ['evs1'],
      held: [],
    },
    {
      name: 'an empty full listing is never "everything was deleted": those pairs are held (B3)',
      input: { google: { complete: true, changes: [] } },
      deleted: [],
      held: ['evs1', 'evs2', 'evs3'],
    },
    {
      name: 'an empty full listing the user confirmed → deleted',
      input: { google: { complete: true, changes: [] }, confirmDeletions: true },
      deleted: ['evs1', 'evs2', 'evs3'],
      held: [],
    },
    {
      name: 'a pair already held stays held, and is not taken for deleted',
      input: { google: { complete: true, changes: listed('evs1') }, frozen: new Set(keys([pairs[2]!])) },
      deleted: ['evs2'],
      held: [],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const sides = indexOf({ links: pairs, ...row.input });
      assert.deepEqual([...sides.googleDeleted].sort(), [...row.deleted]);
      assert.deepEqual(
        sides.emptyListingHeld.map((h) => h.link.googleId),
        row.held,
      );
      for (const h of sides.emptyListingHeld) {
        assert.equal(h.side, 'severa');
        assert.equal(h.confirmed, false);
      }
      const frozenNow = pairs.filter((l) => row.held.includes(l.googleId));
      for (const key of keys(frozenNow)) assert.ok(sides.frozen.has(key), `${key} is frozen`);
    });
  }
});

describe('index-sides: Google events the sync leaves out', () => {
  it('counts unlinked events of a left-out kind by eventType, and does not index them', () => {
    const sides = indexOf({
      google: {
        complete: false,
        changes: [
          { kind: 'upsert', record: event({ id: 'wl1', severaGuid: null, eventType: 'workingLocation' }) },
          { kind: 'upsert', record: event({ id: 'b1', severaGuid: null, eventType: 'birthday' }) },
          { kind: 'upsert', record: event({ id: 'wl2', severaGuid: null, eventType: 'workingLocation' }) },
        ],
      },
    });
    assert.deepEqual(sides.leftOut, { workingLocation: 2, birthday: 1 });
    assert.equal(sides.googleLive.size, 0);
  });
});

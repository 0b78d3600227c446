/**
 * Entries a side refused for good (shared/sync/plan/refusals.ts, issue 9 #8): the key and fingerprint each action
 * is remembered by, and the plan without what would only be refused again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { contentHash, deleteExpectationOf } from '../../../../shared/domain/index.js';
import {
  refusalOf,
  type Action,
  type CreateGoogleAction,
  type CreateSeveraAction,
  type JoinSeveraAction,
} from '../../../../shared/sync/plan/index.js';
import { dropRefused } from '../../../../shared/sync/plan/refusals.js';
import { pairAction } from '../../../../shared/sync/plan/pair.js';
import { AINO, SETTINGS, activity, entry, event, linkOf } from './fixtures.js';

const s = activity();
const g = event({ id: 'own1', severaGuid: null, content: entry('From Google') });
const link = linkOf(s, event());
const createSevera: CreateSeveraAction = {
  kind: 'create-severa',
  google: g,
  activityTypeGuid: 't',
  replaces: null,
  why: 'x',
};
const recreateSevera: CreateSeveraAction = { ...createSevera, replaces: link };
const join: JoinSeveraAction = { kind: 'join-severa', google: g, severaGuid: 's9', replaces: null, why: 'x' };
const createGoogle: CreateGoogleAction = {
  kind: 'create-google',
  severa: s,
  googleId: 'sv1',
  adoptICalUID: null,
  replaces: null,
  why: 'x',
};
const update = pairAction(s, g, 'matched', 'x', AINO, SETTINGS);

describe('refusals: what each action is remembered by', () => {
  const rows: readonly { name: string; action: Action; expect: ReturnType<typeof refusalOf> }[] = [
    {
      name: 'an event brought to Severa: by the event and its content',
      action: createSevera,
      expect: {
        key: 'google:own1',
        fingerprint: contentHash(g.content),
        title: 'From Google',
        side: 'severa',
      },
    },
    {
      name: 'a join: by the event, its content and the activity joined',
      action: join,
      expect: {
        key: 'google:own1',
        fingerprint: `${contentHash(g.content)}|join:s9`,
        title: 'From Google',
        side: 'severa',
      },
    },
    {
      name: 'an activity copied to Google: by the activity and its content',
      action: createGoogle,
      expect: { key: 'severa:s1', fingerprint: contentHash(s.content), title: 'Workshop', side: 'google' },
    },
    {
      name: 'an update: by the pair and both sides’ hashes, on the side it writes',
      action: update,
      expect: {
        key: 'pair:s1',
        fingerprint: `${update.google.hash}|${update.severa.hash}`,
        title: update.content.title,
        side: update.severa.write === null ? 'google' : 'severa',
      },
    },
    { name: 'a release concerns no refusal', action: { kind: 'release', link, why: 'x' }, expect: null },
    { name: 'an unlink concerns no refusal', action: { kind: 'unlink', link, why: 'x' }, expect: null },
    {
      name: 'a deletion concerns no refusal',
      action: { kind: 'delete-severa', link, mode: 'activity', expected: deleteExpectationOf(s), why: 'x' },
      expect: null,
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(refusalOf(row.action), row.expect);
    });
  }
});

describe('refusals: what is not tried again', () => {
  const refusedAll = new Map(
    [createSevera, createGoogle].map((a) => {
      const r = refusalOf(a)!;
      return [r.key, r.fingerprint];
    }),
  );
  const rows: readonly {
    name: string;
    actions: readonly Action[];
    refused: ReadonlyMap<string, string> | undefined;
    expect: readonly Action[];
  }[] = [
    {
      name: 'nothing refused → the plan as it is',
      actions: [createSevera],
      refused: undefined,
      expect: [createSevera],
    },
    {
      name: 'an empty refusal list → the plan as it is',
      actions: [createSevera],
      refused: new Map(),
      expect: [createSevera],
    },
    {
      name: 'an entry refused for good, unchanged since → left out',
      actions: [createSevera, createGoogle],
      refused: refusedAll,
      expect: [],
    },
    {
      name: 'an entry changed since its refusal → tried again',
      actions: [createGoogle],
      refused: new Map([['severa:s1', 'an older fingerprint']]),
      expect: [createGoogle],
    },
    {
      name: 'a refused re-creation still ends the pair it would have replaced',
      actions: [recreateSevera],
      refused: refusedAll,
      expect: [{ kind: 'unlink', link, why: 'refused for good: the pair ends' }],
    },
    {
      name: 'actions a refusal does not concern go on, in order',
      actions: [{ kind: 'release', link, why: 'x' }, createGoogle, { kind: 'unlink', link, why: 'y' }],
      refused: refusedAll,
      expect: [
        { kind: 'release', link, why: 'x' },
        { kind: 'unlink', link, why: 'y' },
      ],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.deepEqual(dropRefused(row.actions, row.refused), row.expect);
    });
  }
});

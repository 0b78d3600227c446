/**
 * B3 deletion safety where it touches the plan (shared/sync/plan/deletion-hold.ts): which runs hold their
 * deletions, which actions wait, and why. (A rejected hold's rows are in decide.test.ts, an empty listing's in
 * index-sides.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { deleteExpectationOf, type Link } from '../../../../shared/domain/index.js';
import type { HoldReason } from '../../../../shared/ports/index.js';
import type { Action } from '../../../../shared/sync/plan/index.js';
import { holdDeletions, type HoldInput } from '../../../../shared/sync/plan/deletion-hold.js';
import { DEFAULT_DELETION_SAFETY } from '../../../../shared/domain/settings.js';
import { activity, event, linkOf } from './fixtures.js';

const pairOf = (i: number): Link =>
  linkOf(activity({ guid: `s${i}` }), event({ id: `ev${i}`, severaGuid: `s${i}` }));

function deleteGoogle(i: number): Action {
  return {
    kind: 'delete-google',
    link: pairOf(i),
    googleId: `ev${i}`,
    etag: '"e1"',
    notifyGuests: false,
    why: 'x',
  };
}

function deleteSevera(i: number): Action {
  const s = activity({ guid: `s${i}` });
  return {
    kind: 'delete-severa',
    link: pairOf(i),
    mode: 'activity',
    expected: deleteExpectationOf(s),
    why: 'x',
  };
}

const staleCopy: Action = {
  kind: 'delete-google',
  link: null,
  googleId: 'stale',
  etag: '"e1"',
  notifyGuests: false,
  why: 'stale copy: not-involved',
};
const unlink: Action = { kind: 'unlink', link: pairOf(0), why: 'deleted on both sides' };
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

function named(action: Action): string {
  if (action.kind === 'delete-google' || action.kind === 'delete-severa')
    return `${action.kind} ${action.link?.severaGuid ?? 'stale'}`;
  return action.kind;
}

interface Row {
  readonly name: string;
  readonly actions: readonly Action[];
  readonly input: Partial<HoldInput> & { readonly links: number };
  /** The actions that go on. */
  readonly kept: readonly string[];
  readonly reason: HoldReason | null;
  /** What waits: the pair's activity and the side whose entry would go. */
  readonly held: readonly string[];
}

const rows: readonly Row[] = [
  {
    name: 'a few deletions among many entries → applied',
    actions: [deleteGoogle(1), deleteSevera(2)],
    input: { links: 10 },
    kept: ['delete-google s1', 'delete-severa s2'],
    reason: null,
    held: [],
  },
  {
    name: 'more than maxCount deletions → held',
    actions: range(4).map(deleteGoogle),
    input: { links: 100, safety: { maxCount: 3, maxShare: 1, shareFloor: 100 } },
    kept: [],
    reason: 'too-many-deletions',
    held: ['s4 google', 's3 google', 's2 google', 's1 google'],
  },
  {
    name: 'exactly maxCount deletions → applied',
    actions: range(3).map(deleteGoogle),
    input: { links: 100, safety: { maxCount: 3, maxShare: 1, shareFloor: 100 } },
    kept: ['delete-google s1', 'delete-google s2', 'delete-google s3'],
    reason: null,
    held: [],
  },
  {
    name: 'more than maxShare of the entries, at least shareFloor deletions → held',
    actions: range(5).map(deleteSevera),
    input: { links: 9 },
    kept: [],
    reason: 'too-many-deletions',
    held: ['s5 severa', 's4 severa', 's3 severa', 's2 severa', 's1 severa'],
  },
  {
    name: 'every entry deleted, but fewer than shareFloor ("1 of 2" is no mass deletion) → applied',
    actions: range(4).map(deleteSevera),
    input: { links: 4 },
    kept: ['delete-severa s1', 'delete-severa s2', 'delete-severa s3', 'delete-severa s4'],
    reason: null,
    held: [],
  },
  {
    name: 'exactly maxShare of the entries → applied',
    actions: range(5).map(deleteSevera),
    input: { links: 10 },
    kept: range(5).map((i) => `delete-severa s${i}`),
    reason: null,
    held: [],
  },
  {
    name: 'a hold is open → every deletion waits with it; everything else goes on',
    actions: [unlink, deleteGoogle(1)],
    input: { links: 10, holdOpen: true },
    kept: ['unlink'],
    reason: 'too-many-deletions',
    held: ['s1 google'],
  },
  {
    name: 'a stale copy of ours (no link) is no entry of the person’s → its removal is not held',
    actions: [staleCopy, deleteSevera(1)],
    input: { links: 10, holdOpen: true },
    kept: ['delete-google stale'],
    reason: 'too-many-deletions',
    held: ['s1 severa'],
  },
  {
    name: 'the user confirmed the deletions → nothing is held',
    actions: range(4).map(deleteGoogle),
    input: {
      links: 4,
      holdOpen: true,
      confirmDeletions: true,
      safety: { ...DEFAULT_DELETION_SAFETY, maxCount: 1 },
    },
    kept: range(4).map((i) => `delete-google s${i}`),
    reason: null,
    held: [],
  },
  {
    name: 'pairs an empty Google listing holds → held for that reason, before any other',
    actions: range(5).map(deleteSevera),
    input: { links: 6, emptyListingHeld: [{ link: pairOf(9), side: 'severa', confirmed: false }] },
    kept: [],
    reason: 'google-listing-empty',
    held: ['s9 severa', 's5 severa', 's4 severa', 's3 severa', 's2 severa', 's1 severa'],
  },
];

describe('deletion-hold: which deletions wait for a person (B3)', () => {
  for (const row of rows) {
    it(row.name, () => {
      const result = holdDeletions(row.actions, {
        safety: DEFAULT_DELETION_SAFETY,
        holdOpen: false,
        confirmDeletions: false,
        emptyListingHeld: [],
        ...row.input,
      });
      assert.deepEqual(result.actions.map(named), row.kept);
      assert.equal(result.held?.reason ?? null, row.reason);
      assert.deepEqual(
        result.heldDeletions.map((h) => `${h.link.severaGuid} ${h.side}`),
        row.held,
      );
      if (result.held !== null) {
        assert.equal(result.held.deletions, row.held.length);
        assert.equal(result.held.links, row.input.links);
      }
      const fromActions = result.heldDeletions.filter((h) => h.link.severaGuid !== 's9');
      assert.ok(
        fromActions.every((h) => h.confirmed),
        'a seen deletion is confirmed',
      );
    });
  }
});

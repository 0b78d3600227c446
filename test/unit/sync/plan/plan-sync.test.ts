/**
 * The planner's entry (shared/sync/plan/plan-sync.ts): how the phases' decisions come together as one plan.
 * The phases' own tables are in the files beside this one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { SeveraChange } from '../../../../shared/domain/index.js';
import { planSync, refusalOf } from '../../../../shared/sync/plan/index.js';
import { activity, event, linkOf, outcome, planInput } from './fixtures.js';

const pair = (i: number) => {
  const s = activity({ guid: `s${i}` });
  const g = event({ id: `ev${i}`, severaGuid: `s${i}` });
  return { s, g, link: linkOf(s, g) };
};

describe('plan-sync: the phases as one plan', () => {
  it('lets go of a pair gone from both sides last, after every other action', () => {
    const gone = pair(1);
    const changed = pair(2);
    const plan = planSync(
      planInput({
        links: [gone.link, changed.link],
        google: { complete: false, changes: [{ kind: 'deleted', id: 'ev1' }] },
        severa: {
          changes: [
            { kind: 'deleted', guid: 's1' },
            {
              kind: 'upsert',
              record: {
                ...changed.s,
                version: '2026-03-01T12:00:00Z',
                content: { ...changed.s.content, notes: 'n' },
              },
            },
          ],
        },
      }),
    );
    assert.deepEqual(outcome(plan), [
      'update (writes Google): changed in Severa',
      'unlink: deleted on both sides',
    ]);
  });

  it('plans linked pairs first, in link order, then unlinked events, then unlinked activities', () => {
    const linked = pair(5);
    const newActivity = activity({ guid: 's0' });
    const newEvent = event({
      id: 'own1',
      severaGuid: null,
      content: { ...linked.s.content, title: 'Lunch' },
    });
    const changes: SeveraChange[] = [
      { kind: 'upsert', record: newActivity },
      { kind: 'deleted', guid: 's5' },
    ];
    const plan = planSync(
      planInput({
        links: [linked.link],
        google: { complete: false, changes: [{ kind: 'upsert', record: newEvent }] },
        severa: { changes },
      }),
    );
    assert.deepEqual(outcome(plan), [
      'delete-google: deleted in Severa',
      'create-severa type-meeting: new in Google',
      'create-google: new in Severa',
    ]);
  });

  it('does not plan again what a side refused for good', () => {
    const s = activity();
    const input = planInput({ severa: { changes: [{ kind: 'upsert', record: s }] } });
    const [create] = planSync(input).actions;
    const refusal = refusalOf(create!)!;
    const again = planSync({ ...input, refused: new Map([[refusal.key, refusal.fingerprint]]) });
    assert.deepEqual(outcome(again), []);
  });

  it('holds the deletions of a run that would delete too much, and says why (B3)', () => {
    const pairs = [1, 2, 3, 4, 5, 6].map(pair);
    const plan = planSync(
      planInput({
        links: pairs.map((p) => p.link),
        severa: { changes: pairs.map((p): SeveraChange => ({ kind: 'deleted', guid: p.s.guid })) },
      }),
    );
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(plan.held, { reason: 'too-many-deletions', deletions: 6, links: 6 });
    assert.equal(plan.heldDeletions.length, 6);
  });

  it('is pure: the same input gives the same plan', () => {
    const p = pair(1);
    const input = planInput({
      links: [p.link],
      google: { complete: false, changes: [{ kind: 'upsert', record: { ...p.g, etag: '"e2"' } }] },
    });
    assert.deepEqual(planSync(input), planSync(input));
  });
});

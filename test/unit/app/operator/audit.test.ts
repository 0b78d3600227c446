import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { auditEntryView } from '../../../../shared/app/operator/index.js';
import type { AuditEntry } from '../../../../shared/ports/index.js';

const entry = (title: string, isPrivate: boolean): AuditEntry => ({
  user: 'user-aino',
  at: '2026-03-02T08:00:00Z',
  kind: 'update',
  severaGuid: 's1',
  googleId: 'g1',
  why: 'changed in Severa',
  decisions: ['location: Google wins (latest change)'],
  title,
  date: '2026-03-02',
  private: isPrivate,
  changes: [`title: “x” → “${title}”`, 'made private', 'written to Google'],
  expiresAt: '2026-06-01T00:00:00Z',
});

describe('operator: the audit trail as a reader sees it (B2)', () => {
  it('shows the person everything about their own entries, private ones too', () => {
    const view = auditEntryView(entry('Dentist', true), true);
    assert.equal(view.title, 'Dentist');
    assert.deepEqual(view.changes, ['title: “x” → “Dentist”', 'made private', 'written to Google']);
  });

  it("hides a private entry's title and field changes from an administrator, not what the sync did", () => {
    const view = auditEntryView(entry('Dentist', true), false);
    assert.equal(view.title, 'Private entry');
    assert.deepEqual(view.changes, ['made private', 'written to Google']);
    assert.equal(view.why, 'changed in Severa');
    assert.ok(!JSON.stringify(view).includes('Dentist'));
    assert.equal(auditEntryView(entry('Roadmap review', false), false).title, 'Roadmap review');
  });
});

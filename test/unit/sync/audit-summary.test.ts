import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { EntryContent } from '../../../shared/domain/entry.js';
import type { Link } from '../../../shared/domain/link.js';
import { auditSummary, describeChanges } from '../../../shared/sync/audit-summary.js';
import type { UpdateAction } from '../../../shared/sync/plan/index.js';

const standup: EntryContent = {
  title: 'Standup',
  notes: '',
  location: '',
  timing: {
    kind: 'timed',
    start: '2026-03-02T06:00:00Z',
    end: '2026-03-02T06:30:00Z',
    timeZone: 'Europe/Helsinki',
  },
  recurrence: null,
  isPrivate: false,
};

const link = (base: EntryContent): Link => ({
  user: 'user-aino',
  severaGuid: 's1',
  googleId: 'g1',
  iCalUID: null,
  origin: 'severa',
  severa: { version: 'v1', hash: 'h1' },
  google: { version: 'e1', hash: 'h1' },
  base,
  syncedAt: '2026-03-01T00:00:00Z',
});

/** An update of the pair `link` to `content`, writing the sides named. */
function update(base: EntryContent, content: EntryContent, writes: { severa: boolean; google: boolean }) {
  return {
    kind: 'update',
    link: link(base),
    origin: 'severa',
    severaGuid: 's1',
    googleId: 'g1',
    iCalUID: null,
    content,
    severa: { write: writes.severa ? {} : null },
    google: { write: writes.google ? content : null, current: null },
    decisions: [],
    why: 'changed in Severa',
  } as unknown as UpdateAction;
}

describe('audit summary (B2): the entry and each change applied, in words', () => {
  it('names each changed field, before → after, times in the entry’s own zone', () => {
    const after: EntryContent = {
      ...standup,
      title: 'Roadmap review',
      location: 'Room 4',
      notes: 'Agenda',
      timing: { ...standup.timing, start: '2026-03-02T07:00:00Z', end: '2026-03-02T08:00:00Z' },
      isPrivate: true,
    } as EntryContent;
    assert.deepEqual(describeChanges(standup, after), [
      'title: “Standup” → “Roadmap review”',
      'time: 2026-03-02 08:00 – 08:30 (Europe/Helsinki) → 2026-03-02 09:00 – 10:00 (Europe/Helsinki)',
      'location: “” → “Room 4”',
      'notes changed',
      'made private',
    ]);
    assert.deepEqual(describeChanges(standup, standup), []);
  });

  it('says all-day days inclusively, and a new repetition', () => {
    const allDay: EntryContent = {
      ...standup,
      timing: { kind: 'allDay', startDate: '2026-03-02', endDate: '2026-03-04' },
      recurrence: {
        pattern: { kind: 'unsupported', lines: ['RRULE:FREQ=DAILY'] },
        exdates: [],
        overrides: [],
      },
    } as unknown as EntryContent;
    const [time, repeat] = describeChanges(standup, allDay);
    assert.equal(time, 'time: 2026-03-02 08:00 – 08:30 (Europe/Helsinki) → 2026-03-02 – 2026-03-03, all day');
    assert.equal(repeat, 'now repeats');
  });

  it('cuts long texts in the trail', () => {
    const long = { ...standup, title: 'x'.repeat(200) };
    const [change] = describeChanges(standup, long);
    assert.ok(change !== undefined && change.length < 120, change);
    assert.match(change, /…”$/);
  });

  it('summarises an update by its new content, its changes and the calendars written', () => {
    const after = { ...standup, title: 'Roadmap review' };
    assert.deepEqual(auditSummary(update(standup, after, { severa: false, google: true })), {
      title: 'Roadmap review',
      date: '2026-03-02',
      isPrivate: false,
      changes: ['title: “Standup” → “Roadmap review”', 'written to Google'],
    });
    assert.deepEqual(auditSummary(update(standup, after, { severa: true, google: true }))?.changes, [
      'title: “Standup” → “Roadmap review”',
      'written to Severa and Google',
    ]);
  });

  it('records no change for an update that wrote to neither calendar (a new version, same content)', () => {
    assert.equal(auditSummary(update(standup, standup, { severa: false, google: false })), null);
  });

  it('names the entry a deletion, release or unlink is about from what was last synced', () => {
    const gone = link({ ...standup, title: 'Dentist', isPrivate: true });
    for (const kind of ['release', 'unlink'] as const) {
      assert.deepEqual(auditSummary({ kind, link: gone, why: '' }), {
        title: 'Dentist',
        date: '2026-03-02',
        isPrivate: true,
        changes: [],
      });
    }
    assert.deepEqual(
      auditSummary({
        kind: 'delete-google',
        link: null,
        googleId: 'g9',
        etag: 'e',
        notifyGuests: false,
        why: 'stale copy',
      }),
      { title: '', date: null, isPrivate: false, changes: [] },
    );
  });
});

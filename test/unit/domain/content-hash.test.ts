import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  canonicalInstant,
  contentHash,
  googleEventIdFor,
  isValidGoogleEventId,
  normaliseNotes,
  normaliseTitle,
  stableStringify,
  type EntryContent,
} from '../../../shared/domain/index.js';

const base: EntryContent = {
  title: 'Workshop',
  notes: 'Agenda\n\n1. Intro',
  location: 'Helsinki office',
  timing: {
    kind: 'timed',
    start: '2026-05-04T06:00:00Z',
    end: '2026-05-04T07:30:00Z',
    timeZone: 'Europe/Helsinki',
  },
  recurrence: null,
  isPrivate: false,
};

describe('contentHash', () => {
  it('is equal for equivalent time encodings and key orders', () => {
    const offsets: EntryContent = {
      isPrivate: false,
      recurrence: null,
      timing: {
        timeZone: 'Europe/Helsinki',
        end: '2026-05-04T10:30:00+03:00',
        start: '2026-05-04T09:00:00.000+03:00',
        kind: 'timed',
      },
      location: 'Helsinki office',
      notes: 'Agenda\n\n1. Intro',
      title: 'Workshop',
    };
    assert.equal(contentHash(offsets), contentHash(base));
  });

  it('ignores the zone of a single timed entry but not of a series', () => {
    const ny = { ...base, timing: { ...base.timing, timeZone: 'America/New_York' } } as EntryContent;
    assert.equal(contentHash(ny), contentHash(base));
    const rule = {
      pattern: {
        kind: 'rule' as const,
        rule: {
          freq: 'weekly' as const,
          interval: 1,
          byWeekday: ['MO' as const],
          byMonthDay: null,
          bySetPos: null,
          byMonth: null,
          end: { kind: 'forever' as const },
        },
      },
      exdates: [],
      overrides: [],
    };
    assert.notEqual(contentHash({ ...ny, recurrence: rule }), contentHash({ ...base, recurrence: rule }));
  });

  it('normalises white space deliberately: folded in titles, kept inside notes', () => {
    assert.equal(contentHash({ ...base, title: '  Workshop \t' }), contentHash(base));
    assert.equal(contentHash({ ...base, notes: 'Agenda  \r\n\r\n1. Intro\n\n' }), contentHash(base));
    assert.notEqual(contentHash({ ...base, notes: 'Agenda\n1. Intro' }), contentHash(base));
  });

  it('changes with every synced field', () => {
    const variants: EntryContent[] = [
      { ...base, title: 'Workshop 2' },
      { ...base, notes: 'x' },
      { ...base, location: 'Espoo' },
      { ...base, isPrivate: true },
      { ...base, timing: { ...base.timing, end: '2026-05-04T08:00:00Z' } as EntryContent['timing'] },
      { ...base, timing: { kind: 'allDay', startDate: '2026-05-04', endDate: '2026-05-05' } },
    ];
    const hashes = new Set([base, ...variants].map(contentHash));
    assert.equal(hashes.size, variants.length + 1);
  });

  it('sorts exception dates and overrides', () => {
    const rec = (exdates: string[]) => ({
      ...base,
      recurrence: {
        pattern: { kind: 'unsupported' as const, lines: ['RRULE:FREQ=HOURLY'] },
        exdates,
        overrides: [],
      },
    });
    assert.equal(
      contentHash(rec(['2026-05-11T06:00:00Z', '2026-05-04T09:00:00+03:00'])),
      contentHash(rec(['2026-05-04T06:00:00Z', '2026-05-11T06:00:00Z', '2026-05-11T06:00:00Z'])),
    );
  });
});

describe('text and time normalisation', () => {
  it('canonicalInstant spells each instant once', () => {
    assert.equal(canonicalInstant('2026-05-04T09:00:00+03:00'), '2026-05-04T06:00:00Z');
    assert.equal(canonicalInstant('2026-05-04T06:00Z'), '2026-05-04T06:00:00Z');
    assert.equal(canonicalInstant('2026-05-04T06:00:00.999Z'), '2026-05-04T06:00:00Z');
    assert.throws(() => canonicalInstant('2026-05-04 06:00'), RangeError);
  });

  it('normaliseTitle and normaliseNotes', () => {
    assert.equal(normaliseTitle('  Team\n sync  '), 'Team sync');
    assert.equal(normaliseTitle(null), '');
    assert.equal(normaliseNotes('\n\nLine 1   \r\nLine 2\t\n\n'), 'Line 1\nLine 2');
  });

  it('stableStringify is independent of key order', () => {
    assert.equal(
      stableStringify({ b: 1, a: { d: [1, 2], c: null } }),
      stableStringify({ a: { c: null, d: [1, 2] }, b: 1 }),
    );
  });
});

describe('googleEventIdFor (B4)', () => {
  it('derives a valid, stable base32hex id from a Severa guid', () => {
    const id = googleEventIdFor('3F2A9C1E-0B7D-4C55-9E21-6A7B8C9D0E1F');
    assert.equal(id, 'sv3f2a9c1e0b7d4c559e216a7b8c9d0e1f');
    assert.ok(isValidGoogleEventId(id));
    assert.equal(googleEventIdFor('3f2a9c1e-0b7d-4c55-9e21-6a7b8c9d0e1f'), id);
  });

  it('hashes guids that are not hex', () => {
    const id = googleEventIdFor('activity/xyz');
    assert.ok(isValidGoogleEventId(id));
    assert.notEqual(id, googleEventIdFor('activity/xyw'));
  });

  it('rejects ids Google would refuse', () => {
    for (const bad of ['abc', 'has-dash', 'UPPER12345', 'wxyz12345'])
      assert.ok(!isValidGoogleEventId(bad), bad);
  });
});

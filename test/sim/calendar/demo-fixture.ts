/**
 * The demo domain of the local stack (SPEC §8): three users in three zones (the same people as the Severa demo organisation), the sync's service account with calendar
 * scope delegated, and a few events: single, all-day, a weekly series with one moved occurrence, and a meeting
 * aino organises with ben. The key pair is made at runtime (keys.ts): no private key is ever committed.
 */
import type { Seed } from './fixture.js';
import { generateServiceAccountKey, type ServiceAccountKey } from './keys.js';

export const DEMO_DOMAIN = 'demo.example';
export const DEMO_SERVICE_ACCOUNT = 'sync@demo-project.iam.gserviceaccount.com';
export const DEMO_CLIENT_ID = '100000000000000000001';
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
export const DEMO_USERS = {
  aino: 'aino@demo.example',
  ben: 'ben@demo.example',
  cecilia: 'cecilia@demo.example',
} as const;
/** Ids of the demo events (base32hex, google-calendar.md §3), so tests can refer to them. */
export const DEMO_EVENT_IDS = {
  planning: 'demoplanning0001',
  holiday: 'demoabsence00001',
  weekly: 'demoseries000001',
  meeting: 'demomeeting00001',
  ceciliaReview: 'democecilia00001',
} as const;

export function createDemoKey(): ServiceAccountKey {
  return generateServiceAccountKey(DEMO_SERVICE_ACCOUNT);
}

export function demoFixture(key: Pick<ServiceAccountKey, 'certificatePem'>): Seed {
  return {
    domain: DEMO_DOMAIN,
    users: [
      { email: DEMO_USERS.aino, timeZone: 'Europe/Helsinki', name: 'Aino Aalto' },
      { email: DEMO_USERS.ben, timeZone: 'America/New_York', name: 'Ben Brown' },
      { email: DEMO_USERS.cecilia, timeZone: 'Europe/London', name: 'Cecilia Carlsson' },
    ],
    serviceAccount: {
      email: DEMO_SERVICE_ACCOUNT,
      clientId: DEMO_CLIENT_ID,
      certificatePem: key.certificatePem,
      delegatedScopes: [CALENDAR_SCOPE],
    },
    events: {
      [DEMO_USERS.aino]: [
        {
          id: DEMO_EVENT_IDS.planning,
          summary: 'Sprint planning',
          start: { dateTime: '2026-12-01T10:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-12-01T11:30:00+02:00', timeZone: 'Europe/Helsinki' },
        },
        {
          id: DEMO_EVENT_IDS.holiday,
          summary: 'Day off',
          visibility: 'private',
          start: { date: '2026-12-07' },
          end: { date: '2026-12-08' },
        },
        {
          id: DEMO_EVENT_IDS.weekly,
          summary: 'Weekly sync',
          start: { dateTime: '2026-11-02T09:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-11-02T09:30:00+02:00', timeZone: 'Europe/Helsinki' },
          recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10'],
        },
        {
          // The 2026-11-16 occurrence moved to 10:00: an exception of the weekly series (google-calendar.md §3).
          id: `${DEMO_EVENT_IDS.weekly}_20261116T070000Z`,
          summary: 'Weekly sync (moved)',
          start: { dateTime: '2026-11-16T10:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-11-16T10:30:00+02:00', timeZone: 'Europe/Helsinki' },
        },
        {
          id: DEMO_EVENT_IDS.meeting,
          summary: 'Customer kickoff',
          start: { dateTime: '2026-12-02T15:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-12-02T16:00:00+02:00', timeZone: 'Europe/Helsinki' },
          attendees: [
            { email: DEMO_USERS.aino, organizer: true, responseStatus: 'accepted' },
            { email: DEMO_USERS.ben, responseStatus: 'needsAction' },
          ],
        },
      ],
      [DEMO_USERS.cecilia]: [
        {
          id: DEMO_EVENT_IDS.ceciliaReview,
          summary: 'Design review',
          start: { dateTime: '2026-12-03T13:00:00+02:00', timeZone: 'Europe/Helsinki' },
          end: { dateTime: '2026-12-03T14:00:00+02:00', timeZone: 'Europe/Helsinki' },
        },
      ],
    },
  };
}

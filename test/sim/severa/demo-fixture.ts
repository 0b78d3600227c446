/**
 * A demo organisation for `npm start` and tests: three people in three zones, the five activity categories
 * (severa-api.md §9), one API credential with the scopes the sync needs (§2), and a few activities including a
 * weekly series (§7) and a project task (category Task + phase, §9).
 */
import type { SeveraFixture } from './fixture.js';

export const DEMO_USERS = {
  helsinki: '11111111-1111-4111-8111-000000000001',
  newYork: '11111111-1111-4111-8111-000000000002',
  london: '11111111-1111-4111-8111-000000000003',
  integration: '11111111-1111-4111-8111-0000000000ff',
} as const;

export const DEMO_TYPES = {
  meeting: '22222222-2222-4222-8222-000000000001',
  personal: '22222222-2222-4222-8222-000000000002',
  customerVisit: '22222222-2222-4222-8222-000000000003',
  absence: '22222222-2222-4222-8222-000000000004',
  projectTask: '22222222-2222-4222-8222-000000000005',
} as const;

export const DEMO_ACTIVITIES = {
  workshop: '33333333-3333-4333-8333-000000000001',
  weeklySync: '33333333-3333-4333-8333-000000000002',
  projectTask: '33333333-3333-4333-8333-000000000003',
  dentist: '33333333-3333-4333-8333-000000000004',
} as const;

export const DEMO_CREDENTIALS = {
  clientId: 'demo-sync-client',
  clientSecret: 'demo-sync-secret',
} as const;

export const DEMO_SCOPES = [
  'activities:read',
  'activities:write',
  'activities:delete',
  'users:read',
  'settings:read',
] as const;

/** The demo fixture. Dates are around late 2026 so they fall inside the occurrence horizon of a real clock. */
export const demoFixture: SeveraFixture = {
  organisation: { guid: '00000000-0000-4000-8000-00000000d0e0', name: 'Demo Oy' },
  credentials: [
    {
      clientId: DEMO_CREDENTIALS.clientId,
      clientSecret: DEMO_CREDENTIALS.clientSecret,
      scopes: [...DEMO_SCOPES],
      apiUserGuid: DEMO_USERS.integration,
    },
  ],
  users: [
    {
      guid: DEMO_USERS.helsinki,
      firstName: 'Aino',
      lastName: 'Aalto',
      email: 'aino@demo.example',
      code: 'AA',
      timezone: 'Europe/Helsinki',
      defaultActivityTypeGuid: DEMO_TYPES.meeting,
    },
    {
      guid: DEMO_USERS.newYork,
      firstName: 'Ben',
      lastName: 'Brown',
      // Mixed case on purpose: people are matched across systems by e-mail, case-insensitively (S2).
      email: 'Ben@Demo.example',
      code: 'BB',
      timezone: 'America/New_York',
      defaultActivityTypeGuid: DEMO_TYPES.meeting,
    },
    {
      guid: DEMO_USERS.london,
      firstName: 'Cecilia',
      lastName: 'Carlsson',
      email: 'cecilia@demo.example',
      code: 'CC',
      timezone: 'Europe/London',
      defaultActivityTypeGuid: DEMO_TYPES.customerVisit,
    },
    {
      guid: DEMO_USERS.integration,
      firstName: 'Calendar',
      lastName: 'Integration',
      email: 'integration@demo.example',
      code: 'API',
      timezone: 'UTC',
    },
  ],
  activityTypes: [
    { guid: DEMO_TYPES.meeting, name: 'Meeting', category: 'CalendarEntry', isDefault: true },
    { guid: DEMO_TYPES.personal, name: 'Personal', category: 'Personal' },
    { guid: DEMO_TYPES.customerVisit, name: 'Customer visit', category: 'SalesEvent' },
    { guid: DEMO_TYPES.absence, name: 'Absence', category: 'Absences' },
    { guid: DEMO_TYPES.projectTask, name: 'Project task', category: 'Task' },
  ],
  activities: [
    {
      guid: DEMO_ACTIVITIES.workshop,
      name: 'Customer workshop',
      startDateTime: '2026-12-02T09:00:00+02:00',
      endDateTime: '2026-12-02T10:30:00+02:00',
      notes: 'Agenda: roadmap',
      location: 'Helsinki office',
      activityTypeGuid: DEMO_TYPES.customerVisit,
      ownerGuid: DEMO_USERS.helsinki,
      participantGuids: [DEMO_USERS.newYork],
    },
    {
      guid: DEMO_ACTIVITIES.weeklySync,
      name: 'Weekly sync',
      startDateTime: '2026-11-02T10:00:00-05:00',
      endDateTime: '2026-11-02T10:30:00-05:00',
      activityTypeGuid: DEMO_TYPES.meeting,
      ownerGuid: DEMO_USERS.newYork,
      participantGuids: [DEMO_USERS.london],
      recurrence: {
        frequency: 'Weekly',
        pattern: { weekly: { interval: 1, monday: true } },
        range: { maxOccurrences: 10 },
      },
    },
    {
      guid: DEMO_ACTIVITIES.projectTask,
      name: 'Write the migration plan',
      startDateTime: '2026-12-03T08:00:00+00:00',
      endDateTime: '2026-12-03T12:00:00+00:00',
      activityTypeGuid: DEMO_TYPES.projectTask,
      ownerGuid: DEMO_USERS.london,
      phase: { guid: '44444444-4444-4444-8444-000000000001', name: 'Planning', projectName: 'Migration' },
      projectTaskStatus: { guid: '55555555-5555-4555-8555-000000000001', name: 'In progress' },
    },
    {
      guid: DEMO_ACTIVITIES.dentist,
      name: 'Dentist',
      startDateTime: '2026-12-04T14:00:00+02:00',
      endDateTime: '2026-12-04T15:00:00+02:00',
      activityTypeGuid: DEMO_TYPES.personal,
      ownerGuid: DEMO_USERS.helsinki,
    },
  ],
};
